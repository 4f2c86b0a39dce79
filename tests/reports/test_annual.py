"""The annual statistics on a planted year and the year before: the figures in the .docx and the .xlsx equal the
engine's period statistics, the changes worked by hand (good days 250 against 190: +31.58 %, heavy-pollution days
4 against 14: -71.43 %), the sentences, no sentence for a county without the year before, and the water year from
the sections' monthly classes."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import openpyxl
from sqlalchemy.orm import Session

from ecoloop.reports import service
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.periods import parse_period
from ecoloop.results import periods
from ecoloop.results.air import AIR_DAY_AREA
from ecoloop.results.water import WATER_MONTH, section_row
from tests.conftest import make_settings
from tests.factories import World, plant_results, plant_water_sections
from tests.reports.test_service import _reads

YEAR = parse_period(ReportKind.ANNUAL, "2026")
# Days of the year at AQI 40 (level 1), 80 (2), 120 (3), 250 (5) and 320 (6): 2026 has 250 good days and 4 heavy
# ones, 2025 has 190 and 14; 365 days each.
DAYS = {2026: {40: 100, 80: 150, 120: 111, 250: 4}, 2025: {40: 90, 80: 100, 120: 161, 250: 10, 320: 4}}
PM25 = {2026: 35.0, 2025: 40.0}


def _level(aqi: int) -> int:
    return (
        next(level for level, upper in enumerate((50, 100, 150, 200, 300), start=1) if aqi <= upper)
        if aqi <= 300
        else 6
    )


def _year_rows(region_id: int, year: int) -> list[dict[str, Any]]:
    aqis = [aqi for aqi, count in DAYS[year].items() for _ in range(count)]
    rows = []
    for n, aqi in enumerate(aqis):
        rows.append(
            {
                "region_id": region_id, "day": date(year, 1, 1) + timedelta(days=n), "stations": 2,
                "SO2_24h": 9.0, "NO2_24h": 28.0, "PM10_24h": 66.0, "PM2_5_24h": PM25[year], "CO_24h": 0.9,
                "O3_8h": 150.0, "O3_1h": 170.0, "aqi": aqi, "level": _level(aqi), "complete": True,
            }
        )  # fmt: skip
    return rows


def _docx(data: bytes) -> tuple[str, list[list[list[str]]]]:
    document = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    return text, [[[c.text for c in row.cells] for row in table.rows] for table in document.tables]


def test_the_annual_statistics_state_the_engine_figures_and_their_change(
    db: Session, world: World, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    with _reads(tmp_path) as reads:
        rows = []
        for year in (2025, 2026):
            rows += _year_rows(world.city.id, year) + _year_rows(world.county_a.id, year)
        rows += _year_rows(world.county_b.id, 2026)  # county B has no year before
        plant_results(reads.root, AIR_DAY_AREA, rows)
        ids = plant_water_sections(db, world, reads.root, date(2026, 12, 15))  # October and November 2026
        plant_results(
            reads.root, WATER_MONTH, [section_row(ids["wq-a1"], date(2025, 11, 1), {"NH3_N": (2.5, 700)}, None)]
        )
        periods.clear_cache()
        (report,) = service.generate(db, tmp_path, reads, settings.tz, YEAR, service.Generator("分析员"))
        con = reads.lazy_con()
        now = periods.statistics(con, reads.root, "areas", periods.range_period(YEAR.first, YEAR.last))
        before = periods.statistics(
            con, reads.root, "areas", periods.range_period(date(2025, 1, 1), date(2025, 12, 31))
        )
    root = service.reports_root(tmp_path)
    text, (days, levels, particles, indices, water) = _docx((root / report.docx_file).read_bytes())

    city, city_before = now[world.city.id], before[world.city.id]
    assert (city.good_days, city.heavy_days, city.days, city_before.good_days, city_before.heavy_days) == (
        250,
        4,
        365,
        190,
        14,
    )
    assert (city.good_ratio, city_before.good_ratio) == (Decimal("68.5"), Decimal("52.1"))
    # The days: 60 / 190 = +31.58 %, -10 / 14 = -71.43 %; the ratio +16.4 points.
    assert days[1] == ["清源市", "365", "250", "31.58", "68.5", "16.4", "4", "-71.43"]
    assert days[3] == ["临河县", "365", "250", "—", "68.5", "—", "4", "—"]
    assert particles[1] == ["清源市", str(city.pm25), "-12.50", str(city.pm10), "0.00"]
    composite_rate = periods.change(city, city_before).composite_rate
    assert indices[1] == ["清源市", str(city.o3_p90), "0.00", str(city.composite_index), str(composite_rate)]
    assert levels[1] == ["清源市", "100", "150", "111", "0", "4", "0"]

    sentence = (
        "与上年相比，优良天数增加了31.6%、重污染天数减少了71.4%、优良天数比例上升了16.4个百分点、"
        "PM2.5平均浓度下降了12.5%、综合指数下降了"
    )
    assert sentence in text
    assert "清源区：" + sentence in text
    assert "临河县：" not in text  # no year before: no sentence
    assert (
        f"2026年，全市有效监测365天，优良天数250天，优良天数比例为68.5%，重污染天数4天；PM2.5平均浓度为{city.pm25}微克/立方米"
        in text
    )

    # Water: 4 section-months of 2026 classed (III, IV, I, II): 75.0 % class I-III; 2025 one month worse than V.
    assert "按各断面月度水质类别统计（共4个断面月次），Ⅰ～Ⅲ类水质占75.0%，劣Ⅴ类水质占0.0%。" in text
    assert "与上年相比，Ⅰ～Ⅲ类水质比例上升了75.0个百分点、劣Ⅴ类水质比例下降了100.0个百分点。" in text
    assert water[1:] == [
        ["清源市", "4", "75.0", "75.0", "0.0", "-100.0"],
        ["清源区", "3", "66.7", "66.7", "0.0", "-100.0"],
        ["临河县", "1", "100.0", "—", "0.0", "—"],
    ]

    book = openpyxl.load_workbook(root / report.xlsx_file, data_only=True)
    assert [c.value for c in book.worksheets[0][2]] == ["清源市", 365, 250, 31.58, 68.5, 16.4, 4, -71.43]
    assert [c.value for c in book.worksheets[2][2]][:3] == ["清源市", float(city.pm25), -12.5]
    assert report.title == "2026年环境质量状况统计"
    # The default template, downloaded and uploaded back unchanged, is accepted with the brief's content.
    sample = service.sample_content(db, ReportKind.ANNUAL)
    assert sample is not None
    service.check_template(ReportKind.ANNUAL, service.default_template(ReportKind.ANNUAL), sample)


def test_a_year_without_results_says_so(db: Session, world: World, tmp_path: Path) -> None:
    with _reads(tmp_path) as reads:
        (report,) = service.generate(db, tmp_path, reads, make_settings(tmp_path).tz, YEAR, service.Generator("系统"))
    text, (days, *_rest) = _docx((service.reports_root(tmp_path) / report.docx_file).read_bytes())
    assert "全市2026年无空气质量统计结果。" in text
    assert "本年度无地表水断面月度水质类别结果。" in text
    assert "各县（市、区）均无上年同期数据，不作比较。" in text
    assert days[1] == ["清源市", "—", "—", "—", "—", "—", "—", "—"]
