"""Supervision batches imported from the sheet supervision offices hand down: a good sheet, every problem reported
with its row and column and nothing written, re-import refused, scoping; and batch progress after cases move
through the workflow."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.cases.batches import (
    BatchImportReport,
    example_workbook,
    import_batch,
    title_of,
)
from ecoloop.cases.enums import CaseSource, Category, Finding
from ecoloop.cases.models import Case, CaseEvent, SupervisionBatch
from ecoloop.cases.progress import Progress, batch_progress, batch_progresses
from ecoloop.cases.rules import EscalationPolicy
from ecoloop.cases.service import Acting, CaseError, act, escalate
from ecoloop.cases.workflow import Action, State
from tests.factories import World, crafted_xlsx

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
BATCH_DEADLINE = date(2027, 1, 31)
LONG = "清源区湖滨街道某工地" + "夜间施工扬尘噪声扰民" * 40


def acting(db: Session, world: World, name: str) -> Acting:
    user = world.users[name]
    set_actor(db, Actor(label=user.username, user_id=user.id))
    return Acting(user, world.principal(db, name))


def xlsx(rows: list[list[object]], title: str = "交办问题") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def good_sheet() -> bytes:
    """A title row; the header spelled loosely (spaces, full-width brackets, a mark, an alias, another order, an
    extra column); four problems, a blank row between them."""
    header = [
        " 序 号",
        "受理编号",
        "交办问题基本情况（概要）",
        "污染类型",
        "行政 区域",
        "调查核实情况",
        "是否属实*",
        "处理和整改情况",
        "责任人",
        "责任单位",
        "整改时限",
        "整改状态",
        "备注",
    ]
    return xlsx(
        [
            ["中央第三生态环境保护督察组交办问题（第一批）"],
            header,
            [1, "D1", "东王庄村生活污水直排入河。村内无污水收集管网。", "水污染", "临河县柳林镇", "经核查属实",
             "属实", "已铺设管网2公里", "村主任诫勉谈话", "临河县分局、清源市住房和城乡建设局", date(2027, 3, 31),
             "正在整改", "重点"],
            [2, "D2", LONG, "大气、噪声", 371802001000, None, "基本属实", None, None, None, "2027年6月30日",
             "已办结", None],
            [None] * 13,
            [3, "D3", "花园社区建筑垃圾堆放", "固体废物", "清源区", None, None, None, None,
             "清源市住房和城乡建设局", None, "阶段性办结", None],
            [4, "D4", "东王庄村污水问题 (重复反映)", "水", "东王庄村委会", None, "部分属实", None, None,
             "临河县分局", "2026/12/01", None, None],
        ]
    )  # fmt: skip


def run_import(db: Session, world: World, data: bytes, who: str = "analyst", **overrides: Any) -> BatchImportReport:
    fields: dict[str, Any] = {
        "code": "ZY3-2026-01",
        "name": "中央第三生态环境保护督察组第一批交办问题",
        "source": CaseSource.CENTRAL_SUPERVISION,
        "received_on": date(2026, 11, 20),
        "deadline": BATCH_DEADLINE,
        "document": "督察交办[2026]1号",
        "now": NOW,
    }
    return import_batch(db, acting(db, world, who), data, **(fields | overrides))


def count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_a_good_sheet_imports_every_row(db: Session, world: World) -> None:
    report = run_import(db, world, good_sheet())

    assert report.ok, [p.describe() for p in report.problems]
    assert report.rows == 4
    assert report.ignored_columns == ["备注"]
    assert [(c.row, c.assigned, c.claimed) for c in report.cases] == [
        (3, True, "in_progress"),
        (4, False, "completed"),
        (6, True, "basically_completed"),
        (7, True, None),
    ]
    assert report.claimed == {"in_progress": 1, "completed": 1, "basically_completed": 1}
    batch = db.get(SupervisionBatch, report.batch_id)
    assert batch is not None
    assert (batch.code, batch.source, batch.deadline, batch.document) == (
        "ZY3-2026-01",
        CaseSource.CENTRAL_SUPERVISION,
        BATCH_DEADLINE,
        "督察交办[2026]1号",
    )
    cases = list(db.scalars(select(Case).where(Case.batch_id == batch.id).order_by(Case.number)))
    assert [c.external_ref for c in cases] == ["D1", "D2", "D3", "D4"]
    assert {c.source for c in cases} == {CaseSource.CENTRAL_SUPERVISION}
    d1, d2, d3, d4 = cases

    assert (d1.state, d1.lead_unit_id, d1.deadline) == (State.ASSIGNED, world.branch_b.id, date(2027, 3, 31))
    assert [u.organisation_id for u in d1.co_units] == [world.department.id]
    assert (d1.region_id, d1.category, d1.finding) == (world.town_b.id, Category.WATER, Finding.TRUE)
    assert d1.title == "东王庄村生活污水直排入河"
    assert d1.description == "东王庄村生活污水直排入河。村内无污水收集管网。"
    assert (d1.investigation, d1.handling, d1.accountable_persons) == (
        "经核查属实",
        "已铺设管网2公里",
        "村主任诫勉谈话",
    )

    # No unit: registered, with the row's deadline; several kinds filed under the first; 基本属实 counts as true.
    assert (d2.state, d2.lead_unit_id, d2.deadline) == (State.REGISTERED, None, date(2027, 6, 30))
    assert (d2.region_id, d2.category, d2.finding) == (world.town_a.id, Category.AIR, Finding.TRUE)
    assert len(d2.title) == 300 and d2.title.endswith("\u2026") and d2.description == LONG

    # No deadline in the row: the batch's.
    assert (d3.state, d3.lead_unit_id, d3.deadline, d3.region_id) == (
        State.ASSIGNED,
        world.department.id,
        BATCH_DEADLINE,
        world.county_a.id,
    )
    assert (d4.region_id, d4.finding, d4.deadline) == (world.village_b.id, Finding.PARTLY, date(2026, 12, 1))
    kinds = [e.kind.value for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == d1.id))]
    assert kinds == ["registered", "assigned"]


def test_a_broken_sheet_imports_nothing_and_reports_every_problem(db: Session, world: World) -> None:
    header = ["受理编号", "交办问题基本情况", "行政区域", "污染类型", "是否属实", "责任单位", "办结时限"]
    data = xlsx(
        [
            ["第二批交办问题"],
            header,
            ["B1", "一个没有问题的行", "临河县", "水", "属实", None, None],
            ["B2", "未知区域", "东湖区", "大气", "属实", None, None],
            ["B3", "是否属实写错", "清源区", "水", "属实吗", None, None],
            ["B4", "日期写错", "临河县", "水", None, "临河县分局", "下月底"],
            ["B1", "", "清源市", "光污染", None, "清源市水利局", None],
            ["B6", "时限已过", "临河县", "水", None, "临河县分局", date(2026, 1, 1)],
        ]
    )
    before = count(db, Case)
    report = run_import(db, world, data, deadline=None)

    assert not report.ok and report.batch_id is None and report.cases == []
    assert {(p.row, p.column, p.code) for p in report.problems} == {
        (4, "行政区域", "region_unknown"),
        (5, "是否属实", "bad_choice"),
        (6, "办结时限", "bad_date"),
        (6, "办结时限", "deadline_required"),  # a unit is named, and neither the row nor the batch gives a deadline
        (7, "受理编号", "duplicate_row"),
        (7, "交办问题基本情况", "required"),
        (7, "行政区域", "region_too_coarse"),
        (7, "污染类型", "bad_choice"),
        (7, "责任单位", "unit_unknown"),
        (8, "办结时限", "deadline_in_past"),
    }
    duplicate = next(p for p in report.problems if p.code == "duplicate_row")
    assert duplicate.value == "3" and duplicate.describe() == "row 7 受理编号: duplicate_row 3"
    assert count(db, Case) == before and count(db, SupervisionBatch) == 0


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"not a workbook", (0, "", "bad_file")),
        (xlsx([["受理编号", "交办问题基本情况", "污染类型"], ["X1", "问题", "水"]]), (1, "行政区域", "column_missing")),
        (xlsx([["受理编号", "问题"], ["X1", "问题"]]), (0, "交办问题基本情况", "column_missing")),
        (xlsx([["交办问题基本情况", "行政区域", "污染类型"]]), (0, "", "no_rows")),
        (crafted_xlsx('<row r="1"><c r="A1"><v>1</v></c></row><row r="900000"/>'), (0, "", "sheet_rows")),
        (crafted_xlsx('<row r="1"><c r="XFD1"><v>1</v></c></row>'), (0, "", "sheet_columns")),
    ],
)
def test_a_sheet_that_cannot_be_read(db: Session, world: World, data: bytes, problem: tuple[int, str, str]) -> None:
    report = run_import(db, world, data)
    assert [(p.row, p.column, p.code) for p in report.problems] == [problem]


def test_batch_arguments_are_checked(db: Session, world: World) -> None:
    report = run_import(
        db, world, good_sheet(), code=" ", name="", source=CaseSource.COMPLAINT, deadline=date(2026, 1, 1)
    )
    assert {p.code for p in report.problems} == {
        "batch_code_missing",
        "batch_name_missing",
        "batch_source",
        "batch_deadline_before_received",
        # The batch deadline reaches the rows that name a unit without a deadline of their own.
        "deadline_in_past",
    }


def test_importing_the_same_batch_again_is_refused(db: Session, world: World) -> None:
    assert run_import(db, world, good_sheet()).ok
    cases = count(db, Case)
    again = run_import(db, world, good_sheet())
    assert [(p.row, p.code, p.value) for p in again.problems] == [(0, "batch_exists", "ZY3-2026-01")]
    assert count(db, Case) == cases and count(db, SupervisionBatch) == 1


def test_who_may_import_what(db: Session, world: World) -> None:
    with pytest.raises(CaseError) as refused:
        run_import(db, world, good_sheet(), who="department")
    assert refused.value.code == "not_allowed"
    # A branch names only its county's regions and units: county B's rows are unknown to branch A.
    report = run_import(db, world, good_sheet(), who="branch_a")
    assert {(p.row, p.code) for p in report.problems} == {
        (3, "region_unknown"),
        (3, "unit_unknown"),
        (6, "unit_unknown"),  # the city's department is not a unit branch A assigns to
        (7, "region_unknown"),
        (7, "unit_unknown"),
    }


def test_the_example_workbook_imports(db: Session, world: World) -> None:
    report = run_import(db, world, example_workbook(TODAY), code="EXAMPLE")
    assert report.ok, [p.describe() for p in report.problems]
    assert [(c.row, c.assigned, c.claimed) for c in report.cases] == [
        (3, True, "in_progress"),
        (4, False, None),
        (5, False, "basically_completed"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("问题一。问题二。", "问题一"),
        ("问题一！其余", "问题一"),
        ("问题一;其余", "问题一"),
        ("。开头就是句号", "。开头就是句号"),
        ("没有句号", "没有句号"),
    ],
)
def test_a_title_is_the_first_sentence(text: str, expected: str) -> None:
    assert title_of(text) == expected


@contextmanager
def statements(db: Session) -> Iterator[list[str]]:
    """The SQL statements the session runs inside the block."""
    seen: list[str] = []
    connection = db.connection()

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)


def test_progress_as_cases_move_through_the_workflow(db: Session, world: World) -> None:
    report = run_import(db, world, good_sheet())
    d1, d2, d3, d4 = (db.get(Case, c.case_id) for c in report.cases)
    assert d1 and d2 and d3 and d4
    assert batch_progress(db, world.principal(db, "analyst"), report.batch_id or 0) == Progress(total=4, in_progress=4)

    def step(case: Case, who: str, action: Action, **kwargs: Any) -> None:
        act(db, case, acting(db, world, who), action, seen_version=case.version, now=NOW, **kwargs)

    step(d3, "department", Action.ACCEPT)
    step(d3, "department", Action.REPORT)
    step(d3, "analyst", Action.START_VERIFICATION)
    step(d3, "analyst", Action.PASS)  # 已完成
    step(d1, "branch_b", Action.ACCEPT)
    step(d1, "branch_b", Action.REPORT)  # 基本完成
    step(d4, "branch_b", Action.ACCEPT)  # 整改中, and overdue after its deadline
    step(d2, "analyst", Action.MERGE, reason="与D3为同一问题", merge_into=d3)
    later = date(2026, 12, 5)
    escalate(db, datetime(2026, 12, 5, 1, tzinfo=UTC), later, EscalationPolicy())
    assert d4.overdue

    batch_id = report.batch_id or 0
    analyst = world.principal(db, "analyst")
    with statements(db) as seen:
        progress = batch_progress(db, analyst, batch_id)
    assert len(seen) == 1
    assert progress == Progress(total=3, completed=1, basically_completed=1, in_progress=1, overdue=1, merged=1)
    assert progress.rate == Decimal("33.3")
    # A branch counts its county's cases of the batch.
    assert batch_progress(db, world.principal(db, "branch_a"), batch_id) == Progress(total=1, completed=1, merged=1)
    assert batch_progress(db, world.principal(db, "branch_b"), batch_id) == Progress(
        total=2, basically_completed=1, in_progress=1, overdue=1
    )
    # Batches are the bureau's bookkeeping: a department does not see them, nor a batch that does not exist.
    assert batch_progress(db, world.principal(db, "department"), batch_id) is None
    assert batch_progress(db, world.principal(db, "analyst"), batch_id + 1) is None

    empty = SupervisionBatch(
        code="SJ-2026-02", name="省级督察第二批", source=CaseSource.PROVINCIAL_SUPERVISION, received_on=TODAY
    )
    db.add(empty)
    db.flush()
    with statements(db) as seen:
        every = batch_progresses(db, analyst)
    assert len(seen) == 1
    assert [(b.batch.code, b.progress) for b in every] == [
        ("SJ-2026-02", Progress()),
        ("ZY3-2026-01", progress),
    ]
    assert Progress().rate is None
    assert batch_progresses(db, world.principal(db, "department")) == []
