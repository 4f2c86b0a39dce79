"""Sign-in, sign-out, 'my account', and the identity endpoints of the JSON API."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from ecoloop.access.actions import Action, allowed
from ecoloop.audit.service import Actor, record_event, set_actor
from ecoloop.db.base import RowId, utcnow
from ecoloop.i18n import LOCALES, gettext
from ecoloop.identity import queries
from ecoloop.identity.rules import ThrottlePolicy
from ecoloop.identity.schemas import MeOut, OrganisationOut, UserOut
from ecoloop.identity.service import (
    ERROR_TEXT,
    IdentityError,
    LoginOutcome,
    authenticate,
    change_own_password,
    count_link_failure,
    create_api_token,
    end_session,
    link_attempts_locked,
    list_api_tokens,
    password_link_user,
    redeem_password_link,
    revoke_api_token,
    start_session,
)
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, OptionalUserDep, SettingsDep, UnitOfWork, UserDep, requires
from ecoloop.web.security import (
    LANG_COOKIE,
    LOGIN_NONCE_COOKIE,
    SESSION_COOKIE,
    client_ip,
    csrf_matches,
    csrf_token,
    is_secure,
    new_nonce,
)
from ecoloop.web.templating import render

router = APIRouter()
# The one-time links' address: the token follows it, and logs show it redacted (`web.access_log`).
SET_PASSWORD_PATH = "/set-password/"


def password_link_address(base_url: str, raw: str) -> str:
    """The absolute address of a set-password link under `base_url` (PUBLIC_URL, or the request's own address)."""
    return base_url.rstrip("/") + SET_PASSWORD_PATH + raw


def base_url_of(request: Request, settings: Settings) -> str:
    """The address users reach ecoloop at: PUBLIC_URL when set, else the address of this request."""
    return settings.public_url or str(request.base_url)


def safe_next(target: str | None) -> str:
    """A redirect target on this site only (no scheme, no host, no '//' or backslash tricks)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=is_secure(request), path="/"
    )


def _login_page(
    request: Request, settings: Settings, nonce: str, nxt: str, error: str = "", status: int = 200, username: str = ""
) -> Response:
    context = {
        "login_csrf": csrf_token(settings.signing_key, "login", nonce),
        "next": nxt,
        "error": error,
        "username": username,
    }
    response = render(request, "identity/login.html", context, status_code=status)
    _set_cookie(response, request, LOGIN_NONCE_COOKIE, nonce, max_age=3600)
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request, settings: SettingsDep, user: OptionalUserDep, next: str = "/") -> Response:
    """The sign-in page."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE) or new_nonce()
    return _login_page(request, settings, nonce, safe_next(next))


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    db: UnitOfWork,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the credentials (throttled per account and per IP) and open a session."""
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE, "")
    if not nonce or not csrf_matches(settings.signing_key, "login", nonce, csrf_token):
        message = gettext("The form has expired or did not come from this site. Reload and retry.")
        return _login_page(request, settings, new_nonce(), safe_next(next), message, status=403)
    now, ip = utcnow(), client_ip(request)
    set_actor(db, Actor(label=username.strip().lower()[:64] or "anonymous", ip=ip))
    result = authenticate(db, username, password, ip, now, _throttle_policy(settings))
    if result.outcome is not LoginOutcome.OK or result.user is None:  # the failed attempt is committed too
        if result.outcome is LoginOutcome.LOCKED and result.locked_until is not None:
            until = result.locked_until.astimezone(settings.tz).strftime("%H:%M")
            message = gettext("Too many failed attempts. Sign-in is locked until %(time)s.") % {"time": until}
            return _login_page(request, settings, nonce, safe_next(next), message, 429, username)
        wrong = gettext("Wrong username or password.")
        return _login_page(request, settings, nonce, safe_next(next), wrong, 401, username)
    user = result.user
    set_actor(db, Actor(label=user.username, user_id=user.id, ip=ip))
    raw = start_session(db, user, ip, now, timedelta(hours=settings.session_hours))
    record_event(db, "login", "users", str(user.id))
    response = RedirectResponse(safe_next(next), status_code=303)
    _set_cookie(response, request, SESSION_COOKIE, raw)
    if user.locale in LOCALES:
        _set_cookie(response, request, LANG_COOKIE, user.locale or "", max_age=365 * 86400)
    response.delete_cookie(LOGIN_NONCE_COOKIE, path="/")
    return response


def _throttle_policy(settings: Settings) -> ThrottlePolicy:
    lock = timedelta(minutes=settings.login_lock_minutes)
    return ThrottlePolicy(settings.login_max_failures, lock, lock)


def _set_password_page(request: Request, *, status: int = 200, **context: object) -> Response:
    response = render(request, "identity/set_password.html", context, status_code=status)
    # The token is in this page's address: no request the page makes (its style sheet, scripts) may carry it on
    # as a Referer, into the logs of a proxy (the access log redacts it, `web/access_log.py`).
    response.headers["referrer-policy"] = "no-referrer"
    return response


@router.get(SET_PASSWORD_PATH + "{token}", include_in_schema=False)
def set_password_form(request: Request, db: DbSession, token: str) -> Response:
    """The page of a one-time set-password link: choose a password (no sign-in needed)."""
    now = utcnow()
    holder = None if link_attempts_locked(db, client_ip(request), now) else password_link_user(db, token, now=now)
    if holder is None:
        return _set_password_page(request, invalid=True, status=404)
    return _set_password_page(request, username=holder.username)


@router.post(SET_PASSWORD_PATH + "{token}", include_in_schema=False)
def set_password_submit(
    request: Request,
    db: UnitOfWork,
    settings: SettingsDep,
    token: str,
    new: Annotated[str, Form(max_length=256)],
    confirm: Annotated[str, Form(max_length=256)],
) -> Response:
    """Set the password through a one-time link; the link is used up. Links that do not work count against the
    client address as failed sign-ins do, and all answer alike (used, expired, unknown, retired user)."""
    now, ip = utcnow(), client_ip(request)
    set_actor(db, Actor(label="anonymous", ip=ip))
    holder = None if link_attempts_locked(db, ip, now) else password_link_user(db, token, now=now)
    if holder is None:
        count_link_failure(db, ip, now, _throttle_policy(settings))
        return _set_password_page(request, invalid=True, status=404)
    set_actor(db, Actor(label=holder.username, user_id=holder.id, ip=ip))
    if new != confirm:
        error = gettext("The two new passwords differ.")
        return _set_password_page(request, username=holder.username, error=error, status=422)
    try:
        redeem_password_link(db, token, new, now=now)
    except IdentityError as exc:
        db.rollback()
        error = gettext(ERROR_TEXT[exc.code])
        return _set_password_page(request, username=holder.username, error=error, status=422)
    return _set_password_page(request, done=True)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, db: UnitOfWork, user: UserDep) -> Response:
    """End this browser's session."""
    end_session(db, request.cookies.get(SESSION_COOKIE, ""))
    record_event(db, "logout", "users", str(user.user.id))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _account_page(request: Request, db: DbSession, user: UserDep, *, status: int = 200, **extra: object) -> Response:
    context = {
        "tokens": list_api_tokens(db, user.user),
        "locales": LOCALES,
        "may_use_tokens": allowed(user.principal, Action.USE_API_TOKENS),
        **extra,
    }
    return render(request, "identity/account.html", context, user=user, status_code=status)


@router.get("/account", include_in_schema=False)
def account(request: Request, db: DbSession, user: UserDep) -> Response:
    """The user's own profile, password, language and API tokens."""
    return _account_page(request, db, user)


@router.post("/account/password", include_in_schema=False)
def account_password(
    request: Request,
    db: UnitOfWork,
    settings: SettingsDep,
    user: UserDep,
    current: Annotated[str, Form(max_length=256)],
    new: Annotated[str, Form(max_length=256)],
    confirm: Annotated[str, Form(max_length=256)],
) -> Response:
    """Change one's own password; other browsers are signed out, this one gets a new session."""
    if new != confirm:
        return _account_page(request, db, user, error=gettext("The two new passwords differ."), status=422)
    try:
        change_own_password(db, user.user, current, new, utcnow())
    except IdentityError as exc:
        db.rollback()
        return _account_page(request, db, user, error=gettext(ERROR_TEXT[exc.code]), status=422)
    raw = start_session(db, user.user, client_ip(request), utcnow(), timedelta(hours=settings.session_hours))
    response = RedirectResponse("/account?changed=1", status_code=303)
    _set_cookie(response, request, SESSION_COOKIE, raw)
    return response


@router.post("/account/language", include_in_schema=False)
def account_language(
    request: Request, db: UnitOfWork, user: UserDep, locale: Annotated[str, Form(max_length=8)]
) -> Response:
    """Choose the language of the interface."""
    if locale not in LOCALES:
        raise HTTPException(422, gettext("Unknown language."))
    user.user.locale = locale
    response = RedirectResponse("/account", status_code=303)
    _set_cookie(response, request, LANG_COOKIE, locale, max_age=365 * 86400)
    return response


@router.post("/account/tokens", include_in_schema=False)
def account_token_create(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.USE_API_TOKENS))],
    name: Annotated[str, Form(max_length=100)],
) -> Response:
    """Issue an API token; its value is shown once."""
    _token, raw = create_api_token(db, user.user, name, utcnow())
    return _account_page(request, db, user, new_token=raw)


@router.post("/account/tokens/{token_id:id}/revoke", include_in_schema=False)
def account_token_revoke(db: UnitOfWork, user: UserDep, token_id: RowId) -> Response:
    """Revoke one of one's own API tokens."""
    try:
        revoke_api_token(db, user.user, token_id, utcnow())
    except IdentityError:
        raise HTTPException(404) from None
    return RedirectResponse("/account", status_code=303)


@router.get("/api/v1/me", response_model=MeOut, tags=["identity"])
def api_me(user: UserDep) -> MeOut:
    """The calling user and the region their view is scoped to."""
    return MeOut.model_validate(
        {**UserOut.model_validate(user.user).model_dump(), "region_path": user.principal.region_path}
    )


@router.get("/api/v1/users", response_model=list[UserOut], tags=["identity"])
def api_users(db: DbSession, user: UserDep) -> list[UserOut]:
    """Users the caller may see (all for an administrator, oneself otherwise)."""
    return [UserOut.model_validate(u) for u in queries.list_users(db, user.principal)]


@router.get("/api/v1/users/{user_id:id}", response_model=UserOut, tags=["identity"])
def api_user(db: DbSession, user: UserDep, user_id: RowId) -> UserOut:
    """One user, if the caller may see them."""
    found = queries.get_user(db, user.principal, user_id)
    if found is None:
        raise HTTPException(404)
    return UserOut.model_validate(found)


@router.get("/api/v1/organisations", response_model=list[OrganisationOut], tags=["identity"])
def api_organisations(
    db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ORGANISATIONS))]
) -> list[OrganisationOut]:
    """Organisations the caller may see."""
    return [OrganisationOut.model_validate(o) for o in queries.list_organisations(db, user.principal)]


@router.get("/api/v1/organisations/{organisation_id:id}", response_model=OrganisationOut, tags=["identity"])
def api_organisation(
    db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ORGANISATIONS))], organisation_id: RowId
) -> OrganisationOut:
    """One organisation, if the caller may see it."""
    found = queries.get_organisation(db, user.principal, organisation_id)
    if found is None:
        raise HTTPException(404)
    return OrganisationOut.model_validate(found)
