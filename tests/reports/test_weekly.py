"""The weekly notice on planted results of two weeks and planted cases: a county that moves from last to third, the
ranking in the .docx and the .xlsx equal to the engine's, the last counties and the most improved named, the cases
of each unit as they stood at the week's end and the complaints of each county."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import docx
import openpyxl
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.cases.enums import CaseSource, Category, EventKind
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.cases.workflow import State
from ecoloop.identity.models import Organisation
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.service import add_region
from ecoloop.reports import service
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.periods import parse_period
from ecoloop.results import periods, rankings
from ecoloop.results.air import AIR_DAY_AREA
from ecoloop.results.queries import ResultReads
from tests.conftest import make_settings
from tests.factories import World, plant_results
from tests.reports.test_service import _reads

WEEK = parse_period(ReportKind.WEEKLY, "2026-W49")  # Monday 30 November to Sunday 6 December 2026
PREVIOUS = WEEK.previous()
# PM2.5 of each county in the previous week and this week (every other item equal): county E is last (5th), then
# third; C and D fall one place each.
PM25 = {"A": (30, 30), "B": (40, 40), "C": (50, 50), "D": (60, 60), "E": (70, 45)}
TOWN_PM25 = {"a": 80, "b": 20}


def _day_row(region_id: int, day: date, pm25: float) -> dict[str, Any]:
    aqi = round(pm25 * 1.4)
    return {
        "region_id": region_id, "day": day, "stations": 2, "SO2_24h": 8.0, "NO2_24h": 30.0, "PM10_24h": 70.0,
        "PM2_5_24h": float(pm25), "CO_24h": 0.8, "O3_8h": 100.0, "O3_1h": 120.0, "aqi": aqi,
        "level": 1 if aqi <= 50 else 2 if aqi <= 100 else 3, "complete": True,
    }  # fmt: skip


def _plant_air(root: Path, world: World, counties: dict[str, Region]) -> None:
    rows = []
    for n in range(7):
        before, now, year_ago = (
            PREVIOUS.first + timedelta(n),
            WEEK.first + timedelta(n),
            date(2025, 11, 30) + timedelta(n),
        )
        for key, (pm_before, pm_now) in PM25.items():
            rows += [
                _day_row(counties[key].id, before, pm_before),
                _day_row(counties[key].id, now, pm_now),
                _day_row(counties[key].id, year_ago, 50),
            ]
        for town, pm in ((world.town_a, TOWN_PM25["a"]), (world.town_b, TOWN_PM25["b"])):
            rows += [_day_row(town.id, before, pm), _day_row(town.id, now, pm)]
        rows.append(_day_row(world.city.id, now, 48))
    plant_results(root, AIR_DAY_AREA, rows)
    periods.clear_cache()


def _counties(db: Session, world: World) -> dict[str, Region]:
    set_actor(db, Actor(label="test"))
    more = {
        key: add_region(db, code=code, name=name, level=RegionLevel.COUNTY, parent=world.city)
        for key, code, name in (("C", "371822", "北山县"), ("D", "371823", "南湖县"), ("E", "371824", "西岭县"))
    }
    return {"A": world.county_a, "B": world.county_b, **more}


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def _case(
    db: Session, n: int, region: Region, unit: Organisation, events: list[tuple[datetime, EventKind, State | None]],
    *, source: CaseSource = CaseSource.INSPECTION,
) -> Case:  # fmt: skip
    """A case whose timeline is `events` (at, kind, state after); its current state the last one's."""
    states = [s for _at, _k, s in events if s is not None]
    closed = [at for at, kind, _s in events if kind is EventKind.PASSED]
    case = Case(
        number=f"AJ2026-{n:06d}", source=source, category=Category.AIR, title=f"case {n}", region_id=region.id,
        state=states[-1], lead_unit_id=unit.id, deadline=WEEK.first, closed_at=closed[-1] if closed else None,
        overdue=any(k is EventKind.OVERDUE for _a, k, _s in events),
    )  # fmt: skip
    db.add(case)
    db.flush()
    for at, kind, state in events:
        db.add(CaseEvent(case_id=case.id, at=at, kind=kind, actor_label="test", to_state=state))
    db.flush()
    return case


def _plant_cases(db: Session, world: World) -> None:
    last, this, next_ = PREVIOUS.first, WEEK.first, WEEK.last + timedelta(days=1)
    reg, assign = (EventKind.REGISTERED, State.REGISTERED), (EventKind.ASSIGNED, State.ASSIGNED)
    passed = (EventKind.PASSED, State.CLOSED)
    a, b, dept = world.branch_a, world.branch_b, world.department
    # A: overdue on Wednesday and supervised on Thursday of the week: open, overdue, one 督办.
    overdue, supervised = (EventKind.OVERDUE, None), (EventKind.SUPERVISED, None)
    _case(db, 1, world.town_a, a, [(_at(last), *reg), (_at(last), *assign), (_at(this + timedelta(2)), *overdue),
          (_at(this + timedelta(3)), *supervised)])  # fmt: skip
    # A: registered and closed in the week.
    _case(db, 2, world.town_a, a, [(_at(this), *reg), (_at(this), *assign), (_at(this + timedelta(4)), *passed)])
    # B: overdue last week, its deadline extended this week: open, no longer overdue.
    _case(db, 3, world.town_b, b, [(_at(last), *reg), (_at(last), *assign), (_at(last + timedelta(3)),
          EventKind.OVERDUE, None), (_at(this + timedelta(1)), EventKind.DEADLINE_EXTENDED, None)])  # fmt: skip
    # B: closed only after the week: open at its end although closed now.
    _case(db, 4, world.town_b, b, [(_at(this), *reg), (_at(this), *assign), (_at(next_), *passed)])
    # The department: registered after the week, nothing to count.
    _case(db, 5, world.town_a, dept, [(_at(next_), *reg), (_at(next_), *assign)])
    # Complaints: one received in county A (still open), one of county B received last week and closed this week.
    _case(db, 6, world.village_a, a, [(_at(this + timedelta(5)), *reg), (_at(this + timedelta(5)), *assign)],
          source=CaseSource.COMPLAINT)  # fmt: skip
    _case(db, 7, world.town_b, b, [(_at(last), *reg), (_at(last), *assign), (_at(this + timedelta(6)), *passed)],
          source=CaseSource.COMPLAINT)  # fmt: skip


def _tables(data: bytes) -> list[list[list[str]]]:
    document = docx.Document(io.BytesIO(data))
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


def _text(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def _engine_ranking(reads: ResultReads, counties: dict[str, Region]) -> list[rankings.Row]:
    """The ranking as the rankings page computes it for the from-to period of the week."""
    week = periods.range_period(WEEK.first, WEEK.last)
    ids = [c.id for c in counties.values()]
    con = reads.lazy_con()
    changes = periods.compared(con, reads.root, "areas", week, ids)
    before = week.previous()
    assert before is not None
    previous = periods.compared(con, reads.root, "areas", before, ids)
    subjects = [rankings.Subject(c.id, c.code, c.name) for c in sorted(counties.values(), key=lambda c: c.code)]
    return rankings.rank_rows(subjects, changes, "composite", previous)


def test_a_weekly_notice_ranks_the_counties_with_their_movement_and_counts_the_cases(
    db: Session, world: World, tmp_path: Path
) -> None:
    counties = _counties(db, world)
    _plant_cases(db, world)
    settings = make_settings(tmp_path)
    with _reads(tmp_path) as reads:
        _plant_air(reads.root, world, counties)
        (report,) = service.generate(db, tmp_path, reads, settings.tz, WEEK, service.Generator("分析员"))
        engine = _engine_ranking(reads, counties)
    root = service.reports_root(tmp_path)
    document = (root / report.docx_file).read_bytes()
    county_table, pollution_table, town_table, unit_table, complaint_table = _tables(document)

    # The planted movement: E from last to third, C and D one place down; the previous week's ranks.
    names = {c.id: key for key, c in counties.items()}
    assert [(names[r.subject.id], r.rank, r.previous_rank) for r in engine] == [
        ("A", 1, 1), ("B", 2, 2), ("E", 3, 5), ("C", 4, 3), ("D", 5, 4),
    ]  # fmt: skip
    assert county_table[0] == [
        "县（市、区）", "排名", "综合指数", "上周排名", "名次变化", "去年同期排名", "综合指数同比变化（%）",
    ]  # fmt: skip
    assert county_table[1:] == [
        [
            r.subject.name, str(r.rank), str(r.change.now.composite_index), str(r.previous_rank),
            {0: "持平", 2: "上升2位", -1: "下降1位"}[r.movement or 0], "1", str(r.change.composite_rate),
        ]
        for r in engine if r.change.now is not None
    ]  # fmt: skip
    by_pm25 = sorted(engine, key=lambda r: (r.ranks["pm25"] or 0, r.subject.code))
    assert [row[:3] for row in pollution_table[1:]] == [
        [r.subject.name, str(r.ranks["pm25"]), str(r.change.now.pm25)] for r in by_pm25 if r.change.now is not None
    ]
    assert [row[5] for row in pollution_table[1:]] == [str(r.change.now.good_ratio) for r in by_pm25 if r.change.now]

    sheet = openpyxl.load_workbook(root / report.xlsx_file, data_only=True).worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [row[:3] for row in cells] == [
        [r.subject.name, r.rank, float(r.change.now.composite_index)] for r in engine if r.change.now is not None
    ]
    assert [row[3] for row in cells] == [1, 2, 5, 3, 4]

    text = _text(document)
    assert "综合指数排名后3位的县（市、区）依次为（自末位起）：南湖县、北山县、西岭县。" in text
    assert "排名上升最多的是西岭县，由上周第5位升至第3位。" in text
    assert "综合指数排名后1位的乡镇（街道）依次为（自末位起）：湖滨街道（清源区）。" in text
    assert [row[:2] for row in town_table[1:]] == [["柳林镇", "临河县"], ["湖滨街道", "清源区"]]

    # The cases as they stood at the week's end (by unit name), and the complaints by county.
    assert unit_table[1:] == [["临河县分局", "2", "0", "0", "1"], ["清源区分局", "2", "1", "1", "1"]]
    assert "本周下发督办单1份，办结案件2件；截至周末在办案件4件，其中逾期1件。" in text
    assert complaint_table[1:] == [
        ["清源区", "1", "0"], ["临河县", "0", "1"], ["北山县", "0", "0"], ["南湖县", "0", "0"], ["西岭县", "0", "0"],
    ]  # fmt: skip
    assert "本周受理群众举报1件，办结1件。" in text
    book = openpyxl.load_workbook(root / report.xlsx_file, data_only=True)
    units = [[c.value for c in row] for row in book.worksheets[3].iter_rows(min_row=2)]
    assert units == [["临河县分局", 2, 0, 0, 1], ["清源区分局", 2, 1, 1, 1]]
    assert report.title == "2026年第49周空气质量和案件办理情况通报"
    # The default template, downloaded and uploaded back unchanged, is accepted with the brief's content.
    sample = service.sample_content(db, ReportKind.WEEKLY)
    assert sample is not None
    service.check_template(ReportKind.WEEKLY, service.default_template(ReportKind.WEEKLY), sample)


def test_the_last_units_are_never_all_of_them() -> None:
    from ecoloop.reports.weekly import bottom

    def row(n: int, rank: int | None) -> rankings.Row:
        empty = periods.Change(None, None, None, None, None)
        subject = rankings.Subject(n, str(n), str(n))
        return rankings.Row(subject, empty, rank, {}, None, None, None, None, None, None)

    rows = [row(1, 1), row(2, 2), row(3, 2), row(4, None)]
    assert [r.subject.id for r in bottom(rows, 3)] == [3, 2]  # the unranked is not last; one stays above
    assert bottom(rows[:1], 3) == []


def test_a_week_without_results_or_cases_still_makes_a_notice(db: Session, world: World, tmp_path: Path) -> None:
    with _reads(tmp_path) as reads:
        (report,) = service.generate(db, tmp_path, reads, make_settings(tmp_path).tz, WEEK, service.Generator("系统"))
    document = (service.reports_root(tmp_path) / report.docx_file).read_bytes()
    county_table, _pollution, _towns, unit_table, complaint_table = _tables(document)
    assert [row[:3] for row in county_table[1:]] == [["清源区", "—", "—"], ["临河县", "—", "—"]]
    assert unit_table[1:] == []
    assert complaint_table[1:] == [["清源区", "0", "0"], ["临河县", "0", "0"]]
    text = _text(document)
    assert "本周没有县（市、区）排名上升。" in text
    assert "综合指数排名后" not in text
