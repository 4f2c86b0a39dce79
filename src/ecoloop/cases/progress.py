"""How far the cases of supervision batches have come: counts by progress class (已完成, 基本完成, 整改中) per batch,
as the batch pages and the ledger show them (scoped reads)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Row, Select, and_, func, select
from sqlalchemy import case as case_
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import visible
from ecoloop.cases.models import Case, SupervisionBatch
from ecoloop.cases.workflow import PROGRESS, ProgressClass, State


@dataclass(frozen=True)
class Progress:
    """Progress as supervision ledgers count it (workflow.PROGRESS): closed = 已完成, reported or verifying =
    基本完成, other open states = 整改中; merged cases are not counted in `total`. `overdue` counts the open
    cases marked overdue by the daily escalation."""

    total: int = 0
    completed: int = 0
    basically_completed: int = 0
    in_progress: int = 0
    overdue: int = 0
    merged: int = 0

    @property
    def rate(self) -> Decimal | None:
        """The completion rate in per cent (completed of total, to one decimal); None without cases."""
        if not self.total:
            return None
        return (Decimal(100 * self.completed) / self.total).quantize(Decimal("0.1"), ROUND_HALF_UP)


def tally(counts: Iterable[tuple[State, int, int]]) -> Progress:
    """Progress from (state, cases, of which overdue) counts."""
    by_class: Counter[ProgressClass] = Counter()
    overdue = 0
    for state, cases, late in counts:
        by_class[PROGRESS[state]] += cases
        if PROGRESS[state] is not ProgressClass.MERGED:
            overdue += late
    done, basically, ongoing = (
        by_class[c] for c in (ProgressClass.COMPLETED, ProgressClass.BASICALLY_COMPLETED, ProgressClass.IN_PROGRESS)
    )
    return Progress(
        total=done + basically + ongoing,
        completed=done,
        basically_completed=basically,
        in_progress=ongoing,
        overdue=overdue,
        merged=by_class[ProgressClass.MERGED],
    )


@dataclass(frozen=True)
class BatchProgress:
    """A batch and the progress of its cases that the principal sees."""

    batch: SupervisionBatch
    progress: Progress


def _progress_select(principal: Principal) -> Select[SupervisionBatch, State, int, int]:
    # Case.state is None in the row of a batch without visible cases (outer join).
    overdue = func.sum(case_((Case.overdue.is_(True), 1), else_=0))
    return (
        select(SupervisionBatch, Case.state, func.count(Case.id), overdue)
        .outerjoin(Case, and_(Case.batch_id == SupervisionBatch.id, visible(principal, Case)))
        .where(visible(principal, SupervisionBatch))
        .group_by(SupervisionBatch.id, Case.state)
    )


def _group(rows: Iterable[Row[SupervisionBatch, State, int, int]]) -> list[BatchProgress]:
    batches: dict[int, tuple[SupervisionBatch, list[tuple[State, int, int]]]] = {}
    for batch, state, cases, late in rows:
        _, counts = batches.setdefault(batch.id, (batch, []))
        if state is not None:
            counts.append((state, int(cases), int(late or 0)))
    return [BatchProgress(batch, tally(counts)) for batch, counts in batches.values()]


def batch_progress(session: Session, principal: Principal, batch_id: int) -> Progress | None:
    """The progress of one batch over the cases the principal sees (a branch: its county's), in one grouped
    query; None when the batch does not exist or is not visible."""
    rows = session.execute(_progress_select(principal).where(SupervisionBatch.id == batch_id)).all()
    found = _group(rows)
    return found[0].progress if found else None


def batch_progresses(session: Session, principal: Principal) -> list[BatchProgress]:
    """Every visible batch with its progress, newest first, in one grouped query."""
    rows = session.execute(_progress_select(principal)).all()
    return sorted(_group(rows), key=lambda b: (b.batch.received_on, b.batch.code), reverse=True)
