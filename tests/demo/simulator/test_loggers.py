"""Virtual data loggers against the real receiver over TCP: delivery, re-sends, reconnects, the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecoloop.db.engine import make_engine
from ecoloop.demo.service import load_demo
from ecoloop.demo.simulator.air_data import AirData
from ecoloop.demo.simulator.loggers import SimConfig, run_simulation
from ecoloop.demo.simulator.profiles import Profile, SimDevice
from ecoloop.ingest.devices import DeviceDirectory, DeviceEntry, devices_from_db
from ecoloop.ingest.hj212 import Framer, parse
from ecoloop.ingest.server import Receiver
from ecoloop.readings.store import HotStore
from tests.conftest import make_settings
from tests.demo.simulator.test_profiles import DEVICES, START, TZ

SITES = {d.mn: n for n, d in enumerate(DEVICES, 1)}


class Harness:
    def __init__(self, receiver: Receiver, server: asyncio.Server, store: HotStore) -> None:
        self.receiver, self.server, self.store = receiver, server, store
        self.port = server.sockets[0].getsockname()[1]


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    store = HotStore(tmp_path / "hot.sqlite")
    directory = {d.mn: DeviceEntry(d.mn, d.password, SITES[d.mn]) for d in DEVICES}
    receiver = Receiver(store, DeviceDirectory(lambda: directory), TZ, idle_timeout=5.0)
    server = await receiver.start("127.0.0.1", 0)
    yield Harness(receiver, server, store)
    server.close()
    await server.wait_closed()
    await receiver.writer.stop()
    store.close()


class Proxy:
    """A TCP relay that can swallow the receiver's first acknowledgements or cut the first connection."""

    def __init__(self, upstream: int, *, drop_acks: int = 0, cut_first: bool = False) -> None:
        self.upstream, self.drop_acks, self.cut_first = upstream, drop_acks, cut_first
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.cut_first and self.connections == 1:
            await reader.readuntil(b"\r\n")  # the first packet is lost with the connection
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        forward = asyncio.create_task(self._pipe(reader, up_writer, acks=False))
        back = asyncio.create_task(self._pipe(up_reader, writer, acks=True))
        self.tasks |= {forward, back}
        await asyncio.wait({forward, back}, return_when=asyncio.FIRST_COMPLETED)
        for writer_ in (writer, up_writer):
            writer_.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, acks: bool) -> None:
        framer = Framer()
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                if not acks:
                    writer.write(data)
                    continue
                for frame in framer.feed(data):
                    assert isinstance(frame, bytes)
                    if parse(frame).cn == "9014" and self.drop_acks > 0:
                        self.drop_acks -= 1
                        continue
                    writer.write(frame)
                await writer.drain()


def fast(**changes: object) -> SimConfig:
    values: dict[str, object] = {
        "start": START,
        "speed": 600.0,
        "rate": 1000.0,
        "packets_per_device": 8,
        "ack_timeout": 2.0,
        "tz": TZ,
        "seed": 7,
    }
    return SimConfig(**(values | changes))  # type: ignore[arg-type]


async def test_every_packet_is_acknowledged_and_stored(harness: Harness, air: AirData) -> None:
    stats = await run_simulation(DEVICES, "127.0.0.1", harness.port, fast(), air=air)
    assert (stats.sent, stats.acked, stats.resent, stats.failed, stats.unconfirmed) == (48, 48, 0, 0, 0)
    assert stats.connections == 6
    # 23:59:45 + 8 packets: real-time data, the minutes 23:59 and 00:00, the hour 23:00, the day of 1 March.
    assert set(stats.by_command) == {"2011", "2051", "2061", "2031"}
    table = harness.store.hot_table().to_pylist()
    assert {r["site_id"] for r in table} == set(SITES.values())
    assert {r["interval"] for r in table} == {"realtime", "minute", "hour", "day"}
    counts = harness.store.packet_counts()
    assert sum(n for (outcome, _), n in counts.items() if outcome == "stored") == 48
    hour = {
        (r["site_id"], r["parameter"]): r["value"]
        for r in table
        if r["interval"] == "hour" and r["time"] == datetime(2026, 3, 1, 23, tzinfo=TZ)
    }
    assert {p for s, p in hour if s == 1} == {"a34004", "a34002", "a21026", "a21004", "a05024", "a21005"}
    assert {"a21026-Zs", "a21026-Cou", "a00000-Cou", "a19001-Max"} <= {p for s, p in hour if s == 3}
    assert {"w01018", "w21003", "w01001", "w00000", "w21011", "w21001"} <= {p for s, p in hour if s == 5}


async def test_a_missing_acknowledgement_makes_the_logger_resend(harness: Harness, air: AirData) -> None:
    async with Proxy(harness.port, drop_acks=1) as port:
        stats = await run_simulation(DEVICES[2:3], "127.0.0.1", port, fast(ack_timeout=1.0, packets_per_device=3))
    assert (stats.sent, stats.acked, stats.resent, stats.failed) == (3, 3, 1, 0)
    assert harness.receiver.stats.outcomes[("duplicate", None)] == 1  # stored once, acknowledged twice


async def test_a_dropped_connection_is_reopened_and_the_packet_resent(harness: Harness, air: AirData) -> None:
    proxy = Proxy(harness.port, cut_first=True)
    async with proxy as port:
        stats = await run_simulation(DEVICES[4:5], "127.0.0.1", port, fast(packets_per_device=3))
    assert (stats.sent, stats.acked, stats.resent, stats.failed, stats.connections) == (3, 3, 1, 0, 2)
    assert proxy.connections == 2


async def test_a_packet_never_acknowledged_is_given_up_after_the_retries(harness: Harness) -> None:
    wrong = SimDevice(DEVICES[2].mn, "000000", Profile.GAS_OUTLET)  # the receiver refuses it without answering
    config = fast(ack_timeout=0.1, retries=2, packets_per_device=1)
    stats = await run_simulation([wrong], "127.0.0.1", harness.port, config)
    assert (stats.sent, stats.acked, stats.resent, stats.failed) == (1, 0, 2, 1)
    for _ in range(100):  # the receiver archives the last refusal after the logger gave up
        if harness.store.packet_counts().get(("rejected", "wrong_password")) == 3:
            break
        await asyncio.sleep(0.05)
    assert harness.store.packet_counts()[("rejected", "wrong_password")] == 3


async def test_no_receiver_counts_connection_errors_and_stops_on_time() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.8, stop.set)
    stats = await run_simulation(DEVICES[2:3], "127.0.0.1", port, fast(packets_per_device=None), stop=stop)
    assert stats.sent == 0 and stats.connect_errors >= 1 and stats.elapsed < 3


@pytest.fixture
def demo_database(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    shutil.copy(sqlite_template, tmp_path / "ecoloop.sqlite")
    url = f"sqlite:///{tmp_path / 'ecoloop.sqlite'}"
    engine = make_engine(url)
    with Session(engine) as session:
        load_demo(session)
        session.commit()
    engine.dispose()
    yield url


class ThreadedReceiver:
    """The receiver on its own event loop in a thread, so the CLI can run its own `asyncio.run`."""

    def __init__(self, store: HotStore, database_url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.store = store
        self.receiver: Receiver | None = None
        self.server: asyncio.Server = asyncio.run_coroutine_threadsafe(self._start(database_url), self.loop).result()
        self.port: int = self.server.sockets[0].getsockname()[1]

    async def _start(self, database_url: str) -> asyncio.Server:
        self.receiver = Receiver(self.store, DeviceDirectory(devices_from_db(database_url)), TZ, idle_timeout=5.0)
        return await self.receiver.start("127.0.0.1", 0)

    async def _stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()
        assert self.receiver is not None
        await self.receiver.writer.stop()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


def test_cli_simulates_the_demo_devices(demo_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ecoloop.cli import app

    settings = make_settings(tmp_path)
    monkeypatch.setenv("ECOLOOP_DATABASE_URL", demo_database)
    monkeypatch.setenv("ECOLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ECOLOOP_ANALYTICS_URL", settings.analytics_url)
    store = HotStore(tmp_path / "hot.sqlite")
    receiver = ThreadedReceiver(store, demo_database)
    try:
        args = ["simulate", "hj212", "--devices", "100", "--rate", "20", "--port", str(receiver.port)]
        args += ["--speed", "120", "--duration", "1.5", "--start", "2026-03-01T23:59:30", "--seed", "1"]
        result = CliRunner().invoke(app, args)
    finally:
        receiver.close()
    assert result.exit_code == 0, result.output
    assert "only 75 active devices" in result.output
    summary = result.output.strip().splitlines()[-1]
    sent = int(summary.split("sent ")[1].split(",")[0])
    assert sent >= 75 and f"acked {sent}," in summary and "failed 0," in summary, summary
    assert len({r["site_id"] for r in store.hot_table().to_pylist()}) == 75
    store.close()
