"""A throw-away PostgreSQL cluster from the Debian package, for the tests (initdb in a temp dir, loopback port)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found: run `make test`, which installs them")
    return Path(found[-1]).parent


@contextmanager
def postgres_cluster(durable: bool = False) -> Iterator[str]:
    """Start a cluster, yield its SQLAlchemy URL, stop and delete it afterwards.

    Tests trade durability for speed (no fsync); `durable` keeps PostgreSQL's defaults (fsync, synchronous
    commits, full-page writes), as a benchmark of durable writes needs."""
    bindir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="ecoloop-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    data, log = root / "data", root / "log"
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True)  # noqa: E731
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        opts = f"-h 127.0.0.1 -p {port} -k {root}"
        if not durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", opts, "start")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
            )
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A new schema in the database at `url`; yields a URL whose connections use it (their `search_path`), and
    drops it with everything in it afterwards."""
    import psycopg

    libpq_url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(libpq_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
