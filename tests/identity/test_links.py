"""One-time set-password links and accounts created without a password (issue 15), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.models import AuditRecord
from ecoloop.db.base import utcnow
from ecoloop.identity.enums import Role
from ecoloop.identity.models import PasswordSetup, User
from ecoloop.identity.passwords import dummy_hash, verify_password
from ecoloop.identity.rules import ThrottlePolicy
from ecoloop.identity.service import (
    IdentityError,
    LoginOutcome,
    authenticate,
    change_own_password,
    create_api_token,
    create_user,
    issue_password_link,
    password_link_user,
    redeem_password_link,
    resolve_api_token,
    resolve_session,
    retire_user,
    start_session,
)
from tests.factories import PASSWORD, World

LIFETIME = timedelta(hours=72)
POLICY = ThrottlePolicy(5, timedelta(minutes=15), timedelta(minutes=15))
NEW = "Chosen-pass-2027"


def _newcomer(db: Session, world: World) -> User:
    return create_user(
        db,
        username="newcomer",
        display_name="新同事",
        password=None,
        role=Role.ANALYST,
        organisation_id=world.bureau.id,
    )


def test_a_user_created_without_a_password_cannot_sign_in_with_any(db: Session, world: World) -> None:
    user = _newcomer(db, world)
    now = utcnow()
    # The dummy hash's own password would match the hash that an unusable one is checked against (issue 15).
    for guess in ("", "no such account 0", user.password_hash, NEW):
        assert authenticate(db, "newcomer", guess, "10.0.0.1", now, POLICY).outcome is LoginOutcome.INVALID
    assert not verify_password("no such account 0", user.password_hash)
    with pytest.raises(IdentityError) as err:
        change_own_password(db, user, "no such account 0", NEW, now)
    assert err.value.code == "wrong_current_password"


@pytest.mark.parametrize("stored", ["", "!", "plain-text-password", "$2b$12$notargon"])
def test_an_empty_or_foreign_hash_never_signs_in(db: Session, world: World, stored: str) -> None:
    user = world.users["analyst"]
    user.password_hash = stored
    db.flush()
    result = authenticate(db, "analyst", stored or "no such account 0", "10.0.0.2", utcnow(), POLICY)
    assert result.outcome is LoginOutcome.INVALID
    assert verify_password("no such account 0", dummy_hash())  # the reason the check above needs `usable`


def test_the_link_sets_the_password_once(db: Session, world: World) -> None:
    user = _newcomer(db, world)
    now = utcnow()
    raw = issue_password_link(db, user, lifetime=LIFETIME, now=now)

    assert len(raw) >= 43  # 32 random bytes, URL-safe
    stored = db.scalars(select(PasswordSetup).where(PasswordSetup.user_id == user.id)).one()
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest() and raw not in stored.token_hash
    assert stored.expires_at == now + LIFETIME
    assert password_link_user(db, raw, now=now) is user

    later = now + timedelta(minutes=5)
    assert redeem_password_link(db, raw, NEW, now=later) is user
    assert user.password_changed_at == later
    assert authenticate(db, "newcomer", NEW, "10.0.0.3", later, POLICY).outcome is LoginOutcome.OK
    assert stored.used_at == later
    with pytest.raises(IdentityError) as err:
        redeem_password_link(db, raw, "Another-pass-2028", now=later)
    assert err.value.code == "link_invalid"
    assert password_link_user(db, raw, now=later) is None


def test_a_link_does_not_work_after_it_expires(db: Session, world: World) -> None:
    user = _newcomer(db, world)
    now = utcnow()
    raw = issue_password_link(db, user, lifetime=LIFETIME, now=now)
    assert password_link_user(db, raw, now=now + LIFETIME - timedelta(seconds=1)) is user
    with pytest.raises(IdentityError) as err:
        redeem_password_link(db, raw, NEW, now=now + LIFETIME)
    assert err.value.code == "link_invalid"


def test_a_new_link_voids_the_earlier_unused_ones(db: Session, world: World) -> None:
    user = _newcomer(db, world)
    now = utcnow()
    first = issue_password_link(db, user, lifetime=LIFETIME, now=now)
    second = issue_password_link(db, user, lifetime=LIFETIME, now=now + timedelta(minutes=1))
    assert password_link_user(db, first, now=now + timedelta(minutes=2)) is None
    with pytest.raises(IdentityError):
        redeem_password_link(db, first, NEW, now=now + timedelta(minutes=2))
    assert redeem_password_link(db, second, NEW, now=now + timedelta(minutes=2)) is user
    other = issue_password_link(db, world.users["leader"], lifetime=LIFETIME, now=now)
    assert password_link_user(db, other, now=now + timedelta(minutes=2)) is world.users["leader"], "another user's"


def test_no_link_for_a_retired_user_and_retiring_voids_theirs(db: Session, world: World) -> None:
    user = _newcomer(db, world)
    now = utcnow()
    raw = issue_password_link(db, user, lifetime=LIFETIME, now=now)
    retire_user(db, user, now=now)
    assert password_link_user(db, raw, now=now) is None
    with pytest.raises(IdentityError) as err:
        redeem_password_link(db, raw, NEW, now=now)
    assert err.value.code == "link_invalid"
    with pytest.raises(IdentityError) as err:
        issue_password_link(db, user, lifetime=LIFETIME, now=now)
    assert err.value.code == "user_retired"
    user.active = True  # reactivated: the old link stays void
    db.flush()
    assert password_link_user(db, raw, now=now) is None


def test_a_link_that_is_no_link_finds_nobody(db: Session, world: World) -> None:
    issue_password_link(db, world.users["analyst"], lifetime=LIFETIME)
    for raw in ("", "x", "A" * 43, "A" * 5000):
        assert password_link_user(db, raw) is None


@pytest.mark.parametrize(("password", "code"), [("short-1", "too_short"), ("newcomer-2027", "contains_username")])
def test_the_password_rules_apply_and_a_refused_password_leaves_the_link_usable(
    db: Session, world: World, password: str, code: str
) -> None:
    user = _newcomer(db, world)
    raw = issue_password_link(db, user, lifetime=LIFETIME)
    with pytest.raises(IdentityError) as err:
        redeem_password_link(db, raw, password)
    assert err.value.code == code
    assert password_link_user(db, raw) is user


def test_a_reset_link_ends_the_users_sessions_and_tokens_when_used(db: Session, world: World) -> None:
    user = world.users["analyst"]
    now = utcnow()
    session_raw = start_session(db, user, "10.0.0.4", now, timedelta(hours=12))
    _token, token_raw = create_api_token(db, user, "uploader", now)
    raw = issue_password_link(db, user, lifetime=LIFETIME, now=now)
    assert authenticate(db, "analyst", PASSWORD, "10.0.0.4", now, POLICY).outcome is LoginOutcome.OK, "until used"

    redeem_password_link(db, raw, NEW, now=now)

    assert resolve_session(db, session_raw, now, timedelta(hours=12)) is None
    assert resolve_api_token(db, token_raw, now) is None
    assert authenticate(db, "analyst", PASSWORD, "10.0.0.5", now, POLICY).outcome is LoginOutcome.INVALID


def test_links_are_audited_without_their_token(db: Session, world: World) -> None:
    user = _newcomer(db, world)
    raw = issue_password_link(db, user, lifetime=LIFETIME)
    redeem_password_link(db, raw, NEW)
    records = db.scalars(select(AuditRecord).where(AuditRecord.entity_type == "password_setups")).all()
    assert [r.action for r in records] == ["create", "update"]
    text = " ".join(f"{r.entity_id} {r.before} {r.after}" for r in records)
    assert raw not in text and hashlib.sha256(raw.encode()).hexdigest() not in text
