"""Virtual HJ 212 data loggers (数采仪) on the network, for the demo and the load tests (`ecoloop simulate hj212`).

A virtual logger keeps one TCP connection to the receiver, reconnecting with exponential backoff when it drops.
It sends the uploads of `profiles.Uploads` when they fall due on the simulated clock, waits for the 9014
acknowledgement carrying the packet's QN and re-sends an unacknowledged packet after `ack_timeout`, `retries`
times, then treats the link as unusable and reconnects (HJ 212-2017 §6.2, Table 1: OverTime, ReCount). It
answers nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ecoloop.demo.simulator.air_data import AirData, load_air_data
from ecoloop.demo.simulator.profiles import Profile, SimDevice, Uploads, seeded_random
from ecoloop.ingest.hj212 import FrameError, Framer, parse
from ecoloop.monitoring.enums import SiteKind

_PROFILE_OF_KIND = {
    SiteKind.AIR_STATION: Profile.AIR_STATION,
    SiteKind.AIR_SOURCE: Profile.GAS_OUTLET,
    SiteKind.WATER_SOURCE: Profile.WATER_OUTLET,
    SiteKind.WATER_STATION: Profile.WATER_STATION,
    SiteKind.NOISE: Profile.NOISE,
}


@dataclass(frozen=True)
class SimConfig:
    """How a simulation runs.

    `start`: the simulated clock's start (default: now, or with `speed` above 1 and a `duration`, early enough
    that the simulated clock reaches the real time when the run ends, so no data lie in the future).
    `speed`: simulated seconds per real second. `rate`: at most this many new packets a second per device.
    `duration`: real seconds to run; `packets_per_device`: stop each device after this many packets.
    `ack_timeout` and `retries` are the logger's OverTime and ReCount (HJ 212-2017 Table 1: 10 s, 3 for GPRS).
    """

    start: datetime | None = None
    speed: float = 1.0
    rate: float = 10.0
    realtime_seconds: int = 30
    seed: int = 0
    duration: float | None = None
    packets_per_device: int | None = None
    ack_timeout: float = 10.0
    retries: int = 3
    tz: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    connect_timeout: float = 10.0
    max_backoff: float = 30.0

    def __post_init__(self) -> None:
        if self.speed <= 0 or self.rate <= 0:
            raise ValueError("speed and rate must be positive")
        if self.ack_timeout <= 0 or self.retries < 0 or self.realtime_seconds < 0:
            raise ValueError("ack_timeout must be positive, retries and realtime_seconds not negative")


@dataclass
class SimulationStats:
    """What a simulation did: packets sent (once each), acknowledged, re-sent (extra transmissions), given up
    after all retries (`failed`), still unacknowledged when it stopped (`unconfirmed`), and connections."""

    sent: int = 0
    acked: int = 0
    resent: int = 0
    failed: int = 0
    unconfirmed: int = 0
    connections: int = 0
    connect_errors: int = 0
    by_command: Counter[str] = field(default_factory=Counter)
    devices: int = 0
    elapsed: float = 0.0

    def summary(self) -> str:
        """One line for the CLI."""
        return (
            f"sent {self.sent}, acked {self.acked}, resent {self.resent}, failed {self.failed}, "
            f"unconfirmed {self.unconfirmed} ({self.devices} devices, {self.elapsed:.1f} s, "
            f"{self.connections} connections, {self.connect_errors} connection errors)"
        )


class _Logger:
    """One virtual logger's connection: send, wait for the 9014 with the packet's QN, re-send, reconnect."""

    def __init__(
        self, device: SimDevice, host: str, port: int, config: SimConfig, stats: SimulationStats, stop: asyncio.Event
    ) -> None:
        self.device, self.host, self.port, self.config, self.stats, self.stop = device, host, port, config, stats, stop
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.framer = Framer()
        self.backoff = seeded_random(config.seed, device.mn, "backoff")

    async def run(self, uploads: Uploads, sim_start: datetime, real_start: float) -> None:
        loop = asyncio.get_running_loop()
        config = self.config
        last_send = -math.inf
        count = 0
        try:
            for due, qn, frame in uploads:
                if config.packets_per_device is not None and count >= config.packets_per_device:
                    break
                due_real = real_start + (due.at - sim_start).total_seconds() / config.speed
                if not await self._sleep_until(max(due_real, last_send + 1 / config.rate)):
                    break
                last_send = loop.time()
                count += 1
                await self._deliver(frame, qn, due.cn)
        finally:
            await self._close()

    async def _sleep_until(self, moment: float) -> bool:
        """Wait until loop time `moment`; False when the simulation stops first."""
        delay = moment - asyncio.get_running_loop().time()
        if delay > 0 and not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self.stop.wait()
        return not self.stop.is_set()

    async def _deliver(self, frame: bytes, qn: str, cn: str) -> None:
        attempts = 0
        while attempts <= self.config.retries:
            if self.reader is not None and self.reader.at_eof():
                await self._close()  # the receiver closed the idle connection meanwhile
            if self.writer is None and not await self._connect():
                break
            assert self.writer is not None
            if attempts == 0:
                self.stats.sent += 1
                self.stats.by_command[cn] += 1
            else:
                self.stats.resent += 1
            attempts += 1
            try:
                self.writer.write(frame)
                await self.writer.drain()
                outcome = await self._await_ack(qn)
            except (ConnectionError, OSError):
                outcome = "lost"
            if outcome == "acked":
                self.stats.acked += 1
                return
            if outcome == "lost":
                await self._close()
            if self.stop.is_set():
                break
        if attempts == 0:
            return  # never sent: the simulation stopped while connecting
        if attempts > self.config.retries:
            self.stats.failed += 1
            await self._close()  # after ReCount failures the link is taken as unusable (HJ 212-2017 Table 1)
        else:
            self.stats.unconfirmed += 1

    async def _await_ack(self, qn: str) -> Literal["acked", "timeout", "lost"]:
        """Read until the 9014 acknowledging `qn` arrives, the ack timeout passes or the connection ends."""
        assert self.reader is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.ack_timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return "timeout"
            try:
                async with asyncio.timeout(remaining):
                    data = await self.reader.read(65536)
            except TimeoutError:
                return "timeout"
            acked = False
            for event in self.framer.feed(data) if data else self.framer.flush():
                if isinstance(event, bytes) and _acknowledges(event, qn):
                    acked = True
            if acked:
                return "acked"
            if not data:
                return "lost"

    async def _connect(self) -> bool:
        delay = 0.5
        while not self.stop.is_set():
            try:
                self.reader, self.writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), self.config.connect_timeout
                )
            except (OSError, TimeoutError):
                self.stats.connect_errors += 1
                pause = min(delay, self.config.max_backoff) * self.backoff.uniform(0.8, 1.2)
                if not await self._sleep_until(asyncio.get_running_loop().time() + pause):
                    return False
                delay *= 2
                continue
            self.framer = Framer()
            self.stats.connections += 1
            return True
        return False

    async def _close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


def _acknowledges(frame: bytes, qn: str) -> bool:
    """Whether a frame is a 9014 for `qn` (the 2017 style echoes the QN, the 2005 style puts it into CP)."""
    try:
        packet = parse(frame, crc_mode="any")
    except FrameError:
        return False
    return packet.cn == "9014" and qn in (packet.qn, packet.cp.items.get("QN"))


def simulation_start(config: SimConfig, now: datetime) -> datetime:
    """The simulated clock's start in naive local time (see `SimConfig.start`)."""
    if config.start is not None:
        start = config.start if config.start.tzinfo is None else config.start.astimezone(config.tz)
        return start.replace(tzinfo=None)
    local = now.astimezone(config.tz).replace(tzinfo=None)
    if config.speed > 1 and config.duration:
        return local - timedelta(seconds=config.duration * (config.speed - 1))
    return local


async def run_simulation(
    devices: Sequence[SimDevice],
    host: str,
    port: int,
    config: SimConfig | None = None,
    *,
    stop: asyncio.Event | None = None,
    air: AirData | None = None,
) -> SimulationStats:
    """Run virtual loggers against the receiver at host:port until `stop` is set, `config.duration` passes or
    every device has sent `config.packets_per_device` packets (without any of these, until cancelled)."""
    config = config or SimConfig()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    if air is None and any(d.profile is Profile.AIR_STATION for d in devices):
        air = await loop.run_in_executor(None, load_air_data)
    sim_start = simulation_start(config, datetime.now(UTC))
    stats = SimulationStats(devices=len(devices))
    real_start = loop.time()
    timer = loop.call_later(config.duration, stop.set) if config.duration is not None else None
    loggers = [_Logger(device, host, port, config, stats, stop) for device in devices]
    try:
        async with asyncio.TaskGroup() as group:
            for logger in loggers:
                uploads = Uploads(
                    logger.device, sim_start, seed=config.seed, air=air, realtime_seconds=config.realtime_seconds
                )
                group.create_task(logger.run(uploads, sim_start, real_start))
    finally:
        if timer is not None:
            timer.cancel()
        stats.elapsed = loop.time() - real_start
    return stats


def devices_from_db(database_url: str, limit: int) -> list[SimDevice]:
    """The first `limit` active devices (by registration) whose site kind has a simulated profile, with the MN and
    password the receiver checks, each as `sim_device` makes it from its site and the demo fixture's plan."""
    from sqlalchemy import select

    from ecoloop.db.engine import make_engine, make_session_factory
    from ecoloop.demo.service import demo_fixture
    from ecoloop.enterprises.models import Enterprise
    from ecoloop.monitoring.models import Device, Site

    plans = {plan["code"]: plan for plan in demo_fixture()["sites"]}
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            rows = session.execute(
                select(
                    Device.mn,
                    Device.password,
                    Site.code,
                    Site.kind,
                    Enterprise.industry_code,
                    Site.water_target,
                    Site.noise_zone,
                )
                .join(Site, Device.site_id == Site.id)
                .outerjoin(Enterprise, Site.enterprise_id == Enterprise.id)
                .where(Device.active.is_(True), Site.active.is_(True), Site.kind.in_(list(_PROFILE_OF_KIND)))
                .order_by(Device.id)
                .limit(limit)
            ).all()
    finally:
        engine.dispose()
    return [
        sim_device(mn, password, code, kind, plans.get(code, {}), industry, target or (zone.value if zone else None))
        for mn, password, code, kind, industry, target, zone in rows
    ]


def sim_device(
    mn: str,
    password: str,
    code: str,
    kind: SiteKind,
    plan: dict[str, Any],
    industry: str | None = None,
    zone: str | None = None,
) -> SimDevice:
    """The virtual logger of a site: an air station `bj-<station>` replays its Beijing station, another what its
    demo plan says (`replay`: station, factor, the planted hotspot's boost); `zone` is a water station's target
    class or a noise point's acoustic zone, the plan's `behaviour` how the place behaves (`ambient`)."""
    replay = plan.get("replay", {})
    return SimDevice(
        mn,
        password,
        _PROFILE_OF_KIND[kind],
        station=replay.get("station") or (code[3:] if code.startswith("bj-") else None),
        industry=industry,
        factor=float(replay.get("factor", 1.0)),
        boost=float(replay.get("boost", 1.0)),
        zone=zone,
        behaviour=plan.get("behaviour"),
    )
