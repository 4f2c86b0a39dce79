"""Daily noise levels of stations (`analytics/noise.py`) on every analytics engine: Ld and Ln as energy means of
the hourly Leq, the night owned by the day it starts on, valid hours, the night's maximum and the device's own day
values, hand-worked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest

from ecoloop.analytics import noise, sites
from ecoloop.analytics.sites import StoredReadings
from ecoloop.monitoring.quality import INVALID_FLAGS
from ecoloop.readings.parquet import compact
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from tests.analytics.engines import PY4J_WARNINGS

pytestmark = PY4J_WARNINGS  # tests on Spark too

TZ = timezone(timedelta(hours=8))
DAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 12, tzinfo=UTC)


@pytest.fixture
def stored(tmp_path: Path, backend: Any) -> Iterator[StoredReadings]:
    hot = HotStore(tmp_path / "hot.sqlite")
    yield StoredReadings(hot, tmp_path / "readings", lambda: sites.fixed(backend))
    hot.close()


def at(day: date, hour: int) -> datetime:
    """The start of a local hour as an aware datetime."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def hour(site: int, day: date, h: int, code: str, value: float, flag: str = "N") -> Reading:
    return Reading(site, code, Interval.HOUR, at(day, h), value, flag)


def days_of(stored: StoredReadings, backend: Any, first: date, last: date) -> dict[tuple[int, date], dict[str, Any]]:
    end = at(last + timedelta(days=1), 6)
    readings = sites.period_readings(backend, stored, [1, 2, 3], [Interval.HOUR, Interval.DAY], at(first, 0), end)
    table = noise.station_days(readings, timedelta(hours=8), INVALID_FLAGS, first, last)
    rows = backend.to_pyarrow(table).to_pylist()
    return {(r["station"], r["day"]): r for r in rows}


def test_ld_and_ln_are_energy_means_of_the_hours_with_the_night_owned_by_the_day_it_starts_on(
    stored: StoredReadings, backend: Any
) -> None:
    """Station 1 on 2026-11-10 (local time, UTC+8):
    - day 06-13 Leq 50, 14-21 Leq 60: Ld = 10·lg((8·10^5 + 8·10^6)/16) = 10·lg(550 000) = 57.40 → 57.4, 16 hours;
    - night 22, 23 on the 10th and 00-05 on the 11th Leq 45, but 03:00 flagged D (fault) at 90: Ln = 45.0 from
      7 hours; LMx 62.0 at 22:00, 70.5 at 02:00 of the 11th, 80 at 10:00 (day): the night's maximum is 70.5;
    - 00-05 on the 10th (Leq 70) are the night of the 9th, 06:00 on the 11th (Leq 99) the day of the 11th: neither
      counts.
    Station 2: 11 day hours of Leq 55, no night: Ld 55.0 not valid (fewer than 12 hours), Ln none.
    Station 3: only its daily upload (CN=2031 at 00:00 of the 10th): Leq-Data 52.1, Ldn-Data 55.3, Ld-DayData 53.0
    (and an Ld-Data 99 that the DayData goes before), Ln-NightData 47.5, LMx-NightData 66.1."""
    nxt = DAY + timedelta(days=1)
    readings = [hour(1, DAY, h, "Leq", 50.0 if h < 14 else 60.0) for h in range(6, 22)]
    readings += [hour(1, DAY, h, "Leq", 45.0) for h in (22, 23)]
    readings += [hour(1, nxt, h, "Leq", 45.0) for h in (0, 1, 2, 4, 5)]
    readings += [hour(1, nxt, 3, "Leq", 90.0, "D"), hour(1, nxt, 6, "Leq", 99.0)]
    readings += [hour(1, DAY, h, "Leq", 70.0) for h in range(6)]
    readings += [hour(1, DAY, 22, "LMx", 62.0), hour(1, nxt, 2, "LMx", 70.5), hour(1, DAY, 10, "LMx", 80.0)]
    readings += [hour(2, DAY, h, "Leq", 55.0) for h in range(8, 19)]
    readings += [
        Reading(3, "Leq", Interval.DAY, at(DAY, 0), 52.1),
        Reading(3, "Ldn", Interval.DAY, at(DAY, 0), 55.3),
        Reading(3, "Ld-DayData", Interval.DAY, at(DAY, 0), 53.0),
        Reading(3, "Ld", Interval.DAY, at(DAY, 0), 99.0),
        Reading(3, "Ln-NightData", Interval.DAY, at(DAY, 0), 47.5),
        Reading(3, "LMx-NightData", Interval.DAY, at(DAY, 0), 66.1),
    ]
    stored.store.write(readings[: len(readings) // 2], now=NOW)
    compact(stored.store, stored.root)  # half of them in Parquet, half in the hot store
    stored.store.write(readings[len(readings) // 2 :], now=NOW)

    days = days_of(stored, backend, DAY, DAY)

    assert set(days) == {(1, DAY), (2, DAY), (3, DAY)}
    one, two, three = days[1, DAY], days[2, DAY], days[3, DAY]
    assert (one["ld"], one["hours_day"], one["day_valid"]) == (57.4, 16, True)
    assert (one["ln"], one["hours_night"], one["night_valid"], one["lmax_night"]) == (45.0, 7, True, 70.5)
    assert one["device_leq"] is None
    assert (two["ld"], two["hours_day"], two["day_valid"]) == (55.0, 11, False)
    assert (two["ln"], two["hours_night"], two["night_valid"]) == (None, 0, False)
    assert (three["ld"], three["hours_day"], three["device_leq"], three["device_ldn"]) == (None, 0, 52.1, 55.3)
    assert (three["device_ld"], three["device_ln"], three["device_lmax_night"]) == (53.0, 47.5, 66.1)


def test_the_worked_example_of_sixteen_hours(stored: StoredReadings, backend: Any) -> None:
    """../shared/standards/noise.md §5(a): 16 hourly Leq (06-21) → Ld 57.87 → 57.9 (arithmetic mean 57.5 would be
    wrong); without the 17:00 hour, 57.7 from 15 hours."""
    levels = [52.3, 55.8, 58.1, 59.4, 58.7, 57.9, 58.2, 57.6, 56.9, 58.3, 59.0, 60.2, 59.5, 57.4, 56.1, 54.6]
    stored.store.write([hour(1, DAY, 6 + n, "Leq", v) for n, v in enumerate(levels)], now=NOW)
    stored.store.write([hour(2, DAY, 6 + n, "Leq", v) for n, v in enumerate(levels) if n != 11], now=NOW)

    days = days_of(stored, backend, DAY, DAY)

    assert (days[1, DAY]["ld"], days[1, DAY]["hours_day"]) == (57.9, 16)
    assert (days[2, DAY]["ld"], days[2, DAY]["hours_day"]) == (57.7, 15)


def test_other_day_boundaries(backend: Any) -> None:
    """A county that divides the day at 07:00 and 23:00: its 06:00 hour is the night before, 22:00 still day."""
    hourly = ibis.memtable(
        pa.table(
            {
                "station": pa.array([1, 1], pa.int64()),
                "hour_start": pa.array(
                    [at(DAY + timedelta(days=1), 6).replace(tzinfo=None), at(DAY, 22).replace(tzinfo=None)]
                ),
                "leq": [40.0, 60.0],
                "lmx": pa.array([None, None], pa.float64()),
            }
        )
    )
    table = noise.daily_levels(hourly, DAY, DAY, time(7), time(23))
    (row,) = backend.to_pyarrow(table).to_pylist()
    assert (row["ld"], row["hours_day"], row["ln"], row["hours_night"]) == (60.0, 1, 40.0, 1)
