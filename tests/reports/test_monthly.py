"""The monthly assessment generated from planted results, targets and cases (`service.generate`): the Word
document's and the workbook's numbers are those worked by hand from the rules (docs/reports-assessment.md), and
each county's own version holds only its own county.

November 2026, two counties (two ranked: first 100 points, second 50):
- air: PM2.5 38 in A and 30 in B, every other item alike (SO2 6, NO2 20, PM10 70, CO 1.0, O3 160): composite
  index 2.85 + 38/35 = 3.94 (A) and 2.85 + 30/35 = 3.71 (B); a year earlier PM2.5 40 in both, 3.99: change rates
  -1.25 % (A) and -7.02 % (B). B ranks first on both.
- water: A's section (target III) is class III (meets; class IV a year earlier: +200,000.00); B's (target II) is
  class III (misses; class II a year earlier: -200,000.00).
- cases due in November: A two, one closed on time, one closed at 01:00 local time the day after its deadline
  (on time in UTC, late in Beijing): 50; B none: 100.
- data quality: A's station has 27 complete days of 30 (90.00), B's 30 (100).
- complaints registered in November: A one (a merged duplicate not counted), B two (one at 01:00 local time on
  1 November, still 31 October in UTC): A first.
- PM2.5 against the target 35: A pays (38 - 35) x 100,000.00, B receives (35 - 30) x 100,000.00.
Totals: A (30x50 + 20x50 + 15x100 + 15x50 + 10x90 + 10x100) / 100 = 66.50, B (3000 + 2000 + 0 + 1500 + 1000 +
500) / 100 = 80.00. In October A ranked first (better air, nothing else different), so B moved up one place.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.scope import scoped
from ecoloop.cases.enums import CaseSource, Category, EventKind
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.cases.workflow import State
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.service import add_site
from ecoloop.regions.models import Region
from ecoloop.reports import service
from ecoloop.reports.config import Config, check
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.models import Report
from ecoloop.reports.periods import parse_period
from ecoloop.results.air import AIR_DAY, AIR_DAY_AREA
from ecoloop.results.models import AirTarget
from ecoloop.results.water import WATER_MONTH, section_row
from ecoloop.standards.water import WaterGrade
from tests.conftest import make_settings
from tests.factories import World, plant_results
from tests.reports.test_service import _reads

ITEMS = {"SO2_24h": 6.0, "NO2_24h": 20.0, "PM10_24h": 70.0, "CO_24h": 1.0, "O3_8h": 160.0, "O3_1h": 180.0}


def _area_days(region: Region, year: int, month: int, pm25: float) -> list[dict[str, Any]]:
    return [
        {"region_id": region.id, "day": date(year, month, d), "stations": 1, **ITEMS, "PM2_5_24h": pm25,
         "aqi": 60, "level": 2, "complete": True}
        for d in (1, 2)
    ]  # fmt: skip


def _plant_air(root: Path, world: World, site_a: int, site_b: int) -> None:
    rows = []
    for year, month, pm_a, pm_b in ((2026, 11, 38.0, 30.0), (2025, 11, 40.0, 40.0), (2026, 10, 30.0, 38.0),
                                    (2025, 10, 40.0, 40.0)):  # fmt: skip
        rows += _area_days(world.county_a, year, month, pm_a) + _area_days(world.county_b, year, month, pm_b)
    plant_results(root, AIR_DAY_AREA, rows)
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(30)]
    stations = [{"site_id": site_a, "day": d, "aqi": 60, "complete": n >= 3} for n, d in enumerate(days)]
    stations += [{"site_id": site_b, "day": d, "aqi": 60, "complete": True} for d in days]
    plant_results(root, AIR_DAY, stations)


def _plant_water(db: Session, root: Path, world: World) -> None:
    water = SiteKind.WATER_STATION
    a = add_site(db, code="wq-a1", name="上游断面", kind=water, region=world.town_a, water_target=WaterGrade.CLASS_III)
    b = add_site(db, code="wq-b1", name="下游断面", kind=water, region=world.town_b, water_target=WaterGrade.CLASS_II)
    iii, ii = WaterGrade.CLASS_III, WaterGrade.CLASS_II
    plant_results(
        root,
        WATER_MONTH,
        [
            section_row(a.id, date(2026, 11, 1), {"NH3_N": (0.8, 700)}, iii),  # class III
            section_row(a.id, date(2025, 11, 1), {"NH3_N": (1.2, 700)}, iii),  # class IV
            section_row(b.id, date(2026, 11, 1), {"NH3_N": (0.8, 700)}, ii),  # class III
            section_row(b.id, date(2025, 11, 1), {"NH3_N": (0.4, 700)}, ii),  # class II
        ],
    )


def _case(db: Session, n: int, region: Region, **fields: Any) -> Case:
    registered = fields.pop("registered", datetime(2026, 11, 3, 2, tzinfo=UTC))
    case = Case(number=f"AJ2026-{n:06d}", category=Category.AIR, title=f"case {n}", region_id=region.id,
                source=fields.pop("source", CaseSource.INSPECTION), **fields)  # fmt: skip
    db.add(case)
    db.flush()
    db.add(CaseEvent(case_id=case.id, at=registered, kind=EventKind.REGISTERED, actor_label="hotline"))
    db.flush()
    return case


def _plant_cases(db: Session, world: World) -> None:
    closed = State.CLOSED
    _case(
        db,
        1,
        world.town_a,
        state=closed,
        deadline=date(2026, 11, 10),
        closed_at=datetime(2026, 11, 10, 15, 30, tzinfo=UTC),
    )
    _case(
        db,
        2,
        world.village_a,
        state=closed,
        deadline=date(2026, 11, 20),
        closed_at=datetime(2026, 11, 20, 17, tzinfo=UTC),
    )
    _case(db, 3, world.county_b, state=State.RECTIFYING, deadline=date(2026, 12, 5))  # due next month
    complaint = CaseSource.COMPLAINT
    _case(db, 4, world.village_a, source=complaint, state=State.REGISTERED)
    _case(db, 5, world.village_a, source=complaint, state=State.MERGED)
    _case(db, 6, world.town_b, source=complaint, state=State.REGISTERED)
    _case(
        db, 7, world.town_b, source=complaint, state=State.ASSIGNED, registered=datetime(2026, 10, 31, 17, tzinfo=UTC)
    )
    _case(
        db, 8, world.town_b, source=complaint, state=State.ASSIGNED, registered=datetime(2026, 10, 31, 15, tzinfo=UTC)
    )


def _plant(db: Session, root: Path, world: World) -> None:
    site_a = add_site(db, code="air-a", name="湖滨站", kind=SiteKind.AIR_STATION, region=world.town_a)
    site_b = add_site(db, code="air-b", name="柳林站", kind=SiteKind.AIR_STATION, region=world.town_b)
    _plant_air(root, world, site_a.id, site_b.id)
    _plant_water(db, root, world)
    _plant_cases(db, world)
    for county in (world.county_a, world.county_b):
        db.add(AirTarget(region_id=county.id, year=2026, good_ratio_target=Decimal("80.0"), pm25_target=35))
    db.flush()


def _tables(data: bytes) -> list[list[list[str]]]:
    """The document's tables: ranks, component scores, weights, compensation by county, amounts; the two score
    tables put together again as one row per county (name, components, total, rank, change)."""
    found = [[[c.text for c in row.cells] for row in t.rows] for t in docx.Document(io.BytesIO(data)).tables]
    ranks, components, *rest = found
    assert [r[0] for r in ranks] == [r[0] for r in components]
    return [[c + r[1:] for r, c in zip(ranks, components, strict=True)], *rest]


def _sheets(path: Path) -> dict[str, list[list[Any]]]:
    book = openpyxl.load_workbook(path, data_only=True)
    return {s.title: [[c.value for c in row] for row in s.iter_rows()] for s in book.worksheets}


SCORE_B = ["临河县", "100.00", "100.00", "0.00", "100.00", "100.00", "50.00", "80.00", "1", "1"]
SCORE_A = ["清源区", "50.00", "50.00", "100.00", "50.00", "90.00", "100.00", "66.50", "2", "-1"]


def test_the_monthly_assessment_is_the_rules_result_for_the_city_and_each_county(
    db: Session, world: World, tmp_path: Path
) -> None:
    with _reads(tmp_path) as reads:
        _plant(db, reads.root, world)
        period = parse_period(ReportKind.MONTHLY, "2026-11")
        made = service.generate(db, tmp_path, reads, make_settings(tmp_path).tz, period, service.Generator("考核员"))
    root = service.reports_root(tmp_path)
    assert [r.region_id for r in made] == [world.city.id, world.county_a.id, world.county_b.id]
    city, own_a, own_b = made
    assert (city.internal, own_a.internal, own_b.internal) == (True, False, False)  # the defaults keep it internal

    scores, weights, balance, compensation = _tables((root / city.docx_file).read_bytes())
    assert scores[1:] == [SCORE_B, SCORE_A]
    assert [r[1] for r in weights[1:]] == ["30", "20", "15", "15", "10", "10"]
    assert balance[1:] == [
        ["临河县", "500,000.00", "200,000.00", "300,000.00"],
        ["清源区", "200,000.00", "300,000.00", "-100,000.00"],
    ]
    assert [(r[0], r[1], r[2]) for r in compensation[1:]] == [
        ("临河县：PM2.5", "500,000.00", "（35−30）µg/m³ × 100,000.00元/（µg/m³）= 500,000.00元，获得"),
        ("临河县：下游断面", "-200,000.00", "去年同期Ⅱ类、本月Ⅲ类：（3−2）级 × 200,000.00元/级 = 200,000.00元，缴纳"),
        ("清源区：PM2.5", "-300,000.00", "（38−35）µg/m³ × 100,000.00元/（µg/m³）= 300,000.00元，缴纳"),
        ("清源区：上游断面", "200,000.00", "去年同期Ⅳ类、本月Ⅲ类：（4−3）级 × 200,000.00元/级 = 200,000.00元，获得"),
    ]  # fmt: skip
    text = "\n".join(p.text for p in docx.Document(io.BytesIO((root / city.docx_file).read_bytes())).paragraphs)
    assert "2026年11月共考核2个县（区），临河县以80.00分排名第一。" in text
    assert text.startswith("内部资料")

    sheets = _sheets(root / city.xlsx_file)
    score_sheet = sheets["考核得分"]
    assert score_sheet[1] == ["临河县", 100, 100, 0, 100, 100, 50, 80, 1, 1]
    assert score_sheet[2] == ["清源区", 50, 50, 100, 50, 90, 100, 66.5, 2, -1]
    assert [r[4] for r in sheets["生态补偿明细"][1:]] == [500000, -200000, -300000, 200000]

    for own, row, county in ((own_a, SCORE_A, "清源区"), (own_b, SCORE_B, "临河县")):
        scores, _weights, balance, compensation = _tables((root / own.docx_file).read_bytes())
        assert scores[1:] == [row]
        assert [r[0] for r in balance[1:]] == [county]
        assert all(r[0].startswith(county) for r in compensation[1:]) and len(compensation) == 3
        sheets = _sheets(root / own.xlsx_file)
        assert [r[0] for r in sheets["考核得分"][1:]] == [county]
        other = "临河县" if county == "清源区" else "清源区"
        assert all(other not in str(v) for rows in sheets.values() for r in rows for v in r)

    # Who reads which: the bureau every version, a branch its own county's only (the city's is internal).
    def readable(user: str) -> set[int]:
        stmt = scoped(select(Report.region_id), world.principal(db, user), Report)
        return set(db.scalars(stmt))

    assert readable("analyst") == {world.city.id, world.county_a.id, world.county_b.id}
    assert readable("branch_a") == {world.county_a.id}
    assert readable("branch_b") == {world.county_b.id}


def test_the_settings_in_force_at_the_months_end_are_used(db: Session, world: World, tmp_path: Path) -> None:
    who = service.Generator("考核员")
    halved = check({"pm25_penalty": "50000", "weights": {"air_quality": "0", "improvement": "0"}, "internal": []})
    service.save_config(db, who, date(2026, 11, 30), halved)
    service.save_config(db, who, date(2026, 12, 1), Config())  # from the next month on: not this brief's
    with _reads(tmp_path) as reads:
        _plant(db, reads.root, world)
        period = parse_period(ReportKind.MONTHLY, "2026-11")
        city, *_own = service.generate(db, tmp_path, reads, make_settings(tmp_path).tz, period, who)
    scores, weights, _balance, compensation = _tables((service.reports_root(tmp_path) / city.docx_file).read_bytes())
    assert not city.internal
    assert [r[1] for r in weights[1:]] == ["0", "0", "15", "15", "10", "10"]
    # Without air quality and improvement: A (15x100 + 15x50 + 10x90 + 10x100) / 50 = 83.00, B (0 + 1500 + 1000 +
    # 500) / 50 = 60.00; A first now. In October (the same weights) A led too: no change.
    assert [(r[0], r[7], r[8], r[9]) for r in scores[1:]] == [
        ("清源区", "83.00", "1", "0"),
        ("临河县", "60.00", "2", "0"),
    ]
    assert compensation[1][:2] == ["清源区：PM2.5", "-150,000.00"]  # (38 - 35) x 50,000.00


def test_a_month_without_results_or_cases_is_still_written(db: Session, world: World, tmp_path: Path) -> None:
    with _reads(tmp_path) as reads:
        period = parse_period(ReportKind.MONTHLY, "2026-11")
        made = service.generate(db, tmp_path, reads, make_settings(tmp_path).tz, period, service.Generator("考核员"))
    root = service.reports_root(tmp_path)
    scores, _weights, balance, compensation = _tables((root / made[0].docx_file).read_bytes())
    # Nothing to rank air or water by; no case due (100) and no complaint (all first, 100) for both counties, in
    # October as in November.
    assert [r[1:] for r in scores[1:]] == [["—", "—", "—", "100.00", "—", "100.00", "100.00", "1", "0"]] * 2
    assert [r[1:] for r in balance[1:]] == [["0.00", "0.00", "0.00"]] * 2
    assert compensation[1:] == []
