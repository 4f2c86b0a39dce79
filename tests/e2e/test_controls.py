"""The emergency control list in Chromium on a phone-sized screen (375 px): an analyst puts a heating plant on the
list, gives it its own measure at orange (以热定产), and reads its measures at each level on a page no wider than
the screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 812}


def test_an_analyst_lists_a_heating_plant_on_a_phone(browser: Browser, live_server: str, artifacts: Path) -> None:
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, live_server, "analyst", DEMO_PASSWORD)
        page.goto(f"{live_server}/controls")
        add = page.locator("form[method=post][action='/controls']")
        add.locator("input[name=enterprise]").fill("913718021075828722")
        add.locator("select[name=industry]").select_option("power")
        add.locator("select[name=livelihood]").select_option("heating")
        add.get_by_role("button").click()
        expect(page).to_have_url(re.compile(r"/controls/\d+$"))
        plant = page.url.rsplit("/", 1)[1]

        own = page.locator("form[action$='/override']")
        own.locator("select[name=level]").select_option("orange")
        own.locator("select[name=kind]").select_option("cap")
        own.locator("input[name=percent]").fill("60")
        own.locator("input[name=reason]").fill("以热定产")
        own.get_by_role("button").click()
        expect(page.locator("tr[data-level=orange]")).to_contain_text("负荷不超过正常负荷的60%")
        expect(page.locator("tr[data-level=orange]")).to_contain_text("以热定产")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=artifacts / "control-entry-phone.png", full_page=True)

        page.goto(f"{live_server}/controls")
        expect(page.locator(f"table.controls tbody tr[data-enterprise='{plant}']")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
