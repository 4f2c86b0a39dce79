"""Cases, their timeline, attachments, co-responsible units, yearly milestones, and supervision batches."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.cases.enums import CaseSource, Category, EventKind, Finding, MilestoneStatus, Severity
from ecoloop.cases.workflow import State
from ecoloop.db.base import Base, StrEnumType, TimestampMixin, utcnow
from ecoloop.identity.models import Organisation
from ecoloop.regions.models import Region


class SupervisionBatch(TimestampMixin, Base):
    """A batch of problems handed down together (a 督察 round's 交办 list, a warning film's problem list)."""

    __tablename__ = "supervision_batches"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[CaseSource] = mapped_column(StrEnumType(CaseSource, 32))
    received_on: Mapped[date]
    deadline: Mapped[date | None]
    document: Mapped[str] = mapped_column(String(200), default="")


class Case(TimestampMixin, Base):
    """One problem to be fixed, from discovery to closure. `version` detects concurrent edits: an update based on
    a stale copy fails instead of overwriting someone else's change."""

    __tablename__ = "cases"
    __audit__ = True
    __table_args__ = (Index("ix_cases_state_deadline", "state", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # ecoloop's case number, e.g. AJ2026-000123
    version: Mapped[int] = mapped_column(default=1)
    source: Mapped[CaseSource] = mapped_column(StrEnumType(CaseSource, 32), index=True)
    category: Mapped[Category] = mapped_column(StrEnumType(Category, 16), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(8, 6))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    responsible_leader: Mapped[str] = mapped_column(String(100), default="")  # 包案领导
    severity: Mapped[Severity] = mapped_column(StrEnumType(Severity, 16), default=Severity.NORMAL)
    state: Mapped[State] = mapped_column(StrEnumType(State, 16), default=State.REGISTERED)
    deadline: Mapped[date | None]
    long_term: Mapped[bool] = mapped_column(default=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_batches.id", ondelete="RESTRICT"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"))
    # Columns of supervision ledgers (督察交办台账): the hand-down reference, investigation and handling.
    external_ref: Mapped[str] = mapped_column(String(64), default="", index=True)  # 受理编号
    finding: Mapped[Finding | None] = mapped_column(StrEnumType(Finding, 8))  # 是否属实
    investigation: Mapped[str] = mapped_column(Text, default="")  # 调查核实情况
    handling: Mapped[str] = mapped_column(Text, default="")  # 处理和整改情况
    accountable_persons: Mapped[str] = mapped_column(Text, default="")  # 责任人 (问责情况)
    overdue: Mapped[bool] = mapped_column(default=False, index=True)
    closed_at: Mapped[datetime | None]
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as a class attribute

    region: Mapped[Region] = relationship(lazy="joined")
    lead_unit: Mapped[Organisation | None] = relationship(lazy="joined")
    co_units: Mapped[list[CaseUnit]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class CaseUnit(Base):
    """A co-responsible unit (配合单位) of a case."""

    __tablename__ = "case_units"
    __table_args__ = (UniqueConstraint("case_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)


class CaseEvent(Base):
    """One line of a case's timeline; never changed once written."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[EventKind] = mapped_column(StrEnumType(EventKind, 32), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    actor_label: Mapped[str] = mapped_column(String(100))
    from_state: Mapped[State | None] = mapped_column(StrEnumType(State, 16))
    to_state: Mapped[State | None] = mapped_column(StrEnumType(State, 16))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Attachment(Base):
    """A file attached to a case (evidence photo, document), stored by content hash under DATA_DIR."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Milestone(TimestampMixin, Base):
    """A yearly target of a long-term case (e.g. 2026: 完成 3 km 管网改造)."""

    __tablename__ = "case_milestones"
    __audit__ = True
    __table_args__ = (UniqueConstraint("case_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    target: Mapped[str] = mapped_column(Text)
    due: Mapped[date]
    status: Mapped[MilestoneStatus] = mapped_column(StrEnumType(MilestoneStatus, 16), default=MilestoneStatus.PENDING)
    done_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")


class CalendarDay(Base):
    """The bureau's entry in the working-day calendar (`cases.workdays`): a public holiday or a make-up working day
    of a year the holiday package does not know yet, or a local exception; `workday` says which."""

    __tablename__ = "calendar_days"
    __audit__ = True

    day: Mapped[date] = mapped_column(primary_key=True)
    workday: Mapped[bool]
    name: Mapped[str] = mapped_column(String(60), default="")  # e.g. 春节, 国庆节调休上班
