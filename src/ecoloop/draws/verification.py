"""Verification of a drawn record (`ecoloop inspections verify`): every hash recomputed, the algorithm re-run from
the stored snapshots and seed, the stored assignments compared with the result, and the record's place in the
chain checked against its neighbours (docs/draws.md, "Verifying a draw")."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.draws import algorithm
from ecoloop.draws.enums import DrawStatus
from ecoloop.draws.models import Draw, DrawAssignment, DrawAssignmentOfficer
from ecoloop.draws.records import GENESIS, announcement_hash, record_hash
from ecoloop.draws.service import run
from ecoloop.i18n import N_, gettext

CHECKS = {
    "drawn": (
        N_("The draw is drawn."),
        N_("The draw has not been drawn yet."),
    ),
    "snapshot": (
        N_("Snapshot %(n)s (%(name)s) matches its SHA-256."),
        N_("Snapshot %(n)s (%(name)s) was changed: its SHA-256 is %(actual)s, the record says %(stored)s."),
    ),
    "announcement": (
        N_("The announcement (pools, rules, seed source) matches its hash."),
        N_("The announcement was changed: its pools, rules, period or seed source do not match its hash."),
    ),
    "seed": (
        N_("The seed is SHA-256 of the draw number and the public value."),
        N_("The seed does not follow from the draw number and the public value."),
    ),
    "stored_result": (
        N_("The stored result matches its SHA-256."),
        N_("The stored result was changed: it does not match its SHA-256."),
    ),
    "rerun": (
        N_("Re-running the algorithm gives the same result, byte for byte."),
        N_("Re-running the algorithm from the stored snapshots and seed gives a different result."),
    ),
    "assignments": (
        N_("The drawn enterprises and officers stored match the result."),
        N_("The drawn enterprises or officers stored differ from the result."),
    ),
    "record": (
        N_("The record matches its hash."),
        N_("The record (who drew, when, the value, the result's hash) does not match its hash."),
    ),
    "gap": (
        N_("No drawn record before it is missing from the chain."),
        N_("The chain has a gap: %(missing)s drawn records before this one are missing."),
    ),
    "genesis": (
        N_("It is the first record of the chain."),
        N_("The chain's start was changed."),
    ),
    "previous": (
        N_("It is chained to the record before it."),
        N_("It is not chained to the record before it: that record was changed or deleted."),
    ),
    "next": (
        N_("The record after it is chained to it."),
        N_("The record after it is not chained to it."),
    ),
}
"""Each check's sentence when it passes and when it fails."""


@dataclass
class Verification:
    """What verifying a draw found: the checks passed and the problems (none: it matches)."""

    number: str
    passed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _check(v: Verification, good: bool, check: str, **params: Any) -> bool:
    if good:
        v.passed.append(gettext(CHECKS[check][0]) % params)
    else:
        v.problems.append(gettext(CHECKS[check][1]) % params)
    return good


def verify(session: Session, draw_id: int) -> Verification | None:
    """Verify one drawn record (unscoped: the command is the operator's); None when there is no such draw."""
    draw = session.get(Draw, draw_id)
    if draw is None:
        return None
    v = Verification(draw.number)
    if not _check(v, draw.status is DrawStatus.DRAWN, "drawn"):
        return v
    for snapshot in draw.snapshots:
        actual = algorithm.sha256_hex(snapshot.content.encode())
        _check(
            v,
            actual == snapshot.sha256,
            "snapshot",
            n=snapshot.position,
            name=snapshot.name,
            actual=actual,
            stored=snapshot.sha256,
        )
    _check(v, announcement_hash(draw, list(draw.snapshots)) == draw.announcement_hash, "announcement")
    _check(v, draw.seed == algorithm.seed_of(draw.number, draw.public_value or ""), "seed")
    stored = (draw.result or "").encode()
    _check(v, algorithm.sha256_hex(stored) == draw.result_sha256, "stored_result")
    try:
        again = algorithm.canonical(run(draw))
    except (algorithm.Unstaffable, ValueError, KeyError, TypeError):
        again = b""
    _check(v, again == stored, "rerun")
    _check(v, _assignments(session, draw) == _expected(stored), "assignments")
    _check(v, record_hash(draw) == draw.record_hash, "record")
    _chain(session, draw, v)
    return v


def _assignments(session: Session, draw: Draw) -> list[tuple[Any, ...]]:
    """The stored assignment rows of a draw with their officers, read as plain rows (thousands of them)."""
    officers: dict[int, list[tuple[int, int]]] = {}
    rows = session.execute(
        select(DrawAssignmentOfficer.assignment_id, DrawAssignmentOfficer.position, DrawAssignmentOfficer.user_id)
        .join(DrawAssignment, DrawAssignment.id == DrawAssignmentOfficer.assignment_id)
        .where(DrawAssignment.draw_id == draw.id)
        .order_by(DrawAssignmentOfficer.assignment_id, DrawAssignmentOfficer.position)
    )
    for assignment_id, position, user_id in rows:
        officers.setdefault(assignment_id, []).append((position, user_id))
    stored = session.execute(
        select(
            DrawAssignment.id,
            DrawAssignment.position,
            DrawAssignment.enterprise_id,
            DrawAssignment.on_site,
            DrawAssignment.unit_id,
        )
        .where(DrawAssignment.draw_id == draw.id)
        .order_by(DrawAssignment.position)
    )
    return [(p, e, on_site, unit, tuple(officers.get(i, ()))) for i, p, e, on_site, unit in stored]


def _expected(result: bytes) -> list[tuple[Any, ...]]:
    try:
        entries = json.loads(result)["assignments"]
    except (ValueError, KeyError, TypeError):
        return []
    return [
        (
            e["position"],
            e["enterprise_id"],
            e["on_site"],
            e["unit_id"],
            tuple((i, o["user_id"]) for i, o in enumerate(e["officers"], start=1)),
        )
        for e in entries
    ]


def _chain(session: Session, draw: Draw, v: Verification) -> None:
    """The record's link to the one before it, to the one after it, and no gap before it (a deleted record)."""
    seq = draw.chain_seq or 0
    before = session.scalar(select(func.count(Draw.id)).where(Draw.chain_seq < seq)) or 0
    _check(
        v,
        before == seq - 1,
        "gap",
        missing=seq - 1 - before,
    )
    if seq == 1:
        _check(v, draw.previous_hash == GENESIS, "genesis")
    else:
        previous = session.scalars(select(Draw).where(Draw.chain_seq == seq - 1)).first()
        _check(v, previous is not None and previous.record_hash == draw.previous_hash, "previous")
    following = session.scalars(select(Draw).where(Draw.chain_seq == seq + 1)).first()
    if following is not None:
        _check(v, following.previous_hash == draw.record_hash, "next")
