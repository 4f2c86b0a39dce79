"""Importing air-quality forecast tables: good rows stored (a region's day replaced), every bad row refused with its
reason in Chinese and counted, nothing lost."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import ForbiddenError
from ecoloop.reports import forecasts
from ecoloop.reports.models import AirForecast
from tests.factories import World

TODAY = date(2026, 12, 7)


def _import(
    db: Session, world: World, data: bytes, name: str = "预报.csv", user: str = "analyst"
) -> forecasts.ForecastImport:
    return forecasts.import_forecasts(db, world.principal(db, user), user, name, data, TODAY)


def _stored(db: Session) -> dict[tuple[str, date], tuple[int, int, str]]:
    rows = db.scalars(select(AirForecast))
    return {(f.region.code, f.day): (f.aqi_low, f.aqi_high, f.primary) for f in rows}


def _problems(outcome: forecasts.ForecastImport) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for problem in outcome.problems:
        found.setdefault(problem.row, []).append(problem.message)
    return found


CSV = """空气质量预报,,,,,
区划代码,区划名称,日期,AQI下限,AQI上限,首要污染物
371800,清源市,2026-12-08,55,80,PM2.5
,清源区,2026/12/9,60,95,"PM2.5、臭氧"
371821,,2026年12月8日,20,45,—
999999,,2026-12-08,50,60,PM2.5
371802,临河县,2026-12-08,50,60,PM2.5
371821,临河县,2026-13-01,50,60,PM2.5
371821,临河县,2027-02-01,50,60,PM2.5
371821,临河县,2026-12-10,90,60,PM2.5
371821,临河县,2026-12-11,50,600,PM2.5
371821,临河县,2026-12-12,50,60,沙尘
371800,清源市,2026-12-08,40,50,PM10
371821,临河县,2026-12-13,,60,PM10
371821,"临河县,2026-12-14,50,60,PM10

,,2026-12-14,50,60,PM10
"""


def test_good_rows_are_stored_and_every_bad_row_is_refused_with_its_reason(db: Session, world: World) -> None:
    outcome = _import(db, world, CSV.encode())
    assert _stored(db) == {
        ("371800", date(2026, 12, 8)): (55, 80, "PM2_5"),
        ("371802", date(2026, 12, 9)): (60, 95, "PM2_5,O3"),
        ("371821", date(2026, 12, 8)): (20, 45, ""),
    }
    problems = _problems(outcome)
    assert problems == {
        6: ["您的辖区内没有市、县（市、区）或乡镇（街道）999999。"],
        7: ["区划代码与区划名称不属于同一区域（371802 / 临河县）。"],
        8: ["2026-13-01不是日期（请写作2026-12-08）。"],
        9: ["只导入2026-11-06 ~ 2026-12-22期间的预报。"],
        10: ["AQI下限高于上限。"],
        11: ["数值须在 0 ~ 500 之间。"],
        12: ["沙尘不是空气质量指数的污染物（PM2.5、PM10、O3、NO2、SO2、CO）。"],
        13: ["本文件第3行已给出该区域当日的预报。"],
        14: ["此单元格必须填写。"],
        15: ["该CSV行无法读取：引号未闭合，或字段中有多余的引号。"],
        17: ["请填写区划代码或区划名称。"],
    }
    # Nothing lost: every data row is stored or refused (the blank line is no row).
    assert (outcome.report.rows, outcome.stored, outcome.refused) == (14, 3, 11)
    assert outcome.report.added == 3


def test_importing_again_replaces_a_regions_day_and_counts_what_changed(db: Session, world: World) -> None:
    first = "区划代码,日期,AQI下限,AQI上限,首要污染物\n371800,2026-12-08,55,80,PM2.5\n371802,2026-12-08,60,90,O3\n"
    _import(db, world, first.encode())
    second = "区划代码,日期,AQI下限,AQI上限,首要污染物\n371800,2026-12-08,55,80,PM2.5\n371802,2026-12-08,70,110,O3\n"
    outcome = _import(db, world, second.encode("gb18030"))  # what Chinese Excel saves
    assert (outcome.report.added, outcome.report.updated, outcome.report.unchanged) == (0, 1, 1)
    assert _stored(db)[("371802", date(2026, 12, 8))] == (70, 110, "O3")
    assert db.scalar(select(AirForecast.id).where(AirForecast.aqi_low == 55)) is not None
    assert len(_stored(db)) == 2


def test_a_workbook_with_date_cells_is_read_like_a_csv_table(db: Session, world: World) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["区划名称", "预报日期", "AQI下限", "AQI上限", "首要污染物"])
    sheet.append(["清源市", date(2026, 12, 8), 55, 80, "ＰＭ２．５"])  # full-width forms as typed
    sheet.append(["临河县", date(2026, 12, 8), 30.0, 60.5, "PM10"])
    buffer = io.BytesIO()
    book.save(buffer)
    outcome = _import(db, world, buffer.getvalue(), "预报.xlsx")
    assert _stored(db) == {("371800", date(2026, 12, 8)): (55, 80, "PM2_5")}
    assert [p.row for p in outcome.problems] == [3]
    assert (outcome.report.rows, outcome.stored, outcome.refused) == (2, 1, 1)


def test_the_blank_template_reads_back(db: Session, world: World) -> None:
    outcome = _import(db, world, forecasts.template(), "模板.xlsx")
    assert outcome.problems == []
    assert set(_stored(db)) == {("371800", date(2026, 12, 8)), ("371802", date(2026, 12, 8))}


def test_only_the_roles_that_manage_targets_import_forecasts(db: Session, world: World) -> None:
    table = "区划代码,日期,AQI下限,AQI上限\n371802,2026-12-08,55,80\n"
    with pytest.raises(ForbiddenError):
        forecasts.import_forecasts(db, world.principal(db, "branch_a"), "b", "f.csv", table.encode(), TODAY)
    assert _stored(db) == {}


def test_a_file_too_large_or_unreadable_is_refused_whole(db: Session, world: World) -> None:
    big = b"x" * (forecasts.MAX_FORECAST_BYTES + 1)
    outcome = _import(db, world, big)
    assert [(p.row, p.message) for p in outcome.problems] == [(0, "文件超过512 KB。")]
    outcome = _import(db, world, b"PK\x03\x04 not a zip", "预报.xlsx")
    assert [(p.row, p.message) for p in outcome.problems] == [
        (0, "文件既不是Excel工作簿（.xlsx），也不是CSV表格（.csv）。")
    ]
    outcome = _import(db, world, "区划代码,AQI下限\n371800,5\n".encode())
    assert [p.message for p in outcome.problems] == ["缺少必填列 日期。", "缺少必填列 AQI上限。"]
    assert _stored(db) == {}
