"""The HJ 212 receiver: an asyncio TCP server that reads, parses, stores and acknowledges.

One task per connection turns bytes into frames (`Framer`) and packets (`parse`), checks the MN and password
against the device register, and hands readings plus the raw packet to the `BatchWriter`, which commits many
connections' work in one durable transaction of the hot store. Only after that commit does the connection send
the 9014 acknowledgement, so an acknowledged reading survives a crash. Every packet, accepted or rejected, is
archived with its outcome and reason, with bounds for sources that have not yet sent a valid packet of a known
data logger (unauthenticated: unknown MN, wrong password, garbage): such a connection is closed after
`auth_timeout`, or after `over_limit_grace` when its address already holds `unauthenticated_per_ip` of them, and
their rejected frames are archived up to a budget per address and minute and in all; the rest are counted, and
one summary per address and minute is archived in their stead (issue 13).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import resource
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, cast

from ecoloop.ingest.convert import DATA_UPLOADS, readings_of, upload_rows
from ecoloop.ingest.devices import DeviceDirectory
from ecoloop.ingest.hj212 import (
    CP,
    FLAG_ACK,
    MAX_FRAME,
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
from ecoloop.ingest.hj212.fast import Upload, upload
from ecoloop.ingest.hj212.fast import ack as fast_ack
from ecoloop.ingest.writer import BatchWriter
from ecoloop.readings.rules import Refusal, TimeWindow, reading_refusal
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import ArchiveRow, Outcome, Reading, ReadingRow, reading_row

log = logging.getLogger("ecoloop.ingest")


@dataclass
class ReceiverStats:
    """Counts since start: packets by outcome and reason, connections, and what the bounds on unauthenticated
    sources held back (connections over the per-address limit or timed out, frames counted but not archived)."""

    outcomes: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    connections: int = 0
    open_connections: int = 0
    over_limit_connections: int = 0
    unauthenticated_closed: int = 0
    not_archived: int = 0
    not_archived_bytes: int = 0


@dataclass
class _Held:
    """Rejected frames of one address not archived in the current minute, by reason."""

    frames: Counter[str] = field(default_factory=Counter)
    size: int = 0


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
        max_pending: int = 1024,
        window: TimeWindow | None = None,
        unauthenticated_per_ip: int | None = 64,
        auth_timeout: float = 60.0,
        over_limit_grace: float = 5.0,
        rejected_per_ip_minute: int = 60,
        rejected_bytes_minute: int = 1_000_000,
    ) -> None:
        self.devices = devices
        self.tz = tz
        self.window = window or TimeWindow()
        self._first = self.window.first
        self._ahead = int(self.window.ahead.total_seconds())
        # None: no limit (a test or benchmark of many loggers behind one address that connect before any sends).
        self.unauthenticated_per_ip = unauthenticated_per_ip
        self.auth_timeout = auth_timeout
        self.over_limit_grace = over_limit_grace
        self.rejected_per_ip_minute = rejected_per_ip_minute
        self.rejected_bytes_minute = rejected_bytes_minute
        self.unauthenticated: Counter[str] = Counter()  # open connections per address without a valid packet yet
        self._minute = 0
        self._archived_per_ip: Counter[str] = Counter()  # unauthenticated rejected frames archived this minute
        self._archived_bytes = 0
        self._held: dict[str, _Held] = {}
        self._flush_timer: asyncio.TimerHandle | None = None
        self.writer = BatchWriter(store) if group_commit else BatchWriter(store, max_jobs=1)
        self.idle_timeout = idle_timeout
        self.max_frame = max_frame or MAX_FRAME
        self.read_size = read_size
        self.max_pending = max_pending  # per connection: reading pauses while this many packets await commit
        self.stats = ReceiverStats()

    async def start(self, host: str, port: int, *, sock: socket.socket | None = None) -> asyncio.Server:
        """Listen on host:port (0 for a free port), or on a bound `sock`, and serve until the server is closed."""
        self.writer.start()
        loop = asyncio.get_running_loop()
        self._flush_timer = loop.call_later(60.0, self._flush_every_minute)
        if sock is not None:
            return await loop.create_server(lambda: _Connection(self), sock=sock, backlog=4096)
        return await loop.create_server(lambda: _Connection(self), host, port, backlog=4096)

    def event(self, event: bytes | Garbage, conn: _Connection) -> None:
        """Handle one frame or piece of garbage from a connection."""
        now_ms = int(time.time() * 1000)
        if isinstance(event, Garbage):
            if not event.data.strip() and not event.dropped:
                return  # blank lines between frames
            self._reject(now_ms, conn, event.data, event.reason, f"{len(event.data) + event.dropped} bytes")
            return
        fast = upload(event)
        if fast is not None:
            device = self.devices.get(fast.mn)
            if device is not None and fast.pw == device.password:
                rows = upload_rows(fast, device.site_id, self.tz, now_ms)
                if rows and not self._first <= rows[0][3] <= now_ms // 1000 + self._ahead:
                    self._general(now_ms, conn, event)  # refused there, with its reason
                    return
                if not conn.is_authenticated:
                    conn.authenticated()
                archived = (now_ms, conn.peer, fast.mn, fast.cn, _STORED, None, None, fast.segment)
                reply = fast_ack(fast)
                if reply is None and fast.flag is not None and fast.flag & FLAG_ACK:  # 2005-style or without QN
                    reply = ack_for(_header_packet(fast), _local(now_ms, self.tz))
                self._submit(conn, rows, archived, reply)
                return
        self._general(now_ms, conn, event)

    def _general(self, now_ms: int, conn: _Connection, frame: bytes) -> None:
        try:
            packet = parse(frame, crc_mode="any")
        except FrameError as exc:
            self._reject(now_ms, conn, frame, exc.reason, exc.detail)
            return
        device = self.devices.get(packet.mn)
        if device is None:
            self._reject(now_ms, conn, frame, Reason.UNKNOWN_MN, packet.mn, packet)
            return
        if device.crc_mode == "hj212" and Tolerance.CRC_MODBUS_LE in packet.tolerances:
            self._reject(now_ms, conn, frame, Reason.CRC_MISMATCH, "MODBUS CRC from an HJ 212 device", packet)
            return
        if packet.pw != device.password:
            self._reject(now_ms, conn, frame, Reason.WRONG_PASSWORD, "", packet)
            return
        conn.authenticated()
        if packet.cn == "9015":
            conn.write(heartbeat_reply(packet, _local(now_ms, self.tz)))
            self._count(Outcome.IGNORED, "heartbeat")
            return
        # Each part of a split message carries its own DataTime and values (HJ 212-2017 C.49/C.50), so parts are
        # stored and acknowledged one by one; nothing waits for the rest of the message.
        try:
            readings = readings_of(packet, device.site_id, self.tz)
        except FrameError as exc:
            self._reject(now_ms, conn, packet.raw_segment, exc.reason, exc.detail, packet)
            return
        kept, refusals = plausible(readings, datetime.fromtimestamp(now_ms / 1000, UTC), self.window)
        if refusals and not kept:
            self._reject(now_ms, conn, packet.raw_segment, *_refusal_detail(refusals), packet)
            return
        rows = [reading_row(r, now_ms) for r in kept]
        reason: str | None = None
        detail: str | None = None
        if refusals:  # stored all the same: the packet's other values are valid
            reason, detail = _refusal_detail(refusals)
        archived = (now_ms, conn.peer, packet.mn, packet.cn, _STORED, reason, detail, packet.raw_segment)
        ack = packet.needs_ack and (packet.cn in UPLOADS or packet.cn in DATA_UPLOADS)
        self._submit(conn, rows, archived, ack_for(packet, _local(now_ms, self.tz)) if ack else None)

    def _submit(self, conn: _Connection, rows: list[ReadingRow], archived: ArchiveRow, reply: bytes | None) -> None:
        def done(result: int | BaseException) -> None:
            conn.settled()
            if isinstance(result, BaseException):
                conn.abort()  # nothing of the batch was stored: no acknowledgement, the logger re-sends
                return
            self._count(Outcome.DUPLICATE if rows and result == 0 else Outcome.STORED, None)
            if reply is not None:
                conn.write(reply)

        conn.queued()
        self.writer.submit(rows, (archived,), done)

    def _reject(
        self,
        now_ms: int,
        conn: _Connection,
        data: bytes,
        reason: Reason | Refusal,
        detail: str,
        packet: Packet | None = None,
    ) -> None:
        self._count(Outcome.REJECTED, reason.value)
        if not conn.is_authenticated and not self._archivable(now_ms, conn.ip, len(data), reason.value):
            return
        archived = (
            now_ms,
            conn.peer,
            packet.mn if packet else None,
            packet.cn if packet else None,
            Outcome.REJECTED.value,
            reason.value,
            detail[:500],
            bytes(data),
        )
        self.writer.submit((), (archived,), lambda _: None)

    def _archivable(self, now_ms: int, ip: str, size: int, reason: str) -> bool:
        """Whether a rejected frame of an unauthenticated source fits this minute's budgets (of its address, and
        of all); one that does not is counted in a summary archived when the minute is over."""
        minute = now_ms // 60_000
        if minute != self._minute:
            self.flush_held(now_ms)
            self._minute = minute
            self._archived_per_ip.clear()
            self._archived_bytes = 0
        if (
            self._archived_per_ip[ip] < self.rejected_per_ip_minute
            and self._archived_bytes + size <= self.rejected_bytes_minute
        ):
            self._archived_per_ip[ip] += 1
            self._archived_bytes += size
            return True
        held = self._held.get(ip)
        if held is None:
            if len(self._held) >= MAX_SUMMARIES:  # many addresses (an IPv6 range): one summary for the rest
                ip = "*"
                held = self._held.get(ip)
            if held is None:
                held = self._held[ip] = _Held()
        held.frames[reason] += 1
        held.size += size
        self.stats.not_archived += 1
        self.stats.not_archived_bytes += size
        return False

    def _flush_every_minute(self) -> None:
        self.flush_held()
        self._flush_timer = asyncio.get_running_loop().call_later(60.0, self._flush_every_minute)

    def flush_held(self, now_ms: int | None = None) -> None:
        """Archive one summary row per address for the rejected frames not archived since the last flush."""
        if not self._held:
            return
        now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
        rows: list[ArchiveRow] = []
        for ip, held in self._held.items():
            counts = ", ".join(f"{reason} {count}" for reason, count in held.frames.most_common())
            detail = f"{held.frames.total()} rejected frames ({held.size} bytes) not archived: {counts}"
            reason = NOT_ARCHIVED
            rows.append((now_ms, ip, None, None, Outcome.REJECTED.value, reason, detail[:500], b""))
        self._held = {}
        self.writer.submit((), rows, lambda _: None)

    def _count(self, outcome: Outcome, reason: str | None) -> None:
        self.stats.outcomes[(outcome.value, reason)] += 1


_STORED = Outcome.STORED.value
_EMPTY_CP = CP()
# The reason of an archived summary of rejected frames that were counted but not archived (see `_archivable`).
NOT_ARCHIVED = "not_archived"
# Summaries archived per minute and receiver process at most (the addresses beyond share one, peer "*").
MAX_SUMMARIES = 1000


def plausible(
    readings: Sequence[Reading], now: datetime, window: TimeWindow
) -> tuple[list[Reading], list[tuple[Reading, Refusal]]]:
    """The readings that may be stored, and the others with why not (`rules.reading_refusal`)."""
    kept: list[Reading] = []
    refused: list[tuple[Reading, Refusal]] = []
    for r in readings:
        refusal = reading_refusal(r.time, r.value, now, window)
        if refusal is None:
            kept.append(r)
        else:
            refused.append((r, refusal))
    return kept, refused


def _refusal_detail(refusals: Sequence[tuple[Reading, Refusal]]) -> tuple[Refusal, str]:
    """The first refusal's reason, and which parameters were refused why."""
    detail = "; ".join(f"{r.parameter}: {refusal.value}" for r, refusal in refusals)
    return refusals[0][1], detail[:500]


def _header_packet(fast: Upload) -> Packet:
    """The header of a fast-path upload as a Packet, for building its acknowledgement."""
    return Packet(fast.qn, fast.st, fast.cn, fast.pw, fast.mn, fast.flag, None, None, _EMPTY_CP)


def ack_for(packet: Packet, local: datetime) -> bytes:
    """The 9014 acknowledgement of a stored upload, 2005-style for 2005 loggers."""
    return ack_frame(packet, local, style="2005") if packet.protocol_version == "2005" else ack_frame(packet, local)


def _local(now_ms: int, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(now_ms / 1000, tz)


class _Connection(asyncio.Protocol):
    """One logger's TCP connection: bytes → frames → the receiver; replies written back in commit order."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.framer = Framer(receiver.max_frame)
        self.peer = "unknown"
        self.ip = "unknown"
        self.is_authenticated = False  # sent a valid packet of a known data logger (MN and password)
        self.counted = False  # counted in the receiver's unauthenticated connections of its address
        self.auth_timer: asyncio.TimerHandle | None = None
        self.transport: asyncio.Transport | None = None
        self.pending = 0
        self.closing = False  # the peer sent EOF: close once every pending packet is answered
        self.paused = False
        self.write_paused = False
        self.last_data = 0.0
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        peername = transport.get_extra_info("peername")
        self.peer = f"{peername[0]}:{peername[1]}" if peername else "unknown"
        self.ip = str(peername[0]) if peername else "unknown"
        receiver = self.receiver
        stats = receiver.stats
        stats.connections += 1
        stats.open_connections += 1
        # Over its address's share of connections that sent nothing valid yet, a connection gets a short grace
        # instead of being refused: loggers behind one address (a carrier's NAT) that reconnect at once each send
        # their upload at once (HJ 212 loggers push, there is no login), while idle ones are gone in seconds.
        limit = receiver.unauthenticated_per_ip
        deadline = receiver.auth_timeout
        if limit is not None and receiver.unauthenticated[self.ip] >= limit:
            stats.over_limit_connections += 1
            deadline = min(deadline, receiver.over_limit_grace)
        receiver.unauthenticated[self.ip] += 1
        self.counted = True
        loop = asyncio.get_running_loop()
        self.last_data = loop.time()
        self.timer = loop.call_later(receiver.idle_timeout, self._check_idle)
        self.auth_timer = loop.call_later(deadline, self._unauthenticated_timeout)

    def authenticated(self) -> None:
        """The connection sent a valid packet of a known data logger: no longer bound by the limits of
        unauthenticated sources."""
        if self.is_authenticated:
            return
        self.is_authenticated = True
        self._uncount()
        if self.auth_timer is not None:
            self.auth_timer.cancel()
            self.auth_timer = None

    def _uncount(self) -> None:
        if self.counted:
            self.counted = False
            unauthenticated = self.receiver.unauthenticated
            unauthenticated[self.ip] -= 1
            if unauthenticated[self.ip] <= 0:
                del unauthenticated[self.ip]

    def _unauthenticated_timeout(self) -> None:
        self.auth_timer = None
        if self.transport is not None and not self.is_authenticated:
            self.receiver.stats.unauthenticated_closed += 1
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.last_data = asyncio.get_running_loop().time()
        for event in self.framer.feed(data):
            self.receiver.event(event, self)

    def eof_received(self) -> bool:
        for event in self.framer.flush():
            self.receiver.event(event, self)
        self.closing = True
        # Keep the write side open until the pending acknowledgements are sent; with none pending, close now.
        return self.pending > 0

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.receiver.stats.open_connections -= 1
        self._uncount()
        for timer in (self.timer, self.auth_timer):
            if timer is not None:
                timer.cancel()

    def pause_writing(self) -> None:  # the peer does not read its acknowledgements: stop reading from it
        self.write_paused = True
        self._flow()

    def resume_writing(self) -> None:
        self.write_paused = False
        self._flow()

    def queued(self) -> None:
        self.pending += 1
        if self.pending >= self.receiver.max_pending:
            self._flow()

    def settled(self) -> None:
        self.pending -= 1
        if self.paused:
            self._flow()
        if self.closing and self.pending == 0 and self.transport is not None:
            self.transport.close()

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _flow(self) -> None:
        if self.transport is None:
            return
        stop = self.write_paused or self.pending >= self.receiver.max_pending
        if stop and not self.paused:
            self.transport.pause_reading()
            self.paused = True
        elif not stop and self.paused and self.pending <= self.receiver.max_pending // 2:
            self.transport.resume_reading()
            self.paused = False

    def _check_idle(self) -> None:
        if self.transport is None:
            return
        loop = asyncio.get_running_loop()
        quiet = loop.time() - self.last_data
        if quiet >= self.receiver.idle_timeout:
            self.transport.close()
        else:
            self.timer = loop.call_later(self.receiver.idle_timeout - quiet, self._check_idle)


def raise_open_files_limit() -> int:
    """Raise this process's soft limit of open files to its hard limit; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == hard:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (OSError, ValueError):  # e.g. macOS refuses an unlimited soft limit: keep the current one
        log.warning("could not raise the open files limit from %d to %d", soft, hard)
        return soft
    return hard


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run the receiver's event loop: uvloop (libuv) where installed, which halves the per-packet cost of the
    socket work, else asyncio's own loop. The cyclic garbage collector is tuned for a server that allocates
    many short-lived objects per packet and keeps few: start-up objects are frozen out of collections and
    young collections run less often."""
    # Every logger holds a connection open (issue 4: thousands of them), one file descriptor each; the usual
    # soft limit of 1,024 would make the receiver refuse connections long before the hard limit is reached.
    raise_open_files_limit()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        asyncio.run(main)
    else:
        uvloop.run(main)


async def serve_forever(
    receiver: Receiver,
    host: str,
    port: int,
    ready: Callable[[int], None] | None = None,
    *,
    sock: socket.socket | None = None,
) -> None:
    """Run the receiver until cancelled (on host:port, or on a bound and listening `sock`)."""
    server = await receiver.start(host, port, sock=sock)
    bound = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready(bound)
    async with server:
        await server.serve_forever()


def serve_workers(
    make: Callable[[], Receiver],
    host: str,
    port: int,
    workers: int,
    ready: Callable[[int], None] | None = None,
) -> int:
    """Run `workers` receiver processes on one port until SIGTERM or SIGINT; returns an exit status.

    Each worker listens on its own SO_REUSEPORT socket, so the kernel spreads connections over the processes
    and every core parses packets; all of them write to the same hot store (SQLite WAL admits one writer at
    a time, and each worker's group commits take turns). `make` builds a worker's receiver inside the worker.
    """
    if workers <= 1:
        run(serve_forever(make(), host, port, ready))
        return 0
    # A bound socket that does not listen holds the port (and finds a free one for port 0) while the workers
    # start; it never takes connections.
    holder = _reuse_port_socket(host, port)
    bound = holder.getsockname()[1]
    context = multiprocessing.get_context("fork")
    started = context.Queue()
    processes = [
        context.Process(target=_worker, args=(make, host, bound, started), name=f"hj212-worker-{i}", daemon=True)
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        started.get(timeout=60)
    holder.close()
    if ready is not None:
        ready(bound)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.5):
        if any(not process.is_alive() for process in processes):
            log.error("an HJ 212 worker exited; stopping the others")
            break
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(10)
    return 0 if stop.is_set() else 1


def _reuse_port_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(make: Callable[[], Receiver], host: str, port: int, started: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers
    sock = _reuse_port_socket(host, port)
    sock.listen(4096)
    sock.setblocking(False)
    run(serve_forever(make(), host, port, lambda _: started.put(os.getpid()), sock=sock))
