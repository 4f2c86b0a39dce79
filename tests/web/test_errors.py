"""Unexpected errors (issue 13): a Chinese page or a JSON body with a reference that is also in the log line with
the traceback; the exception's text (which may hold user data) never reaches the user."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from fastapi import FastAPI

from ecoloop.app import create_app
from ecoloop.settings import Settings
from tests.web.helpers import parse

SECRET = "举报人 张三 13800138000"


def failing_app(settings: Settings) -> FastAPI:
    app = create_app(settings)

    def explode() -> None:
        raise RuntimeError(f"cannot store {SECRET}")

    app.add_api_route("/explode", explode, methods=["GET", "POST"])
    app.add_api_route("/api/v1/explode", explode, methods=["GET", "POST"])
    return app


@pytest.fixture
async def failing(app_settings: Settings) -> httpx.AsyncClient:
    app = failing_app(app_settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def logged_reference(caplog: pytest.LogCaptureFixture) -> str:
    records = [r for r in caplog.records if r.levelno >= logging.ERROR and "reference=" in r.getMessage()]
    assert len(records) == 1
    assert records[0].exc_info is not None and SECRET in str(records[0].exc_info[1])  # the traceback is logged
    found = re.search(r"reference=(\w+)", records[0].getMessage())
    assert found is not None
    return found.group(1)


async def test_an_unexpected_error_shows_a_chinese_page_with_the_logged_reference(
    failing: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    async with failing:
        response = await failing.get("/explode", params={"name": SECRET})

    reference = logged_reference(caplog)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "frame-ancestors" in response.headers["content-security-policy"]
    message = parse(response.text).find("p", class_="message")
    assert message is not None
    assert "系统出现意外错误" in message.text and reference in message.text
    assert SECRET not in response.text and "张三" not in response.text
    assert "Internal Server Error" not in response.text
    assert "张三" not in caplog.records[-1].getMessage()  # the log line names the path, not the query or body


async def test_an_unexpected_api_error_answers_json_with_the_reference(
    failing: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    async with failing:
        response = await failing.get("/api/v1/explode")

    reference = logged_reference(caplog)
    assert response.status_code == 500
    body = response.json()
    assert body["reference"] == reference
    assert "系统出现意外错误" in body["detail"] and reference in body["detail"]
    assert SECRET not in response.text


async def test_a_status_the_framework_raises_is_told_in_chinese(client: httpx.AsyncClient) -> None:
    """A page answering 405 showed Starlette's English "Method Not Allowed" (issue 13 §11)."""
    page = await client.put("/login")

    assert page.status_code == 405
    assert "Method Not Allowed" not in page.text
    assert "无法以这种方式使用" in parse(page.text).text


async def test_the_error_line_of_a_set_password_link_does_not_carry_its_token(
    app_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 15: the path of a one-time link holds its token; an error there logs the path redacted."""
    app = create_app(app_settings)

    def explode(token: str) -> None:
        raise RuntimeError("the link's page failed")

    token = "Q2hvc2VuLXBhc3MtMjAyNyBpcyBub3QgdGhlIHRva2Vu"
    app.add_api_route("/set-password/{token}/explode", explode, methods=["GET"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await client.get(f"/set-password/{token}/explode")

    assert response.status_code == 500
    (line,) = [r.getMessage() for r in caplog.records if "reference=" in r.getMessage()]
    assert token not in line and "/set-password/[redacted]/explode" in line
