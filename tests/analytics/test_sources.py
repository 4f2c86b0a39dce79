"""Outlets' hourly values against their limits (`analytics/sources.py`) on every analytics engine: the value compared
at the reference O2, what is valid and what is judged, the counts, the hours and days that may exceed, hand-worked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa
import pytest

from ecoloop.analytics import sites, sources
from ecoloop.analytics.sites import StoredReadings
from ecoloop.monitoring.quality import INVALID_FLAGS
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from tests.analytics.engines import PY4J_WARNINGS

pytestmark = PY4J_WARNINGS  # tests on Spark too

SO2, COD, O2 = "a21026", "w01018", sources.O2
H = timedelta(hours=1)
OFFSET = timedelta(hours=8)
# Local midnight of 2026-11-02 (UTC+8).
START = datetime(2026, 11, 1, 16, tzinfo=UTC)
NOW = datetime(2026, 11, 10, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HotStore]:
    hot = HotStore(tmp_path / "hot.sqlite")
    yield hot
    hot.close()


@pytest.fixture
def stored(store: HotStore, tmp_path: Path, backend: Any) -> StoredReadings:
    return StoredReadings(store, tmp_path / "readings", lambda: sites.fixed(backend))


def limits() -> Any:
    """Segment 0: site 1 SO2 hourly 100 at 6 % O2; segment 1: site 2 COD daily 60, no reference O2."""
    return ibis.memtable(
        pa.table(
            {
                "segment": pa.array([0, 1], pa.int64()),
                "l_site": pa.array([1, 2], pa.int64()),
                "l_parameter": pa.array([SO2, COD]),
                "averaging": pa.array(["hour", "day"]),
                "limit_value": pa.array([100.0, 60.0]),
                "reference_o2": pa.array([6.0, None], pa.float64()),
                "first_day": pa.array([date(2026, 11, 2)] * 2, pa.date32()),
                "last_day": pa.array([date(2026, 11, 30)] * 2, pa.date32()),
            }
        )
    )


def hours_of(backend: Any, stored: StoredReadings) -> Any:
    readings = sites.period_readings(backend, stored, [1, 2], [Interval.HOUR], START - 4 * H, START + 48 * H)
    return sources.hourly_values(readings, limits(), OFFSET, INVALID_FLAGS)


def cut(hours: int) -> Any:
    return ibis.literal(datetime.combine(date(2026, 11, 2), time()) + hours * H, type=dt.Timestamp(scale=6))


def test_values_compared_at_the_reference_o2_and_what_is_valid_and_judged(
    store: HotStore, stored: StoredReadings, backend: Any
) -> None:
    """Site 1, local hours 00-05 of 2026-11-02: 120 at 6 % O2 → 120 (above); 100 at 9 % → 100 x 15/12 = 125;
    100 at 6 % → 100 (the limit itself: a candidate, not above); 300 flagged D → invalid, not judged; 110 without
    O2 → valid but not judged; 50 at 6 % → 50, far below. An hour of the day before the limit's first day (local
    2026-11-01 23:00) is left out."""
    values = [(120.0, 6.0, "N"), (100.0, 9.0, "N"), (100.0, 6.0, None), (300.0, 6.0, "D"), (110.0, None, "N")]
    values.append((50.0, 6.0, "N"))
    rows = [Reading(1, SO2, Interval.HOUR, START - H, 500.0, "N"), Reading(1, O2, Interval.HOUR, START - H, 6.0)]
    for h, (value, o2, flag) in enumerate(values):
        rows.append(Reading(1, SO2, Interval.HOUR, START + h * H, value, flag))
        if o2 is not None:
            rows.append(Reading(1, O2, Interval.HOUR, START + h * H, o2, "N"))
    store.write(rows, now=NOW)
    hours = hours_of(backend, stored)

    got = sites.rows(backend, hours.order_by("hour_start"))
    assert [(r["valid"], r["judged"], r["used"]) for r in got] == [
        (True, True, 120.0),
        (True, True, pytest.approx(125.0)),
        (True, True, 100.0),
        (False, False, None),
        (True, False, None),
        (True, True, 50.0),
    ]
    counts = sites.rows(backend, sources.segment_counts(hours, cut(24)))
    assert [(r["segment"], r["received"], r["valid"], r["max_used"]) for r in counts] == [
        (0, 6, 5, pytest.approx(125.0))
    ]
    near = sites.rows(backend, sources.hour_candidates(hours, cut(24)).order_by("hour_start"))
    assert [(r["value"], r["o2"], r["flag"]) for r in near] == [
        (120.0, 6.0, "N"),
        (100.0, 9.0, "N"),
        (100.0, 6.0, None),
    ]
    # An end before the third hour leaves the later hours out of counts and candidates.
    assert sites.rows(backend, sources.segment_counts(hours, cut(2)))[0]["received"] == 2


def test_daily_means_need_twenty_judged_hours(store: HotStore, stored: StoredReadings, backend: Any) -> None:
    """Site 2, COD: day 1 (2026-11-02) 24 hours at 70 → mean 70, a candidate; day 2: 19 hours at 100 and 5 flagged D
    → 19 judged hours, no daily mean."""
    rows = [Reading(2, COD, Interval.HOUR, START + h * H, 70.0, "N") for h in range(24)]
    rows += [Reading(2, COD, Interval.HOUR, START + (24 + h) * H, 100.0, "N" if h < 19 else "D") for h in range(24)]
    store.write(rows, now=NOW)
    hours = hours_of(backend, stored)

    means = sites.rows(backend, sources.daily_means(hours, cut(48)))
    assert [(r["segment"], r["day"], r["hours"], r["mean"]) for r in means] == [(1, date(2026, 11, 2), 24, 70.0)]
    assert sites.rows(backend, sources.max_daily_mean(hours, cut(48))) == [{"segment": 1, "max_mean": 70.0}]
    candidates = sites.rows(backend, sources.day_candidates(hours, cut(48)))
    assert len(candidates) == 24
    assert {r["value"] for r in candidates} == {70.0}
