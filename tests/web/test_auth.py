"""Signing in and out over HTTP: cookies, redirects, throttling, CSRF, API tokens, password changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from http.cookies import Morsel, SimpleCookie

import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.app import create_app
from ecoloop.audit.models import AuditRecord
from ecoloop.db.base import utcnow
from ecoloop.identity.models import ApiToken, LoginThrottle, User, WebSession
from ecoloop.identity.service import create_api_token
from ecoloop.settings import Settings
from ecoloop.web.deps import current_user
from ecoloop.web.security import LOGIN_NONCE_COOKIE, SESSION_COOKIE
from tests.factories import PASSWORD, World
from tests.web.helpers import (
    csrf_for,
    csrf_of,
    form_for,
    login,
    open_client,
    open_session,
    parse,
    reread,
    session_cookie,
    set_session_cookie,
)

WRONG = "Wrong-pass-0000"
NEW_PASSWORD = "Fresh-pass-2027"
OTHER_IP = "10.9.9.9"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def cookies_set_by(response: httpx.Response) -> dict[str, Morsel[str]]:
    """The cookies of the response's Set-Cookie headers, with their attributes."""
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return dict(jar)


def alert_of(html: str) -> str:
    """The text of the page's alert (the error message of a form)."""
    alert = parse(html).find(role="alert")
    assert alert is not None, "page shows no alert"
    return alert.text


async def me(client: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await client.get("/api/v1/me", headers=headers)


def let_time_pass(db: Session, minutes: int) -> None:
    """Move every login throttle `minutes` into the past, as if that much time had gone by."""
    reread(db)
    for row in db.scalars(select(LoginThrottle)):
        row.window_start -= timedelta(minutes=minutes)
        if row.locked_until is not None:
            row.locked_until -= timedelta(minutes=minutes)
    db.commit()


# --- signing in -------------------------------------------------------------------------------------------------


async def test_login_sets_a_session_cookie_for_this_site_only_and_goes_to_next(
    client: httpx.AsyncClient, app_world: World
) -> None:
    response = await login(client, "analyst", next="/enterprises")

    assert response.status_code == 303
    assert response.headers["location"] == "/enterprises"
    cookie = cookies_set_by(response)[SESSION_COOKIE]
    assert cookie.value
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "lax"
    assert not cookie["secure"], "plain http must not get a Secure cookie (the browser would drop it)"
    assert cookie["path"] == "/"
    assert (await me(client)).json()["username"] == "analyst"


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com"])
async def test_login_redirects_only_to_local_paths(client: httpx.AsyncClient, app_world: World, target: str) -> None:
    response = await login(client, "analyst", next=target)

    assert response.status_code == 303
    assert response.headers["location"] == "/"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/enterprises?page=2", "/enterprises?page=2"),
        ("//evil.com", "/"),
        ("https://evil.com", "/"),
        ("/\\evil.com", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
async def test_login_form_keeps_only_local_next_targets(
    client: httpx.AsyncClient, app_db: Session, app_world: World, target: str, expected: str
) -> None:
    anonymous = await client.get("/login", params={"next": target})
    assert form_for(anonymous.text, "/login").fields()["next"] == expected

    open_session(app_db, client, "analyst")
    signed_in = await client.get("/login", params={"next": target})
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == expected


@pytest.mark.parametrize("username", ["analyst", "nobody"])
async def test_wrong_credentials_are_refused_with_one_message(
    client: httpx.AsyncClient, app_world: World, username: str
) -> None:
    response = await login(client, username, WRONG)

    assert response.status_code == 401
    assert alert_of(response.text) == "用户名或密码错误。"
    assert SESSION_COOKIE not in cookies_set_by(response)
    assert (await me(client)).status_code == 401


async def test_account_locks_after_five_failures_and_unlocks_when_the_lock_has_passed(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, app_world: World
) -> None:
    statuses = [(await login(client, "analyst", WRONG)).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]

    refused = await login(client, "analyst")  # the right password, while locked
    assert refused.status_code == 429
    assert SESSION_COOKIE not in cookies_set_by(refused)
    reread(app_db)
    lock = app_db.get(LoginThrottle, ("account", "analyst"))
    assert lock is not None and lock.locked_until is not None
    until = lock.locked_until.astimezone(app_settings.tz).strftime("%H:%M")
    assert alert_of(refused.text) == f"失败次数过多，登录已锁定至 {until}。"
    async with open_client(app_settings, ip=OTHER_IP) as elsewhere:
        assert (await login(elsewhere, "analyst")).status_code == 429, "the account lock holds from any address"

    let_time_pass(app_db, app_settings.login_lock_minutes + 1)
    response = await login(client, "analyst")
    assert response.status_code == 303
    assert (await me(client)).json()["username"] == "analyst"


async def test_failures_across_usernames_lock_the_address(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, app_world: World
) -> None:
    names = ["leader", "analyst", "inspector", "nobody", "nobody2"]
    statuses = [(await login(client, name, WRONG)).status_code for name in names]
    assert statuses == [401, 401, 401, 401, 429]

    assert (await login(client, "hotline")).status_code == 429, "a fresh account from the locked address"
    reread(app_db)
    accounts = app_db.scalars(select(LoginThrottle).where(LoginThrottle.scope == "account")).all()
    assert {row.key: row.failures for row in accounts} == dict.fromkeys(names, 1)
    assert all(row.locked_until is None for row in accounts)
    async with open_client(app_settings, ip=OTHER_IP) as elsewhere:
        assert (await login(elsewhere, "hotline")).status_code == 303


@pytest.mark.parametrize("token", [None, "", "0" * 64], ids=["missing", "empty", "wrong"])
async def test_login_form_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, app_db: Session, app_world: World, token: str | None
) -> None:
    form = form_for((await client.get("/login")).text, "/login").fields()
    form.update(username="analyst", password=PASSWORD)
    if token is None:
        del form["csrf_token"]
    else:
        form["csrf_token"] = token

    response = await client.post("/login", data=form)

    assert response.status_code == 403
    assert alert_of(response.text) == "表单已失效或并非来自本站，请刷新后重试。"
    assert SESSION_COOKIE not in cookies_set_by(response)
    assert session_cookie(client) is None
    reread(app_db)
    assert app_db.scalar(select(func.count()).select_from(WebSession)) == 0
    assert app_db.scalar(select(func.count()).select_from(LoginThrottle)) == 0, "a forged form is no login attempt"


async def test_login_token_of_another_browser_is_refused(
    client: httpx.AsyncClient, app_settings: Settings, app_world: World
) -> None:
    form = form_for((await client.get("/login")).text, "/login").fields()
    form.update(username="analyst", password=PASSWORD)
    async with open_client(app_settings) as attacker:
        response = await attacker.post("/login", data=form)  # the token without its nonce cookie

    assert response.status_code == 403
    assert SESSION_COOKIE not in cookies_set_by(response)
    assert LOGIN_NONCE_COOKIE in cookies_set_by(response), "the refused form comes back with a fresh nonce"


async def test_refused_form_keeps_the_username_as_text_only(client: httpx.AsyncClient, app_world: World) -> None:
    typed = 'x"><script>alert(1)</script>'

    response = await login(client, typed, WRONG)

    assert response.status_code == 401
    page = parse(response.text)
    assert form_for(response.text, "/login").fields()["username"] == typed
    assert [s.attrs.get("src") for s in page.find_all("script")] == ["/static/htmx.min.js", "/static/htmx-config.js"]


async def test_deactivated_user_cannot_sign_in_nor_use_old_credentials(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, app_world: World
) -> None:
    analyst = app_world.users["analyst"]
    _token, raw_token = create_api_token(app_db, analyst, "uploader", utcnow())
    open_session(app_db, client, "analyst")
    assert (await me(client)).status_code == 200

    analyst.active = False
    app_db.commit()

    assert (await me(client)).status_code == 401, "the open session ends"
    async with open_client(app_settings, ip=OTHER_IP) as machine:
        assert (await me(machine, authorization=f"Bearer {raw_token}")).status_code == 401
        response = await login(machine, "analyst")
    assert response.status_code == 401
    assert alert_of(response.text) == "用户名或密码错误。"


# --- signing out, CSRF ------------------------------------------------------------------------------------------


async def test_logout_needs_post_and_csrf_and_ends_the_server_side_session(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    raw = open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)

    assert (await client.get("/logout")).status_code == 405
    assert (await client.post("/logout")).status_code == 403
    assert (await client.post("/logout", data={"csrf_token": "0" * 64})).status_code == 403
    assert (await me(client)).status_code == 200, "refused sign-outs leave the session alone"

    response = await client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert session_cookie(client) is None

    set_session_cookie(client, raw)  # a copy of the old cookie kept by someone
    assert (await me(client)).status_code == 401
    reread(app_db)
    assert app_db.scalar(select(func.count()).select_from(WebSession)) == 0


def _token_count(db: Session) -> int:
    reread(db)
    return db.scalar(select(func.count()).select_from(ApiToken)) or 0


def _user_count(db: Session) -> int:
    reread(db)
    return db.scalar(select(func.count()).select_from(User)) or 0


# signed-in user, path, form without the token ({bureau} is filled in), how to count what it changes, status on success
STATE_CHANGES = [
    pytest.param("analyst", "/account/tokens", {"name": "uploader"}, _token_count, 200, id="account-tokens"),
    pytest.param(
        "admin",
        "/admin/users",
        {
            "username": "newbie",
            "display_name": "New analyst",
            "password": "Strong-pass-2027",
            "role": "analyst",
            "organisation_id": "{bureau}",
        },
        _user_count,
        303,
        id="admin-users",
    ),
]


@pytest.mark.parametrize(("username", "path", "form", "count", "ok"), STATE_CHANGES)
@pytest.mark.parametrize("presented", ["missing", "wrong", "other-session"])
async def test_state_change_without_the_sessions_csrf_token_is_refused(
    client: httpx.AsyncClient,
    app_db: Session,
    app_world: World,
    username: str,
    path: str,
    form: dict[str, str],
    count: Callable[[Session], int],
    ok: int,
    presented: str,
) -> None:
    open_session(app_db, client, username)
    before = count(app_db)
    data = {name: value.format(bureau=app_world.bureau.id) for name, value in form.items()}
    if presented == "wrong":
        data["csrf_token"] = "0" * 64
    elif presented == "other-session":
        own = session_cookie(client)
        open_session(app_db, client, username)  # a second browser of the same user
        data["csrf_token"] = await csrf_for(client)
        set_session_cookie(client, own or "")

    response = await client.post(path, data=data)

    assert response.status_code == 403
    assert "表单已失效或并非来自本站，请刷新后重试。" in parse(response.text).text
    assert count(app_db) == before


@pytest.mark.parametrize(("username", "path", "form", "count", "ok"), STATE_CHANGES)
async def test_state_change_with_the_csrf_header_is_accepted(
    client: httpx.AsyncClient,
    app_db: Session,
    app_world: World,
    username: str,
    path: str,
    form: dict[str, str],
    count: Callable[[Session], int],
    ok: int,
) -> None:
    open_session(app_db, client, username)
    csrf = await csrf_for(client)
    before = count(app_db)
    data = {name: value.format(bureau=app_world.bureau.id) for name, value in form.items()}

    response = await client.post(path, data=data, headers={"X-CSRF-Token": csrf})

    assert response.status_code == ok
    assert count(app_db) == before + 1


def _depends_on(dependant: Dependant, target: object) -> bool:
    return any(dep.call is target or _depends_on(dep, target) for dep in dependant.dependencies)


def api_routes(app: FastAPI) -> list[tuple[str, set[str], APIRoute]]:
    """Every API route of `app` as (full path without convertors, "/cases/{case_id}", methods, route), looking
    inside included routers."""
    # Since FastAPI 0.16x `app.routes` holds one entry per included router; iter_route_contexts opens them.
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is None:
        return [(r.path_format, set(r.methods), r) for r in app.routes if isinstance(r, APIRoute)]
    return [
        (c.path_format or "", set(c.methods or ()), c.original_route)
        for c in iter_contexts(app.routes)
        if isinstance(c.original_route, APIRoute)
    ]


def test_every_state_changing_route_checks_the_session_and_its_csrf_token(app_settings: Settings) -> None:
    app = create_app(app_settings)
    app.state.engine.dispose()
    unsafe = [(path, methods, route) for path, methods, route in api_routes(app) if methods & STATE_CHANGING]

    assert "/login" in {path for path, _methods, _route in unsafe}
    assert len(unsafe) > 1
    # The set-password form needs no session: the link's token, which a forged request cannot know, is its
    # credential, and using it signs nobody in (issue 15).
    # A partner platform's warning is signed with the partner's secret and carries its key (issue 18), no cookie.
    anonymous = {"/login", "/set-password/{token}", "/api/v1/events"}
    # Complaints and look-ups from machines and other front ends (issue 18) use no session or cookie, so a forged
    # request carries no one's credential: the same as anyone sending them (rate-limited per address).
    anonymous |= {"/open311/v2/requests.{fmt}", "/api/v1/complaints", "/api/v1/complaints/lookup"}
    # the citizen's pages: the form's signed single-use token, or the ticket with its phone's last four (issue 18)
    anonymous |= {"/public/complaints", "/public/lookup", "/public/complaints/{ticket}/rating"}
    unguarded = [
        f"{','.join(sorted(methods))} {path}"
        for path, methods, route in unsafe
        if path not in anonymous and not _depends_on(route.dependant, current_user)
    ]
    assert unguarded == []


async def test_expired_session_is_refused_and_an_active_one_slides(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    row = app_db.scalars(select(WebSession)).one()
    now = utcnow()
    row.last_seen_at, row.expires_at = now - timedelta(hours=2), now + timedelta(minutes=5)
    app_db.commit()

    assert (await me(client)).status_code == 200
    reread(app_db)
    assert row.expires_at > now + timedelta(hours=11), "use extends the session by session_hours"

    row.expires_at = utcnow() - timedelta(seconds=1)
    app_db.commit()
    assert (await me(client)).status_code == 401
    page = await client.get("/account")
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/account")


async def test_bogus_bearer_header_does_not_skip_the_csrf_check(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")

    response = await client.post(
        "/account/tokens", data={"name": "sneaky"}, headers={"authorization": "Bearer eco_made-up"}
    )

    assert response.status_code == 303, "an unknown token signs nobody in"
    assert response.headers["location"].startswith("/login")
    assert _token_count(app_db) == 0


# --- API tokens -------------------------------------------------------------------------------------------------


async def test_api_token_authenticates_without_cookie_or_csrf_until_revoked(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)

    created = await client.post("/account/tokens", data={"name": "station uploader", "csrf_token": csrf})
    assert created.status_code == 200
    shown = parse(created.text).find("code", class_="token")
    assert shown is not None
    raw = shown.text
    assert raw.startswith("eco_")
    again = parse((await client.get("/account")).text)
    assert all(raw not in code.text for code in again.find_all("code")), "the token is shown once only"

    async with open_client(app_settings, ip=OTHER_IP) as machine:
        response = await me(machine, authorization=f"Bearer {raw}")
        assert response.status_code == 200
        assert response.json()["username"] == "analyst"
        assert not machine.cookies
        assert (await me(machine, authorization="Bearer eco_not-a-token")).status_code == 401

        account = (await client.get("/account")).text
        revoke = form_for(account, _revoke_action(account))
        response = await client.post(revoke.attrs["action"], data=revoke.fields())
        assert response.status_code == 303
        assert (await me(machine, authorization=f"Bearer {raw}")).status_code == 401

    reread(app_db)
    stored = app_db.scalars(select(ApiToken)).one()
    assert stored.token_hash != raw
    assert stored.revoked_at is not None
    audit = app_db.scalars(select(AuditRecord).where(AuditRecord.entity_type == "api_tokens")).all()
    assert [r.action for r in audit] == ["create", "update"]
    assert audit[0].after is not None and audit[0].after["token_hash"] == "***"
    for record in audit:
        assert raw not in f"{record.before} {record.after}"
        assert stored.token_hash not in f"{record.before} {record.after}"


def _revoke_action(html: str) -> str:
    actions = [f.attrs["action"] for f in parse(html).find_all("form") if f.attrs["action"].endswith("/revoke")]
    assert len(actions) == 1
    return actions[0]


async def test_roles_without_api_access_cannot_create_tokens(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "hotline")
    csrf = await csrf_for(client)

    response = await client.post("/account/tokens", data={"name": "export", "csrf_token": csrf})

    assert response.status_code == 403
    assert _token_count(app_db) == 0


# --- password change --------------------------------------------------------------------------------------------


async def test_password_change_signs_out_other_sessions(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, app_world: World
) -> None:
    analyst_id = app_world.users["analyst"].id
    old_cookie = open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)
    async with open_client(app_settings, ip=OTHER_IP) as other:
        open_session(app_db, other, "analyst", ip=OTHER_IP)
        assert (await me(other)).status_code == 200

        differ = {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x", "csrf_token": csrf}
        refused = await client.post("/account/password", data=differ)
        assert refused.status_code == 422
        assert alert_of(refused.text) == "两次输入的新密码不一致。"
        assert (await me(other)).status_code == 200

        change = {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": csrf}
        response = await client.post("/account/password", data=change)
        assert response.status_code == 303
        assert response.headers["location"] == "/account?changed=1"
        assert session_cookie(client) not in (None, old_cookie), "this browser gets a new session"
        assert (await me(client)).status_code == 200
        notice = parse((await client.get(response.headers["location"])).text).find(role="status")
        assert notice is not None and notice.text == "密码已修改，其他浏览器上的登录已退出，您的 API 令牌已全部吊销。"

        assert (await me(other)).status_code == 401, "the other browser is signed out"
        set_session_cookie(other, old_cookie)
        assert (await me(other)).status_code == 401, "and so is the old cookie of this browser"

        other.cookies.clear()
        assert (await login(other, "analyst", PASSWORD)).status_code == 401
        assert (await login(other, "analyst", NEW_PASSWORD)).status_code == 303

    reread(app_db)
    changes = app_db.scalars(
        select(AuditRecord).where(
            AuditRecord.entity_type == "users", AuditRecord.action == "update", AuditRecord.entity_id == str(analyst_id)
        )
    ).all()
    assert [(r.actor_label, r.before["password_hash"], r.after["password_hash"]) for r in changes if r.before] == [
        ("analyst", "***", "***")
    ]


PasswordEvent = Callable[[httpx.AsyncClient, Session, str], Awaitable[int]]


def _token_for(db: Session, username: str) -> str:
    user = db.scalars(select(User).where(User.username == username)).one()
    _token, raw = create_api_token(db, user, "station uploader", utcnow())
    db.commit()
    return raw


async def _change_own_password(client: httpx.AsyncClient, db: Session, username: str) -> int:
    csrf = await csrf_for(client)
    change = {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": csrf}
    return (await client.post("/account/password", data=change)).status_code


async def _admin_resets_password(client: httpx.AsyncClient, db: Session, username: str) -> int:
    open_session(db, client, "admin")
    target = db.scalars(select(User).where(User.username == username)).one()
    data = {"password": NEW_PASSWORD, "csrf_token": await csrf_for(client)}
    return (await client.post(f"/admin/users/{target.id}/password", data=data)).status_code


async def _admin_deactivates(client: httpx.AsyncClient, db: Session, username: str) -> int:
    open_session(db, client, "admin")
    target = db.scalars(select(User).where(User.username == username)).one()
    page = await client.get(f"/admin/users/{target.id}")
    form = form_for(page.text, f"/admin/users/{target.id}/retire").fields()
    return (await client.post(f"/admin/users/{target.id}/retire", data=form)).status_code


@pytest.mark.parametrize("change", [_change_own_password, _admin_resets_password, _admin_deactivates])
async def test_api_tokens_are_revoked_by_a_password_change_a_reset_or_a_deactivation(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, app_world: World, change: PasswordEvent
) -> None:
    raw = _token_for(app_db, "analyst")
    others = _token_for(app_db, "leader")
    open_session(app_db, client, "analyst")
    async with open_client(app_settings, ip=OTHER_IP) as machine:
        assert (await me(machine, authorization=f"Bearer {raw}")).status_code == 200

        status = await change(client, app_db, "analyst")

        assert status == 303
        assert (await me(machine, authorization=f"Bearer {raw}")).status_code == 401
        assert (await me(machine, authorization=f"Bearer {others}")).status_code == 200, "other users keep theirs"
    reread(app_db)
    analyst = app_world.users["analyst"].id
    assert all(t.revoked_at is not None for t in app_db.scalars(select(ApiToken).where(ApiToken.user_id == analyst)))


async def test_the_account_page_says_a_password_change_revokes_the_tokens(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    hints = [p.text for p in parse((await client.get("/account")).text).find_all("p", class_="hint")]
    assert "修改密码后，您在其他浏览器上的登录将退出，您的 API 令牌将全部吊销。" in hints


async def test_csrf_token_is_the_same_in_every_form_of_a_page(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    page = (await client.get("/account")).text

    tokens = {i.attrs["value"] for i in parse(page).find_all("input", name="csrf_token")}

    assert tokens == {csrf_of(page)}
