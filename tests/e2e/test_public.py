"""The public page in Chromium, without signing in, on a phone-sized screen: each station's AQI and the daily
report's city AQI and the water sections' classes as the results engine stored them; the map drawn; a screenshot
for docs/screens."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from ecoloop.db.engine import make_engine
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from tests.e2e.air_results import AirResults, air_results  # noqa: F401  # the package's computed results
from tests.e2e.test_screen import SCREENS
from tests.e2e.water_results import water_results  # noqa: F401  # the sections' kept months

pytestmark = pytest.mark.e2e


def water_names(results: AirResults) -> dict[int, str]:
    """The demo's water sections' names by site id."""
    engine = make_engine(results.settings.database_url)
    try:
        with engine.connect() as connection:
            stmt = select(Site.id, Site.name).where(Site.kind == SiteKind.WATER_STATION)
            return {site_id: name for site_id, name in connection.execute(stmt)}
    finally:
        engine.dispose()


def test_the_public_page_shows_the_stored_aqi_without_signing_in(
    browser: Browser,
    live_server: str,
    air_results: AirResults,  # noqa: F811
    water_results: list[dict[str, Any]],  # noqa: F811
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 412, "height": 915}, is_mobile=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/public")

        expect(page).to_have_url(f"{live_server}/public")  # no sign-in asked
        expect(page.locator("h1")).to_contain_text("清源市")
        for name in ("东四站", "定陵站"):
            stored = air_results.newest_hour(air_results.stations[name])
            row = page.locator(f"table.stations tr[data-station='{name}']")
            expect(row.locator(".aqi")).to_have_text(str(stored["aqi"]))
            expect(row.locator(".aqi")).to_have_class(f"aqi aqi-{stored['level']}")
            expect(row).to_contain_text(stored["hour_start"].strftime("%H:00"))
        city = air_results.day_area(air_results.regions["清源市"], air_results.yesterday)
        expect(page.locator(".city-report .aqi")).to_have_text(str(city["aqi"]))
        county = air_results.day_area(air_results.regions["临河县"], air_results.yesterday)
        expect(page.locator("table.parts tr[data-part='临河县'] .aqi")).to_have_text(str(county["aqi"]))
        expect(page.locator("[data-chart=public-map][data-chart-drawn=yes]")).to_have_count(1)
        expect(page.locator("[data-chart=public-trend][data-chart-drawn=yes]")).to_have_count(1)
        # The water sections' classes: the kept class of the latest month with results.
        kept = water_results
        names = water_names(air_results)
        month = kept[0]["month"].strftime("%Y-%m")
        for row in kept:
            cell = page.locator(
                f"table.water-months tr[data-section='{names[row['site_id']]}'] td[data-month='{month}']"
            )
            expect(cell.locator(".badge")).to_have_attribute("data-grade", row["grade"])
        page.wait_for_timeout(500)
        page.screenshot(path=SCREENS / "public.png", full_page=True)
    finally:
        context.close()
