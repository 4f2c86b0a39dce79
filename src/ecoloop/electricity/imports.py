"""Readings files as they come from the grid's or a vendor's export: CSV (UTF-8 or GB18030) or Excel (.xlsx), one
reading a row under a header naming the meter number, the interval's start and the kWh (in English or Chinese:
`meter` / 电表编号 / 表号, `time` / 时间 / 采集时间, `kwh` / 用电量 / 电量). Rows are read as they stream, within the
row and sheet limits; each row is then checked by `service.store_readings`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, time, tzinfo
from typing import Any

from ecoloop.electricity.service import RawReading
from ecoloop.exports import csv_bytes
from ecoloop.i18n import N_
from ecoloop.sheets import SHEET_LIMIT_TEXT, BadWorkbookError, CellBudget, SheetLimits, SheetTooLargeError, header_key
from ecoloop.sheets import open_workbook as _open_workbook

MAX_BYTES = 10 * 1024 * 1024  # a month of 15-minute readings of 100 meters is about 12 MB of CSV
MAX_ROWS = 200_000
XLSX_MAGIC = b"PK\x03\x04"
HEADERS = {
    "meter": ("meter", "meternumber", "meter_number", "电表编号", "表号", "电表号"),
    "time": ("time", "时间", "采集时间", "时段开始"),
    "kwh": ("kwh", "value", "用电量", "电量", "有功电量"),
}
TEMPLATE = (
    ("meter", "time", "kwh"),
    ("DB-0001", "2026-12-01T08:00:00+08:00", "125.4"),
    ("DB-0001", "2026-12-01 08:15", "126.1"),
)


class FileError(ValueError):
    """A file refused as a whole (nothing stored); `code` keys the message."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


FILE_ERROR_TEXT = {
    "empty": N_("The file is empty."),
    "too_large": N_("The file is larger than %(value)s MB."),
    "bad_type": N_("Only CSV (.csv) and Excel (.xlsx) files can be uploaded."),
    "bad_encoding": N_("The CSV file is neither UTF-8 nor GB18030 text."),
    "bad_header": N_("The first row must name the columns meter, time and kwh."),
    "too_many_rows": N_("The file has more than %(value)s rows."),
    **SHEET_LIMIT_TEXT,
}


def template_csv() -> bytes:
    """The file layout as a CSV template."""
    return csv_bytes(TEMPLATE)


def read_file(filename: str, data: bytes, zone: tzinfo, limits: SheetLimits) -> list[RawReading]:
    """The readings of an uploaded file, as they were written (checked later, row by row)."""
    if not data:
        raise FileError("empty")
    if len(data) > MAX_BYTES:
        raise FileError("too_large", str(MAX_BYTES // (1024 * 1024)))
    if filename.lower().endswith(".xlsx"):
        if not data.startswith(XLSX_MAGIC):
            raise FileError("bad_type")
        header, rows = _xlsx(data, zone, limits)
    elif filename.lower().endswith((".csv", ".txt")):
        header, rows = _csv(data)
    else:
        raise FileError("bad_type")
    columns = _columns(header)
    out: list[RawReading] = []
    for number, cells in rows:
        if len(out) >= MAX_ROWS:
            raise FileError("too_many_rows", str(MAX_ROWS))
        if all(cell is None or str(cell).strip() == "" for cell in cells):
            continue
        padded = list(cells) + [None] * 3
        out.append(RawReading(number, *(padded[columns[name]] for name in ("meter", "time", "kwh"))))
    return out


def _columns(header: list[str]) -> dict[str, int]:
    keys = [header_key(cell) for cell in header]
    found = {}
    for name, names in HEADERS.items():
        wanted = {header_key(n) for n in names}
        matches = [i for i, key in enumerate(keys) if key in wanted]
        if not matches:
            raise FileError("bad_header")
        found[name] = matches[0]
    return found


def _csv(data: bytes) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileError("bad_encoding")
    lines = io.StringIO(text, newline=None)
    header = _line(next(lines, ""))
    return [cell.strip() for cell in header], ((n, _line(line)) for n, line in enumerate(lines, start=2))


def _line(line: str) -> list[Any]:
    """One CSV line as its cells; a line that is not one well-formed row is one cell (refused by the checks)."""
    try:
        return next(csv.reader([line.rstrip("\n")], strict=True), [])
    except csv.Error:
        return [line.strip()]


def _xlsx(data: bytes, zone: tzinfo, limits: SheetLimits) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    try:
        book = _open_workbook(data, limits)
        try:
            values = [list(cells) for cells in CellBudget(limits).rows(book.worksheets[0], MAX_ROWS + 1)]
        finally:
            book.close()
    except SheetTooLargeError as exc:
        if exc.code == "sheet_rows":
            raise FileError("too_many_rows", str(MAX_ROWS)) from exc
        raise FileError(exc.code, str(exc.limit)) from exc
    except (BadWorkbookError, IndexError) as exc:
        raise FileError("bad_type") from exc
    if not values:
        raise FileError("empty")
    header = [str(cell).strip() if cell is not None else "" for cell in values[0]]
    return header, ((n, [_cell(c, zone) for c in cells]) for n, cells in enumerate(values[1:], start=2))


def _cell(value: Any, zone: tzinfo) -> Any:
    """A date cell (no offset in Excel) as the bureau's local time."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(), zone)
    return value
