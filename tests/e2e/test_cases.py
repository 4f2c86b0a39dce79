"""Cases in Chromium: an analyst registers a case from the board, finds it again through the board's search
(htmx), opens it and reads its timeline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e

TITLE = "湖滨街道夜间施工噪声扰民（浏览器测试）"


def test_analyst_opens_a_case_from_the_board_and_reads_its_timeline(
    page: Page, live_server: str, artifacts: Path
) -> None:
    sign_in(page, live_server, "analyst", DEMO_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="案件", exact=True).click()
    expect(page).to_have_url(f"{live_server}/cases")
    expect(page.locator("nav.tabs a[data-state='']")).to_be_visible()
    page.screenshot(path=artifacts / "cases-board.png")

    page.get_by_text("登记案件", exact=True).click()
    register = page.locator("form[action='/cases'][method=post]")
    register.get_by_label("标题", exact=True).fill(TITLE)
    register.locator("select[name=category]").select_option("noise")
    town = register.locator("select[name=region_id] option", has_text="湖滨街道").first.get_attribute("value")
    assert town is not None
    register.locator("select[name=region_id]").select_option(town)
    register.get_by_role("button", name="登记", exact=True).click()
    expect(page).to_have_url(re.compile(r"/cases/\d+\?done=registered$"))

    page.get_by_role("navigation").get_by_role("link", name="案件", exact=True).click()
    page.get_by_label("案件编号、受理编号或标题").fill("浏览器测试")
    page.get_by_role("button", name="筛选", exact=True).click()
    rows = page.locator("#results table.cases tbody tr[data-case]")
    expect(rows).to_have_count(1)
    expect(page.locator("nav.tabs a[data-state=registered] .count")).to_have_text("1")
    rows.get_by_role("link", name=TITLE).click()

    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    expect(page.locator("h1")).to_contain_text(TITLE)
    expect(page.get_by_role("heading", name="办理过程", exact=True)).to_be_visible()
    registered = page.locator("ol.timeline li[data-event=registered]")
    expect(registered).to_have_count(1)
    expect(registered.locator(".kind")).to_have_text("已登记")
    expect(page.locator("form[data-action=assign] select[name=unit_id]")).to_be_visible()
    page.screenshot(path=artifacts / "case.png", full_page=True)
