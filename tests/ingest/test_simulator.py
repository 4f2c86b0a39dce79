"""Virtual data loggers against the real receiver over TCP: delivery, re-sends, reconnects, plausible values."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import statistics
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecoloop.db.engine import make_engine
from ecoloop.demo.service import demo_readings_file, load_demo
from ecoloop.ingest.hj212 import Framer, parse
from ecoloop.ingest.server import DeviceDirectory, DeviceEntry, Receiver, devices_from_db
from ecoloop.ingest.simulator import (
    AirData,
    Profile,
    SimConfig,
    SimDevice,
    Uploads,
    day_stats,
    hour_stats,
    hour_values,
    load_air_data,
    minute_stats,
    run_simulation,
    schedule,
)
from ecoloop.ingest.store import HotStore
from tests.conftest import make_settings

TZ = ZoneInfo("Asia/Shanghai")
DEVICES = [
    SimDevice("371822EC0000000000000001", "383174", Profile.AIR_STATION, station="dongsi"),
    SimDevice("371822EC0000000000000002", "664606", Profile.AIR_STATION, station="Tiantan"),
    SimDevice("371831EC0000000000000001", "505792", Profile.GAS_OUTLET, industry="4411"),
    SimDevice("371831EC0000000000000002", "764469", Profile.GAS_OUTLET, industry="3120"),
    SimDevice("371832EC0000000000000001", "507859", Profile.WATER_OUTLET, industry="4620"),
    SimDevice("371832EC0000000000000002", "690553", Profile.WATER_OUTLET),
]
SITES = {d.mn: n for n, d in enumerate(DEVICES, 1)}
# Just before midnight: the first packets include minute, hourly and daily data.
START = datetime(2026, 3, 1, 23, 59, 45, tzinfo=TZ)


def wall(*parts: int) -> datetime:
    """A naive local wall-clock time, as HJ 212 DataTime and the simulator's schedule use."""
    return datetime(*parts, tzinfo=TZ).replace(tzinfo=None)


@pytest.fixture(scope="module")
def air() -> AirData:
    return load_air_data(stations=["Dongsi", "Tiantan"])


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


def test_the_schedule_follows_a_data_logger() -> None:
    dues = islice(schedule(wall(2026, 3, 1, 23, 59, 45), realtime_seconds=30, offset_seconds=2), 9)
    got = [(d.at.strftime("%H:%M:%S"), d.cn, d.data_time.strftime("%d %H:%M:%S")) for d in dues]
    assert got == [
        ("00:00:02", "2011", "02 00:00:00"),  # sampled on the 30 s grid
        ("00:00:02", "2051", "01 23:59:00"),  # the minute running at the start, sent after its end
        ("00:00:02", "2061", "01 23:00:00"),
        ("00:00:02", "2031", "01 00:00:00"),
        ("00:00:32", "2011", "02 00:00:30"),
        ("00:01:02", "2011", "02 00:01:00"),
        ("00:01:02", "2051", "02 00:00:00"),
        ("00:01:32", "2011", "02 00:01:30"),
        ("00:02:02", "2011", "02 00:02:00"),
    ]


def test_the_same_seed_gives_the_same_packets(air: AirData) -> None:
    def frames(seed: int, device: SimDevice) -> list[bytes]:
        uploads = Uploads(device, START.replace(tzinfo=None), seed=seed, air=air)
        return [frame for _due, _qn, frame in islice(uploads, 12)]

    for device in DEVICES:
        assert frames(3, device) == frames(3, device)
        assert frames(3, device) != frames(4, device)
    qns = [qn for _d, qn, _f in islice(Uploads(DEVICES[0], START.replace(tzinfo=None), air=air), 50)]
    assert len(set(qns)) == 50 and qns == sorted(qns)


def test_air_stations_replay_the_real_data(air: AirData) -> None:
    # Seed 0 maps 1 March to 1 March 2013, the first day of the data; CO is sent in mg/m³.
    wanted = [("station", "=", "Dongsi"), ("hour_start", "=", wall(2013, 3, 1, 5))]
    real = pq.read_table(demo_readings_file(), filters=wanted).to_pylist()[0]
    stats = hour_stats(DEVICES[0], hour_values(DEVICES[0], wall(2026, 3, 1, 5), 0, air))
    assert stats["a34004"].avg == pytest.approx(real["pm2_5"])
    assert stats["a21005"].avg == pytest.approx(real["co_ug"] / 1000)
    assert stats["a05024"].avg == pytest.approx(real["o3"])
    days = [wall(2026, 6, 1) + timedelta(hours=h) for h in range(24 * 30)]
    hours = [hour_stats(DEVICES[0], hour_values(DEVICES[0], h, 0, air)) for h in days]
    pm25 = [h["a34004"].avg for h in hours if "a34004" in h]
    assert len(pm25) > 0.9 * len(hours) and min(pm25) >= 2 and max(pm25) <= 999
    co = [h["a21005"].avg for h in hours if "a21005" in h]
    assert min(co) >= 0.1 and max(co) <= 10 and 0.3 < statistics.median(co) < 3  # mg/m³, not µg/m³
    # Over the four data years (one per seed) PM2.5 stays at or below PM10 in most hours; the source has its
    # faulty stretches (Dongsi, winter 2013/14), which the data-quality rules are there to find.
    moments = [wall(2026, 3, 1) + timedelta(hours=h) for h in range(0, 24 * 365, 5)]
    year = [air.hour_values(s, m, seed) for s in ("dongsi", "tiantan") for seed in range(4) for m in moments]
    paired = [v for v in year if "a34004" in v and "a34002" in v]
    assert len(paired) > 0.9 * len(year)
    assert sum(v["a34004"] <= v["a34002"] for v in paired) > 0.9 * len(paired)


def test_minute_values_average_to_the_hour_and_days_to_their_hours(air: AirData) -> None:
    for device in DEVICES:
        hours = [hour_values(device, wall(2026, 7, 14, h), 5, air) for h in range(24)]
        hourly = hour_stats(device, hours[10])
        for code, stat in hourly.items():
            minutes = [minute_stats(device, hours[10], m)[code] for m in range(60)]
            assert statistics.fmean(m.avg for m in minutes) == pytest.approx(stat.avg)
            assert all(m.min <= m.avg <= m.max for m in minutes)
            if stat.cou is not None:
                assert sum(m.cou or 0 for m in minutes) == pytest.approx(stat.cou)
        daily = day_stats(device, hours)
        for code, stat in daily.items():
            averages = [hour_stats(device, h)[code].avg for h in hours if code in h.minutes]
            assert stat.avg == pytest.approx(statistics.fmean(averages))


def test_flue_gas_outlets_convert_calibrate_and_have_rare_excursions() -> None:
    power = DEVICES[2]
    hours = [hour_values(power, wall(2026, 5, 1) + timedelta(hours=h), 1) for h in range(24 * 60)]
    stats = [hour_stats(power, h) for h in hours]
    for s in stats[:48]:
        # Converted to the coal-fired power boiler's 6 % O2 (GB 13223-2011).
        assert s["a21026"].zs_avg == pytest.approx(s["a21026"].avg * 15 / (21 - s["a19001"].avg), rel=1e-3)
        assert 3 < s["a19001"].avg < 10 and 30 < s["a01012"].avg < 70 and s["a00000"].avg > 0
    calibration = hours[3]
    assert calibration.flags["a21026"][:5] == ("C",) * 5 and calibration.flags["a21026"][5] == "N"
    assert minute_stats(power, calibration, 0)["a21026"].flag == "C"
    assert stats[3]["a21026"].flag == "N"  # 55 of 60 minutes normal (HJ 212-2017 C.16)
    usual = {code: statistics.median(s[code].avg for s in stats) for code in ("a21026", "a21002", "a34013")}
    excursions = sum(any(s[c].avg > 1.45 * usual[c] for c in usual) for s in stats)
    assert 0.003 * len(stats) <= excursions <= 0.06 * len(stats)


def test_wastewater_outlets_sample_hourly() -> None:
    works = DEVICES[4]
    for h in range(48):
        values = hour_values(works, wall(2026, 8, 1) + timedelta(hours=h), 2)
        assert len(set(values.minutes["w01018"])) == 1  # one COD sample an hour
        stats = hour_stats(works, values)
        assert 6 <= stats["w01001"].avg <= 9 and stats["w00000"].avg > 50
        assert 0 < stats["w21003"].avg < stats["w21001"].avg and stats["w01018"].avg < 60
        assert stats["w00000"].cou == pytest.approx(stats["w00000"].avg * 3.6)  # L/s over an hour, in m³


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
        args = ["simulate", "hj212", "--devices", "40", "--rate", "20", "--port", str(receiver.port)]
        args += ["--speed", "120", "--duration", "1.5", "--start", "2026-03-01T23:59:30", "--seed", "1"]
        result = CliRunner().invoke(app, args)
    finally:
        receiver.close()
    assert result.exit_code == 0, result.output
    assert "only 29 active devices" in result.output
    summary = result.output.strip().splitlines()[-1]
    sent = int(summary.split("sent ")[1].split(",")[0])
    assert sent >= 29 and f"acked {sent}," in summary and "failed 0," in summary, summary
    assert len({r["site_id"] for r in store.hot_table().to_pylist()}) == 29
    store.close()
