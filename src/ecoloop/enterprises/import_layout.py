"""The layout of the enterprise-file workbook: its sheets and columns (with the other headers offices write), the
words accepted in cells, the names of pollutants, and the example workbook offered for download.

Sheet names, headers and the words accepted in cells are the file format offices use, so they are written here
in Chinese, like data fixtures; messages shown to users go through the catalog.
"""

from __future__ import annotations

import re
from datetime import date

from ecoloop.enterprises.enums import Averaging, EnterpriseStatus, OutletKind, PerformanceGrade, PermitClass
from ecoloop.enterprises.rules import credit_code_check_char
from ecoloop.sheets import squash
from ecoloop.sheets.table import Column, Words

# --- sheets and columns ---------------------------------------------------------------------------------------------

ENTERPRISES = "企业"
PERMITS = "排污许可"
LISTS = "名录"
GRADES = "绩效分级"


CREDIT_CODE = Column("credit_code", "统一社会信用代码", True, ("信用代码", "社会信用代码"))
COLUMNS: dict[str, tuple[Column, ...]] = {
    ENTERPRISES: (
        CREDIT_CODE,
        Column("name", "企业名称", True, ("单位名称",)),
        Column("industry_code", "行业代码", aliases=("行业类别代码",)),
        Column("region_code", "所在区划代码", True, ("区划代码", "行政区划代码")),
        Column("address", "地址", aliases=("详细地址", "生产经营场所地址")),
        Column("longitude", "经度"),
        Column("latitude", "纬度"),
        Column("status", "生产状态", aliases=("状态",)),
        Column("contact_name", "联系人", aliases=("环保负责人",)),
        Column("contact_phone", "联系电话", aliases=("电话",)),
    ),
    PERMITS: (
        CREDIT_CODE,
        Column("number", "许可证编号", True, ("许可证号", "排污许可证编号")),
        Column("permit_class", "管理类别", True),
        Column("valid_from", "有效期起", True, ("有效期开始",)),
        Column("valid_to", "有效期止", True, ("有效期结束", "有效期至")),
        Column("issued_by", "发证机关"),
        Column("outlet_code", "排放口编号", aliases=("排污口编号",)),
        Column("outlet_name", "排放口名称", aliases=("排污口名称",)),
        Column("outlet_kind", "排放口类型", aliases=("排污口类型",)),
        Column("site_code", "监测点位编码", aliases=("点位编码",)),
        Column("pollutant", "污染物代码", aliases=("污染物", "污染物名称", "污染物种类")),
        Column("limit_value", "限值", aliases=("排放限值", "许可排放浓度限值")),
        Column("unit", "单位"),
        Column("averaging", "均值类型"),
        Column("reference_o2", "基准氧含量"),
        Column("source", "限值依据", aliases=("执行标准",)),
    ),
    LISTS: (
        CREDIT_CODE,
        Column("list", "名录", True, ("名录名称", "名录代码")),
        Column("start", "纳入日期", True),
        Column("end", "移出日期"),
        Column("reason", "纳入原因"),
        Column("document", "文件", aliases=("文号", "依据文件")),
    ),
    GRADES: (
        CREDIT_CODE,
        Column("grade", "绩效等级", True, ("绩效分级", "等级")),
        Column("start", "起始日期", True, ("生效日期",)),
        Column("document", "文件", aliases=("文号", "依据文件")),
    ),
}
DATE_FORMATS = "YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日"


def header_of(sheet: str, key: str) -> str:
    """The header offices write for the column `key` of `sheet` ("" for none)."""
    return next((column.header for column in COLUMNS[sheet] if column.key == key), "")


# --- the words accepted in cells -------------------------------------------------------------------------------------


STATUS_WORDS = Words.of(
    EnterpriseStatus,
    {
        "正常生产": EnterpriseStatus.OPERATING,
        "停产": EnterpriseStatus.STOPPED,
        "关闭": EnterpriseStatus.CLOSED,
    },
    also={"正常": EnterpriseStatus.OPERATING, "关停": EnterpriseStatus.CLOSED},
)
PERMIT_CLASS_WORDS = Words.of(
    PermitClass,
    {"重点管理": PermitClass.KEY, "简化管理": PermitClass.SIMPLIFIED, "登记管理": PermitClass.REGISTRATION},
)
OUTLET_KIND_WORDS = Words.of(OutletKind, {"废气": OutletKind.GAS, "废水": OutletKind.WATER})
AVERAGING_WORDS = Words.of(
    Averaging, {"小时": Averaging.HOUR, "日": Averaging.DAY}, also={"小时均值": Averaging.HOUR, "日均值": Averaging.DAY}
)
GRADE_WORDS = Words.of(
    PerformanceGrade,
    {
        "A": PerformanceGrade.A,
        "B": PerformanceGrade.B,
        "C": PerformanceGrade.C,
        "D": PerformanceGrade.D,
        "引领性": PerformanceGrade.LEADING,
    },
    also={f"{grade}级": PerformanceGrade(grade) for grade in "ABCD"},
)

# --- pollutants -------------------------------------------------------------------------------------------------------

# HJ 212-2017 Appendix B codes and the names permits write for them, by outlet kind (氟化物 is a21018 in flue gas
# and w21017 in wastewater): the one table of names the import accepts. A code itself is always accepted.
POLLUTANT_NAMES: dict[OutletKind, dict[str, tuple[str, ...]]] = {
    OutletKind.GAS: {
        "a21026": ("二氧化硫", "SO2"),
        "a21002": ("氮氧化物", "NOx"),
        "a34013": ("颗粒物", "烟尘"),
        "a21005": ("一氧化碳", "CO"),
        "a21001": ("氨", "氨气"),
        "a21024": ("氯化氢",),
        "a21028": ("硫化氢",),
        "a21018": ("氟化物",),
        "a20057": ("汞及其化合物",),
        "a24088": ("非甲烷总烃",),
        "a25002": ("苯",),
        "a25003": ("甲苯",),
        "a25005": ("二甲苯",),
    },
    OutletKind.WATER: {
        "w01018": ("化学需氧量", "COD"),
        "w21003": ("氨氮", "NH3-N"),
        "w21011": ("总磷",),
        "w21001": ("总氮",),
        "w01017": ("五日生化需氧量", "BOD5"),
        "w01012": ("悬浮物",),
        "w22001": ("石油类",),
        "w23002": ("挥发酚",),
        "w21017": ("氟化物",),
        "w20111": ("总汞",),
        "w20115": ("总镉",),
        "w20116": ("总铬",),
        "w20117": ("六价铬",),
        "w20119": ("总砷",),
        "w20120": ("总铅",),
        "w20121": ("总镍",),
    },
}
POLLUTANT_PREFIX = {OutletKind.GAS: "a", OutletKind.WATER: "w"}
_POLLUTANT_CODE = re.compile(r"[a-z]\d{5}")


def pollutant_code(text: str, kind: OutletKind) -> str | None:
    """The HJ 212 code of a pollutant written as its code or as a name of `POLLUTANT_NAMES`, at an outlet of
    `kind`; None when unknown."""
    squashed = squash(text)
    if _POLLUTANT_CODE.fullmatch(squashed):
        return squashed
    names = {squash(name): code for code, names in POLLUTANT_NAMES[kind].items() for name in names}
    return names.get(squashed)


# --- the example workbook ---------------------------------------------------------------------------------------------


def _example_code(body: str) -> str:
    return body + credit_code_check_char(body)


_EXAMPLE_A = _example_code("91371802MA3C4QXL2")
_EXAMPLE_B = _example_code("91371821MA7D2KPN5")
_EXAMPLE_DOCUMENT = "清环发[2024]30号"


def _cells(*parts: tuple[object, ...]) -> tuple[object, ...]:
    return tuple(cell for part in parts for cell in part)


# Two rows per sheet, cell by cell in the order of COLUMNS.
EXAMPLE_ROWS: dict[str, tuple[tuple[object, ...], ...]] = {
    ENTERPRISES: (
        _cells(
            (_EXAMPLE_A, "清源示例热电有限公司", "D4411", "371802001000", "清源区湖滨街道示例路1号"),
            (117.0215, 36.6512, "正常生产", "张明", "0531-87654321"),
        ),
        _cells(
            (_EXAMPLE_B, "临河示例化工有限公司", "C2614", "371821", "临河县示例工业园2号"),
            (116.883, 36.9021, "停产", "李华", "13800000000"),
        ),
    ),
    PERMITS: (
        _cells(
            (_EXAMPLE_A, f"{_EXAMPLE_A}001P", "重点管理", date(2023, 1, 1), date(2027, 12, 31), "清源市生态环境局"),
            ("DA001", "1号锅炉烟囱", "废气", None, "二氧化硫", 100, "mg/m³", "小时", 6, "GB 13223-2011 表1"),
        ),
        _cells(
            (_EXAMPLE_B, f"{_EXAMPLE_B}001V", "简化管理", date(2024, 7, 1), date(2029, 6, 30), "清源市生态环境局"),
            ("DW001", "污水总排口", "废水", None, "w01018", 100, "mg/L", "日", None, "GB 8978-1996 表4"),
        ),
    ),
    LISTS: (
        (_EXAMPLE_A, "重点排污单位名录", date(2025, 1, 1), None, "大气环境重点排污单位", "清环发[2025]1号"),
        (
            _EXAMPLE_B,
            "enforcement_positive_list",
            date(2025, 3, 1),
            date(2025, 12, 31),
            "守法记录良好",
            "清环发[2025]8号",
        ),
    ),
    GRADES: (
        (_EXAMPLE_A, "B", date(2024, 10, 1), _EXAMPLE_DOCUMENT),
        (_EXAMPLE_B, "C", date(2024, 10, 1), _EXAMPLE_DOCUMENT),
    ),
}
_TEXT_KEYS = frozenset({"credit_code", "number", "region_code", "industry_code", "contact_phone", "outlet_code"})


def example_workbook() -> bytes:
    """The template offered for download: the four sheets with their headers and two example rows each (which
    import into the demo city)."""
    from openpyxl.styles import Font  # type: ignore[import-untyped]  # openpyxl ships no type information
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]  # as above

    from ecoloop.exports import append_row, new_workbook, workbook_bytes

    book = new_workbook()
    for sheet, examples in EXAMPLE_ROWS.items():
        worksheet = book.create_sheet(sheet)
        columns = COLUMNS[sheet]
        append_row(worksheet, [column.header for column in columns])
        for example in examples:
            append_row(worksheet, example)
        for position, column in enumerate(columns, start=1):
            letter = get_column_letter(position)
            worksheet.column_dimensions[letter].width = max(12, 2 * len(column.header) + 4)
            header, *cells = worksheet[letter]
            header.font = Font(bold=True)
            for cell in cells:
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
                elif column.key in _TEXT_KEYS:
                    cell.number_format = "@"
        worksheet.freeze_panes = "A2"
    return workbook_bytes(book)
