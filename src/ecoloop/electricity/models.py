"""Electricity meters mapped to enterprises and their lines, their readings, the files and requests they came in
by (with the rows refused), the checks' parameters by version, and the flags a warning's check raised."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.db.base import Base, StrEnumType, TimestampMixin, utcnow
from ecoloop.electricity.enums import FlagKind, MeterInterval, MeterTarget, ReadingOrigin
from ecoloop.enterprises.models import Enterprise, ProductionLine


class Meter(TimestampMixin, Base):
    """An electricity meter (电表, 分表计电): its number as the grid or the monitoring vendor names it, the
    enterprise, the production line or treatment facility it measures (None: the whole enterprise), how often it
    reports and where its data comes from."""

    __tablename__ = "electricity_meters"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("production_lines.id", ondelete="RESTRICT"), index=True)
    target: Mapped[MeterTarget] = mapped_column(StrEnumType(MeterTarget, 16))
    interval: Mapped[MeterInterval] = mapped_column(StrEnumType(MeterInterval, 8), default=MeterInterval.QUARTER_HOUR)
    source: Mapped[str] = mapped_column(String(100), default="")  # e.g. 国网用电信息采集系统, a 分表计电 vendor
    active: Mapped[bool] = mapped_column(default=True)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    line: Mapped[ProductionLine | None] = relationship(lazy="joined")


class MeterReading(Base):
    """The energy a meter measured over one interval starting at `at` (UTC), in kWh; one per meter and time (a
    reading sent again replaces the one stored)."""

    __tablename__ = "electricity_readings"

    meter_id: Mapped[int] = mapped_column(ForeignKey("electricity_meters.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[datetime] = mapped_column(primary_key=True)
    kwh: Mapped[float]
    origin: Mapped[ReadingOrigin] = mapped_column(StrEnumType(ReadingOrigin, 16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReadingImport(Base):
    """One file or API request of readings: who sent it, how many rows, stored and refused."""

    __tablename__ = "electricity_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[ReadingOrigin] = mapped_column(StrEnumType(ReadingOrigin, 16))
    filename: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(120), default="")
    rows: Mapped[int] = mapped_column(default=0)
    stored: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)


class RefusedReading(Base):
    """A row of an import that was not stored, as it was sent, with the reason (kept for inspection)."""

    __tablename__ = "electricity_refused_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("electricity_imports.id", ondelete="CASCADE"), index=True)
    row: Mapped[int]  # the file's row number (the header is row 1), or the request's index
    reason: Mapped[str] = mapped_column(String(32))
    meter: Mapped[str] = mapped_column(String(64), default="")
    time: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[str] = mapped_column(String(64), default="")


class CheckSettings(Base):
    """A version of the checks' parameters (`electricity.rules.Parameters` as JSON); the newest applies."""

    __tablename__ = "electricity_settings"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(120))


class ElectricityFlag(TimestampMixin, Base):
    """What a warning's check found on one meter (one row per warning, meter and kind, updated as the check runs
    again), the decisive run of slots [first_at, last_at), and the alert it raised."""

    __tablename__ = "electricity_flags"
    __table_args__ = (
        UniqueConstraint("warning_id", "meter_id", "kind"),
        Index("ix_electricity_flags_enterprise_warning", "enterprise_id", "warning_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(index=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("electricity_meters.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"))
    kind: Mapped[FlagKind] = mapped_column(StrEnumType(FlagKind, 32))
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    found: Mapped[int]  # slots found (above the allowance, treatment off, missing)
    checked: Mapped[int]  # slots judged
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))

    meter: Mapped[Meter] = relationship(lazy="joined")
