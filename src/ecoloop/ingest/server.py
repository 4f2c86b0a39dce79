"""The HJ 212 receiver: an asyncio TCP server that reads, parses, stores and acknowledges.

One task per connection turns bytes into frames (`Framer`) and packets (`parse`), checks the MN and password
against the device register, and hands readings plus the raw packet to the `BatchWriter`, which commits many
connections' work in one durable transaction of the hot store. Only after that commit does the connection send
the 9014 acknowledgement, so an acknowledged reading survives a crash. Every packet, accepted or rejected, is
archived with its outcome and reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from ecoloop.ingest.convert import DATA_UPLOADS, readings_of
from ecoloop.ingest.hj212 import (
    UPLOADS,
    FrameError,
    Framer,
    Garbage,
    Packet,
    Reason,
    Tolerance,
    ack_frame,
    heartbeat_reply,
    parse,
)
from ecoloop.ingest.store import HotStore, Outcome, RawPacket, Reading

log = logging.getLogger("ecoloop.ingest")


@dataclass(frozen=True)
class DeviceEntry:
    """What the receiver needs to know about a data logger."""

    mn: str
    password: str
    site_id: int
    crc_mode: str = "hj212"


class DeviceDirectory:
    """The device register as the receiver sees it, reloaded every `refresh` seconds (devices are added by the
    web UI or the CLI in other processes)."""

    def __init__(self, load: Callable[[], dict[str, DeviceEntry]], refresh: float = 30.0) -> None:
        self._load = load
        self._refresh = refresh
        self._devices = load()
        self._loaded = time.monotonic()

    def get(self, mn: str) -> DeviceEntry | None:
        """The device with `mn`, reloading the register when it is stale or the MN is unknown."""
        now = time.monotonic()
        device = self._devices.get(mn)
        if now - self._loaded > self._refresh or (device is None and now - self._loaded > 1.0):
            self._devices = self._load()
            self._loaded = now
            device = self._devices.get(mn)
        return device


@dataclass
class _Job:
    readings: list[Reading]
    packets: list[RawPacket]
    done: asyncio.Future[int]


class BatchWriter:
    """Group commit: jobs queued by all connections are written together, one durable transaction per batch."""

    def __init__(self, store: HotStore, max_rows: int = 20_000, max_jobs: int = 100_000) -> None:
        self.store = store
        self.max_rows = max_rows
        self.max_jobs = max_jobs  # 1 gives one transaction per packet (the naive baseline of the benchmark)
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the writing task."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Finish the queued jobs and stop."""
        await self._queue.join()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def write(self, readings: list[Reading], packets: list[RawPacket]) -> int:
        """Queue readings and archived packets; returns, once they are committed, how many readings changed."""
        job = _Job(readings, packets, asyncio.get_running_loop().create_future())
        await self._queue.put(job)
        return await job.done

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self._queue.get()]
            rows = len(jobs[0].readings)
            while rows < self.max_rows and len(jobs) < self.max_jobs and not self._queue.empty():
                job = self._queue.get_nowait()
                jobs.append(job)
                rows += len(job.readings)
            try:
                counts = await loop.run_in_executor(None, self._write, jobs)
            except Exception as exc:  # the store failed: no job of this batch is acknowledged
                log.exception("hot store write failed")
                for job in jobs:
                    if not job.done.done():
                        job.done.set_exception(exc)
            else:
                for job, count in zip(jobs, counts, strict=True):
                    if not job.done.done():
                        job.done.set_result(count)
            finally:
                for _ in jobs:
                    self._queue.task_done()

    def _write(self, jobs: list[_Job]) -> list[int]:
        # One transaction for the batch; per-job change counts come from one statement each inside it.
        return self.store.write_batches([(job.readings, job.packets) for job in jobs])


@dataclass
class ReceiverStats:
    """Counts since start: packets by outcome and reason, connections."""

    outcomes: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    connections: int = 0
    open_connections: int = 0


class Receiver:
    """The HJ 212 TCP receiver."""

    def __init__(
        self,
        store: HotStore,
        devices: DeviceDirectory,
        tz: tzinfo,
        *,
        idle_timeout: float = 600.0,
        max_frame: int | None = None,
        read_size: int = 65536,
        group_commit: bool = True,
    ) -> None:
        self.devices = devices
        self.tz = tz
        self.writer = BatchWriter(store) if group_commit else BatchWriter(store, max_jobs=1)
        self.idle_timeout = idle_timeout
        self.max_frame = max_frame
        self.read_size = read_size
        self.stats = ReceiverStats()

    async def start(self, host: str, port: int) -> asyncio.Server:
        """Listen on host:port (0 for a free port) and serve until the server is closed."""
        self.writer.start()
        return await asyncio.start_server(self.handle, host, port, limit=self.read_size, backlog=4096)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection until it closes, goes idle or breaks."""
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if peername else "unknown"
        framer = Framer() if self.max_frame is None else Framer(self.max_frame)
        self.stats.connections += 1
        self.stats.open_connections += 1
        try:
            while True:
                try:
                    data = await asyncio.wait_for(reader.read(self.read_size), self.idle_timeout)
                except TimeoutError:
                    break
                events = framer.feed(data) if data else framer.flush()
                for event in events:
                    await self._event(event, peer, writer)
                if not data:
                    break
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.stats.open_connections -= 1
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _event(self, event: bytes | Garbage, peer: str, writer: asyncio.StreamWriter) -> None:
        now = datetime.now(UTC)
        if isinstance(event, Garbage):
            if not event.data.strip() and not event.dropped:
                return  # blank lines between frames
            await self._reject(now, peer, event.data, event.reason, f"{len(event.data) + event.dropped} bytes")
            return
        try:
            packet = parse(event, crc_mode="any")
        except FrameError as exc:
            await self._reject(now, peer, event, exc.reason, exc.detail)
            return
        device = self.devices.get(packet.mn)
        if device is None:
            await self._reject(now, peer, event, Reason.UNKNOWN_MN, packet.mn, packet)
            return
        if device.crc_mode == "hj212" and Tolerance.CRC_MODBUS_LE in packet.tolerances:
            await self._reject(now, peer, event, Reason.CRC_MISMATCH, "MODBUS CRC from an HJ 212 device", packet)
            return
        if packet.pw != device.password:
            await self._reject(now, peer, event, Reason.WRONG_PASSWORD, "", packet)
            return
        if packet.cn == "9015":
            writer.write(heartbeat_reply(packet, now.astimezone(self.tz)))
            self._count(Outcome.IGNORED, "heartbeat")
            return
        # Each part of a split message carries its own DataTime and values (HJ 212-2017 C.49/C.50), so parts are
        # stored and acknowledged one by one; nothing waits for the rest of the message.
        await self._store(now, peer, packet, device, writer)

    async def _store(
        self, now: datetime, peer: str, packet: Packet, device: DeviceEntry, w: asyncio.StreamWriter
    ) -> None:
        try:
            readings = readings_of(packet, device.site_id, self.tz)
        except FrameError as exc:
            await self._reject(now, peer, packet.raw_segment, exc.reason, exc.detail, packet)
            return
        raw = RawPacket(now, peer, packet.raw_segment, Outcome.STORED, mn=packet.mn, cn=packet.cn)
        changed = await self.writer.write(readings, [raw])
        outcome = Outcome.DUPLICATE if readings and changed == 0 else Outcome.STORED
        self._count(outcome, None)
        if packet.needs_ack and (packet.cn in UPLOADS or packet.cn in DATA_UPLOADS):
            local = now.astimezone(self.tz)
            w.write(
                ack_frame(packet, local, style="2005")
                if packet.protocol_version == "2005"
                else ack_frame(packet, local)
            )

    async def _reject(
        self, now: datetime, peer: str, data: bytes, reason: Reason, detail: str, packet: Packet | None = None
    ) -> None:
        raw = RawPacket(
            now,
            peer,
            data,
            Outcome.REJECTED,
            reason.value,
            detail[:500],
            mn=packet.mn if packet else None,
            cn=packet.cn if packet else None,
        )
        await self.writer.write([], [raw])
        self._count(Outcome.REJECTED, reason.value)

    def _count(self, outcome: Outcome, reason: str | None) -> None:
        self.stats.outcomes[(outcome.value, reason)] += 1


def devices_from_db(database_url: str) -> Callable[[], dict[str, DeviceEntry]]:
    """A loader of the active devices from the operational database."""
    from sqlalchemy import select

    from ecoloop.db.engine import make_engine, make_session_factory
    from ecoloop.monitoring.models import Device

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)

    def load() -> dict[str, DeviceEntry]:
        with sessions() as session:
            rows = session.scalars(select(Device).where(Device.active.is_(True)))
            return {d.mn: DeviceEntry(d.mn, d.password, d.site_id, d.crc_mode.value) for d in rows}

    return load


async def serve_forever(receiver: Receiver, host: str, port: int, ready: Callable[[int], None] | None = None) -> None:
    """Run the receiver until cancelled."""
    server = await receiver.start(host, port)
    bound = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready(bound)
    async with server:
        await server.serve_forever()
