"""The Parquet tier: compaction into date partitions, safe against a crash, one row per key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoloop.readings.parquet import _dedupe, compact, parquet_glob, partition_path, readings, set_aside
from ecoloop.readings.rules import TimeWindow
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import READINGS_SCHEMA, Interval, Reading
from tests.factories import plant_implausible_readings

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def hour(site: int, parameter: str, offset: int, value: float | None, flag: str | None = "N") -> Reading:
    return Reading(site, parameter, Interval.HOUR, T0 + timedelta(hours=offset), value, flag)


def test_compaction_moves_rows_into_date_partitions(store: HotStore, tmp_path: Path) -> None:
    root = tmp_path / "parquet"
    store.write([hour(1, "a21026", i, float(i)) for i in range(30)], now=T0)  # 08:00 day 1 → 13:00 day 2
    store.write([Reading(2, "w01018", Interval.DAY, T0, 41.5, "N")], now=T0)
    assert compact(store, root) == 31
    assert store.hot_table().num_rows == 0
    assert partition_path(root, "hour", "2026-11-22").exists() and partition_path(root, "hour", "2026-11-23").exists()
    con = duckdb.connect()
    count, interval_kinds = con.execute(
        f"SELECT count(*), count(DISTINCT interval) FROM read_parquet('{parquet_glob(root)}', hive_partitioning=true)"
    ).fetchone()  # type: ignore[misc]
    assert (count, interval_kinds) == (31, 2)
    # A late re-send, another value and an approved correction after compaction: still one row per key; the first
    # value stands over the other one, read before and after the next compaction, which keeps the conflict; the
    # correction replaces.
    later = T0 + timedelta(hours=2)
    store.write([hour(1, "a21026", 0, 0.0), hour(1, "a21026", 1, 7.5)], now=later)
    fixed = Reading(1, "a21026", Interval.HOUR, T0 + timedelta(hours=2), 2.5, "N", "correction:li")
    store.write([fixed], now=later, replace=True)
    for moved in (None, 3):
        merged = {r["time"]: r for r in readings(store, root).to_pylist() if r["parameter"] == "a21026"}
        assert len(merged) == 30 and merged[T0 + timedelta(hours=1)]["value"] == 1.0
        assert merged[T0 + timedelta(hours=2)]["value"] == 2.5
        assert merged[T0]["received_at"] == T0  # the unchanged re-send kept its first receipt
        if moved is not None:
            continue
        assert store.conflicts([1], T0, later) == []  # found when the value meets the compacted one
        assert compact(store, root) == 3
    (conflict,) = store.conflicts([1], T0, later)
    assert (conflict.time, conflict.value, conflict.kept_value) == (T0 + timedelta(hours=1), 7.5, 1.0)
    assert conflict.received_at == later and conflict.kept_received_at == T0
    # Compacting the same rows again (a compaction that died before it removed them) keeps the conflict once.
    store.write([hour(1, "a21026", 1, 7.5)], now=later)
    compact(store, root)
    assert len(store.conflicts([1], T0, later)) == 1


def test_compaction_interrupted_before_the_delete_loses_and_doubles_nothing(store: HotStore, tmp_path: Path) -> None:
    root = tmp_path / "parquet"
    store.write([hour(1, "a21026", i, float(i)) for i in range(5)], now=T0)

    class Crash(Exception):
        pass

    def crash(_keys: object) -> None:
        raise Crash

    store.delete_compacted = crash  # type: ignore[method-assign]  # simulate dying after the Parquet rename
    with pytest.raises(Crash):
        compact(store, root)
    del store.delete_compacted
    assert store.hot_table().num_rows == 5 and partition_path(root, "hour", "2026-11-22").exists()
    assert readings(store, root).num_rows == 5
    assert compact(store, root) == 5
    assert readings(store, root).num_rows == 5


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 2),
            st.sampled_from(["a", "b"]),
            st.integers(0, 3),
            st.sampled_from([1.0, 2.0, None]),
            st.integers(0, 5),
            st.sampled_from(["hj212", "upload:wang", "correction:li"]),
        ),
        max_size=30,
    )
)
def test_dedupe_keeps_the_first_value_unless_a_correction_replaced_it(
    rows: list[tuple[int, str, int, float | None, int, str]],
) -> None:
    """Against a naive replay in receipt order: the first value of a key stands, an approved correction replaces
    it (the latest correction of a key stands), and nothing else does."""
    records = [
        {
            "site_id": s,
            "parameter": p,
            "interval": "hour",
            "time": T0 + timedelta(hours=h),
            "value": v,
            "flag": "N",
            "source": source,
            "received_at": T0 + timedelta(seconds=r * 100 + n),  # distinct receipts, in any order
        }
        for n, (s, p, h, v, r, source) in enumerate(rows)
    ]
    table = pa.Table.from_pylist(records, schema=READINGS_SCHEMA)
    expected: dict[tuple[int, str, datetime], dict[str, object]] = {}
    for record in sorted(records, key=lambda x: x["received_at"]):
        key = (record["site_id"], record["parameter"], record["time"])
        current = expected.get(key)
        if current is None or str(record["source"]).startswith("correction"):
            expected[key] = record
    got = {(r["site_id"], r["parameter"], r["time"]): r for r in _dedupe(table).to_pylist()}
    assert set(got) == set(expected)
    for key, record in got.items():
        assert record["value"] == expected[key]["value"]


NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_implausible_rows_in_both_tiers_are_skipped_by_reads_and_compaction(store: HotStore, tmp_path: Path) -> None:
    root = tmp_path / "parquet"
    received = int(NOW.timestamp() * 1000)
    plant_implausible_readings(store, root, 1, received)
    store.write([hour(2, "a34004", -1, 35.0)], now=NOW)  # another site's reading
    everything = readings(store, root).to_pylist()  # every row a datetime and a finite number (or none)
    assert {(r["site_id"], r["parameter"], r["value"]) for r in everything} >= {
        (1, "a34002", 50.0),
        (2, "a34004", 35.0),
    }
    assert all(r["time"].year < 9999 and (r["value"] is None or abs(r["value"]) < 1e308) for r in everything)
    assert {r["time"].year for r in everything if r["site_id"] == 1} == {2026, 2099}  # 2099 is a date: not skipped
    # Compaction without a window leaves what it cannot read in the hot store and moves the rest.
    assert compact(store, root) == 2  # 2099 (3.0) and site 2's
    assert store.hot_table().num_rows == 4
    assert readings(store, root, site_id=2).num_rows == 1


def test_set_aside_moves_implausible_rows_of_every_tier_into_the_archive(store: HotStore, tmp_path: Path) -> None:
    root = tmp_path / "parquet"
    received = int(NOW.timestamp() * 1000)
    good_ts = plant_implausible_readings(store, root, 1, received)
    store.write([hour(1, "a34004", -1, 35.0)], now=NOW)

    found = set_aside(store, root, TimeWindow(), NOW)

    # Hot store: year 10000, year 0, 2099, +inf, -inf; Parquet: 2099, inf, year 10000, year 0.
    assert found == {"time_out_of_range": 4, "time_ahead": 2, "value_not_finite": 3}
    assert [(r["parameter"], r["value"]) for r in store.hot_table().to_pylist()] == [("a34004", 35.0)]
    kept = readings(store, root).to_pylist()
    assert sorted((int(r["time"].timestamp()), r["value"]) for r in kept) == sorted(
        [(good_ts, 50.0), (int((T0 - timedelta(hours=1)).timestamp()), 35.0)]
    )
    archived = [p for p in store.packet_rows().to_pylist() if p["cn"] == "stored"]
    assert len(archived) == 9 and {p["outcome"] for p in archived} == {"rejected"}
    assert any(b'"value": Infinity' in p["frame"] for p in archived)  # each row kept for inspection
    assert set_aside(store, root, TimeWindow(), NOW) == {}  # nothing left to move
    # Compaction with the window sets the hot store's implausible rows aside first.
    plant_implausible_readings(store, tmp_path / "other", 3, received)
    assert compact(store, root, window=TimeWindow(), now=NOW) == 1
    assert store.hot_table().num_rows == 0


def test_a_good_value_is_not_hidden_behind_an_unreadable_one_stored_before(store: HotStore, tmp_path: Path) -> None:
    """A value stored before the ways in refused such values (here infinite, in Parquet) stands for nothing: the
    later good value of the same key is read, compacted as the value that stands and no conflict, while the
    unreadable row stays in the partition until `set_aside` archives it (issue 13 review)."""
    root = tmp_path / "readings"
    t0 = T0
    bad = pa.Table.from_pylist(
        [{"site_id": 1, "parameter": "a34004", "interval": "hour", "time": t0, "value": float("inf"), "flag": "N",
          "source": "hj212", "received_at": t0 + timedelta(minutes=5)}],
        schema=READINGS_SCHEMA,
    )  # fmt: skip
    partition = partition_path(root, "hour", "2026-11-22")
    partition.parent.mkdir(parents=True)
    pq.write_table(bad, partition)
    store.write([hour(1, "a34004", 0, 35.0)], now=t0 + timedelta(hours=1))

    assert [r["value"] for r in readings(store, root).to_pylist()] == [35.0]
    assert compact(store, root) == 1
    assert [r["value"] for r in readings(store, root).to_pylist()] == [35.0]
    assert store.conflicts([1], t0, t0 + timedelta(hours=1)) == []
    assert sorted(pq.read_table(partition)["value"].to_pylist()) == [35.0, float("inf")]  # kept to be set aside
    found = set_aside(store, root, TimeWindow(), t0 + timedelta(days=1))
    assert found["value_not_finite"] == 1
    assert [r["value"] for r in readings(store, root).to_pylist()] == [35.0]
