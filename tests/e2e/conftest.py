"""Browser tests: the demo city served by `ecoloop serve` in a subprocess, driven by headless Chromium.

The server is a real process on a free port with its own SQLite and DuckDB files, loaded by
`ecoloop demo --no-serve`; the browser is the system Chromium driven by Playwright's sync API
(no `playwright install`). When a test fails, the server's log is added to its report.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ECOLOOP = Path(sys.executable).parent / "ecoloop"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_TIMEOUT = 180  # seconds for migrating and loading the demo city, its recent history and results
HISTORY_DAYS = 35
START_TIMEOUT = 20  # seconds for the server to answer /healthz
LOG_LINES = 200  # lines of the server's log shown with a failure
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


SERVER_LOG = pytest.StashKey[Path]()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(tmp: Path, port: int) -> dict[str, str]:
    """The parent's environment without any ECOLOOP_* setting, plus the test server's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOLOOP_")}
    env.update(
        ECOLOOP_DATABASE_URL=f"sqlite:///{tmp / 'ecoloop.sqlite'}",
        ECOLOOP_ANALYTICS_URL=f"duckdb:///{tmp / 'analytics.duckdb'}",
        ECOLOOP_DATA_DIR=str(tmp),
        ECOLOOP_HOST="127.0.0.1",
        ECOLOOP_PORT=str(port),
    )
    return env


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@dataclass(frozen=True)
class Demo:
    """The demo city's data directory and the environment every process of the test server runs with."""

    directory: Path
    env: dict[str, str]
    port: int


@pytest.fixture(scope="package")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo city loaded by `ecoloop demo --no-serve` into a temp data directory, with the last 35 days of its
    history and their results (AQI, water classes, noise, source compliance)."""
    assert ECOLOOP.exists(), f"console script not found at {ECOLOOP}; run the tests with `uv run`"
    tmp = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    env = _server_env(tmp, port)
    # The working directory is the temp dir, so that no `.env` of a developer's checkout is read.
    demo = subprocess.run(
        [str(ECOLOOP), "demo", "--no-serve", "--history-days", str(HISTORY_DAYS)],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT,
        check=False,
    )
    if demo.returncode != 0:
        pytest.fail(f"`ecoloop demo --no-serve` exited {demo.returncode}:\n{demo.stdout}\n{demo.stderr}")
    return Demo(tmp, env, port)


@pytest.fixture(scope="package")
def live_server(demo_city: Demo, request: pytest.FixtureRequest) -> Iterator[str]:
    """The base URL of `ecoloop serve` running on the demo city in a subprocess."""
    tmp, env, port = demo_city.directory, demo_city.env, demo_city.port
    log_path = tmp / "server.log"
    request.config.stash[SERVER_LOG] = log_path
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        server = subprocess.Popen([str(ECOLOOP), "serve"], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(url):
            if server.poll() is not None:
                pytest.fail(f"`ecoloop serve` exited {server.returncode}:\n{log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`ecoloop serve` did not answer {url}/healthz within {START_TIMEOUT} s:\n"
                    f"{log_path.read_text(errors='replace')}"
                )
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, object, object]:
    """Attach the server's log to the report of a failed browser test."""
    report = yield
    log_path = item.config.stash.get(SERVER_LOG, None)
    if isinstance(report, pytest.TestReport) and report.failed and log_path is not None and log_path.exists():
        tail = log_path.read_text(errors="replace").splitlines()[-LOG_LINES:]
        report.sections.append(("ecoloop serve log", "\n".join(tail)))
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless system Chromium, stopped when the browser tests are done.

    Package scope, not session: while Playwright's sync API is started, the asyncio loop it runs
    in greenlets counts as the thread's running loop, which breaks the async tests that follow.
    """
    assert CHROMIUM.exists(), f"Chromium not found at {CHROMIUM}; see ../shared/STACK.md"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) with a Chinese-language browser."""
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A tab in a fresh browser profile."""
    return context.new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The git-ignored directory for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
