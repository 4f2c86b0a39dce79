"""Reading spreadsheets as offices fill them in (pure): the workbook's sheets, cells as text, dates typed in any
of the usual ways, and headers matched whatever their spacing, width or marks. Used by every Excel import."""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook  # type: ignore[import-untyped]  # openpyxl ships no type information
from openpyxl.worksheet._reader import WorkSheetParser  # type: ignore[import-untyped]  # as above

from ecoloop.i18n import N_


class BadWorkbookError(ValueError):
    """The bytes are not an .xlsx workbook openpyxl can read."""


def squash(text: str) -> str:
    """Text as words and names are matched: full-width forms as ASCII (NFKC), without spaces, case-folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


def header_key(text: str) -> str:
    """A header as matched: like `squash`, without required-marks (*) or a trailing "(…)" or "[…]" such as a
    unit ("限值(mg/m³)")."""
    return re.sub(r"\([^()]*\)$|\[[^\[\]]*\]$", "", squash(text).replace("*", ""))


def cell_text(value: Any) -> str | None:
    """A cell as text, None when blank; whole numbers as their digits (a code typed as 371802 is "371802"),
    dates as YYYY-MM-DD."""
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


def blank_row(cells: Sequence[Any]) -> bool:
    """Whether a row has nothing in it."""
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


_DATE_PATTERNS = (
    re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
)


def parse_date(value: Any) -> date | None:
    """An Excel date cell, or text as YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYY年M月D日; None otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return date(*map(int, match.groups()))
            except ValueError:
                return None
    return None


MIB = 1024 * 1024
# The reasons a workbook is refused for its size, keyed by `SheetTooLargeError.code`; `value` is the limit.
SHEET_LIMIT_TEXT = {
    "sheet_rows": N_("The sheet has rows beyond row %(value)s; the workbook is not read."),
    "sheet_columns": N_("A row of the workbook has cells beyond column %(value)s; the workbook is not read."),
    "sheet_cells": N_("The workbook has more than %(value)s cells; it is not read."),
    "sheet_unzipped": N_(
        "The workbook unpacks to more than %(value)s MB, or to far more than its size (a zip bomb); it is not read."
    ),
}


@dataclass(frozen=True)
class SheetLimits:
    """How much of a workbook is read at most: columns per row, cells in all (up to each row's last filled cell),
    bytes unpacked, parts in the zip, and how much larger than its packed size a part may unpack to."""

    columns: int = 256
    cells: int = 1_000_000
    unzipped_bytes: int = 100 * MIB
    members: int = 1_000
    ratio: int = 100
    ratio_floor: int = 256 * 1024  # parts smaller than this unpacked are not held to the ratio


class SheetTooLargeError(BadWorkbookError):
    """The workbook goes beyond one of the `SheetLimits` (or the caller's row limit); `code` keys
    `SHEET_LIMIT_TEXT` and `limit` is the value it names."""

    def __init__(self, code: str, limit: int) -> None:
        super().__init__(f"{code}: {limit}")
        self.code = code
        self.limit = limit


def check_zip(data: bytes, limits: SheetLimits) -> None:
    """Refuse a zip bomb before anything is unpacked: too many parts, too many bytes unpacked in all, or a large
    part packed far more tightly than spreadsheets pack (zipfile yields no more than a part's declared size)."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BadWorkbookError from exc
    megabytes = limits.unzipped_bytes // MIB
    if len(members) > limits.members or sum(m.file_size for m in members) > limits.unzipped_bytes:
        raise SheetTooLargeError("sheet_unzipped", megabytes)
    for member in members:
        if member.file_size > limits.ratio_floor and member.file_size > limits.ratio * max(member.compress_size, 1):
            raise SheetTooLargeError("sheet_unzipped", megabytes)


def open_workbook(data: bytes, limits: SheetLimits) -> Any:
    """An .xlsx workbook opened for streaming (openpyxl read-only), after the zip checks; close it after use."""
    if not data.startswith(b"PK\x03\x04"):
        raise BadWorkbookError
    check_zip(data, limits)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it does not read (styles, extensions); values are unaffected.
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, TypeError) as exc:
        raise BadWorkbookError from exc


class CellBudget:
    """The cells read so far from one workbook, against `SheetLimits.cells`."""

    def __init__(self, limits: SheetLimits) -> None:
        self.limits = limits
        self.cells = 0

    def rows(self, sheet: Any, most_rows: int) -> Iterator[tuple[Any, ...]]:
        """The sheet's rows as value tuples (row i is Excel's row i + 1, missing rows blank), read as they stream
        in: the sheet's declared dimension is ignored (a forged `A1:XFD1048576` made every row 16,384 cells and the
        sheet a million rows), and reading stops with `SheetTooLargeError` beyond row `most_rows`, beyond column
        `columns` or beyond `cells` cells in all."""
        limits = self.limits
        if not hasattr(sheet, "reset_dimensions"):
            return  # a chart sheet has no rows
        sheet.reset_dimensions()
        parser = WorkSheetParser(
            sheet._get_source(),  # the sheet's XML as a stream; openpyxl's own iter_rows pads rows (see above)
            sheet._shared_strings,
            data_only=True,
            epoch=sheet.parent.epoch,
            date_formats=sheet.parent._date_formats,
            timedelta_formats=sheet.parent._timedelta_formats,
        )
        expected = 1
        try:
            for number, cells in parser.parse():
                if number > most_rows:
                    raise SheetTooLargeError("sheet_rows", most_rows)
                for _blank in range(expected, number):
                    yield ()
                expected = number + 1
                if not cells:
                    yield ()
                    continue
                width = max(cell["column"] for cell in cells)
                if width > limits.columns:
                    raise SheetTooLargeError("sheet_columns", limits.columns)
                self.cells += width
                if self.cells > limits.cells:
                    raise SheetTooLargeError("sheet_cells", limits.cells)
                row: list[Any] = [None] * width
                for cell in cells:
                    row[cell["column"] - 1] = cell["value"]
                yield tuple(row)
        except SheetTooLargeError:
            raise
        except (KeyError, ValueError, IndexError, TypeError, SyntaxError) as exc:  # ParseError is a SyntaxError
            raise BadWorkbookError from exc


def read_sheets(
    data: bytes, most_rows: int, limits: SheetLimits | None = None
) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every worksheet's title and rows (row i of the list is Excel's row i + 1), each cut after its first
    `most_rows` + 1 non-blank rows so that a row limit can be reported without reading a huge sheet whole; blank
    rows count towards twice that (`SheetTooLargeError` beyond), and `limits` bound columns, cells and the zip."""
    book = open_workbook(data, limits or SheetLimits())
    budget = CellBudget(limits or SheetLimits())
    try:
        return [
            (sheet.title, list(_limited(budget.rows(sheet, 2 * (most_rows + 1)), most_rows)))
            for sheet in book.worksheets
        ]
    finally:
        book.close()


def _limited(rows: Iterator[tuple[Any, ...]], most: int) -> Iterator[tuple[Any, ...]]:
    filled = 0
    for cells in rows:
        if not blank_row(cells):
            filled += 1
            if filled > most:
                yield cells
                return
        yield cells
