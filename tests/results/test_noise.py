"""Noise results per station and day (`results/noise.py`): Ld and Ln judged against the station's GB 3096 zone,
hand-worked, and the days computed and kept by `results.service.compute_days`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import pytest
from sqlalchemy.orm import Session

from ecoloop.analytics import sites
from ecoloop.analytics.sites import StoredReadings
from ecoloop.monitoring.enums import NoiseZone, SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.results import store
from ecoloop.results.noise import NOISE_DAY, NoiseComputation, judged_row, noise_network
from ecoloop.results.service import COMPUTATIONS, compute_days
from tests.factories import World

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 12, tzinfo=UTC)


def station_day(ld: float | None, ln: float | None, **extra: Any) -> dict[str, Any]:
    row = {
        "station": 1,
        "day": DAY,
        "ld": ld,
        "ln": ln,
        "hours_day": 16,
        "hours_night": 8,
        "day_valid": True,
        "night_valid": True,
        "lmax_night": None,
        "device_leq": None,
        "device_ldn": None,
        "device_ld": None,
        "device_ln": None,
        "device_lmax_night": None,
    }
    return row | extra


@pytest.mark.parametrize(
    ("zone", "ld", "ln", "expected"),
    [
        # Leq 50 and 60 → Ld 57.4; zone 2 (60/50): the day meets, 2.6 dB below; Ln 50.0 equals the limit: meets.
        ("2", 57.4, 50.0, (60.0, 50.0, False, False, -2.6, 0.0)),
        # ../shared/standards/noise.md §5(b): zone 2, Ld 61.3 → 1.3 dB over by day; Ln 49.8 meets at night.
        ("2", 61.3, 49.8, (60.0, 50.0, True, False, 1.3, -0.2)),
        # Zone 1 (55/45): Ln 45.1 exceeds by 0.1.
        ("1", 54.9, 45.1, (55.0, 45.0, False, True, -0.1, 0.1)),
        # Zone 4b (70/60) and 4a (70/55): the night limits differ.
        ("4b", 70.0, 58.0, (70.0, 60.0, False, False, 0.0, -2.0)),
        ("4a", 70.0, 58.0, (70.0, 55.0, False, True, 0.0, 3.0)),
    ],
)
def test_a_station_day_judged_against_its_zone(
    zone: str, ld: float, ln: float, expected: tuple[float, float, bool, bool, float, float]
) -> None:
    row = judged_row(station_day(ld, ln), zone)
    got = (row["ld_limit"], row["ln_limit"], row["ld_exceeds"], row["ln_exceeds"], row["ld_excess"], row["ln_excess"])
    assert got == expected
    assert (row["ld"], row["ln"], row["zone"], row["site_id"]) == (ld, ln, zone, 1)


def test_the_night_maximum_against_the_night_limit_plus_fifteen() -> None:
    """GB 3096-2008 §5.4: zone 2's night limit 50 → Lmax at most 65; 65.0 meets, 65.1 does not."""
    assert judged_row(station_day(55.0, 45.0, lmax_night=65.0), "2")["lmax_exceeds"] is False
    exceeding = judged_row(station_day(55.0, 45.0, lmax_night=65.1), "2")
    assert (exceeding["lmax_exceeds"], exceeding["lmax_limit"], exceeding["lmax_night"]) == (True, 65.0, 65.1)


def test_an_invalid_day_or_a_station_without_zone_is_not_judged() -> None:
    """11 day hours (fewer than 12): Ld kept, not judged; no zone: no limit, no verdict."""
    row = judged_row(station_day(63.0, 52.0, hours_day=11, day_valid=False), "2")
    assert (row["ld"], row["ld_exceeds"], row["ld_excess"], row["ln_exceeds"]) == (63.0, None, None, True)
    unzoned = judged_row(station_day(63.0, 52.0), None)
    assert (unzoned["ld_limit"], unzoned["ld_exceeds"], unzoned["ln_exceeds"], unzoned["lmax_limit"]) == (
        None,
        None,
        None,
        None,
    )


def test_noise_is_one_of_the_computations() -> None:
    assert "noise" in [c.name for c in COMPUTATIONS]


@pytest.fixture
def hot(tmp_path: Path) -> Iterator[HotStore]:
    store_ = HotStore(tmp_path / "hot.sqlite")
    yield store_
    store_.close()


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def test_days_computed_and_kept_per_station_with_its_zone(
    db: Session, world: World, hot: HotStore, tmp_path: Path
) -> None:
    """A zone 2 point with Leq 50 (06-13) and 60 (14-21) and 52 all night (22:00 on the 10th to 06:00 on the 11th):
    Ld 57.4 meets 60, Ln 52.0 exceeds 50 by 2.0. An inactive noise point and an air station are not computed.
    Computing the 11th alone computes the 10th again (its night ends on the 11th's morning): a late 03:00 hour of
    the 11th at 70 dB raises the 10th's Ln."""
    point = Site(
        code="N-1", name="湖滨噪声点", kind=SiteKind.NOISE, region_id=world.town_a.id, noise_zone=NoiseZone.CLASS_2
    )
    idle = Site(code="N-2", name="停用噪声点", kind=SiteKind.NOISE, region_id=world.town_a.id, active=False)
    air = Site(code="A-1", name="空气站", kind=SiteKind.AIR_STATION, region_id=world.town_a.id)
    db.add_all([point, idle, air])
    db.flush()
    nxt = DAY + timedelta(days=1)
    hours = [(DAY, h, 50.0 if h < 14 else 60.0) for h in range(6, 22)]
    hours += [(DAY, 22, 52.0), (DAY, 23, 52.0)] + [(nxt, h, 52.0) for h in range(6) if h != 3]
    hot.write(
        [Reading(s.id, "Leq", Interval.HOUR, at(d, h), v) for s in (point, idle, air) for d, h, v in hours], now=NOW
    )
    con = ibis.duckdb.connect()
    stored = StoredReadings(hot, tmp_path / "readings", lambda: sites.fixed(con))
    root = tmp_path / "results"

    assert [(s.site_id, s.zone) for s in noise_network(db)] == [(point.id, "2")]
    done = compute_days(db, stored, root, [DAY], TZ, computations=(NoiseComputation(),))

    assert done.partitions == {"noise_day": 1}
    rows = store.read_partition(root, NOISE_DAY, "2026-11")
    assert rows is not None
    (row,) = [r for r in rows.to_pylist() if r["day"] == DAY]
    assert (row["site_id"], row["zone"], row["ld"], row["ld_exceeds"], row["ld_excess"]) == (
        point.id,
        "2",
        57.4,
        False,
        -2.6,
    )
    assert (row["ln"], row["hours_night"], row["ln_exceeds"], row["ln_excess"]) == (52.0, 7, True, 2.0)

    hot.write([Reading(point.id, "Leq", Interval.HOUR, at(nxt, 3), 70.0)], now=NOW)
    compute_days(db, stored, root, [nxt], TZ, computations=(NoiseComputation(),))

    rows = store.read_partition(root, NOISE_DAY, "2026-11")
    assert rows is not None
    (row,) = [r for r in rows.to_pylist() if r["day"] == DAY]
    # 10·lg((7·10^5.2 + 10^7)/8) = 61.4
    assert (row["ln"], row["hours_night"], row["ln_excess"]) == (61.4, 8, 11.4)
    con.disconnect()
