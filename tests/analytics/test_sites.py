"""Stored readings of sites as Ibis expressions (`analytics/sites.py`) on every analytics engine: the value that
stands under a key across both tiers, what reads leave out, completeness counts and latest values, hand-worked."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecoloop.analytics import sites
from ecoloop.analytics.backends import connect, reading
from ecoloop.analytics.sites import StoredReadings
from ecoloop.readings.parquet import compact, partition_path
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import READINGS_SCHEMA, Interval, Reading
from tests.analytics.engines import PY4J_WARNINGS
from tests.conftest import make_settings

NOW = datetime(2026, 11, 22, 10, 20, tzinfo=UTC)
START = datetime(2026, 11, 21, 10, tzinfo=UTC)
END = START + timedelta(hours=24)
H = timedelta(hours=1)
PM25 = "a34004"
SRC = Path(__file__).resolve().parents[2] / "src" / "ecoloop"

pytestmark = PY4J_WARNINGS  # tests on Spark too


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HotStore]:
    hot = HotStore(tmp_path / "hot.sqlite")
    yield hot
    hot.close()


@pytest.fixture
def stored(store: HotStore, tmp_path: Path, backend: Any) -> StoredReadings:
    return StoredReadings(store, tmp_path / "readings", lambda: sites.fixed(backend))


def period(stored: StoredReadings, backend: Any, site_ids: list[int] | None = None) -> list[tuple[Any, ...]]:
    t = sites.period_readings(backend, stored, site_ids or [1], [Interval.HOUR], START, END)
    rows = sites.rows(backend, t.order_by(["site_id", "parameter", "time"]))
    return [(r["site_id"], r["parameter"], r["time"], r["value"], r["source"]) for r in rows]


def test_the_value_that_stands_under_a_key_in_both_tiers(stored: StoredReadings, backend: Any) -> None:
    """Hour 0: logger 40 (compacted), upload 5 later (hot) → the logger's 40, received first. Hour 1: logger 40
    (compacted), correction 41 then correction 42 (hot) → the latest correction, 42. Hour 2: logger 40 only in
    the hot store. Hour 3: the same key received at the same moment in both tiers → the hot row."""
    store, root = stored.store, stored.root
    store.write([Reading(1, PM25, Interval.HOUR, START + h * H, 40.0) for h in (0, 1, 3)], now=NOW - 2 * H)
    assert compact(store, root) == 3
    store.write([Reading(1, PM25, Interval.HOUR, START, 5.0, "N", "upload:wang")], now=NOW)
    store.write([Reading(1, PM25, Interval.HOUR, START + H, 41.0, "N", "correction:li")], now=NOW, replace=True)
    store.write([Reading(1, PM25, Interval.HOUR, START + H, 42.0, "N", "correction:li")], now=NOW + H, replace=True)
    store.write([Reading(1, PM25, Interval.HOUR, START + 2 * H, 40.0)], now=NOW)
    store.write([Reading(1, PM25, Interval.HOUR, START + 3 * H, 43.0, "N", "api:x")], now=NOW - 2 * H)

    rows = period(stored, backend)

    assert [(time, value, source) for _s, _p, time, value, source in rows] == [
        (START, 40.0, "hj212"),
        (START + H, 42.0, "correction:li"),
        (START + 2 * H, 40.0, "hj212"),
        (START + 3 * H, 43.0, "api:x"),
    ]


def test_reads_leave_out_infinite_values_other_sites_and_times_outside_the_period(
    stored: StoredReadings, backend: Any
) -> None:
    store, root = stored.store, stored.root
    day_before = [Reading(1, PM25, Interval.HOUR, START - H, 1.0), Reading(1, PM25, Interval.HOUR, START, 2.0)]
    store.write(day_before, now=NOW - 3 * H)
    compact(store, root)
    # Rows stored in Parquet before the ways in refused them (issue 13): an infinite value, NaN.
    path = partition_path(root, "hour", START.date().isoformat())
    planted = [
        {
            "site_id": 1,
            "parameter": PM25,
            "interval": "hour",
            "time": START + h * H,
            "value": value,
            "flag": "N",
            "source": "hj212",
            "received_at": NOW,
        }
        for h, value in [(4, math.inf), (5, math.nan)]
    ]
    old = pq.read_table(path, schema=READINGS_SCHEMA)
    pq.write_table(pa.concat_tables([old, pa.Table.from_pylist(planted, schema=READINGS_SCHEMA)]), path)
    store.write(
        [
            Reading(1, PM25, Interval.HOUR, START + H, None, "M"),  # a missing value is a row
            Reading(1, PM25, Interval.HOUR, START + 2 * H, math.inf),
            Reading(2, PM25, Interval.HOUR, START + H, 9.0),
            Reading(1, PM25, Interval.HOUR, END, 9.0),
        ],
        now=NOW,
    )

    rows = period(stored, backend)

    assert [(time, value) for _s, _p, time, value, _source in rows] == [(START, 2.0), (START + H, None)]


def test_completeness_counts_per_site_window(stored: StoredReadings, backend: Any) -> None:
    """Site 1 (window of 24 h): 3 values, one flagged D, one missing → received 3, valid 1. Site 2 (window of the
    last 2 h only): 1 of its 3 values is inside. Statistics (`a34004-Max`) are no parameter of their own."""
    stored.store.write(
        [
            Reading(1, PM25, Interval.HOUR, START, 30.0, "N"),
            Reading(1, PM25, Interval.HOUR, START + H, 31.0, "d"),
            Reading(1, PM25, Interval.HOUR, START + 2 * H, None, ""),
            Reading(1, f"{PM25}-Max", Interval.HOUR, START, 90.0, "N"),
            *(Reading(2, PM25, Interval.HOUR, END - h * H, 10.0, None) for h in (1, 3, 5)),
        ],
        now=NOW,
    )
    readings = sites.period_readings(backend, stored, [1, 2], [Interval.HOUR], START, END)
    windows = sites.windows_table([(1, Interval.HOUR, START, END), (2, Interval.HOUR, END - 2 * H, END)])

    counts = sites.rows(backend, sites.completeness_counts(readings, windows, {"D", "M"}))

    assert sorted((r["site_id"], r["parameter"], r["received"], r["valid"]) for r in counts) == [
        (1, PM25, 3, 1),
        (2, PM25, 1, 1),
    ]


def test_latest_values_and_times_from_the_newest_partitions(stored: StoredReadings, backend: Any) -> None:
    store, root = stored.store, stored.root
    store.write(
        [
            Reading(1, PM25, Interval.HOUR, START, 30.0),
            Reading(1, PM25, Interval.HOUR, START + 5 * H, 35.0),
            Reading(1, "a34002", Interval.HOUR, START + H, 50.0),
            Reading(2, PM25, Interval.HOUR, START + 2 * H, 20.0),
            Reading(1, PM25, Interval.HOUR, NOW + 5 * H, 99.0),  # after `until`: not the latest
        ],
        now=NOW - H,
    )
    compact(store, root)
    files = sites.recent_files(root, ["hour"], NOW)
    recent = sites.recent_readings(backend, files, NOW)

    latest = sites.rows(backend, sites.latest_per_parameter(recent.filter(recent.site_id == 1)).order_by("parameter"))
    times = sites.rows(backend, sites.latest_time_per_site(recent, [1, 2, 3]).order_by("site_id"))

    assert [(r["parameter"], r["time"], r["value"]) for r in latest] == [
        ("a34002", START + H, 50.0),
        (PM25, START + 5 * H, 35.0),
    ]
    assert [(r["site_id"], r["time"]) for r in times] == [(1, START + 5 * H), (2, START + 2 * H)]
    assert latest[0]["time"].tzinfo is not None and latest[0]["received_at"] == NOW - H


def test_recent_files_are_the_newest_dated_partitions_up_to_the_day(tmp_path: Path) -> None:
    root = tmp_path / "readings"
    days = [(START - timedelta(days=n)).date().isoformat() for n in range(-2, 40)]  # two days ahead of START
    for day in [*days, "not-a-date", "2026-13-45x"]:
        path = partition_path(root, "hour", day)
        path.parent.mkdir(parents=True)
        path.write_bytes(b"")
    (root / "interval=hour" / "date=2026-11-01" / "part.parquet").unlink()  # a partition without its file

    files = sites.recent_files(root, ["hour", "minute"], START)

    names = [f.parent.name.removeprefix("date=") for f in files]
    assert len(names) == sites.RECENT_PARTITIONS and names == sorted(names, reverse=True)
    assert names[0] == "2026-11-21" and "2026-11-01" not in names


def test_only_the_analytics_backends_module_opens_an_engine() -> None:
    """Issue 14: every read of many readings goes through `analytics/backends.py`; nothing else opens DuckDB or
    sends it SQL of its own."""
    opening = re.compile(r"^\s*(import duckdb|from duckdb)|duckdb\.connect|ibis\.duckdb\.connect|raw_sql\(", re.M)
    offenders = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "backends.py" and opening.search(path.read_text(encoding="utf-8"))
    ]

    assert offenders == []


def test_a_read_runs_beside_a_process_that_holds_the_analytics_file(tmp_path: Path) -> None:
    """The web server, the scheduler and the alerts engine read at once: a read of readings on embedded DuckDB needs
    no lock on the analytics database file, which one process at a time may hold."""
    settings = make_settings(tmp_path)
    connect(settings).disconnect()  # the file exists, as `ecoloop demo` leaves it
    hold = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(tmp_path / "analytics.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with reading(settings) as first, reading(settings) as second:
            assert first is not second
            table = ibis.memtable({"x": [1, 2, 3]})
            counts = [sites.rows(b, table.aggregate(n=table.count())) for b in (first, second)]
    finally:
        holder.communicate("", timeout=30)

    assert counts == [[{"n": 3}], [{"n": 3}]]
