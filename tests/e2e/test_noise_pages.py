"""The noise pages in Chromium: the demo's noise points with the hours their loggers send (the demo's history),
their days computed by the results job into the demo's data directory, then /noise and a station's page, whose
numbers must be the stored results; screenshots docs/screens/noise.png and noise-station.png."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoloop.analytics.sites import StoredReadings
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.demo.history import noise_readings
from ecoloop.demo.service import demo_fixture
from ecoloop.monitoring.models import Site
from ecoloop.readings.parquet import merge_into_parquet
from ecoloop.readings.store import open_hot_store
from ecoloop.results import store
from ecoloop.results.noise import NOISE_DAY, NoiseComputation
from ecoloop.results.service import compute_days
from ecoloop.settings import Settings
from tests.conftest import make_settings
from tests.e2e.conftest import Demo
from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
STATION = "noise-371802001000"  # 湖滨花园居住区噪声点: zone 1 beside a building site, above its limits


def computed(demo: Demo) -> tuple[Settings, dict[date, dict[str, object]], int]:
    """The demo's noise points given the last 35 days of their loggers' hours, and their days computed; the
    station's kept rows by day, and its id."""
    settings = make_settings(demo.directory)
    now = datetime.now(UTC)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            ids = {code: site_id for code, site_id in session.execute(select(Site.code, Site.id))}
            merge_into_parquet(
                noise_readings(demo_fixture()["sites"], ids, now - timedelta(days=35), now, settings.tz),
                settings.parquet_root,
            )
            hot = open_hot_store(settings)
            try:
                today = now.astimezone(settings.tz).date()
                days = [today - timedelta(days=n) for n in range(35)]
                stored = StoredReadings.of(hot, settings)
                compute_days(session, stored, settings.results_root, days, settings.tz, (NoiseComputation(),))
            finally:
                hot.close()
    finally:
        engine.dispose()
    today = now.astimezone(settings.tz).date()
    rows = store.read_partition(settings.results_root, NOISE_DAY, NOISE_DAY.key(today))
    assert rows is not None
    kept = {r["day"]: r for r in rows.to_pylist() if r["site_id"] == ids[STATION]}
    return settings, kept, ids[STATION]


def test_the_noise_month_and_a_station_show_the_stored_results(
    page: Page, live_server: str, demo_city: Demo, artifacts: Path
) -> None:
    _settings, kept, site_id = computed(demo_city)
    judged = [d for d in sorted(kept) if kept[d]["ld_exceeds"] is not None]
    assert judged, "no judged day this month"
    latest = max(d for d in kept if kept[d]["day_valid"] or kept[d]["night_valid"])

    sign_in(page, live_server, "analyst", DEMO_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="声环境").click()

    expect(page).to_have_url(f"{live_server}/noise")
    row = page.locator(f"table.noise-stations tr[data-site={STATION}]")
    expect(row).to_contain_text("1类声环境功能区")
    expect(row.locator("[data-level=ld]")).to_contain_text(_level(kept[latest]["ld"]))
    expect(row.locator("[data-level=ln]")).to_contain_text(_level(kept[latest]["ln"]))
    met = sum(kept[d]["ld_exceeds"] is False for d in judged)
    expect(row.locator("[data-rate=day]")).to_contain_text(f"{met}/{len(judged)}")

    page.set_viewport_size({"width": 1600, "height": 900})
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / "noise.png")
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/noise/stations/{site_id}\?month="))
    expect(page.locator("[data-chart=noise-days]")).to_have_attribute("data-chart-drawn", "yes")
    for day in judged:
        cells = page.locator(f"table.noise-days tr[data-day='{day.isoformat()}']")
        expect(cells.locator("[data-level=ld]")).to_contain_text(_level(kept[day]["ld"]))
        expect(cells).to_contain_text("超标" if kept[day]["ld_exceeds"] else "达标")

    page.screenshot(path=artifacts / "noise-station.png", full_page=True)
    # Two months of the station (the demo's history begins 35 days ago) for docs/screens/noise-station.png.
    page.locator("select[name=months]").select_option("3")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"months=3"))
    expect(page.locator("[data-chart=noise-days]")).to_have_attribute("data-chart-drawn", "yes")
    page.screenshot(path=SCREENS / "noise-station.png")


def _level(value: object) -> str:
    """A level as the pages write it: 0.1 dB, a dash when there is none (tonight's Ln before the night)."""
    if value is None:
        return "—"
    assert isinstance(value, float)
    return f"{value:.1f}"
