"""The overview screen in Chromium: the AQI of the city now and of each county yesterday as the results engine
stored them, the year to date and the water sections by class, the map drawn from our GeoJSON, a branch's county,
and the wall screen; screenshots for docs/screens."""

from __future__ import annotations

from typing import Any

import ibis
import pytest
from playwright.sync_api import Browser, Page, expect

from ecoloop.results import periods
from tests.e2e.air_results import AirResults, air_results  # noqa: F401  # the package's computed results
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_login import DEMO_PASSWORD, sign_in
from tests.e2e.water_results import water_results  # noqa: F401  # the sections' kept months

pytestmark = pytest.mark.e2e
SCREENS = ARTIFACTS.parent / "docs" / "screens"
COUNTIES = ("清源区", "临河县", "泉阳市")


def test_the_overview_shows_the_stored_aqi_of_the_city_and_its_counties(
    page: Page,
    live_server: str,
    air_results: AirResults,  # noqa: F811
    water_results: list[dict[str, Any]],  # noqa: F811
) -> None:
    sign_in(page, live_server, "leader", DEMO_PASSWORD)
    page.set_viewport_size({"width": 1600, "height": 900})
    page.get_by_role("navigation").get_by_role("link", name="综合态势").click()

    expect(page.locator("h1")).to_contain_text("综合态势")
    city = air_results.regions["清源市"]
    now = air_results.newest_area_hour(city)
    big = page.locator(".now .aqi-big")
    expect(big).to_have_text(str(now["aqi"]))
    expect(big).to_have_class(f"aqi aqi-{now['level']} aqi-big")
    expect(page.locator(".now")).to_contain_text(now["hour_start"].strftime("%H:00"))
    for name in COUNTIES:
        region = air_results.regions[name]
        stored = air_results.day_area(region, air_results.yesterday)
        row = page.locator(f"table.parts tr[data-part='{region}']")
        expect(row.locator("td.yesterday .aqi")).to_have_text(str(stored["aqi"]))
        expect(row.locator("td.yesterday .aqi")).to_have_class(f"aqi aqi-{stored['level']}")
    # The map is drawn from /maps/regions/{city}.geojson (no online tiles), and the 30-day trend.
    expect(page.locator("[data-chart=screen-map][data-chart-drawn=yes]")).to_have_count(1)
    expect(page.locator("[data-chart=screen-trend][data-chart-drawn=yes]")).to_have_count(1)
    top = page.locator("table.stations tbody tr").first
    site_id = int(top.get_attribute("data-site") or 0)
    expect(top.locator(".aqi")).to_have_text(str(air_results.newest_hour(site_id)["aqi"]))
    # The year to date of the city: the engine's period statistics over the stored daily results.
    con = ibis.duckdb.connect()
    try:
        ytd = periods.standard_period("ytd", air_results.yesterday)
        stats = periods.statistics(con, air_results.settings.results_root, "areas", ytd, [city])[city]
    finally:
        con.disconnect()
    expect(page.locator("section.year-to-date tr[data-ytd=good-ratio] td.figure")).to_have_text(f"{stats.good_ratio}%")
    expect(page.locator("section.year-to-date tr[data-ytd=pm25] td.figure")).to_have_text(str(stats.pm25))
    # The water sections by class: the kept classes of the latest month with water results.
    kept = water_results
    for grade in ("I", "II", "III", "IV", "V", "劣V"):
        count = sum(1 for r in kept if r["grade"] == grade)
        expect(page.locator(f".water-classes li[data-grade='{grade}'] .count")).to_have_text(str(count))
    page.wait_for_timeout(500)  # the charts' entry animation
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / "overview.png", full_page=True)  # with the panels below the fold


def test_a_county_screen_and_the_wall_screen(
    browser: Browser,
    live_server: str,
    air_results: AirResults,  # noqa: F811
    water_results: list[dict[str, Any]],  # noqa: F811
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server, "analyst", DEMO_PASSWORD)
        county = air_results.regions["清源区"]
        page.goto(f"{live_server}/screen")
        page.locator(f"table.parts tr[data-part='{county}'] a").click()

        expect(page.locator("h1")).to_contain_text("清源区")
        today = air_results.day_area(county, air_results.today)
        # Today so far has a daily AQI once 20 hours are in (GB 3095 Table 4): before, the screen shows "—".
        shown = "—" if today["aqi"] is None else str(today["aqi"])
        expect(page.locator(".now .today-so-far .aqi")).to_have_text(shown)

        page.goto(f"{live_server}/screen?wall=1")
        expect(page.locator("body.wall main[data-refresh]")).to_have_count(1)
        expect(page.locator("nav.menu")).to_have_count(0)
        expect(page.locator("[data-chart=screen-map][data-chart-drawn=yes]")).to_have_count(1)
        expect(page.locator("[data-chart=screen-trend][data-chart-drawn=yes]")).to_have_count(1)
        city = air_results.regions["清源市"]
        expect(page.locator(".now .aqi-big")).to_have_text(str(air_results.newest_area_hour(city)["aqi"]))
        worse = sum(1 for r in water_results if r["grade"] in ("IV", "V", "劣V"))
        counts = page.locator(".water-classes li[data-grade] .count").all_text_contents()
        assert sum(int(n) for n in counts[3:]) == worse
        for panel in page.locator(".wall-screen .panel").all():  # every panel within the 16:9 screen
            box = panel.bounding_box()
            assert box is not None and box["y"] + box["height"] <= 900 + 1
        # The stations' panel is not pushed out of sight: its rows are inside it.
        stations = page.locator(".wall-screen .panel", has=page.locator("table.stations")).bounding_box()
        last = page.locator(".wall-screen table.stations tbody tr").last.bounding_box()
        assert stations is not None and last is not None
        assert last["y"] + last["height"] <= stations["y"] + stations["height"]
        page.wait_for_timeout(500)
        page.screenshot(path=SCREENS / "overview-wall.png")
    finally:
        context.close()


def test_a_branch_sees_its_county_only(page: Page, live_server: str, air_results: AirResults) -> None:  # noqa: F811
    sign_in(page, live_server, "branch", DEMO_PASSWORD)  # the branch of 临河县
    page.goto(f"{live_server}/screen")

    expect(page.locator("h1")).to_contain_text("临河县")
    other = air_results.regions["清源区"]
    answer = page.goto(f"{live_server}/screen/regions/{other}")
    assert answer is not None and answer.status == 404
