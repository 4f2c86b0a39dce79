"""Observation files uploaded through the web form: the long format (CSV or Excel) and the Beijing format (CSV).

The long format has one value per row under the header `site_code, parameter, interval, time, value, flag`
(`flag` optional). Each row is validated exactly like a row of `POST /api/v1/observations`
(`ingest.observations`); valid rows are stored even when others are refused, and the file is archived in the hot
store's `raw_packets` with the outcome, like the API's request bodies. Beijing multi-site files are read by
`ingest.files.read_beijing`. Excel date cells carry no offset; they are read as the bureau's local time.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Any

from ecoloop.exports import csv_bytes
from ecoloop.i18n import N_, gettext, validation_text
from ecoloop.ingest.files import ImportReport, read_beijing
from ecoloop.ingest.observations import refusal_summary, to_readings
from ecoloop.readings.parquet import write_checked
from ecoloop.readings.rules import TimeWindow
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import (
    READINGS_AUDIT_ENTITY,
    Interval,
    Outcome,
    RawPacket,
    Reading,
    ReadingSource,
    source_value,
)
from ecoloop.sheets import (
    SHEET_LIMIT_TEXT,
    BadWorkbookError,
    CellBudget,
    SheetLimits,
    SheetTooLargeError,
    open_workbook,
)

# Uploads are in the audit log (issue 13): this action on this entity type, with `audit_detail`.
UPLOAD_AUDIT_ACTION = "upload"
UPLOAD_AUDIT_ENTITY = READINGS_AUDIT_ENTITY
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_ROWS = 50_000  # a year of hourly data of 5 parameters; a Beijing station file has 35,064 rows
LONG_COLUMNS = ("site_code", "parameter", "interval", "time", "value", "flag")
_REQUIRED = frozenset(LONG_COLUMNS[:5])
_BEIJING_COLUMNS = frozenset({"station", "year", "month", "day", "hour", "PM2.5"})
_TEXT_COLUMNS = frozenset({"site_code", "parameter", "interval", "flag"})
_XLSX_MAGIC = b"PK\x03\x04"
TEMPLATE_ROWS = (
    LONG_COLUMNS,
    ("AQ-001", "a34004", "hour", "2026-11-22T08:00:00+08:00", "35", "N"),
    ("AQ-001", "a34002", "hour", "2026-11-22T08:00:00+08:00", "61", "N"),
    ("AQ-001", "a34004", "hour", "2026-11-22T09:00:00+08:00", "", "D"),
)


class FileFormat(StrEnum):
    """The layouts an uploaded file can have."""

    LONG = "long"
    BEIJING = "beijing"


class UploadError(ValueError):
    """A file refused as a whole (nothing stored); `code` keys the message shown."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


UPLOAD_ERROR_TEXT = {
    "empty": N_("The file is empty."),
    "too_large": N_("The file is larger than %(limit)s MB."),
    "bad_type": N_("Only CSV (.csv) and Excel (.xlsx) files can be uploaded."),
    "bad_encoding": N_("The CSV file is neither UTF-8 nor GB18030 text."),
    "bad_header": N_("The first row must name the columns site_code, parameter, interval, time, value (and flag)."),
    "too_many_rows": N_("The file has more than %(limit)s rows."),
    "bad_beijing": N_("The file is not a Beijing multi-site CSV file."),
    **SHEET_LIMIT_TEXT,
}


# The columns of a long-format file by the fields of the observations they fill, as row problems name them.
COLUMN_LABELS = {
    "site": N_("Site code (site_code)"),
    "parameter": N_("Parameter (parameter)"),
    "interval": N_("Interval (interval)"),
    "time": N_("Time (time)"),
    "value": N_("Value (value)"),
    "flag": N_("Flag (flag)"),
}


# The problems of a Beijing multi-site file (`files.ImportReport.problems`) by their key.
BEIJING_NOTES = {
    "no_site": N_("%(rows)s rows: no site you may submit data for is coded %(value)s"),
    "bad_time": N_("%(rows)s rows: the time cannot be read"),
    "time_before_floor": N_("%(rows)s rows: the time is before the earliest plausible date"),
    "time_ahead": N_("%(rows)s rows: the time is later than the server's clock allows"),
    "time_out_of_range": N_("%(rows)s rows: the time is not a representable instant"),
    "value_not_finite": N_("%(rows)s rows: %(value)s is not a finite number"),
    "": N_("%(rows)s rows could not be read"),
}


@dataclass(frozen=True)
class RowProblem:
    """Why row `row` of the file (the header is row 1) was not stored."""

    row: int
    error: str


@dataclass(frozen=True)
class UploadResult:
    """What an upload stored: the file's size, rows read, valid readings (of which new, and of which conflicting
    with a value stored before: kept for review, not stored), problems."""

    filename: str
    file_format: FileFormat
    rows: int
    stored: int
    changed: int
    errors: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: int = 0
    conflicts: int = 0
    size: int = 0

    @property
    def duplicates(self) -> int:
        """Readings that were already stored with the same value and flag."""
        return self.stored - self.changed - self.conflicts


def audit_detail(result: UploadResult) -> dict[str, Any]:
    """What the audit log keeps of an upload through the form: the file (name, size, format) and its counts."""
    return {
        "via": "form",
        "file": result.filename,
        "size": result.size,
        "format": result.file_format.value,
        "rows": result.rows,
        "stored": result.changed,
        "duplicates": result.duplicates,
        "conflicts": result.conflicts,
        "refused": result.refused,
    }


def template_csv() -> bytes:
    """The long-format template, UTF-8 with a byte-order mark so that Excel opens it as UTF-8."""
    return csv_bytes(TEMPLATE_ROWS)


def store_upload(
    store: HotStore,
    *,
    filename: str,
    data: bytes,
    site_ids: Mapping[str, int],
    tz: tzinfo,
    peer: str,
    username: str,
    now: datetime,
    root: Path,
    window: TimeWindow,
    sheet_limits: SheetLimits | None = None,
) -> UploadResult:
    """Read an uploaded file, store its valid readings and archive the file, in one transaction; `site_ids` maps
    the codes of the sites the uploader may write to (others are reported as unknown), readings dated outside
    the plausible `window` at `now` are refused. The readings' source is the upload by `username`; a value under
    a key already stored (in the hot store or in Parquet under `root`) never replaces it: it is a duplicate, or a
    conflict kept for review (`parquet.write_checked`)."""
    if not data:
        raise UploadError("empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError("too_large")
    name = Path(filename).name[:200] or "upload"
    if _is_xlsx(name, data):
        header, rows = _xlsx_rows(data, tz, sheet_limits or SheetLimits())
        text = None
    elif name.lower().endswith(".csv") and b"\x00" not in data:
        text = _decode(data)
        header, rows = _csv_rows(text)
    else:
        raise UploadError("bad_type")
    source = source_value(ReadingSource.UPLOAD, username)
    if set(header) >= _BEIJING_COLUMNS and text is not None:
        readings, result = _beijing(text, site_ids, tz, source, window, now)
    else:
        readings, result = _long(header, rows, site_ids, source, window, now)
    packet = RawPacket(
        received_at=now,
        peer=peer,
        frame=data,
        outcome=Outcome.STORED if readings else Outcome.REJECTED,
        reason="row_errors" if result.refused else None,
        detail=f"{name}: {len(readings)} stored, {result.refused} refused{result.codes} by {username}",
        cn="upload",
    )
    counts = write_checked(store, root, readings, [packet], now)
    return UploadResult(
        name,
        result.file_format,
        result.rows,
        len(readings),
        counts.stored,
        result.errors,
        result.notes,
        result.refused,
        counts.conflicts,
        len(data),
    )


def _is_xlsx(name: str, data: bytes) -> bool:
    if not name.lower().endswith(".xlsx"):
        return False
    if not data.startswith(_XLSX_MAGIC):
        raise UploadError("bad_type")
    return True


def _decode(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM), else GB18030 (what Chinese Excel saves)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UploadError("bad_encoding")


UNREADABLE_ROW = "unreadable CSV line: a quote is not closed, or stray quotes in a field"


class _Unreadable:
    """A CSV line that is not one well-formed row."""


def _csv_rows(text: str) -> tuple[list[str], Iterator[tuple[int, list[Any] | _Unreadable]]]:
    """The header and the numbered data rows of CSV text (row 1 is the header), one row per line: a long-format row
    never spans lines, so an unclosed quote spoils its own line, which is refused, and cannot swallow the rows after
    it as one multi-line field (issue 13)."""
    lines = io.StringIO(text, newline=None)  # \r\n, \r and \n end a line, as csv ends a row
    first = _csv_line(next(lines, ""))
    header = [] if isinstance(first, _Unreadable) else [cell.strip() for cell in first]
    return header, ((number, _csv_line(line)) for number, line in enumerate(lines, start=2))


def _csv_line(line: str) -> list[Any] | _Unreadable:
    try:
        return next(csv.reader([line.rstrip("\n")], strict=True), [])
    except csv.Error:
        return _Unreadable()


def _xlsx_rows(
    data: bytes, tz: tzinfo, limits: SheetLimits
) -> tuple[list[str], Iterator[tuple[int, list[Any] | _Unreadable]]]:
    """The header and the numbered data rows of the first sheet of an Excel workbook, read as they stream in
    within `limits` (the declared sheet size is ignored; zip bombs are refused before parsing)."""
    try:
        book = open_workbook(data, limits)
        try:
            sheet = book.worksheets[0]
            values = [list(cells) for cells in CellBudget(limits).rows(sheet, MAX_UPLOAD_ROWS + 1)]  # header + rows
        finally:
            book.close()
    except SheetTooLargeError as exc:
        if exc.code == "sheet_rows":
            raise UploadError("too_many_rows") from exc
        raise UploadError(exc.code, str(exc.limit)) from exc
    except (BadWorkbookError, IndexError) as exc:
        raise UploadError("bad_type", str(exc)) from exc
    if not values:
        return [], iter(())
    header = [str(cell).strip() if cell is not None else "" for cell in values[0]]
    rows = [(n, [_cell(c, tz) for c in cells]) for n, cells in enumerate(values[1:], start=2)]
    return header, iter(rows)


def _cell(value: Any, tz: tzinfo) -> Any:
    """An Excel cell as the text or number a CSV would carry; date cells in local time `tz`."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).isoformat()
    if isinstance(value, date):
        return datetime.combine(value, time(), tz).isoformat()
    return value


def _text(value: Any) -> Any:
    """A text column's cell: numbers as their digits (a site code typed as 1001 is "1001")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value.strip() if isinstance(value, str) else value


@dataclass
class _Parsed:
    file_format: FileFormat
    rows: int = 0
    refused: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    codes: str = ""  # the refused rows by reason code, for the archived file's detail


def _long(
    header: Sequence[str],
    rows: Iterator[tuple[int, list[Any] | _Unreadable]],
    site_ids: Mapping[str, int],
    source: str,
    window: TimeWindow,
    now: datetime,
) -> tuple[list[Reading], _Parsed]:
    """Readings of a long-format file, each row validated like a row of the observations API."""
    columns = [h.strip().lower() for h in header]
    names = set(columns)
    if not names >= _REQUIRED or not names <= set(LONG_COLUMNS) or len(names) != len(columns):
        raise UploadError("bad_header", ", ".join(columns))
    items: list[dict[str, Any]] = []
    numbers: list[int] = []
    unreadable: list[RowProblem] = []
    for number, cells in rows:
        if isinstance(cells, _Unreadable):
            unreadable.append(RowProblem(number, UNREADABLE_ROW))
            continue
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if len(items) >= MAX_UPLOAD_ROWS:
            raise UploadError("too_many_rows")
        items.append(_observation(columns, cells))
        numbers.append(number)
    readings, errors = to_readings(items, site_ids.get, source, now=now, window=window)
    problems = sorted(
        [RowProblem(numbers[e.index], validation_text(e.details, COLUMN_LABELS)) for e in errors] + unreadable,
        key=lambda p: p.row,
    )
    codes = f" ({refusal_summary(errors)})" if errors else ""
    return readings, _Parsed(FileFormat.LONG, len(items) + len(unreadable), len(problems), problems, codes=codes)


def _observation(columns: Sequence[str], cells: Sequence[Any]) -> dict[str, Any]:
    """One row as the observations API takes it (`site_code` is the API's `site`); empty cells are missing."""
    item: dict[str, Any] = {}
    for position, column in enumerate(columns):
        value = cells[position] if position < len(cells) else None
        if isinstance(value, str):
            value = value.strip()
        if column in _TEXT_COLUMNS:
            value = _text(value)
        if value == "" and column in ("value", "flag"):
            value = None
        item["site" if column == "site_code" else column] = value
    return item


def _beijing(
    text: str, site_ids: Mapping[str, int], tz: tzinfo, source: str, window: TimeWindow, now: datetime
) -> tuple[list[Reading], _Parsed]:
    """Readings of a Beijing multi-site CSV file; rows without a site the uploader may write to are counted."""
    lines = text.count("\n")
    if lines > MAX_UPLOAD_ROWS + 1:
        raise UploadError("too_many_rows")
    report = ImportReport()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_text(text, encoding="utf-8")
        try:
            table = read_beijing(path, dict(site_ids), tz, report, source, window=window, now=now)
        except ValueError as exc:
            raise UploadError("bad_beijing", str(exc)) from exc
    columns = [table[c].to_pylist() for c in ("site_id", "parameter", "time", "value", "flag", "source")]
    readings = [
        Reading(site, parameter, Interval(interval), moment, value, flag, source)
        for site, parameter, moment, value, flag, source, interval in zip(
            *columns, table["interval"].to_pylist(), strict=True
        )
    ]
    notes = [
        gettext(BEIJING_NOTES.get(key, BEIJING_NOTES[""])) % {"rows": n, "value": v} for n, key, v in report.problems
    ]
    return readings, _Parsed(FileFormat.BEIJING, report.rows, report.errors, [], notes)
