"""The enterprise file: the enterprise, its discharge permits with outlets and limits, supervision lists with
membership periods, performance grades over time, and its requests to correct its own data."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.db.base import Base, StrEnumType, TimestampMixin
from ecoloop.enterprises.enums import (
    Averaging,
    CorrectionStatus,
    EnterpriseStatus,
    LineKind,
    OutletKind,
    PerformanceGrade,
    PermitClass,
)
from ecoloop.regions.models import Region


class Enterprise(TimestampMixin, Base):
    """A regulated enterprise, identified by its unified social credit code, located in a region."""

    __tablename__ = "enterprises"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # GB/T 4754-2017 industry class: a letter section and up to 4 digits (e.g. D4411 火力发电).
    industry_code: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(300))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    status: Mapped[EnterpriseStatus] = mapped_column(
        StrEnumType(EnterpriseStatus, 16), default=EnterpriseStatus.OPERATING
    )
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(8, 6))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))

    region: Mapped[Region] = relationship(lazy="joined")


class Permit(TimestampMixin, Base):
    """A discharge permit (排污许可证) of an enterprise, with its validity."""

    __tablename__ = "permits"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    permit_class: Mapped[PermitClass] = mapped_column(StrEnumType(PermitClass, 16))
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    issued_by: Mapped[str | None] = mapped_column(String(100))

    outlets: Mapped[list[Outlet]] = relationship(
        back_populates="permit", order_by="Outlet.code", cascade="all, delete-orphan"
    )


class Outlet(TimestampMixin, Base):
    """A discharge outlet of a permit (DA001 flue gas, DW001 wastewater …), linked to the monitoring site that
    measures it when there is one."""

    __tablename__ = "outlets"
    __audit__ = True
    __table_args__ = (UniqueConstraint("permit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[OutletKind] = mapped_column(StrEnumType(OutletKind, 8))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"), index=True)

    permit: Mapped[Permit] = relationship(back_populates="outlets")
    limits: Mapped[list[OutletLimit]] = relationship(
        back_populates="outlet", order_by="OutletLimit.pollutant", cascade="all, delete-orphan"
    )


class OutletLimit(TimestampMixin, Base):
    """A permitted concentration limit of one pollutant at an outlet, with the standard it comes from and, for
    flue gas, the reference oxygen content the limit is stated at."""

    __tablename__ = "outlet_limits"
    __audit__ = True
    __table_args__ = (UniqueConstraint("outlet_id", "pollutant", "averaging"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id", ondelete="CASCADE"), index=True)
    pollutant: Mapped[str] = mapped_column(String(16))  # HJ 212 code, e.g. a21026 (SO2)
    limit_value: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    unit: Mapped[str] = mapped_column(String(16))
    averaging: Mapped[Averaging] = mapped_column(StrEnumType(Averaging, 8), default=Averaging.HOUR)
    reference_o2: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    source: Mapped[str] = mapped_column(String(200))  # e.g. "GB 13223-2011 表1"

    outlet: Mapped[Outlet] = relationship(back_populates="limits")


class SupervisionList(TimestampMixin, Base):
    """A named list enterprises are put on and taken off (重点排污单位名录, 执法正面清单 …); built-in lists come
    with every installation, admins add more."""

    __tablename__ = "supervision_lists"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    builtin: Mapped[bool] = mapped_column(default=False)


class ListMembership(TimestampMixin, Base):
    """An enterprise on a list from `start` to `end` (both inclusive; `end` None: still on it), with the reason
    and the document that put it there."""

    __tablename__ = "list_memberships"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("supervision_lists.id", ondelete="RESTRICT"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    start: Mapped[date]
    end: Mapped[date | None]
    reason: Mapped[str] = mapped_column(String(300), default="")
    document: Mapped[str] = mapped_column(String(200), default="")

    supervision_list: Mapped[SupervisionList] = relationship(lazy="joined")


class GradeRecord(TimestampMixin, Base):
    """An enterprise's performance grade (绩效分级) from `start` to `end` (inclusive; None: current)."""

    __tablename__ = "grade_records"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    grade: Mapped[PerformanceGrade] = mapped_column(StrEnumType(PerformanceGrade, 8))
    start: Mapped[date]
    end: Mapped[date | None]
    document: Mapped[str] = mapped_column(String(200), default="")


class ProductionLine(TimestampMixin, Base):
    """One of an enterprise's production lines or processes (生产线/工序) or treatment facilities (治污设施), as the
    control list names them in its measures ("停止烧结工序") and the electricity meters are mapped to them. A
    treatment facility `serves` the production line whose emissions it treats (None: the whole enterprise)."""

    __tablename__ = "production_lines"
    __audit__ = True
    __table_args__ = (UniqueConstraint("enterprise_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[LineKind] = mapped_column(StrEnumType(LineKind, 16))
    serves_id: Mapped[int | None] = mapped_column(ForeignKey("production_lines.id", ondelete="SET NULL"))
    capacity: Mapped[str] = mapped_column(String(100), default="")  # as written, e.g. "4000 t/d 熟料"
    active: Mapped[bool] = mapped_column(default=True)


class DataCorrection(TimestampMixin, Base):
    """An enterprise's request to correct one of its own stored readings, reviewed by the bureau; an approved
    correction is stored as a new reading with source `correction`, the original stays in the raw archive."""

    __tablename__ = "data_corrections"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    parameter: Mapped[str] = mapped_column(String(32))
    interval: Mapped[str] = mapped_column(String(16))
    time: Mapped[datetime]
    current_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 4))
    proposed_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 4))
    proposed_flag: Mapped[str | None] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[CorrectionStatus] = mapped_column(
        StrEnumType(CorrectionStatus, 16), default=CorrectionStatus.PENDING, index=True
    )
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str] = mapped_column(Text, default="")
