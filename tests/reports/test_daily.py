"""The daily analysis (日研判) on planted results, alerts, cases and a forecast: generated through the service, its
Word document and workbook re-opened and compared with the engine's numbers."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts.models import Alert, AlertRule, AlertRuleVersion
from ecoloop.alerts.rule_service import ensure_builtin_rules
from ecoloop.alerts.rules import RuleKind, Severity
from ecoloop.analytics import backends
from ecoloop.audit.service import Actor, set_actor
from ecoloop.cases.enums import CaseSource, Category
from ecoloop.cases.models import Case
from ecoloop.cases.service import Acting, act, register_case
from ecoloop.cases.workflow import Action
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from ecoloop.regions.models import Region
from ecoloop.reports import service
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.models import AirForecast, Report
from ecoloop.reports.periods import parse_period
from ecoloop.results.air import AIR_DAY, AIR_DAY_AREA, AIR_HOUR
from ecoloop.results.queries import ResultReads, area_days, concentrations
from tests.conftest import make_settings
from tests.factories import World, plant_results

DAY = date(2026, 12, 6)
TODAY = DAY + timedelta(days=1)
TZ = ZoneInfo("Asia/Shanghai")
PM2_5 = 1 << 4  # the primary-pollutant bit of PM2.5 among the daily keys
O3_8H = 1 << 5


def local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def _reads(tmp_path: Path) -> ResultReads:
    settings = make_settings(tmp_path)
    return ResultReads(settings.results_root, partial(backends.reading, settings))


def _day_values(pm25: float, pm10: float, o3: float | None) -> dict[str, Any]:
    return {"PM2_5_24h": pm25, "PM10_24h": pm10, "O3_8h": o3, "NO2_24h": 31.4, "SO2_24h": 8.6, "CO_24h": 0.85}


def plant_areas(root: Path, world: World, aqi_a: int) -> None:
    """The day of the city, the counties and the towns (the engine's rows as the results job stores them)."""
    rows = [
        {"region_id": world.city.id, "day": DAY, "aqi": 70, "level": 2, "primary": PM2_5, "complete": True,
         **_day_values(52.5, 88.0, 95.0)},
        {"region_id": world.county_a.id, "day": DAY, "aqi": aqi_a, "level": 2 if aqi_a > 50 else 1,
         "primary": PM2_5 if aqi_a > 50 else 0, "complete": True, **_day_values(aqi_a * 0.75, 99.0, 80.4)},
        {"region_id": world.county_b.id, "day": DAY, "aqi": 45, "level": 1, "primary": 0, "complete": True,
         **_day_values(31.5, 45.0, 70.0)},
        {"region_id": world.town_a.id, "day": DAY, "aqi": 120, "level": 3, "primary": PM2_5 | O3_8H,
         "complete": True, **_day_values(91.0, 130.0, 215.0)},
        {"region_id": world.town_b.id, "day": DAY, "aqi": 60, "level": 2, "primary": PM2_5, "complete": True,
         **_day_values(42.0, 55.0, 60.0)},
    ]  # fmt: skip
    plant_results(root, AIR_DAY_AREA, rows)


def _station(db: Session, code: str, name: str, region: Region) -> Site:
    return add_site(db, code=code, name=name, kind=SiteKind.AIR_STATION, region=region)


def plant_stations(db: Session, root: Path, world: World) -> dict[str, Site]:
    """Three stations: one complete, one without an ozone daily value, one with only 12 valid hours (no row)."""
    sites = {
        "good": _station(db, "AQ-1", "湖滨站", world.town_a),
        "no_o3": _station(db, "AQ-2", "柳林站", world.town_b),
        "short": _station(db, "AQ-3", "临河站", world.county_b),
    }
    plant_results(
        root,
        AIR_DAY,
        [
            {"site_id": sites["good"].id, "day": DAY, "aqi": 70, "level": 2, "complete": True,
             **_day_values(50.0, 80.0, 90.0)},
            {"site_id": sites["no_o3"].id, "day": DAY, "aqi": 60, "level": 2, "complete": False,
             **_day_values(42.0, 55.0, None)},
        ],
    )  # fmt: skip
    # Hour starts are kept as local times without a zone (results.air).
    start = datetime(2026, 12, 6, tzinfo=UTC).replace(tzinfo=None)
    hours = [
        {"site_id": sites["short"].id, "hour_start": start + timedelta(hours=h), "day": DAY,
         "PM2_5": 40.0 if h < 12 else None}
        for h in range(24)
    ]  # fmt: skip
    plant_results(root, AIR_HOUR, hours)
    return sites


def _acting(db: Session, world: World, name: str) -> Acting:
    user = world.users[name]
    set_actor(db, Actor(label=user.username, user_id=user.id))
    return Acting(user, world.principal(db, name))


def _case(db: Session, world: World, region: Region, when: datetime, title: str) -> Case:
    return register_case(
        db, _acting(db, world, "analyst"), region=region, now=when, source=CaseSource.INSPECTION,
        category=Category.AIR, title=title,
    )  # fmt: skip


def _assign(db: Session, world: World, case: Case, when: datetime, deadline: date) -> None:
    act(db, case, _acting(db, world, "analyst"), Action.ASSIGN, seen_version=case.version, now=when,
        unit=world.department, deadline=deadline)  # fmt: skip
    act(db, case, _acting(db, world, "department"), Action.ACCEPT, seen_version=case.version, now=when)


def plant_cases(db: Session, world: World) -> dict[str, Case]:
    cases = {
        "new": _case(db, world, world.town_a, local(DAY, 9), "湖滨街道工地扬尘"),
        "late": _case(db, world, world.county_b, local(DAY - timedelta(days=20), 9), "临河县化工厂异味"),
        "due": _case(db, world, world.county_a, local(DAY - timedelta(days=10), 9), "清源区餐饮油烟"),
        "before": _case(db, world, world.county_a, local(DAY - timedelta(days=1), 23), "前一日登记"),
    }
    _assign(db, world, cases["late"], local(DAY - timedelta(days=20), 10), DAY - timedelta(days=3))
    _assign(db, world, cases["due"], local(DAY - timedelta(days=10), 10), DAY + timedelta(days=2))
    return cases


def _rule(db: Session, kind: RuleKind) -> tuple[int, int]:
    rule = db.scalars(select(AlertRule).where(AlertRule.kind == kind).order_by(AlertRule.id)).first()
    assert rule is not None
    version = db.scalar(select(AlertRuleVersion.id).where(AlertRuleVersion.rule_id == rule.id))
    assert version is not None
    return rule.id, version


def _alert(db: Session, number: str, kind: RuleKind, site: Site, at: datetime, **fields: Any) -> Alert:
    rule_id, version = _rule(db, kind)
    alert = Alert(
        number=number, rule_id=rule_id, rule_version_id=version, kind=kind, site_id=site.id,
        region_id=site.region_id, severity=Severity.MEDIUM, first_at=at, last_at=at, raised_at=at, **fields,
    )  # fmt: skip
    db.add(alert)
    db.flush()
    return alert


def plant_alerts(db: Session, sites: dict[str, Site], cases: dict[str, Case]) -> None:
    ensure_builtin_rules(db, datetime(2026, 11, 1, tzinfo=UTC))
    _alert(db, "YJ2026-000101", RuleKind.AIR_HOTSPOT, sites["good"], local(DAY, 8), parameter="a34004",
           observed=Decimal("210.000000"), reference=Decimal("55.500000"), case_id=cases["new"].id)  # fmt: skip
    _alert(db, "YJ2026-000100", RuleKind.AIR_SUDDEN_RISE, sites["no_o3"], local(DAY - timedelta(days=1), 22),
           parameter="a34004", observed=Decimal(180), reference=Decimal(60))  # the day before: not listed  # fmt: skip
    _alert(db, "YJ2026-000102", RuleKind.DEVICE_SILENT, sites["good"], local(DAY, 10), observed=Decimal(14400),
           reference=Decimal(10800))  # fmt: skip


def plant_forecasts(db: Session, world: World) -> None:
    db.add_all(
        [
            AirForecast(region_id=world.city.id, day=TODAY, aqi_low=50, aqi_high=80, primary="PM2_5", imported_by="t"),
            AirForecast(region_id=world.county_a.id, day=TODAY + timedelta(days=1), aqi_low=90, aqi_high=130,
                        primary="PM2_5,O3", imported_by="t"),
            AirForecast(region_id=world.county_b.id, day=TODAY + timedelta(days=2), aqi_low=20, aqi_high=40,
                        primary="", imported_by="t"),  # the day after tomorrow: not in the brief
        ]
    )  # fmt: skip
    db.flush()


# The document's tables in the order of the default layout.
TABLES = ("counties", "towns", "alerts", "stations", "case_counts", "overdue", "forecasts")


def _tables(data: bytes) -> dict[str, list[list[str]]]:
    """The document's tables by name, each as rows of cell texts (the header first)."""
    document = docx.Document(io.BytesIO(data))
    found = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    assert len(found) == len(TABLES)
    return dict(zip(TABLES, found, strict=True))


def _text(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def _sheets(path: Path) -> dict[str, list[list[Any]]]:
    book = openpyxl.load_workbook(path, data_only=True)
    return {s.title: [[c.value for c in row] for row in s.iter_rows()] for s in book.worksheets}


def _generate(db: Session, tmp_path: Path, reads: ResultReads) -> Report:
    period = parse_period(ReportKind.DAILY, DAY.isoformat())
    (report,) = service.generate(db, tmp_path, reads, TZ, period, service.Generator("分析员"), now=local(TODAY, 7))
    return report


@pytest.fixture
def planted(db: Session, world: World, tmp_path: Path) -> dict[str, Any]:
    with _reads(tmp_path) as reads:
        plant_areas(reads.root, world, 80)
        sites = plant_stations(db, reads.root, world)
    cases = plant_cases(db, world)
    plant_alerts(db, sites, cases)
    plant_forecasts(db, world)
    return {"sites": sites, "cases": cases}


def test_the_daily_analysis_says_what_the_engine_computed(
    db: Session, world: World, tmp_path: Path, planted: dict[str, Any]
) -> None:
    cases = planted["cases"]
    with _reads(tmp_path) as reads:
        report = _generate(db, tmp_path, reads)
        engine = area_days(reads, [world.city.id, world.county_a.id, world.county_b.id, world.town_a.id,
                                   world.town_b.id], DAY, DAY)  # fmt: skip
    root = service.reports_root(tmp_path)
    document = (root / report.docx_file).read_bytes()
    tables = _tables(document)
    text = _text(document)

    def shown(region: Region) -> list[str]:
        entry = engine[(region.id, DAY)]
        return [c.text for c in concentrations(entry)]  # PM2.5, PM10, O3-8h, NO2, SO2, CO as the pages print them

    # Counties: ranked by AQI, lowest first, with the six daily values as the pages round them.
    counties = tables["counties"]
    assert counties[0][:5] == ["县（市、区）", "排名", "AQI", "类别", "首要污染物"]
    b_values, a_values = shown(world.county_b), shown(world.county_a)
    assert counties[1] == [world.county_b.name, "1", "45", "优", "—", *(b_values[k] for k in (0, 1, 2, 3, 4, 5))]
    assert counties[2] == [world.county_a.name, "2", "80", "良", "PM2.5", *(a_values[k] for k in (0, 1, 2, 3, 4, 5))]
    assert b_values[0] == "32"  # 31.5 reported half to even (HJ 633-2026 §4.2.2)
    # Towns: ranked among all towns of the city, each with its county.
    towns = tables["towns"]
    assert [row[:4] for row in towns[1:]] == [
        [world.town_b.name, world.county_b.name, "1", "60"],
        [world.town_a.name, world.county_a.name, "2", "120"],
    ]
    assert towns[2][5] == "PM2.5、臭氧"  # primary pollutants by name
    assert "2个县（市、区）中空气质量优良的2个；最好的是临河县（AQI 45），排名靠后的为清源区（AQI 80）。" in text
    assert "排名靠后的为湖滨街道（AQI 120）。" in text  # of two towns, the one worst
    assert "注：浓度为日均值，单位µg/m³（CO为mg/m³）；O3-8h为日最大8小时平均。" in text
    city = shown(world.city)
    assert "全市AQI为70，良，首要污染物为PM2.5" in text
    assert f"PM2.5浓度{city[0]}µg/m³" in text and city[0] == "52"

    # Exceedances and hotspots raised on the day, with the case they became; the day before's is not listed.
    alerts = tables["alerts"]
    assert len(alerts) == 2
    assert alerts[1][0] == "YJ2026-000101"
    assert alerts[1][2:] == [
        "空气质量高值热点",
        "湖滨站",
        world.county_a.name,
        "PM2.5 (µg/m³)",
        "210",
        "55.5",
        cases["new"].number,
    ]
    assert "共产生超标和高值热点预警1起" in text

    # Stations with data problems: the silent logger, the missing ozone value, the short day.
    stations = {row[0]: row for row in tables["stations"][1:]}
    assert set(stations) == {"湖滨站", "柳林站", "临河站"}
    assert stations["湖滨站"][2] == "数采仪离线（无数据）" and stations["湖滨站"][3] == "YJ2026-000102"
    assert "臭氧" in stations["柳林站"][2]
    assert "有效小时数12个" in stations["临河站"][2]

    # Cases: registered on the day, due within 3 days, overdue; the overdue one listed with its days.
    sheets = _sheets(root / report.xlsx_file)
    case_counts = {row[0]: row[1:] for row in sheets["各县（市、区）案件"][1:]}
    assert case_counts[world.county_a.name] == [1, 1, 0]
    assert case_counts[world.county_b.name] == [0, 0, 1]
    assert case_counts["合计"] == [1, 1, 1]
    overdue = tables["overdue"]
    assert overdue[1] == [cases["late"].number, "临河县化工厂异味", world.department.name, world.county_b.name,
                          (DAY - timedelta(days=3)).isoformat(), "4"]  # fmt: skip
    assert "新登记案件1件" in text and "3日内到期1件，已逾期1件" in text

    # The forecast of today and tomorrow; not the day after.
    forecast = tables["forecasts"]
    assert forecast[1:] == [
        [world.city.name, "50～80", "优至良", "PM2.5", "—", "—", "—"],
        [world.county_a.name, "—", "—", "—", "90～130", "良至轻度污染", "PM2.5、臭氧"],
    ]
    assert "12月7日：AQI为50～80，优至良，首要污染物为PM2.5。" in text

    # The workbook holds the same numbers, as numbers.
    assert sheets["县（市、区）"][1][:3] == [world.county_b.name, 1, 45]
    assert sheets["县（市、区）"][1][5] == int(b_values[0])
    assert sheets["县（市、区）"][2][10] == Decimal(a_values[5]) or sheets["县（市、区）"][2][10] == float(a_values[5])
    assert sheets["预警"][1][6] == 210


def test_a_county_moves_rank_when_its_day_is_recomputed(
    db: Session, world: World, tmp_path: Path, planted: dict[str, Any]
) -> None:
    with _reads(tmp_path) as reads:
        first = _generate(db, tmp_path, reads)
        plant_areas(reads.root, world, 30)  # county A's day recomputed: AQI 30, first place
        second = _generate(db, tmp_path, reads)
    root = service.reports_root(tmp_path)
    before = _tables((root / first.docx_file).read_bytes())["counties"]
    after = _tables((root / second.docx_file).read_bytes())["counties"]
    assert [row[:3] for row in before[1:]] == [[world.county_b.name, "1", "45"], [world.county_a.name, "2", "80"]]
    assert [row[:3] for row in after[1:]] == [[world.county_a.name, "1", "30"], [world.county_b.name, "2", "45"]]
    assert second.version == 2 and second.number == first.number


def test_without_a_forecast_the_brief_says_none_was_imported(db: Session, world: World, tmp_path: Path) -> None:
    with _reads(tmp_path) as reads:
        plant_areas(reads.root, world, 80)
        report = _generate(db, tmp_path, reads)
    text = _text((service.reports_root(tmp_path) / report.docx_file).read_bytes())
    assert "尚未导入全市今明两天的空气质量预报。" in text
    assert "未产生超标或高值热点预警" in text
