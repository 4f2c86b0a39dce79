"""End to end: a data logger's hourly packet over HJ 212 with SO2 above its permit limit reaches the real
receiver, the alert engine raises the alert, and it appears on the analyst's open alert board in Chromium
without a reload (server-sent events)."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoloop.db.engine import make_engine
from ecoloop.enterprises.models import Outlet, OutletLimit
from ecoloop.ingest.hj212 import encode
from ecoloop.monitoring.models import Device
from tests.e2e.conftest import ECOLOOP, Demo, _free_port
from tests.e2e.test_login import DEMO_PASSWORD, sign_in

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def pipeline(demo_city: Demo, live_server: str) -> Iterator[int]:
    """The HJ 212 receiver and the alert engine on the demo city beside the web server; yields the receiver's port."""
    port = _free_port()
    env = demo_city.env | {"ECOLOOP_HJ212_PORT": str(port)}
    logs = [(demo_city.directory / f"{name}.log").open("wb") for name in ("receiver", "alerts")]
    receiver = subprocess.Popen(
        [str(ECOLOOP), "hj212", "serve"], cwd=demo_city.directory, env=env, stdout=logs[0], stderr=subprocess.STDOUT
    )
    engine = subprocess.Popen(
        [str(ECOLOOP), "alerts", "run", "--poll", "0.2", "--sweep", "3600"],
        cwd=demo_city.directory,
        env=env,
        stdout=logs[1],
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, receiver)
        yield port
    finally:
        for process in (engine, receiver):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            pytest.fail(f"the receiver exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            subprocess.run(["sleep", "0.05"], check=True)
    pytest.fail("the receiver did not listen")


def _outlet_with_limit(database: Path) -> tuple[int, str, str, str, float, float | None]:
    """A demo outlet with an hourly limit: site, its logger's MN and password, pollutant, limit, reference O2."""
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            site, mn, password, pollutant, limit, o2 = conn.execute(
                select(
                    Outlet.site_id,
                    Device.mn,
                    Device.password,
                    OutletLimit.pollutant,
                    OutletLimit.limit_value,
                    OutletLimit.reference_o2,
                )
                .join(Outlet, Outlet.id == OutletLimit.outlet_id)
                .join(Device, Device.site_id == Outlet.site_id)
                .where(OutletLimit.averaging == "hour", Device.crc_mode == "hj212")
                .order_by(Outlet.site_id.desc())  # not the outlet other browser tests look at
                .limit(1)
            ).one()
    finally:
        engine.dispose()
    return site, mn, password, pollutant, float(limit), None if o2 is None else float(o2)


def test_a_packet_over_hj212_shows_its_alert_on_the_live_board(
    page: Page, live_server: str, demo_city: Demo, pipeline: int, artifacts: Path
) -> None:
    site, mn, password, pollutant, limit, o2 = _outlet_with_limit(demo_city.directory / "ecoloop.sqlite")
    sign_in(page, live_server, "analyst", DEMO_PASSWORD)
    page.goto(f"{live_server}/alerts")
    row = page.locator(f'#alert-list [data-site-id="{site}"][data-kind="source_exceedance"]')
    expect(row).to_have_count(0)
    page.wait_for_timeout(500)  # the board's event stream is open

    hour = (datetime.now(TZ) - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    cp = {"DataTime": hour.strftime("%Y%m%d%H%M%S"), f"{pollutant}-Avg": f"{limit * 3:.2f}", f"{pollutant}-Flag": "N"}
    if o2 is not None:
        cp |= {"a19001-Avg": f"{o2:.1f}", "a19001-Flag": "N"}
    frame = encode(
        {
            "QN": hour.strftime("%Y%m%d%H%M%S") + "001",
            "ST": "31",
            "CN": "2061",
            "PW": password,
            "MN": mn,
            "Flag": 5,
            "CP": cp,
        }
    )
    with socket.create_connection(("127.0.0.1", pipeline), timeout=5) as conn:
        conn.sendall(frame)
        ack = conn.recv(4096)
    assert b"CN=9014" in ack, ack

    expect(row).to_have_count(1, timeout=15_000)  # pushed to the open page: no reload
    page.screenshot(path=str(artifacts / "alerts-live-board.png"), full_page=True)
    row.first.locator("a").first.click()
    expect(page.locator("body")).to_contain_text(f"{limit * 3:g}")
