"""Tables of the random checks (双随机、一公开, issue 19): officers' enforcement certificates and declared
conflicts, the enterprise and officer pools' settings, and the draws with their frozen pool snapshots, their
assignments (an enterprise and its officers) and the hash chain that makes a drawn record immutable."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.db.base import Base, StrEnumType, TimestampMixin, utcnow
from ecoloop.draws.enums import DrawStatus, SnapshotKind


class OfficerCertificate(TimestampMixin, Base):
    """An officer's administrative law-enforcement certificate (执法证): only a user holding one valid on the draw
    day may be drawn (行政处罚法 (2021) 第四十二条: 执法人员应当具有行政执法资格)."""

    __tablename__ = "officer_certificates"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    issued_by: Mapped[str] = mapped_column(String(100), default="")
    revoked_on: Mapped[date | None]  # withdrawn before its end (吊销, 注销): invalid from that day


class OfficerConflict(TimestampMixin, Base):
    """A conflict of interest an officer declared with an enterprise (a relative works there, a former employer…),
    from `start` to `end` (inclusive; None: still): the draw never sends the officer there (回避)."""

    __tablename__ = "officer_conflicts"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[date]
    end: Mapped[date | None]
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))


class EnterprisePool(TimestampMixin, Base):
    """The settings of an enterprise pool (随机抽查对象名录库): which enterprises of its region it holds (supervision
    lists, industry, grade, not inspected lately), how many a draw takes (a ratio or a count) and how much more
    often key enterprises are drawn (a weight per list)."""

    __tablename__ = "draw_enterprise_pools"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    list_codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # on any of these lists on the draw day
    industry_prefix: Mapped[str] = mapped_column(String(8), default="")  # GB/T 4754-2017 code prefix
    grades: Mapped[list[str]] = mapped_column(JSON, default=list)  # performance grades on the draw day
    not_inspected_months: Mapped[int | None]  # last inspection earlier than this many months before the draw day
    inspected_before: Mapped[date | None]  # or last inspection before this day (never inspected: included)
    ratio_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    count: Mapped[int | None]
    weights: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # list code → weight (key enterprises)
    active: Mapped[bool] = mapped_column(default=True)


class OfficerPool(TimestampMixin, Base):
    """The settings of an officer pool (执法检查人员名录库): the certified inspectors of some units in a region."""

    __tablename__ = "draw_officer_pools"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # empty: every unit of the region
    active: Mapped[bool] = mapped_column(default=True)


class Draw(TimestampMixin, Base):
    """A random draw (双随机抽查): announced with its pools frozen and the source of its seed stated, then seeded
    with the public value, then drawn. Once drawn the record is never updated; `record_hash` covers all of it
    and chains to the previous drawn record (`previous_hash`), so a changed or deleted record is detected."""

    __tablename__ = "draws"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    period_label: Mapped[str] = mapped_column(String(100), default="")  # e.g. 2026年第四季度
    period_start: Mapped[date]
    period_end: Mapped[date]
    draw_on: Mapped[date]  # the day the pools and certificates are judged on
    status: Mapped[DrawStatus] = mapped_column(StrEnumType(DrawStatus, 16), default=DrawStatus.ANNOUNCED, index=True)
    algorithm: Mapped[str] = mapped_column(String(32))
    rules: Mapped[str] = mapped_column(Text)  # canonical JSON of the rules
    announcement_hash: Mapped[str] = mapped_column(String(64))
    seed_source: Mapped[str] = mapped_column(String(300))
    seed_date: Mapped[date]
    public_value: Mapped[str | None] = mapped_column(String(100))
    seed: Mapped[str | None] = mapped_column(String(64))
    announced_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    announced_at: Mapped[datetime] = mapped_column(default=utcnow)
    value_entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    value_entered_at: Mapped[datetime | None]
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    drawn_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(Text, info={"audit_ignore": True})  # canonical JSON; hash kept
    result_sha256: Mapped[str | None] = mapped_column(String(64))
    chain_seq: Mapped[int | None] = mapped_column(unique=True)  # 1, 2, … in the order drawn
    previous_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    record_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    snapshots: Mapped[list[DrawSnapshot]] = relationship(
        back_populates="draw", order_by="DrawSnapshot.position", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[DrawAssignment]] = relationship(
        back_populates="draw", order_by="DrawAssignment.position", cascade="all, delete-orphan"
    )


class DrawSnapshot(Base):
    """A pool frozen at the announcement: its members as canonical JSON and that text's SHA-256."""

    __tablename__ = "draw_snapshots"
    __audit__ = True
    __table_args__ = (UniqueConstraint("draw_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int]
    kind: Mapped[SnapshotKind] = mapped_column(StrEnumType(SnapshotKind, 16))
    pool_id: Mapped[int | None]  # the pool's settings it was built from (kept as a number: settings may go)
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    content: Mapped[str] = mapped_column(Text, info={"audit_ignore": True})  # its SHA-256 is kept
    sha256: Mapped[str] = mapped_column(String(64))

    draw: Mapped[Draw] = relationship(back_populates="snapshots")


class DrawAssignment(Base):
    """An enterprise drawn: on site with its officers (at least two), or, for a 正面清单 member, a 非现场 check
    (`on_site` False, no officers). Inspections in the field link their records here."""

    __tablename__ = "draw_assignments"
    __audit__ = True
    __table_args__ = (UniqueConstraint("draw_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id", ondelete="RESTRICT"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    on_site: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int]
    pool_position: Mapped[int | None]  # the snapshot it was drawn from
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # weight, key, avoided officers

    draw: Mapped[Draw] = relationship(back_populates="assignments")
    officers: Mapped[list[DrawAssignmentOfficer]] = relationship(
        order_by="DrawAssignmentOfficer.position", cascade="all, delete-orphan", lazy="selectin"
    )


class DrawAssignmentOfficer(Base):
    """An officer sent to a drawn enterprise, in the order drawn (1: the lead), with their unit at the time."""

    __tablename__ = "draw_assignment_officers"
    __audit__ = True
    __table_args__ = (UniqueConstraint("assignment_id", "user_id"),)

    assignment_id: Mapped[int] = mapped_column(ForeignKey("draw_assignments.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))


class ImmutableRecordError(RuntimeError):
    """An attempt to change or delete a drawn record through the application (docs/draws.md, "Immutability")."""


def _refuse(mapper: Any, connection: Any, target: Any) -> None:
    raise ImmutableRecordError(f"{type(target).__name__} rows are written once and never changed")


def _drawn_stays(mapper: Any, connection: Any, target: Draw) -> None:
    history = inspect(target).attrs.status.history
    before = history.deleted[0] if history.deleted else target.status
    if before == DrawStatus.DRAWN:
        raise ImmutableRecordError(f"draw {target.number} is drawn: its record is never changed")


# The application has no path that changes a drawn record; these guards keep a future one from adding it by
# mistake. What bypasses them (SQL in the database) is caught by the hashes (`ecoloop inspections verify`).
for _model in (DrawSnapshot, DrawAssignment, DrawAssignmentOfficer):
    event.listen(_model, "before_update", _refuse)
    event.listen(_model, "before_delete", _refuse)
event.listen(Draw, "before_update", _drawn_stays)
event.listen(Draw, "before_delete", _drawn_stays)
