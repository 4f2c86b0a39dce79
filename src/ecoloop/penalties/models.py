"""Penalty cases (行政处罚案件) with their officers, evidence, timeline and periods not counted, the versioned
time limits and discretion benchmark, and the bureau's document templates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.db.base import Base, StrEnumType, TimestampMixin, utcnow
from ecoloop.penalties.enums import Approval, DecisionKind, DocumentKind, EventKind, EvidenceKind, Stage, Suspension


class PenaltyCase(TimestampMixin, Base):
    """One violation handled by the administrative-penalty procedure, from 立案 to 结案. Its number (文号, e.g.
    X环罚[2026]第12号 with tortoise-shell brackets) is given at 立案 from the yearly sequence (`number_year`,
    `number_seq`); the problem's rectification runs in the closed loop as the case `case_id`."""

    __tablename__ = "penalty_cases"
    __audit__ = True
    __table_args__ = (
        UniqueConstraint("number_year", "number_seq"),
        Index("ix_penalty_cases_stage_registered", "stage", "registered_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    number: Mapped[str | None] = mapped_column(String(64), unique=True)  # 文号, given at 立案
    number_year: Mapped[int | None]
    number_seq: Mapped[int | None]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    # The inspection that found it (inspections in the field, issue 19).
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id", ondelete="RESTRICT"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    stage: Mapped[Stage] = mapped_column(StrEnumType(Stage, 16), default=Stage.PROPOSED, index=True)
    awaiting: Mapped[Approval | None] = mapped_column(StrEnumType(Approval, 16))  # what a leader must approve
    # The violation (案由) from the discretion benchmark, copied so that a later table does not change the case.
    violation_code: Mapped[str] = mapped_column(String(32))
    violation_name: Mapped[str] = mapped_column(String(200))
    violated_provision: Mapped[str] = mapped_column(Text, default="")  # 违法条款
    penalty_provision: Mapped[str] = mapped_column(Text, default="")  # 处罚依据
    circumstances: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # factor code -> level code
    exemptions: Mapped[list[str]] = mapped_column(JSON, default=list)  # matched 不予处罚/减轻 conditions
    recommendation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the benchmark's answer
    benchmark_version_id: Mapped[int | None] = mapped_column(ForeignKey("penalty_benchmarks.id", ondelete="RESTRICT"))
    facts: Mapped[str] = mapped_column(Text)  # 违法事实
    discovered_on: Mapped[date]
    proposed_on: Mapped[date]
    registered_on: Mapped[date | None]  # 立案
    rectification: Mapped[str] = mapped_column(Text, default="")  # 责令改正的内容
    rectification_deadline: Mapped[date | None]
    notified_on: Mapped[date | None]  # 告知书送达
    hearing_right: Mapped[bool] = mapped_column(default=False)  # 第六十三条
    notified_fine: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # the fine told in the 告知
    severe_measures: Mapped[bool] = mapped_column(default=False)  # 责令停产停业、关闭、吊销… (第六十三条)
    statement_heard: Mapped[bool] = mapped_column(default=False)  # 陈述、申辩 recorded
    hearing_waived: Mapped[bool] = mapped_column(default=False)
    hearing_requested_on: Mapped[date | None]
    hearing_notice_on: Mapped[date | None]  # 听证通知
    hearing_on: Mapped[date | None]
    hearing_held_on: Mapped[date | None]
    extended_days: Mapped[int] = mapped_column(default=0)  # approved extensions of the decision's time limit
    extensions: Mapped[int] = mapped_column(default=0)  # how many were approved
    extension_requested_days: Mapped[int] = mapped_column(default=0)  # awaiting approval
    decision_kind: Mapped[DecisionKind | None] = mapped_column(StrEnumType(DecisionKind, 16))
    fine_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    confiscation: Mapped[str] = mapped_column(Text, default="")  # 没收违法所得、非法财物
    other_measures: Mapped[str] = mapped_column(Text, default="")  # 责令停产整治、停业、关闭…
    decision_reasons: Mapped[str] = mapped_column(Text, default="")  # 裁量理由
    collective_discussion_on: Mapped[date | None]  # 集体讨论 (第五十七条第二款)
    decided_on: Mapped[date | None]
    served_on: Mapped[date | None]
    service_method: Mapped[str] = mapped_column(String(100), default="")  # 直接送达、邮寄送达…
    paid_on: Mapped[date | None]
    paid_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    late_fee: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 加处罚款 (第七十二条)
    enforcement_on: Mapped[date | None]  # 申请人民法院强制执行
    closed_on: Mapped[date | None]  # 结案
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as a class attribute

    officers: Mapped[list[PenaltyCaseOfficer]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PenaltyCaseOfficer.position"
    )


class PenaltyCaseOfficer(Base):
    """A handling officer (承办人员) of a penalty case; at least two hold 执法证 (行政处罚法 第四十二条)."""

    __tablename__ = "penalty_case_officers"
    __audit__ = True

    penalty_case_id: Mapped[int] = mapped_column(ForeignKey("penalty_cases.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)  # 0: the lead officer (主办), then 协办


class PenaltyEvent(Base):
    """One line of a penalty case's timeline (who did what, when); never changed once written."""

    __tablename__ = "penalty_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    penalty_case_id: Mapped[int] = mapped_column(ForeignKey("penalty_cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(StrEnumType(EventKind, 32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    from_stage: Mapped[Stage | None] = mapped_column(StrEnumType(Stage, 16))
    to_stage: Mapped[Stage | None] = mapped_column(StrEnumType(Stage, 16))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PenaltyEvidence(Base):
    """An item of evidence (证据): a text, and optionally a file stored by content hash under DATA_DIR."""

    __tablename__ = "penalty_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    penalty_case_id: Mapped[int] = mapped_column(ForeignKey("penalty_cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EvidenceKind] = mapped_column(StrEnumType(EvidenceKind, 16))
    description: Mapped[str] = mapped_column(Text)
    collected_on: Mapped[date]
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class PenaltySuspension(Base):
    """A period that does not count towards the case's time limit (听证、公告、鉴定、检测); open while `ended_on`
    is empty."""

    __tablename__ = "penalty_suspensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    penalty_case_id: Mapped[int] = mapped_column(ForeignKey("penalty_cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[Suspension] = mapped_column(StrEnumType(Suspension, 16))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")


class PenaltyConfig(Base):
    """The penalty time limits from a day on (the newest whose `valid_from` is not after the day applies;
    `clock.Limits` as JSON)."""

    __tablename__ = "penalty_configs"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[date]
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(120))


class PenaltyBenchmark(Base):
    """The discretion benchmark (自由裁量基准) from a day on: violations by circumstances, the 不予处罚 and 减轻
    lists (`discretion.Benchmark` as JSON)."""

    __tablename__ = "penalty_benchmarks"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[date]
    table: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(120))


class PenaltyTemplate(Base):
    """A version of the bureau's Word template of one kind of document; the newest applies. The file lives under
    DATA_DIR, only its hash here; `file` empty: back to the built-in template."""

    __tablename__ = "penalty_templates"
    __audit__ = True
    __table_args__ = (UniqueConstraint("kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(StrEnumType(DocumentKind, 32))
    version: Mapped[int]
    file: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(120))
