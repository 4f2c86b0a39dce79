"""The air quality pages in Chromium on the demo city: the numbers drawn are the engine's kept results."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.compute as pc
import pytest
from playwright.sync_api import Page, expect

from ecoloop.results import air, store
from tests.e2e.conftest import Demo
from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"


def kept_day(demo: Demo, table: air.ResultTable, column: str, subject: int, day: date) -> dict:
    rows = store.read_partition(demo.directory / "results", table, table.key(day))
    assert rows is not None, f"no {table.name} results kept for {day}"
    wanted = rows.filter(pc.and_(pc.equal(rows[column], subject), pc.equal(rows["day"], day)))
    assert wanted.num_rows == 1
    return wanted.to_pylist()[0]


def test_analyst_reads_a_station_and_its_county(page: Page, live_server: str, demo_city: Demo, artifacts: Path) -> None:
    sign_in(page, live_server, "analyst", DEMO_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="空气质量").click()
    expect(page).to_have_url(f"{live_server}/air")
    expect(page.locator("h1")).to_contain_text("空气质量")

    first_station = page.locator("table.stations tbody tr").first
    site_id = int(first_station.get_attribute("data-site") or 0)
    first_station.locator("a").first.click()
    expect(page).to_have_url(re.compile(rf"/air/stations/{site_id}$"))
    expect(page.locator("#daily-chart[data-chart-drawn=yes]")).to_have_count(1)
    expect(page.locator("#hourly-chart[data-chart-drawn=yes]")).to_have_count(1)

    yesterday = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)  # the demo city's local date
    kept = kept_day(demo_city, air.AIR_DAY, "site_id", site_id, yesterday)
    row = page.locator(f"table.days tr[data-day='{yesterday.isoformat()}']")
    expect(row.locator(".aqi")).to_have_text(str(kept["aqi"]))
    expect(row.locator("td").nth(4)).to_have_text(f"{kept['PM2_5_24h']:.0f}")
    page.set_viewport_size({"width": 1600, "height": 900})
    page.screenshot(path=SCREENS / "air-station.png", full_page=False)

    page.goto(f"{live_server}/air")
    county = page.locator("table.areas tbody tr").nth(1)
    region_id = int(county.get_attribute("data-region") or 0)
    kept_area = kept_day(demo_city, air.AIR_DAY_AREA, "region_id", region_id, yesterday)
    expect(county.locator(".aqi").last).to_have_text(str(kept_area["aqi"]))
