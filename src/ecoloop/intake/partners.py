"""Partner platforms (issue 18, part 6): registering one with its API key, shown once and kept only as its SHA-256
digest; rotating the key; the feedback address and the signing secret; switching a platform off; and knowing a
platform by the key it presents.

Each partner has an alert rule of kind `partner` (code `partner.<code>`, named after the platform), made when the
partner is registered: its warnings become alerts of that rule (`events`), so that they show on the alert pages
with the platform as their source, and the rule's region, escalation and case deadline apply to them as to any
rule's alerts. The engine never evaluates such a rule (`rule_service.rule_specs`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.alerts.enums import Escalation
from ecoloop.alerts.models import AlertRule
from ecoloop.alerts.rule_service import RuleChange, save_rule
from ecoloop.alerts.rules import RuleKind
from ecoloop.alerts.service import AlertError
from ecoloop.identity.models import User
from ecoloop.intake.models import Partner

KEY_PREFIX: Final = "ecp_"  # every partner key starts so: a leaked key is recognisable in a scan
KEY_BYTES: Final = 32  # secrets.token_urlsafe(32): 43 characters after the prefix
SECRET_BYTES: Final = 32
SHOWN_PREFIX: Final = 12  # characters of a key kept in the clear to tell keys apart (`Partner.key_prefix`)
RULE_PREFIX: Final = "partner."
CODE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{1,47}")  # fits in a rule code after RULE_PREFIX
MAX_NAME: Final = 200
CASE_DEADLINE_DAYS: Final = 7
# A digest no key has: compared when the presented key matches no partner, so a miss costs what a hit costs.
_NO_DIGEST: Final = "0" * 64


class PartnerError(ValueError):
    """A partner operation that cannot be done; `code` is stable (the pages say it in words)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def key_digest(key: str) -> str:
    """The SHA-256 hex digest of an API key, as `Partner.key_hash` keeps it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh API key."""
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def rule_code(partner_code: str) -> str:
    """The code of a partner's alert rule."""
    return RULE_PREFIX + partner_code


def _set_key(partner: Partner) -> str:
    key = new_key()
    partner.key_hash = key_digest(key)
    partner.key_prefix = key[:SHOWN_PREFIX]
    return key


def register(
    session: Session,
    user: User,
    principal: Any,
    *,
    code: str,
    name: str,
    region_id: int | None,
    now: datetime,
    webhook_url: str = "",
) -> tuple[Partner, str]:
    """Register a platform with a new key and signing secret and make its alert rule; the key is returned this once
    (only its digest is kept). `webhook_url` must have been checked (`targets.target_problem`)."""
    if not allowed(principal, Action.MANAGE_PARTNERS):
        raise PartnerError("not_allowed")
    code, name = code.strip(), name.strip()
    if not CODE.fullmatch(code):
        raise PartnerError("code_invalid")
    if not name or len(name) > MAX_NAME:
        raise PartnerError("name_missing")
    if session.scalar(select(Partner.id).where(Partner.code == code)) is not None:
        raise PartnerError("code_taken")
    partner = Partner(code=code, name=name, webhook_url=webhook_url.strip(), active=True)
    key = _set_key(partner)
    partner.webhook_secret = secrets.token_urlsafe(SECRET_BYTES)
    session.add(partner)
    change = RuleChange(
        name=name,
        enabled=True,
        region_id=region_id,
        escalation=Escalation.MANUAL,  # a platform's warning is checked (核查) before anything is pushed
        case_deadline_days=CASE_DEADLINE_DAYS,
        reopen_hours=0,
        parameters={},
        note="partner platform registered",
    )
    try:
        save_rule(session, user, principal, change, now, code=rule_code(code), kind=RuleKind.PARTNER)
    except AlertError as exc:
        raise PartnerError("code_taken" if exc.code == "code_taken" else exc.code) from None
    session.flush()
    return partner, key


def partner_rule(session: Session, partner: Partner) -> AlertRule | None:
    """The alert rule a partner's warnings are raised under."""
    return session.scalar(select(AlertRule).where(AlertRule.code == rule_code(partner.code)))


def rotate_key(session: Session, partner: Partner) -> str:
    """Give the partner a new key (returned this once); the old one stops working at once."""
    key = _set_key(partner)
    session.flush()
    return key


def new_secret(session: Session, partner: Partner) -> str:
    """Give the partner a new signing secret (returned this once): its requests are signed with it, and so is the
    feedback sent to it."""
    partner.webhook_secret = secrets.token_urlsafe(SECRET_BYTES)
    session.flush()
    return partner.webhook_secret


def set_webhook(session: Session, partner: Partner, url: str) -> None:
    """Set (or clear, with "") the address the feedback is POSTed to; the caller has checked it."""
    partner.webhook_url = url.strip()
    session.flush()


def deactivate(session: Session, partner: Partner) -> None:
    """Switch a platform off: its key is refused from now on and its rule is disabled; what it sent stays."""
    partner.active = False
    rule = partner_rule(session, partner)
    if rule is not None:
        rule.enabled = False
    session.flush()


def authenticate(session: Session, presented_key: str | None) -> Partner | None:
    """The active partner whose key this is, or None. The key is looked up by its digest (a digest reveals nothing
    about other keys) and compared in constant time, a miss as long as a hit."""
    if not presented_key or len(presented_key) > 200:
        return None
    digest = key_digest(presented_key)
    partner = session.scalar(select(Partner).where(Partner.key_hash == digest))
    same = hmac.compare_digest(partner.key_hash if partner is not None else _NO_DIGEST, digest)
    if partner is None or not same or not partner.active:
        return None
    return partner


def list_partners(session: Session, principal: Principal) -> list[Partner]:
    """The partners the principal sees (the bureau's staff: all), active first, by name."""
    stmt = scoped(select(Partner), principal, Partner)
    return list(session.scalars(stmt.order_by(Partner.active.desc(), Partner.name, Partner.id)))


def get_partner(session: Session, principal: Principal, partner_id: int) -> Partner | None:
    """One partner if the principal sees it."""
    return get_visible(session, principal, Partner, partner_id)
