"""Excel import of enterprise files: enterprises, permits with outlets and limits, list memberships and grades.

A workbook has up to four sheets (企业, 排污许可, 名录, 绩效分级) with the headers offices use, in any column
order. `parse_workbook` reads and checks it without a database. `import_workbook` then writes it through
`enterprises.service` inside one savepoint, trying every row so that the report lists every problem; if there
is any problem nothing is kept. Importing the same workbook again duplicates nothing: enterprises (by credit
code), permits (by number), outlets and limits are updated in place, identical memberships and grades skipped.

Sheet names, headers and the words accepted in cells are the file format offices use, so they are written here
in Chinese, like data fixtures; messages shown to users go through the catalog.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, require
from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.enterprises import service
from ecoloop.enterprises.enums import Averaging, EnterpriseStatus, OutletKind, PerformanceGrade, PermitClass
from ecoloop.enterprises.models import (
    Enterprise,
    GradeRecord,
    ListMembership,
    Outlet,
    OutletLimit,
    Permit,
    SupervisionList,
)
from ecoloop.enterprises.rules import credit_code_check_char, credit_code_problem, industry_code_problem
from ecoloop.enterprises.service import EnterpriseError
from ecoloop.i18n import N_, gettext
from ecoloop.monitoring.models import Site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.queries import get_region_by_code
from ecoloop.standards.emission import LimitSpec

E = TypeVar("E", bound=StrEnum)

MAX_ROWS = 20_000  # data rows per sheet
HEADER_SEARCH_ROWS = 10  # a title row or two may stand above the header

# --- the workbook layout -------------------------------------------------------------------------------------------

ENTERPRISES = "企业"
PERMITS = "排污许可"
LISTS = "名录"
GRADES = "绩效分级"


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its key, the header offices write, other headers taken for it, whether it must exist."""

    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()


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


def _squash(text: str) -> str:
    """Text as words and names are matched: full-width forms as ASCII (NFKC), without spaces, case-folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


@dataclass(frozen=True)
class Words(Generic[E]):
    """The words a cell may hold for an enum: its values and the words offices write, matched without spaces and
    case-insensitively; `shown` is what a problem lists."""

    shown: tuple[str, ...]
    table: Mapping[str, E]

    @classmethod
    def of(cls, enum: type[E], words: Mapping[str, E], *, also: Mapping[str, E] | None = None) -> Words[E]:
        """`words` are shown in problems; `also` are accepted too."""
        accepted = {member.value: member for member in enum} | dict(words) | dict(also or {})
        return cls(tuple(words), {_squash(word): member for word, member in accepted.items()})

    def get(self, text: str) -> E | None:
        return self.table.get(_squash(text))


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
_POLLUTANT_PREFIX = {OutletKind.GAS: "a", OutletKind.WATER: "w"}
_POLLUTANT_CODE = re.compile(r"[a-z]\d{5}")

# GB/T 4754-2017: each section letter with its first two-digit division (A 01-05, B 06-12 … T 97), so that an
# industry code written without its letter ("4411") is read with it ("D4411").
_SECTION_STARTS = tuple(
    (int(start), letter)
    for letter, start in re.findall(
        r"([A-T])(\d\d)", "A01 B06 C13 D44 E47 F51 G53 H61 I63 J66 K70 L71 M73 N76 O80 P83 Q84 R86 S91 T97"
    )
)

# --- problems and the report ---------------------------------------------------------------------------------------

MESSAGES = {
    "bad_file": N_("The file is not an Excel workbook (.xlsx)."),
    "no_sheets": N_("The workbook has no sheet to import; the sheets are called %(value)s."),
    "column_missing": N_("The required column %(value)s is missing."),
    "column_duplicate": N_("The column %(value)s appears twice."),
    "too_many_rows": N_("The sheet has more than %(value)s rows."),
    "required": N_("This cell must be filled in."),
    "too_long": N_("The text is longer than %(value)s characters."),
    "bad_choice": N_("Not an accepted value; write one of: %(value)s."),
    "bad_date": N_("Not a date; write dates as %(value)s."),
    "not_a_number": N_("%(value)s is not a number."),
    "too_many_decimals": N_("At most %(value)s decimal places."),
    "too_large": N_("The number must be less than %(value)s."),
    "duplicate_row": N_("Row %(value)s of this sheet already gives this."),
    "conflicts_with_row": N_("Row %(value)s gives the same permit or outlet with another value here."),
    "credit_code_length": N_("A unified social credit code has 18 characters (GB 32100-2015)."),
    "credit_code_characters": N_("The credit code has characters GB 32100-2015 does not use (I, O, Z, S, V …)."),
    "credit_code_region_code": N_("Characters 3 to 8 of the credit code are the six digits of a region code."),
    "credit_code_check_character": N_(
        "The check character (the 18th) does not match the first 17 characters (GB 32100-2015)."
    ),
    "credit_code_taken": N_("An enterprise with this credit code is registered outside your area."),
    "industry_code": N_("Not a GB/T 4754-2017 industry code (a letter and 2 to 4 digits, e.g. D4411)."),
    "region_unknown": N_("There is no region with the code %(value)s."),
    "region_outside_area": N_("The region %(value)s is outside your area."),
    "region_too_coarse": N_("An enterprise lies in a county, town or village, not in the city as a whole."),
    "coordinates_incomplete": N_("Longitude and latitude are given together."),
    "coordinates_out_of_range": N_("Longitude lies between -180 and 180, latitude between -90 and 90."),
    "end_before_start": N_("The end date is before the start date."),
    "unknown_enterprise": N_("No enterprise with this credit code in this workbook or in your area."),
    "permit_number_taken": N_("The permit %(value)s is recorded for another enterprise."),
    "unknown_pollutant": N_("Unknown pollutant %(value)s; write its HJ 212 code (e.g. a21026) or its usual name."),
    "pollutant_kind": N_("The pollutant %(value)s is not measured at this kind of outlet."),
    "limit_not_positive": N_("A limit is greater than zero."),
    "reference_o2_range": N_("The reference oxygen content lies between 0 and 21 %%."),
    "reference_o2_water": N_("Wastewater limits have no reference oxygen content."),
    "limit_invalid": N_("The limit is not valid: %(value)s."),
    "site_unknown": N_("No monitoring site with the code %(value)s in your area."),
    "site_of_another_enterprise": N_("The monitoring site belongs to another enterprise."),
    "unknown_list": N_("There is no list %(value)s; write the list's name or code."),
    "membership_overlaps": N_("The enterprise is already on this list for part of this period."),
    "already_ended": N_("This membership ended on %(value)s; a later or open end cannot be imported."),
    "grade_not_after_latest": N_("The enterprise has a grade starting on or after this date."),
    "database": N_("The database refused this row (%(value)s); nothing was imported."),
}
OTHER_MESSAGE = N_("Not recorded: %(value)s.")


@dataclass(frozen=True)
class Problem:
    """Why a cell, row, sheet or file cannot be imported: the sheet, the row as Excel numbers it (the header is
    row 1; 0 is the file as a whole), the column's header, a stable code and the value the message names."""

    sheet: str
    row: int
    column: str
    code: str
    value: str = ""

    @property
    def message(self) -> str:
        """The problem in the current language."""
        return gettext(MESSAGES.get(self.code, OTHER_MESSAGE)) % {"value": self.value}

    def describe(self) -> str:
        """Where and what, in the current language, with the code (for the CLI and logs)."""
        where = [self.sheet] if self.sheet else []
        if self.row:
            where.append(gettext("row %(row)s") % {"row": self.row})
        if self.column:
            where.append(self.column)
        text = f"{self.message} [{self.code}]"
        return f"{' '.join(where)}: {text}" if where else text


class Entity(StrEnum):
    """What an import counts: the records of each sheet (the permit sheet's rows give permits, outlets, limits)."""

    ENTERPRISE = "enterprise"
    PERMIT = "permit"
    OUTLET = "outlet"
    LIMIT = "limit"
    MEMBERSHIP = "membership"
    GRADE = "grade"


ENTITY_SHEETS = {
    Entity.ENTERPRISE: ENTERPRISES,
    Entity.PERMIT: PERMITS,
    Entity.OUTLET: PERMITS,
    Entity.LIMIT: PERMITS,
    Entity.MEMBERSHIP: LISTS,
    Entity.GRADE: GRADES,
}


@dataclass
class Counts:
    """Records added, updated and left as they were."""

    added: int = 0
    updated: int = 0
    skipped: int = 0

    def tally(self, *, added: bool, changed: bool) -> None:
        if added:
            self.added += 1
        elif changed:
            self.updated += 1
        else:
            self.skipped += 1


def _zero_counts() -> dict[Entity, Counts]:
    return {entity: Counts() for entity in Entity}


@dataclass
class ImportReport:
    """The outcome of an import: sheets read (and ignored), data rows per sheet, what was written, problems. When
    there is any problem nothing was written and every count is zero."""

    sheets: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    ignored_sheets: list[str] = field(default_factory=list)
    ignored_columns: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[Entity, Counts] = field(default_factory=_zero_counts)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the workbook was imported (it had no problem)."""
        return not self.problems


# --- reading a workbook (pure) -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseRow:
    """A row of the enterprise sheet; None: the cell is blank (an existing enterprise keeps its value)."""

    row: int
    credit_code: str
    name: str
    region_code: str
    industry_code: str | None
    address: str | None
    longitude: Decimal | None
    latitude: Decimal | None
    status: EnterpriseStatus | None
    contact_name: str | None
    contact_phone: str | None


@dataclass(frozen=True)
class OutletPart:
    """The outlet a permit row names."""

    code: str
    name: str | None
    kind: OutletKind
    site_code: str | None


@dataclass(frozen=True)
class LimitPart:
    """The limit a permit row gives, checked as `standards.emission.LimitSpec` checks it."""

    pollutant: str
    value: Decimal
    unit: str
    averaging: Averaging
    reference_o2: Decimal | None
    source: str


@dataclass(frozen=True)
class PermitRow:
    """A row of the permit sheet: a permit, optionally one of its outlets, optionally one limit there."""

    row: int
    credit_code: str
    number: str
    permit_class: PermitClass
    valid_from: date
    valid_to: date
    issued_by: str | None
    outlet: OutletPart | None
    limit: LimitPart | None


@dataclass(frozen=True)
class MembershipRow:
    """A row of the list sheet: an enterprise on a list (named by code or name) from `start` to `end`."""

    row: int
    credit_code: str
    list_ref: str
    start: date
    end: date | None
    reason: str | None
    document: str | None


@dataclass(frozen=True)
class GradeRow:
    """A row of the grade sheet: an enterprise's performance grade from `start` on."""

    row: int
    credit_code: str
    grade: PerformanceGrade
    start: date
    document: str | None


@dataclass
class ParsedWorkbook:
    """The rows of a workbook that passed every check made without a database, and the problems of the others.
    `declared` holds the credit codes of every row of the enterprise sheet, valid or not."""

    enterprises: list[EnterpriseRow] = field(default_factory=list)
    permits: list[PermitRow] = field(default_factory=list)
    memberships: list[MembershipRow] = field(default_factory=list)
    grades: list[GradeRow] = field(default_factory=list)
    declared: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    ignored_sheets: list[str] = field(default_factory=list)
    ignored_columns: list[tuple[str, str]] = field(default_factory=list)


def parse_workbook(data: bytes) -> ParsedWorkbook:
    """Read and check an .xlsx workbook's sheets, as far as that is possible without a database."""
    parsed = ParsedWorkbook()
    try:
        sheets = _read_sheets(data)
    except _BadFileError:
        parsed.problems.append(Problem("", 0, "", "bad_file"))
        return parsed
    for title, rows in sheets:
        name = title.strip()
        if name not in COLUMNS or name in parsed.sheets:
            parsed.ignored_sheets.append(title)
            continue
        parsed.sheets.append(name)
        records = _records(name, rows, parsed)
        parsed.rows[name] = len(records)
        _PARSERS[name](parsed, records)
    if not parsed.sheets:
        parsed.problems.append(Problem("", 0, "", "no_sheets", ", ".join(COLUMNS)))
    return parsed


class _BadFileError(ValueError):
    pass


def _read_sheets(data: bytes) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every worksheet's title and rows (row i of the list is Excel's row i + 1)."""
    import openpyxl  # type: ignore[import-untyped]  # openpyxl ships no type information

    if not data.startswith(b"PK\x03\x04"):
        raise _BadFileError
    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it does not read (styles, extensions); values are unaffected.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return [(sheet.title, list(_limited(sheet.iter_rows(values_only=True)))) for sheet in book.worksheets]
            finally:
                book.close()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, TypeError) as exc:
        raise _BadFileError from exc


def _limited(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Rows up to the first beyond the limit (header and title rows included), so that the limit can be reported."""
    filled = 0
    for cells in rows:
        if not _blank_row(cells):
            filled += 1
            if filled > MAX_ROWS + HEADER_SEARCH_ROWS + 1:
                yield cells
                return
        yield cells


def _records(sheet: str, rows: Sequence[tuple[Any, ...]], parsed: ParsedWorkbook) -> list[tuple[int, dict[str, Any]]]:
    """The data rows of a sheet as (Excel row number, {column key: cell}); header problems go to `parsed`."""
    found = _find_header(rows)
    if found is None:
        return []
    header_row, header = found
    positions = _header_positions(sheet, header_row, header, parsed)
    if positions is None:
        return []
    records: list[tuple[int, dict[str, Any]]] = []
    for number, cells in enumerate(rows[header_row:], start=header_row + 1):
        if _blank_row(cells):
            continue
        if len(records) == MAX_ROWS:
            parsed.problems.append(Problem(sheet, number, "", "too_many_rows", str(MAX_ROWS)))
            break
        records.append((number, {key: cells[i] for i, key in positions.items() if i < len(cells)}))
    return records


def _find_header(rows: Sequence[tuple[Any, ...]]) -> tuple[int, tuple[Any, ...]] | None:
    """The header: the first row naming the credit-code column, else the first row with anything in it."""
    first: tuple[int, tuple[Any, ...]] | None = None
    keys = {_header_key(h) for h in (CREDIT_CODE.header, *CREDIT_CODE.aliases)}
    for number, cells in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        if _blank_row(cells):
            continue
        first = first or (number, cells)
        if any(_header_key(text) in keys for text in map(_text, cells) if text):
            return number, cells
    return first


def _header_positions(
    sheet: str, number: int, header: tuple[Any, ...], parsed: ParsedWorkbook
) -> dict[int, str] | None:
    """Column position → key; None when a required column is missing (the sheet's rows cannot be read)."""
    columns = COLUMNS[sheet]
    lookup = {_header_key(name): column for column in columns for name in (column.header, *column.aliases)}
    positions: dict[int, str] = {}
    for position, cell in enumerate(header):
        text = _text(cell)
        if text is None:
            continue
        column = lookup.get(_header_key(text))
        if column is None:
            parsed.ignored_columns.append((sheet, text))
        elif column.key in positions.values():
            parsed.problems.append(Problem(sheet, number, column.header, "column_duplicate", text))
        else:
            positions[position] = column.key
    missing = [c for c in columns if c.required and c.key not in positions.values()]
    for column in missing:
        parsed.problems.append(Problem(sheet, number, column.header, "column_missing", column.header))
    return None if missing else positions


class _Cells:
    """The cells of one data row by column key; each reader records the problems it finds."""

    def __init__(self, sheet: str, row: int, values: Mapping[str, Any], problems: list[Problem]) -> None:
        self.sheet = sheet
        self.row = row
        self.values = values
        self.problems = problems
        self.ok = True

    def problem(self, key: str, code: str, value: object = "") -> None:
        self.ok = False
        self.problems.append(Problem(self.sheet, self.row, _header(self.sheet, key), code, str(value)))

    def given(self, key: str) -> bool:
        return _text(self.values.get(key)) is not None

    def text(self, key: str, limit: int, *, required: bool = False) -> str | None:
        value = _text(self.values.get(key))
        if value is None:
            if required:
                self.problem(key, "required")
            return None
        if len(value) > limit:
            self.problem(key, "too_long", limit)
            return None
        return value

    def credit_code(self) -> str | None:
        value = self.text("credit_code", 40, required=True)
        if value is None:
            return None
        code = _squash(value).upper()
        problem = credit_code_problem(code)
        if problem is not None:
            self.problem("credit_code", f"credit_code_{problem}", value)
            return None
        return code

    def industry_code(self) -> str | None:
        value = self.text("industry_code", 10)
        if value is None:
            return None
        code = _squash(value).upper()
        if code.isdigit() and 2 <= len(code) <= 4 and 1 <= int(code[:2]) <= 97:
            code = [letter for start, letter in _SECTION_STARTS if start <= int(code[:2])][-1] + code
        if industry_code_problem(code) is not None:
            self.problem("industry_code", "industry_code", value)
            return None
        return code

    def day(self, key: str, *, required: bool = False) -> date | None:
        raw = self.values.get(key)
        if _text(raw) is None:
            if required:
                self.problem(key, "required")
            return None
        parsed = _parse_date(raw)
        if parsed is None:
            self.problem(key, "bad_date", DATE_FORMATS)
        return parsed

    def number(self, key: str, *, places: int, below: int, required: bool = False) -> Decimal | None:
        raw = self.values.get(key)
        if _text(raw) is None:
            if required:
                self.problem(key, "required")
            return None
        value = _parse_decimal(raw)
        if value is None:
            self.problem(key, "not_a_number", _text(raw))
            return None
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            self.problem(key, "too_many_decimals", places)
            return None
        if abs(value) >= below:
            self.problem(key, "too_large", below)
            return None
        return value

    def coordinate(self, key: str, bound: int) -> Decimal | None:
        """A longitude or latitude, rounded to the six places stored (about 0.1 m)."""
        raw = self.values.get(key)
        if _text(raw) is None:
            return None
        value = _parse_decimal(raw)
        if value is None:
            self.problem(key, "not_a_number", _text(raw))
            return None
        if not -bound <= value <= bound:
            self.problem(key, "coordinates_out_of_range", value)
            return None
        return value.quantize(Decimal("0.000001"))

    def choice(self, key: str, words: Words[E], *, required: bool = False) -> E | None:
        value = _text(self.values.get(key))
        if value is None:
            if required:
                self.problem(key, "required")
            return None
        found = words.get(value)
        if found is None:
            self.problem(key, "bad_choice", " / ".join(words.shown))
        return found


def _parse_enterprises(parsed: ParsedWorkbook, records: list[tuple[int, dict[str, Any]]]) -> None:
    first: dict[str, int] = {}
    for number, values in records:
        cells = _Cells(ENTERPRISES, number, values, parsed.problems)
        code = cells.credit_code()
        if code is not None:
            parsed.declared.add(code)
            if code in first:
                cells.problem("credit_code", "duplicate_row", first[code])
            first.setdefault(code, number)
        name = cells.text("name", 200, required=True)
        region_code = cells.text("region_code", 12, required=True)
        industry_code = cells.industry_code()
        longitude = cells.coordinate("longitude", 180)
        latitude = cells.coordinate("latitude", 90)
        if cells.given("longitude") != cells.given("latitude"):
            cells.problem("latitude" if cells.given("longitude") else "longitude", "coordinates_incomplete")
        row = EnterpriseRow(
            row=number,
            credit_code=code or "",
            name=name or "",
            region_code=region_code or "",
            industry_code=industry_code,
            address=cells.text("address", 300),
            longitude=longitude,
            latitude=latitude,
            status=cells.choice("status", STATUS_WORDS),
            contact_name=cells.text("contact_name", 50),
            contact_phone=cells.text("contact_phone", 30),
        )
        if cells.ok:
            parsed.enterprises.append(row)


def _parse_permits(parsed: ParsedWorkbook, records: list[tuple[int, dict[str, Any]]]) -> None:
    rows: list[PermitRow] = []
    for number, values in records:
        cells = _Cells(PERMITS, number, values, parsed.problems)
        code = cells.credit_code()
        permit_number = cells.text("number", 40, required=True)
        permit_class = cells.choice("permit_class", PERMIT_CLASS_WORDS, required=True)
        valid_from = cells.day("valid_from", required=True)
        valid_to = cells.day("valid_to", required=True)
        if valid_from and valid_to and valid_to < valid_from:
            cells.problem("valid_to", "end_before_start")
        issued_by = cells.text("issued_by", 100)
        outlet = _outlet_part(cells)
        limit = _limit_part(cells, outlet)
        if cells.ok and code and permit_number and permit_class and valid_from and valid_to:
            row = PermitRow(number, code, permit_number, permit_class, valid_from, valid_to, issued_by, outlet, limit)
            rows.append(row)
    parsed.permits.extend(_consistent_permits(rows, parsed.problems))


def _outlet_part(cells: _Cells) -> OutletPart | None:
    code = cells.text("outlet_code", 16)
    details = ("outlet_name", "outlet_kind", "site_code", *_LIMIT_KEYS)
    if code is None:
        if any(cells.given(key) for key in details):
            cells.problem("outlet_code", "required")
        return None
    kind = cells.choice("outlet_kind", OUTLET_KIND_WORDS, required=True)
    name = cells.text("outlet_name", 100)
    site_code = cells.text("site_code", 64)
    return OutletPart(code.upper(), name, kind, site_code) if kind else None


_LIMIT_KEYS = ("pollutant", "limit_value", "unit", "averaging", "reference_o2", "source")


def _limit_part(cells: _Cells, outlet: OutletPart | None) -> LimitPart | None:
    if not any(cells.given(key) for key in _LIMIT_KEYS):
        return None
    raw_pollutant = cells.text("pollutant", 40, required=True)
    value = cells.number("limit_value", places=4, below=10**10, required=True)
    unit = cells.text("unit", 16, required=True)
    averaging = cells.choice("averaging", AVERAGING_WORDS) or Averaging.HOUR
    reference_o2 = cells.number("reference_o2", places=1, below=1000)
    source = cells.text("source", 200, required=True)
    if outlet is None:
        return None
    pollutant = _pollutant(cells, raw_pollutant, outlet.kind) if raw_pollutant else None
    if value is not None and value <= 0:
        cells.problem("limit_value", "limit_not_positive")
    if reference_o2 is not None and outlet.kind is OutletKind.WATER:
        cells.problem("reference_o2", "reference_o2_water")
    elif reference_o2 is not None and not Decimal(0) <= reference_o2 < Decimal(21):
        cells.problem("reference_o2", "reference_o2_range")
    if not cells.ok or pollutant is None or value is None or unit is None or source is None:
        return None
    try:
        LimitSpec(
            pollutant=pollutant,
            limit=value,
            unit=unit,
            averaging=averaging.value,
            source=source,
            reference_o2=reference_o2,
        )
    except ValueError as exc:
        cells.problem("limit_value", "limit_invalid", exc)
        return None
    return LimitPart(pollutant, value, unit, averaging, reference_o2, source)


def pollutant_code(text: str, kind: OutletKind) -> str | None:
    """The HJ 212 code of a pollutant written as its code or as a name of `POLLUTANT_NAMES`, at an outlet of
    `kind`; None when unknown."""
    squashed = _squash(text)
    if _POLLUTANT_CODE.fullmatch(squashed):
        return squashed
    names = {_squash(name): code for code, names in POLLUTANT_NAMES[kind].items() for name in names}
    return names.get(squashed)


def _pollutant(cells: _Cells, text: str, kind: OutletKind) -> str | None:
    code = pollutant_code(text, kind)
    if code is None:
        other = OutletKind.WATER if kind is OutletKind.GAS else OutletKind.GAS
        cells.problem("pollutant", "pollutant_kind" if pollutant_code(text, other) else "unknown_pollutant", text)
        return None
    if not code.startswith(_POLLUTANT_PREFIX[kind]):
        cells.problem("pollutant", "pollutant_kind", text)
        return None
    return code


def _consistent_permits(rows: list[PermitRow], problems: list[Problem]) -> list[PermitRow]:
    """The rows that agree with the first row of their permit and outlet and repeat no limit."""
    permits: dict[str, PermitRow] = {}
    outlets: dict[tuple[str, str], OutletPart] = {}
    outlet_rows: dict[tuple[str, str], int] = {}
    limits: dict[tuple[str, str, str, Averaging], int] = {}
    kept = []
    for row in rows:
        first = permits.setdefault(row.number, row)
        key = _first_difference(row, first, ("credit_code", "permit_class", "valid_from", "valid_to", "issued_by"))
        conflict = (key, first.row) if key else None
        if row.outlet and not conflict:
            outlet_key = (row.number, row.outlet.code)
            first_outlet = outlets.setdefault(outlet_key, row.outlet)
            outlet_rows.setdefault(outlet_key, row.row)
            key = _first_difference(row.outlet, first_outlet, ("kind", "name", "site_code"))
            conflict = (f"outlet_{key}" if key in ("kind", "name") else key, outlet_rows[outlet_key]) if key else None
        if conflict:
            problems.append(
                Problem(PERMITS, row.row, _header(PERMITS, conflict[0]), "conflicts_with_row", str(conflict[1]))
            )
            continue
        if row.outlet and row.limit:
            limit_key = (row.number, row.outlet.code, row.limit.pollutant, row.limit.averaging)
            if limit_key in limits:
                problems.append(
                    Problem(PERMITS, row.row, _header(PERMITS, "pollutant"), "duplicate_row", str(limits[limit_key]))
                )
                continue
            limits[limit_key] = row.row
        kept.append(row)
    return kept


def _first_difference(row: object, first: object, keys: Sequence[str]) -> str | None:
    """The first of `keys` whose values both objects give and differ."""
    for key in keys:
        mine, theirs = getattr(row, key), getattr(first, key)
        if mine is not None and theirs is not None and mine != theirs:
            return key
    return None


def _parse_memberships(parsed: ParsedWorkbook, records: list[tuple[int, dict[str, Any]]]) -> None:
    first: dict[tuple[str, str, date], int] = {}
    for number, values in records:
        cells = _Cells(LISTS, number, values, parsed.problems)
        code = cells.credit_code()
        list_ref = cells.text("list", 200, required=True)
        start = cells.day("start", required=True)
        end = cells.day("end")
        if start and end and end < start:
            cells.problem("end", "end_before_start")
        reason = cells.text("reason", 300)
        document = cells.text("document", 200)
        if code and list_ref and start:
            key = (code, _squash(list_ref), start)
            if key in first:
                cells.problem("start", "duplicate_row", first[key])
            first.setdefault(key, number)
        if cells.ok and code and list_ref and start:
            parsed.memberships.append(MembershipRow(number, code, list_ref, start, end, reason, document))


def _parse_grades(parsed: ParsedWorkbook, records: list[tuple[int, dict[str, Any]]]) -> None:
    first: dict[tuple[str, date], int] = {}
    for number, values in records:
        cells = _Cells(GRADES, number, values, parsed.problems)
        code = cells.credit_code()
        grade = cells.choice("grade", GRADE_WORDS, required=True)
        start = cells.day("start", required=True)
        document = cells.text("document", 200)
        if code and start:
            if (code, start) in first:
                cells.problem("start", "duplicate_row", first[code, start])
            first.setdefault((code, start), number)
        if cells.ok and code and grade and start:
            parsed.grades.append(GradeRow(number, code, grade, start, document))


_PARSERS = {
    ENTERPRISES: _parse_enterprises,
    PERMITS: _parse_permits,
    LISTS: _parse_memberships,
    GRADES: _parse_grades,
}


def _text(value: Any) -> str | None:
    """A cell as text, None when blank; numbers as their digits (a region code typed as 371802 is "371802")."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _blank_row(cells: Sequence[Any]) -> bool:
    return all(_text(cell) is None for cell in cells)


_DATE_PATTERNS = (
    re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
)


def _parse_date(value: Any) -> date | None:
    """An Excel date cell, or text as YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(value.strip())
        if match:
            try:
                return date(*map(int, match.groups()))
            except ValueError:
                return None
    return None


def _parse_decimal(value: Any) -> Decimal | None:
    """A number cell, or text of a number; floats through their shortest text, so 0.1 stays 0.1."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _header_key(text: str) -> str:
    """A header as matched: like `_squash`, and without required-marks (*) or a trailing unit ("限值(mg/m³)")."""
    return re.sub(r"\([^()]*\)$|\[[^\[\]]*\]$", "", _squash(text).replace("*", ""))


def _header(sheet: str, key: str) -> str:
    return next((column.header for column in COLUMNS[sheet] if column.key == key), "")


# --- writing (one savepoint, through the service) ------------------------------------------------------------------

# The column a service refusal is reported in, by the service's error code.
_ERROR_COLUMNS = {
    "credit_code_taken": "credit_code",
    "name_missing": "name",
    "industry_code": "industry_code",
    "coordinates_incomplete": "longitude",
    "coordinates_out_of_range": "longitude",
    "permit_number_taken": "number",
    "end_before_start": "end",
    "outlet_code_taken": "outlet_code",
    "site_of_another_enterprise": "site_code",
    "limit_invalid": "limit_value",
    "limit_taken": "pollutant",
    "limit_source_missing": "source",
    "membership_overlaps": "start",
    "already_ended": "end",
    "grade_not_after_latest": "start",
}


def import_workbook(session: Session, principal: Principal, data: bytes) -> ImportReport:
    """Import an .xlsx workbook of enterprise files as `principal` (who needs `manage_enterprises`; a branch
    reaches only its county's enterprises): all of it, or nothing when any row has a problem. Writes go through
    `enterprises.service` in a savepoint of the session; the caller sets the audit actor and commits."""
    require(principal, Action.MANAGE_ENTERPRISES)
    parsed = parse_workbook(data)
    report = ImportReport(
        sheets=parsed.sheets,
        rows=parsed.rows,
        ignored_sheets=parsed.ignored_sheets,
        ignored_columns=parsed.ignored_columns,
        problems=list(parsed.problems),
    )
    if not parsed.sheets:
        return report
    writer = _Writer(session, principal, parsed, report)
    savepoint = session.begin_nested()
    try:
        writer.run()
    except SQLAlchemyError as exc:
        savepoint.rollback()
        sheet, row = writer.at
        report.problems.append(Problem(sheet, row, "", "database", type(exc).__name__))
    except BaseException:
        savepoint.rollback()
        raise
    else:
        if report.problems:
            savepoint.rollback()
        else:
            savepoint.commit()
    if report.problems:
        report.counts = _zero_counts()
        report.problems.sort(key=_problem_order)
    return report


def _problem_order(problem: Problem) -> tuple[int, int, int]:
    sheets = list(COLUMNS)
    sheet = sheets.index(problem.sheet) + 1 if problem.sheet in sheets else 0
    headers = [column.header for column in COLUMNS.get(problem.sheet, ())]
    column = headers.index(problem.column) if problem.column in headers else len(headers)
    return sheet, problem.row, column


class _Writer:
    """Writes parsed rows through the service, recording each refusal with its sheet and row."""

    def __init__(self, session: Session, principal: Principal, parsed: ParsedWorkbook, report: ImportReport) -> None:
        self.session = session
        self.principal = principal
        self.parsed = parsed
        self.report = report
        self.at: tuple[str, int] = ("", 0)  # the row being written, for a database error
        self.enterprises: dict[str, Enterprise] = {}
        self.regions: dict[str, Region | None] = {}
        self.sites: dict[str, Site | None] = {}
        self.permits: dict[str, Permit | None] = {}
        self.outlets: dict[tuple[str, str], Outlet | None] = {}

    def run(self) -> None:
        self.write_enterprises()
        self.write_permits()
        self.write_memberships()
        self.write_grades()

    def problem(self, sheet: str, row: int, key: str, code: str, value: object = "") -> None:
        self.report.problems.append(Problem(sheet, row, _header(sheet, key), code, str(value)))

    def refused(self, sheet: str, row: int, error: EnterpriseError, key: str) -> None:
        self.problem(sheet, row, _ERROR_COLUMNS.get(error.code, key), error.code, error)

    def tally(self, entity: Entity, *, added: bool = False, changed: bool = False) -> None:
        self.report.counts[entity].tally(added=added, changed=changed)

    # enterprises

    def write_enterprises(self) -> None:
        for row in self.parsed.enterprises:
            self.at = (ENTERPRISES, row.row)
            region = self.region(row)
            existing = self.visible_enterprise(row.credit_code)
            if existing is None and self.session.scalar(
                select(Enterprise.id).where(Enterprise.credit_code == row.credit_code)
            ):
                self.problem(ENTERPRISES, row.row, "credit_code", "credit_code_taken")
                continue
            if region is None:
                continue
            if existing is not None:
                self.tally(Entity.ENTERPRISE, changed=_update_enterprise(existing, row, region))
                self.enterprises[row.credit_code] = existing
                continue
            try:
                enterprise = service.create_enterprise(
                    self.session,
                    credit_code=row.credit_code,
                    name=row.name,
                    region=region,
                    industry_code=row.industry_code,
                    address=row.address,
                    status=row.status or EnterpriseStatus.OPERATING,
                    longitude=row.longitude,
                    latitude=row.latitude,
                    contact_name=row.contact_name,
                    contact_phone=row.contact_phone,
                )
            except EnterpriseError as exc:
                self.refused(ENTERPRISES, row.row, exc, "credit_code")
                continue
            self.tally(Entity.ENTERPRISE, added=True)
            self.enterprises[row.credit_code] = enterprise

    def region(self, row: EnterpriseRow) -> Region | None:
        """The row's region if the principal may place enterprises there (a county, town or village of its area)."""
        code = row.region_code
        if code not in self.regions:
            self.regions[code] = get_region_by_code(self.session, self.principal, code)
        region = self.regions[code]
        if region is None:
            exists = self.session.scalar(select(Region.id).where(Region.code == code)) is not None
            self.problem(
                ENTERPRISES, row.row, "region_code", "region_outside_area" if exists else "region_unknown", code
            )
        elif region.level is RegionLevel.CITY:
            self.problem(ENTERPRISES, row.row, "region_code", "region_too_coarse", code)
            return None
        return region

    def visible_enterprise(self, credit_code: str) -> Enterprise | None:
        stmt = select(Enterprise).where(Enterprise.credit_code == credit_code)
        return self.session.scalars(scoped(stmt, self.principal, Enterprise)).first()

    def enterprise_for(self, sheet: str, row: int, credit_code: str) -> Enterprise | None:
        """The enterprise a permit, list or grade row refers to: from this workbook or visible to the principal."""
        if credit_code in self.enterprises:
            return self.enterprises[credit_code]
        if credit_code in self.parsed.declared:
            return None  # its row of the enterprise sheet has a problem, reported there
        enterprise = self.visible_enterprise(credit_code)
        if enterprise is None:
            self.problem(sheet, row, "credit_code", "unknown_enterprise", credit_code)
            return None
        self.enterprises[credit_code] = enterprise
        return enterprise

    # permits, outlets, limits

    def write_permits(self) -> None:
        for row in self.parsed.permits:
            self.at = (PERMITS, row.row)
            enterprise = self.enterprise_for(PERMITS, row.row, row.credit_code)
            permit = self.permit(row, enterprise) if enterprise else None
            outlet = self.outlet(row, row.outlet, permit) if permit and row.outlet else None
            if outlet and row.limit:
                self.limit(row, row.limit, outlet)

    def permit(self, row: PermitRow, enterprise: Enterprise) -> Permit | None:
        if row.number in self.permits:
            return self.permits[row.number]
        permit = self.session.scalars(select(Permit).where(Permit.number == row.number)).first()
        if permit is not None and permit.enterprise_id != enterprise.id:
            self.problem(PERMITS, row.row, "number", "permit_number_taken", row.number)
            permit = None
        elif permit is not None:
            values = {
                "permit_class": row.permit_class,
                "valid_from": row.valid_from,
                "valid_to": row.valid_to,
                "issued_by": row.issued_by,
            }
            self.tally(Entity.PERMIT, changed=_assign(permit, values))
        else:
            try:
                permit = service.add_permit(
                    self.session,
                    enterprise=enterprise,
                    number=row.number,
                    permit_class=row.permit_class,
                    valid_from=row.valid_from,
                    valid_to=row.valid_to,
                    issued_by=row.issued_by,
                )
                self.tally(Entity.PERMIT, added=True)
            except EnterpriseError as exc:
                self.refused(PERMITS, row.row, exc, "number")
        self.permits[row.number] = permit
        return permit

    def outlet(self, row: PermitRow, part: OutletPart, permit: Permit) -> Outlet | None:
        key = (row.number, part.code)
        if key in self.outlets:
            return self.outlets[key]
        site = self.site(row.row, part.site_code, permit) if part.site_code else None
        outlet: Outlet | None = None
        if part.site_code is None or site is not None:
            stmt = select(Outlet).where(Outlet.permit_id == permit.id, Outlet.code == part.code)
            outlet = self.session.scalars(stmt).first()
            if outlet is not None:
                values = {"name": part.name, "kind": part.kind, "site_id": site.id if site else None}
                self.tally(Entity.OUTLET, changed=_assign(outlet, values))
            else:
                try:
                    outlet = service.add_outlet(
                        self.session, permit=permit, code=part.code, name=part.name or "", kind=part.kind, site=site
                    )
                    self.tally(Entity.OUTLET, added=True)
                except EnterpriseError as exc:
                    self.refused(PERMITS, row.row, exc, "outlet_code")
        self.outlets[key] = outlet
        return outlet

    def site(self, row: int, code: str, permit: Permit) -> Site | None:
        """The monitoring site an outlet row names, if the principal sees it and it is the permit holder's."""
        if code not in self.sites:
            stmt = scoped(select(Site).where(Site.code == code), self.principal, Site)
            self.sites[code] = self.session.scalars(stmt).first()
        site = self.sites[code]
        if site is None:
            self.problem(PERMITS, row, "site_code", "site_unknown", code)
        elif site.enterprise_id != permit.enterprise_id:
            self.problem(PERMITS, row, "site_code", "site_of_another_enterprise", code)
            return None
        return site

    def limit(self, row: PermitRow, part: LimitPart, outlet: Outlet) -> None:
        stmt = select(OutletLimit).where(
            OutletLimit.outlet_id == outlet.id,
            OutletLimit.pollutant == part.pollutant,
            OutletLimit.averaging == part.averaging,
        )
        limit = self.session.scalars(stmt).first()
        if limit is not None:
            values = {
                "limit_value": part.value,
                "unit": part.unit,
                "reference_o2": part.reference_o2,
                "source": part.source,
            }
            self.tally(Entity.LIMIT, changed=_assign(limit, values))
            return
        try:
            service.add_limit(
                self.session,
                outlet=outlet,
                pollutant=part.pollutant,
                limit_value=part.value,
                unit=part.unit,
                source=part.source,
                averaging=part.averaging,
                reference_o2=part.reference_o2,
            )
            self.tally(Entity.LIMIT, added=True)
        except EnterpriseError as exc:
            self.refused(PERMITS, row.row, exc, "limit_value")

    # list memberships

    def write_memberships(self) -> None:
        lists: dict[str, SupervisionList] = {}
        for defined in self.session.scalars(select(SupervisionList)):
            lists.setdefault(_squash(defined.code), defined)
            lists.setdefault(_squash(defined.name), defined)
        for row in self.parsed.memberships:
            self.at = (LISTS, row.row)
            enterprise = self.enterprise_for(LISTS, row.row, row.credit_code)
            supervision_list = lists.get(_squash(row.list_ref))
            if supervision_list is None:
                self.problem(LISTS, row.row, "list", "unknown_list", row.list_ref)
            if enterprise is None or supervision_list is None:
                continue
            stmt = select(ListMembership).where(
                ListMembership.list_id == supervision_list.id,
                ListMembership.enterprise_id == enterprise.id,
                ListMembership.start == row.start,
            )
            existing = self.session.scalars(stmt).first()
            if existing is None:
                self.add_membership(row, supervision_list, enterprise)
            else:
                self.update_membership(row, existing)

    def add_membership(self, row: MembershipRow, supervision_list: SupervisionList, enterprise: Enterprise) -> None:
        try:
            service.add_membership(
                self.session,
                supervision_list=supervision_list,
                enterprise=enterprise,
                start=row.start,
                end=row.end,
                reason=row.reason or "",
                document=row.document or "",
            )
            self.tally(Entity.MEMBERSHIP, added=True)
        except EnterpriseError as exc:
            self.refused(LISTS, row.row, exc, "start")

    def update_membership(self, row: MembershipRow, membership: ListMembership) -> None:
        """The same membership again: skipped, or ended (or ended earlier) when the row gives an end."""
        changed = False
        if membership.end != row.end:
            if row.end is None or (membership.end is not None and row.end > membership.end):
                self.problem(LISTS, row.row, "end", "already_ended", membership.end)
                return
            try:
                service.end_membership(self.session, membership, row.end)
            except EnterpriseError as exc:
                self.refused(LISTS, row.row, exc, "end")
                return
            changed = True
        changed = _assign(membership, {"reason": row.reason, "document": row.document}) or changed
        self.tally(Entity.MEMBERSHIP, changed=changed)

    # grades

    def write_grades(self) -> None:
        # Grades of one enterprise follow each other: apply them in order of their start.
        for row in sorted(self.parsed.grades, key=lambda r: (r.credit_code, r.start)):
            self.at = (GRADES, row.row)
            enterprise = self.enterprise_for(GRADES, row.row, row.credit_code)
            if enterprise is None:
                continue
            stmt = select(GradeRecord).where(GradeRecord.enterprise_id == enterprise.id, GradeRecord.start == row.start)
            existing = self.session.scalars(stmt).first()
            if existing is not None and existing.grade == row.grade:
                self.tally(Entity.GRADE, changed=_assign(existing, {"document": row.document}))
                continue
            try:
                service.set_grade(
                    self.session, enterprise=enterprise, grade=row.grade, start=row.start, document=row.document or ""
                )
                self.tally(Entity.GRADE, added=True)
            except EnterpriseError as exc:
                self.refused(GRADES, row.row, exc, "start")


def _assign(record: object, values: Mapping[str, object]) -> bool:
    """Set the given (not None) values that differ from the record's; whether anything changed."""
    changed = False
    for name, value in values.items():
        if value is not None and getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return changed


def _update_enterprise(enterprise: Enterprise, row: EnterpriseRow, region: Region) -> bool:
    """Apply a row to an existing enterprise; blank cells keep the stored values. `service` has no update: the
    row passed the checks `create_enterprise` makes when it was read (name, industry code, coordinates), and the
    region is in the principal's area."""
    values = {
        "name": row.name,
        "region_id": region.id,
        "industry_code": row.industry_code,
        "address": row.address,
        "status": row.status,
        "longitude": row.longitude,
        "latitude": row.latitude,
        "contact_name": row.contact_name,
        "contact_phone": row.contact_phone,
    }
    return _assign(enterprise, values)


# --- the template ----------------------------------------------------------------------------------------------------


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
    import openpyxl
    from openpyxl.styles import Font  # type: ignore[import-untyped]  # openpyxl ships no type information
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]  # as above

    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, examples in EXAMPLE_ROWS.items():
        worksheet = book.create_sheet(sheet)
        columns = COLUMNS[sheet]
        worksheet.append([column.header for column in columns])
        for example in examples:
            worksheet.append(list(example))
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
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
