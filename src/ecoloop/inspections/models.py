"""Checklists and their versions, special campaigns with their targets, inspections with their officers, answers,
photos and the keys of the submissions already taken."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.db.base import Base, StrEnumType, TimestampMixin, utcnow
from ecoloop.enterprises.models import Enterprise
from ecoloop.identity.models import Organisation, User
from ecoloop.inspections.enums import Answer, Conclusion, Kind, Status


class Checklist(TimestampMixin, Base):
    """A checklist the bureau keeps (检查表): its name and the GB/T 4754 industry prefixes it applies to (none: a
    general one); its items are in versions, the newest in force."""

    __tablename__ = "checklists"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    prefixes: Mapped[str] = mapped_column(String(200), default="")  # e.g. "C26 D44", blank: every industry
    active: Mapped[bool] = mapped_column(default=True)

    versions: Mapped[list[ChecklistVersion]] = relationship(
        order_by="ChecklistVersion.number", back_populates="checklist", cascade="all, delete-orphan"
    )


class ChecklistVersion(Base):
    """The items of a checklist as they stood from `created_at`: an inspection keeps the version it was done
    with, so a later edit changes no finished record."""

    __tablename__ = "checklist_versions"
    __table_args__ = (UniqueConstraint("checklist_id", "number"),)
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{key, text, basis, required}]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    checklist: Mapped[Checklist] = relationship(back_populates="versions")


class Campaign(TimestampMixin, Base):
    """A special enforcement campaign (专项执法): a name, a period, its checklist and its target enterprises."""

    __tablename__ = "campaigns"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    checklist_id: Mapped[int | None] = mapped_column(ForeignKey("checklists.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    checklist: Mapped[Checklist | None] = relationship(lazy="joined")


class CampaignTarget(Base):
    """An enterprise a campaign is to inspect."""

    __tablename__ = "campaign_targets"
    __audit__ = True

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), primary_key=True)


class Inspection(TimestampMixin, Base):
    """One inspection of an enterprise by two or more officers: why (a draw's assignment, a campaign, a complaint,
    by hand), when, on site or not (非现场), the checklist version, the answers, findings, photos and conclusion,
    each officer's confirmation; complete, and read-only, once all confirmed."""

    __tablename__ = "inspections"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # JC2026-000001
    version: Mapped[int] = mapped_column(default=1)  # raised by every change of the record: stale forms are refused
    kind: Mapped[Kind] = mapped_column(StrEnumType(Kind, 16), index=True)
    status: Mapped[Status] = mapped_column(StrEnumType(Status, 16), default=Status.PLANNED, index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    on_site: Mapped[bool] = mapped_column(default=True)
    planned_on: Mapped[date] = mapped_column(index=True)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("draw_assignments.id", ondelete="RESTRICT"), unique=True
    )
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="RESTRICT"), index=True)
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_versions.id", ondelete="RESTRICT"))
    findings: Mapped[str] = mapped_column(Text, default="")
    conclusion: Mapped[Conclusion | None] = mapped_column(StrEnumType(Conclusion, 20))
    recorded_at: Mapped[datetime | None]  # when the record was last written
    completed_at: Mapped[datetime | None] = mapped_column(index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as a class attribute

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    checklist_version: Mapped[ChecklistVersion] = relationship(lazy="joined")
    officers: Mapped[list[InspectionOfficer]] = relationship(
        order_by="InspectionOfficer.position", cascade="all, delete-orphan"
    )
    answers: Mapped[list[InspectionAnswer]] = relationship(cascade="all, delete-orphan")


class InspectionOfficer(Base):
    """An officer of an inspection and when they confirmed its record (None: not yet)."""

    __tablename__ = "inspection_officers"
    __audit__ = True

    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)  # the order the officers are named in
    confirmed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class InspectionAnswer(Base):
    """The answer to one item of the inspection's checklist version, with a note."""

    __tablename__ = "inspection_answers"
    __audit__ = True

    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    answer: Mapped[Answer] = mapped_column(StrEnumType(Answer, 16))
    note: Mapped[str] = mapped_column(String(500), default="")


class InspectionPhoto(Base):
    """A photo taken on site: when and where the phone took it, stored re-encoded without metadata under
    DATA_DIR/inspections by content hash; `client_key` makes a second upload of the same photo a no-op."""

    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    client_key: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime | None]
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(8, 6))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class InspectionSubmission(Base):
    """A submission taken, by its client-generated key: sent again (a retry after a lost answer), it is stored
    once and answered as before."""

    __tablename__ = "inspection_submissions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
