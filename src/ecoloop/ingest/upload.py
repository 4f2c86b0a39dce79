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
import warnings
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Any

from ecoloop.i18n import N_, gettext, validation_text
from ecoloop.ingest.files import ImportReport, read_beijing
from ecoloop.ingest.observations import to_readings
from ecoloop.ingest.store import HotStore, Interval, Outcome, RawPacket, Reading

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
    "": N_("%(rows)s rows could not be read"),
}


@dataclass(frozen=True)
class RowProblem:
    """Why row `row` of the file (the header is row 1) was not stored."""

    row: int
    error: str


@dataclass(frozen=True)
class UploadResult:
    """What an upload stored: rows read, readings stored (of which new or changed), problems."""

    filename: str
    file_format: FileFormat
    rows: int
    stored: int
    changed: int
    errors: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: int = 0

    @property
    def duplicates(self) -> int:
        """Readings that were already stored with the same value and flag."""
        return self.stored - self.changed


def template_csv() -> bytes:
    """The long-format template, UTF-8 with a byte-order mark so that Excel opens it as UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(TEMPLATE_ROWS)
    return buffer.getvalue().encode("utf-8-sig")


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
) -> UploadResult:
    """Read an uploaded file, store its valid readings and archive the file, in one transaction; `site_ids` maps
    the codes of the sites the uploader may write to (others are reported as unknown)."""
    if not data:
        raise UploadError("empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError("too_large")
    name = Path(filename).name[:200] or "upload"
    if _is_xlsx(name, data):
        header, rows = _xlsx_rows(data, tz)
        text = None
    elif name.lower().endswith(".csv") and b"\x00" not in data:
        text = _decode(data)
        header, rows = _csv_rows(text)
    else:
        raise UploadError("bad_type")
    if set(header) >= _BEIJING_COLUMNS and text is not None:
        readings, result = _beijing(text, site_ids, tz)
    else:
        readings, result = _long(header, rows, site_ids)
    packet = RawPacket(
        received_at=now,
        peer=peer,
        frame=data,
        outcome=Outcome.STORED if readings else Outcome.REJECTED,
        reason="row_errors" if result.refused else None,
        detail=f"{name}: {len(readings)} stored, {result.refused} refused by {username}",
        cn="upload",
    )
    changed = store.write(readings, [packet], now)
    return UploadResult(
        name, result.file_format, result.rows, len(readings), changed, result.errors, result.notes, result.refused
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


def _csv_rows(text: str) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The header and the numbered data rows of CSV text (row 1 is the header)."""
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader, [])]
    return header, ((number, list(cells)) for number, cells in enumerate(reader, start=2))


def _xlsx_rows(data: bytes, tz: tzinfo) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The header and the numbered data rows of the first sheet of an Excel workbook."""
    import openpyxl  # type: ignore[import-untyped]  # openpyxl ships no type information

    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it does not read (styles, extensions); values are unaffected.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = book.worksheets[0]
            values = [
                list(cells)
                for cells in _limited(sheet.iter_rows(values_only=True), MAX_UPLOAD_ROWS + 1)  # header + rows
            ]
            book.close()
    except UploadError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError) as exc:
        raise UploadError("bad_type", str(exc)) from exc
    if not values:
        return [], iter(())
    header = [str(cell).strip() if cell is not None else "" for cell in values[0]]
    rows = [(n, [_cell(c, tz) for c in cells]) for n, cells in enumerate(values[1:], start=2)]
    return header, iter(rows)


def _limited(rows: Iterator[Any], limit: int) -> Iterator[Any]:
    for count, row in enumerate(rows):
        if count > limit:
            raise UploadError("too_many_rows")
        yield row


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


def _long(
    header: Sequence[str], rows: Iterator[tuple[int, list[Any]]], site_ids: Mapping[str, int]
) -> tuple[list[Reading], _Parsed]:
    """Readings of a long-format file, each row validated like a row of the observations API."""
    columns = [h.strip().lower() for h in header]
    names = set(columns)
    if not names >= _REQUIRED or not names <= set(LONG_COLUMNS) or len(names) != len(columns):
        raise UploadError("bad_header", ", ".join(columns))
    items: list[dict[str, Any]] = []
    numbers: list[int] = []
    for number, cells in rows:
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if len(items) >= MAX_UPLOAD_ROWS:
            raise UploadError("too_many_rows")
        items.append(_observation(columns, cells))
        numbers.append(number)
    readings, errors = to_readings(items, site_ids.get, source="upload")
    problems = [RowProblem(numbers[e.index], validation_text(e.details, COLUMN_LABELS)) for e in errors]
    return readings, _Parsed(FileFormat.LONG, len(items), len(problems), problems)


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


def _beijing(text: str, site_ids: Mapping[str, int], tz: tzinfo) -> tuple[list[Reading], _Parsed]:
    """Readings of a Beijing multi-site CSV file; rows without a site the uploader may write to are counted."""
    lines = text.count("\n")
    if lines > MAX_UPLOAD_ROWS + 1:
        raise UploadError("too_many_rows")
    report = ImportReport()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_text(text, encoding="utf-8")
        try:
            table = read_beijing(path, dict(site_ids), tz, report)
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
