"""End to end: the demo's live alerts from its simulated loggers' packets. The demo city's air stations around the
planted hotspot send their hourly packets, replayed from the Beijing data, to the real HJ 212 receiver; the alert
engine judges them and the hotspot alert appears on the alert board in Chinese, on a page that says its data are
demo data. A water section's hour below its target class does the same."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoloop.alerts.rules import HotspotThresholds, StationHour, air_hotspots, distance_km
from ecoloop.db.engine import make_engine
from ecoloop.demo.service import demo_fixture
from ecoloop.demo.simulator import load_air_data
from ecoloop.demo.simulator.loggers import sim_device
from ecoloop.demo.simulator.profiles import SimDevice, Uploads, hour_stats, hour_values
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from tests.e2e.conftest import ECOLOOP, Demo, _free_port
from tests.e2e.test_login import DEMO_PASSWORD, sign_in

TZ = ZoneInfo("Asia/Shanghai")
HOTSPOT = "air-371802101000"  # the demo's planted hotspot (scripts/demo_geography.py)
WATER_SECTION = "wq-371881101000"  # 沙河 entering the city: class IV water against target III every hour
START_TIMEOUT = 90  # seconds for the receiver to listen on a busy machine


@pytest.fixture(scope="module")
def receiver(demo_city: Demo, live_server: str) -> Iterator[int]:
    """The HJ 212 receiver and the alert engine on the demo city beside the web server; yields the receiver's port."""
    port = _free_port()
    env = demo_city.env | {"ECOLOOP_HJ212_PORT": str(port)}
    logs = [(demo_city.directory / f"{name}.log").open("wb") for name in ("hotspot-receiver", "hotspot-alerts")]
    commands = (["hj212", "serve"], ["alerts", "run", "--poll", "0.2", "--sweep", "3600"])
    processes = [
        subprocess.Popen(
            [str(ECOLOOP), *command], cwd=demo_city.directory, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        for command, log in zip(commands, logs, strict=True)
    ]
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if processes[0].poll() is not None:
                pytest.fail(f"the receiver exited with {processes[0].returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("the receiver did not listen")
                time.sleep(0.1)
        yield port
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def _around_hotspot() -> list[tuple[str, SimDevice]]:
    """The planted hotspot and the air stations within the hotspot rule's radius, as the simulator runs them."""
    plans = {p["code"]: p for p in demo_fixture()["sites"]}
    centre = plans[HOTSPOT]
    radius = HotspotThresholds().radius_km
    return [
        (code, sim_device(p["device"]["mn"], p["device"]["password"], code, SiteKind.AIR_STATION, p))
        for code, p in plans.items()
        if p["kind"] == "air_station" and distance_km(centre["lon"], centre["lat"], p["lon"], p["lat"]) <= radius
    ]


def _planted_hour(devices: list[tuple[str, SimDevice]]) -> datetime:
    """The latest complete hour of the past day in which the replayed values make the planted station stand out
    (naive local time): the hour the test replays."""
    air = load_air_data()
    now = datetime.now(TZ).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    for back in range(1, 25):
        hour = now - timedelta(hours=back)
        stations = []
        for i, (_code, device) in enumerate(devices):
            stats = hour_stats(device, hour_values(device, hour, 0, air))
            stations.append(StationHour(i, 0, 0, {c: Decimal(f"{s.avg:.1f}") for c, s in stats.items()}))
        hotspot = next(i for i, (code, _d) in enumerate(devices) if code == HOTSPOT)
        if any(f.site_id == hotspot for f in air_hotspots(hour.replace(tzinfo=TZ), stations, HotspotThresholds())):
            return hour
    raise AssertionError("the planted hotspot stood out in no hour of the past day")


def _hourly_frame(device: SimDevice, hour: datetime) -> bytes:
    """The hourly upload (2061) of `hour` as the device's simulated logger sends it."""
    air = load_air_data()
    uploads = Uploads(device, hour + timedelta(minutes=59, seconds=59), air=air, realtime_seconds=0)
    return next(frame for due, _qn, frame in uploads if due.cn == "2061")


def _site_id(database: Path, code: str) -> int:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(Site.id).where(Site.code == code)).scalar_one())
    finally:
        engine.dispose()


def test_the_planted_hotspot_is_raised_from_replayed_data(
    page: Page,
    live_server: str,
    demo_city: Demo,
    receiver: int,
    artifacts: Path,
) -> None:
    devices = _around_hotspot()
    assert len(devices) > HotspotThresholds().min_neighbours
    hour = _planted_hour(devices)
    site = _site_id(demo_city.directory / "ecoloop.sqlite", HOTSPOT)
    sign_in(page, live_server, "analyst", DEMO_PASSWORD)
    page.goto(f"{live_server}/alerts")
    expect(page.locator(".demo-notice")).to_contain_text("演示数据")
    row = page.locator(f'#alert-list [data-site-id="{site}"][data-kind="air_hotspot"]')
    expect(row).to_have_count(0)

    with socket.create_connection(("127.0.0.1", receiver), timeout=10) as conn:
        for _code, device in devices:
            conn.sendall(_hourly_frame(device, hour))
            assert b"CN=9014" in conn.recv(4096)

    page.wait_for_timeout(500)
    expect(row).to_have_count(1, timeout=20_000)
    expect(row).to_contain_text("仁和镇空气自动站")
    page.screenshot(path=str(artifacts / "demo-hotspot.png"), full_page=True)
    row.first.locator("a").first.click()
    expect(page.locator("body")).to_contain_text("高值热点")
    expect(page.locator("body")).to_contain_text("千米内")


def test_a_water_section_below_its_target_is_raised_from_simulated_data(
    page: Page, live_server: str, demo_city: Demo, receiver: int
) -> None:
    plan = next(p for p in demo_fixture()["sites"] if p["code"] == WATER_SECTION)
    device = sim_device(
        plan["device"]["mn"], plan["device"]["password"], WATER_SECTION, SiteKind.WATER_STATION, plan, zone="III"
    )
    hour = datetime.now(TZ).replace(minute=0, second=0, microsecond=0, tzinfo=None) - timedelta(hours=1)
    site = _site_id(demo_city.directory / "ecoloop.sqlite", WATER_SECTION)
    with socket.create_connection(("127.0.0.1", receiver), timeout=10) as conn:
        conn.sendall(_hourly_frame(device, hour))
        assert b"CN=9014" in conn.recv(4096)
    sign_in(page, live_server, "analyst", DEMO_PASSWORD)
    page.goto(f"{live_server}/alerts")
    row = page.locator(f'#alert-list [data-site-id="{site}"][data-kind="water_below_target"]')
    expect(row).to_have_count(1, timeout=20_000)
    expect(row).to_contain_text("沙河太平入境断面")
