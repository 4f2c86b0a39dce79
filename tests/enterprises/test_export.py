"""Excel exports of an enterprise file and of a list on a date, read back with openpyxl."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from ecoloop.enterprises.enums import (
    Averaging,
    CorrectionStatus,
    EnterpriseStatus,
    OutletKind,
    PerformanceGrade,
    PermitClass,
)
from ecoloop.enterprises.export import EnterpriseFile, enterprise_workbook, list_workbook
from ecoloop.enterprises.models import (
    DataCorrection,
    Enterprise,
    GradeRecord,
    ListMembership,
    Outlet,
    OutletLimit,
    Permit,
    SupervisionList,
)
from ecoloop.i18n import use_locale
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region

TZ = ZoneInfo("Asia/Shanghai")
SHEETS = ["基本信息", "排污许可证", "排放口", "排放限值", "监管名录", "绩效分级", "数据修正"]


@pytest.fixture
def enterprise_file() -> EnterpriseFile:
    """A file held in memory (the export takes loaded rows, not a session)."""
    region = Region(code="371802001001", name="花园社区居委会", level=RegionLevel.VILLAGE)
    enterprise = Enterprise(
        id=7,
        credit_code="913718020000000017",
        name="清源华能热电有限公司",
        industry_code="D4411",
        region=region,
        status=EnterpriseStatus.OPERATING,
        contact_name="王工",
    )
    limit = OutletLimit(
        pollutant="a21026",
        limit_value=Decimal("35.0000"),
        unit="mg/m3",
        averaging=Averaging.HOUR,
        reference_o2=Decimal("6.0"),
        source="GB 13223-2011 表2",
    )
    outlet = Outlet(code="DA001", name="1号锅炉烟囱", kind=OutletKind.GAS, site_id=3, limits=[limit])
    permit = Permit(
        number="91371802MA3C000001001P",
        permit_class=PermitClass.KEY,
        valid_from=date(2024, 1, 1),
        valid_to=date(2028, 12, 31),
        outlets=[outlet],
    )
    key = SupervisionList(code="key_discharge_units", name="重点排污单位名录")
    membership = ListMembership(supervision_list=key, start=date(2025, 1, 1), end=None, reason="大气", document="")
    grades = [
        GradeRecord(grade=PerformanceGrade.A, start=date(2026, 1, 1), end=None, document="文2"),
        GradeRecord(grade=PerformanceGrade.B, start=date(2025, 1, 1), end=date(2025, 12, 31), document="文1"),
    ]
    correction = DataCorrection(
        site_id=3,
        parameter="a21026",
        interval="hour",
        time=datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
        current_value=Decimal("80.0000"),
        proposed_value=Decimal("8.5000"),
        proposed_flag=None,
        reason="量程设置错误",
        status=CorrectionStatus.APPROVED,
        created_at=datetime(2026, 3, 1, 3, 30, tzinfo=UTC),
        reviewed_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        review_note="同意",
    )
    return EnterpriseFile(
        enterprise=enterprise,
        permits=[permit],
        memberships=[membership],
        grades=grades,
        corrections=[correction],
        site_names={3: "华能1号排口 (SRC-A)"},
    )


def test_enterprise_workbook_has_a_sheet_per_section_with_chinese_headers(enterprise_file: EnterpriseFile) -> None:
    book = load_workbook(io.BytesIO(enterprise_workbook(enterprise_file, TZ)))

    assert book.sheetnames == SHEETS
    basic = {row[0]: row[1] for row in book["基本信息"].iter_rows(min_row=2, values_only=True)}
    assert basic["名称"] == "清源华能热电有限公司"
    assert basic["统一社会信用代码"] == "913718020000000017"
    assert basic["行业门类"] == "D 电力、热力、燃气及水生产和供应业"
    assert basic["状态"] == "正常生产"
    assert basic["经度"] is None
    permits = book["排污许可证"]
    assert [c.value for c in permits[1]] == ["许可证编号", "管理类别", "有效期起", "有效期止", "发证机关"]
    assert permits["B2"].value == "重点管理" and permits["C2"].value.date() == date(2024, 1, 1)
    outlet = [c.value for c in book["排放口"][2]]
    assert outlet == ["91371802MA3C000001001P", "DA001", "1号锅炉烟囱", "废气", "华能1号排口 (SRC-A)"]
    limits = book["排放限值"]
    assert (limits["C2"].value, limits["D2"].value, limits["F2"].value, limits["G2"].value) == (
        "二氧化硫",
        35,
        "小时均值",
        6,
    )
    grades = [(r[0], r[2].date() if r[2] else None) for r in book["绩效分级"].iter_rows(min_row=2, values_only=True)]
    assert grades == [("A 级", None), ("B 级", date(2025, 12, 31))]
    assert book["监管名录"]["A2"].value == "重点排污单位名录"
    correction = [c.value for c in book["数据修正"][2]]
    # Times in local time (UTC+8), without a zone: Excel has none.
    assert correction[0].replace(tzinfo=TZ) == datetime(2026, 3, 1, 11, 30, tzinfo=TZ)
    assert correction[4].replace(tzinfo=TZ) == datetime(2026, 3, 1, 10, 0, tzinfo=TZ)
    assert correction[5:7] == [80, 8.5] and correction[9] == "已通过"
    assert correction[2:4] == ["二氧化硫", "小时数据"]  # named, not a21026 and hour (issue 13 §11)


def test_empty_sections_keep_their_header_row(enterprise_file: EnterpriseFile) -> None:
    empty = EnterpriseFile(enterprise=enterprise_file.enterprise, permits=[], memberships=[], grades=[], corrections=[])

    book = load_workbook(io.BytesIO(enterprise_workbook(empty, TZ)))

    assert book.sheetnames == SHEETS
    assert book["排放限值"].max_row == 1 and book["排放限值"]["A1"].value == "许可证编号"


def test_headers_follow_the_language(enterprise_file: EnterpriseFile) -> None:
    with use_locale("en"):
        book = load_workbook(io.BytesIO(enterprise_workbook(enterprise_file, TZ)))

    assert book.sheetnames[:3] == ["Basic record", "Permits", "Outlets"]
    assert book["Permits"]["B2"].value == "Key management"


def test_list_workbook_names_the_list_and_date(enterprise_file: EnterpriseFile) -> None:
    key = SupervisionList(code="key_discharge_units", name="重点排污单位名录")

    book = load_workbook(io.BytesIO(list_workbook(key, date(2025, 6, 30), [enterprise_file.enterprise])))

    sheet = book["在录企业"]
    assert (sheet["A1"].value, sheet["B1"].value) == ("名录", "重点排污单位名录")
    assert sheet["B2"].value.date() == date(2025, 6, 30)
    assert [c.value for c in sheet[4]][:3] == ["名称", "统一社会信用代码", "行政区域"]
    assert [c.value for c in sheet[5]][:3] == ["清源华能热电有限公司", "913718020000000017", "花园社区居委会"]
