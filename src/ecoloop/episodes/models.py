"""Tables of heavy-pollution warnings (重污染天气预警, issue 20 part 2): the warning as prepared, signed and issued
for the city or some counties, its append-only change log (issue, upgrade, downgrade, extend, lift, each with the
level, the effective time and the leader who signed it), and the trigger rules as data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.alerts.enums import DeliveryStatus
from ecoloop.db.base import Base, StrEnumType, TimestampMixin, utcnow
from ecoloop.episodes.enums import ChangeKind, PrimaryPollutant, WarningLevel, WarningStatus
from ecoloop.regions.models import Region


class PollutionWarning(TimestampMixin, Base):
    """A heavy-pollution warning (重污染天气预警): its number (e.g. ZWR2026-001), the level it proposes or holds,
    the area (the whole city, or the counties in `areas`), the primary pollutant, the forecast it rests on, the
    planned start and end (end None: until lifted), and who prepared, signed (审签) and issued it. Once issued, the
    levels it held and when are those of its change log (`changes`), never these columns alone."""

    __tablename__ = "pollution_warnings"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    city_wide: Mapped[bool] = mapped_column(default=True)  # False: only the counties in `areas`
    level: Mapped[WarningLevel] = mapped_column(StrEnumType(WarningLevel, 16))  # proposed, then the level in force
    pollutant: Mapped[PrimaryPollutant] = mapped_column(StrEnumType(PrimaryPollutant, 16))
    forecast: Mapped[str] = mapped_column(Text, default="")  # the forecast and meteorology as written
    peak_aqi: Mapped[int | None]  # forecast peak daily AQI
    planned_start: Mapped[datetime]
    planned_end: Mapped[datetime | None]  # None: until lifted (解除时间另行通知)
    status: Mapped[WarningStatus] = mapped_column(
        StrEnumType(WarningStatus, 24), default=WarningStatus.DRAFT, index=True
    )
    measures: Mapped[str] = mapped_column(Text, default="")  # the public advice and measures as written
    prepared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    prepared_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    approved_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")  # the leader's words on signing or refusing
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    issued_at: Mapped[datetime | None]
    lifted_at: Mapped[datetime | None]  # the effective time of the lift

    city: Mapped[Region] = relationship(foreign_keys=[city_id], lazy="joined", innerjoin=True)
    areas: Mapped[list[WarningArea]] = relationship(
        back_populates="warning", cascade="all, delete-orphan", order_by="WarningArea.id"
    )
    changes: Mapped[list[WarningChange]] = relationship(back_populates="warning", order_by="WarningChange.seq")


class WarningArea(Base):
    """A county a warning covers (when it is not city-wide)."""

    __tablename__ = "warning_areas"
    __table_args__ = (UniqueConstraint("warning_id", "region_id"),)
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("pollution_warnings.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)

    warning: Mapped[PollutionWarning] = relationship(back_populates="areas")
    region: Mapped[Region] = relationship(lazy="joined")


class WarningChange(Base):
    """One entry of a warning's change log, written once: issued, upgraded, downgraded, extended or lifted, with
    the level from then on, the effective time, the planned end from then on, the leader who signed (审签), who
    recorded it and why. The levels a warning held over time are read from these rows (`episodes.queries`)."""

    __tablename__ = "warning_changes"
    __table_args__ = (UniqueConstraint("warning_id", "seq"),)
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("pollution_warnings.id", ondelete="RESTRICT"), index=True)
    seq: Mapped[int]  # 1, 2, … in the order recorded
    kind: Mapped[ChangeKind] = mapped_column(StrEnumType(ChangeKind, 16))
    level: Mapped[WarningLevel] = mapped_column(StrEnumType(WarningLevel, 16))  # the level from `effective_at` on
    effective_at: Mapped[datetime] = mapped_column(index=True)
    planned_end: Mapped[datetime | None]  # the planned end from then on (None: until lifted)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")

    warning: Mapped[PollutionWarning] = relationship(back_populates="changes")


class WarningTriggerConfig(Base):
    """A version of the trigger rules (预警启动条件) as data: per level, conditions on the forecast or observed
    daily AQI (threshold, duration in hours) combined with AND or OR (`episodes.triggers`). The newest version
    applies; none stored: the 环大气 [2024] 6 号 defaults."""

    __tablename__ = "warning_trigger_configs"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)  # episodes.triggers.TriggerSet.to_json()
    preset: Mapped[str] = mapped_column(String(32), default="")  # the preset it started from, if any
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))


class WarningNotice(Base):
    """A change of a warning brought to one user's attention (their list of warning notices), read or not: the
    staff of the bureau, the branches of the counties covered, the departments, and the enterprises in the area."""

    __tablename__ = "warning_notices"
    __table_args__ = (
        UniqueConstraint("user_id", "change_id"),
        Index("ix_warning_notices_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    warning_id: Mapped[int] = mapped_column(ForeignKey("pollution_warnings.id", ondelete="CASCADE"), index=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("warning_changes.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class WarningDelivery(Base):
    """One change of a warning to one organisation's webhook (the alerts' `Webhook`s, signed and retried the same
    way, `episodes.webhooks`), with its attempts and the last answer or error."""

    __tablename__ = "warning_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "change_id"),
        Index("ix_warning_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("warning_changes.id", ondelete="CASCADE"))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(StrEnumType(DeliveryStatus, 16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    response_status: Mapped[int | None]
    error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None]


class ChangeLogError(RuntimeError):
    """An attempt to change or delete an entry of a warning's change log through the application."""


def _refuse(mapper: Any, connection: Any, target: Any) -> None:
    raise ChangeLogError(f"{type(target).__name__} rows are written once and never changed")


# The change log is append-only: the application has no path that rewrites it; these guards keep one from being
# added by mistake (the after-action report and the compliance checks read the levels from it).
event.listen(WarningChange, "before_update", _refuse)
event.listen(WarningChange, "before_delete", _refuse)
