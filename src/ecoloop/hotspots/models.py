"""Registered pollution sources (工地, 堆场, 道路, 餐饮 …) and hotspot orders (高值热点消除指令) with their helping
units and timeline."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.db.base import Base, StrEnumType, TimestampMixin, utcnow
from ecoloop.hotspots.enums import CheckResult, OrderEventKind, OrderStatus, SourceKind
from ecoloop.identity.models import Organisation
from ecoloop.regions.models import Region


class PollutionSource(TimestampMixin, Base):
    """A non-enterprise source the suspect search lists: a construction site, a yard, a road, a restaurant; with
    where it is, the department responsible for it and, for a temporary one (a site), when it is active."""

    __tablename__ = "pollution_sources"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SourceKind] = mapped_column(StrEnumType(SourceKind, 16), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    longitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    latitude: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    address: Mapped[str] = mapped_column(String(300), default="")
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )  # the department (or branch) responsible for it
    operator: Mapped[str] = mapped_column(String(200), default="")  # who runs it (施工单位, 经营者)
    active_from: Mapped[date | None]
    active_to: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")

    region: Mapped[Region] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class HotspotOrder(TimestampMixin, Base):
    """One hotspot order: the station and pollutant, the alert it came from, the lead unit and helpers, the
    suspects frozen at dispatch, the clock, the reply, the on-site check and the effect on the station; backed by
    a closed-loop case (`case_id`) so that the case ledger and its escalation see it."""

    __tablename__ = "hotspot_orders"
    __audit__ = True
    __table_args__ = (Index("ix_hotspot_orders_status_reply_due", "status", "reply_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # RD2026-0001
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    parameter: Mapped[str] = mapped_column(String(32))  # HJ 212 code
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="RESTRICT"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    hotspot_at: Mapped[datetime]  # the data time the hotspot began (the alert's first finding)
    observed: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    reference: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    radius_km: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    wind_from: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))  # degrees, where the wind came from
    suspects: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    instructions: Mapped[str] = mapped_column(Text, default="")
    repeats: Mapped[int] = mapped_column(default=1)  # the station's orders within the policy's days, this included
    status: Mapped[OrderStatus] = mapped_column(StrEnumType(OrderStatus, 16), default=OrderStatus.DISPATCHED)
    dispatched_at: Mapped[datetime]
    dispatched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    respond_due: Mapped[datetime]
    on_site_due: Mapped[datetime]
    reply_due: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    on_site_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    overdue: Mapped[bool] = mapped_column(default=False, index=True)
    missed: Mapped[int] = mapped_column(default=0)  # time limits missed so far
    supervised_at: Mapped[datetime | None]
    interview_proposed_at: Mapped[datetime | None]
    # The reply (反馈): what was found, which source, what was done.
    finding: Mapped[str] = mapped_column(Text, default="")
    source_key: Mapped[str] = mapped_column(String(40), default="")  # a suspect's key, or "" (none / another)
    source_name: Mapped[str] = mapped_column(String(200), default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The dispatching side's on-site check (核查).
    check_result: Mapped[CheckResult | None] = mapped_column(StrEnumType(CheckResult, 16))
    check_note: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime | None]
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    closed_at: Mapped[datetime | None]
    # The effect on the station (`rules.Effect` as text values), once the hours after the reply have passed.
    effect: Mapped[dict[str, Any] | None] = mapped_column(JSON, info={"audit_ignore": True})
    effect_at: Mapped[datetime | None] = mapped_column(info={"audit_ignore": True})

    lead_unit: Mapped[Organisation] = relationship(lazy="joined")
    helpers: Mapped[list[HotspotOrderUnit]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class HotspotOrderUnit(Base):
    """A helping department (配合单位) of an order."""

    __tablename__ = "hotspot_order_units"
    __table_args__ = (UniqueConstraint("order_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("hotspot_orders.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class HotspotEvent(Base):
    """One line of an order's timeline; never changed once written."""

    __tablename__ = "hotspot_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("hotspot_orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[OrderEventKind] = mapped_column(StrEnumType(OrderEventKind, 24))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    actor_label: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
