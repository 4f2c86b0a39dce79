"""Water sections' monthly means (`analytics/water.py`) on every analytics engine, hand-worked: which values
count, the local month a value falls in, hourly values before daily ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecoloop.analytics import sites, water
from ecoloop.analytics.sites import StoredReadings
from ecoloop.monitoring.quality import INVALID_FLAGS
from ecoloop.readings.parquet import compact
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from tests.analytics.engines import PY4J_WARNINGS

pytestmark = PY4J_WARNINGS  # tests on Spark too

CST = timedelta(hours=8)
# The local month of November 2026 (UTC+8), and a little on either side.
START = datetime(2026, 10, 31, 12, tzinfo=UTC)
END = datetime(2026, 12, 1, 4, tzinfo=UTC)
NOV_FIRST = datetime(2026, 10, 31, 16, tzinfo=UTC)  # 2026-11-01 00:00 local
DEC_FIRST = datetime(2026, 11, 30, 16, tzinfo=UTC)  # 2026-12-01 00:00 local
H = timedelta(hours=1)
NH3N, TP, DO, PH, COD = "w21003", "w21011", "w01009", "w01001", "w01018"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HotStore]:
    hot = HotStore(tmp_path / "hot.sqlite")
    yield hot
    hot.close()


@pytest.fixture
def stored(store: HotStore, tmp_path: Path, backend: Any) -> StoredReadings:
    return StoredReadings(store, tmp_path / "readings", lambda: sites.fixed(backend))


def means(stored: StoredReadings, backend: Any, site_ids: list[int]) -> dict[tuple[int, str, str], tuple[float, int]]:
    readings = sites.period_readings(backend, stored, site_ids, water.INTERVALS, START, END)
    rows = sites.rows(backend, water.monthly_means(readings, CST, INVALID_FLAGS))
    return {(r["site_id"], r["month"].isoformat(), r["indicator"]): (r["mean"], r["values"]) for r in rows}


def test_a_months_mean_of_each_indicator_leaves_out_what_is_not_valid(stored: StoredReadings, backend: Any) -> None:
    """Section 1, November: NH3-N 1.0, 1.2, 1.4 (mean 1.2, 3 values; one flagged D, one negative and one missing
    value left out, and an `-Max` statistic); TP 0.2 and 0.3 (one compacted into Parquet, one hot). The last local
    hour of October (15:00 UTC) and the first of December fall in their own months; another site and an unknown
    code are not read."""
    s, root = stored.store, stored.root
    first = NOV_FIRST
    s.write([Reading(1, TP, Interval.HOUR, first, 0.2)], now=first)
    assert compact(s, root) == 1
    s.write(
        [
            Reading(1, NH3N, Interval.HOUR, first, 1.0),
            Reading(1, NH3N, Interval.HOUR, first + H, 1.2, "N"),
            Reading(1, NH3N, Interval.HOUR, first + 2 * H, 1.4, ""),
            Reading(1, NH3N, Interval.HOUR, first + 3 * H, 9.0, "D"),
            Reading(1, NH3N, Interval.HOUR, first + 4 * H, -0.1),
            Reading(1, NH3N, Interval.HOUR, first + 5 * H, None),
            Reading(1, f"{NH3N}-Max", Interval.HOUR, first + H, 7.0),
            Reading(1, TP, Interval.HOUR, first + H, 0.3),
            Reading(1, NH3N, Interval.HOUR, first - H, 5.0),  # 31 October, 23:00 local
            Reading(1, NH3N, Interval.HOUR, DEC_FIRST, 0.5),  # 1 December, 00:00 local
            Reading(1, "w99999", Interval.HOUR, first, 1.0),
            Reading(2, NH3N, Interval.HOUR, first, 3.0),
        ],
        now=first + 6 * H,
    )

    found = means(stored, backend, [1])

    assert found == {
        (1, "2026-11-01", "NH3_N"): (pytest.approx(1.2), 3),
        (1, "2026-11-01", "TP"): (pytest.approx(0.25), 2),
        (1, "2026-10-01", "NH3_N"): (5.0, 1),
        (1, "2026-12-01", "NH3_N"): (0.5, 1),
    }


def test_daily_values_count_only_where_a_month_has_no_hourly_value(stored: StoredReadings, backend: Any) -> None:
    """DO: hourly 6 and 8 and a daily 2 → 7 from the hours alone. COD: daily 16 and 18 only → 17. pH: hourly
    7.5 flagged M only, and a daily 8.1 → 8.1 (an invalid hourly value does not hide the daily one)."""
    first = NOV_FIRST
    stored.store.write(
        [
            Reading(1, DO, Interval.HOUR, first, 6.0),
            Reading(1, DO, Interval.HOUR, first + H, 8.0),
            Reading(1, DO, Interval.DAY, first, 2.0),
            Reading(1, COD, Interval.DAY, first, 16.0),
            Reading(1, COD, Interval.DAY, first + 24 * H, 18.0),
            Reading(1, PH, Interval.HOUR, first, 7.5, "M"),
            Reading(1, PH, Interval.DAY, first, 8.1),
            Reading(1, PH, Interval.MINUTE, first, 3.0),
        ],
        now=first + 48 * H,
    )

    assert means(stored, backend, [1]) == {
        (1, "2026-11-01", "DO"): (7.0, 2),
        (1, "2026-11-01", "COD"): (17.0, 2),
        (1, "2026-11-01", "pH"): (8.1, 1),
    }


def test_every_water_code_is_a_gb3838_indicator_of_the_readings_vocabulary() -> None:
    from ecoloop.readings.parameters import PARAMETERS, Medium
    from ecoloop.standards.water import INDICATORS

    assert set(water.INDICATORS) <= set(INDICATORS)
    assert all(PARAMETERS[code].medium is Medium.WATER for code in water.WATER_CODES)
    assert len(set(water.INDICATORS)) == len(water.WATER_CODES)


@pytest.mark.spark
def test_duckdb_and_spark_give_the_same_months(tmp_path: Path, engines: Any) -> None:
    """Three sections' hourly values of six indicators over 45 days from 27 October (random, with flagged, negative and
    missing values, and a few daily values), read from Parquet and the hot store: both engines give the same
    groups and counts, and means equal to 10 significant digits (the precision the results keep)."""
    import random

    from ecoloop.results.water import kept

    rng = random.Random(16)
    codes = ["w01001", "w01009", "w01019", "w21003", "w21011", "w21001"]
    readings = []
    for site in (1, 2, 3):
        for n in range(24 * 45):
            at = NOV_FIRST - 5 * 24 * H + n * H
            for code in codes:
                value = None if rng.random() < 0.02 else rng.uniform(-0.05, 9.0)
                flag = rng.choice(["N"] * 20 + ["D", "M", "", None])
                readings.append(Reading(site, code, Interval.HOUR, at, value, flag))
        readings += [
            Reading(site, "w01018", Interval.DAY, NOV_FIRST + d * 24 * H, rng.uniform(5, 30)) for d in range(9)
        ]
    store = HotStore(tmp_path / "hot.sqlite")
    try:
        store.write(readings[: len(readings) // 2], now=END)
        compact(store, tmp_path / "readings")
        store.write(readings[len(readings) // 2 :], now=END)
        found = {}
        for name, con in (("duckdb", engines.duckdb), ("spark", engines.spark)):
            stored = StoredReadings(store, tmp_path / "readings", lambda con=con: sites.fixed(con))
            t = sites.period_readings(con, stored, [1, 2, 3], water.INTERVALS, START - 5 * 24 * H, END + 20 * 24 * H)
            rows = sites.rows(con, water.monthly_means(t, CST, INVALID_FLAGS))
            found[name] = {(r["site_id"], r["month"], r["indicator"]): (kept(r["mean"]), r["values"]) for r in rows}
    finally:
        store.close()
    assert found["duckdb"] == found["spark"]
    assert len(found["duckdb"]) == 3 * 3 * 6 + 3  # October to December, six hourly indicators; November's daily COD
