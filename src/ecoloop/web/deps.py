"""Request dependencies: settings, the database session and the current user (with CSRF checked)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed, require
from ecoloop.access.principal import Principal
from ecoloop.db.base import utcnow
from ecoloop.settings import Settings
from ecoloop.web.security import SAFE_METHODS, SESSION_COOKIE, client_ip, csrf_matches, csrf_token, presented_csrf


class LoginRequiredError(Exception):
    """No valid session or token: pages redirect to the login form, the API answers 401."""


class CsrfError(Exception):
    """A state-changing browser request without the CSRF token of its session."""


# A user account of the identity capability (`ecoloop.identity.models.User`). The shell imports no capability
# (issue 14), so it passes the account through without naming its type.
Account = Any


@dataclass(frozen=True)
class SignIn:
    """How the shell learns who is calling: the identity capability's look-ups (and the audit trail's actor), given
    to the app by `ecoloop.app`, so that the shell imports no capability (issue 14)."""

    by_token: Callable[[Session, str, datetime], Account | None]
    by_session: Callable[[Session, str, datetime, timedelta], Account | None]
    principal_for: Callable[[Account, Session], Principal]
    act_as: Callable[[Session, Account, str | None], None]


def sign_in_of(app_state: Any) -> SignIn:
    """The sign-in look-ups the app was given (`app.state.sign_in`)."""
    sign_in: SignIn = app_state.sign_in
    return sign_in


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user of a request, how they signed in, and the CSRF token for their forms."""

    user: Account
    principal: Principal
    via: str
    csrf: str


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """A database session for one request; routes commit what they change, the rest is rolled back."""
    with request.app.state.sessions() as session:
        yield session


async def _csrf_presented(request: Request) -> str | None:
    # Reading the form is async; the user lookup below is sync (it runs in the thread pool with the DB session).
    return None if request.method in SAFE_METHODS else await presented_csrf(request)


def current_user(
    request: Request,
    db: Annotated[Session, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_settings)],
    presented: Annotated[str | None, Depends(_csrf_presented)],
) -> CurrentUser:
    """The user of a bearer token or a session cookie; session requests that change state must carry the CSRF token."""
    now = utcnow()
    sign_in = sign_in_of(request.app.state)
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        user = sign_in.by_token(db, authorization[7:].strip(), now)
        if user is None:
            raise LoginRequiredError
        principal = sign_in.principal_for(user, db)
        if not allowed(principal, Action.USE_API_TOKENS):
            raise LoginRequiredError
        via, csrf = "token", ""
    else:
        raw = request.cookies.get(SESSION_COOKIE)
        user = sign_in.by_session(db, raw, now, timedelta(hours=settings.session_hours)) if raw else None
        if user is None or raw is None:
            raise LoginRequiredError
        principal = sign_in.principal_for(user, db)
        csrf = csrf_token(settings.signing_key, "session", raw)
        if request.method not in SAFE_METHODS and not csrf_matches(settings.signing_key, "session", raw, presented):
            raise CsrfError
        via = "session"
    db.commit()  # the sliding session expiry or token use time
    sign_in.act_as(db, user, client_ip(request))
    return CurrentUser(user=user, principal=principal, via=via, csrf=csrf)


def optional_user(
    request: Request,
    db: Annotated[Session, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> CurrentUser | None:
    """The signed-in user of a page that anonymous visitors may also see (read-only requests only)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    sign_in = sign_in_of(request.app.state)
    user = sign_in.by_session(db, raw, utcnow(), timedelta(hours=settings.session_hours))
    if user is None:
        return None
    db.commit()
    return CurrentUser(
        user, sign_in.principal_for(user, db), "session", csrf_token(settings.signing_key, "session", raw)
    )


DbSession = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
UserDep = Annotated[CurrentUser, Depends(current_user)]
OptionalUserDep = Annotated[CurrentUser | None, Depends(optional_user)]


def requires(action: Action) -> Callable[[CurrentUser], CurrentUser]:
    """A route dependency: the current user, whose role must be allowed `action` (403 otherwise), so that the
    route's signature says who may call it: `user: Annotated[CurrentUser, Depends(requires(Action.X))]`."""

    def dependency(user: UserDep) -> CurrentUser:
        require(user.principal, action)
        return user

    dependency.__name__ = f"requires_{action.value}"
    return dependency
