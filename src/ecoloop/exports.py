"""Writing the .xlsx and .csv files ecoloop hands out (pure): text cells stay text, numbers stay numbers.

A spreadsheet program takes a cell for a formula when its text begins with `=`, and when it is typed in or read
from CSV also with `+`, `-`, `@`, a tab or a carriage return (CWE-1236, "formula injection"): a case title,
an enterprise name or a correction reason from an enterprise account could otherwise run as `=HYPERLINK(…)` in
the bureau's Excel. Here every text cell is written as text, kept exactly:

- in an .xlsx workbook a text cell has the string type, never the formula or error type, and a quote prefix when
  it begins with one of those characters, so that editing the cell in Excel keeps it text; control characters
  XML cannot carry are replaced (U+FFFD) and text is cut at Excel's 32,767 characters a cell;
- in a CSV file a field that begins with one of those characters is prefixed with a single quote (the OWASP
  recipe), which Excel shows and does not evaluate.

Every export builds its file through this module: `new_workbook` … `workbook_bytes` for workbooks, `CsvWriter`
or `csv_bytes` for CSV (a test checks that no other module creates a workbook or a CSV writer, and that every
download route's file carries this writer's mark).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import IO, Any, Final

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet program evaluate text (OWASP CSV injection)."""
CREATOR: Final = "ecoloop"
"""The workbook author this writer sets (docProps/core.xml), by which a test knows a file went through it."""
MAX_CELL_TEXT: Final = 32_767
"""Characters Excel keeps in one cell."""
_ILLEGAL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0 (openpyxl refuses them)


# --- .xlsx --------------------------------------------------------------------------------------------------------


def new_workbook() -> Any:  # Any: openpyxl is untyped
    """An empty workbook (no sheet yet): add sheets with `create_sheet`, rows with `append_row`."""
    # Imported here: the CSV writers serve modules (ingest, the CLI) that load without openpyxl.
    from openpyxl import Workbook  # type: ignore[import-untyped]  # openpyxl ships no type information

    book = Workbook()
    book.remove(book.active)
    return book


def cell_value(value: Any) -> Any:
    """A value as a cell takes it: text without the characters XML cannot carry and at most Excel's length; other
    values (numbers, dates, None) unchanged."""
    if isinstance(value, str):
        return _ILLEGAL.sub("\ufffd", value)[:MAX_CELL_TEXT]
    return value


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append a row of cells to `sheet`, text written as text."""
    sheet.append([cell_value(v) for v in values])


def workbook_bytes(book: Any) -> bytes:
    """The workbook as .xlsx bytes, every text cell of every sheet made text first (whichever way it was set)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                _as_text(cell)
    book.properties.creator = CREATOR
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _as_text(cell: Any) -> None:
    # openpyxl types text starting with "=" as a formula and "#N/A" and the like as errors.
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if cell.value.startswith(FORMULA_START):
            cell.quotePrefix = True


# --- .csv ---------------------------------------------------------------------------------------------------------


def csv_field(value: Any) -> Any:
    """A value as a CSV field: text that a spreadsheet would evaluate gets a leading single quote; other values
    unchanged (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class CsvWriter:
    """`csv.writer` over `stream` whose fields never start a formula (`csv_field`)."""

    def __init__(self, stream: IO[str], *, lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(stream, lineterminator=lineterminator)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row."""
        self._writer.writerow([csv_field(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write the rows in order."""
        for row in rows:
            self.writerow(row)


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """The rows as a CSV file for download: UTF-8 with a byte-order mark so that Excel opens it as UTF-8, CRLF."""
    buffer = io.StringIO()
    CsvWriter(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
