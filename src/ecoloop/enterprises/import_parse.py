"""Reading an enterprise-file workbook without a database: the sheets found, their header row, and each data
row checked cell by cell into the rows `import_write` writes, or into problems with their sheet, row and column."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ecoloop.enterprises.enums import Averaging, EnterpriseStatus, OutletKind, PerformanceGrade, PermitClass
from ecoloop.enterprises.import_layout import (
    AVERAGING_WORDS,
    COLUMNS,
    DATE_FORMATS,
    ENTERPRISES,
    GRADE_WORDS,
    GRADES,
    LISTS,
    OUTLET_KIND_WORDS,
    PERMIT_CLASS_WORDS,
    PERMITS,
    POLLUTANT_PREFIX,
    STATUS_WORDS,
    header_of,
    pollutant_code,
)
from ecoloop.enterprises.import_report import Problem
from ecoloop.enterprises.rules import credit_code_problem, industry_code_problem, industry_section
from ecoloop.sheets import (
    BadWorkbookError,
    SheetLimits,
    SheetTooLargeError,
    blank_row,
    cell_text,
    parse_date,
    read_sheets,
    squash,
)
from ecoloop.sheets.table import HEADER_SEARCH_ROWS, Cells, find_header, match_header
from ecoloop.standards.emission import LimitSpec

MAX_ROWS = 20_000  # data rows per sheet

# --- the rows read ---------------------------------------------------------------------------------------------------


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


# --- reading a workbook ---------------------------------------------------------------------------------------------


def parse_workbook(data: bytes, limits: SheetLimits | None = None) -> ParsedWorkbook:
    """Read and check an .xlsx workbook's sheets, as far as that is possible without a database."""
    parsed = ParsedWorkbook()
    try:
        sheets = read_sheets(data, MAX_ROWS + HEADER_SEARCH_ROWS + 1, limits)
    except SheetTooLargeError as exc:
        parsed.problems.append(Problem("", 0, "", exc.code, str(exc.limit)))
        return parsed
    except BadWorkbookError:
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


def _records(sheet: str, rows: Sequence[tuple[Any, ...]], parsed: ParsedWorkbook) -> list[tuple[int, dict[str, Any]]]:
    """The data rows of a sheet as (Excel row number, {column key: cell}); header problems go to `parsed`."""
    found = find_header(COLUMNS[sheet], rows)
    if found is None:
        return []
    header_row, header = found
    positions = _header_positions(sheet, header_row, header, parsed)
    if positions is None:
        return []
    records: list[tuple[int, dict[str, Any]]] = []
    for number, cells in enumerate(rows[header_row:], start=header_row + 1):
        if blank_row(cells):
            continue
        if len(records) == MAX_ROWS:
            parsed.problems.append(Problem(sheet, number, "", "too_many_rows", str(MAX_ROWS)))
            break
        records.append((number, {key: cells[i] for i, key in positions.items() if i < len(cells)}))
    return records


def _header_positions(
    sheet: str, number: int, header: tuple[Any, ...], parsed: ParsedWorkbook
) -> dict[int, str] | None:
    """Column position → key; None when a required column is missing (the sheet's rows cannot be read)."""
    match = match_header(COLUMNS[sheet], header)
    parsed.ignored_columns.extend((sheet, text) for text in match.ignored)
    for column, text in match.duplicated:
        parsed.problems.append(Problem(sheet, number, column.header, "column_duplicate", text))
    for column in match.missing:
        parsed.problems.append(Problem(sheet, number, column.header, "column_missing", column.header))
    return None if match.missing else match.positions


class _Cells(Cells):
    """The cells of one data row by column key, read as a registry's are (`sheets.table.Cells`: text, choices), and
    the enterprise files' own readers; the problems found name their sheet too."""

    def __init__(self, sheet: str, row: int, values: Mapping[str, Any], problems: list[Problem]) -> None:
        self.sheet = sheet
        self.row = row
        self.values = values
        self.problems = problems
        self.ok = True

    def problem(self, key: str, code: str, value: object = "") -> None:
        self.ok = False
        self.problems.append(Problem(self.sheet, self.row, header_of(self.sheet, key), code, str(value)))

    def credit_code(self) -> str | None:
        value = self.text("credit_code", 40, required=True)
        if value is None:
            return None
        code = squash(value).upper()
        problem = credit_code_problem(code)
        if problem is not None:
            self.problem("credit_code", f"credit_code_{problem}", value)
            return None
        return code

    def industry_code(self) -> str | None:
        value = self.text("industry_code", 10)
        if value is None:
            return None
        code = squash(value).upper()
        # An industry code written without its section letter ("4411") is read with it ("D4411").
        section = industry_section(code) if code.isdigit() and 2 <= len(code) <= 4 else None
        if section is not None:
            code = section + code
        if industry_code_problem(code) is not None:
            self.problem("industry_code", "industry_code", value)
            return None
        return code

    def day(self, key: str, *, required: bool = False) -> date | None:
        raw = self.values.get(key)
        if cell_text(raw) is None:
            if required:
                self.problem(key, "required")
            return None
        parsed = parse_date(raw)
        if parsed is None:
            self.problem(key, "bad_date", DATE_FORMATS)
        return parsed

    def number(self, key: str, *, places: int, below: int, required: bool = False) -> Decimal | None:
        raw = self.values.get(key)
        if cell_text(raw) is None:
            if required:
                self.problem(key, "required")
            return None
        value = _parse_decimal(raw)
        if value is None:
            self.problem(key, "not_a_number", cell_text(raw))
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
        if cell_text(raw) is None:
            return None
        value = _parse_decimal(raw)
        if value is None:
            self.problem(key, "not_a_number", cell_text(raw))
            return None
        if not -bound <= value <= bound:
            self.problem(key, "coordinates_out_of_range", value)
            return None
        return value.quantize(Decimal("0.000001"))


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


def _pollutant(cells: _Cells, text: str, kind: OutletKind) -> str | None:
    code = pollutant_code(text, kind)
    if code is None:
        other = OutletKind.WATER if kind is OutletKind.GAS else OutletKind.GAS
        cells.problem("pollutant", "pollutant_kind" if pollutant_code(text, other) else "unknown_pollutant", text)
        return None
    if not code.startswith(POLLUTANT_PREFIX[kind]):
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
                Problem(PERMITS, row.row, header_of(PERMITS, conflict[0]), "conflicts_with_row", str(conflict[1]))
            )
            continue
        if row.outlet and row.limit:
            limit_key = (row.number, row.outlet.code, row.limit.pollutant, row.limit.averaging)
            if limit_key in limits:
                problems.append(
                    Problem(PERMITS, row.row, header_of(PERMITS, "pollutant"), "duplicate_row", str(limits[limit_key]))
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
            key = (code, squash(list_ref), start)
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
