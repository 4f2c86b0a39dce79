"""Reading spreadsheets as offices fill them in (pure): the workbook's sheets, cells as text, dates typed in any
of the usual ways, and headers matched whatever their spacing, width or marks. Used by every Excel import."""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook  # type: ignore[import-untyped]  # openpyxl ships no type information


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
    return all(cell_text(cell) is None for cell in cells)


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


def read_sheets(data: bytes, most_rows: int) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every worksheet's title and rows (row i of the list is Excel's row i + 1), each cut after its first
    `most_rows` + 1 non-blank rows so that a row limit can be reported without reading a huge sheet whole."""
    if not data.startswith(b"PK\x03\x04"):
        raise BadWorkbookError
    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it does not read (styles, extensions); values are unaffected.
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return [
                    (sheet.title, list(_limited(sheet.iter_rows(values_only=True), most_rows)))
                    for sheet in book.worksheets
                ]
            finally:
                book.close()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, TypeError) as exc:
        raise BadWorkbookError from exc


def _limited(rows: Iterator[tuple[Any, ...]], most: int) -> Iterator[tuple[Any, ...]]:
    filled = 0
    for cells in rows:
        if not blank_row(cells):
            filled += 1
            if filled > most:
                yield cells
                return
        yield cells
