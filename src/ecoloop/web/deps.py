"""Request dependencies: settings, the database session, the unit of work of a route that writes, the current user
(with CSRF checked) and the action a route's role must be allowed, and the `id` path convertor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from starlette.convertors import Convertor, register_url_convertor

from ecoloop.access.actions import Action, ForbiddenError, allowed
from ecoloop.access.principal import Principal
from ecoloop.db.base import RowId, utcnow
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
    """A database session for one request; what a route changes is committed by `unit_of_work`, the rest is
    rolled back when the session closes."""
    with request.app.state.sessions() as session:
        yield session


def unit_of_work(db: Annotated[Session, Depends(get_db)]) -> Iterator[Session]:
    """The session of a route that writes, as one transaction: committed when the route returns, before its answer
    is sent (`scope="function"` in `UnitOfWork`), and rolled back when it raises. A commit that fails therefore
    answers with the error page, never with a success whose data was lost. Routes and services do not commit; a
    route that refuses a form after a service wrote part of it rolls back before it renders the form again."""
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()


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
UnitOfWork = Annotated[Session, Depends(unit_of_work, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
UserDep = Annotated[CurrentUser, Depends(current_user)]
OptionalUserDep = Annotated[CurrentUser | None, Depends(optional_user)]


_DECLARED: dict[object, tuple[frozenset[Action], bool]] = {}  # each `requires` dependency: its actions, any_of


@cache
def requires(*actions: Action, any_of: bool = False) -> Callable[[Request, CurrentUser], CurrentUser]:
    """A route dependency: the current user, whose role must be allowed every one of `actions` (with `any_of`, at
    least one), 403 otherwise, so that the route's signature says who may call it:
    `user: Annotated[CurrentUser, Depends(requires(Action.X))]`. What a role may do on one loaded row (the party
    of a case, the state of an alert) is the service's to check, not the route's."""
    wanted = frozenset(actions)
    if not wanted:
        raise ValueError("requires() needs an action")

    def dependency(request: Request, user: UserDep) -> CurrentUser:
        refuse_impossible_ids(request)
        granted = [allowed(user.principal, action) for action in sorted(wanted)]
        if not (any(granted) if any_of else all(granted)):
            raise ForbiddenError(f"role {user.principal.role} may not {'/'.join(sorted(wanted))}")
        return user

    dependency.__name__ = "requires_" + ("_or_" if any_of else "_and_").join(sorted(wanted))
    _DECLARED[dependency] = (wanted, any_of)
    return dependency


_ROW_ID: TypeAdapter[int] = TypeAdapter(RowId)


def refuse_impossible_ids(request: Request) -> None:
    """Refuse an id in the path that no row can have (`{name:id}` beyond 1..MAX_INT) as invalid input, before the
    role is checked: such an id is not found (404 on a page, 422 in the API) whoever asks, as when the route
    checked the role in its body, after FastAPI had validated the path (issue 13)."""
    errors: list[dict[str, Any]] = []
    for name, value in request.path_params.items():
        if isinstance(value, int):
            try:
                _ROW_ID.validate_python(value)
            except ValidationError as exc:
                errors += [{**error, "loc": ("path", name)} for error in exc.errors()]
    if errors:
        raise RequestValidationError(errors)


def declared_actions(call: Callable[..., object]) -> tuple[frozenset[Action], bool] | None:
    """The actions a `requires` dependency checks and whether any one of them suffices; None for other callables."""
    return _DECLARED.get(call)


class RowIdConvertor(Convertor[int]):
    """`{name:id}` in a route's path: a row id (digits; a sign too, so that an impossible id such as -1 is refused
    by `RowId` as before: 404 on a page, 422 in the API), never a word, so `/cases/new` is no case id and the order
    of the routers does not matter (issue 14)."""

    regex = "-?[0-9]+"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("id", RowIdConvertor())
