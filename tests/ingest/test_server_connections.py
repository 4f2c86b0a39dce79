"""The HJ 212 receiver holding thousands of logger connections open at once (issue 4)."""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecoloop.ingest.hj212 import encode, parse
from ecoloop.readings.store import HotStore

CONNECTIONS = 2_000
PASSWORD = "100000"

# The receiver process, as `hj212 serve` runs it (`serve_workers` → `run()`, uvloop), with a register of
# CONNECTIONS + 1 devices. It starts with the soft limit of open files most systems give (1,024), too low for
# 2,000 connections, so the test also shows that `run()` raises it. It prints its port and the soft limit in force.
SERVE = """
import resource, sys
from zoneinfo import ZoneInfo
from ecoloop.ingest.devices import DeviceDirectory, DeviceEntry
from ecoloop.ingest.server import Receiver, serve_workers
from ecoloop.readings.store import HotStore

hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
devices = {f"CONN{n:06d}": DeviceEntry(f"CONN{n:06d}", "100000", n + 1) for n in range(int(sys.argv[2]))}

def make():
    # 2,000 loggers behind one address (as behind a carrier's NAT) that all connect before any sends: more than
    # the default limit of unauthenticated connections per address, which such a deployment raises.
    return Receiver(
        HotStore(sys.argv[1]), DeviceDirectory(lambda: devices), ZoneInfo("Asia/Shanghai"), unauthenticated_per_ip=None
    )

def ready(port):
    print(port, resource.getrlimit(resource.RLIMIT_NOFILE)[0], flush=True)

serve_workers(make, "127.0.0.1", 0, 1, ready)
"""


def mn(n: int) -> str:
    """The MN of device `n` of the receiver's register (`SERVE`)."""
    return f"CONN{n:06d}"


def upload(n: int) -> bytes:
    """Device `n`'s hourly (2061) upload of two pollutants, asking for an acknowledgement (Flag A=1)."""
    return encode(
        {
            "QN": f"20261122080000{n % 1000:03d}",
            "ST": "22",
            "CN": "2061",
            "PW": PASSWORD,
            "MN": mn(n),
            "Flag": 5,
            "CP": {
                "DataTime": "20261122080000",
                "a34004-Avg": f"{n % 500}.5",
                "a34004-Flag": "N",
                "a21026-Avg": "8.5",
                "a21026-Flag": "N",
            },
        }
    )


@pytest.fixture
def open_files() -> Iterator[None]:
    """Room for this process's end of the connections (and the receiver's, which inherits the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 5_000:
        pytest.skip(f"the hard limit of open files is {hard}; {CONNECTIONS:,} connections need at least 5,000")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture
def receiver(tmp_path: Path, open_files: None) -> Iterator[tuple[int, int, Path]]:
    """A receiver process on a free port: its port, its soft limit of open files once serving, its hot store."""
    hot = tmp_path / "hot.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(hot), str(CONNECTIONS + 1)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    try:
        port, limit = map(int, proc.stdout.readline().split())
        yield port, limit, hot
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


async def test_two_thousand_connections_held_open_at_once(receiver: tuple[int, int, Path]) -> None:
    port, limit, hot = receiver
    assert limit == resource.getrlimit(resource.RLIMIT_NOFILE)[1]  # run() raised the receiver's soft limit
    connections = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(CONNECTIONS)))

    async def exchange(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> str | None:
        writer.write(upload(n))
        ack = parse(await reader.readuntil(b"\r\n"))
        assert (ack.cn, ack.mn) == ("9014", mn(n))
        return ack.qn

    try:
        # Every connection is open before any sends, so the receiver holds all of them while it answers.
        qns = await asyncio.wait_for(
            asyncio.gather(*(exchange(n, r, w) for n, (r, w) in enumerate(connections))), timeout=60
        )
        assert qns == [f"20261122080000{n % 1000:03d}" for n in range(CONNECTIONS)]
        # With the 2,000 open and idle, a new logger connects and is served.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(upload(CONNECTIONS))
        assert parse(await asyncio.wait_for(reader.readuntil(b"\r\n"), 10)).mn == mn(CONNECTIONS)
        writer.close()
        await writer.wait_closed()
        assert not any(r.at_eof() for r, _w in connections)  # none of the idle ones was dropped
    finally:
        for _r, w in connections:
            w.close()
        await asyncio.gather(*(w.wait_closed() for _r, w in connections), return_exceptions=True)
    store = HotStore(hot)
    try:
        rows = store.hot_table().to_pylist()
        assert store.packet_counts() == {("stored", None): CONNECTIONS + 1}
    finally:
        store.close()
    # Every reading exactly once: two per device, for the devices 1..2,001.
    assert len(rows) == 2 * (CONNECTIONS + 1)
    assert len({(r["site_id"], r["parameter"], r["time"]) for r in rows}) == len(rows)
    assert {r["site_id"] for r in rows} == set(range(1, CONNECTIONS + 2))
