"""A heavy-pollution warning in Chromium on a phone-sized screen (375 px): an analyst prepares a warning for
tomorrow and sends it, a leader signs it (审签), the analyst issues it; the list shows it in force, and no page is
wider than the screen."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 812}


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_warning_is_prepared_signed_and_issued_on_a_phone(
    browser: Browser, live_server: str, artifacts: Path
) -> None:
    tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, live_server, "analyst", DEMO_PASSWORD)
        page.goto(f"{live_server}/warnings/new")
        expect(page.locator("section.proposal")).to_be_visible()
        _fits(page)
        form = page.locator("form[action='/warnings']")
        form.locator("select[name=level]").select_option("orange")
        form.locator("input[name=planned_start]").fill(f"{tomorrow.isoformat()}T00:00")
        form.locator("input[name=planned_end]").fill(f"{(tomorrow + timedelta(days=2)).isoformat()}T00:00")
        form.locator("input[name=peak_aqi]").fill("245")
        form.locator("textarea[name=forecast]").fill("受不利气象条件影响，预计将出现重污染天气过程")
        form.get_by_role("button").click()
        expect(page).to_have_url(re.compile(r"/warnings/\d+$"))
        address = page.url
        page.get_by_role("button", name="送领导审签").click()
        expect(page.locator("dd[data-status=awaiting_approval]")).to_be_visible()
        _fits(page)

        context.clear_cookies()
        sign_in(page, live_server, "leader", DEMO_PASSWORD)
        page.goto(address)
        page.get_by_role("button", name="审签同意").click()
        expect(page.locator("dd[data-status=approved]")).to_be_visible()

        context.clear_cookies()
        sign_in(page, live_server, "analyst", DEMO_PASSWORD)
        page.goto(address)
        page.get_by_role("button", name="发布预警").click()
        expect(page.locator("dd[data-status=issued]")).to_be_visible()
        expect(page.locator("tr[data-change=issue]")).to_be_visible()
        _fits(page)
        page.screenshot(path=artifacts / "warning-phone.png", full_page=True)
        page.goto(f"{live_server}/warnings")
        expect(page.locator("div.warning-banner.level-orange")).to_be_visible()
        _fits(page)
    finally:
        context.close()
