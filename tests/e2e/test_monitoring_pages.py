"""The monitoring pages in Chromium: the site list, a site's page, and a new period loaded by htmx."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e


def test_analyst_opens_a_site_and_changes_the_period(page: Page, live_server: str, artifacts: Path) -> None:
    sign_in(page, live_server, "analyst", DEMO_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="监测监控").click()

    expect(page).to_have_url(f"{live_server}/monitoring/sites")
    expect(page.locator("h1")).to_contain_text("监测站点")
    # 怀柔站: its history (the last 35 days, tests/e2e/conftest.py) reaches the present, so it reads as online.
    expect(page.locator("table.sites tbody tr[data-site=bj-huairou]")).to_have_count(1)
    page.get_by_role("link", name="怀柔站").click()

    expect(page).to_have_url(re.compile(r"/monitoring/sites/\d+$"))
    expect(page.locator("h1")).to_contain_text("怀柔站")
    expect(page.get_by_role("heading", name="数据质量")).to_be_visible()
    expect(page.locator("#quality .badge, .facts .badge").first).to_have_text("在线")
    expect(page.locator("#quality [data-figure=transmission]")).to_have_text(re.compile(r"^\d+\.\d\d%$"))

    page.locator("select[name=interval]").select_option("day")
    page.get_by_role("button", name="查询").click()

    expect(page).to_have_url(re.compile(r"interval=day"))
    expect(page.locator("#quality .hint").first).to_contain_text("日数据")
    expect(page.get_by_role("alert")).to_have_count(0)
    page.screenshot(path=artifacts / "monitoring-site.png", full_page=True)
