"""The water quality page in Chromium: the demo city's sections with a month of simulated hourly data, computed by
the results job's water computation; the classes the page shows are the kept ones."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from ecoloop.analytics import backends
from ecoloop.analytics.sites import StoredReadings
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.demo.simulator.ambient import station_hour
from ecoloop.demo.simulator.loggers import devices_from_db
from ecoloop.demo.simulator.profiles import Profile
from ecoloop.monitoring.models import Device
from ecoloop.readings.parquet import compact
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.results.service import compute_days
from ecoloop.results.water import WATER_MONTH, WaterComputation
from ecoloop.standards.water import WaterGrade
from tests.conftest import make_settings
from tests.e2e.conftest import Demo
from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e

CST = ZoneInfo("Asia/Shanghai")
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"


def last_months(count: int) -> list[date]:
    """The first days of the `count` whole months before this one, oldest first."""
    found = [datetime.now(CST).date().replace(day=1)]
    for _ in range(count):
        found.append((found[-1] - timedelta(days=1)).replace(day=1))
    return found[:0:-1]


def simulate_months(demo: Demo, months: list[date]) -> dict[int, dict[str, object]]:
    """Every demo water station's hourly data of `months` (the demo's simulated loggers, hour means of their minute
    values) written to the readings' Parquet tier, the months computed, and the last month's kept rows by site."""
    url = demo.env["ECOLOOP_DATABASE_URL"]
    devices = [d for d in devices_from_db(url, 10_000) if d.profile is Profile.WATER_STATION]
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            site_of: dict[str, int] = {mn: site for mn, site in session.execute(select(Device.mn, Device.site_id))}
            hot = HotStore(demo.directory / "water-e2e.sqlite")
            try:
                first, month = months[0], months[-1]
                end = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
                hours = (end - first).days * 24
                start = datetime(first.year, first.month, 1, tzinfo=CST).replace(
                    tzinfo=None
                )  # the loggers' local hours
                readings = []
                for device in devices:
                    for n in range(hours):
                        local = start + timedelta(hours=n)
                        values = station_hour(device, local, seed=16)
                        at = local.replace(tzinfo=CST)
                        readings += [
                            Reading(site_of[device.mn], code, Interval.HOUR, at, round(statistics.fmean(minutes), 3))
                            for code, minutes in values.minutes.items()
                        ]
                hot.write(readings)
                root = demo.directory / "readings"
                compact(hot, root)
                settings = make_settings(demo.directory, analytics_url="duckdb://")
                stored = StoredReadings(hot, root, lambda: backends.reading(settings))
                compute_days(session, stored, settings.results_root, months, CST, computations=[WaterComputation()])
            finally:
                hot.close()
    finally:
        engine.dispose()
    kept = pq.read_table(WATER_MONTH.path(settings.results_root, str(months[-1].year))).to_pylist()
    return {row["site_id"]: row for row in kept if row["month"] == months[-1]}


def test_the_water_page_shows_the_kept_class_of_each_section(
    browser: Browser, live_server: str, demo_city: Demo
) -> None:
    months = last_months(4)
    month = months[-1]
    kept = simulate_months(demo_city, months)
    assert len(kept) == 6 and all(row["grade"] for row in kept.values())
    # The chronic section 沙河太平入境断面 takes in class IV water; the others meet their targets.
    assert sorted(row["grade"] for row in kept.values()) == ["II", "II", "II", "III", "III", "IV"]

    context = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, live_server, "analyst", DEMO_PASSWORD)
        page.get_by_role("navigation").get_by_role("link", name="水质").click()
        page.goto(f"{live_server}/water?month={month:%Y-%m}")
        expect(page.locator("h1")).to_contain_text("水质")
        for site_id, row in kept.items():
            grade = WaterGrade(row["grade"])
            cell = page.locator(f"tr[data-site='{site_id}'] [data-cell=grade] .badge")
            expect(cell).to_have_attribute("data-grade", grade.value)
            expect(page.locator(f"tr[data-site='{site_id}'] [data-cell=cwqi]")).to_have_text(f"{row['cwqi']:.4f}")
        chronic = next(site for site, row in kept.items() if row["grade"] == "IV")
        expect(page.locator(f"tr[data-site='{chronic}'] [data-cell=grade]")).to_have_text("Ⅳ类")
        expect(page.locator(f"tr[data-site='{chronic}'] [data-cell=main]")).to_contain_text("氨氮")
        expect(page.locator("[data-figure=worse-than-v]")).to_have_text("0")
        expect(page.locator("[data-figure=good-share]")).to_have_text("83.3%")  # 5 of 6 sections of class I-III
        expect(page.locator("[data-chart=chart-distribution]")).to_have_attribute("data-chart-drawn", "yes")
        SCREENS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENS / "water.png", full_page=True)

        page.locator(f"tr[data-site='{chronic}'] a").click()
        expect(page.locator("h1")).to_contain_text("沙河太平入境断面")
        expect(page.locator(f"tr[data-month='{month:%Y-%m}'] [data-cell=grade]")).to_have_text("Ⅳ类")
        expect(page.locator("[data-chart=chart-NH3_N]")).to_have_attribute("data-chart-drawn", "yes")
        page.screenshot(path=SCREENS / "water-section.png", full_page=False)
    finally:
        context.close()
