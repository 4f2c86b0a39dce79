"""The HJ 212 receiver's bounds (issue 13): implausible times and values refused with a reason, connections of
unauthenticated sources limited per address and timed out, their rejected traffic archived up to a budget."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ecoloop.ingest.devices import DeviceDirectory
from ecoloop.ingest.hj212 import encode, parse
from ecoloop.ingest.hj212.fast import upload
from ecoloop.ingest.server import MAX_SUMMARIES, Receiver
from ecoloop.readings.store import HotStore
from tests.ingest.test_server import DEVICES, MN, TZ, Harness, hourly, read_ack

NOT_ARCHIVED = "not_archived"  # the reason of an archived summary of rejected frames counted but not archived


def upload_frame(data_time: str, values: dict[str, str], *, qn: str = "20261122080000123") -> bytes:
    """An hourly upload of DEVICES' first logger with the given DataTime and values, asking for an ack."""
    cp: dict[str, Any] = {"DataTime": data_time}
    for code, value in values.items():
        cp[f"{code}-Avg"] = value
        cp[f"{code}-Flag"] = "N"
    return encode({"QN": qn, "ST": "22", "CN": "2061", "PW": "100000", "MN": MN, "Flag": 5, "CP": cp})


async def start(tmp_path: Path, **options: Any) -> Harness:
    store = HotStore(tmp_path / "hot.sqlite")
    receiver = Receiver(store, DeviceDirectory(lambda: dict(DEVICES)), TZ, idle_timeout=5.0, **options)
    server = await receiver.start("127.0.0.1", 0)
    return Harness(receiver, server, store)


async def stop(harness: Harness) -> None:
    harness.server.close()
    await harness.server.wait_closed()
    await harness.receiver.writer.stop()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await start(tmp_path)
    yield harness
    await stop(harness)


@pytest.fixture
async def limited(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await start(
        tmp_path,
        unauthenticated_per_ip=4,
        auth_timeout=1.5,
        over_limit_grace=0.2,
        rejected_per_ip_minute=10,
        rejected_bytes_minute=2_000,
    )
    yield harness
    await stop(harness)


def rejected(store: HotStore) -> dict[str | None, int]:
    return {reason: n for (outcome, reason), n in store.packet_counts().items() if outcome == "rejected"}


@pytest.mark.parametrize(
    ("data_time", "reason"),
    [
        ("20990101000000", "time_ahead"),
        ("99991231235959", "time_out_of_range"),
        ("00010101000000", "time_out_of_range"),
        ("19990101000000", "time_before_floor"),
    ],
)
async def test_implausible_data_times_are_refused_with_a_reason(harness: Harness, data_time: str, reason: str) -> None:
    frame = upload_frame(data_time, {"a34004": "35.2"})
    assert upload(frame) is not None  # a standard upload the fast path reads: it must not store it either
    reader, writer = await harness.connect()
    writer.write(frame)
    writer.write(hourly(8))  # the next packet is served
    assert parse(await read_ack(reader)).qn == "20261122080000123"
    assert rejected(harness.store) == {reason: 1}
    assert harness.rows() == 6  # only the plausible packet's readings
    writer.close()


@pytest.mark.parametrize("value", ["1e999", "-1e999", "9" * 400])
async def test_values_too_large_for_a_float_are_refused_and_the_others_stored(harness: Harness, value: str) -> None:
    reader, writer = await harness.connect()
    writer.write(upload_frame("20261122080000", {"a34004": value, "a21026": "8.5"}))
    assert parse(await read_ack(reader)).qn == "20261122080000123"  # the valid value is stored and acknowledged
    rows = harness.store.hot_table().to_pylist()
    assert [(r["parameter"], r["value"]) for r in rows] == [("a21026", 8.5)]
    archived = harness.store.packet_rows().to_pylist()
    assert [(p["outcome"], p["reason"], p["detail"]) for p in archived] == [
        ("stored", "value_not_finite", "a34004: value_not_finite")
    ]
    writer.close()


async def test_a_packet_of_only_infinite_values_is_rejected(harness: Harness) -> None:
    reader, writer = await harness.connect()
    writer.write(upload_frame("20261122080000", {"a34004": "1e999"}))
    writer.write(hourly(9))
    assert parse(await read_ack(reader)).qn == "20261122090000123"
    assert rejected(harness.store) == {"value_not_finite": 1}
    writer.close()


async def test_one_address_holds_a_bounded_number_of_idle_unauthenticated_connections(limited: Harness) -> None:
    idle = [await limited.connect() for _ in range(4)]
    reader, writer = await limited.connect()  # the fifth from the same address has a short grace
    assert await asyncio.wait_for(reader.read(), 5) == b""
    assert limited.receiver.stats.over_limit_connections == 1
    writer.close()
    assert not any(r.at_eof() for r, _ in idle)  # the first four have until auth_timeout
    # A connection that sends a valid packet of a known logger no longer counts, even past the grace.
    r0, w0 = idle[0]
    w0.write(hourly(8))
    assert parse(await read_ack(r0)).mn == MN
    reader, writer = await limited.connect()
    await asyncio.sleep(0.5)
    writer.write(hourly(9))
    assert parse(await read_ack(reader)).mn == MN
    # Over the limit, a logger that sends at once is served (loggers behind one address reconnecting together).
    late_reader, late_writer = await limited.connect()
    late_writer.write(hourly(10))
    assert parse(await read_ack(late_reader)).mn == MN
    await asyncio.sleep(0.5)
    assert not late_reader.at_eof()
    for _r, w in [*idle, (reader, writer), (late_reader, late_writer)]:
        w.close()


async def test_connections_that_never_send_a_valid_packet_are_closed(limited: Harness) -> None:
    reader, writer = await limited.connect()
    writer.write(hourly(8, mn="UNKNOWN-MN"))  # data, but not of a known logger
    logger_reader, logger_writer = await limited.connect()
    logger_writer.write(hourly(9))
    assert parse(await read_ack(logger_reader)).mn == MN
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed after auth_timeout (1.5 s)
    await asyncio.sleep(0.5)
    assert not logger_reader.at_eof()  # the authenticated logger stays connected
    assert limited.receiver.stats.unauthenticated_closed == 1
    logger_writer.close()
    writer.close()


async def test_flooded_garbage_grows_the_counts_not_the_archive(tmp_path: Path) -> None:
    limited = await start(tmp_path, rejected_per_ip_minute=10, rejected_bytes_minute=2_000)
    reader, writer = await limited.connect()
    for n in range(2_000):
        writer.write(hourly(8, mn=f"FLOOD{n:05d}") + b"garbage " * 20 + b"\r\n")
    await writer.drain()
    writer.write(hourly(10))  # a valid packet on the same connection after the flood is still served
    assert parse(await read_ack(reader, 20)).qn == "20261122100000123"
    stats = limited.receiver.stats
    assert sum(n for (outcome, _), n in stats.outcomes.items() if outcome == "rejected") == 4_000
    limited.receiver.flush_held()
    await asyncio.sleep(0.2)
    archived = limited.store.packet_rows().to_pylist()
    frames = [p for p in archived if p["outcome"] == "rejected" and p["reason"] != NOT_ARCHIVED]
    assert len(frames) <= 10 and sum(len(p["frame"]) for p in frames) <= 2_000
    (summary,) = [p for p in archived if p["reason"] == NOT_ARCHIVED]
    assert summary["peer"] == "127.0.0.1" and summary["frame"] == b""
    assert f"{4_000 - len(frames)} rejected frames" in summary["detail"]
    assert stats.not_archived == 4_000 - len(frames)
    writer.close()
    await stop(limited)


async def test_summaries_of_many_addresses_are_bounded(tmp_path: Path) -> None:
    harness = await start(tmp_path, rejected_per_ip_minute=0, rejected_bytes_minute=0)
    receiver = harness.receiver
    now_ms = 1_800_000_000_000
    for n in range(MAX_SUMMARIES + 500):  # frames from as many addresses (an IPv6 range) within one minute
        assert not receiver._archivable(now_ms, f"2001:db8::{n:x}", 100, "unknown_mn")
    receiver.flush_held(now_ms)
    await asyncio.sleep(0.3)
    summaries = harness.store.packet_rows().to_pylist()
    assert len(summaries) == MAX_SUMMARIES + 1
    assert summaries[-1]["peer"] == "*" and summaries[-1]["detail"].startswith("500 rejected frames")
    await stop(harness)
