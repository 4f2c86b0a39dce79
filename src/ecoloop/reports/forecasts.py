"""Imported air-quality forecasts (空气质量预报): the forecast centre's table of region, day, AQI range and primary
pollutant, uploaded as .xlsx or .csv; ecoloop has no forecast model of its own. Every row is checked: a good row
is stored (replacing the region's forecast of that day), a bad one is refused with its reason and counted, so
every row of the file is either stored or named. The daily analysis prints the forecast of today and tomorrow.

The reads live here with the import: one small table whose readers are the forecasts page and the daily brief.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, require
from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.analytics.air import AIR_CODES
from ecoloop.db.base import utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.readings import parameters
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.reports.models import AirForecast
from ecoloop.results.queries import LEVEL_LABELS, NAME_SEPARATOR, pollutant_name
from ecoloop.sheets import SheetLimits, blank_row, cell_text, parse_date, squash
from ecoloop.sheets.table import (
    HEADER_SEARCH_ROWS,
    MAX_ROWS,
    Cells,
    Column,
    ImportReport,
    Layout,
    Problem,
    find_header,
    header_positions,
    read_records,
    template_workbook,
)
from ecoloop.standards.aqi import level_of

# A forecast table is a few kilobytes (200 towns for 15 days: ~120 KB); the upload stays a form body
# (`request_max_mb`, 1 MiB by default).
MAX_FORECAST_BYTES = 512 * 1024
MAX_AQI = 500  # the top of the AQI scale (HJ 633 Table 1)
PAST_DAYS = 31  # a forecast of a day up to a month ago may be imported late (to regenerate a past brief)
AHEAD_DAYS = 15  # forecast centres issue forecasts up to 15 days ahead
COMING_DAYS = 7  # the forecasts page lists today and the next days
FORECAST_LEVELS = frozenset({RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWN})
NONE_WORDS = frozenset({squash(w) for w in ("无", "-", "\u2014", "\u2014\u2014", "none")})
# The pollutants a forecast may name, by the keys of the AQI tables (`PM2_5`), in the standard's order.
POLLUTANTS = ("PM2_5", "PM10", "O3", "NO2", "SO2", "CO")
_CODE_OF = {key: code for code, key in AIR_CODES.items()}

LAYOUT = Layout(
    sheet="空气质量预报",
    columns=(
        Column(
            "code",
            "区划代码",
            aliases=("代码", "行政区划代码"),
            note=N_("The region's code (the city, a county, a town); the code or the name is needed"),
            text=True,
        ),
        Column("name", "区划名称", aliases=("名称", "地区", "区域", "城市"), note=N_("The region's name")),
        Column("day", "日期", True, ("预报日期",), N_("The day forecast, e.g. 2026-12-08")),
        Column("aqi_low", "AQI下限", True, ("AQI最小值", "AQI低值"), N_("A whole number from 0 to 500")),
        Column("aqi_high", "AQI上限", True, ("AQI最大值", "AQI高值"), N_("A whole number from 0 to 500")),
        Column("primary", "首要污染物", aliases=("首要污染物名称",), note=N_("PM2.5, PM10, O3, NO2, SO2 or CO")),
    ),
    messages={
        "bad_file": N_("The file is neither an Excel workbook (.xlsx) nor a CSV table (.csv)."),
        "too_large": N_("The file is larger than %(value)s KB."),
        "bad_encoding": N_("The CSV file is neither UTF-8 nor GB18030 text."),
        "unreadable": N_("The CSV line cannot be read: a quote is not closed, or stray quotes in a field."),
        "region_required": N_("Give the region's code or its name."),
        "region_unknown": N_("No region %(value)s of the city, a county or a town in your area."),
        "region_ambiguous": N_("Several regions are named %(value)s: give the code."),
        "region_mismatch": N_("The code and the name are of different regions (%(value)s)."),
        "bad_date": N_("%(value)s is not a date (write 2026-12-08)."),
        "day_range": N_("Only forecasts of the days %(value)s are imported."),
        "aqi_order": N_("The lower AQI is above the upper one."),
        "bad_pollutant": N_("%(value)s is not a pollutant of the AQI (PM2.5, PM10, O3, NO2, SO2, CO)."),
        "duplicate_row": N_("Row %(value)s of this file already gives this region's forecast of this day."),
    },
    examples=(
        ("371800", "清源市", "2026-12-08", "55", "80", "PM2.5"),
        ("371802", "清源区", "2026-12-08", "60", "90", "PM2.5"),
    ),
)


@dataclass(frozen=True)
class Forecast:
    """A region's forecast of a day: the AQI range, its levels and the primary pollutants (keys, `PM2_5`)."""

    region_id: int
    region_name: str
    region_code: str
    day: date
    aqi_low: int
    aqi_high: int
    primary: tuple[str, ...]
    imported_by: str
    issued_at: datetime

    @property
    def levels(self) -> tuple[int, int]:
        """The AQI levels 1-6 of the range's ends (HJ 633 Table 2)."""
        return level_of(self.aqi_low), level_of(self.aqi_high)

    @property
    def levels_text(self) -> str:
        """The categories of the range (良, 良至轻度污染) in the catalog's language."""
        low, high = (gettext(LEVEL_LABELS[level - 1]) for level in self.levels)
        return low if low == high else gettext("%(low)s to %(high)s") % {"low": low, "high": high}

    @property
    def range_text(self) -> str:
        return gettext("%(low)s-%(high)s") % {"low": self.aqi_low, "high": self.aqi_high}

    @property
    def primary_text(self) -> str:
        """The primary pollutants' names (PM2.5、臭氧), "" for none."""
        return NAME_SEPARATOR.join(pollutant_name(key) for key in self.primary)


def _forecast(row: AirForecast) -> Forecast:
    primary = tuple(key for key in row.primary.split(",") if key)
    return Forecast(
        row.region_id,
        row.region.name,
        row.region.code,
        row.day,
        row.aqi_low,
        row.aqi_high,
        primary,
        row.imported_by,
        row.issued_at,
    )


def forecasts_of(
    session: Session, region_ids: Sequence[int], first: date, last: date
) -> dict[tuple[int, date], Forecast]:
    """The forecasts of the regions for the days first…last by (region id, day), unscoped (the daily brief is the
    bureau's)."""
    if not region_ids:
        return {}
    stmt = select(AirForecast).where(
        AirForecast.region_id.in_(sorted(set(region_ids))), AirForecast.day >= first, AirForecast.day <= last
    )
    return {(f.region_id, f.day): _forecast(f) for f in session.scalars(stmt)}


def coming_forecasts(session: Session, principal: Principal, today: date, days: int = COMING_DAYS) -> list[Forecast]:
    """The forecasts the principal sees of today and the next `days` - 1 days, by day and region code."""
    stmt = (
        scoped(select(AirForecast), principal, AirForecast)
        .join(Region, Region.id == AirForecast.region_id)
        .where(AirForecast.day >= today, AirForecast.day < today + timedelta(days=days))
        .order_by(AirForecast.day, Region.code)
    )
    return [_forecast(f) for f in session.scalars(stmt)]


# --- the import -----------------------------------------------------------------------------------------------------


@dataclass
class ForecastImport:
    """The outcome of an import: the rows read, how many were added, replaced or already so, and the refused
    rows with their problems (row 0: the file as a whole, and then no row was read)."""

    report: ImportReport = field(default_factory=lambda: ImportReport(LAYOUT))

    @property
    def problems(self) -> list[Problem]:
        return self.report.problems

    @property
    def refused(self) -> int:
        """Rows refused (each with one problem or more)."""
        return len({p.row for p in self.report.problems if p.row})

    @property
    def stored(self) -> int:
        return self.report.added + self.report.updated + self.report.unchanged


@dataclass(frozen=True)
class _Row:
    region: Region
    day: date
    low: int
    high: int
    primary: tuple[str, ...]


def _words() -> dict[str, str]:
    """The words a primary-pollutant cell may hold, squashed, by key: the key (PM2_5), its formula (PM2.5) and
    its name in the catalog's language (臭氧)."""
    words: dict[str, str] = {}
    for key in POLLUTANTS:
        for word in (key, key.replace("_", "."), parameters.name(_CODE_OF[key])):
            words[squash(word)] = key
    return words


class _Regions:
    """The regions a principal may give forecasts for (the city, counties and towns of its area), by code and by
    name."""

    def __init__(self, session: Session, principal: Principal) -> None:
        stmt = scoped(select(Region), principal, Region).where(
            Region.level.in_(sorted(FORECAST_LEVELS)), Region.active.is_(True)
        )
        found = list(session.scalars(stmt))
        self.by_code = {r.code: r for r in found}
        self.by_name: dict[str, list[Region]] = {}
        for region in found:
            self.by_name.setdefault(squash(region.name), []).append(region)

    def find(self, cells: Cells) -> Region | None:
        code = cells.digits("code")
        name = cells.text("name", 100)
        if not cells.ok:
            return None
        if code is None and name is None:
            cells.problem("code", "region_required")
            return None
        by_code = self.by_code.get(code) if code is not None else None
        if code is not None and by_code is None:
            cells.problem("code", "region_unknown", code)
            return None
        if name is not None:
            named = self.by_name.get(squash(name), [])
            if by_code is not None:
                if by_code not in named:
                    cells.problem("name", "region_mismatch", f"{code} / {name}")
                    return None
                return by_code
            if not named:
                cells.problem("name", "region_unknown", name)
                return None
            if len(named) > 1:
                cells.problem("name", "region_ambiguous", name)
                return None
            return named[0]
        return by_code


def _parse(cells: Cells, regions: _Regions, words: dict[str, str], today: date) -> _Row | None:
    region = regions.find(cells)
    raw_day = cells.values.get("day")
    day = parse_date(raw_day)
    if day is None:
        text = cell_text(raw_day)
        cells.problem("day", "bad_date" if text else "required", text or "")
    elif not today - timedelta(days=PAST_DAYS) <= day <= today + timedelta(days=AHEAD_DAYS):
        first, last = today - timedelta(days=PAST_DAYS), today + timedelta(days=AHEAD_DAYS)
        cells.problem("day", "day_range", f"{first.isoformat()} ~ {last.isoformat()}")
    low = cells.whole("aqi_low", 0, MAX_AQI)
    high = cells.whole("aqi_high", 0, MAX_AQI)
    for key, value in (("aqi_low", low), ("aqi_high", high)):
        if value is None and not cells.given(key):
            cells.problem(key, "required")
    if low is not None and high is not None and low > high:
        cells.problem("aqi_low", "aqi_order")
    primary: list[str] = []
    for part in cells.codes("primary"):
        if squash(part) in NONE_WORDS:
            continue
        pollutant = words.get(squash(part))
        if pollutant is None:
            cells.problem("primary", "bad_pollutant", part)
        elif pollutant not in primary:
            primary.append(pollutant)
    if not cells.ok or region is None or day is None or low is None or high is None:
        return None
    ordered = tuple(key for key in POLLUTANTS if key in primary)
    return _Row(region, day, low, high, ordered)


def _decode(data: bytes) -> str | None:
    """The text of a CSV file: UTF-8 (with or without BOM), else GB18030 (what Chinese Excel saves)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


class _Unreadable:
    """A CSV line that is not one well-formed row."""


def _csv_lines(text: str) -> Iterator[tuple[Any, ...] | _Unreadable]:
    """The rows of CSV text, one row per line: an unclosed quote spoils its own line (refused), never the rows
    after it (issue 13)."""
    for line in io.StringIO(text, newline=None):
        try:
            yield tuple(next(csv.reader([line.rstrip("\n")], strict=True), []))
        except csv.Error:
            yield _Unreadable()


def _csv_records(data: bytes, report: ImportReport) -> list[tuple[int, dict[str, Any]]]:
    """The data rows of a CSV table as (line number, {column key: cell}); problems of the file and of the header
    go to `report`, and unreadable lines are refused one by one."""
    text = _decode(data)
    if text is None:
        report.problem(0, "", "bad_encoding")
        return []
    rows: list[tuple[Any, ...] | _Unreadable] = []
    for line in _csv_lines(text):
        rows.append(line)
        if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
            report.problem(0, "", "too_many_rows", MAX_ROWS)
            return []
    readable = [() if isinstance(r, _Unreadable) else r for r in rows[:HEADER_SEARCH_ROWS]]
    found = find_header(LAYOUT.columns, readable)
    if found is None:
        report.problem(0, "", "no_rows", LAYOUT.sheet)
        return []
    header_row, header = found
    positions = header_positions(LAYOUT, header_row, header, report)
    if positions is None:
        return []
    records = []
    for number, cells in enumerate(rows[header_row:], start=header_row + 1):
        if isinstance(cells, _Unreadable):
            report.problem(number, "", "unreadable")
            continue
        if blank_row(cells):
            continue
        records.append((number, {key: cells[i] for i, key in positions.items() if i < len(cells)}))
    if not records and not report.problems:
        report.problem(0, "", "no_rows", LAYOUT.sheet)
    report.rows = len(records) + sum(1 for p in report.problems if p.code == "unreadable")
    return records


def is_workbook(filename: str, data: bytes) -> bool:
    """Whether an upload is read as a workbook (a .xlsx name or a zip's signature) rather than as CSV."""
    return filename.lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04")


def import_forecasts(
    session: Session,
    principal: Principal,
    who: str,
    filename: str,
    data: bytes,
    today: date,
    limits: SheetLimits | None = None,
) -> ForecastImport:
    """Import a forecast table (.xlsx or .csv, at most MAX_FORECAST_BYTES): every good row stored (a region's
    forecast of a day replaced), every bad one refused with its reason; the caller commits."""
    require(principal, Action.MANAGE_REPORTS)
    outcome = ForecastImport()
    report = outcome.report
    if len(data) > MAX_FORECAST_BYTES:
        report.problem(0, "", "too_large", MAX_FORECAST_BYTES // 1024)
        return outcome
    records = read_records(data, report, limits) if is_workbook(filename, data) else _csv_records(data, report)
    regions = _Regions(session, principal)
    words = _words()
    first: dict[tuple[int, date], int] = {}
    rows: list[_Row] = []
    for number, values in records:
        cells = Cells(report, number, values)
        row = _parse(cells, regions, words, today)
        if row is None:
            continue
        key = (row.region.id, row.day)
        if key in first:
            report.problem(number, "", "duplicate_row", first[key])
            continue
        first[key] = number
        rows.append(row)
    _store(session, who, rows, report)
    report.problems.sort(key=lambda p: p.row)
    return outcome


def _store(session: Session, who: str, rows: Iterable[_Row], report: ImportReport) -> None:
    wanted = list(rows)
    if not wanted:
        return
    region_ids = sorted({r.region.id for r in wanted})
    days = [r.day for r in wanted]
    stmt = select(AirForecast).where(
        AirForecast.region_id.in_(region_ids), AirForecast.day >= min(days), AirForecast.day <= max(days)
    )
    kept = {(f.region_id, f.day): f for f in session.scalars(stmt)}
    for row in wanted:
        primary = ",".join(row.primary)
        found = kept.get((row.region.id, row.day))
        if found is None:
            session.add(
                AirForecast(
                    region_id=row.region.id,
                    day=row.day,
                    aqi_low=row.low,
                    aqi_high=row.high,
                    primary=primary,
                    imported_by=who,
                )
            )
            report.added += 1
        elif (found.aqi_low, found.aqi_high, found.primary) == (row.low, row.high, primary):
            report.unchanged += 1
        else:
            found.aqi_low, found.aqi_high, found.primary, found.imported_by = row.low, row.high, primary, who
            found.issued_at = utcnow()
            report.updated += 1
    session.flush()


def template() -> bytes:
    """The blank forecast table offered for download, with its notes."""
    words = [pollutant_name(key) for key in POLLUTANTS]
    return template_workbook(LAYOUT, {"primary": words})
