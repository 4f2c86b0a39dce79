"""Signing in and out through the real login page, for every demo account."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

DEMO_PASSWORD = "Ecoloop-2026"
DEMO_ACCOUNTS = ["admin", "leader", "analyst", "inspector", "branch", "department", "enterprise", "hotline"]
LOGIN_URL = re.compile(r"/login(\?.*)?$")


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Open the site, which sends an anonymous visitor to the login page, and submit the form."""
    page.goto(base_url)
    expect(page).to_have_url(LOGIN_URL)
    expect(page).to_have_title(re.compile("登录"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def test_admin_signs_in_to_overview(page: Page, live_server: str, artifacts: Path) -> None:
    sign_in(page, live_server, "admin", DEMO_PASSWORD)

    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("h1")).to_have_text("首页")
    menu = page.get_by_role("navigation")
    expect(menu.get_by_role("link", name="用户管理")).to_be_visible()
    expect(menu.get_by_role("link", name="首页")).to_have_attribute("aria-current", "page")
    page.screenshot(path=artifacts / "overview-admin.png", full_page=True)


@pytest.mark.parametrize("username", DEMO_ACCOUNTS)
def test_demo_account_signs_in_and_out(page: Page, live_server: str, username: str) -> None:
    sign_in(page, live_server, username, DEMO_PASSWORD)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("h1")).to_have_text("首页")
    expect(page.get_by_role("alert")).to_have_count(0)

    page.get_by_role("button", name="退出", exact=True).click()
    expect(page).to_have_url(LOGIN_URL)
    expect(page).to_have_title(re.compile("登录"))

    page.goto(live_server)
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


def test_wrong_password_shows_error(page: Page, live_server: str) -> None:
    sign_in(page, live_server, "analyst", "not-the-password")

    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    expect(page).to_have_url(LOGIN_URL)
    expect(page).to_have_title(re.compile("登录"))
    expect(page.get_by_role("navigation")).to_have_count(0)
