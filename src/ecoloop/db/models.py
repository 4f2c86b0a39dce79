"""Imports every table so that `Base.metadata` is complete (for Alembic and test set-up)."""

from __future__ import annotations

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
from ecoloop.db.base import Base
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
from ecoloop.identity.models import ApiToken, LoginThrottle, Organisation, User, WebSession
from ecoloop.monitoring.models import Device, Site
from ecoloop.regions.models import Region
from ecoloop.scheduler.models import JobRun

__all__ = [
    "Alert",
    "AlertEvent",
    "AlertRule",
    "AlertRuleVersion",
    "ApiToken",
    "Attachment",
    "AuditRecord",
    "Base",
    "Case",
    "CaseEvent",
    "CaseUnit",
    "DataCorrection",
    "Device",
    "Enterprise",
    "GradeRecord",
    "JobRun",
    "ListMembership",
    "LoginThrottle",
    "Milestone",
    "Notification",
    "Organisation",
    "Outlet",
    "OutletLimit",
    "Permit",
    "Region",
    "Site",
    "SupervisionBatch",
    "SupervisionList",
    "User",
    "WebSession",
    "Webhook",
    "WebhookDelivery",
]
