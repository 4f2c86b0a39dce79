"""Enumerations of alerts: lifecycle status, analyst review (核查), escalation mode, timeline and delivery."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class AlertStatus(StrEnum):
    """Where an alert is in its life: the condition holds (open), the data is back to normal (cleared), or the
    bureau is done with it (closed: its case was closed, or an analyst dismissed it)."""

    OPEN = "open"
    CLEARED = "cleared"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    AlertStatus.OPEN: N_("Alert ongoing"),
    AlertStatus.CLEARED: N_("Cleared"),
    AlertStatus.CLOSED: N_("Closed"),
}


class Review(StrEnum):
    """The analyst's check of an alert (核查): not yet checked, confirmed (and handed over as a case) or
    dismissed (误报, with the reason)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return _REVIEW_LABELS[self]


_REVIEW_LABELS = {
    Review.PENDING: N_("Not checked"),
    Review.CONFIRMED: N_("Confirmed"),
    Review.DISMISSED: N_("Dismissed"),
}


class Escalation(StrEnum):
    """How a rule's alerts become cases: automatically when raised, or after an analyst's check (核查)."""

    AUTOMATIC = "automatic"
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return _ESCALATION_LABELS[self]


_ESCALATION_LABELS = {
    Escalation.AUTOMATIC: N_("Automatically into a case"),
    Escalation.MANUAL: N_("Into a case after checking"),
}


class AlertEventKind(StrEnum):
    """A line of an alert's timeline; the push channels (live pages, notifications, webhooks) carry these."""

    RAISED = "raised"
    REPEATED = "repeated"
    CLEARED = "cleared"
    REOPENED = "reopened"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    ESCALATED = "escalated"
    CASE_CLOSED = "case_closed"

    @property
    def label(self) -> str:
        return _EVENT_LABELS[self]


_EVENT_LABELS = {
    AlertEventKind.RAISED: N_("Raised"),
    AlertEventKind.REPEATED: N_("Repeated"),
    AlertEventKind.CLEARED: N_("Cleared"),
    AlertEventKind.REOPENED: N_("Reopened"),
    AlertEventKind.CONFIRMED: N_("Confirmed after checking"),
    AlertEventKind.DISMISSED: N_("Dismissed"),
    AlertEventKind.ESCALATED: N_("Handed over as a case"),
    AlertEventKind.CASE_CLOSED: N_("Case closed (feedback)"),
}


class DeliveryStatus(StrEnum):
    """A webhook delivery: waiting for its (next) attempt, delivered, or given up after the last retry."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return _DELIVERY_LABELS[self]


_DELIVERY_LABELS = {
    DeliveryStatus.PENDING: N_("Waiting to send"),
    DeliveryStatus.DELIVERED: N_("Delivered"),
    DeliveryStatus.FAILED: N_("Failed"),
}
