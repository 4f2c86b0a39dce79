"""The demo cases: a deterministic plan whose steps lie in the past and in order, and a load that leaves several
cases in every state, with real timelines, overdue cases under 督办, 约谈, evidence files and yearly milestones,
added once and quickly."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.alerts.enums import AlertEventKind, AlertStatus
from ecoloop.alerts.models import Alert, AlertEvent
from ecoloop.alerts.rules import RuleKind
from ecoloop.cases.enums import CaseSource, EventKind, Finding, MilestoneStatus
from ecoloop.cases.models import Attachment, Case, CaseEvent, Milestone, SupervisionBatch
from ecoloop.cases.progress import batch_progress
from ecoloop.cases.rules import EscalationPolicy
from ecoloop.cases.service import escalate
from ecoloop.cases.workflow import State
from ecoloop.demo.case_plans import LOCAL
from ecoloop.demo.cases import (
    ARC_STATES,
    CENTRAL_CODE,
    UNIT_USERS,
    plan_demo_cases,
)
from ecoloop.demo.enterprises import plan_enterprise_files
from ecoloop.demo.evidence import evidence_pdf, evidence_png
from ecoloop.demo.service import demo_fixture, load_demo
from ecoloop.identity.models import User
from ecoloop.identity.service import principal_for

# Early January: the central batch came in the year before, so case numbers span two years.
NOW = datetime(2027, 1, 10, 2, 30, tzinfo=UTC)
TODAY = NOW.astimezone(LOCAL).date()
LOAD_SECONDS = 20  # the whole demo, cases included (about 4 s on SQLite and 6 s on PostgreSQL when measured)


@pytest.mark.parametrize("today", [date(2026, 3, 1), date(2026, 6, 15), date(2027, 1, 10), date(2028, 12, 31)])
def test_plan_is_deterministic_in_the_past_and_in_order(today: date) -> None:
    fixture = demo_fixture()
    files = plan_enterprise_files(fixture)
    plan = plan_demo_cases(fixture, files, today)
    assert plan == plan_demo_cases(fixture, files, today)
    midnight = datetime.combine(today, datetime.min.time(), LOCAL)
    for case in plan.cases:
        moments = [case.registered_at, *(step.at for step in case.steps)]
        assert moments == sorted(moments) and moments[-1] < midnight, case.key
    assert {b.code for b in plan.batches} == {CENTRAL_CODE, "provincial-2-05", "yellow-river-film"}
    by_batch = Counter(case.batch for case in plan.cases)
    assert by_batch[CENTRAL_CODE] == 40 and by_batch["provincial-2-05"] == 10 and by_batch[None] >= 16
    assert min(Counter(ARC_STATES[case.arc] for case in plan.cases).values()) >= 3
    assert len({case.key for case in plan.cases}) == len(plan.cases)


def test_evidence_files_have_their_signatures() -> None:
    png = evidence_png("AJ2026-000001")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png.endswith(b"IEND\xaeB`\x82") and len(png) < 10_000
    pdf = evidence_pdf(["整改情况报告", "案件编号：AJ2026-000001"])
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split()[0])
    assert pdf[start:].startswith(b"xref")
    assert "整改情况报告".encode("utf-16-be").hex().upper().encode() in pdf


def events_of(db: Session) -> dict[int, list[CaseEvent]]:
    timelines: dict[int, list[CaseEvent]] = {}
    for event in db.scalars(select(CaseEvent).order_by(CaseEvent.id)):
        timelines.setdefault(event.case_id, []).append(event)
    return timelines


def test_the_demo_has_cases_in_every_state(db: Session, tmp_path: Path) -> None:
    started = time.perf_counter()
    report = load_demo(db, now=NOW, storage=tmp_path)
    db.flush()
    elapsed = time.perf_counter() - started
    assert elapsed < LOAD_SECONDS
    cases = list(db.scalars(select(Case)))
    assert report.added["cases"] == len(cases) >= 70 and report.added["batches"] == 3
    states = Counter(case.state for case in cases)
    assert set(states) == set(State) and min(states.values()) >= 2, states
    assert {c.number[:6] for c in cases} == {"AJ2026", "AJ2027"}

    # The central batch: forty letters, three merged into earlier ones, about half closed.
    central = db.scalars(select(SupervisionBatch).where(SupervisionBatch.code == CENTRAL_CODE)).one()
    assert "中央第三生态环境保护督察组" in central.name
    analyst = db.scalars(select(User).where(User.username == "analyst")).one()
    progress = batch_progress(db, principal_for(analyst, db), central.id)
    assert progress is not None
    assert f"{progress.total} tasks, {progress.completed} completed" == "37 tasks, 20 completed"
    assert (progress.basically_completed, progress.in_progress, progress.merged) == (7, 10, 3)
    assert progress.overdue >= 2
    central_cases = [c for c in cases if c.batch_id == central.id]
    assert all(c.external_ref[:7] in ("X370000", "D370000") for c in central_cases)
    assert sum(bool(c.investigation and c.handling) for c in central_cases) >= 30
    assert Counter(c.finding for c in central_cases)[Finding.FALSE] == 3
    assert sum(c.enterprise_id is not None for c in central_cases) >= 15

    # Timelines: registered first, in time order, spread over months; every overdue case was supervised.
    timelines = events_of(db)
    for case in cases:
        events = timelines[case.id]
        assert events[0].kind is EventKind.REGISTERED, case.number
        assert [e.at for e in events] == sorted(e.at for e in events), case.number
        assert all(e.at <= NOW for e in events)
    first = min(e.at for events in timelines.values() for e in events)
    assert NOW - first > timedelta(days=150)
    overdue = [c for c in cases if c.overdue]
    assert len(overdue) >= 3
    for case in overdue:
        kinds = [e.kind for e in timelines[case.id]]
        assert EventKind.OVERDUE in kinds and EventKind.SUPERVISED in kinds, case.number
    kinds = Counter(e.kind for events in timelines.values() for e in events)
    assert kinds[EventKind.INTERVIEW_PROPOSED] >= 1 and kinds[EventKind.INTERVIEWED] >= 1
    assert kinds[EventKind.FAILED] >= 3 and kinds[EventKind.DEADLINE_EXTENDED] >= 1
    automatic = [e for events in timelines.values() for e in events if e.kind is EventKind.SUPERVISED]
    assert any(e.data["automatic"] for e in automatic) and any(not e.data["automatic"] for e in automatic)
    reopened = [c for c in cases if EventKind.REOPENED in {e.kind for e in timelines[c.id]}]
    assert len(reopened) >= 2 and all(c.state is State.RECTIFYING for c in reopened)
    assert all(c.merged_into_id is not None for c in cases if c.state is State.MERGED)
    assert {CaseSource(s) for s in Counter(c.source for c in cases)} == set(CaseSource) - {CaseSource.OTHER}

    # The escalation is caught up: the scheduler finds nothing due today.
    assert set(escalate(db, NOW, TODAY, EscalationPolicy()).values()) == {0}

    # Evidence: a photo and a report per report of rectification, stored by content hash.
    attachments = list(db.scalars(select(Attachment)))
    assert len(attachments) >= 40
    for attachment in attachments[:10]:
        content = (tmp_path / attachment.sha256[:2] / attachment.sha256).read_bytes()
        assert content.startswith(b"\x89PNG" if attachment.filename.endswith(".png") else b"%PDF-")

    # Long-term cases with a done, a current and a pending yearly target each.
    long_term = [c for c in cases if c.long_term]
    assert len(long_term) == 3 and all(c.responsible_leader for c in long_term)
    milestones = list(db.scalars(select(Milestone)))
    assert Counter(m.year for m in milestones) == {2026: 3, 2027: 3, 2028: 3}
    assert {m.status for m in milestones if m.year == 2026} == {MilestoneStatus.DONE}

    # A second load adds nothing.
    counts = (len(cases), db.scalar(select(func.count(CaseEvent.id))), len(attachments))
    again = load_demo(db, now=NOW + timedelta(days=3), storage=tmp_path)
    db.flush()
    assert again.added["cases"] == again.added["batches"] == 0
    assert (
        db.scalar(select(func.count(Case.id))),
        db.scalar(select(func.count(CaseEvent.id))),
        db.scalar(select(func.count(Attachment.id))),
    ) == counts


def test_the_alert_cases_have_their_alerts_closed_with_their_case(db: Session) -> None:
    load_demo(db, now=NOW)
    db.flush()
    rows = db.execute(select(Alert, Case).join(Case, Case.id == Alert.case_id).order_by(Alert.id)).all()
    assert len(rows) == 6 and all(case.source is CaseSource.ALERT for _, case in rows)
    for alert, case in rows:
        assert alert.site_id == case.site_id and alert.region_id == case.region_id
        assert (alert.status is AlertStatus.CLOSED) == (case.state is State.CLOSED)
        kinds = db.scalars(select(AlertEvent.kind).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)).all()
        assert kinds[:3] == [AlertEventKind.RAISED, AlertEventKind.CONFIRMED, AlertEventKind.ESCALATED]
    exceedances = [a for a, _ in rows if a.kind is RuleKind.SOURCE_EXCEEDANCE]
    assert all(a.observed is not None and a.reference is not None and a.observed > a.reference for a in exceedances)


def test_without_storage_no_evidence_files(db: Session) -> None:
    report = load_demo(db, now=NOW)
    db.flush()
    assert report.added["cases"] >= 70
    assert db.scalar(select(func.count(Attachment.id))) == 0
    assert db.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.kind == EventKind.EVIDENCE_ADDED)) == 0


def test_the_users_who_work_cases_belong_to_their_units() -> None:
    users = {u["username"]: u for u in demo_fixture()["users"]}
    for organisation, username in UNIT_USERS.items():
        assert users[username]["organisation"] == organisation
        assert users[username]["role"] == ("branch" if organisation.startswith("branch-") else "department")
