"""Air results of a period whose readings are still in the hot store alone (no Parquet partition yet: today's, before
compaction), computed on embedded DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import pytest

from ecoloop.analytics import sites
from ecoloop.analytics.sites import StoredReadings
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.results import air

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 2)
START = datetime(2026, 11, 1, 16, tzinfo=UTC)  # local midnight of DAY
VALUES = {"a21026": 10.0, "a21004": 30.0, "a21005": 0.8, "a05024": 60.0, "a34002": 70.0, "a34004": 40.0}


@pytest.fixture
def duck() -> Iterator[Any]:
    con = ibis.duckdb.connect()
    yield con
    con.disconnect()


def test_a_day_in_the_hot_store_alone_is_computed(tmp_path: Path, duck: Any) -> None:
    """24 hours of the six pollutants at station 1 in the hot store only: 24 hourly rows and a daily row (the
    hourly table is read four times; it must be kept on the backend that reads it)."""
    hot = HotStore(tmp_path / "hot.sqlite")
    hot.write(
        [
            Reading(1, code, Interval.HOUR, START + h * timedelta(hours=1), value)
            for h in range(24)
            for code, value in VALUES.items()
        ]
    )
    stored = StoredReadings(hot, tmp_path / "readings", lambda: sites.fixed(duck))

    results = air.compute(duck, stored, [air.Station(1, (10,))], DAY, DAY, TZ)
    hot.close()

    assert results.hour.num_rows == 24
    assert results.day.column("PM2_5_24h").to_pylist() == [40.0]
    assert results.day_area.column("region_id").to_pylist() == [10]
