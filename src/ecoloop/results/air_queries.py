"""Reads of the kept air results for the station, area and compare pages, their exports and the API.

Who may see which station or area is decided before these reads (the routes load the site or region through the
scoped monitoring and regions queries, 404 for a foreign one); these functions read the results of the ids given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ecoloop.analytics import sites
from ecoloop.analytics.aqi import keys_of
from ecoloop.i18n import N_
from ecoloop.results import air, store
from ecoloop.results.queries import LEVEL_LABELS, ResultReads, newest_rows
from ecoloop.results.store import ResultTable
from ecoloop.standards.editions import edition_for


@dataclass(frozen=True)
class Pollutant:
    """A pollutant as the pages show it: its key in the results, its name (`label`, a catalog message id), unit and
    the decimals it is reported with (CO 0.1 mg/m³, the others whole µg/m³: HJ 633-2026 §4.2.2)."""

    key: str
    label: str
    unit: str
    places: int = 0


UG, MG = "µg/m³", "mg/m³"
HOURLY = (
    Pollutant("PM2_5", N_("PM2.5"), UG),
    Pollutant("PM10", N_("PM10"), UG),
    Pollutant("O3", N_("O3"), UG),
    Pollutant("NO2", N_("NO2"), UG),
    Pollutant("SO2", N_("SO2"), UG),
    Pollutant("CO", N_("CO"), MG, 1),
)
DAILY = (
    Pollutant("PM2_5_24h", N_("PM2.5"), UG),
    Pollutant("PM10_24h", N_("PM10"), UG),
    Pollutant("O3_8h", N_("O3 (8-hour)"), UG),
    Pollutant("NO2_24h", N_("NO2"), UG),
    Pollutant("SO2_24h", N_("SO2"), UG),
    Pollutant("CO_24h", N_("CO"), MG, 1),
)
# The keys of the AQI reports (primary pollutants) by the pollutant's name.
PRIMARY_NAMES = {
    "SO2_1h": N_("SO2"),
    "NO2_1h": N_("NO2"),
    "CO_1h": N_("CO"),
    "O3_1h": N_("O3"),
    "PM10_1h": N_("PM10"),
    "PM2_5_1h": N_("PM2.5"),
    "SO2_24h": N_("SO2"),
    "NO2_24h": N_("NO2"),
    "CO_24h": N_("CO"),
    "PM10_24h": N_("PM10"),
    "PM2_5_24h": N_("PM2.5"),
    "O3_8h": N_("O3 (8-hour)"),
}
# The categories of the AQI levels 1-6 (优, 良, 轻度污染 …), as the screen and public page name them.
CATEGORY_NAMES = dict(enumerate(LEVEL_LABELS, start=1))
# Pages show at most this many days of hourly results and of daily results at once.
MAX_HOURLY_DAYS = 31
MAX_DAILY_DAYS = 400


def primary(row: dict[str, Any], report: str) -> list[str]:
    """The primary pollutants of a result row (`hourly` or `daily` report) as HJ 633 item keys (`PM2_5_24h` …,
    named by PRIMARY_NAMES), by the edition in force on its day."""
    return list(keys_of(row.get("primary"), report, edition_for(row["day"])))


LABELS = {"categories": CATEGORY_NAMES, "primary": PRIMARY_NAMES}


def _read(
    con: Any, root: Path, table: ResultTable, column: str, ids: Sequence[int], first: date, last: date, order: str
) -> list[dict[str, Any]]:
    t = store.scan(con, root, table, first, last)
    if t is None or not ids:
        return []
    t = t.filter(t[column].isin(list(ids))).order_by([column, order])
    return [_naive(r) for r in sites.rows(con, t)]


def _naive(row: dict[str, Any]) -> dict[str, Any]:
    """Hour starts are kept as local times without a zone (`sites.rows` hands timestamps out as UTC)."""
    hour = row.get("hour_start")
    if isinstance(hour, datetime) and hour.tzinfo is not None:
        row["hour_start"] = hour.replace(tzinfo=None)
    return row


def station_hours(con: Any, root: Path, site_ids: Sequence[int], first: date, last: date) -> list[dict[str, Any]]:
    """The stations' hourly results of the local days first…last, by station and hour."""
    return _read(con, root, air.AIR_HOUR, "site_id", site_ids, first, last, "hour_start")


def station_days(con: Any, root: Path, site_ids: Sequence[int], first: date, last: date) -> list[dict[str, Any]]:
    """The stations' daily results of the days first…last, by station and day."""
    return _read(con, root, air.AIR_DAY, "site_id", site_ids, first, last, "day")


def area_hours(con: Any, root: Path, region_ids: Sequence[int], first: date, last: date) -> list[dict[str, Any]]:
    """The areas' hourly results of the local days first…last, by area and hour."""
    return _read(con, root, air.AIR_HOUR_AREA, "region_id", region_ids, first, last, "hour_start")


def area_days(con: Any, root: Path, region_ids: Sequence[int], first: date, last: date) -> list[dict[str, Any]]:
    """The areas' daily results of the days first…last, by area and day."""
    return _read(con, root, air.AIR_DAY_AREA, "region_id", region_ids, first, last, "day")


def valid_hours(hours: Sequence[dict[str, Any]]) -> dict[tuple[int, date], int]:
    """Per (subject, day): the hours with a valid PM2.5 value (a data-quality mark beside each day: GB 3095
    Table 4 asks 20 for a daily mean)."""
    counts: dict[tuple[int, date], int] = {}
    for row in hours:
        subject = row["site_id"] if "site_id" in row else row["region_id"]
        key = (int(subject), row["day"])
        counts[key] = counts.get(key, 0) + (row["PM2_5"] is not None)
    return counts


def latest_hours(reads: ResultReads, column: str, ids: Sequence[int], today: date) -> dict[int, dict[str, Any]]:
    """Per station (`site_id`) or area (`region_id`) of `ids`: its newest hourly result with an AQI of today or
    yesterday. The newest rows of all subjects are read once and kept while the partitions are unchanged
    (`ResultReads`); each page picks the ones its user may see."""
    table = air.AIR_HOUR if column == "site_id" else air.AIR_HOUR_AREA

    def build(con: Any, t: Any) -> dict[int, dict[str, Any]]:
        return {int(r[column]): _naive(r) for r in sites.rows(con, newest_rows(t, column))}

    found = reads.read(table, today - timedelta(days=1), today, ("air-latest", column), build) or {}
    return {i: found[i] for i in ids if i in found}


def days_of(reads: ResultReads, column: str, ids: Sequence[int], day: date) -> dict[int, dict[str, Any]]:
    """Per station or area of `ids`: its daily result of `day` (today's so far is recomputed through the day),
    read once for all subjects and kept while the partition is unchanged."""
    table = air.AIR_DAY if column == "site_id" else air.AIR_DAY_AREA

    def build(con: Any, t: Any) -> dict[int, dict[str, Any]]:
        return {int(r[column]): r for r in sites.rows(con, t)}

    found = reads.read(table, day, day, ("air-day", column), build) or {}
    return {i: found[i] for i in ids if i in found}
