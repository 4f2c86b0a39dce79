"""Alert rules with their versions, alerts with their timeline, per-user notifications, and outbound webhooks
with their delivery log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.alerts.enums import AlertEventKind, AlertStatus, DeliveryStatus, Escalation, Review
from ecoloop.alerts.rules import RuleKind, Severity
from ecoloop.db.base import Base, StrEnumType, TimestampMixin, utcnow
from ecoloop.identity.models import Organisation
from ecoloop.regions.models import Region


class AlertRule(TimestampMixin, Base):
    """A rule as the analysts configured it: its kind, thresholds (`parameters`, the kind's thresholds dataclass
    as JSON), where it applies (a region's subtree, or everywhere) and how its alerts become cases. Each edit
    makes a new `AlertRuleVersion`; `version` is the current one."""

    __tablename__ = "alert_rules"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RuleKind] = mapped_column(StrEnumType(RuleKind, 32), index=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    escalation: Mapped[Escalation] = mapped_column(StrEnumType(Escalation, 16), default=Escalation.MANUAL)
    case_deadline_days: Mapped[int] = mapped_column(default=7)
    reopen_hours: Mapped[int] = mapped_column(default=24)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)

    region: Mapped[Region | None] = relationship(lazy="joined")


class AlertRuleVersion(Base):
    """One saved state of a rule; never changed once written. Alerts name the version that raised them."""

    __tablename__ = "alert_rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool]
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    escalation: Mapped[Escalation] = mapped_column(StrEnumType(Escalation, 16))
    case_deadline_days: Mapped[int]
    reopen_hours: Mapped[int]
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))


class Alert(TimestampMixin, Base):
    """One alert: a rule firing for a site (or, for an area's AQI, a region) from its first finding until it
    is closed. Repeated findings while it is open count in `repeats`; a finding soon after it cleared reopens it.
    `trigger_received_at` is when the reading behind the latest finding arrived (for the alert delay)."""

    __tablename__ = "alerts"
    # Not audited row by row: the engine updates alerts on every repeat, and the alert's append-only timeline
    # records each step with who took it.
    __table_args__ = (
        Index("ix_alerts_rule_site_status", "rule_id", "site_id", "status"),
        Index("ix_alerts_status_raised", "status", "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. YJ2026-000123
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="RESTRICT"))
    rule_version_id: Mapped[int] = mapped_column(ForeignKey("alert_rule_versions.id", ondelete="RESTRICT"))
    kind: Mapped[RuleKind] = mapped_column(StrEnumType(RuleKind, 32), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    parameter: Mapped[str | None] = mapped_column(String(32))
    severity: Mapped[Severity] = mapped_column(StrEnumType(Severity, 16))
    status: Mapped[AlertStatus] = mapped_column(StrEnumType(AlertStatus, 16), default=AlertStatus.OPEN)
    review: Mapped[Review] = mapped_column(StrEnumType(Review, 16), default=Review.PENDING)
    first_at: Mapped[datetime]  # data time of the first finding
    last_at: Mapped[datetime]  # data time of the latest finding
    observed: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    reference: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    repeats: Mapped[int] = mapped_column(default=0)
    reopened: Mapped[int] = mapped_column(default=0)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    trigger_received_at: Mapped[datetime | None]
    cleared_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    feedback: Mapped[str] = mapped_column(Text, default="")

    region: Mapped[Region] = relationship(lazy="joined")
    rule: Mapped[AlertRule] = relationship(lazy="joined")


class AlertEvent(Base):
    """One line of an alert's timeline; never changed once written. Its id orders the live feed."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[AlertEventKind] = mapped_column(StrEnumType(AlertEventKind, 16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    actor_label: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Notification(Base):
    """An alert event brought to one user's attention (their notification list), read or not."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("alert_events.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class Webhook(TimestampMixin, Base):
    """An organisation's outbound webhook: alert events in its area are POSTed to `url`, signed with `secret`."""

    __tablename__ = "webhooks"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(128), info={"audit_redact": True})
    enabled: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    # Also the events of the cases the organisation leads, helps with or (the bureau, a branch) has in its area
    # (issue 18 part 7; `case_webhooks`).
    case_events: Mapped[bool] = mapped_column(default=False, server_default=false())

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class WebhookDelivery(Base):
    """One alert event, or one case event, to one webhook: its attempts, the last answer or error, and when to
    try again."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        UniqueConstraint("webhook_id", "case_event_id", name="uq_webhook_deliveries_webhook_id_case_event_id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("alert_events.id", ondelete="CASCADE"))
    case_event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id", ondelete="CASCADE"))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(StrEnumType(DeliveryStatus, 16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    response_status: Mapped[int | None]
    error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None]


class WebhookCursor(Base):
    """How far the webhook sender has read a timeline (`feed`: "cases", the case events): the last event id it
    queued deliveries for, so that each event is considered once."""

    __tablename__ = "webhook_cursors"

    feed: Mapped[str] = mapped_column(String(16), primary_key=True)
    after_id: Mapped[int] = mapped_column(default=0)
