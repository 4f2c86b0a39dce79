"""Partner platforms: registration with a key shown once and kept as its SHA-256 digest, the platform's alert rule,
key rotation, a new secret, switching off, knowing a platform by its key, and the audit trail without secrets."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts.models import AlertRuleVersion
from ecoloop.alerts.rule_service import rule_specs
from ecoloop.alerts.rules import RuleKind
from ecoloop.audit.models import AuditRecord
from ecoloop.intake import partners
from ecoloop.intake.partners import PartnerError
from tests.factories import World
from tests.intake.conftest import T0, Registered, register


def test_registering_keeps_only_the_keys_digest_and_makes_the_platforms_rule(
    db: Session, registered: Registered
) -> None:
    partner, key = registered.partner, registered.key

    assert key.startswith("ecp_") and len(key) > 40
    assert partner.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert partner.key_prefix == key[:12] and key not in partner.key_prefix + partner.key_hash
    assert len(partner.webhook_secret) >= 40
    rule = partners.partner_rule(db, partner)
    assert rule is not None and rule.kind is RuleKind.PARTNER and rule.name == "公安视频监控平台"
    assert rule.code == "partner.police-video" and rule.enabled
    assert db.scalar(select(AlertRuleVersion.version).where(AlertRuleVersion.rule_id == rule.id)) == 1
    assert rule.id not in {spec.id for spec in rule_specs(db)}  # the engine never evaluates it


def test_each_registration_gets_its_own_key(db: Session, world: World, registered: Registered) -> None:
    other = register(db, world, code="waste-system", name="固废管理信息系统")

    assert other.key != registered.key and other.partner.key_hash != registered.partner.key_hash


@pytest.mark.parametrize(
    ("code", "name", "reason"),
    [("police-video", "又一个", "code_taken"), ("Bad Code", "平台", "code_invalid"), ("ok-code", "  ", "name_missing")],
)
def test_registration_refusals(
    db: Session, world: World, registered: Registered, code: str, name: str, reason: str
) -> None:
    with pytest.raises(PartnerError) as refused:
        register(db, world, code=code, name=name)

    assert refused.value.code == reason


def test_only_the_administrator_registers(db: Session, world: World) -> None:
    with pytest.raises(PartnerError) as refused:
        partners.register(
            db, world.users["analyst"], world.principal(db, "analyst"), code="x1", name="平台", region_id=None, now=T0
        )

    assert refused.value.code == "not_allowed"


def test_the_key_knows_its_platform_and_nothing_else_does(db: Session, registered: Registered) -> None:
    assert partners.authenticate(db, registered.key) == registered.partner
    assert partners.authenticate(db, registered.key + "x") is None
    assert partners.authenticate(db, registered.partner.key_hash) is None  # the digest is no key
    assert partners.authenticate(db, "") is None
    assert partners.authenticate(db, None) is None


def test_a_rotated_key_replaces_the_old_one_at_once(db: Session, registered: Registered) -> None:
    new = partners.rotate_key(db, registered.partner)

    assert new != registered.key
    assert partners.authenticate(db, registered.key) is None
    assert partners.authenticate(db, new) == registered.partner
    assert registered.partner.key_prefix == new[:12]


def test_a_switched_off_platform_is_refused_and_its_rule_disabled(db: Session, registered: Registered) -> None:
    partners.deactivate(db, registered.partner)

    assert partners.authenticate(db, registered.key) is None
    rule = partners.partner_rule(db, registered.partner)
    assert rule is not None and not rule.enabled


def test_the_audit_trail_records_partners_without_their_key_digest_or_secret(
    db: Session, registered: Registered
) -> None:
    old_secret = registered.partner.webhook_secret
    new_secret = partners.new_secret(db, registered.partner)
    partners.rotate_key(db, registered.partner)
    db.flush()

    records = db.scalars(select(AuditRecord).where(AuditRecord.entity_type == "partners")).all()
    assert {r.action for r in records} >= {"create", "update"}
    text = " ".join(f"{r.before} {r.after}" for r in records)
    for secret in (registered.partner.key_hash, old_secret, new_secret, registered.key):
        assert secret not in text
