"""The public page in Chromium, without signing in, on a phone-sized screen: each station's AQI and the daily
report's city AQI as the results engine stored them; the map drawn; a screenshot for docs/screens."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.air_results import AirResults, air_results  # noqa: F401  # the package's computed results
from tests.e2e.test_screen import SCREENS

pytestmark = pytest.mark.e2e


def test_the_public_page_shows_the_stored_aqi_without_signing_in(
    browser: Browser,
    live_server: str,
    air_results: AirResults,  # noqa: F811
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
        page.wait_for_timeout(500)
        page.screenshot(path=SCREENS / "public.png", full_page=True)
    finally:
        context.close()
