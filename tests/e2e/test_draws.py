"""A random draw in Chromium on a phone-sized screen (375 px): an analyst records two officers' certificates, adds
an enterprise pool and an officer pool, announces a draw, enters the public value, draws, reads the result (two
officers for each enterprise, the page no wider than the screen), and the published page shows the enterprises
without the officers."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 812}


def test_an_analyst_draws_on_a_phone_and_the_result_is_published(
    browser: Browser, live_server: str, artifacts: Path
) -> None:
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    try:
        sign_in(page, live_server, "analyst", DEMO_PASSWORD)
        page.goto(f"{live_server}/draws/officers")
        form = page.locator("form[action='/draws/certificates']")
        for n, who in enumerate(("张立强", "刘洋")):
            option = form.locator("select[name=user_id] option", has_text=who).first.get_attribute("value")
            assert option is not None
            form.locator("select[name=user_id]").select_option(option)
            form.locator("input[name=number]").fill(f"E2E-{n}")
            form.locator("input[name=valid_from]").fill("2026-01-01")
            form.locator("input[name=valid_to]").fill("2030-12-31")
            form.get_by_role("button").click()
            expect(page.locator(f"tr[data-certificate='E2E-{n}']")).to_be_visible()

        page.goto(f"{live_server}/draws/pools")
        pool = page.locator("form[action='/draws/pools/enterprises']")
        pool.locator("input[name=name]").fill("浏览器测试名录库")
        pool.locator("input[name=count]").fill("2")
        pool.get_by_role("button").click()
        staff = page.locator("form[action='/draws/pools/officers']")
        staff.locator("input[name=name]").fill("浏览器测试执法人员")
        staff.get_by_role("button").click()
        expect(page.locator("table.officer-pools")).to_contain_text("浏览器测试执法人员")

        page.goto(f"{live_server}/draws/new")
        announce = page.locator("form[action='/draws']")
        announce.locator("input[name=title]").fill("浏览器测试抽查")
        for name in ("period_start", "period_end", "seed_date", "draw_on"):
            announce.locator(f"input[name={name}]").fill(today)
        announce.locator("input[name=seed_source]").fill("上海证券交易所 上证指数收盘价")
        announce.locator("label", has_text="浏览器测试名录库").locator("input").check()
        announce.locator("label", has_text="浏览器测试执法人员").locator("input").check()
        announce.get_by_role("button", name="公告", exact=True).click()
        expect(page).to_have_url(re.compile(r"/draws/\d+$"))
        page.locator("input[name=public_value]").fill("3412.56")
        page.get_by_role("button", name="确定随机种子").click()
        page.get_by_role("button", name="立即抽取").click()

        rows = page.locator("table.assignments tbody tr")
        expect(rows).to_have_count(2)
        for i in range(2):
            expect(rows.nth(i).locator("td").nth(4)).to_contain_text("(")  # two officers, each with a unit
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=artifacts / "draw-result-phone.png", full_page=True)
        page.get_by_role("link", name="校验此抽查").click()
        expect(page.locator("p[data-verification=ok]")).to_be_visible()

        number = page.locator("h1 small").inner_text()
        public = context.new_page()
        context.clear_cookies()
        public.goto(f"{live_server}/public/draws/{number}")
        expect(public.locator("table.drawn tbody tr")).to_have_count(2)
        expect(public.locator("body")).not_to_contain_text("张立强")
        expect(public.locator("body")).not_to_contain_text("E2E-0")
        assert public.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
