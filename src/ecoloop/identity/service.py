"""Transactions on users and their credentials: create, authenticate, sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.audit.service import record_event
from ecoloop.db.base import utcnow
from ecoloop.enterprises.models import Enterprise
from ecoloop.i18n import N_
from ecoloop.identity.enums import Category, DepartmentType, OrgKind, Role
from ecoloop.identity.models import (
    ApiToken,
    LoginThrottle,
    Organisation,
    OrganisationDuty,
    OrganisationRegion,
    PasswordSetup,
    User,
    WebSession,
)
from ecoloop.identity.passwords import (
    dummy_hash,
    hash_password,
    is_usable,
    password_problem,
    unusable_password_hash,
    verify_password,
)
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


def _check_binding(
    session: Session, role: Role, organisation_id: int | None, enterprise_id: int | None, current: int | None = None
) -> None:
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
    if not org.active and org.id != current:  # a user may stay in the retired organisation they are in
        raise IdentityError("organisation_retired")
    if org.kind != expected:
        raise IdentityError("role_does_not_fit_organisation", f"role {role} needs an organisation of kind {expected}")


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str | None = None,
    role: Role,
    organisation_id: int | None = None,
    enterprise_id: int | None = None,
) -> User:
    """Add a user after checking the username, password strength and that the role fits the organisation; without
    a password the account cannot sign in until its user follows a one-time link (`issue_password_link`)."""
    username = username.strip().lower()
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise IdentityError("bad_username")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise IdentityError("username_taken")
    if password is not None and (problem := password_problem(password, username)):
        raise IdentityError(problem)
    _check_binding(session, role, organisation_id, enterprise_id)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=unusable_password_hash() if password is None else hash_password(password),
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
    _check_binding(session, role, organisation_id, enterprise_id, current=user.organisation_id)
    user.display_name = display_name.strip() or user.username
    user.role = role
    user.organisation_id = organisation_id
    user.enterprise_id = enterprise_id
    if not active:
        retire_user(session, user, now=now)
    user.active = active
    session.flush()
    return user


def retire_user(session: Session, user: User, *, now: datetime | None = None, by: User | None = None) -> User:
    """Retire a user (停用): they cannot sign in, their browser sessions end, their API tokens are revoked and
    their unused set-password links stop working. An administrator cannot retire themselves (`by`)."""
    now = now or utcnow()
    if by is not None and by.id == user.id:
        raise IdentityError("cannot_retire_self")
    user.active = False
    _sign_out_everywhere(session, user, now)
    _void_open_links(session, user, now)
    session.flush()
    return user


def reactivate_user(session: Session, user: User) -> User:
    """Let a retired user sign in again with their password (their old sessions and tokens stay ended); their
    organisation must be active."""
    if user.organisation is not None and not user.organisation.active:
        raise IdentityError("organisation_retired")
    user.active = True
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


def _void_open_links(session: Session, user: User, now: datetime) -> None:
    """Make the user's links that could still be used expire now (row by row, so the audit trail shows it)."""
    stmt = select(PasswordSetup).where(
        PasswordSetup.user_id == user.id, PasswordSetup.used_at.is_(None), PasswordSetup.expires_at > now
    )
    for setup in session.scalars(stmt):
        setup.expires_at = now


def issue_password_link(session: Session, user: User, *, lifetime: timedelta, now: datetime | None = None) -> str:
    """A one-time link token for `user` to choose their password, valid for `lifetime` (the setting
    PASSWORD_LINK_HOURS); returned once, only its SHA-256 is stored. The user's earlier unused links stop working.
    The current password (if any) keeps working until the link is used."""
    now = now or utcnow()
    if not user.active:
        raise IdentityError("user_retired")
    _void_open_links(session, user, now)
    raw = secrets.token_urlsafe(32)
    session.add(PasswordSetup(token_hash=_sha256(raw), user_id=user.id, created_at=now, expires_at=now + lifetime))
    session.flush()
    return raw


def password_link_user(session: Session, raw: str, *, now: datetime | None = None) -> User | None:
    """The user a set-password link is for while it can be used (not used, not expired, the user active); None
    for any other token, whatever the reason, so that the page tells nothing about which user it was."""
    now = now or utcnow()
    if not raw or len(raw) > 128:
        return None
    setup = session.get(PasswordSetup, _sha256(raw))
    if setup is None or setup.used_at is not None or setup.expires_at <= now:
        return None
    user = session.get(User, setup.user_id)
    return user if user is not None and user.active else None


def redeem_password_link(session: Session, raw: str, new_password: str, *, now: datetime | None = None) -> User:
    """Set the password of a set-password link's user and use the link up (it works once): the password rules
    apply as for every password, and the user's sessions and API tokens end as with a password change. Raises
    `IdentityError("link_invalid")` for an unknown, used or expired link or a retired user."""
    now = now or utcnow()
    user = password_link_user(session, raw, now=now)
    if user is None:
        raise IdentityError("link_invalid")
    set_password(session, user, new_password, now)
    setup = session.get(PasswordSetup, _sha256(raw))
    assert setup is not None  # found above
    setup.used_at = now
    session.flush()
    _void_open_links(session, user, now)
    session.flush()
    return user


def link_attempts_locked(session: Session, ip: str, now: datetime) -> bool:
    """Whether the client address is locked (by failed sign-ins or failed set-password links) at `now`."""
    return is_locked(_throttle_state(session, "ip", ip), now)


def count_link_failure(session: Session, ip: str, now: datetime, policy: ThrottlePolicy) -> None:
    """Count a set-password link that did not work against the client address, as a failed sign-in: guessing
    links locks the address like guessing passwords (the tokens are 256 random bits: this only slows a scan)."""
    _save_throttle(session, "ip", ip, after_failure(_throttle_state(session, "ip", ip), now, policy))
    record_event(session, "password_link_failed", "password_setups", None)


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
    # An account without a usable password (never set: its set-password link is not used yet) is checked against
    # the dummy hash, which some password matches, so it must not count as a match.
    usable = user is not None and is_usable(user.password_hash)
    matches = verify(password, user.password_hash if user is not None and usable else dummy_hash())
    if user is not None and user.active and usable and matches:
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
    "cannot_retire_self": N_("You cannot retire your own account."),
    "organisation_retired": N_("This organisation is retired."),
    "unknown_region": N_("No such region."),
    "bad_parent": N_("An organisation's parent is another active organisation, not itself or one below it."),
    "org_has_active_users": N_("This organisation still has active users: retire them or move them first."),
    "org_has_active_children": N_("Organisations below this one are still active: retire or move them first."),
    "bureau_cannot_retire": N_("The bureau itself cannot be retired."),
    "user_retired": N_("This user is retired: reactivate them first."),
    "link_invalid": N_(
        "This link does not work: it has been used, it has expired or it is not a set-password link. Ask your "
        "administrator for a new one."
    ),
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
    _check_parent(session, None, parent_id)
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


def _check_parent(session: Session, org: Organisation | None, parent_id: int | None) -> None:
    """The parent of an organisation exists, is active, and is neither the organisation nor one below it."""
    if parent_id is None:
        return
    parent = session.get(Organisation, parent_id)
    seen: set[int] = set()
    node = parent
    while node is not None and node.id not in seen:  # walk up: the organisation must not be its own ancestor
        if org is not None and node.id == org.id:
            raise IdentityError("bad_parent")
        seen.add(node.id)
        node = session.get(Organisation, node.parent_id) if node.parent_id is not None else None
    if parent is None or not parent.active:
        raise IdentityError("bad_parent")


def update_organisation(session: Session, org: Organisation, *, name: str, parent_id: int | None) -> Organisation:
    """Rename an organisation or put it under another parent (not itself, nor one below it)."""
    _check_parent(session, org, parent_id)
    org.name = name.strip() or org.name
    org.parent_id = parent_id
    session.flush()
    return org


def set_coverage(session: Session, org: Organisation, region_ids: Iterable[int]) -> Organisation:
    """Make `region_ids` the regions an organisation covers besides its own (problems there are routed to it):
    rows for regions no longer named go, rows for new ones come, each change in the audit trail. Raises
    `IdentityError("unknown_region")` when an id is no active region."""
    wanted = set(region_ids) - {org.region_id}
    if wanted:
        found = set(session.scalars(select(Region.id).where(Region.id.in_(wanted), Region.active.is_(True))))
        if found != wanted:
            raise IdentityError("unknown_region")
    org.covered = [row for row in org.covered if row.region_id in wanted] + [
        OrganisationRegion(organisation_id=org.id, region_id=region_id)
        for region_id in sorted(wanted - {row.region_id for row in org.covered})
    ]
    session.flush()
    return org


def set_duties(session: Session, org: Organisation, categories: Iterable[Category]) -> Organisation:
    """Make `categories` the kinds of problem an organisation is responsible for (职责), each change audited."""
    wanted = set(categories)
    org.duties = [row for row in org.duties if row.category in wanted] + [
        OrganisationDuty(organisation_id=org.id, category=category)
        for category in sorted(wanted - {row.category for row in org.duties})
    ]
    session.flush()
    return org


def retire_organisation(session: Session, org: Organisation) -> Organisation:
    """Retire an organisation (撤销): refused for the bureau, and while it has active users or active
    organisations below it, so that nobody is left in, or reporting to, an organisation that no longer works.
    Its history, coverage and duties stay; no new user can join it."""
    if org.kind is OrgKind.BUREAU:
        raise IdentityError("bureau_cannot_retire")
    if session.scalar(select(User.id).where(User.organisation_id == org.id, User.active.is_(True)).limit(1)):
        raise IdentityError("org_has_active_users")
    children = select(Organisation.id).where(Organisation.parent_id == org.id, Organisation.active.is_(True))
    if session.scalar(children.limit(1)):
        raise IdentityError("org_has_active_children")
    org.active = False
    session.flush()
    return org


def reactivate_organisation(session: Session, org: Organisation) -> Organisation:
    """Bring a retired organisation back (its parent must be active)."""
    _check_parent(session, org, org.parent_id)
    org.active = True
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
