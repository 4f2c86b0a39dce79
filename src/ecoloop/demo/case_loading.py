"""Loading the demo cases (issue 6): `add_demo_cases` applies the plan of `cases.plan_demo_cases` in time order
through `cases.batches` and `cases.service`, as the demo users, and runs the daily deadline escalation (`escalate`) for
the simulated days in between, so that the timelines, overdue marks, automatic 督办 and 约谈 proposals are the ones the
platform would have written. The evidence files come from `evidence`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.cases.batches import COLUMNS, import_batch
from ecoloop.cases.models import Case, Milestone, SupervisionBatch
from ecoloop.cases.rules import EscalationPolicy
from ecoloop.cases.service import (
    Acting,
    act,
    add_attachment,
    comment,
    escalate,
    extend_deadline,
    record_interview,
    register_case,
    supervise,
)
from ecoloop.cases.workflow import Action
from ecoloop.demo.case_plans import LOCAL, BatchPlan, CasePlan, DemoCases, Move, StepPlan
from ecoloop.demo.cases import CENTRAL_CODE, plan_demo_cases
from ecoloop.demo.enterprises import EnterpriseFiles
from ecoloop.demo.evidence import evidence_files
from ecoloop.enterprises.models import Enterprise
from ecoloop.exports import append_row, new_workbook, workbook_bytes
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.service import principal_for
from ecoloop.monitoring.models import Site
from ecoloop.regions.models import Region

# --- files ------------------------------------------------------------------------------------------------------------


def batch_workbook(batch: BatchPlan, rows: Sequence[CasePlan], unit_names: Mapping[str, str]) -> bytes:
    """The batch as the supervision office hands it down: a title row, the 交办 header, one row per letter."""
    header = {column.key: column.header for column in COLUMNS}
    keys = ("seq", "external_ref", "problem", "region", "category", "investigation", "finding", "handling",
            "accountable", "unit", "deadline")  # fmt: skip
    book = new_workbook()
    sheet = book.create_sheet("交办问题")
    append_row(sheet, [batch.title])
    append_row(sheet, [header[key] for key in keys])
    for case in rows:
        r = case.row
        if r is None:
            raise ValueError(f"{case.key} is not a batch case")
        cells = (r.seq, r.ref, case.description, r.region, r.category, r.investigation, r.finding, r.handling,
                 r.accountable, "、".join(unit_names[u] for u in r.units), r.deadline)  # fmt: skip
        append_row(sheet, [cell if cell != "" else None for cell in cells])
    return workbook_bytes(book)


# --- applying the plan ------------------------------------------------------------------------------------------------

POLICY = EscalationPolicy()
ESCALATION_TIME = time(0, 30)  # the bureau's daily deadline escalation, local time


def _escalation_time(day: date) -> datetime:
    """When the daily deadline escalation runs for `day` (UTC)."""
    return datetime.combine(day, ESCALATION_TIME, LOCAL).astimezone(UTC)


_ACTIONS = {
    Move.ASSIGN: Action.ASSIGN,
    Move.ACCEPT: Action.ACCEPT,
    Move.RETURN: Action.RETURN,
    Move.REPORT: Action.REPORT,
    Move.VERIFY: Action.START_VERIFICATION,
    Move.PASS: Action.PASS,
    Move.FAIL: Action.FAIL,
    Move.MERGE: Action.MERGE,
    Move.REOPEN: Action.REOPEN,
}


class _Run:
    """Applies the plan's operations in one session, through the case service as the demo users."""

    def __init__(self, session: Session, unit_names: Mapping[str, str], storage: Path | None) -> None:
        self.session, self.unit_names, self.storage = session, unit_names, storage
        self.users = {u.username: u for u in session.scalars(select(User))}
        self.orgs = {o.code: o for o in session.scalars(select(Organisation))}
        self.regions = {r.code: r for r in session.scalars(select(Region))}
        self.enterprises = {code: id_ for code, id_ in session.execute(select(Enterprise.credit_code, Enterprise.id))}
        self.sites = {code: id_ for code, id_ in session.execute(select(Site.code, Site.id))}
        self.cases: dict[str, Case] = {}
        self._acting: dict[str, Acting] = {}
        self.attachments = 0

    def acting(self, username: str) -> Acting:
        if username not in self._acting:
            user = self.users[username]
            self._acting[username] = Acting(user, principal_for(user, self.session))
        return self._acting[username]

    def ids(self, plan: CasePlan) -> tuple[int | None, int | None]:
        enterprise = self.enterprises[plan.enterprise] if plan.enterprise else None
        return enterprise, self.sites[plan.site] if plan.site else None

    def import_batch(self, batch: BatchPlan, rows: Sequence[CasePlan]) -> None:
        report = import_batch(
            self.session,
            self.acting(batch.importer),
            batch_workbook(batch, rows, self.unit_names),
            code=batch.code,
            name=batch.name,
            source=batch.source,
            received_on=batch.received_at.date(),
            now=batch.received_at.astimezone(UTC),
            deadline=batch.deadline,
            document=batch.document,
        )
        if not report.ok:
            raise ValueError(f"demo batch {batch.code}: " + "; ".join(p.describe() for p in report.problems))
        for plan, imported in zip(rows, report.cases, strict=True):
            case = self.session.get_one(Case, imported.case_id)
            # The 交办 sheet has no enterprise column; the letters name the enterprise in their text.
            case.enterprise_id, case.site_id = self.ids(plan)
            self.cases[plan.key] = case
        self.session.flush()

    def register(self, plan: CasePlan) -> None:
        enterprise_id, site_id = self.ids(plan)
        case = register_case(
            self.session,
            self.acting(plan.registrar),
            source=plan.source,
            category=plan.category,
            title=plan.title,
            region=self.regions[plan.region],
            now=plan.registered_at.astimezone(UTC),
            description=plan.description,
            enterprise_id=enterprise_id,
            site_id=site_id,
            severity=plan.severity,
            long_term=plan.long_term,
            responsible_leader=plan.leader,
        )
        # Yearly targets have no service function yet: the case's plan is written with it.
        for m in plan.milestones:
            self.session.add(Milestone(case_id=case.id, year=m.year, target=m.target, due=m.due, status=m.status,
                                       done_on=m.done_on, note=m.note))  # fmt: skip
        self.cases[plan.key] = case

    def step(self, plan: CasePlan, step: StepPlan) -> None:
        session, case, acting, now = self.session, self.cases[plan.key], self.acting(step.who), step.at.astimezone(UTC)
        action = _ACTIONS.get(step.move)
        if action is not None:
            act(session, case, acting, action, seen_version=case.version, now=now, reason=step.note,
                unit=self.orgs[step.unit] if step.unit else None, co_units=[self.orgs[c] for c in step.co_units],
                deadline=step.deadline, merge_into=self.cases[step.into] if step.into else None)  # fmt: skip
        elif step.move is Move.EVIDENCE:
            if self.storage is None:
                return
            for name, content in evidence_files(case, step.at.date()):
                add_attachment(session, case, acting, filename=name, content=content, storage=self.storage, now=now)
                self.attachments += 1
        elif step.move is Move.EXTEND:
            assert step.deadline is not None
            extend_deadline(session, case, acting, step.deadline, step.note, seen_version=case.version, now=now)
        elif step.move is Move.SUPERVISE:
            supervise(session, case, acting, step.note, now)
        elif step.move is Move.INTERVIEW:
            record_interview(session, case, acting, step.note, step.at.date(), now)
        else:
            comment(session, case, acting, step.note, now)


def escalation_days(plan: DemoCases) -> set[date]:
    """The days on which the daily deadline escalation can find something due: each deadline's first warning day
    and the day after it, the day after a batch comes in, and the day after any step that sets a deadline, puts a
    case back on the clock or counts towards a 约谈 (assign, accept, return, fail, reopen, extend, 督办). On other
    days it finds nothing, so running it on these days only writes the same timelines, in fewer queries."""
    days: set[date] = set()

    def deadline(day: date) -> None:
        days.update((day - timedelta(days=POLICY.warn_days), day + timedelta(days=1)))

    after = {Move.ASSIGN, Move.ACCEPT, Move.RETURN, Move.FAIL, Move.REOPEN, Move.EXTEND, Move.SUPERVISE}
    for batch in plan.batches:
        days.add(batch.received_at.date() + timedelta(days=1))
        deadline(batch.deadline)
    for case in plan.cases:
        if case.row is not None and case.row.deadline is not None:
            deadline(case.row.deadline)
        for step in case.steps:
            if step.deadline is not None:
                deadline(step.deadline)
            if step.move in after:
                days.add(step.at.date() + timedelta(days=1))
    return days


def add_demo_cases(
    session: Session, fixture: Mapping[str, Any], files: EnterpriseFiles, *, now: datetime, storage: Path | None
) -> dict[str, int]:
    """Add the demo cases unless the central batch is there already: the plan's operations in time order, with the
    deadline escalation at 00:30 of every day it can find something due (`escalation_days`) and once more at `now`.
    Evidence files are written under `storage` (none without it). Returns the cases and batches added."""
    if session.scalar(select(SupervisionBatch.id).where(SupervisionBatch.code == CENTRAL_CODE)) is not None:
        return {"cases": 0, "batches": 0}
    today = now.astimezone(LOCAL).date()
    plan = plan_demo_cases(fixture, files, today)
    run = _Run(session, {o["code"]: o["name"] for o in fixture["organisations"]}, storage)
    ops: list[tuple[datetime, int, Callable[[], None]]] = []
    for batch in plan.batches:
        rows = [case for case in plan.cases if case.batch == batch.code]
        ops.append((batch.received_at, len(ops), partial(run.import_batch, batch, rows)))
    for case in plan.cases:
        if case.batch is None:
            ops.append((case.registered_at, len(ops), partial(run.register, case)))
        ops.extend((step.at, len(ops) + i, partial(run.step, case, step)) for i, step in enumerate(case.steps))
    ops.sort(key=lambda op: (op[0], op[1]))
    days = sorted(day for day in escalation_days(plan) if day < today)
    for at, _, operation in ops:
        while days and days[0] <= at.date():
            day = days.pop(0)
            escalate(session, _escalation_time(day), day, POLICY)
        operation()
    for day in days:
        escalate(session, _escalation_time(day), day, POLICY)
    escalate(session, now, today, POLICY)
    session.flush()
    return {"cases": len(plan.cases), "batches": len(plan.batches)}
