"""The readings store's Parquet tier: date-partitioned files that any process reads without a lock.

Why the store has two tiers is told in `store.py`. Readings live in
`root/interval=<kind>/date=<YYYY-MM-DD>/part.parquet`, one file per partition, rewritten atomically with the
merged, de-duplicated rows (`merge_into_parquet`, `compact`); archived packets in
`root/date=<YYYY-MM-DD>/packets-<first id>-<last id>.parquet`, written whole (`archive_packets`). `readings()` and
`packets()` read both tiers. The files hold the Arrow form that the hot store returns too (`READINGS_SCHEMA`,
`PACKETS_SCHEMA`).

Readings stored before the ways in refused implausible ones (issue 13) are skipped by the reads (`readable`),
never merged by `compact`, and moved into the packet archive by `set_aside` (hot store and Parquet).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ecoloop.readings.hot_sqlite import outcome_of
from ecoloop.readings.rules import (
    REPRESENTABLE_FIRST,
    REPRESENTABLE_LAST,
    Refusal,
    TimeWindow,
    epoch_refusal,
    value_refusal,
)
from ecoloop.readings.vocabulary import (
    PACKETS_SCHEMA,
    READINGS_SCHEMA,
    ArchiveRow,
    Outcome,
    RawPacket,
    Reading,
    ReadingSource,
    WriteCounts,
    epoch_ms,
    reading_row,
)

if TYPE_CHECKING:
    from ecoloop.readings.store import HotStore
    from ecoloop.readings.vocabulary import ConflictRow

KEY = ["site_id", "parameter", "interval", "time"]


def _same(a: pa.Array, b: pa.Array) -> pa.Array:
    """Element-wise equality where two nulls are equal."""
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    return pc.or_(pc.fill_null(pc.equal(a, b), False), both_null)


def _shifted(table: pa.Table, names: Sequence[str]) -> pa.Array:
    """For rows 1..n-1: whether the columns `names` equal those of the row before."""
    same = None
    for name in names:
        column = table[name].combine_chunks()
        equal = _same(column.slice(1), column.slice(0, len(column) - 1))
        same = equal if same is None else pc.and_(same, equal)
    assert same is not None
    return same


def _ranked(table: pa.Table) -> tuple[pa.Table, pa.Array]:
    """The rows sorted by key, each key's standing row first, and whether each row is its key's first.

    The row that stands (issue 13, `store.standing_rank`): the latest approved correction, else the first value
    received — a later re-send, upload or import never replaces it (`readings/store.py`).

    A row that no read shows (a time no datetime holds, an infinite value: stored before the ways in refused
    them) never stands before a readable one, so a later good value is not hidden behind it."""
    correction = pc.fill_null(pc.starts_with(table["source"], ReadingSource.CORRECTION.value), False)
    received = pc.cast(table["received_at"], pa.int64())
    unreadable = pc.invert(_plausible_mask(table, REPRESENTABLE_FIRST, REPRESENTABLE_LAST))
    ranked = (
        table.append_column("_bad", pc.cast(unreadable, pa.int8()))
        .append_column("_late", pc.cast(pc.invert(correction), pa.int8()))
        .append_column("_order", pc.if_else(correction, pc.negate(received), received))
    )
    order = [*((k, "ascending") for k in KEY), ("_bad", "ascending"), ("_late", "ascending"), ("_order", "ascending")]
    ordered = ranked.sort_by(order)
    first = pa.concat_arrays([pa.array([True]), pc.invert(_shifted(ordered, KEY))])
    return ordered.drop_columns(["_bad", "_late", "_order"]), first


def _dedupe(table: pa.Table) -> pa.Table:
    """One row per key: the one that stands (see `_ranked`)."""
    if table.num_rows <= 1:
        return table
    ordered, first = _ranked(table)
    return ordered.filter(first)


def _merged(table: pa.Table) -> tuple[pa.Table, list[ConflictRow]]:
    """One row per key (`_dedupe`), and the conflicts among the rows dropped: values other than the standing
    one that it did not replace by review (an approved correction replaces the values received before it)."""
    if table.num_rows <= 1:
        return table, []
    ordered, first = _ranked(table)
    standing = ordered.filter(first)
    dropped = ordered.filter(pc.invert(first))
    if dropped.num_rows == 0:
        return standing, []
    readable_dropped = _plausible_mask(dropped, REPRESENTABLE_FIRST, REPRESENTABLE_LAST)
    if not pc.all(readable_dropped).as_py():
        # Unreadable rows stay in the partition for `set_aside` to archive with their reason (nothing is lost);
        # every read skips them, and they are no conflict of the value that stands.
        standing = pa.concat_tables([standing, dropped.filter(pc.invert(readable_dropped))])
        dropped = dropped.filter(readable_dropped)
        if dropped.num_rows == 0:
            return standing, []
    kept = standing.select([*KEY, *_KEPT]).rename_columns([*KEY, *(f"kept_{name}" for name in _KEPT)])
    conflicts: list[ConflictRow] = []
    for row in dropped.join(kept, keys=KEY).to_pylist():
        if (row["value"], row["flag"]) == (row["kept_value"], row["kept_flag"]):
            continue
        loser_correction = str(row["source"]).startswith(ReadingSource.CORRECTION.value)
        by_review = str(row["kept_source"]).startswith(ReadingSource.CORRECTION.value)
        if loser_correction or (by_review and row["received_at"] <= row["kept_received_at"]):
            continue
        conflicts.append(_conflict_row(row))
    return standing, conflicts


_KEPT = ("value", "flag", "source", "received_at")


def _conflict_row(row: dict[str, Any]) -> ConflictRow:
    return (
        row["site_id"],
        row["parameter"],
        row["interval"],
        int(row["time"].timestamp()),
        row["value"],
        row["flag"],
        row["source"],
        epoch_ms(row["received_at"]),
        row["kept_value"],
        row["kept_flag"],
        row["kept_source"],
        epoch_ms(row["kept_received_at"]),
    )


def _plausible_mask(table: pa.Table, first: int, last: int) -> pa.ChunkedArray:
    """Per row: whether its time (epoch seconds) is in [first, last] and its value finite or missing."""
    seconds = pc.cast(table["time"], pa.int64())
    in_time = pc.and_(pc.greater_equal(seconds, first), pc.less_equal(seconds, last))
    finite = pc.fill_null(pc.is_finite(table["value"]), True)
    return pc.fill_null(pc.and_(in_time, finite), False)


def readable(table: pa.Table) -> pa.Table:
    """The readings whose time a datetime holds and whose value is finite or missing: what reads show, so that
    one row stored before the ways in refused it never stops a page, an export or a job."""
    if table.num_rows == 0:
        return table
    return table.filter(_plausible_mask(table, REPRESENTABLE_FIRST, REPRESENTABLE_LAST))


def partition_path(root: Path, interval: str, day: str) -> Path:
    """The Parquet file of one (interval, date) partition."""
    return root / f"interval={interval}" / f"date={day}" / "part.parquet"


def merge_into_parquet(
    table: pa.Table,
    root: Path,
    progress: Callable[[int, int], None] | None = None,
    conflicts: list[ConflictRow] | None = None,
) -> int:
    """Merge readings into their (interval, date) Parquet partitions; returns the rows merged. `progress`, when
    given, is called with (partitions done, partitions in all) after each partition; the conflicts found (a
    value other than the one that stands under its key) are added to `conflicts`, when given, for the caller to
    keep in the hot store (`HotStore.keep_conflicts`).

    Each touched partition is rewritten from its old rows plus the new ones, one row per key (`_merged`), into a
    temporary file that is fsynced and renamed into place, so a reader never sees a half-written partition.
    History files go straight here; the hot store gets here through `compact`.
    """
    table = readable(table)
    if table.num_rows == 0:
        return 0
    days = pc.strftime(table["time"], format="%Y-%m-%d")
    keyed = table.append_column("_part", pc.binary_join_element_wise(table["interval"], days, "/"))
    keyed = keyed.sort_by([("_part", "ascending")])
    offset = 0
    partitions = pc.value_counts(keyed["_part"]).to_pylist()
    for done, entry in enumerate(partitions, start=1):
        part_key, count = str(entry["values"]), int(entry["counts"])
        interval, day = part_key.split("/")
        part = keyed.slice(offset, count).drop_columns(["_part"])
        offset += count
        path = partition_path(root, interval, day)
        merged = pa.concat_tables([pq.read_table(path, schema=READINGS_SCHEMA), part]) if path.exists() else part
        merged, found = _merged(merged)
        if conflicts is not None:
            conflicts += found
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(merged, path)
        if progress is not None:
            progress(done, len(partitions))
    rows: int = table.num_rows
    return rows


def compact(
    store: HotStore,
    root: Path,
    before: datetime | None = None,
    *,
    window: TimeWindow | None = None,
    now: datetime | None = None,
) -> int:
    """Move hot readings received before `before` into their Parquet partitions; returns rows moved.

    With a `window`, readings outside it at `now` (or with an infinite value) are first set aside into the packet
    archive (`HotStore.set_aside`); without, they stay in the hot store. The partitions are merged first
    (`merge_into_parquet`), and the conflicts found there (a later value under a key already compacted: a late
    re-send, an upload) kept; only then are the rows removed from the hot store, unless they changed meanwhile. A
    crash at any point leaves every reading in the hot store, in Parquet, or both — and both de-duplicate to one.
    """
    if window is not None:
        store.set_aside(window, now or datetime.now(UTC))
    hot = readable(store.hot_table(epoch_ms(before) if before else None))
    conflicts: list[ConflictRow] = []
    moved = merge_into_parquet(hot, root, conflicts=conflicts)
    store.keep_conflicts(conflicts)  # before the rows leave the hot store: a crash finds them again, kept once
    if moved:
        keys = zip(
            hot["site_id"].to_pylist(),
            hot["parameter"].to_pylist(),
            hot["interval"].to_pylist(),
            pc.cast(hot["time"], pa.int64()).to_pylist(),
            pc.cast(hot["received_at"], pa.int64()).to_pylist(),
            strict=True,
        )
        store.delete_compacted(keys)
    return moved


def write_checked(
    store: HotStore,
    root: Path,
    readings: Sequence[Reading],
    packets: Sequence[RawPacket] = (),
    now: datetime | None = None,
) -> WriteCounts:
    """Store readings sent by a user (a file upload, the observations API) and archive the packets, against both
    tiers: a reading whose key is already compacted into Parquet is a duplicate (same value and flag) or a
    conflict kept for review, like one whose key is in the hot store (`HotStore.write_counted`) — so the counts
    are right at once, not at the next compaction."""
    now = now or datetime.now(UTC)
    received = epoch_ms(now)
    compacted = _compacted(root, readings)
    fresh: list[Reading] = []
    conflicts: list[ConflictRow] = []
    duplicates = 0
    for reading in readings:
        row = reading_row(reading, received)
        outcome = outcome_of(row, compacted.get(row[:4]))
        if outcome is None:
            fresh.append(reading)
        elif isinstance(outcome, tuple):
            conflicts.append(outcome)
        else:
            duplicates += 1
    counts = store.write_counted(fresh, packets, now, conflicts=conflicts)
    return WriteCounts(counts.stored, counts.duplicates + duplicates, counts.conflicts + len(conflicts))


def _compacted(root: Path, readings: Sequence[Reading]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """(value, flag, source, received_at in epoch ms) of the value that stands under each of the readings' keys
    (site, parameter, interval, epoch seconds) in their Parquet partitions."""
    sites_by_file: dict[Path, set[int]] = {}
    for r in readings:
        path = partition_path(root, r.interval.value, r.time.astimezone(UTC).date().isoformat())
        sites_by_file.setdefault(path, set()).add(r.site_id)
    found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for path, sites in sites_by_file.items():
        if not path.exists():
            continue
        # The value that stands under each key: unreadable rows (still to be set aside) stand for nothing.
        table = _dedupe(
            readable(pq.read_table(path, schema=READINGS_SCHEMA, filters=[("site_id", "in", sorted(sites))]))
        )
        times = pc.cast(pc.cast(table["time"], pa.timestamp("s")), pa.int64()).to_pylist()
        received = pc.cast(pc.cast(table["received_at"], pa.timestamp("ms")), pa.int64()).to_pylist()
        columns = [table[name].to_pylist() for name in ("site_id", "parameter", "interval", "value", "flag", "source")]
        for site, parameter, interval, value, flag, source, ts, ms in zip(*columns, times, received, strict=True):
            found[(site, parameter, interval, ts)] = (value, flag, source, ms)
    return found


def set_aside(store: HotStore, root: Path, window: TimeWindow, now: datetime) -> Counter[str]:
    """Move stored readings outside `window` at `now`, or with an infinite value, out of the hot store and every
    Parquet partition into the packet archive (rejected, with the refusal's reason and the row as JSON); how many
    by reason. Each partition's rows are archived before the partition is rewritten without them."""
    found = store.set_aside(window, now)
    first, last = window.first, window.last(now)
    received = epoch_ms(now)
    for path in sorted(root.glob("interval=*/date=*/part.parquet")):
        table = pq.read_table(path, schema=READINGS_SCHEMA)
        keep = _plausible_mask(table, first, last)
        if pc.all(keep).as_py():
            continue
        bad = table.filter(pc.invert(keep))
        seconds = pc.cast(bad["time"], pa.int64()).to_pylist()
        archived: list[ArchiveRow] = []
        for ts, row in zip(seconds, bad.drop_columns(["time", "received_at"]).to_pylist(), strict=True):
            refusal = epoch_refusal(ts, first, last) if ts is not None else Refusal.TIME_OUT_OF_RANGE
            reason = (refusal or value_refusal(row["value"]) or Refusal.VALUE_NOT_FINITE).value
            found[reason] += 1
            entry = {**row, "ts": ts}
            detail = f"set aside from {path.parent.parent.name}/{path.parent.name}: site {row['site_id']} ts {ts}"
            frame = json.dumps(entry, default=str).encode()
            archived.append((received, "store", None, "stored", Outcome.REJECTED.value, reason, detail, frame))
        store.write_rows([((), archived)])
        _write_atomically(table.filter(keep), path)
    return found


def _write_atomically(table: pa.Table, path: Path) -> None:
    """Write a partition file through a temporary file that is fsynced and renamed into place."""
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def parquet_glob(root: Path) -> str:
    """The glob of every Parquet partition, for `read_parquet(..., hive_partitioning=true)` in DuckDB or Spark."""
    return str(root / "interval=*" / "date=*" / "part.parquet")


def readings(store: HotStore, root: Path, site_id: int | None = None) -> pa.Table:
    """Stored readings, compacted and hot (of one site when given), one row per key as `_dedupe` keeps it."""
    files = sorted(root.glob("interval=*/date=*/part.parquet"))
    filters = None if site_id is None else [("site_id", "=", site_id)]
    tables = [pq.read_table(f, schema=READINGS_SCHEMA, filters=filters) for f in files]
    tables.append(store.hot_table(site_id=site_id))
    return _dedupe(readable(pa.concat_tables(tables)))


def archive_packets(store: HotStore, root: Path, before: datetime) -> int:
    """Move archived packets received before `before` out of the hot store into Parquet evidence files,
    `root/date=<YYYY-MM-DD>/packets-<first id>-<last id>.parquet` (UTC dates); returns packets moved.

    Files are written whole (fsynced, renamed into place) before the packets leave the hot store, so a crash
    leaves each packet in the hot store, in a file, or both; readers drop repeats by id (`packets`)."""
    moved = 0
    while True:
        table = store.packet_rows(epoch_ms(before))
        if table.num_rows == 0:
            return moved
        days = pc.strftime(table["received_at"], format="%Y-%m-%d")
        for day in pc.unique(days).to_pylist():
            part = table.filter(pc.equal(days, day))
            ids = part["id"]
            path = root / f"date={day}" / f"packets-{pc.min(ids).as_py()}-{pc.max(ids).as_py()}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            pq.write_table(part, tmp, compression="zstd")
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        store.delete_packets(table["id"].to_pylist())
        moved += table.num_rows


def packets(store: HotStore, root: Path, mn: str | None = None) -> pa.Table:
    """Every archived packet (of one MN, when given), in the hot store or in Parquet, once each, by id."""
    tables = [pq.read_table(f, schema=PACKETS_SCHEMA) for f in sorted(root.glob("date=*/packets-*.parquet"))]
    tables.append(store.packet_rows(limit=None, mn=mn or None))
    table = pa.concat_tables(tables)
    if mn:
        table = table.filter(pc.equal(table["mn"], mn))
    table = table.sort_by([("id", "ascending")])
    if table.num_rows > 1:
        repeat = pc.equal(table["id"].slice(1), table["id"].slice(0, table.num_rows - 1))
        table = table.filter(pa.concat_arrays([pa.array([True]), pc.invert(repeat.combine_chunks())]))
    return table
