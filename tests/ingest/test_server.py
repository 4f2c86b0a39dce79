"""The HJ 212 receiver over real TCP: acknowledge after durable storage, duplicates, bad input, crash safety."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.ingest.devices import DeviceDirectory, DeviceEntry
from ecoloop.ingest.hj212 import crc16_modbus, encode, parse
from ecoloop.ingest.server import Receiver
from ecoloop.ingest.writer import BatchWriter
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.service import add_device, add_site
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import ArchiveRow
from ecoloop.settings import Settings
from tests.factories import World

TZ = ZoneInfo("Asia/Shanghai")
MN = "010000A8900016F000169DC0"
DEVICES = {
    MN: DeviceEntry(MN, "100000", 7),
    "MODBUSDEV01": DeviceEntry("MODBUSDEV01", "123456", 8, "modbus_le"),
}


def hourly(
    hour: int, *, mn: str = MN, pw: str = "100000", flag: int = 5, qn: str | None = None, value: str = "35.2"
) -> bytes:
    """An hourly (2061) upload with four pollutants, asking for an acknowledgement (Flag A=1)."""
    return encode(
        {
            "QN": qn or f"20261122{hour:02d}0000123",
            "ST": "22",
            "CN": "2061",
            "PW": pw,
            "MN": mn,
            "Flag": flag,
            "CP": {
                "DataTime": f"20261122{hour:02d}0000",
                "a34004-Avg": value,
                "a34004-Flag": "N",
                "a34002-Avg": "61",
                "a34002-Flag": "N",
                "a21026-Avg": "8.5",
                "a21026-Min": "6.0",
                "a21026-Max": "11.2",
                "a21026-Flag": "N",
                "a21005-Avg": "0.71",
                "a21005-Flag": "N",
            },
        }
    )


class Harness:
    def __init__(self, receiver: Receiver, server: asyncio.Server, store: HotStore) -> None:
        self.receiver, self.server, self.store = receiver, server, store
        self.port = server.sockets[0].getsockname()[1]

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)

    def rows(self) -> int:
        return self.store.hot_table().num_rows


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    store = HotStore(tmp_path / "hot.sqlite")
    receiver = Receiver(store, DeviceDirectory(lambda: dict(DEVICES)), TZ, idle_timeout=1.0)
    server = await receiver.start("127.0.0.1", 0)
    yield Harness(receiver, server, store)
    server.close()
    await server.wait_closed()
    await receiver.writer.stop()


@pytest.fixture
async def pg_harness(hot_pg_url: str) -> AsyncIterator[Harness]:
    """The receiver on a PostgreSQL hot store (a schema of this test's own)."""
    store = HotStore(hot_pg_url)
    receiver = Receiver(store, DeviceDirectory(lambda: dict(DEVICES)), TZ, idle_timeout=1.0)
    server = await receiver.start("127.0.0.1", 0)
    yield Harness(receiver, server, store)
    server.close()
    await server.wait_closed()
    await receiver.writer.stop()
    store.close()


async def read_ack(reader: asyncio.StreamReader, timeout: float = 5.0) -> bytes:
    return await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)


async def test_upload_is_stored_then_acknowledged(harness: Harness) -> None:
    reader, writer = await harness.connect()
    writer.write(hourly(8))
    ack = parse(await read_ack(reader))
    assert (ack.cn, ack.qn, ack.st, ack.flag) == ("9014", "20261122080000123", "91", 4)
    # 4 averages + min and max of SO2 = 6 readings, durable before the ack was sent.
    table = harness.store.hot_table().to_pylist()
    assert len(table) == 6
    pm25 = next(r for r in table if r["parameter"] == "a34004")
    assert pm25["value"] == 35.2 and pm25["interval"] == "hour" and pm25["site_id"] == 7
    assert pm25["time"] == datetime(2026, 11, 22, 8, tzinfo=TZ)
    writer.close()


async def test_duplicate_is_acknowledged_and_stored_once(harness: Harness) -> None:
    reader, writer = await harness.connect()
    for _ in range(3):
        writer.write(hourly(9))
        assert parse(await read_ack(reader)).cn == "9014"
    assert harness.rows() == 6
    assert harness.receiver.stats.outcomes[("duplicate", None)] == 2
    assert harness.store.conflicts([7], datetime(2026, 11, 22, tzinfo=TZ), datetime(2026, 11, 23, tzinfo=TZ)) == []
    writer.close()


async def test_a_resent_packet_with_a_new_value_does_not_replace_the_acknowledged_one(harness: Harness) -> None:
    # Issue 13: a re-sent packet with a new value silently replaced the acknowledged one.
    reader, writer = await harness.connect()
    for packet in (hourly(10), hourly(10), hourly(10, value="99.9")):  # first, lost-ack re-send, new value
        writer.write(packet)
        assert parse(await read_ack(reader)).cn == "9014"
    pm25 = [r for r in harness.store.hot_table().to_pylist() if r["parameter"] == "a34004"]
    assert [(r["value"], r["source"]) for r in pm25] == [(35.2, "hj212")]
    day = datetime(2026, 11, 22, tzinfo=TZ)
    (conflict,) = harness.store.conflicts([7], day, day.replace(day=23))
    assert (conflict.parameter, conflict.time) == ("a34004", datetime(2026, 11, 22, 10, tzinfo=TZ))
    assert (conflict.value, conflict.source, conflict.kept_value, conflict.kept_source) == (
        99.9,
        "hj212",
        35.2,
        "hj212",
    )
    assert conflict.received_at > conflict.kept_received_at
    writer.close()


async def test_frames_split_at_every_byte_and_glued_together(harness: Harness) -> None:
    reader, writer = await harness.connect()
    frame = hourly(10)
    for i in range(len(frame)):  # one byte per write
        writer.write(frame[i : i + 1])
        await writer.drain()
    assert parse(await read_ack(reader)).qn == "20261122100000123"
    writer.write(hourly(11) + hourly(12) + hourly(13))  # 粘包
    qns = {parse(await read_ack(reader)).qn for _ in range(3)}
    assert qns == {f"20261122{h}0000123" for h in (11, 12, 13)}
    assert harness.rows() == 4 * 6
    writer.close()


async def test_bad_input_is_rejected_archived_and_the_connection_keeps_serving(harness: Harness) -> None:
    reader, writer = await harness.connect()
    good = hourly(14)
    bad_crc = good[:-6] + (b"0000" if not good[:-2].endswith(b"0000") else b"1111") + b"\r\n"
    writer.write(bad_crc)
    writer.write(b"\x00\x01\x02\x03binary modbus noise\xff\xfe\r\n")
    writer.write(hourly(15, mn="UNKNOWN-MN"))
    writer.write(hourly(16, pw="999999"))
    writer.write(b"##0010QN=1;CN=2&&ABCD\r\n")
    writer.write(good)
    assert parse(await read_ack(reader)).qn == "20261122140000123"  # only the good one is acknowledged
    counts = harness.store.packet_counts()
    for reason in ("crc_mismatch", "bad_header", "unknown_mn", "wrong_password"):
        assert counts.get(("rejected", reason)) == 1, (reason, counts)
    assert sum(v for (outcome, _r), v in counts.items() if outcome == "rejected") == 5
    assert harness.rows() == 6
    writer.close()


async def test_a_megabyte_without_crlf_is_dropped_and_later_frames_still_work(harness: Harness) -> None:
    reader, writer = await harness.connect()
    writer.write(b"##9999" + b"A" * 1_000_000)
    writer.write(b"\r\n" + hourly(17))
    assert parse(await read_ack(reader)).qn == "20261122170000123"
    assert harness.store.packet_counts().get(("rejected", "too_large"), 0) >= 1
    writer.close()


async def test_crc_variant_follows_the_device_setting(harness: Harness) -> None:
    reader, writer = await harness.connect()
    frame = hourly(18, mn="MODBUSDEV01", pw="123456")
    segment = frame[6:-6]
    crc = crc16_modbus(segment)
    modbus_frame = frame[:-6] + b"%02X%02X\r\n" % (crc & 0xFF, crc >> 8)
    writer.write(modbus_frame)
    assert parse(await read_ack(reader), crc_mode="hj212").cn == "9014"
    # The same MODBUS CRC from a device registered with the HJ 212 CRC is refused.
    frame = hourly(19)
    segment = frame[6:-6]
    crc = crc16_modbus(segment)
    writer.write(frame[:-6] + b"%02X%02X\r\n" % (crc & 0xFF, crc >> 8))
    writer.write(hourly(20))
    assert parse(await read_ack(reader)).qn == "20261122200000123"
    assert harness.store.packet_counts()[("rejected", "crc_mismatch")] == 1
    writer.close()


async def test_no_ack_when_the_flag_does_not_ask(harness: Harness) -> None:
    reader, writer = await harness.connect()
    writer.write(hourly(21, flag=4))
    writer.write(hourly(22))
    assert parse(await read_ack(reader)).qn == "20261122220000123"
    assert harness.rows() == 12
    writer.close()


async def test_silent_connection_is_closed_and_others_go_on(harness: Harness) -> None:
    silent_reader, silent_writer = await harness.connect()
    assert await asyncio.wait_for(silent_reader.read(), 5) == b""  # closed by the idle timeout
    silent_writer.close()
    reader, writer = await harness.connect()
    writer.write(hourly(23))
    assert parse(await read_ack(reader)).cn == "9014"
    writer.close()


async def test_many_connections_at_once(harness: Harness) -> None:
    async def device(n: int) -> str | None:
        reader, writer = await harness.connect()
        writer.write(hourly(n % 24, qn=f"2026112200{n:04d}000", value=str(n)))
        ack = parse(await read_ack(reader, 20))
        writer.close()
        return ack.qn

    qns = await asyncio.gather(*(device(n) for n in range(200)))
    assert len(set(qns)) == 200


async def test_packets_queued_while_another_process_commits_join_the_waiting_commit(tmp_path: Path) -> None:
    # Receiver workers share one SQLite store and take turns on its writers' lock. A group commit that has to wait
    # takes its packets only once it holds the lock, so those that arrive meanwhile go with it (before, the first
    # packet went alone and the others waited for one more turn).
    store = HotStore(tmp_path / "hot.sqlite")
    commits: list[int] = []
    write_rows = store.write_rows

    def counted(batches: Any) -> list[int]:
        counts = write_rows(batches)
        commits.append(len(counts))
        return counts

    store.write_rows = counted  # type: ignore[method-assign]
    writer = BatchWriter(store)
    writer.start()
    lock = os.open(tmp_path / "hot.sqlite.lock", os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)  # another process commits
    try:
        first = asyncio.ensure_future(writer.write([], [_archived(0)]))
        await asyncio.sleep(0.2)  # the writer thread now waits for the lock
        others = [asyncio.ensure_future(writer.write([], [_archived(n)])) for n in (1, 2)]
        await asyncio.sleep(0.05)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        os.close(lock)
    await asyncio.gather(first, *others)
    await writer.stop()
    assert commits == [3]
    assert store.packet_counts() == {("stored", None): 3}


def _archived(n: int) -> ArchiveRow:
    return (1_800_000_000_000 + n, "test", MN, "2061", "stored", None, None, b"frame")


async def test_on_postgresql_an_upload_is_stored_then_acknowledged(pg_harness: Harness) -> None:
    await test_upload_is_stored_then_acknowledged(pg_harness)


async def test_on_postgresql_a_duplicate_is_acknowledged_and_stored_once(pg_harness: Harness) -> None:
    await test_duplicate_is_acknowledged_and_stored_once(pg_harness)


async def test_on_postgresql_a_resent_packet_with_a_new_value_does_not_replace_the_acknowledged_one(
    pg_harness: Harness,
) -> None:
    await test_a_resent_packet_with_a_new_value_does_not_replace_the_acknowledged_one(pg_harness)


async def test_on_postgresql_bad_input_is_rejected_and_archived(pg_harness: Harness) -> None:
    await test_bad_input_is_rejected_archived_and_the_connection_keeps_serving(pg_harness)


async def test_on_postgresql_many_connections_at_once(pg_harness: Harness) -> None:
    await test_many_connections_at_once(pg_harness)


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment of `ecoloop` child processes on a demo database in tmp_path, with device MN registered."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOLOOP_")}
    env |= {
        "ECOLOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'e.sqlite'}",
        "ECOLOOP_DATA_DIR": str(tmp_path),
        "ECOLOOP_HJ212_PORT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run([ECOLOOP, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=tmp_path)
    subprocess.run(
        [ECOLOOP, "demo", "--no-serve", "--no-readings"], env=env, check=True, capture_output=True, cwd=tmp_path
    )
    add = [
        "device",
        "add",
        "--mn",
        MN,
        "--password",
        "100000",
        "--site-name",
        "华能热电1号排口",
        "--kind",
        "air_source",
    ]
    subprocess.run([ECOLOOP, *add], env=env, check=True, capture_output=True, cwd=tmp_path)
    return env


ECOLOOP = str(Path(sys.executable).parent / "ecoloop")


def test_acknowledged_readings_survive_sigkill(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """Kill the receiver process mid-stream; every reading acknowledged before is stored, exactly once."""
    env, ecoloop = cli_env, ECOLOOP

    def start() -> tuple[subprocess.Popen[str], int]:
        proc = subprocess.Popen([ecoloop, "hj212", "serve"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        return proc, int(line.rsplit(":", 1)[1])

    async def send(port: int, hours: range, stop_after: int | None = None) -> list[str]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        acked: list[str] = []
        for h in hours:
            writer.write(hourly(h % 24, qn=f"20261122{h:06d}000", value=str(h)))
            try:
                acked.append(parse(await read_ack(reader)).qn or "")
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            if stop_after is not None and len(acked) == stop_after:
                break
        writer.close()
        return acked

    proc, port = start()
    acked = asyncio.run(send(port, range(0, 24), stop_after=15))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.stdout is not None
    proc.stdout.close()
    assert len(acked) == 15
    store = HotStore(tmp_path / "ingest" / "hot.sqlite")
    rows = store.hot_table().to_pylist()
    pm25 = [r for r in rows if r["parameter"] == "a34004"]
    assert len(pm25) >= 15 and len({r["time"] for r in pm25}) == len(pm25)
    proc, port = start()
    try:
        asyncio.run(send(port, range(0, 24)))  # the device re-sends everything after the restart
    finally:
        proc.kill()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()
    pm25 = [
        r for r in HotStore(tmp_path / "ingest" / "hot.sqlite").hot_table().to_pylist() if r["parameter"] == "a34004"
    ]
    assert len(pm25) == 24 and len({r["time"] for r in pm25}) == 24


def test_worker_processes_share_the_port_and_the_store(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """`--workers 2`: two receiver processes on one port (SO_REUSEPORT) write to one hot store; SIGTERM stops
    both."""
    proc = subprocess.Popen(
        [ECOLOOP, "hj212", "serve", "--workers", "2"], env=cli_env, cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "2 process(es)" in line
    port = int(line.rsplit(":", 1)[1])

    async def device(n: int) -> str | None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(hourly(n % 24, qn=f"20261122{n:06d}000", value=str(n)))
        ack = parse(await read_ack(reader))
        writer.close()
        return ack.qn

    async def many() -> list[str | None]:
        return await asyncio.gather(*(device(n) for n in range(48)))

    try:
        assert len(set(asyncio.run(many()))) == 48
        workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) == 2
    finally:
        proc.terminate()
        assert proc.wait(15) == 0
        proc.stdout.close()
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)
    rows = HotStore(tmp_path / "ingest" / "hot.sqlite").hot_table().to_pylist()
    assert len([r for r in rows if r["parameter"] == "a34004"]) == 24  # 48 packets, 24 distinct hours


def test_worker_processes_share_a_postgresql_hot_store(
    tmp_path: Path, app_settings: Settings, app_db: Session, app_world: World, hot_pg_url: str
) -> None:
    """`hj212 serve --workers 2` with ECOLOOP_HOT_STORE_URL: both workers create the (empty) schema at once and
    write to it; nothing lands in the SQLite file."""
    set_actor(app_db, Actor(label="test"))
    site = add_site(app_db, code="S1", name="site 1", kind=SiteKind.AIR_SOURCE, region=app_world.county_a)
    add_device(app_db, mn=MN, password="100000", site=site)
    app_db.commit()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOLOOP_")}
    env |= {
        "ECOLOOP_DATABASE_URL": app_settings.database_url,
        "ECOLOOP_DATA_DIR": str(tmp_path),
        "ECOLOOP_HJ212_PORT": "0",
        "ECOLOOP_HOT_STORE_URL": hot_pg_url,
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [ECOLOOP, "hj212", "serve", "--workers", "2"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline().rsplit(":", 1)[1])

    async def device(n: int) -> str | None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(hourly(n % 24, qn=f"20261122{n:06d}000", value=str(n)))
        ack = parse(await read_ack(reader))
        writer.close()
        return ack.qn

    async def many() -> list[str | None]:
        return await asyncio.gather(*(device(n) for n in range(48)))

    try:
        assert len(set(asyncio.run(many()))) == 48
    finally:
        proc.terminate()
        assert proc.wait(15) == 0
        proc.stdout.close()
    store = HotStore(hot_pg_url)
    assert len([r for r in store.hot_table().to_pylist() if r["parameter"] == "a34004"]) == 24
    assert store.packet_counts() == {("stored", None): 48}
    store.close()
    assert not (tmp_path / "ingest" / "hot.sqlite").exists()
