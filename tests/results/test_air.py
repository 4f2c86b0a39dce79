"""Computing the air results on the analytics backend the caller gives, whichever tier the readings are in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import ibis

from ecoloop.analytics.sites import StoredReadings, fixed
from ecoloop.readings.store import HotStore
from ecoloop.results import air

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 1)
VALUES = {"a34004": 80.0, "a34002": 120.0, "a21026": 10.0, "a21004": 40.0, "a21005": 1.0, "a05024": 60.0}


def test_readings_only_in_the_hot_store_are_computed_on_the_given_backend(tmp_path: Path) -> None:
    """Before the first compaction of a day (readings in the hot store only, no Parquet partition), the hourly
    values were cached on ibis's default backend, not the one given: the results job failed with "Table
    ibis_cached_… does not exist"."""
    hot = HotStore(tmp_path / "hot.sqlite")
    start = datetime.combine(DAY, time(), TZ)
    received = int(datetime(2026, 12, 2, tzinfo=UTC).timestamp() * 1000)
    rows = [
        (7, code, "hour", int((start + timedelta(hours=h)).timestamp()), value, "N", "hj212", received)
        for h in range(24)
        for code, value in VALUES.items()
    ]
    hot.write_rows([(rows, [])])
    con = ibis.duckdb.connect()
    stored = StoredReadings(hot, tmp_path / "readings", lambda: fixed(con))
    try:
        results = air.compute(con, stored, [air.Station(7, (1,))], DAY, DAY, TZ)
    finally:
        con.disconnect()
        hot.close()

    assert results.hour.num_rows == 24
    assert results.day.column("site_id").to_pylist() == [7]
    assert results.day_area.column("region_id").to_pylist() == [1]
    assert results.day.column("aqi").to_pylist()[0] is not None
