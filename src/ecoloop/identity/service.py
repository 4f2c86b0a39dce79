"""Transactions on users and their credentials: create, authenticate, sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.audit.service import record_event
from ecoloop.enterprises.models import Enterprise
from ecoloop.i18n import N_
from ecoloop.identity.enums import DepartmentType, OrgKind, Role
from ecoloop.identity.models import ApiToken, LoginThrottle, Organisation, User, WebSession
from ecoloop.identity.passwords import dummy_hash, hash_password, password_problem, verify_password
from ecoloop.identity.rules import ThrottlePolicy, ThrottleState, after_failure, is_locked
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.service import add_region

TOKEN_PREFIX = "eco_"

# The kind of organisation each role belongs to; enterprise users belong to an enterprise instead.
ROLE_ORG_KIND: dict[Role, OrgKind | None] = {
    Role.ADMIN: OrgKind.BUREAU,
    Role.LEADER: OrgKind.BUREAU,
    Role.ANALYST: OrgKind.BUREAU,
    Role.INSPECTOR: OrgKind.BUREAU,
    Role.HOTLINE: OrgKind.BUREAU,
    Role.BRANCH: OrgKind.BRANCH,
    Role.DEPARTMENT: OrgKind.DEPARTMENT,
    Role.ENTERPRISE: None,
}


class IdentityError(ValueError):
    """A user record or credential that cannot be accepted; `code` is stable, the message is for logs."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


def _sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def principal_for(user: User, session: Session) -> Principal:
    """The policy's view of `user`: role plus the region path of their organisation or enterprise."""
    if user.enterprise_id is not None:
        enterprise = session.get(Enterprise, user.enterprise_id)
        assert enterprise is not None  # foreign key
        region_path = enterprise.region.path
    else:
        assert user.organisation is not None  # ROLE_ORG_KIND guarantees one for every other role
        region_path = user.organisation.region.path
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        region_path=region_path,
        organisation_id=user.organisation_id,
        enterprise_id=user.enterprise_id,
    )


def _check_binding(session: Session, role: Role, organisation_id: int | None, enterprise_id: int | None) -> None:
    expected = ROLE_ORG_KIND[role]
    if expected is None:
        if enterprise_id is None or organisation_id is not None:
            raise IdentityError("enterprise_user_needs_enterprise")
        if session.get(Enterprise, enterprise_id) is None:
            raise IdentityError("unknown_enterprise")
        return
    if enterprise_id is not None:
        raise IdentityError("only_enterprise_users_have_enterprise")
    org = session.get(Organisation, organisation_id) if organisation_id is not None else None
    if org is None:
        raise IdentityError("unknown_organisation")
    if org.kind != expected:
        raise IdentityError("role_does_not_fit_organisation", f"role {role} needs an organisation of kind {expected}")


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    organisation_id: int | None = None,
    enterprise_id: int | None = None,
) -> User:
    """Add a user after checking the username, password strength and that the role fits the organisation."""
    username = username.strip().lower()
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise IdentityError("bad_username")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise IdentityError("username_taken")
    if problem := password_problem(password, username):
        raise IdentityError(problem)
    _check_binding(session, role, organisation_id, enterprise_id)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        role=role,
        organisation_id=organisation_id,
        enterprise_id=enterprise_id,
    )
    session.add(user)
    session.flush()
    return user


def update_user(
    session: Session,
    user: User,
    *,
    display_name: str,
    role: Role,
    organisation_id: int | None,
    enterprise_id: int | None,
    active: bool,
    now: datetime,
) -> User:
    """Change a user's name, role, binding or active flag; deactivating ends their sessions and revokes their API
    tokens."""
    _check_binding(session, role, organisation_id, enterprise_id)
    user.display_name = display_name.strip() or user.username
    user.role = role
    user.organisation_id = organisation_id
    user.enterprise_id = enterprise_id
    user.active = active
    if not active:
        _sign_out_everywhere(session, user, now)
    session.flush()
    return user


def _sign_out_everywhere(session: Session, user: User, now: datetime) -> None:
    """End every browser session of `user` and revoke their API tokens (issue 13: a token must not outlive a
    password change or a deactivation)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )


def set_password(session: Session, user: User, password: str, now: datetime) -> None:
    """Replace a user's password, sign out all their browsers and revoke their API tokens."""
    if problem := password_problem(password, user.username):
        raise IdentityError(problem)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    _sign_out_everywhere(session, user, now)
    session.flush()


def change_own_password(session: Session, user: User, current: str, new: str, now: datetime) -> None:
    """A user changes their own password, proving the current one."""
    if not verify_password(current, user.password_hash):
        raise IdentityError("wrong_current_password")
    set_password(session, user, new, now)


class LoginOutcome(StrEnum):
    """Result of a login attempt, as the login page explains it."""

    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt produced: the user on success, and until when a lock lasts."""

    outcome: LoginOutcome
    user: User | None = None
    locked_until: datetime | None = None


def _throttle_state(session: Session, scope: str, key: str) -> ThrottleState | None:
    row = session.get(LoginThrottle, (scope, key))
    if row is None:
        return None
    return ThrottleState(failures=row.failures, window_start=row.window_start, locked_until=row.locked_until)


def _save_throttle(session: Session, scope: str, key: str, state: ThrottleState) -> None:
    row = session.get(LoginThrottle, (scope, key))
    if row is None:
        row = LoginThrottle(scope=scope, key=key, window_start=state.window_start)
        session.add(row)
    row.failures = state.failures
    row.window_start = state.window_start
    row.locked_until = state.locked_until


def _purge_stale_throttles(
    session: Session, now: datetime, policy: ThrottlePolicy, keep: tuple[tuple[str, str], ...]
) -> None:
    """Forget failures whose window and lock have both passed, so guessed usernames do not pile up.

    The rows of this attempt (`keep`) are left to `after_failure`, which restarts their count.
    """
    stale = LoginThrottle.window_start < now - policy.window
    unlocked = LoginThrottle.locked_until.is_(None) | (LoginThrottle.locked_until < now)
    others = ~tuple_(LoginThrottle.scope, LoginThrottle.key).in_(keep)
    session.execute(
        delete(LoginThrottle).where(stale, unlocked, others), execution_options={"synchronize_session": False}
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    ip: str,
    now: datetime,
    policy: ThrottlePolicy,
    verify: Callable[[str, str], bool] = verify_password,
) -> LoginResult:
    """Check a username and password, counting failures per account and per IP and refusing while locked.

    Every attempt verifies the password against one hash (the user's, else a dummy one) whatever the outcome, so
    the answer takes as long for an unknown, deactivated or locked account as for a wrong password (issue 13).
    """
    username = username.strip().lower()
    keys = (("account", username), ("ip", ip))
    states = {scope: _throttle_state(session, scope, key) for scope, key in keys}
    locks = [s.locked_until for s in states.values() if s is not None and s.locked_until and is_locked(s, now)]
    if locks:
        verify(password, dummy_hash())
        record_event(session, "login_locked", "users", None, {"username": username})
        return LoginResult(LoginOutcome.LOCKED, locked_until=max(locks))
    user = session.scalar(select(User).where(User.username == username))
    matches = verify(password, user.password_hash if user is not None else dummy_hash())
    if user is not None and user.active and matches:
        session.execute(delete(LoginThrottle).where(LoginThrottle.scope == "account", LoginThrottle.key == username))
        return LoginResult(LoginOutcome.OK, user=user)
    _purge_stale_throttles(session, now, policy, keys)
    new_locks = []
    for scope, key in keys:
        state = after_failure(states[scope], now, policy)
        _save_throttle(session, scope, key, state)
        if is_locked(state, now):
            new_locks.append(state.locked_until)
    record_event(session, "login_failed", "users", str(user.id) if user else None, {"username": username})
    if new_locks:
        return LoginResult(LoginOutcome.LOCKED, locked_until=max(t for t in new_locks if t is not None))
    return LoginResult(LoginOutcome.INVALID)


def start_session(session: Session, user: User, ip: str | None, now: datetime, lifetime: timedelta) -> str:
    """Open a browser session for `user`; returns the raw token for the cookie (only its hash is stored)."""
    raw = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_sha256(raw), user_id=user.id, created_at=now, last_seen_at=now, expires_at=now + lifetime, ip=ip
        )
    )
    return raw


def resolve_session(session: Session, raw: str, now: datetime, lifetime: timedelta) -> User | None:
    """The active user of a session cookie, sliding its expiry; None when unknown or expired."""
    row = session.get(WebSession, _sha256(raw))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
        row.expires_at = now + lifetime
    return user


def session_open(session: Session, raw: str, now: datetime) -> bool:
    """Whether a session cookie's session is still open, without sliding its expiry (a long-lived feed checks it)."""
    expires = session.scalar(select(WebSession.expires_at).where(WebSession.token_hash == _sha256(raw)))
    return expires is not None and expires > now


def end_session(session: Session, raw: str) -> None:
    """Sign a browser out."""
    session.execute(delete(WebSession).where(WebSession.token_hash == _sha256(raw)))


def create_api_token(session: Session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new bearer token for `user`; the raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name.strip() or "token", prefix=raw[:10], token_hash=_sha256(raw), created_at=now
    )
    session.add(token)
    session.flush()
    return token, raw


def resolve_api_token(session: Session, raw: str, now: datetime) -> User | None:
    """The active user a bearer token acts for, or None when unknown or revoked."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(raw)))
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(hours=1):
        token.last_used_at = now
    return user


def api_token_active(session: Session, raw: str) -> bool:
    """Whether a bearer token exists and is not revoked, without marking it used (a long-lived feed checks it)."""
    revoked = session.execute(select(ApiToken.revoked_at).where(ApiToken.token_hash == _sha256(raw))).one_or_none()
    return revoked is not None and revoked.revoked_at is None


def revoke_api_token(session: Session, user: User, token_id: int, now: datetime) -> None:
    """Revoke one of the user's own tokens."""
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise IdentityError("unknown_token")
    token.revoked_at = now
    session.flush()


def list_api_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


ERROR_TEXT: dict[str, str] = {
    "bad_username": N_("A username has letters, digits, '.', '_' or '-' only."),
    "username_taken": N_("This username is taken."),
    "too_short": N_("A password has at least 10 characters."),
    "needs_letters_and_digits": N_("A password has both letters and digits."),
    "contains_username": N_("A password must not contain the username."),
    "enterprise_user_needs_enterprise": N_("An enterprise user belongs to one enterprise and no organisation."),
    "unknown_enterprise": N_("No such enterprise."),
    "only_enterprise_users_have_enterprise": N_("Only enterprise users belong to an enterprise."),
    "unknown_organisation": N_("No such organisation."),
    "role_does_not_fit_organisation": N_("This role does not fit the kind of organisation chosen."),
    "wrong_current_password": N_("The current password is wrong."),
    "unknown_token": N_("No such token."),
    "org_code_taken": N_("This organisation code is taken."),
    "already_initialised": N_("This database already holds a city: ecoloop init sets up an empty database only."),
    "department_needs_type": N_("A department needs its sector; other organisations have none."),
}


def create_organisation(
    session: Session,
    *,
    code: str,
    name: str,
    kind: OrgKind,
    region_id: int,
    department_type: DepartmentType | None = None,
    parent_id: int | None = None,
) -> Organisation:
    """Add an organisation attached to a region; departments name their sector."""
    code = code.strip().lower()
    if not code or session.scalar(select(Organisation.id).where(Organisation.code == code)) is not None:
        raise IdentityError("org_code_taken")
    if (kind is OrgKind.DEPARTMENT) != (department_type is not None):
        raise IdentityError("department_needs_type")
    org = Organisation(
        code=code,
        name=name.strip(),
        kind=kind,
        region_id=region_id,
        department_type=department_type,
        parent_id=parent_id,
    )
    session.add(org)
    session.flush()
    return org


@dataclass(frozen=True)
class Bureau:
    """What `initialise` set up: the city, its bureau and the first administrator."""

    city: Region
    bureau: Organisation
    admin: User


def initialise(
    session: Session,
    *,
    city_code: str,
    city_name: str,
    bureau_code: str,
    bureau_name: str,
    admin_username: str,
    admin_display_name: str,
    admin_password: str,
) -> Bureau:
    """Set up a new bureau on an empty database (issue 15): its city as the root of the region tree (a GB/T 2260
    city code), the bureau attached to it and the first administrator. Refused once any region, organisation or
    user exists, so it never runs twice; a bad city code raises `RegionCodeError`, a bad account `IdentityError`,
    and nothing is written."""
    for model in (Region, Organisation, User):
        if session.scalar(select(model.id).limit(1)) is not None:
            raise IdentityError("already_initialised")
    city = add_region(session, code=city_code.strip(), name=city_name, level=RegionLevel.CITY, parent=None)
    bureau = create_organisation(session, code=bureau_code, name=bureau_name, kind=OrgKind.BUREAU, region_id=city.id)
    admin = create_user(
        session,
        username=admin_username,
        display_name=admin_display_name,
        password=admin_password,
        role=Role.ADMIN,
        organisation_id=bureau.id,
    )
    return Bureau(city, bureau, admin)
