"""The set-password page of a one-time link and the administrator's side of it (issue 15), over HTTP."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.identity.models import PasswordSetup, User
from ecoloop.settings import Settings
from ecoloop.web.access_log import ACCESS_LOGGER, REDACTED
from tests.factories import World
from tests.web.helpers import csrf_for, form_for, login, open_client, open_session, page_title, parse, reread
from tests.web.test_client_address import served

NEW = "Chosen-pass-2027"
INVALID = "此链接无效：它已被使用、已过期，或不是设置密码链接。请向管理员索取新链接。"
NEWCOMER = {"username": "newcomer", "display_name": "新同事", "role": "analyst", "password": ""}


async def _create_without_password(client: httpx.AsyncClient, world: World) -> str:
    """The administrator creates a user leaving the password empty; the link the page shows once."""
    form = form_for((await client.get("/admin/users/new")).text, "/admin/users").fields()
    form.update(NEWCOMER, organisation_id=str(world.bureau.id))
    response = await client.post("/admin/users", data=form)
    assert response.status_code == 201, response.text
    shown = parse(response.text).find("section", id="password-link")
    assert shown is not None
    field = shown.find("input")
    assert field is not None
    return field.attrs["value"]


@pytest.fixture
async def admin(client: httpx.AsyncClient, app_db: Session, app_world: World) -> httpx.AsyncClient:
    open_session(app_db, client, "admin")
    return client


async def test_a_user_created_without_a_password_sets_it_through_the_link_once(
    admin: httpx.AsyncClient, app_db: Session, app_settings: Settings, app_world: World
) -> None:
    link = await _create_without_password(admin, app_world)
    assert re.fullmatch(r"http://testserver/set-password/[A-Za-z0-9_-]{43}", link)
    path = link.removeprefix("http://testserver")
    reread(app_db)
    created = app_db.scalars(select(User).where(User.username == "newcomer")).one()
    assert link.rsplit("/", 1)[1] not in (await admin.get(f"/admin/users/{created.id}")).text, "shown once"

    async with open_client(app_settings, ip="10.8.8.8") as newcomer:
        assert (await login(newcomer, "newcomer", "")).status_code in (401, 422), "no password yet"
        page = await newcomer.get(path)
        assert page.status_code == 200
        assert "设置密码" in page_title(page.text)
        assert parse(page.text).find("code") is not None and "newcomer" in parse(page.text).text
        assert page.headers["referrer-policy"] == "no-referrer"

        differ = await newcomer.post(path, data={"new": NEW, "confirm": NEW + "x"})
        weak = await newcomer.post(path, data={"new": "newcomer-2027", "confirm": "newcomer-2027"})
        done = await newcomer.post(path, data={"new": NEW, "confirm": NEW})
        again = await newcomer.post(path, data={"new": "Another-pass-2028", "confirm": "Another-pass-2028"})
        reopened = await newcomer.get(path)
        signed_in = await login(newcomer, "newcomer", NEW)

    assert differ.status_code == 422 and parse(differ.text).find(role="alert").text == "两次输入的新密码不一致。"  # type: ignore[union-attr]
    assert weak.status_code == 422 and parse(weak.text).find(role="alert").text == "密码不得包含用户名。"  # type: ignore[union-attr]
    assert done.status_code == 200 and "密码已设置" in parse(done.text).text
    for used in (again, reopened):
        assert used.status_code == 404
        assert parse(used.text).find(role="alert").text == INVALID  # type: ignore[union-attr]
        assert "newcomer" not in used.text, "a used link does not tell whose it was"
    assert signed_in.status_code == 303


async def test_the_link_is_built_on_the_public_url_when_it_is_set(
    app_db: Session, app_settings: Settings, app_world: World
) -> None:
    settings = app_settings.model_copy(update={"public_url": "https://ecoloop.example.gov.cn"})
    async with open_client(settings) as client:
        open_session(app_db, client, "admin")
        link = await _create_without_password(client, app_world)
    assert link.startswith("https://ecoloop.example.gov.cn/set-password/")


async def test_reset_issues_a_new_link_and_voids_the_old_one(
    admin: httpx.AsyncClient, app_db: Session, app_settings: Settings, app_world: World
) -> None:
    first = await _create_without_password(admin, app_world)
    reread(app_db)
    created = app_db.scalars(select(User).where(User.username == "newcomer")).one()
    page = await admin.get(f"/admin/users/{created.id}")
    form = form_for(page.text, f"/admin/users/{created.id}/link").fields()
    reset = await admin.post(f"/admin/users/{created.id}/link", data=form)
    assert reset.status_code == 200
    second = parse(reset.text).find("section", id="password-link").find("input").attrs["value"]  # type: ignore[union-attr]
    assert second != first

    async with open_client(app_settings, ip="10.8.8.9") as newcomer:
        assert (await newcomer.get(first.removeprefix("http://testserver"))).status_code == 404
        assert (await newcomer.get(second.removeprefix("http://testserver"))).status_code == 200
    history = parse((await admin.get(f"/admin/users/{created.id}")).text).find("section", id="history")
    assert history is not None and "设置密码链接" in history.text


async def test_links_that_do_not_work_all_answer_alike_and_lock_the_address(
    admin: httpx.AsyncClient, app_db: Session, app_settings: Settings, app_world: World
) -> None:
    good = (await _create_without_password(admin, app_world)).removeprefix("http://testserver")
    async with open_client(app_settings, ip="10.6.6.6") as guesser:
        answers = [
            await guesser.post(f"/set-password/guess{i}", data={"new": NEW, "confirm": NEW})
            for i in range(app_settings.login_max_failures)
        ]
        locked = await guesser.get(good)
    async with open_client(app_settings, ip="10.6.6.7") as elsewhere:
        fine = await elsewhere.get(good)

    assert {a.status_code for a in answers} == {404}
    assert {parse(a.text).find(role="alert").text for a in answers} == {INVALID}  # type: ignore[union-attr]
    assert locked.status_code == 404, "a locked address is refused even a good link"
    assert fine.status_code == 200
    reread(app_db)
    assert app_db.scalars(select(PasswordSetup).where(PasswordSetup.used_at.is_not(None))).all() == []


async def test_the_admin_still_creates_a_user_with_a_password_and_gets_no_link(
    admin: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    form = {**NEWCOMER, "password": "Strong-pass-2027", "organisation_id": str(app_world.bureau.id)}
    response = await admin.post("/admin/users", data={**form, "csrf_token": await csrf_for(admin)})
    assert response.status_code == 303
    reread(app_db)
    assert app_db.scalars(select(PasswordSetup)).all() == []


class Lines(logging.Handler):
    """The formatted lines of a logger."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def test_the_token_never_reaches_the_access_log(
    app_db: Session, app_settings: Settings, app_world: World
) -> None:
    """Over real TCP, as `ecoloop serve` runs: uvicorn's access log shows the path of the link redacted."""
    async with open_client(app_settings) as client:
        open_session(app_db, client, "admin")
        link = await _create_without_password(client, app_world)
    token = link.rsplit("/", 1)[1]
    lines = Lines()
    access = logging.getLogger(ACCESS_LOGGER)
    with served(app_settings.model_copy(update={"log_level": "INFO"})) as base:
        access.addHandler(lines)
        try:
            async with httpx.AsyncClient(base_url=base) as http:
                assert (await http.get(f"/set-password/{token}")).status_code == 200
                assert (await http.get(f"/set-password/{token}?x=1")).status_code == 200
                assert (await http.post(f"/set-password/{token}", data={"new": NEW, "confirm": NEW})).status_code == 200
                assert (await http.get("/login?next=/admin")).status_code == 200
        finally:
            access.removeHandler(lines)

    assert lines.lines, "the access log wrote nothing"
    assert not [line for line in lines.lines if token in line]
    assert sum(f"/set-password/{REDACTED}" in line for line in lines.lines) == 3
    assert any("/login?next=/admin" in line for line in lines.lines), "other paths are logged as they are"
