"""Rectification ledgers: which cases a period takes, their rows, the figures per county, scoping, and the
workbook read back with openpyxl."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import event
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.cases.enums import CaseSource, Category, Finding
from ecoloop.cases.ledger import LEDGER_HEADER, SUMMARY_HEADER, CountyLedger, Ledger, LedgerRow, ledger, ledger_workbook
from ecoloop.cases.models import Case
from ecoloop.cases.progress import Progress
from ecoloop.cases.rules import EscalationPolicy
from ecoloop.cases.service import Acting, act, escalate, register_case
from ecoloop.cases.workflow import Action, State
from ecoloop.i18n import gettext
from ecoloop.regions.models import Region
from tests.factories import World

TZ = ZoneInfo("Asia/Shanghai")
START, END = date(2026, 1, 1), date(2026, 12, 31)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def acting(db: Session, world: World, name: str) -> Acting:
    user = world.users[name]
    set_actor(db, Actor(label=user.username, user_id=user.id))
    return Acting(user, world.principal(db, name))


def new_case(db: Session, world: World, region: Region, when: datetime, **fields: Any) -> Case:
    values: dict[str, Any] = {"source": CaseSource.INSPECTION, "category": Category.WATER, "title": "问题"} | fields
    return register_case(db, acting(db, world, "analyst"), region=region, now=when, **values)


def step(db: Session, world: World, case: Case, who: str, action: Action, when: datetime, **kwargs: Any) -> None:
    act(db, case, acting(db, world, who), action, seen_version=case.version, now=when, **kwargs)


def close(db: Session, world: World, case: Case, registered: date, closed: date) -> None:
    step(db, world, case, "analyst", Action.ASSIGN, at(registered), unit=world.department, deadline=closed)
    step(db, world, case, "department", Action.ACCEPT, at(registered))
    step(db, world, case, "department", Action.REPORT, at(closed))
    step(db, world, case, "analyst", Action.START_VERIFICATION, at(closed))
    step(db, world, case, "analyst", Action.PASS, at(closed, 10))


@pytest.fixture
def cases(db: Session, world: World) -> dict[str, Case]:
    """Cases of both counties and of the city, in every progress class, in and out of the year 2026."""
    made: dict[str, Case] = {}
    # Closed before the year: not in its ledger.
    made["a_old"] = new_case(db, world, world.county_a, at(date(2025, 1, 10)), title="旧问题")
    close(db, world, made["a_old"], date(2025, 1, 10), date(2025, 6, 1))
    # Registered 2025-12-31 17:00 UTC, which is New Year's Day in the bureau's time zone; overdue.
    made["a_late"] = new_case(db, world, world.town_a, datetime(2025, 12, 31, 17, tzinfo=UTC), title="逾期问题")
    step(db, world, made["a_late"], "analyst", Action.ASSIGN, at(date(2026, 1, 2)), unit=world.department,
         deadline=date(2026, 2, 1))  # fmt: skip
    step(db, world, made["a_late"], "department", Action.ACCEPT, at(date(2026, 1, 3)))
    escalate(db, at(date(2026, 2, 5)), date(2026, 2, 5), EscalationPolicy())
    # Registered in 2025 and still open: carried over.
    made["a_carried"] = new_case(db, world, world.county_a, at(date(2025, 6, 1)), title="结转问题")
    # Closed within the year.
    made["a_closed"] = new_case(db, world, world.village_a, at(date(2026, 3, 1)), title="已销号问题")
    close(db, world, made["a_closed"], date(2026, 3, 1), date(2026, 6, 1))
    made["b_reported"] = new_case(
        db, world, world.village_b, at(date(2026, 2, 1)), title="东王庄村生活污水直排", external_ref="D7",
        source=CaseSource.CENTRAL_SUPERVISION, enterprise_id=world.enterprise_b.id, responsible_leader="王副县长",
    )  # fmt: skip
    b = made["b_reported"]
    b.finding, b.handling, b.accountable_persons = Finding.PARTLY, "已铺设管网", "村主任诫勉谈话"
    step(db, world, b, "analyst", Action.ASSIGN, at(date(2026, 2, 2)), unit=world.branch_b,
         deadline=date(2026, 12, 31), co_units=[world.department])  # fmt: skip
    step(db, world, b, "branch_b", Action.ACCEPT, at(date(2026, 2, 3)))
    step(db, world, b, "branch_b", Action.REPORT, at(date(2026, 5, 3)))
    # Registered after the year, and a duplicate merged: neither is in the ledger.
    made["b_next_year"] = new_case(db, world, world.county_b, at(date(2027, 1, 5)))
    made["b_merged"] = new_case(db, world, world.county_b, at(date(2026, 3, 5)))
    step(db, world, made["b_merged"], "analyst", Action.MERGE, at(date(2026, 3, 6)), reason="重复", merge_into=b)
    # A problem of the city as a whole.
    made["city"] = new_case(db, world, world.city, at(date(2026, 4, 1)), title="全市问题")
    return made


def test_the_rows_and_figures_of_a_city_ledger(db: Session, world: World, cases: dict[str, Case]) -> None:
    analyst = world.principal(db, "analyst")
    seen: list[str] = []
    connection = db.connection()

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    result = ledger(db, analyst, world.city, start=START, end=END, tz=TZ)
    event.remove(connection, "before_cursor_execute", record)
    assert len(seen) <= 5  # counties, cases (and their co-unit rows), region names, co-unit names

    assert (result.city, result.region, result.start, result.end) == ("清源市", "清源市", START, END)
    assert [(part.name, [r.title for r in part.rows]) for part in result.counties] == [
        ("清源区", ["结转问题", "逾期问题", "已销号问题"]),
        ("临河县", ["东王庄村生活污水直排"]),
        ("市本级", ["全市问题"]),
    ]
    county_a, county_b, city = result.counties
    assert county_a.code == "371802" and county_b.code == "371821" and city.code == ""
    assert county_a.progress == Progress(total=3, completed=1, in_progress=2, overdue=1)
    assert county_b.progress == Progress(total=1, basically_completed=1)
    assert result.total == Progress(total=5, completed=1, basically_completed=1, in_progress=3, overdue=1)

    carried, late, closed = county_a.rows
    assert (carried.registered_on, carried.state, carried.lead_unit, carried.deadline) == (
        date(2025, 6, 1),
        State.REGISTERED,
        "",
        None,
    )
    assert (late.registered_on, late.county, late.town, late.village) == (date(2026, 1, 1), "清源区", "湖滨街道", "")
    assert (late.state, late.progress, late.overdue, late.lead_unit) == (
        State.RECTIFYING,
        "in_progress",
        True,
        "清源市住房和城乡建设局",
    )
    assert (closed.state, closed.progress, closed.closed_on) == (State.CLOSED, "completed", date(2026, 6, 1))
    [row] = county_b.rows
    assert (row.number, row.external_ref, row.source, row.category) == (
        cases["b_reported"].number,
        "D7",
        CaseSource.CENTRAL_SUPERVISION,
        Category.WATER,
    )
    assert (row.county, row.town, row.village, row.enterprise) == (
        "临河县",
        "柳林镇",
        "东王庄村委会",
        "临河县鑫源化工有限公司",
    )
    assert (row.lead_unit, row.co_units, row.responsible_leader) == (
        "临河县分局",
        ("清源市住房和城乡建设局",),
        "王副县长",
    )
    assert (row.registered_on, row.deadline, row.state, row.progress, row.closed_on) == (
        date(2026, 2, 1),
        date(2026, 12, 31),
        State.REPORTED,
        "basically_completed",
        None,
    )
    assert (row.finding, row.handling, row.accountable_persons) == (Finding.PARTLY, "已铺设管网", "村主任诫勉谈话")
    assert county_a.progress.rate == Decimal("33.3") and county_b.progress.rate == Decimal("0.0")


def test_a_county_ledger_and_scoping(db: Session, world: World, cases: dict[str, Case]) -> None:
    county = ledger(db, world.principal(db, "analyst"), world.county_b, start=START, end=END, tz=TZ)
    assert (county.city, county.region) == ("清源市", "临河县")
    assert [(part.name, len(part.rows)) for part in county.counties] == [("临河县", 1)]
    # A branch asking for the city's ledger gets its county's part.
    branch = ledger(db, world.principal(db, "branch_a"), world.city, start=START, end=END, tz=TZ)
    assert [(part.name, len(part.rows)) for part in branch.counties] == [("清源区", 3)]
    assert branch.total.total == 3
    # A department sees the cases it leads or helps with, wherever they are.
    department = ledger(db, world.principal(db, "department"), world.city, start=START, end=END, tz=TZ)
    assert [(part.name, [r.title for r in part.rows]) for part in department.counties] == [
        ("清源区", ["逾期问题", "已销号问题"]),
        ("临河县", ["东王庄村生活污水直排"]),
    ]
    # One day: the cases open on it.
    day = ledger(db, world.principal(db, "analyst"), world.city, start=date(2026, 6, 2), end=date(2026, 6, 2), tz=TZ)
    titles = {r.title for part in day.counties for r in part.rows}
    assert titles == {"结转问题", "逾期问题", "东王庄村生活污水直排", "全市问题"}  # 已销号问题 closed the day before
    with pytest.raises(ValueError):
        ledger(db, world.principal(db, "analyst"), world.town_a, start=START, end=END, tz=TZ)
    with pytest.raises(ValueError):
        ledger(db, world.principal(db, "analyst"), world.city, start=END, end=START, tz=TZ)


def test_the_workbook(db: Session, world: World, cases: dict[str, Case]) -> None:
    result: Ledger = ledger(db, world.principal(db, "analyst"), world.city, start=START, end=END, tz=TZ)
    book = load_workbook(io.BytesIO(ledger_workbook(result)))

    assert book.sheetnames == ["汇总", "清源区", "临河县", "市本级"]
    summary = book["汇总"]
    assert summary["A1"].value == "清源市生态环境问题整改台账汇总（清源市 2026-01-01至2026-12-31）"
    rows = [tuple(cell.value for cell in row) for row in summary.iter_rows(min_row=2)]
    assert rows == [
        SUMMARY_HEADER,
        (1, "清源区", 3, 1, 0, 2, 1, 33.3),
        (2, "临河县", 1, 0, 1, 0, 0, 0.0),
        (3, "市本级", 1, 0, 0, 1, 0, 0.0),
        (None, "合计", 5, 1, 1, 3, 1, 20.0),
    ]
    sheet = book["临河县"]
    assert sheet["A1"].value == "清源市生态环境问题整改台账（临河县）"
    assert tuple(cell.value for cell in sheet[2]) == LEDGER_HEADER
    assert sheet.freeze_panes == "C3"
    assert sheet.column_dimensions["F"].width == 40
    row = {header: cell for header, cell in zip(LEDGER_HEADER, sheet[3], strict=True)}
    assert row["序号"].value == 1 and row["受理编号"].value == "D7"
    assert (row["问题来源"].value, row["污染类型"].value) == ("中央生态环境保护督察", "水")
    assert (row["办理状态"].value, row["整改进展"].value, row["是否逾期"].value) == ("已申请销号", "基本完成", "否")
    assert (row["配合单位"].value, row["是否属实"].value) == ("清源市住房和城乡建设局", "部分属实")
    assert row["登记日期"].is_date and row["登记日期"].value.date() == date(2026, 2, 1)
    assert row["登记日期"].number_format == "yyyy-mm-dd"
    assert row["整改时限"].value.date() == date(2026, 12, 31) and row["销号日期"].value is None
    assert book["清源区"]["N3"].value.date() == date(2025, 6, 1)


def test_the_ledger_names_states_as_the_pages_do(db: Session, world: World, cases: dict[str, Case]) -> None:
    """Case state names exist once (`State.label`): the ledger said 已交办 where the pages said 已交办待签收."""
    result: Ledger = ledger(db, world.principal(db, "analyst"), world.city, start=START, end=END, tz=TZ)
    book = load_workbook(io.BytesIO(ledger_workbook(result)))
    column = LEDGER_HEADER.index("办理状态")
    shown = {row[column].value for name in book.sheetnames[1:] for row in book[name].iter_rows(min_row=3)}
    assert shown and shown <= {gettext(state.label) for state in State}
    assert gettext(State.ASSIGNED.label) == "已交办待签收"


def test_the_ledger_names_sources_categories_findings_and_progress_as_the_pages_do() -> None:
    """Every name in a ledger cell is its enum's label (`.label`), as pages show it: the ledger kept its own words
    and said 其他 for the source the pages call 其他来源, the pages 生态破坏 for the category the ledger calls 生态."""
    rows = [
        LedgerRow(
            case_id=i,
            number=f"N{i}",
            external_ref="",
            source=list(CaseSource)[i % len(CaseSource)],
            category=list(Category)[i % len(Category)],
            title="t",
            county_code="",
            county="",
            town="",
            village="",
            enterprise="",
            lead_unit="",
            co_units=(),
            responsible_leader="",
            registered_on=date(2026, 1, 1),
            deadline=None,
            state=[State.CLOSED, State.REPORTED, State.RECTIFYING][i % 3],
            overdue=False,
            closed_on=None,
            finding=list(Finding)[i % len(Finding)],
            handling="",
            accountable_persons="",
        )
        for i in range(max(len(CaseSource), len(Category)))
    ]
    part = CountyLedger("", "市本级", tuple(rows), Progress())
    book = load_workbook(io.BytesIO(ledger_workbook(Ledger("清源市", "清源市", START, END, (part,), Progress()))))
    sheet = book[book.sheetnames[1]]
    column = {name: LEDGER_HEADER.index(name) for name in ("问题来源", "污染类型", "是否属实", "整改进展")}
    cells = list(sheet.iter_rows(min_row=3))
    assert len(cells) == len(rows)
    shown = {name: [row[index].value for row in cells] for name, index in column.items()}
    assert shown["问题来源"] == [gettext(row.source.label) for row in rows]
    assert shown["污染类型"] == [gettext(row.category.label) for row in rows]
    assert shown["是否属实"] == [gettext(row.finding.label) if row.finding else "" for row in rows]
    assert shown["整改进展"] == [gettext(row.progress.label) for row in rows]
    assert gettext(CaseSource.OTHER.label) == "其他来源" and gettext(Category.ECOLOGY.label) == "生态"
