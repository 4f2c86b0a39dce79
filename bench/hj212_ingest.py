"""Benchmark of the HJ 212 receiver: concurrent data loggers sending hourly and minute packets, ack required.

The receiver runs in a subprocess on the embedded hot store (SQLite, WAL, synchronous=FULL) with group commit;
the naive baseline is the same receiver committing one transaction per packet. Clients are asyncio connections
in this process, each sending its next packet when the previous one is acknowledged (so every counted packet is
acknowledged, hence durable). Both share the machine's two cores.

Run: `uv run python bench/hj212_ingest.py [--connections 200] [--seconds 10]`. The last line is JSON.
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
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import uvloop

from ecoloop.ingest.hj212 import crc16

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


def serve(store: str, naive: bool, workers: int) -> None:
    """Run the receiver (subprocess entry) until SIGTERM, then write the CPU seconds it used to `store.cpu`."""
    from ecoloop.ingest.server import DeviceDirectory, DeviceEntry, Receiver, serve_workers
    from ecoloop.ingest.store import HotStore

    devices = {f"BENCH{i:06d}": DeviceEntry(f"BENCH{i:06d}", "123456", i + 1) for i in range(10_000)}

    def make() -> Receiver:
        return Receiver(
            HotStore(Path(store)), DeviceDirectory(lambda: devices), ZoneInfo("Asia/Shanghai"), group_commit=not naive
        )

    def report_cpu(*_: object) -> None:
        usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        Path(store + ".cpu").write_text(f"{sum(u.ru_utime for u in usage)} {sum(u.ru_stime for u in usage)}")
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


def run(naive: bool, prepared: list[list[bytes]], seconds: float, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "hot.sqlite")
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", store, "--workers", str(workers)] + (["--naive"] if naive else []),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        try:
            latencies, elapsed = uvloop.run(load(port, prepared, seconds))
        finally:
            proc.terminate()
            proc.wait(10)
            proc.stdout.close()
        stored = sqlite3.connect(store).execute("SELECT count(*) FROM readings").fetchone()[0]
        user, system = map(float, Path(store + ".cpu").read_text().split())
    latencies.sort()
    return {
        "packets_per_s": len(latencies) / elapsed,
        "p99_ack_ms": latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
        "median_ack_ms": statistics.median(latencies) if latencies else float("nan"),
        "acked": len(latencies),
        "readings_stored": stored,
        "server_user_us_per_packet": user / max(len(latencies), 1) * 1e6,
        "server_system_us_per_packet": system / max(len(latencies), 1) * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--per-device", type=int, help="distinct packets per connection (default: enough for 30,000/s)")
    parser.add_argument("--serve")
    parser.add_argument("--naive", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="receiver processes (default: 2, one per core)")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.naive, args.workers)
        return
    per_device = args.per_device or int(30_000 * args.seconds / args.connections) + 1
    t0 = time.perf_counter()
    prepared = [list(frames(i, per_device)) for i in range(args.connections)]
    print(f"prepared {args.connections * per_device:,} frames in {time.perf_counter() - t0:.1f} s")
    grouped = run(False, prepared, args.seconds, args.workers)
    print(
        f"group commit: {grouped['packets_per_s']:.0f} packets/s, p99 ack {grouped['p99_ack_ms']:.1f} ms, "
        f"{grouped['readings_stored']:,} readings for {grouped['acked']:,} acked packets, "
        f"server CPU per packet {grouped['server_user_us_per_packet']:.0f} µs user + "
        f"{grouped['server_system_us_per_packet']:.0f} µs system"
    )
    naive = run(True, prepared, args.seconds, args.workers)
    print(
        f"naive (one commit per packet): {naive['packets_per_s']:.0f} packets/s, p99 ack {naive['p99_ack_ms']:.1f} ms"
    )
    ratio = grouped["packets_per_s"] / naive["packets_per_s"]
    print(f"ratio: {ratio:.1f}x")
    print(
        json.dumps(
            {
                "packets_per_s": round(grouped["packets_per_s"]),
                "p99_ack_ms": round(grouped["p99_ack_ms"], 1),
                "baseline_packets_per_s": round(naive["packets_per_s"]),
                "ratio_vs_baseline": round(ratio, 1),
                "connections": args.connections,
                "store": "sqlite-wal-full",
            }
        )
    )


if __name__ == "__main__":
    main()
