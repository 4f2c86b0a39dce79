"""Benchmark of the HJ 212 receiver: concurrent data loggers sending hourly and minute packets, ack required.

The receiver runs in a subprocess with group commit, on the embedded hot store (SQLite, WAL, synchronous=FULL)
and then on a PostgreSQL hot store: a throw-away local cluster with PostgreSQL's durable defaults (fsync on,
synchronous_commit on), started like the tests' one (`tests/pg.py`). The naive baseline, on each store, is the same
receiver committing one transaction per packet. Clients are asyncio connections in this process, each sending its
next packet when the previous one is acknowledged (so every counted packet is acknowledged, hence durable). The
receiver, the clients and PostgreSQL share the machine's cores; the receiver's CPU per packet (and PostgreSQL's,
for that store) is printed too, since it depends less than throughput on what else the machine is doing.

Run: `uv run python bench/hj212_ingest.py [--store sqlite|postgresql|both] [--connections 200] [--seconds 10]`
(`--connections 2000` and more: both sides raise their soft limit of open files to the hard limit).
The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import uvloop

from ecoloop.ingest.hj212 import crc16
from ecoloop.ingest.server import raise_open_files_limit

POLLUTANTS = ("a34004", "a34002", "a21026", "a21004", "a21005", "a05024", "a01001", "a01002")


def frames(device: int, count: int) -> Iterator[bytes]:
    """`count` distinct packets of one device, alternating hourly (2061) and minute (2051) data, 8 pollutants.

    Built by formatting one template and computing the CRC (as `encode` would write them, which a test of the
    codec checks), so preparing a few hundred thousand frames takes seconds, not minutes."""
    mn = f"BENCH{device:06d}"
    for n in range(count):
        cn = "2061" if n % 2 == 0 else "2051"
        stamp = f"2026{(n // 40320) % 12 + 1:02d}{(n // 1440) % 28 + 1:02d}{(n // 60) % 24:02d}{n % 60:02d}00"
        values = ";".join(
            f"{code}-Avg={(device * 7 + n * 3 + i) % 500 / 10:.1f},{code}-Flag=N" for i, code in enumerate(POLLUTANTS)
        )
        segment = f"QN={stamp}{n % 1000:03d};ST=22;CN={cn};PW=123456;MN={mn};Flag=5;CP=&&DataTime={stamp};{values}&&"
        data = segment.encode("ascii")
        yield b"##%04d%s%04X\r\n" % (len(data), data, crc16(data))


def serve(store: str, cpu_file: str, naive: bool, workers: int) -> None:
    """Run the receiver (subprocess entry) on the hot store at `store` (a path or a PostgreSQL URL) until SIGTERM,
    then write the CPU seconds it used to `cpu_file`."""
    from ecoloop.ingest.devices import DeviceDirectory, DeviceEntry
    from ecoloop.ingest.server import Receiver, serve_workers
    from ecoloop.readings.store import HotStore

    devices = {f"BENCH{i:06d}": DeviceEntry(f"BENCH{i:06d}", "123456", i + 1) for i in range(10_000)}

    def make() -> Receiver:
        # All clients connect from 127.0.0.1 at once: no limit of unauthenticated connections per address.
        return Receiver(
            HotStore(store),
            DeviceDirectory(lambda: devices),
            ZoneInfo("Asia/Shanghai"),
            group_commit=not naive,
            unauthenticated_per_ip=None,
        )

    def report_cpu(*_: object) -> None:
        usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        Path(cpu_file).write_text(f"{sum(u.ru_utime for u in usage)} {sum(u.ru_stime for u in usage)}")
        os._exit(0)

    if workers == 1:
        signal.signal(signal.SIGTERM, report_cpu)
    serve_workers(make, "127.0.0.1", 0, workers, lambda port: print(port, flush=True))
    report_cpu()


class _Logger(asyncio.Protocol):
    """One simulated data logger: sends a packet, waits for its acknowledgement, sends the next."""

    def __init__(self, frames: list[bytes], deadline: float, latencies: list[float], done: asyncio.Future[None]):
        self.frames, self.deadline, self.latencies, self.done = frames, deadline, latencies, done
        self.index = 0
        self.buffer = b""
        self.sent_at = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        acks = self.buffer.count(b"\r\n")
        if not acks:
            return
        self.buffer = self.buffer[self.buffer.rfind(b"\r\n") + 2 :]
        now = time.perf_counter()
        for _ in range(acks):
            self.latencies.append((now - self.sent_at) * 1000)
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def _send(self) -> None:
        assert self.transport is not None
        now = time.perf_counter()
        if now > self.deadline or self.index >= len(self.frames):
            self.transport.close()
            return
        self.sent_at = now
        self.transport.write(self.frames[self.index])
        self.index += 1


async def load(port: int, prepared: list[list[bytes]], seconds: float) -> tuple[list[float], float]:
    """Connections sending packets back to back until `seconds` pass; ack latencies (ms) and elapsed seconds."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    start = time.perf_counter()
    deadline = start + seconds
    waits = []
    for frames_of_device in prepared:
        done: asyncio.Future[None] = loop.create_future()
        await loop.create_connection(
            lambda f=frames_of_device, d=done: _Logger(f, deadline, latencies, d), "127.0.0.1", port
        )
        waits.append(done)
    await asyncio.gather(*waits)
    return latencies, time.perf_counter() - start


def run(
    store: str,
    naive: bool,
    prepared: list[list[bytes]],
    seconds: float,
    workers: int,
    database_cpu: Callable[[], tuple[float, float]] | None = None,
) -> dict[str, float]:
    """One run against the hot store at `store`; `database_cpu` gives PostgreSQL's CPU seconds so far."""
    from ecoloop.readings.store import HotStore

    with tempfile.TemporaryDirectory() as tmp:
        cpu_file = os.path.join(tmp, "receiver.cpu")
        db_before = database_cpu() if database_cpu else (0.0, 0.0)
        command = [sys.executable, __file__, "--serve", store, "--cpu-file", cpu_file, "--workers", str(workers)]
        proc = subprocess.Popen(command + (["--naive"] if naive else []), stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        try:
            clients_cpu = time.process_time()
            latencies, elapsed = uvloop.run(load(port, prepared, seconds))
            clients_cpu = time.process_time() - clients_cpu
        finally:
            proc.terminate()
            proc.wait(10)
            proc.stdout.close()
        user, system = map(float, Path(cpu_file).read_text().split())
        time.sleep(0.5)  # the receiver's PostgreSQL sessions end and their CPU is counted
        db_after = database_cpu() if database_cpu else (0.0, 0.0)
        if store.startswith("postgresql"):
            hot = HotStore(store)
            stored = hot.hot_table().num_rows
            hot.close()
        else:
            stored = sqlite3.connect(store).execute("SELECT count(*) FROM readings").fetchone()[0]
    latencies.sort()
    acked = max(len(latencies), 1)
    return {
        "packets_per_s": len(latencies) / elapsed,
        "p99_ack_ms": latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
        "median_ack_ms": statistics.median(latencies) if latencies else float("nan"),
        "acked": len(latencies),
        "readings_stored": stored,
        "server_user_us_per_packet": user / acked * 1e6,
        "server_system_us_per_packet": system / acked * 1e6,
        "database_user_us_per_packet": (db_after[0] - db_before[0]) / acked * 1e6,
        "database_system_us_per_packet": (db_after[1] - db_before[1]) / acked * 1e6,
        "clients_us_per_packet": clients_cpu / acked * 1e6,
    }


def cluster_cpu(url: str) -> Callable[[], tuple[float, float]]:
    """A reader of the CPU seconds (user, system) a local PostgreSQL cluster has used: the postmaster, its live
    processes and the ended ones it reaped (from /proc)."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        row = conn.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'").fetchone()
    assert row is not None
    status = Path(f"/proc/{row[0]}/status").read_text()
    postmaster = int(next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1])
    tick = os.sysconf("SC_CLK_TCK")

    def fields(pid: int | str) -> list[int]:
        text = Path(f"/proc/{pid}/stat").read_text()
        return [int(f) for f in text[text.rindex(")") + 2 :].split()[11:15]]  # utime stime cutime cstime

    def read() -> tuple[float, float]:
        utime, stime, cutime, cstime = fields(postmaster)
        user, system = utime + cutime, stime + cstime
        for child in Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split():
            try:
                child_fields = fields(child)
            except FileNotFoundError:  # ended meanwhile
                continue
            user, system = user + child_fields[0], system + child_fields[1]
        return user / tick, system / tick

    return read


def report(name: str, grouped: dict[str, float], naive: dict[str, float]) -> None:
    database = ""
    if grouped["database_user_us_per_packet"]:
        database = (
            f" + PostgreSQL {grouped['database_user_us_per_packet']:.0f} µs user + "
            f"{grouped['database_system_us_per_packet']:.0f} µs system"
        )
    print(
        f"{name} group commit: {grouped['packets_per_s']:.0f} packets/s, p99 ack {grouped['p99_ack_ms']:.1f} ms, "
        f"{grouped['readings_stored']:,} readings for {grouped['acked']:,} acked packets, "
        f"server CPU per packet {grouped['server_user_us_per_packet']:.0f} µs user + "
        f"{grouped['server_system_us_per_packet']:.0f} µs system{database}; "
        f"the clients {grouped['clients_us_per_packet']:.0f} µs"
    )
    print(
        f"{name} naive (one commit per packet): {naive['packets_per_s']:.0f} packets/s, "
        f"p99 ack {naive['p99_ack_ms']:.1f} ms"
    )
    print(f"{name} ratio: {grouped['packets_per_s'] / naive['packets_per_s']:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--per-device", type=int, help="distinct packets per connection (default: enough for 30,000/s)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--cpu-file", help=argparse.SUPPRESS)
    parser.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help="receiver processes (default: 2, one per core)")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.cpu_file, args.naive, args.workers)
        return
    # One descriptor per connection on this side too: `--connections 2000` needs more than the usual soft limit
    # of 1,024 (the receiver raises its own in `run()`).
    raise_open_files_limit()
    per_device = args.per_device or int(30_000 * args.seconds / args.connections) + 1
    t0 = time.perf_counter()
    prepared = [list(frames(i, per_device)) for i in range(args.connections)]
    print(f"prepared {args.connections * per_device:,} frames in {time.perf_counter() - t0:.1f} s")
    summary: dict[str, object] = {}
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            grouped = run(os.path.join(tmp, "grouped.sqlite"), False, prepared, args.seconds, args.workers)
            naive = run(os.path.join(tmp, "naive.sqlite"), True, prepared, args.seconds, args.workers)
        report("SQLite", grouped, naive)
        summary |= {
            "packets_per_s": round(grouped["packets_per_s"]),
            "p99_ack_ms": round(grouped["p99_ack_ms"], 1),
            "baseline_packets_per_s": round(naive["packets_per_s"]),
            "ratio_vs_baseline": round(grouped["packets_per_s"] / naive["packets_per_s"], 1),
        }
    if args.store in ("postgresql", "both"):
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.pg import fresh_schema, postgres_cluster

        with postgres_cluster(durable=True) as url:
            cpu = cluster_cpu(url)
            with fresh_schema(url) as store:
                grouped = run(store, False, prepared, args.seconds, args.workers, cpu)
            with fresh_schema(url) as store:
                naive = run(store, True, prepared, args.seconds, args.workers, cpu)
        report("PostgreSQL", grouped, naive)
        summary |= {
            "postgresql_packets_per_s": round(grouped["packets_per_s"]),
            "postgresql_p99_ack_ms": round(grouped["p99_ack_ms"], 1),
            "postgresql_baseline_packets_per_s": round(naive["packets_per_s"]),
            "postgresql_ratio_vs_baseline": round(grouped["packets_per_s"] / naive["packets_per_s"], 1),
        }
    summary["connections"] = args.connections
    if args.store in ("sqlite", "both"):
        summary["store"] = "sqlite-wal-full"
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
