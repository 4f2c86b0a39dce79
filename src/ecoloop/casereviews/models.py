"""Case-file review (案卷评审): the review standard by version, review rounds, the files reviewed in a round, each
reviewer's score sheet with its deductions, and each file's history (returned, corrected, accepted)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.casereviews.enums import Basis, EventKind, FileStatus, Grade, RoundStatus
from ecoloop.db.base import Base, StrEnumType, TimestampMixin, utcnow


class ReviewStandard(Base):
    """A version of the review standard (评查标准): items with their points and sub-points, veto items, grade marks
    and the reviewers' allowed spread (`rules.Standard` as JSON). A round keeps the version it was created with."""

    __tablename__ = "review_standards"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(120))


class ReviewRound(TimestampMixin, Base):
    """A review round (评查活动), e.g. 2026年度行政处罚案卷评查: the penalty case files of a period, several reviewers
    each."""

    __tablename__ = "review_rounds"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(index=True)  # the year the round counts for in the yearly summary
    period_from: Mapped[date]
    period_to: Mapped[date]
    basis: Mapped[Basis] = mapped_column(StrEnumType(Basis, 16), default=Basis.CLOSED)  # which date falls in it
    per_unit: Mapped[int] = mapped_column(default=0)  # files sampled per unit (0: every file)
    standard_id: Mapped[int] = mapped_column(ForeignKey("review_standards.id", ondelete="RESTRICT"))
    reviewers_per_file: Mapped[int] = mapped_column(default=2)
    seed: Mapped[int] = mapped_column(default=0)  # the sample's seed, kept so the sample can be drawn again
    status: Mapped[RoundStatus] = mapped_column(StrEnumType(RoundStatus, 16), default=RoundStatus.OPEN)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    standard: Mapped[ReviewStandard] = relationship(lazy="joined")


class ReviewFile(TimestampMixin, Base):
    """A penalty case file in a round: its handling unit (kept as it was when selected), its status, and once
    its reviewers agree, its score, veto and grade; a failed file goes back to its unit for correction. `version`
    serialises the steps on one file: two reviewers submitting at once would each settle the file without the
    other's sheet, so each step updates the file and a stale copy fails instead."""

    __tablename__ = "review_files"
    __audit__ = True
    __table_args__ = (UniqueConstraint("round_id", "penalty_case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"), index=True)
    penalty_case_id: Mapped[int] = mapped_column(ForeignKey("penalty_cases.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    status: Mapped[FileStatus] = mapped_column(StrEnumType(FileStatus, 16), default=FileStatus.UNDER_REVIEW, index=True)
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    vetoed: Mapped[bool] = mapped_column(default=False)
    grade: Mapped[Grade | None] = mapped_column(StrEnumType(Grade, 16))
    scored_at: Mapped[datetime | None]
    returns: Mapped[int] = mapped_column(default=0)  # how many times it went back to its unit
    correction: Mapped[str] = mapped_column(Text, default="")  # 整改说明, the unit's latest

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as a class attribute

    round: Mapped[ReviewRound] = relationship(lazy="joined")
    sheets: Mapped[list[ReviewSheet]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ReviewSheet.id"
    )


class ReviewSheet(Base):
    """One reviewer's score sheet of a file: deductions per sub-point with their reasons, veto items marked with
    theirs, and the total once submitted."""

    __tablename__ = "review_sheets"
    __audit__ = True
    __table_args__ = (UniqueConstraint("file_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("review_files.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    total: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    vetoes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # veto code -> reason
    comment: Mapped[str] = mapped_column(Text, default="")

    deductions: Mapped[list[ReviewDeduction]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ReviewDeduction.id"
    )


class ReviewDeduction(Base):
    """Points a reviewer deducted on one sub-point (`item.point`), with the reason."""

    __tablename__ = "review_deductions"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("review_sheets.id", ondelete="CASCADE"), index=True)
    point: Mapped[str] = mapped_column(String(65), index=True)
    points: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    reason: Mapped[str] = mapped_column(Text)


class ReviewEvent(Base):
    """One line of a reviewed file's history; a return keeps the points it named (`data`), never changed."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("review_files.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(StrEnumType(EventKind, 32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
