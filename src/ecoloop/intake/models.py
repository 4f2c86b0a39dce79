"""Complaints and what hangs on them (photos, rewards, the 包案 leader), the intake settings, the public form's
counters and single-use tokens, and the partner platforms with their events and push tasks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.alerts.enums import DeliveryStatus
from ecoloop.db.base import Base, StrEnumType, TimestampMixin, utcnow
from ecoloop.identity.enums import Category
from ecoloop.intake.enums import Channel, RewardStatus, Satisfaction, Status, Topic
from ecoloop.regions.models import Region

# Columns holding ciphertext or keyed digests: the audit trail writes only that they changed.
_SECRET = {"audit_redact": True}


class Partner(TimestampMixin, Base):
    """Another platform (police video, the solid-waste system, a WeChat mini-program…) with its own key: its
    complaints are attributed to it, its warnings become alerts, and what became of them is sent back to
    `webhook_url` signed with `webhook_secret`."""

    __tablename__ = "partners"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, info=_SECRET)  # SHA-256 of the API key
    key_prefix: Mapped[str] = mapped_column(String(12), default="")  # shown to tell keys apart
    webhook_url: Mapped[str] = mapped_column(String(500), default="")
    webhook_secret: Mapped[str] = mapped_column(String(128), default="", info=_SECRET)
    active: Mapped[bool] = mapped_column(default=True)


class Complaint(TimestampMixin, Base):
    """One report by a citizen (举报), from any channel. What identifies the complainant is stored only encrypted
    (`*_enc`, AES-256-GCM bound to the ticket) or as a keyed digest (`phone_index`); `description` and `address`
    are the texts with personal numbers masked, which every reader sees."""

    __tablename__ = "complaints"
    __audit__ = True
    __table_args__ = (
        Index("ix_complaints_topic_received", "topic", "received_at"),
        Index("ix_complaints_place", "latitude", "longitude"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(24), unique=True)  # the citizen's ticket code
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel, 16), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"), index=True)
    external_id: Mapped[str] = mapped_column(String(64), default="")  # the partner's or the letter's reference
    topic: Mapped[Topic] = mapped_column(StrEnumType(Topic, 32))
    category: Mapped[Category] = mapped_column(StrEnumType(Category, 32))
    description: Mapped[str] = mapped_column(Text)  # personal numbers masked
    description_enc: Mapped[str] = mapped_column(Text, default="", info=_SECRET)  # the original, encrypted
    address: Mapped[str] = mapped_column(String(300), default="")  # personal numbers masked
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(8, 6))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    anonymous: Mapped[bool] = mapped_column(default=True)
    name_enc: Mapped[str] = mapped_column(Text, default="", info=_SECRET)
    phone_enc: Mapped[str] = mapped_column(Text, default="", info=_SECRET)
    phone_index: Mapped[str] = mapped_column(String(64), default="", index=True, info=_SECRET)
    phone_masked: Mapped[str] = mapped_column(String(24), default="")
    consent_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    bigrams: Mapped[str] = mapped_column(Text, default="")  # the text's character pairs, for duplicate search
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    duplicate: Mapped[bool] = mapped_column(default=False)  # linked to a case opened by an earlier complaint
    status: Mapped[Status] = mapped_column(StrEnumType(Status, 16), default=Status.RECEIVED, index=True)
    accept_due: Mapped[date]
    conclude_due: Mapped[date | None]
    extended: Mapped[bool] = mapped_column(default=False)
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")  # why not accepted, told to the citizen
    reply: Mapped[str] = mapped_column(Text, default="")  # the published reply
    replied_at: Mapped[datetime | None]
    satisfaction: Mapped[Satisfaction | None] = mapped_column(StrEnumType(Satisfaction, 16))
    satisfaction_note: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    region: Mapped[Region] = relationship(lazy="joined")
    photos: Mapped[list[ComplaintPhoto]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class ComplaintPhoto(Base):
    """A photo sent with a complaint, stored by content hash under DATA_DIR (its metadata removed)."""

    __tablename__ = "complaint_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))


class CaseLeader(Base):
    """The leader who took a case in person (领导包案): they see the complainants of its complaints."""

    __tablename__ = "case_leaders"
    __audit__ = True

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    since: Mapped[datetime] = mapped_column(default=utcnow)


class Reward(TimestampMixin, Base):
    """A reward for a report that proved true (有奖举报): proposed with an amount, approved or refused, paid."""

    __tablename__ = "complaint_rewards"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[RewardStatus] = mapped_column(StrEnumType(RewardStatus, 16), default=RewardStatus.PROPOSED)
    basis: Mapped[str] = mapped_column(Text, default="")  # why, under which rule
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]


class IntakeConfig(Base):
    """The intake settings from a day on (the newest whose `valid_from` is not after the day applies): deadline
    rules, the duplicate window, priority by repeats (`rules.Config`, as JSON)."""

    __tablename__ = "intake_configs"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[date]
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(120))


class RateCounter(Base):
    """Hits of one key (an address, a phone's digest, a partner) in one fixed window, counted by an atomic upsert
    so that concurrent requests lose no count."""

    __tablename__ = "rate_counters"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(primary_key=True)  # epoch seconds
    hits: Mapped[int] = mapped_column(default=0)


class FormNonce(Base):
    """A public form's token that was used: each token is good for one submission."""

    __tablename__ = "form_nonces"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PartnerEvent(Base):
    """A warning a partner platform pushed (`POST /api/v1/events`), once per its own id, and the alert it became."""

    __tablename__ = "partner_events"
    __table_args__ = (UniqueConstraint("partner_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # personal numbers masked
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="RESTRICT"), index=True)


class PushTask(TimestampMixin, Base):
    """A checked warning pushed to one department (推送): its task and deadline, then its handling (处置) and the
    feedback sent to the source platform (反馈)."""

    __tablename__ = "push_tasks"
    __table_args__ = (UniqueConstraint("alert_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    task: Mapped[str] = mapped_column(Text)
    deadline: Mapped[datetime]
    pushed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    outcome: Mapped[str] = mapped_column(Text, default="")
    effective: Mapped[bool | None]  # whether the push led to handling (the platform's effective push rate)
    done_at: Mapped[datetime | None]
    fed_back_at: Mapped[datetime | None]


class PartnerFeedback(Base):
    """What became of a partner's warning (反馈), POSTed signed to the partner's `webhook_url` once its push tasks
    are done or the warning was dismissed: its attempts, the last answer or error, and when to try again (the
    back-off of `ecoloop.alerts.webhooks`)."""

    __tablename__ = "partner_feedbacks"
    __table_args__ = (Index("ix_partner_feedbacks_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("partner_events.id", ondelete="CASCADE"), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"), index=True)
    payload: Mapped[str] = mapped_column(Text)  # the JSON body, without personal data
    status: Mapped[DeliveryStatus] = mapped_column(StrEnumType(DeliveryStatus, 16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    response_status: Mapped[int | None]
    error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None]
