"""Air results of the browser tests' demo city: hourly readings of every air station for yesterday and today so
far, stored in the test server's data directory and computed by the results engine (`results.service`), as the
scheduler's job would. The overview screen and the public page are then checked against the stored results."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.analytics.sites import StoredReadings
from ecoloop.db.engine import make_engine
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.readings.store import open_hot_store
from ecoloop.regions.models import Region
from ecoloop.results import store
from ecoloop.results.air import AIR_DAY_AREA, AIR_HOUR, AIR_HOUR_AREA
from ecoloop.results.service import compute_days
from ecoloop.settings import Settings
from tests.e2e.conftest import Demo

# HJ 212 codes of the six pollutants and each one's base value (µg/m³; CO mg/m³).
BASE = {"a34004": 35.0, "a34002": 60.0, "a21026": 8.0, "a21004": 30.0, "a21005": 0.6, "a05024": 50.0}


@dataclass(frozen=True)
class AirResults:
    """The demo city's air results as stored: the settings that find them, today and yesterday, and the regions
    and stations by name."""

    settings: Settings
    today: date
    regions: dict[str, int]
    stations: dict[str, int]

    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)

    def rows(self, table: store.ResultTable, day: date) -> list[dict[str, Any]]:
        found = store.read_partition(self.settings.results_root, table, table.key(day))
        assert found is not None, f"{table.name} of {day} was not computed"
        return [r for r in found.to_pylist() if r[table.day_column] == day]

    def day_area(self, region_id: int, day: date) -> dict[str, Any]:
        return next(r for r in self.rows(AIR_DAY_AREA, day) if r["region_id"] == region_id)

    def newest_hour(self, site_id: int) -> dict[str, Any]:
        rows = [r for d in (self.yesterday, self.today) for r in self.rows(AIR_HOUR, d)]
        return max((r for r in rows if r["site_id"] == site_id and r["aqi"] is not None), key=lambda r: r["hour_start"])

    def newest_area_hour(self, region_id: int) -> dict[str, Any]:
        rows = [r for d in (self.yesterday, self.today) for r in self.rows(AIR_HOUR_AREA, d)]
        mine = [r for r in rows if r["region_id"] == region_id and r["aqi"] is not None]
        return max(mine, key=lambda r: r["hour_start"])


def settings_of(demo: Demo) -> Settings:
    env = demo.env
    return Settings(  # type: ignore[call-arg]  # pydantic-settings takes _env_file
        _env_file=None,
        database_url=env["ECOLOOP_DATABASE_URL"],
        analytics_url=env["ECOLOOP_ANALYTICS_URL"],
        data_dir=Path(env["ECOLOOP_DATA_DIR"]),
    )


def _readings(site_ids: list[int], start: datetime, end: datetime, received_ms: int) -> list[tuple[Any, ...]]:
    """Hourly values of the six pollutants, different per station and hour (some stations clean, some polluted)."""
    rows = []
    hour = start
    n = 0
    while hour < end:
        ts = int(hour.timestamp())
        for i, site_id in enumerate(site_ids):
            factor = 0.4 + ((i * 7 + n) % 23) / 4  # 0.4 … 5.9 times the base
            for code, base in BASE.items():
                value = round(base * factor, 1 if code == "a21005" else 0)
                rows.append((site_id, code, "hour", ts, value, "N", "hj212", received_ms))
        hour += timedelta(hours=1)
        n += 1
    return rows


@pytest.fixture(scope="package")
def air_results(demo_city: Demo) -> Iterator[AirResults]:
    """Yesterday's and today's hourly readings of every demo air station, and their results computed and kept."""
    settings = settings_of(demo_city)
    tz = settings.tz
    now = datetime.now(UTC)
    today = now.astimezone(tz).date()
    start = datetime.combine(today - timedelta(days=1), time(), tz)
    engine = make_engine(settings.database_url)
    hot = open_hot_store(settings)
    try:
        with Session(engine) as session:
            stations = dict(
                session.execute(
                    select(Site.name, Site.id).where(Site.kind == SiteKind.AIR_STATION, Site.active.is_(True))
                ).all()
            )
            regions = dict(session.execute(select(Region.name, Region.id)).all())
            until = now.replace(minute=0, second=0, microsecond=0)  # the hours that have ended
            rows = _readings(sorted(stations.values()), start, until, int(now.timestamp() * 1000))
            hot.write_rows([(rows, [])])
            compute_days(session, StoredReadings.of(hot, settings), settings.results_root, [start.date(), today], tz)
        yield AirResults(settings, today, regions, stations)
    finally:
        hot.close()
        engine.dispose()
