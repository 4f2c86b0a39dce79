"""Who sees which alerts, rules, notifications and webhooks (registered with `ecoloop.access.scope`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import REGION_ROLES, register, visible
from ecoloop.alerts.models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertRuleVersion,
    Notification,
    Webhook,
    WebhookCursor,
    WebhookDelivery,
)
from ecoloop.cases.models import Case
from ecoloop.identity.models import Organisation
from ecoloop.regions.queries import in_subtree


def _alerts(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(Alert.region_id, p)
    if p.role is Role.ENTERPRISE:
        return Alert.enterprise_id == p.enterprise_id
    if p.role is Role.DEPARTMENT:
        # A department sees the alerts behind the cases it works.
        return Alert.case_id.in_(select(Case.id).where(visible(p, Case)))
    return false()


def _alert_events(p: Principal) -> ColumnElement[bool]:
    return AlertEvent.alert_id.in_(select(Alert.id).where(_alerts(p)))


def _alert_rules(p: Principal) -> ColumnElement[bool]:
    # Rules are the bureau's and its branches' working configuration.
    return true() if p.role in REGION_ROLES else false()


def _alert_rule_versions(p: Principal) -> ColumnElement[bool]:
    return _alert_rules(p)


def _notifications(p: Principal) -> ColumnElement[bool]:
    return Notification.user_id == p.user_id


def _webhooks(p: Principal) -> ColumnElement[bool]:
    # An organisation's webhook is seen by the staff who see the organisation (the bureau: all of its area).
    if p.role in REGION_ROLES:
        return Webhook.organisation_id.in_(select(Organisation.id).where(visible(p, Organisation)))
    return false()


def _webhook_deliveries(p: Principal) -> ColumnElement[bool]:
    return WebhookDelivery.webhook_id.in_(select(Webhook.id).where(_webhooks(p)))


register(Alert, _alerts)
register(AlertEvent, _alert_events)
register(AlertRule, _alert_rules)
register(AlertRuleVersion, _alert_rule_versions)
register(Notification, _notifications)
register(Webhook, _webhooks)
register(WebhookDelivery, _webhook_deliveries)
register(WebhookCursor, lambda p: false())  # the sender's own bookkeeping
