"""Data quality of stored readings: hand-built readings in a temporary hot store (SQLite, and PostgreSQL) and
Parquet; no operational database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from ecoloop.analytics.sites import StoredReadings, fixed
from ecoloop.monitoring import assess
from ecoloop.monitoring.models import Device
from ecoloop.monitoring.quality import Completeness, IssueKind, pooled, rates
from ecoloop.readings.parquet import compact
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Outcome, RawPacket, Reading
from tests.analytics.engines import PY4J_WARNINGS
from tests.conftest import make_settings

NOW = datetime(2026, 11, 22, 10, 20, tzinfo=UTC)
END = datetime(2026, 11, 22, 10, tzinfo=UTC)  # the default period ends at the start of the current hour
START = END - timedelta(hours=24)
H = timedelta(hours=1)
PM25, PM10, SO2 = "a34004", "a34002", "a21026"

pytestmark = PY4J_WARNINGS  # tests on Spark too


def device(id_: int, mn: str, interval_minutes: int = 60, site_id: int = 1) -> Device:
    """A data logger as the database would return it (not stored: these tests need no database)."""
    return Device(id=id_, mn=mn, password="x", site_id=site_id, interval_minutes=interval_minutes, active=True)


def hourly(
    site: int, parameter: str, values: list[float | None], flags: list[str | None] | None = None
) -> list[Reading]:
    """Hourly readings from START on."""
    flags = flags or ["N"] * len(values)
    return [
        Reading(site, parameter, Interval.HOUR, START + i * H, v, f)
        for i, (v, f) in enumerate(zip(values, flags, strict=True))
    ]


def packet(mn: str, at: datetime, outcome: Outcome = Outcome.STORED, reason: str | None = None) -> RawPacket:
    return RawPacket(received_at=at, peer="10.0.0.1", frame=b"##...", outcome=outcome, reason=reason, mn=mn, cn="2061")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HotStore]:
    if request.param == "postgresql":
        hot = HotStore(request.getfixturevalue("hot_pg_url"))
    else:
        hot = HotStore(tmp_path / "ingest" / "hot.sqlite")
    yield hot
    hot.close()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "readings"


@pytest.fixture
def stored(store: HotStore, root: Path, backend: Any) -> StoredReadings:
    """Both tiers, read on the engine of `backend`."""
    return StoredReadings(store, root, lambda: fixed(backend))


def site_quality(stored: StoredReadings, devices: list[Device], site: int = 1) -> assess.SiteQuality:
    return assess.assess_site(stored, site, devices, assess.period_for(NOW, devices), NOW)


# --- completeness -------------------------------------------------------------------------------------------------


def test_completeness_of_a_site_hand_worked(store: HotStore, root: Path, stored: StoredReadings) -> None:
    """PM2.5: 20 of 24 hours, 2 flagged D/M → 83.33 %, 90.00 %, 75.00 %. PM10: 24 of 24, all valid. Pooled: 44 of
    48 received (91.67 %), 42 of 44 valid (95.45 %), 91.67 x 95.45 / 100 = 87.499 → 87.50 %."""
    pm25 = hourly(1, PM25, [30.0 + i for i in range(20)], ["N"] * 18 + ["D", "M"])
    pm10 = hourly(1, PM10, [80.0 + i for i in range(24)])
    other_site = hourly(2, PM25, [10.0] * 24)
    outside = [Reading(1, PM25, Interval.HOUR, START - H, 5.0), Reading(1, PM25, Interval.HOUR, END, 5.0)]
    statistics = [Reading(1, f"{PM25}-Max", Interval.HOUR, START, 99.0)]
    store.write([*pm25, *pm10, *other_site, *outside, *statistics])

    result = site_quality(stored, [device(1, "MN-1")])

    by_parameter = {p.parameter: p.completeness for p in result.parameters}
    assert set(by_parameter) == {PM25, PM10}, "statistics such as a34004-Max are not parameters of their own"
    assert by_parameter[PM25] == Completeness(24, 20, 18, Decimal("83.33"), Decimal("90.00"), Decimal("75.00"))
    assert by_parameter[PM10].effective == Decimal("100.00")
    assert result.completeness == Completeness(48, 44, 42, Decimal("91.67"), Decimal("95.45"), Decimal("87.50"))
    assert result.flags == {"D": 1, "M": 1, "N": 42}
    assert {p.parameter: p.flags for p in result.parameters}[PM25] == {"D": 1, "M": 1, "N": 18}


def test_hot_and_parquet_readings_are_merged_and_a_correction_wins(
    store: HotStore, root: Path, stored: StoredReadings
) -> None:
    store.write(hourly(1, PM25, [40.0] * 12), now=NOW - timedelta(days=1))
    assert compact(store, root) == 12
    later = [Reading(1, PM25, Interval.HOUR, START + i * H, 41.0) for i in range(12, 24)]
    corrected = [Reading(1, PM25, Interval.HOUR, START + i * H, 41.0, "N", "correction:li") for i in range(6, 12)]
    store.write(later, now=NOW)
    store.write(corrected, now=NOW, replace=True)

    result = site_quality(stored, [device(1, "MN-1")])

    assert result.completeness.received == 24 and result.completeness.transmission == Decimal("100.00")
    latest = assess.latest_values(stored, 1, Interval.HOUR)
    assert [(v.parameter, v.time, v.value, v.source) for v in latest] == [(PM25, END - H, 41.0, "hj212")]
    flat = [(i.start, i.end, i.detail) for i in result.issues if i.kind is IssueKind.FLAT_LINE]
    assert flat == [(START, START + 5 * H, "6 x 40.0"), (START + 6 * H, END - H, "18 x 41.0")]
    assert [i for i in result.issues if i.kind is IssueKind.CONFLICT] == []  # a correction is no conflict


def test_a_later_value_over_a_compacted_one_does_not_stand_and_is_listed_as_a_conflict(
    store: HotStore, root: Path, stored: StoredReadings
) -> None:
    # Issue 13: an upload over the logger's values of yesterday, already compacted into Parquet.
    store.write(hourly(1, PM25, [40.0] * 24), now=NOW - timedelta(days=1))
    assert compact(store, root) == 24
    upload = [Reading(1, PM25, Interval.HOUR, START + i * H, 5.0, "N", "upload:wang") for i in range(20, 24)]
    store.write(upload, now=NOW)  # straight into the hot store (no check against Parquet): readers still pick

    for _ in range(2):  # before the next compaction, and after it
        result = site_quality(stored, [device(1, "MN-1")])
        latest = assess.latest_values(stored, 1, Interval.HOUR)
        assert [(v.value, v.source) for v in latest] == [(40.0, "hj212")]
        assert result.parameters[0].completeness.received == 24
        assert {i.detail for i in result.issues if i.kind is IssueKind.FLAT_LINE} == {"24 x 40.0"}
        compact(store, root)
    conflicts = [i.conflict for i in result.issues if i.kind is IssueKind.CONFLICT]
    assert [(c.time, c.value, c.source, c.kept_value, c.kept_source) for c in conflicts if c] == [
        (START + i * H, 5.0, "upload:wang", 40.0, "hj212") for i in range(20, 24)
    ]


def test_a_site_without_any_value_is_0_percent_complete(store: HotStore, root: Path, stored: StoredReadings) -> None:
    result = site_quality(stored, [])

    assert result.completeness == Completeness(24, 0, 0, Decimal(0), Decimal(0), Decimal(0))
    assert (result.parameters, result.issues, result.last_seen, result.online) == ([], [], None, False)


def test_pooled_weighs_each_series_by_its_expected_count() -> None:
    parts = [rates(24, 24, 24), rates(24, 12, 6), rates(24, 30, 30)]  # off-schedule extras do not count

    assert pooled(parts) == Completeness(72, 60, 54, Decimal("83.33"), Decimal("90.00"), Decimal("75.00"))
    assert pooled([]) == Completeness(0, 0, 0, Decimal(0), Decimal(0), Decimal(0))


# --- last seen and online -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("silence", "online"),
    [(timedelta(hours=3), True), (timedelta(hours=3, seconds=1), False)],
    ids=["3h-online", "3h+1s-offline"],
)
def test_offline_after_three_missed_intervals(
    store: HotStore, root: Path, stored: StoredReadings, silence: timedelta, online: bool
) -> None:
    store.write([], [packet("MN-1", NOW - timedelta(hours=10)), packet("MN-1", NOW - silence)])
    store.write([], [packet("MN-OTHER", NOW)])
    logger = device(1, "MN-1")

    result = site_quality(stored, [logger])
    [status] = assess.device_statuses(store, [logger], NOW)

    assert (status.last_seen, status.online) == (NOW - silence, online)
    assert (result.last_seen, result.online) == (NOW - silence, online)


def test_a_minute_logger_is_offline_after_three_minutes(store: HotStore, root: Path) -> None:
    store.write([], [packet("MN-1", NOW - timedelta(minutes=3, seconds=1))])

    [status] = assess.device_statuses(store, [device(1, "MN-1", interval_minutes=1)], NOW)

    assert not status.online


def test_without_packets_the_latest_reading_time_counts(store: HotStore, root: Path, stored: StoredReadings) -> None:
    store.write(hourly(1, PM25, [30.0] * 23))  # the last is at END - 2 h
    store.write(hourly(2, PM25, [30.0] * 20))  # the last is at END - 5 h

    assert site_quality(stored, [], site=1).online
    assert site_quality(stored, [], site=2).last_seen == END - 5 * H
    assert not site_quality(stored, [], site=2).online


def test_rejected_packets_of_the_sites_loggers_in_the_period_by_reason(
    store: HotStore, root: Path, stored: StoredReadings
) -> None:
    rejected = Outcome.REJECTED
    store.write(
        [],
        [
            packet("MN-1", END - H, rejected, "crc_mismatch"),
            packet("MN-1", END - 2 * H, rejected, "crc_mismatch"),
            packet("MN-2", END - H, rejected, "wrong_password"),
            packet("MN-1", START - H, rejected, "bad_length"),  # before the period
            packet("MN-9", END - H, rejected, "crc_mismatch"),  # another site's logger
            packet("MN-1", END - H),  # stored
        ],
    )

    result = site_quality(stored, [device(1, "MN-1"), device(2, "MN-2")])

    assert result.rejected == {"crc_mismatch": 2, "wrong_password": 1}


# --- issues -------------------------------------------------------------------------------------------------------


def test_flat_line_and_pm25_above_pm10_are_found(store: HotStore, root: Path, stored: StoredReadings) -> None:
    pm25 = [20.0 + (i % 5) for i in range(24)]
    pm25[10:17] = [35.0] * 7  # stuck for 7 hours
    pm10 = [50.0 + (i % 7) for i in range(24)]
    pm25[20] = 70.0  # PM2.5 70 > PM10 50 + 20 % 7 = 56
    store.write([*hourly(1, PM25, pm25), *hourly(1, PM10, pm10)])

    result = site_quality(stored, [device(1, "MN-1")])

    flat = [i for i in result.issues if i.kind is IssueKind.FLAT_LINE]
    assert [(i.parameter, i.start, i.end) for i in flat] == [(PM25, START + 10 * H, START + 16 * H)]
    above = [i for i in result.issues if i.kind is IssueKind.PM25_ABOVE_PM10]
    assert [i.start for i in above] == [START + 20 * H]
    assert result.issue_counts[IssueKind.PM25_ABOVE_PM10] == 1


def test_negative_implausible_spike_and_jump_values_are_found_and_flags_only_counted(
    store: HotStore, root: Path, stored: StoredReadings
) -> None:
    so2 = [10.0 + (i % 3) for i in range(24)]
    so2[3] = -2.0
    so2[8] = 6000.0  # above the plausible 5000
    so2[14] = 400.0  # a spike among values of about 11, and jumps up and down
    flags: list[str | None] = ["N"] * 24
    flags[20] = "D"
    store.write(hourly(1, SO2, so2, flags))

    kinds = {(i.kind, i.start) for i in site_quality(stored, [device(1, "MN-1")]).issues}

    assert (IssueKind.NEGATIVE, START + 3 * H) in kinds
    assert (IssueKind.OUT_OF_RANGE, START + 8 * H) in kinds
    assert (IssueKind.SPIKE, START + 14 * H) in kinds
    assert (IssueKind.JUMP, START + 13 * H) in kinds
    assert IssueKind.FLAGGED not in {kind for kind, _start in kinds}


# --- periods ------------------------------------------------------------------------------------------------------


def test_default_periods_follow_the_loggers_cadence() -> None:
    hourly_period = assess.period_for(NOW, [device(1, "MN-1")])
    minute_period = assess.period_for(NOW, [device(1, "MN-1", interval_minutes=10), device(2, "MN-2")])
    daily_period = assess.period_for(NOW, [device(1, "MN-1", interval_minutes=1440)])

    assert (hourly_period.start, hourly_period.end, hourly_period.interval, hourly_period.expected) == (
        START,
        END,
        Interval.HOUR,
        24,
    )
    assert (minute_period.interval, minute_period.step, minute_period.expected) == (
        Interval.MINUTE,
        timedelta(minutes=10),
        144,
    )
    assert minute_period.end == datetime(2026, 11, 22, 10, 20, tzinfo=UTC)
    assert (daily_period.interval, daily_period.expected) == (Interval.DAY, 30)


def test_chosen_periods_and_their_limits() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    start = assess.parse_moment("2026-11-01T00:00", tz)
    end = assess.parse_moment("2026-11-02", tz)

    period = assess.period_for(NOW, [], start=start, end=end, interval=Interval.HOUR)

    assert (period.start, period.end, period.expected) == (
        datetime(2026, 10, 31, 16, tzinfo=UTC),
        datetime(2026, 11, 1, 16, tzinfo=UTC),
        24,
    )
    assert assess.parse_moment("2026-11-01T08:00:00+00:00", tz) == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert assess.parse_moment("  ", tz) is None
    with pytest.raises(ValueError):
        assess.parse_moment("yesterday", tz)
    with pytest.raises(ValueError):
        assess.period_for(NOW, [], start=END, end=START)
    with pytest.raises(ValueError):
        assess.period_for(NOW, [], start=END - timedelta(days=32), end=END)


# --- many sites at once -------------------------------------------------------------------------------------------


class Counted:
    """Hot store queries, and SQLite and DuckDB connections, made while it is active (wrapping the store engine's
    `fetch` and the libraries' `connect`)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, store: HotStore) -> None:
        self.queries: list[str] = []
        self.sqlite = 0
        self.duckdb = 0
        real_fetch, real_sqlite, real_duckdb = store._db.fetch, sqlite3.connect, duckdb.connect

        def fetch(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
            self.queries.append(sql)
            return real_fetch(sql, params)

        def sqlite_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            self.sqlite += 1
            return real_sqlite(*args, **kwargs)

        def duckdb_connect(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
            self.duckdb += 1
            return real_duckdb(*args, **kwargs)

        monkeypatch.setattr(store._db, "fetch", fetch)
        monkeypatch.setattr(sqlite3, "connect", sqlite_connect)
        monkeypatch.setattr(duckdb, "connect", duckdb_connect)


def test_overview_of_many_sites_matches_each_site_and_takes_the_same_queries_for_1_or_30(
    store: HotStore, root: Path, stored: StoredReadings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sites = {site: [device(site, f"MN-{site}", site_id=site)] for site in range(1, 31)}
    for site in sites:
        store.write(hourly(site, PM25, [float(site)] * (site % 24 + 1)))
        store.write([], [packet(f"MN-{site}", NOW - site * H)])
    store.write(hourly(3, PM10, [1.0] * 24), now=NOW - timedelta(days=2))
    compact(store, root, before=NOW - timedelta(days=1))  # site 3's PM10 moves to Parquet

    per_read = StoredReadings.of(store, make_settings(tmp_path))  # a backend of ANALYTICS_URL for each read
    one = Counted(monkeypatch, store)
    assess.site_statuses(per_read, {1: sites[1]}, NOW)
    one_queries, one_connections = len(one.queries), one.duckdb
    many = Counted(monkeypatch, store)
    statuses = assess.site_statuses(per_read, sites, NOW)

    assert one_queries > 0 and (len(many.queries), many.duckdb) == (one_queries, one_connections)
    assert one.sqlite == many.sqlite == 0, "the hot store is read through the store, not its file"
    for site in (1, 3, 24, 30):
        single = site_quality(stored, sites[site], site)
        assert statuses[site].completeness == single.completeness, site
        assert (statuses[site].last_seen, statuses[site].online) == (single.last_seen, single.online), site
    assert statuses[3].completeness.expected == 48
    assert statuses[3].online and not statuses[4].online  # last packets 3 h and 4 h ago


def test_the_reads_of_one_page_share_one_analytics_backend(
    store: HotStore, root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store.write(hourly(1, PM25, [40.0] * 12), now=NOW - timedelta(days=1))
    compact(store, root)  # Parquet partitions: the latest values are read there too
    logger = [device(1, "MN-1")]
    counted = Counted(monkeypatch, store)

    with StoredReadings.of(store, make_settings(tmp_path)).shared() as stored:
        quality = assess.assess_site(stored, 1, logger, assess.period_for(NOW, logger), NOW)
        latest = assess.latest_values(stored, 1, Interval.HOUR, NOW)

    assert counted.duckdb == 1
    assert quality.parameters[0].completeness.received == 12 and [v.value for v in latest] == [40.0]
