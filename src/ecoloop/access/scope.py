"""Row scoping: every query for records goes through `scoped()` or `get_visible()`.

Roles of the bureau (admin, leader, analyst, inspector, hotline) and of a county branch see the records in the
subtree of their organisation's region; a department sees what is assigned to its organisation; an enterprise
sees its own records. A record outside the scope is not found (404), never forbidden (403): its existence is
not revealed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from ecoloop.access.principal import Principal
from ecoloop.alerts.models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertRuleVersion,
    Notification,
    Webhook,
    WebhookDelivery,
)
from ecoloop.audit.models import AuditRecord
from ecoloop.cases.models import Attachment, Case, CaseEvent, CaseUnit, Milestone, SupervisionBatch
from ecoloop.enterprises.models import (
    DataCorrection,
    Enterprise,
    GradeRecord,
    ListMembership,
    Outlet,
    OutletLimit,
    Permit,
    SupervisionList,
)
from ecoloop.identity.enums import Role
from ecoloop.identity.models import Organisation, User
from ecoloop.monitoring.models import Device, Site
from ecoloop.regions.models import Region

T = TypeVar("T")
# Any select, of one entity or of several columns.
SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")
ScopeRule = Callable[[Principal], ColumnElement[bool]]

REGION_ROLES = frozenset({Role.ADMIN, Role.LEADER, Role.ANALYST, Role.INSPECTOR, Role.HOTLINE, Role.BRANCH})


def in_subtree(region_id: InstrumentedAttribute[int], principal: Principal) -> ColumnElement[bool]:
    """`region_id` lies in the subtree of the principal's region."""
    return region_id.in_(select(Region.id).where(Region.path.startswith(principal.region_path, autoescape=True)))


def _regions(p: Principal) -> ColumnElement[bool]:
    # Regions are reference data: every role sees its own subtree (an enterprise its own area).
    return Region.path.startswith(p.region_path, autoescape=True)


def _organisations(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(Organisation.region_id, p)
    if p.role is Role.DEPARTMENT:
        return Organisation.id == p.organisation_id
    return false()


def _users(p: Principal) -> ColumnElement[bool]:
    return true() if p.role is Role.ADMIN else User.id == p.user_id


def _enterprises(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(Enterprise.region_id, p)
    if p.role is Role.ENTERPRISE:
        return Enterprise.id == p.enterprise_id
    # Departments see enterprises only through the cases assigned to them (issue 6).
    return false()


def _of_visible_enterprise(column: InstrumentedAttribute[int]) -> ScopeRule:
    """Rows that belong to an enterprise are visible with their enterprise."""

    def rule(p: Principal) -> ColumnElement[bool]:
        return column.in_(select(Enterprise.id).where(_enterprises(p)))

    return rule


def _outlets(p: Principal) -> ColumnElement[bool]:
    return Outlet.permit_id.in_(select(Permit.id).where(_of_visible_enterprise(Permit.enterprise_id)(p)))


def _outlet_limits(p: Principal) -> ColumnElement[bool]:
    return OutletLimit.outlet_id.in_(select(Outlet.id).where(_outlets(p)))


def _lists(p: Principal) -> ColumnElement[bool]:
    # List definitions are public knowledge inside the platform; memberships follow their enterprise.
    return true()


def _cases(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(Case.region_id, p)
    if p.role is Role.DEPARTMENT:
        # A department sees the cases it leads or helps with, wherever they are.
        helping = select(CaseUnit.case_id).where(CaseUnit.organisation_id == p.organisation_id)
        return or_(Case.lead_unit_id == p.organisation_id, Case.id.in_(helping))
    if p.role is Role.ENTERPRISE:
        return Case.enterprise_id == p.enterprise_id
    return false()


def _of_visible_case(column: InstrumentedAttribute[int]) -> ScopeRule:
    """Timeline events, attachments, co-units and milestones are visible with their case."""

    def rule(p: Principal) -> ColumnElement[bool]:
        return column.in_(select(Case.id).where(_cases(p)))

    return rule


def _batches(p: Principal) -> ColumnElement[bool]:
    # Batches are the bureau's bookkeeping; units and enterprises reach their cases directly.
    return true() if p.role in REGION_ROLES else false()


def _sites(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(Site.region_id, p)
    if p.role is Role.ENTERPRISE:
        return Site.enterprise_id == p.enterprise_id
    return false()


def _devices(p: Principal) -> ColumnElement[bool]:
    return Device.site_id.in_(select(Site.id).where(_sites(p)))


def _alerts(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(Alert.region_id, p)
    if p.role is Role.ENTERPRISE:
        return Alert.enterprise_id == p.enterprise_id
    if p.role is Role.DEPARTMENT:
        # A department sees the alerts behind the cases it works.
        return Alert.case_id.in_(select(Case.id).where(_cases(p)))
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
        return Webhook.organisation_id.in_(select(Organisation.id).where(_organisations(p)))
    return false()


def _webhook_deliveries(p: Principal) -> ColumnElement[bool]:
    return WebhookDelivery.webhook_id.in_(select(Webhook.id).where(_webhooks(p)))


def _audit(p: Principal) -> ColumnElement[bool]:
    return true() if p.role in (Role.ADMIN, Role.LEADER) else false()


RULES: dict[type[Any], ScopeRule] = {
    Region: _regions,
    Organisation: _organisations,
    User: _users,
    Enterprise: _enterprises,
    AuditRecord: _audit,
    Site: _sites,
    Device: _devices,
    Permit: _of_visible_enterprise(Permit.enterprise_id),
    Outlet: _outlets,
    OutletLimit: _outlet_limits,
    SupervisionList: _lists,
    ListMembership: _of_visible_enterprise(ListMembership.enterprise_id),
    GradeRecord: _of_visible_enterprise(GradeRecord.enterprise_id),
    DataCorrection: _of_visible_enterprise(DataCorrection.enterprise_id),
    Case: _cases,
    CaseEvent: _of_visible_case(CaseEvent.case_id),
    CaseUnit: _of_visible_case(CaseUnit.case_id),
    Attachment: _of_visible_case(Attachment.case_id),
    Milestone: _of_visible_case(Milestone.case_id),
    SupervisionBatch: _batches,
    Alert: _alerts,
    AlertEvent: _alert_events,
    AlertRule: _alert_rules,
    AlertRuleVersion: _alert_rule_versions,
    Notification: _notifications,
    Webhook: _webhooks,
    WebhookDelivery: _webhook_deliveries,
}


def register(model: type[Any], rule: ScopeRule) -> None:
    """Declare how rows of `model` are scoped; a capability registers its own tables here."""
    RULES[model] = rule


def visible(principal: Principal, model: type[Any]) -> ColumnElement[bool]:
    """The condition that rows of `model` must meet for `principal` to see them."""
    try:
        rule = RULES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no scope rule; register one in ecoloop.access.scope") from None
    return rule(principal)


def scoped(stmt: SelectT, principal: Principal, model: type[Any]) -> SelectT:
    """`stmt` restricted to the rows of `model` that `principal` may see."""
    return stmt.where(visible(principal, model))


def get_visible(session: Session, principal: Principal, model: type[T], ident: Any) -> T | None:
    """The row of `model` with primary key `ident` if `principal` may see it, else None (the caller answers 404)."""
    pk = model.__mapper__.primary_key[0]  # type: ignore[attr-defined]  # every mapped class has __mapper__
    stmt = select(model).where(pk == ident)
    return session.scalars(scoped(stmt, principal, model)).first()
