"""One-sheet registry workbooks (pure): the layout of a sheet (its columns, the headers offices write, the words
accepted in cells), the reading of its rows into checked values or into problems named by row and column, and
what an import reports. The registries of regions, organisations, users, sites and devices each describe their
sheet with a `Layout` and check their rows with `Cells` (issue 15).

Headers and the words accepted in cells are the file format offices use, so they are written in Chinese, like
data fixtures; messages shown to users go through the catalog.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Generic, TypeVar

from ecoloop.i18n import N_, gettext
from ecoloop.sheets import (
    SHEET_LIMIT_TEXT,
    BadWorkbookError,
    SheetLimits,
    SheetTooLargeError,
    blank_row,
    cell_text,
    header_key,
    read_sheets,
    squash,
)

E = TypeVar("E", bound=StrEnum)

MAX_ROWS = 20_000  # data rows per sheet
HEADER_SEARCH_ROWS = 10  # a title row or two may stand above the header

# The problems every registry import may report; each registry adds its own (`Layout.messages`).
MESSAGES = {
    "bad_file": N_("The file is not an Excel workbook (.xlsx)."),
    **SHEET_LIMIT_TEXT,
    "no_rows": N_("The sheet %(value)s has no rows to import."),
    "column_missing": N_("The required column %(value)s is missing."),
    "column_duplicate": N_("The column %(value)s appears twice."),
    "too_many_rows": N_("The sheet has more than %(value)s rows."),
    "required": N_("This cell must be filled in."),
    "too_long": N_("The text is longer than %(value)s characters."),
    "bad_choice": N_("Not an accepted value; write one of: %(value)s."),
    "not_a_number": N_("%(value)s is not a number."),
    "not_a_whole_number": N_("%(value)s is not a whole number."),
    "out_of_range": N_("The number must lie between %(value)s."),
    "bad_characters": N_("Only %(value)s are allowed here."),
    "duplicate_row": N_("Row %(value)s of this sheet already gives this."),
    "coordinates_incomplete": N_("Longitude and latitude are given together."),
    "coordinates_out_of_range": N_("Longitude lies between -180 and 180, latitude between -90 and 90."),
    "database": N_("The database refused this row (%(value)s); nothing was imported."),
}
OTHER_MESSAGE = N_("Not recorded: %(value)s.")


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its key, the header offices write, other headers taken for it, whether it must exist,
    and what the template's notes say it holds (a message id)."""

    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    note: str = ""
    text: bool = False  # the template formats the column as text (codes that would lose leading zeros)


@dataclass(frozen=True)
class Words(Generic[E]):
    """The words a cell may hold for an enum: its values and the words offices write, matched without spaces and
    case-insensitively; `shown` is what a problem lists."""

    shown: tuple[str, ...]
    table: Mapping[str, E]

    @classmethod
    def of(cls, enum: type[E], words: Mapping[str, E], *, also: Mapping[str, E] | None = None) -> Words[E]:
        """`words` are shown in problems and templates; `also` are accepted too."""
        accepted = {member.value: member for member in enum} | dict(words) | dict(also or {})
        return cls(tuple(words), {squash(word): member for word, member in accepted.items()})

    def get(self, text: str) -> E | None:
        return self.table.get(squash(text))

    def word(self, member: E) -> str:
        """The first shown word for `member` (what an export writes)."""
        return next((w for w in self.shown if self.table[squash(w)] is member), member.value)


@dataclass(frozen=True)
class Layout:
    """A registry's sheet: its name (a workbook's sheet of that name is read, else its first sheet), its columns,
    the column that identifies the header row, the example rows of the template and the registry's own problem
    messages."""

    sheet: str
    columns: tuple[Column, ...]
    messages: Mapping[str, str] = field(default_factory=dict)
    examples: tuple[tuple[str, ...], ...] = ()

    def header_of(self, key: str) -> str:
        return next((column.header for column in self.columns if column.key == key), "")

    def message(self, code: str) -> str:
        return self.messages.get(code) or MESSAGES.get(code) or OTHER_MESSAGE


@dataclass(frozen=True)
class Problem:
    """Why a cell, a row or the file cannot be imported: the row as Excel numbers it (the header is row 1; 0 is
    the file as a whole), the column's header, a stable code, the value the message names and the message id."""

    row: int
    column: str
    code: str
    value: str = ""
    text: str = OTHER_MESSAGE

    @property
    def message(self) -> str:
        """The problem in the current language."""
        return gettext(self.text) % {"value": self.value}

    def describe(self) -> str:
        """Where and what, in the current language, with the code (for the CLI and logs)."""
        where = [gettext("row %(row)s") % {"row": self.row}] if self.row else []
        if self.column:
            where.append(self.column)
        text = f"{self.message} [{self.code}]"
        return f"{' '.join(where)}: {text}" if where else text


@dataclass
class ImportReport:
    """The outcome of a registry import: the problems (none: it was written), the records added, updated and left
    as they were, the columns not read, and lines to hand over once (the set-password links of new users)."""

    layout: Layout
    problems: list[Problem] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    handover: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, row: int, key: str, code: str, value: object = "") -> None:
        """Record a problem of `row` in the column `key` ("" for the row as a whole)."""
        layout = self.layout
        self.problems.append(Problem(row, layout.header_of(key), code, str(value), layout.message(code)))


Record = tuple[int, dict[str, Any]]


def read_records(data: bytes, report: ImportReport, limits: SheetLimits | None = None) -> list[Record]:
    """The data rows of the layout's sheet as (Excel row number, {column key: cell}); problems of the file and of
    its header go to `report` (and then no rows are returned)."""
    layout = report.layout
    try:
        sheets = read_sheets(data, MAX_ROWS + HEADER_SEARCH_ROWS + 1, limits)
    except SheetTooLargeError as exc:
        report.problems.append(Problem(0, "", exc.code, str(exc.limit), layout.message(exc.code)))
        return []
    except BadWorkbookError:
        report.problems.append(Problem(0, "", "bad_file", "", layout.message("bad_file")))
        return []
    rows = next((rows for title, rows in sheets if title.strip() == layout.sheet), sheets[0][1] if sheets else [])
    found = find_header(layout.columns, rows)
    if found is None:
        report.problems.append(Problem(0, "", "no_rows", layout.sheet, layout.message("no_rows")))
        return []
    header_row, header = found
    positions = header_positions(layout, header_row, header, report)
    if positions is None:
        return []
    records: list[Record] = []
    for number, cells in enumerate(rows[header_row:], start=header_row + 1):
        if blank_row(cells):
            continue
        if len(records) == MAX_ROWS:
            report.problems.append(Problem(number, "", "too_many_rows", str(MAX_ROWS), layout.message("too_many_rows")))
            return []
        records.append((number, {key: cells[i] for i, key in positions.items() if i < len(cells)}))
    if not records:
        report.problems.append(Problem(0, "", "no_rows", layout.sheet, layout.message("no_rows")))
    report.rows = len(records)
    return records


def find_header(columns: Sequence[Column], rows: Sequence[tuple[Any, ...]]) -> tuple[int, tuple[Any, ...]] | None:
    """The header among the first `HEADER_SEARCH_ROWS` rows (a title row or two may stand above it): the first row
    naming a required column, else the first row with anything in it; None for a sheet without rows."""
    keys = {header_key(h) for c in columns if c.required for h in (c.header, *c.aliases)}
    first: tuple[int, tuple[Any, ...]] | None = None
    for number, cells in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        if blank_row(cells):
            continue
        first = first or (number, cells)
        if any(header_key(text) in keys for text in map(cell_text, cells) if text):
            return number, cells
    return first


@dataclass(frozen=True)
class HeaderMatch:
    """A header row read against the columns: column position → key, the headers of no column (`ignored`), the
    (column, text) of headers given twice, and the required columns not found (then no row can be read)."""

    positions: dict[int, str]
    ignored: list[str]
    duplicated: list[tuple[Column, str]]
    missing: list[Column]


def match_header(columns: Sequence[Column], header: tuple[Any, ...]) -> HeaderMatch:
    """The header's cells matched to `columns` by header or alias, whatever their spacing, width or marks."""
    lookup = {header_key(name): column for column in columns for name in (column.header, *column.aliases)}
    positions: dict[int, str] = {}
    ignored: list[str] = []
    duplicated: list[tuple[Column, str]] = []
    for position, cell in enumerate(header):
        text = cell_text(cell)
        if text is None:
            continue
        column = lookup.get(header_key(text))
        if column is None:
            ignored.append(text)
        elif column.key in positions.values():
            duplicated.append((column, text))
        else:
            positions[position] = column.key
    missing = [c for c in columns if c.required and c.key not in positions.values()]
    return HeaderMatch(positions, ignored, duplicated, missing)


def header_positions(
    layout: Layout, number: int, header: tuple[Any, ...], report: ImportReport
) -> dict[int, str] | None:
    """Column position → key; None when a required column is missing (the sheet's rows cannot be read)."""
    match = match_header(layout.columns, header)
    report.ignored_columns.extend(match.ignored)
    for column, text in match.duplicated:
        report.problem(number, column.key, "column_duplicate", text)
    for column in match.missing:
        report.problem(number, column.key, "column_missing", column.header)
    return None if match.missing else match.positions


_LIST_SEPARATORS = re.compile(r"[,、;/\s]+")  # after NFKC: full-width commas and semicolons are ASCII


class Cells:
    """The cells of one data row by column key; each reader records the problems it finds in the report, and `ok`
    says whether the row had none."""

    def __init__(self, report: ImportReport, row: int, values: Mapping[str, Any]) -> None:
        self.report = report
        self.row = row
        self.values = values
        self.ok = True

    def problem(self, key: str, code: str, value: object = "") -> None:
        self.ok = False
        self.report.problem(self.row, key, code, value)

    def given(self, key: str) -> bool:
        return cell_text(self.values.get(key)) is not None

    def text(self, key: str, limit: int, *, required: bool = False) -> str | None:
        value = cell_text(self.values.get(key))
        if value is None:
            if required:
                self.problem(key, "required")
            return None
        if len(value) > limit:
            self.problem(key, "too_long", limit)
            return None
        return value

    def code(
        self,
        key: str,
        limit: int,
        *,
        required: bool = False,
        pattern: str = r"[0-9A-Za-z_\-]+",
        allowed: str = N_("letters, digits, '_' and '-'"),
    ) -> str | None:
        """A code: full-width forms as ASCII, outer spaces dropped, only the characters of `pattern`."""
        value = self.text(key, limit * 2, required=required)
        if value is None:
            return None
        code = unicodedata.normalize("NFKC", value).strip()
        if len(code) > limit:
            self.problem(key, "too_long", limit)
            return None
        if not re.fullmatch(pattern, code):
            self.problem(key, "bad_characters", gettext(allowed))
            return None
        return code

    def digits(self, key: str, *, required: bool = False) -> str | None:
        """A code of digits (a region code), whether typed as text or as a number."""
        value = self.text(key, 24, required=required)
        if value is None:
            return None
        code = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
        if not code.isdigit():
            self.problem(key, "bad_characters", gettext(N_("digits")))
            return None
        return code

    def codes(self, key: str) -> list[str]:
        """A list of codes in one cell, separated by commas, 、, semicolons or spaces."""
        value = cell_text(self.values.get(key))
        if value is None:
            return []
        return [part for part in _LIST_SEPARATORS.split(unicodedata.normalize("NFKC", value)) if part]

    def choice(self, key: str, words: Words[E], *, required: bool = False) -> E | None:
        value = cell_text(self.values.get(key))
        if value is None:
            if required:
                self.problem(key, "required")
            return None
        found = words.get(value)
        if found is None:
            self.problem(key, "bad_choice", " / ".join(words.shown))
        return found

    def choices(self, key: str, words: Words[E]) -> list[E]:
        """Several words in one cell (separated as by `codes`), each one of `words`; duplicates once."""
        found: list[E] = []
        for part in self.codes(key):
            member = words.get(part)
            if member is None:
                self.problem(key, "bad_choice", " / ".join(words.shown))
                return []
            if member not in found:
                found.append(member)
        return found

    def whole(self, key: str, low: int, high: int) -> int | None:
        """A whole number from `low` to `high`."""
        raw = self.values.get(key)
        text = cell_text(raw)
        if text is None:
            return None
        value = _decimal(raw)
        if value is None or value != value.to_integral_value():
            self.problem(key, "not_a_whole_number", text)
            return None
        if not low <= value <= high:
            self.problem(key, "out_of_range", f"{low} ~ {high}")
            return None
        return int(value)

    def coordinate(self, key: str, bound: int) -> Decimal | None:
        """A longitude (`bound` 180) or latitude (90) in decimal degrees, as given (rounded later, once converted)."""
        raw = self.values.get(key)
        text = cell_text(raw)
        if text is None:
            return None
        value = _decimal(raw)
        if value is None:
            self.problem(key, "not_a_number", text)
            return None
        if not -bound <= value <= bound:
            self.problem(key, "coordinates_out_of_range", value)
            return None
        return value

    def point(self) -> tuple[Decimal, Decimal] | None:
        """The columns `longitude` and `latitude` as a pair, None when both are blank."""
        longitude = self.coordinate("longitude", 180)
        latitude = self.coordinate("latitude", 90)
        if self.given("longitude") != self.given("latitude"):
            self.problem("latitude" if self.given("longitude") else "longitude", "coordinates_incomplete")
            return None
        return (longitude, latitude) if longitude is not None and latitude is not None else None


def _decimal(raw: Any) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float | Decimal):
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    text = cell_text(raw)
    if text is None:
        return None
    try:
        value = Decimal(unicodedata.normalize("NFKC", text).replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def template_workbook(layout: Layout, notes: Mapping[str, Iterable[str]] | None = None) -> bytes:
    """The template offered for download: the layout's sheet with its headers (required ones marked *) and example
    rows, and a sheet 说明 naming each column, whether it must be filled in and what it holds (`notes`: the
    accepted words of a column by key, else the column's note)."""
    from openpyxl.styles import Font  # type: ignore[import-untyped]  # openpyxl ships no type information
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]  # as above

    from ecoloop.exports import append_row, new_workbook, workbook_bytes

    book = new_workbook()
    sheet = book.create_sheet(layout.sheet)
    append_row(sheet, [column.header + ("*" if column.required else "") for column in layout.columns])
    for example in layout.examples:
        append_row(sheet, example)
    for position, column in enumerate(layout.columns, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = max(12, 2 * len(column.header) + 4)
        header, *cells = sheet[letter]
        header.font = Font(bold=True)
        if column.text:
            for cell in cells:
                cell.number_format = "@"
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("说明")
    append_row(guide, [gettext(N_("Column")), gettext(N_("Required")), gettext(N_("What it holds"))])
    for column in layout.columns:
        accepted = list((notes or {}).get(column.key, ()))
        what = " / ".join(accepted) if accepted else (gettext(column.note) if column.note else "")
        append_row(guide, [column.header, gettext(N_("Yes")) if column.required else "", what])
    guide.column_dimensions["A"].width = 20
    guide.column_dimensions["C"].width = 80
    for cell in guide[1]:
        cell.font = Font(bold=True)
    return workbook_bytes(book)
