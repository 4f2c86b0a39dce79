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
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from ecoloop.ingest.hj212 import encode

POLLUTANTS = ("a34004", "a34002", "a21026", "a21004", "a21005", "a05024", "a01001", "a01002")


def frames(device: int, count: int) -> Iterator[bytes]:
    """`count` distinct packets of one device, alternating hourly (2061) and minute (2051) data, 8 pollutants."""
    for n in range(count):
        cn = "2061" if n % 2 == 0 else "2051"
        stamp = f"2026{(n // 1440) % 12 + 1:02d}{(n // 60) % 28 + 1:02d}{(n // 60) % 24:02d}{n % 60:02d}00"
        cp = {"DataTime": stamp}
        for i, code in enumerate(POLLUTANTS):
            cp[f"{code}-Avg"] = f"{(device * 7 + n * 3 + i) % 500 / 10:.1f}"
            cp[f"{code}-Flag"] = "N"
        header = {"QN": f"{stamp}{n % 1000:03d}", "ST": "22", "CN": cn, "PW": "123456", "MN": f"BENCH{device:06d}"}
        yield encode({**header, "Flag": 5, "CP": cp})


def serve(store: str, naive: bool) -> None:
    """Run the receiver (subprocess entry)."""
    from ecoloop.ingest.server import DeviceDirectory, DeviceEntry, Receiver, serve_forever
    from ecoloop.ingest.store import HotStore

    devices = {f"BENCH{i:06d}": DeviceEntry(f"BENCH{i:06d}", "123456", i + 1) for i in range(10_000)}
    receiver = Receiver(
        HotStore(Path(store)), DeviceDirectory(lambda: devices), ZoneInfo("Asia/Shanghai"), group_commit=not naive
    )
    asyncio.run(serve_forever(receiver, "127.0.0.1", 0, lambda port: print(port, flush=True)))


async def load(port: int, connections: int, seconds: float, per_device: int) -> tuple[int, list[float]]:
    """Connections sending packets back to back until `seconds` pass; acked packets and ack latencies (ms).

    The frames are encoded before the clock starts, so the client's CPU goes to the sockets, not to encoding.
    """
    t0 = time.perf_counter()
    prepared = [list(frames(i, per_device)) for i in range(connections)]
    _ENCODE_SECONDS[0] = time.perf_counter() - t0
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    acked = 0

    async def device(index: int) -> None:
        nonlocal acked
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for frame in prepared[index]:
            if time.perf_counter() > deadline:
                break
            start = time.perf_counter()
            writer.write(frame)
            await reader.readuntil(b"\r\n")
            latencies.append((time.perf_counter() - start) * 1000)
            acked += 1
        writer.close()

    await asyncio.gather(*(device(i) for i in range(connections)))
    return acked, latencies


def run(naive: bool, connections: int, seconds: float, per_device: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "hot.sqlite")
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", store] + (["--naive"] if naive else []),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        try:
            acked, latencies, elapsed = asyncio.run(_timed(port, connections, seconds, per_device))
        finally:
            proc.terminate()
            proc.wait(10)
            proc.stdout.close()
        import sqlite3

        stored = sqlite3.connect(store).execute("SELECT count(*) FROM readings").fetchone()[0]
    latencies.sort()
    return {
        "packets_per_s": acked / elapsed,
        "p99_ack_ms": latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
        "median_ack_ms": statistics.median(latencies) if latencies else float("nan"),
        "acked": acked,
        "readings_stored": stored,
    }


async def _timed(port: int, connections: int, seconds: float, per_device: int) -> tuple[int, list[float], float]:
    t0 = time.perf_counter()
    task = load(port, connections, seconds, per_device)
    acked, latencies = await task
    # `load` encodes before its clock starts; measure from the first send: the sum of latencies per connection.
    return acked, latencies, max(time.perf_counter() - t0 - _ENCODE_SECONDS[0], 1e-9)


_ENCODE_SECONDS = [0.0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--per-device", type=int, default=300, help="distinct packets prepared per connection")
    parser.add_argument("--serve")
    parser.add_argument("--naive", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.naive)
        return
    grouped = run(False, args.connections, args.seconds, args.per_device)
    print(
        f"group commit: {grouped['packets_per_s']:.0f} packets/s, p99 ack {grouped['p99_ack_ms']:.1f} ms, "
        f"{grouped['readings_stored']:,} readings for {grouped['acked']:,} acked packets"
    )
    naive = run(True, args.connections, args.seconds, args.per_device)
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
