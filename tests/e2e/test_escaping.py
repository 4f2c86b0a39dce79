"""The page's defences in Chromium (issue 13): htmx runs with the static configuration, and an htmx element that
got into the page content (as a stored value would, were it not escaped) does not act."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e


def test_htmx_is_configured_and_ignores_elements_in_the_content(page: Page, live_server: str) -> None:
    sign_in(page, live_server, "admin", DEMO_PASSWORD)
    page.goto(f"{live_server}/cases/1")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))

    config = page.evaluate(
        "() => [htmx.config.allowEval, htmx.config.allowScriptTags, htmx.config.selfRequestsOnly,"
        " htmx.config.historyCacheSize]"
    )
    page.evaluate(
        """() => {
            const main = document.querySelector("main");
            main.insertAdjacentHTML("beforeend",
                '<i id="planted" hx-post="/admin/users" hx-trigger="load" hx-on:htmx:load="window.ran = 1">x</i>');
            htmx.process(main);
        }"""
    )
    page.wait_for_timeout(500)

    assert config == [False, False, True, 0]
    assert page.evaluate("() => window.ran") is None
    assert not [r for r in requests if r.startswith("POST")]
