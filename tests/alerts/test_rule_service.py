"""The alert rules as stored, on both databases: built-in rules, versions of every change, checked edits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts import rule_service
from ecoloop.alerts.config import RuleConfigError
from ecoloop.alerts.enums import Escalation
from ecoloop.alerts.models import AlertRule, AlertRuleVersion
from ecoloop.alerts.rules import RuleKind
from ecoloop.alerts.service import AlertError
from tests.factories import World

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def change(rule: AlertRule, **overrides: object) -> rule_service.RuleChange:
    fields: dict[str, object] = {
        "name": rule.name,
        "enabled": rule.enabled,
        "region_id": rule.region_id,
        "escalation": rule.escalation,
        "case_deadline_days": rule.case_deadline_days,
        "reopen_hours": rule.reopen_hours,
        "parameters": dict(rule.parameters),
    }
    return rule_service.RuleChange(**(fields | overrides))  # type: ignore[arg-type]


def test_built_in_rules_are_added_once_with_a_first_version(db: Session, rules: dict[str, AlertRule]) -> None:
    assert rule_service.ensure_builtin_rules(db, NOW) == 0
    assert all(rule.version == 1 for rule in rules.values())
    versions = db.scalars(select(AlertRuleVersion).where(AlertRuleVersion.rule_id == rules["air-hotspot"].id)).all()
    assert [v.version for v in versions] == [1]


def test_saving_a_rule_makes_a_version_and_an_unchanged_save_does_not(
    db: Session, world: World, rules: dict[str, AlertRule]
) -> None:
    analyst = world.users["analyst"]
    principal = world.principal(db, "analyst")
    rule = rules["air-hotspot"]
    params = dict(rule.parameters) | {"ratio": "2.0"}
    rule_service.save_rule(db, analyst, principal, change(rule, parameters=params, note="更严"), NOW, rule=rule)
    assert rule.version == 2 and rule.parameters["ratio"] == "2.0"
    rule_service.save_rule(db, analyst, principal, change(rule), NOW, rule=rule)
    assert rule.version == 2
    versions = db.scalars(
        select(AlertRuleVersion).where(AlertRuleVersion.rule_id == rule.id).order_by(AlertRuleVersion.version)
    ).all()
    assert [(v.version, v.parameters["ratio"], v.note, v.created_by_id) for v in versions] == [
        (1, "1.5", "built-in", None),
        (2, "2.0", "更严", analyst.id),
    ]


def test_rule_edits_are_checked(db: Session, world: World, rules: dict[str, AlertRule]) -> None:
    rule = rules["air-hotspot"]
    with pytest.raises(RuleConfigError):
        rule_service.save_rule(
            db,
            world.users["analyst"],
            world.principal(db, "analyst"),
            change(rule, parameters={"ratio": "x"}),
            NOW,
            rule=rule,
        )
    with pytest.raises(AlertError, match="not_allowed"):
        rule_service.save_rule(
            db, world.users["branch_a"], world.principal(db, "branch_a"), change(rule), NOW, rule=rule
        )
    with pytest.raises(AlertError, match="code_taken"):
        rule_service.save_rule(
            db,
            world.users["analyst"],
            world.principal(db, "analyst"),
            change(rule),
            NOW,
            code="air-hotspot",
            kind=rule.kind,
        )
    created = rule_service.save_rule(
        db,
        world.users["analyst"],
        world.principal(db, "analyst"),
        change(rule, name="柳林镇PM2.5热点", region_id=world.town_b.id, escalation=Escalation.AUTOMATIC),
        NOW,
        code="hotspot-liulin",
        kind=RuleKind.AIR_HOTSPOT,
    )
    assert created.version == 1 and created.region_id == world.town_b.id
