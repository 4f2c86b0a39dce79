"""Users, credentials, sessions and tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.models import AuditRecord
from ecoloop.db.base import utcnow
from ecoloop.identity.enums import OrgKind, Role
from ecoloop.identity.models import LoginThrottle, WebSession
from ecoloop.identity.passwords import verify_password
from ecoloop.identity.rules import ThrottlePolicy
from ecoloop.identity.service import (
    IdentityError,
    LoginOutcome,
    authenticate,
    change_own_password,
    create_api_token,
    create_organisation,
    create_user,
    end_session,
    principal_for,
    resolve_api_token,
    resolve_session,
    revoke_api_token,
    set_password,
    start_session,
    update_user,
)
from tests.factories import PASSWORD, World

POLICY = ThrottlePolicy(5, timedelta(minutes=15), timedelta(minutes=15))
HOURS = timedelta(hours=12)


def test_create_user_normalises_and_hashes(db: Session, world: World) -> None:
    user = create_user(
        db,
        username=" ZhangWei ",
        display_name="张伟",
        password="Qingyuan-2026",
        role=Role.ANALYST,
        organisation_id=world.bureau.id,
    )
    assert user.username == "zhangwei"
    assert user.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(
    ("role", "org", "enterprise", "code"),
    [
        (Role.BRANCH, "bureau", None, "role_does_not_fit_organisation"),
        (Role.ANALYST, "branch_a", None, "role_does_not_fit_organisation"),
        (Role.DEPARTMENT, "bureau", None, "role_does_not_fit_organisation"),
        (Role.ENTERPRISE, None, None, "enterprise_user_needs_enterprise"),
        (Role.ENTERPRISE, "bureau", "enterprise_a", "enterprise_user_needs_enterprise"),
        (Role.ANALYST, "bureau", "enterprise_a", "only_enterprise_users_have_enterprise"),
        (Role.ANALYST, None, None, "unknown_organisation"),
    ],
)
def test_role_must_fit_binding(
    db: Session, world: World, role: Role, org: str | None, enterprise: str | None, code: str
) -> None:
    with pytest.raises(IdentityError) as err:
        create_user(
            db,
            username="newbie",
            display_name="x",
            password="Qingyuan-2026",
            role=role,
            organisation_id=getattr(world, org).id if org else None,
            enterprise_id=getattr(world, enterprise).id if enterprise else None,
        )
    assert err.value.code == code


def test_duplicate_and_bad_usernames(db: Session, world: World) -> None:
    for username, code in (("admin", "username_taken"), ("bad name", "bad_username"), ("", "bad_username")):
        with pytest.raises(IdentityError) as err:
            create_user(
                db,
                username=username,
                display_name="x",
                password="Qingyuan-2026",
                role=Role.ANALYST,
                organisation_id=world.bureau.id,
            )
        assert err.value.code == code


def test_principal_region_comes_from_organisation_or_enterprise(db: Session, world: World) -> None:
    assert principal_for(world.users["branch_a"], db).region_path == "371800.371802."
    assert principal_for(world.users["admin"], db).region_path == "371800."
    assert principal_for(world.users["enterprise_a"], db).region_path == world.village_a.path


def test_authenticate_success_and_failure(db: Session, world: World) -> None:
    now = utcnow()
    assert authenticate(db, "ADMIN", PASSWORD, "10.0.0.1", now, POLICY).outcome is LoginOutcome.OK
    assert authenticate(db, "admin", "wrong-password-1", "10.0.0.1", now, POLICY).outcome is LoginOutcome.INVALID
    assert authenticate(db, "nobody", PASSWORD, "10.0.0.1", now, POLICY).outcome is LoginOutcome.INVALID


def test_account_locks_after_five_failures_then_unlocks(db: Session, world: World) -> None:
    now = utcnow()
    outcomes = [authenticate(db, "leader", f"wrong-{i}", f"10.0.1.{i}", now, POLICY).outcome for i in range(5)]
    assert outcomes == [LoginOutcome.INVALID] * 4 + [LoginOutcome.LOCKED]
    locked = authenticate(db, "leader", PASSWORD, "10.0.9.9", now + timedelta(minutes=14), POLICY)
    assert locked.outcome is LoginOutcome.LOCKED
    assert locked.user is None
    assert authenticate(db, "leader", PASSWORD, "10.0.9.9", now + timedelta(minutes=16), POLICY).user is not None


def test_ip_locks_after_five_failures_on_any_accounts(db: Session, world: World) -> None:
    now = utcnow()
    for name in ("admin", "leader", "analyst", "inspector", "hotline"):
        authenticate(db, name, "wrong-password-1", "10.9.9.9", now, POLICY)
    assert authenticate(db, "branch_a", PASSWORD, "10.9.9.9", now, POLICY).outcome is LoginOutcome.LOCKED
    assert authenticate(db, "branch_a", PASSWORD, "10.9.9.8", now, POLICY).outcome is LoginOutcome.OK


def test_success_resets_the_account_counter(db: Session, world: World) -> None:
    now = utcnow()
    for i in range(4):
        authenticate(db, "analyst", "wrong-password-1", f"10.0.2.{i}", now, POLICY)
    authenticate(db, "analyst", PASSWORD, "10.0.2.9", now, POLICY)
    assert db.get(LoginThrottle, ("account", "analyst")) is None


def test_failed_logins_are_audited(db: Session, world: World) -> None:
    authenticate(db, "admin", "wrong-password-1", "10.0.0.1", utcnow(), POLICY)
    db.flush()
    row = db.scalars(select(AuditRecord).where(AuditRecord.action == "login_failed")).one()
    assert row.after == {"username": "admin"}


def test_inactive_user_cannot_log_in(db: Session, world: World) -> None:
    user = world.users["inspector"]
    update_user(
        db,
        user,
        display_name="x",
        role=Role.INSPECTOR,
        organisation_id=world.bureau.id,
        enterprise_id=None,
        active=False,
        now=utcnow(),
    )
    assert authenticate(db, "inspector", PASSWORD, "10.0.0.1", utcnow(), POLICY).outcome is LoginOutcome.INVALID


class CountingVerify:
    """The real password check, counting the hashes it verifies against."""

    def __init__(self) -> None:
        self.hashes: list[str] = []

    def __call__(self, password: str, hashed: str) -> bool:
        self.hashes.append(hashed)
        return verify_password(password, hashed)


def _deactivate(db: Session, world: World, name: str) -> None:
    user = world.users[name]
    user.active = False
    db.flush()


def _lock(db: Session, scope: str, key: str) -> None:
    now = utcnow()
    db.add(LoginThrottle(scope=scope, key=key, failures=5, window_start=now, locked_until=now + timedelta(minutes=9)))
    db.flush()


@pytest.mark.parametrize(
    ("username", "password", "prepare", "outcome"),
    [
        ("analyst", PASSWORD, None, LoginOutcome.OK),
        ("analyst", "wrong-password-1", None, LoginOutcome.INVALID),
        ("nobody", "wrong-password-1", None, LoginOutcome.INVALID),
        ("analyst", "wrong-password-1", "deactivated", LoginOutcome.INVALID),
        ("analyst", PASSWORD, "deactivated", LoginOutcome.INVALID),
        ("analyst", "wrong-password-1", "account locked", LoginOutcome.LOCKED),
        ("nobody", "wrong-password-1", "address locked", LoginOutcome.LOCKED),
    ],
)
def test_every_login_attempt_verifies_one_password_hash(
    db: Session, world: World, username: str, password: str, prepare: str | None, outcome: LoginOutcome
) -> None:
    """A deactivated, unknown or locked account costs the same Argon2 work as a wrong password (issue 13: a
    deactivated account answered in 10-25 ms instead of 200-600 ms)."""
    if prepare == "deactivated":
        _deactivate(db, world, username)
    elif prepare == "account locked":
        _lock(db, "account", username)
    elif prepare == "address locked":
        _lock(db, "ip", "10.0.0.1")
    verify = CountingVerify()

    result = authenticate(db, username, password, "10.0.0.1", utcnow(), POLICY, verify=verify)

    assert result.outcome is outcome
    assert len(verify.hashes) == 1
    assert verify.hashes[0].startswith("$argon2id$")


def _seconds(db: Session, username: str, password: str, ip: str) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        authenticate(db, username, password, ip, utcnow(), ThrottlePolicy(99, timedelta(minutes=1), timedelta(0)))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_a_deactivated_account_answers_as_slowly_as_a_wrong_password(db: Session, world: World) -> None:
    """Timing, with generous bounds: a deactivated account used to answer 10-20 times faster."""
    _deactivate(db, world, "inspector")
    wrong = _seconds(db, "analyst", "wrong-password-1", "10.0.3.1")
    deactivated = _seconds(db, "inspector", "wrong-password-1", "10.0.3.2")
    assert deactivated > wrong / 5


@pytest.mark.parametrize("how", ["own change", "reset", "deactivation"])
def test_a_password_change_reset_or_deactivation_revokes_the_users_api_tokens(
    db: Session, world: World, how: str
) -> None:
    now = utcnow()
    user = world.users["analyst"]
    _token, raw = create_api_token(db, user, "uploader", now)
    _other, other_raw = create_api_token(db, world.users["leader"], "uploader", now)
    if how == "own change":
        change_own_password(db, user, PASSWORD, "Another-pass-2026", now)
    elif how == "reset":
        set_password(db, user, "Another-pass-2026", now)
    else:
        update_user(
            db,
            user,
            display_name="x",
            role=user.role,
            organisation_id=user.organisation_id,
            enterprise_id=None,
            active=False,
            now=now,
        )
    user.active = True  # a reactivated user does not get the old tokens back
    db.flush()
    assert resolve_api_token(db, raw, now) is None
    assert resolve_api_token(db, other_raw, now) is world.users["leader"]


def test_saving_an_active_user_keeps_their_api_tokens(db: Session, world: World) -> None:
    now = utcnow()
    user = world.users["analyst"]
    _token, raw = create_api_token(db, user, "uploader", now)
    update_user(
        db,
        user,
        display_name="x",
        role=user.role,
        organisation_id=user.organisation_id,
        enterprise_id=None,
        active=True,
        now=now,
    )
    assert resolve_api_token(db, raw, now) is user


def test_session_lifecycle(db: Session, world: World) -> None:
    now = utcnow()
    user = world.users["analyst"]
    raw = start_session(db, user, "10.0.0.1", now, HOURS)
    db.flush()
    assert db.get(WebSession, raw) is None  # only the hash is stored
    assert resolve_session(db, raw, now + timedelta(hours=1), HOURS) is user
    assert resolve_session(db, raw, now + timedelta(hours=14), HOURS) is None  # slid to 13 h, then expired
    end_session(db, raw)
    assert resolve_session(db, raw, now, HOURS) is None


def test_password_change_ends_sessions(db: Session, world: World) -> None:
    now = utcnow()
    user = world.users["analyst"]
    raw = start_session(db, user, None, now, HOURS)
    with pytest.raises(IdentityError):
        change_own_password(db, user, "not-the-password-1", "Another-pass-2026", now)
    change_own_password(db, user, PASSWORD, "Another-pass-2026", now)
    assert resolve_session(db, raw, now, HOURS) is None
    with pytest.raises(IdentityError):
        set_password(db, user, "weak", now)


def test_api_tokens(db: Session, world: World) -> None:
    now = utcnow()
    user = world.users["analyst"]
    token, raw = create_api_token(db, user, "uploader", now)
    assert raw.startswith("eco_") and token.prefix == raw[:10]
    assert token.token_hash != raw
    assert resolve_api_token(db, raw, now) is user
    assert resolve_api_token(db, raw + "x", now) is None
    assert resolve_api_token(db, "not-a-token", now) is None
    revoke_api_token(db, user, token.id, now)
    assert resolve_api_token(db, raw, now) is None
    with pytest.raises(IdentityError):
        revoke_api_token(db, world.users["admin"], token.id, now)


def test_create_organisation_rules(db: Session, world: World) -> None:
    org = create_organisation(db, code="Branch-371881", name="泉阳市分局", kind=OrgKind.BRANCH, region_id=world.city.id)
    assert org.code == "branch-371881"
    for kwargs, code in (
        ({"code": "bureau", "kind": OrgKind.BUREAU}, "org_code_taken"),
        ({"code": "dept-x", "kind": OrgKind.DEPARTMENT}, "department_needs_type"),
    ):
        with pytest.raises(IdentityError) as err:
            create_organisation(db, name="x", region_id=world.city.id, **kwargs)  # type: ignore[arg-type]
        assert err.value.code == code
