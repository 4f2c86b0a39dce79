"""The enterprise file in Chromium: an analyst finds an enterprise through the list's search (htmx) and opens
its file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e

ENTERPRISE = "清源华能热电有限公司"


def test_analyst_finds_an_enterprise_and_opens_its_file(page: Page, live_server: str, artifacts: Path) -> None:
    sign_in(page, live_server, "analyst", DEMO_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="企业", exact=True).click()

    expect(page).to_have_url(f"{live_server}/enterprises")
    page.get_by_label("名称或信用代码").fill("华能")
    page.get_by_role("button", name="筛选").click()

    expect(page).to_have_url(re.compile(r"/enterprises\?.*q=%E5%8D%8E%E8%83%BD"))
    results = page.locator("#results table.enterprises tbody tr[data-enterprise]")
    expect(results).to_have_count(1)
    results.get_by_role("link", name=ENTERPRISE).click()

    expect(page).to_have_url(re.compile(r"/enterprises/\d+$"))
    expect(page.locator("h1")).to_have_text(ENTERPRISE)
    for heading in ("基本信息", "排污许可与排放口", "监测监控", "监管名录", "绩效分级", "数据修正", "案件"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("#cases")).to_contain_text("暂无记录。")
    expect(page.get_by_role("link", name="导出 Excel")).to_have_attribute("href", re.compile(r"/export\.xlsx$"))
    page.locator("#grades summary").click()
    expect(page.locator("form[action$='/grades'] select[name=grade]")).to_be_visible()
    page.screenshot(path=artifacts / "enterprise-file.png", full_page=True)
