"""Excel import of enterprise files: all four sheets, every problem reported with its row, all or nothing,
idempotent re-import, branch scoping; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import ForbiddenError
from ecoloop.access.principal import Principal
from ecoloop.audit.models import AuditRecord
from ecoloop.audit.service import Actor, set_actor
from ecoloop.enterprises import service
from ecoloop.enterprises.enums import Averaging, EnterpriseStatus, OutletKind, PerformanceGrade
from ecoloop.enterprises.imports import (
    COLUMNS,
    Entity,
    ImportReport,
    ParsedWorkbook,
    example_workbook,
    import_workbook,
    parse_workbook,
    pollutant_code,
)
from ecoloop.enterprises.models import (
    Enterprise,
    GradeRecord,
    ListMembership,
    Outlet,
    OutletLimit,
    Permit,
    SupervisionList,
)
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.service import add_site
from tests.factories import World, credit_code

ENTERPRISE_HEADER = ["统一社会信用代码", "企业名称", "行业代码", "所在区划代码", "地址", "经度", "纬度", "生产状态"]
PERMIT_HEADER = [
    "统一社会信用代码",
    "许可证编号",
    "管理类别",
    "有效期起",
    "有效期止",
    "排放口编号",
    "排放口名称",
    "排放口类型",
    "监测点位编码",
    "污染物代码",
    "限值",
    "单位",
    "均值类型",
    "基准氧含量",
    "限值依据",
]
LIST_HEADER = ["统一社会信用代码", "名录", "纳入日期", "移出日期", "纳入原因", "文件"]
GRADE_HEADER = ["统一社会信用代码", "绩效等级", "起始日期", "文件"]
NEW = credit_code(10)  # a new enterprise of county A
MODELS = (Enterprise, Permit, Outlet, OutletLimit, ListMembership, GradeRecord)


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    """A workbook with the given sheets (title → rows, the first row the header)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def acting(db: Session, world: World, name: str) -> Principal:
    user = world.users[name]
    set_actor(db, Actor(label=user.username, user_id=user.id))
    return world.principal(db, name)


def table_counts(db: Session) -> dict[str, int]:
    return {model.__name__: db.scalar(select(func.count()).select_from(model)) or 0 for model in MODELS}


def counts(report: ImportReport) -> dict[str, tuple[int, int, int]]:
    return {entity.value: (c.added, c.updated, c.skipped) for entity, c in report.counts.items()}


def problems(report: ImportReport) -> set[tuple[str, int, str, str]]:
    return {(p.sheet, p.row, p.column, p.code) for p in report.problems}


def good_workbook(world: World, *, so2: object = 35, end: object = None) -> bytes:
    """Every sheet, with the header spelled loosely (spaces, marks, units, another order), dates three ways."""
    a = world.enterprise_a.credit_code
    new_permit = [NEW, "P-NEW-1", "重点管理", date(2024, 1, 1), "2028/12/31"]
    a_permit = [a, "P-A-1", "简化管理", "2025年1月1日", "2029年12月31日"]
    gb13223 = "GB 13223-2011 表1"
    return xlsx(
        {
            "企业": [
                [
                    " 统一社会 信用代码 ",
                    "企业名称*",
                    "行业代码",
                    "所在区划代码",
                    "地址",
                    "经度",
                    "纬度",
                    "生产状态",
                    "备注",
                ],
                [NEW, "清源新建热电有限公司", "4411", "371802001000", "湖滨街道1号", 117.1, 36.6, "正常生产", "新建"],
                [a, "清源华能热电有限公司", None, 371802001001, "花园社区2号", None, None, "停产", None],
            ],
            " 排污许可": [
                [*PERMIT_HEADER[:10], "限值(mg/m³)", *PERMIT_HEADER[11:]],
                [*new_permit, "DA001", "1号烟囱", "废气", None, "二氧化硫", so2, "mg/m³", "小时", 6, gb13223],
                [*new_permit, "da001", None, "废气", None, "a21002", "50", "mg/m³", "小时", 6, gb13223],
                [
                    *a_permit,
                    "DW001",
                    "总排口",
                    "废水",
                    "SRC-A",
                    "化学需氧量",
                    100,
                    "mg/L",
                    "日",
                    None,
                    "GB 8978-1996 表4",
                ],
            ],
            "名录": [
                [LIST_HEADER[1], LIST_HEADER[0], *LIST_HEADER[2:]],
                ["重点排污单位名录", NEW, date(2025, 1, 1), end, "大气重点排污单位", "清环发[2025]1号"],
                ["enforcement_positive_list", a, "2025-03-01", "2025-12-31", "守法记录良好", None],
            ],
            "绩效分级": [
                GRADE_HEADER,
                [NEW, "A", date(2025, 1, 1), "清环发[2025]2号"],
                [NEW, "B", date(2024, 1, 1), "清环发[2024]2号"],
            ],
            "说明": [["本表由清源区分局填报"]],
        }
    )


@pytest.fixture
def site_a(db: Session, world: World) -> int:
    site = add_site(
        db,
        code="SRC-A",
        name="华能热电排口",
        kind=SiteKind.WATER_SOURCE,
        region=world.village_a,
        enterprise_id=world.enterprise_a.id,
    )
    return site.id


def test_a_good_workbook_imports_every_sheet(db: Session, world: World, site_a: int) -> None:
    report = import_workbook(db, acting(db, world, "analyst"), good_workbook(world))

    assert report.ok, [p.describe() for p in report.problems]
    assert report.sheets == ["企业", "排污许可", "名录", "绩效分级"]
    assert report.rows == {"企业": 2, "排污许可": 3, "名录": 2, "绩效分级": 2}
    assert report.ignored_sheets == ["说明"]
    assert report.ignored_columns == [("企业", "备注")]
    assert counts(report) == {
        "enterprise": (1, 1, 0),
        "permit": (2, 0, 0),
        "outlet": (2, 0, 0),
        "limit": (3, 0, 0),
        "membership": (2, 0, 0),
        "grade": (2, 0, 0),
    }
    new = db.scalars(select(Enterprise).where(Enterprise.credit_code == NEW)).one()
    assert (new.industry_code, new.region_id, new.status) == ("D4411", world.town_a.id, EnterpriseStatus.OPERATING)
    assert (new.longitude, new.latitude) == (Decimal("117.1"), Decimal("36.6"))
    db.refresh(world.enterprise_a)
    assert world.enterprise_a.status is EnterpriseStatus.STOPPED
    assert world.enterprise_a.address == "花园社区2号"
    assert world.enterprise_a.region_id == world.village_a.id

    permit = db.scalars(select(Permit).where(Permit.number == "P-NEW-1")).one()
    assert (permit.enterprise_id, permit.valid_from, permit.valid_to) == (new.id, date(2024, 1, 1), date(2028, 12, 31))
    [gas] = permit.outlets
    assert (gas.code, gas.name, gas.kind) == ("DA001", "1号烟囱", OutletKind.GAS)
    limits = {(limit.pollutant, limit.limit_value, limit.reference_o2) for limit in gas.limits}
    assert limits == {("a21026", Decimal(35), Decimal(6)), ("a21002", Decimal(50), Decimal(6))}
    water = db.scalars(select(Outlet).where(Outlet.code == "DW001")).one()
    assert water.site_id == site_a
    [cod] = water.limits
    assert (cod.pollutant, cod.averaging, cod.unit, cod.source) == ("w01018", Averaging.DAY, "mg/L", "GB 8978-1996 表4")

    positive = db.scalars(select(ListMembership).where(ListMembership.enterprise_id == world.enterprise_a.id)).one()
    assert (positive.supervision_list.code, positive.start, positive.end) == (
        "enforcement_positive_list",
        date(2025, 3, 1),
        date(2025, 12, 31),
    )
    grades = db.scalars(select(GradeRecord).where(GradeRecord.enterprise_id == new.id).order_by(GradeRecord.start))
    assert [(g.grade, g.start, g.end) for g in grades] == [
        (PerformanceGrade.B, date(2024, 1, 1), date(2024, 12, 31)),
        (PerformanceGrade.A, date(2025, 1, 1), None),
    ]


def test_broken_rows_are_each_reported_and_nothing_is_written(db: Session, world: World) -> None:
    key_units = db.scalars(select(SupervisionList).where(SupervisionList.code == "key_discharge_units")).one()
    service.add_membership(db, supervision_list=key_units, enterprise=world.enterprise_a, start=date(2024, 1, 1))
    before = table_counts(db)
    a = world.enterprise_a.credit_code
    valid = credit_code(20)
    bad_check = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    gas = ["DA001", "烟囱", "废气", None]
    workbook = xlsx(
        {
            "企业": [
                ENTERPRISE_HEADER,
                [bad_check, "校验码错误公司", None, "371802001000"],
                [credit_code(21), "区划错误公司", None, "371899"],
                [credit_code(22), "本行无误公司", "C3011", "371802001000"],
            ],
            "排污许可": [
                PERMIT_HEADER,
                [a, "P-1", "重点管理", "2025-01-01", "2024-12-31"],
                [
                    a,
                    "P-2",
                    "重点管理",
                    "2025-01-01",
                    "2029-12-31",
                    *gas,
                    "二氧化硫",
                    "五十",
                    "mg/m³",
                    "小时",
                    6,
                    "GB 13223",
                ],
                [
                    a,
                    "P-3",
                    "重点管理",
                    "2025-01-01",
                    "2029-12-31",
                    *gas,
                    "二氧化碳当量",
                    50,
                    "mg/m³",
                    "小时",
                    6,
                    "GB 13223",
                ],
            ],
            "名录": [
                LIST_HEADER,
                [a, "重点排污单位名录", "2025-01-01"],
                [a, "不存在的名录", "2025-01-01"],
            ],
            "绩效分级": [GRADE_HEADER, [a, "E", "2025-01-01"]],
        }
    )

    report = import_workbook(db, acting(db, world, "admin"), workbook)

    assert problems(report) == {
        ("企业", 2, "统一社会信用代码", "credit_code_check_character"),
        ("企业", 3, "所在区划代码", "region_unknown"),
        ("排污许可", 2, "有效期止", "end_before_start"),
        ("排污许可", 3, "限值", "not_a_number"),
        ("排污许可", 4, "污染物代码", "unknown_pollutant"),
        ("名录", 2, "纳入日期", "membership_overlaps"),
        ("名录", 3, "名录", "unknown_list"),
        ("绩效分级", 2, "绩效等级", "bad_choice"),
    }
    assert [(p.sheet, p.row) for p in report.problems] == sorted(
        [(p.sheet, p.row) for p in report.problems], key=lambda s: (list(COLUMNS).index(s[0]), s[1])
    )
    assert all(p.message and p.code in p.describe() for p in report.problems)
    assert not report.ok
    assert all(c == (0, 0, 0) for c in counts(report).values())
    assert table_counts(db) == before
    assert db.scalar(select(Enterprise.id).where(Enterprise.credit_code == credit_code(22))) is None


def test_a_refusal_of_the_service_rolls_back_every_row(db: Session, world: World) -> None:
    service.set_grade(db, enterprise=world.enterprise_a, grade=PerformanceGrade.A, start=date(2025, 6, 1))
    before = table_counts(db)
    workbook = xlsx(
        {
            "企业": [ENTERPRISE_HEADER, [NEW, "清源新建热电有限公司", None, "371802001000"]],
            "绩效分级": [GRADE_HEADER, [world.enterprise_a.credit_code, "B", "2025-01-01"]],
        }
    )

    report = import_workbook(db, acting(db, world, "admin"), workbook)

    assert problems(report) == {("绩效分级", 2, "起始日期", "grade_not_after_latest")}
    assert table_counts(db) == before
    assert db.scalar(select(Enterprise.id).where(Enterprise.credit_code == NEW)) is None


def test_reimport_changes_nothing_and_updates_what_changed(db: Session, world: World, site_a: int) -> None:
    principal = acting(db, world, "admin")
    assert import_workbook(db, principal, good_workbook(world)).ok
    after_first = table_counts(db)

    again = import_workbook(db, principal, good_workbook(world))

    assert again.ok
    assert counts(again) == {
        "enterprise": (0, 0, 2),
        "permit": (0, 0, 2),
        "outlet": (0, 0, 2),
        "limit": (0, 0, 3),
        "membership": (0, 0, 2),
        "grade": (0, 0, 2),
    }
    assert table_counts(db) == after_first

    changed = import_workbook(db, principal, good_workbook(world, so2=30, end="2025-12-31"))

    assert changed.ok
    assert counts(changed)["limit"] == (0, 1, 2)
    assert counts(changed)["membership"] == (0, 1, 1)
    assert table_counts(db) == after_first
    so2 = db.scalars(select(OutletLimit).where(OutletLimit.pollutant == "a21026")).one()
    assert so2.limit_value == Decimal(30)
    new_id = db.scalar(select(Enterprise.id).where(Enterprise.credit_code == NEW))
    membership = db.scalars(select(ListMembership).where(ListMembership.enterprise_id == new_id)).one()
    assert membership.end == date(2025, 12, 31)

    reopened = import_workbook(db, principal, good_workbook(world, so2=30))

    assert problems(reopened) == {("名录", 2, "移出日期", "already_ended")}
    assert membership.end == date(2025, 12, 31)


def test_reimport_updates_an_enterprise_and_keeps_what_its_blank_cells_leave(db: Session, world: World) -> None:
    a = world.enterprise_a
    a.industry_code = "4411"  # an older record, without the section letter
    a.address, a.contact_phone = "花园社区2号", "0531-87654321"
    db.flush()
    principal = acting(db, world, "admin")
    row = [a.credit_code, "清源华能热电", None, world.village_a.code, None, 117.0215, 36.6512, "停产"]
    workbook = xlsx({"企业": [ENTERPRISE_HEADER, row]})

    report = import_workbook(db, principal, workbook)

    assert report.ok, [p.describe() for p in report.problems]
    assert counts(report)["enterprise"] == (0, 1, 0)
    assert (a.name, a.status, a.longitude, a.latitude) == (
        "清源华能热电",
        EnterpriseStatus.STOPPED,
        Decimal("117.0215"),
        Decimal("36.6512"),
    )
    assert (a.industry_code, a.address, a.contact_phone) == ("4411", "花园社区2号", "0531-87654321")
    assert updates_of(db, a) == [("admin", {"name", "status", "longitude", "latitude"})]

    again = import_workbook(db, principal, workbook)

    assert counts(again)["enterprise"] == (0, 0, 1)
    assert len(updates_of(db, a)) == 1


def updates_of(db: Session, enterprise: Enterprise) -> list[tuple[str, set[str]]]:
    """Which fields of an enterprise the admin changed, by its audit records."""
    db.flush()
    stmt = select(AuditRecord).where(
        AuditRecord.actor_label == "admin",
        AuditRecord.entity_type == "enterprises",
        AuditRecord.entity_id == str(enterprise.id),
        AuditRecord.action == "update",
    )
    return [(r.actor_label, set(r.after or {})) for r in db.scalars(stmt.order_by(AuditRecord.id))]


def test_a_branch_imports_only_its_county(db: Session, world: World) -> None:
    principal = acting(db, world, "branch_a")
    before = table_counts(db)
    b = world.enterprise_b.credit_code
    workbook = xlsx(
        {
            "企业": [
                ENTERPRISE_HEADER,
                [credit_code(30), "临河新建公司", None, world.town_b.code],
                [credit_code(31), "清源新建公司", None, world.town_a.code],
            ],
            "排污许可": [PERMIT_HEADER, [b, "P-B-1", "登记管理", "2025-01-01", "2029-12-31"]],
            "名录": [LIST_HEADER, [b, "重点排污单位名录", "2025-01-01"]],
        }
    )

    report = import_workbook(db, principal, workbook)

    assert problems(report) == {
        ("企业", 2, "所在区划代码", "region_outside_area"),
        ("排污许可", 2, "统一社会信用代码", "unknown_enterprise"),
        ("名录", 2, "统一社会信用代码", "unknown_enterprise"),
    }
    assert table_counts(db) == before

    # Moving another county's enterprise into one's own is refused, without saying where it is.
    moved = xlsx({"企业": [ENTERPRISE_HEADER, [b, "临河县鑫源化工有限公司", None, world.town_a.code]]})
    report = import_workbook(db, principal, moved)
    assert problems(report) == {("企业", 2, "统一社会信用代码", "credit_code_taken")}
    assert table_counts(db) == before

    own = xlsx(
        {
            "企业": [ENTERPRISE_HEADER, [credit_code(31), "清源新建公司", None, world.town_a.code]],
            "名录": [LIST_HEADER, [world.enterprise_a2.credit_code, "重点排污单位名录", "2025-01-01"]],
        }
    )
    report = import_workbook(db, principal, own)
    assert report.ok, [p.describe() for p in report.problems]
    assert counts(report)["enterprise"] == (1, 0, 0)
    assert counts(report)["membership"] == (1, 0, 0)


@pytest.mark.parametrize("role", ["inspector", "leader", "enterprise_a", "department"])
def test_roles_that_do_not_keep_enterprise_files_cannot_import(db: Session, world: World, role: str) -> None:
    with pytest.raises(ForbiddenError):
        import_workbook(db, acting(db, world, role), example_workbook())


def test_the_example_workbook_imports_cleanly(db: Session, world: World) -> None:
    principal = acting(db, world, "admin")

    report = import_workbook(db, principal, example_workbook())

    assert report.ok, [p.describe() for p in report.problems]
    assert report.sheets == ["企业", "排污许可", "名录", "绩效分级"]
    assert all(c == (2, 0, 0) for c in counts(report).values())
    assert set(report.counts) == set(Entity)
    assert all(c[:2] == (0, 0) for c in counts(import_workbook(db, principal, example_workbook())).values())


# --- reading, without a database -------------------------------------------------------------------------------------


def test_the_example_workbook_has_every_column_and_two_rows_per_sheet() -> None:
    parsed = parse_workbook(example_workbook())

    assert parsed.problems == []
    assert parsed.ignored_columns == []
    assert parsed.rows == {sheet: 2 for sheet in COLUMNS}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (date(2025, 3, 1), date(2025, 3, 1)),
        ("2025-03-01", date(2025, 3, 1)),
        ("2025/3/1", date(2025, 3, 1)),
        ("2025年3月1日", date(2025, 3, 1)),
        (" 2025-03-01 00:00:00 ", date(2025, 3, 1)),
        ("2025-02-30", None),
        ("03/01/2025", None),
        ("明天", None),
        (45717, None),
    ],
)
def test_dates_are_read_from_date_cells_and_three_ways_of_writing_them(cell: object, expected: date | None) -> None:
    parsed = parse_workbook(xlsx({"绩效分级": [GRADE_HEADER, [NEW, "A", cell]]}))

    if expected is None:
        assert problems_of(parsed) == {("绩效分级", 2, "起始日期", "bad_date")}
    else:
        assert [g.start for g in parsed.grades] == [expected]


def problems_of(parsed: ParsedWorkbook) -> set[tuple[str, int, str, str]]:
    return {(p.sheet, p.row, p.column, p.code) for p in parsed.problems}


@pytest.mark.parametrize(
    ("text", "kind", "code"),
    [
        ("二氧化硫", OutletKind.GAS, "a21026"),
        (" SO2 ", OutletKind.GAS, "a21026"),
        ("A21026", OutletKind.GAS, "a21026"),
        ("颗粒物", OutletKind.GAS, "a34013"),
        ("氟化物", OutletKind.GAS, "a21018"),
        ("氟化物", OutletKind.WATER, "w21017"),
        ("氨氮", OutletKind.WATER, "w21003"),
        ("化学需氧量", OutletKind.GAS, None),
        ("二氧化碳当量", OutletKind.GAS, None),
    ],
)
def test_pollutants_are_named_by_code_or_by_their_usual_name(text: str, kind: OutletKind, code: str | None) -> None:
    assert pollutant_code(text, kind) == code


def test_a_pollutant_of_the_other_kind_of_outlet_is_refused() -> None:
    permit = [NEW, "P-1", "重点管理", "2025-01-01", "2029-12-31"]
    rows = [
        [*permit, "DA001", None, "废气", None, "化学需氧量", 50, "mg/L", "日", None, "GB 8978"],
        [*permit, "DW001", None, "废水", None, "a21026", 50, "mg/L", "日", 6, "GB 8978"],
    ]

    parsed = parse_workbook(xlsx({"排污许可": [PERMIT_HEADER, *rows]}))

    assert problems_of(parsed) == {
        ("排污许可", 2, "污染物代码", "pollutant_kind"),
        ("排污许可", 3, "污染物代码", "pollutant_kind"),
        ("排污许可", 3, "基准氧含量", "reference_o2_water"),
    }


def test_rows_of_one_permit_must_agree_and_not_repeat_a_limit() -> None:
    limit = ["DA001", None, "废气", None, "二氧化硫", 35, "mg/m³", "小时", 6, "GB 13223"]
    rows = [
        [NEW, "P-1", "重点管理", "2025-01-01", "2029-12-31", *limit],
        [NEW, "P-1", "简化管理", "2025-01-01", "2029-12-31", *limit],
        [NEW, "P-1", "重点管理", "2025-01-01", "2029-12-31", *limit],
    ]

    parsed = parse_workbook(xlsx({"排污许可": [PERMIT_HEADER, *rows]}))

    assert problems_of(parsed) == {
        ("排污许可", 3, "管理类别", "conflicts_with_row"),
        ("排污许可", 4, "污染物代码", "duplicate_row"),
    }
    assert [row.row for row in parsed.permits] == [2]


def test_a_title_row_may_stand_above_the_header_and_industry_codes_get_their_section() -> None:
    sheet = [["清源市重点企业名单"], [], ["所在区划代码", "统一社会信用代码", "企业名称", "行业代码"]]
    sheet.append(["371802001000", NEW, "清源新建热电有限公司", " 4411 "])

    parsed = parse_workbook(xlsx({"企业": sheet}))

    assert parsed.problems == []
    [row] = parsed.enterprises
    assert (row.row, row.industry_code, row.region_code) == (4, "D4411", "371802001000")


def test_headers_and_words_match_in_full_width_and_without_spaces() -> None:
    header = ["＊统一社会信用代码", "绩效 等级", "起始日期（生效日）", "文号"]

    parsed = parse_workbook(
        xlsx({"绩效分级": [header, [f" {NEW.lower()} ", "ｂ级", "２０２５年３月１日", "清环发[2025]2号"]]})
    )

    assert parsed.problems == []
    assert [(g.credit_code, g.grade, g.start, g.document) for g in parsed.grades] == [
        (NEW, PerformanceGrade.B, date(2025, 3, 1), "清环发[2025]2号")
    ]


def test_a_missing_required_column_refuses_the_sheet() -> None:
    parsed = parse_workbook(xlsx({"名录": [["统一社会信用代码", "纳入日期"], [NEW, "2025-01-01"]]}))

    assert problems_of(parsed) == {("名录", 1, "名录", "column_missing")}
    assert parsed.memberships == []


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not a workbook", "bad_file"),
        (b"PK\x03\x04 but not a zip", "bad_file"),
        (xlsx({"Sheet1": [["a"], [1]]}), "no_sheets"),
    ],
)
def test_files_that_are_not_enterprise_workbooks(data: bytes, code: str) -> None:
    parsed = parse_workbook(data)

    assert [(p.sheet, p.row, p.code) for p in parsed.problems] == [("", 0, code)]


def test_a_retired_region_takes_no_new_enterprise_but_keeps_its_own(db: Session, world: World) -> None:
    world.village_a.active = False  # enterprise A lies there
    principal = acting(db, world, "admin")
    a = world.enterprise_a
    workbook = xlsx(
        {
            "企业": [
                ENTERPRISE_HEADER,
                [a.credit_code, a.name, None, world.village_a.code],
                [credit_code(40), "新建公司", None, world.village_a.code],
            ]
        }
    )
    report = import_workbook(db, principal, workbook)
    assert problems(report) == {("企业", 3, "所在区划代码", "region_retired")}
