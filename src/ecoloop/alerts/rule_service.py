"""The alert rules as stored: the built-in ones, every change saved as a version (who, when, why), and the
enabled rules' current versions as the engine applies them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action as AccessAction
from ecoloop.access.actions import allowed
from ecoloop.alerts import config
from ecoloop.alerts.enums import Escalation
from ecoloop.alerts.evaluate import RuleSpec
from ecoloop.alerts.models import AlertRule, AlertRuleVersion
from ecoloop.alerts.rules import EXTERNAL_KINDS, RuleKind
from ecoloop.alerts.service import AlertError
from ecoloop.i18n import DEFAULT_LOCALE, gettext, use_locale
from ecoloop.identity.models import User
from ecoloop.regions.models import Region

# What a rule version records besides its number, note and author; a change to any of them makes a new version.
# `RuleChange` names its fields alike.
VERSIONED = ("name", "enabled", "region_id", "escalation", "case_deadline_days", "reopen_hours", "parameters")


def _version(rule: AlertRule, note: str, by: User | None, now: datetime) -> AlertRuleVersion:
    return AlertRuleVersion(
        rule_id=rule.id,
        version=rule.version,
        note=note,
        created_at=now,
        created_by_id=by.id if by else None,
        **{name: getattr(rule, name) for name in VERSIONED},
    )


def ensure_builtin_rules(session: Session, now: datetime) -> int:
    """Add the built-in rules that are missing (by code), each with its first version; how many were added."""
    have = set(session.scalars(select(AlertRule.code)))
    added = 0
    for builtin in config.BUILTIN_RULES:
        if builtin.code in have:
            continue
        with use_locale(DEFAULT_LOCALE):  # a rule's name is data: kept in the bureau's language
            name = gettext(config.BUILTIN_NAMES[builtin.code])
        rule = AlertRule(
            code=builtin.code,
            name=name,
            kind=builtin.kind,
            escalation=builtin.escalation,
            case_deadline_days=builtin.case_deadline_days,
            parameters=config.normalised(builtin.kind, builtin.parameters),
        )
        session.add(rule)
        session.flush()
        session.add(_version(rule, "built-in", None, now))
        added += 1
    session.flush()
    return added


@dataclass(frozen=True)
class RuleChange:
    """What an analyst submits in the rule editor."""

    name: str
    enabled: bool
    region_id: int | None
    escalation: Escalation
    case_deadline_days: int
    reopen_hours: int
    parameters: dict[str, Any]
    note: str = ""


def save_rule(
    session: Session,
    user: User,
    principal: Any,
    change: RuleChange,
    now: datetime,
    *,
    rule: AlertRule | None = None,
    code: str = "",
    kind: RuleKind | None = None,
) -> AlertRule:
    """Create a rule (`code`, `kind`) or change `rule`; either way a new version is saved. Parameters are checked
    (`config.RuleConfigError` names the field); an unchanged rule gets no new version."""
    if not allowed(principal, AccessAction.MANAGE_ALERT_RULES):
        raise AlertError("not_allowed")
    if not change.name.strip():
        raise AlertError("name_missing")
    if not 1 <= change.case_deadline_days <= 365 or not 0 <= change.reopen_hours <= 24 * 30:
        raise AlertError("out_of_range")
    if rule is None:
        if kind is None or not code.strip():
            raise AlertError("code_missing")
        if session.scalar(select(AlertRule.id).where(AlertRule.code == code.strip())) is not None:
            raise AlertError("code_taken")
        rule = AlertRule(code=code.strip(), kind=kind, version=0, parameters={})
        session.add(rule)
    parameters = config.normalised(rule.kind, change.parameters)
    state = {name: getattr(change, name) for name in VERSIONED}
    state |= {"name": change.name.strip(), "parameters": parameters}
    if rule.version and all(getattr(rule, name) == value for name, value in state.items()):
        return rule
    for name, value in state.items():
        setattr(rule, name, value)
    rule.version = (rule.version or 0) + 1
    session.flush()
    session.add(_version(rule, change.note, user, now))
    session.flush()
    return rule


def rule_specs(session: Session) -> list[RuleSpec]:
    """The enabled rules as the engine applies them (current versions); the kinds raised elsewhere (partner
    platforms, electricity checks) are not among them."""
    rows = session.execute(
        select(AlertRule, AlertRuleVersion.id, Region.path)
        .join(
            AlertRuleVersion,
            (AlertRuleVersion.rule_id == AlertRule.id) & (AlertRuleVersion.version == AlertRule.version),
        )
        .outerjoin(Region, Region.id == AlertRule.region_id)
        # a partner's rule is not evaluated: its alerts come in through `POST /api/v1/events` (issue 18); nor the
        # electricity checks' (issue 20), raised by `electricity.service`
        .where(AlertRule.enabled, AlertRule.kind.not_in(EXTERNAL_KINDS))
        .order_by(AlertRule.id)
    ).all()
    return [
        RuleSpec(
            id=rule.id,
            version_id=version_id,
            code=rule.code,
            kind=rule.kind,
            thresholds=config.thresholds_from(rule.kind, rule.parameters),
            options=config.options_from(rule.kind, rule.parameters),
            region_path=path,
            escalation=rule.escalation,
            case_deadline_days=rule.case_deadline_days,
            reopen_within=timedelta(hours=rule.reopen_hours),
        )
        for rule, version_id, path in rows
    ]


def rules_stamp(session: Session) -> tuple[int, str]:
    """Changes whenever a rule is saved or switched (the engine reloads its rules when this differs)."""
    versions = session.scalar(select(func.max(AlertRuleVersion.id)))
    changed = session.scalar(select(func.max(AlertRule.updated_at)))
    return int(versions or 0), str(changed)
