"""Tables of briefs: every generated version with who generated it and what it said, the bureau's templates by
version, on-demand generations in progress, the briefs' settings by version (document numbers, addressees, the
assessment's weights and the compensation rules), and imported air-quality forecasts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.db.base import Base, StrEnumType, TimestampMixin, UtcDateTime, utcnow
from ecoloop.regions.models import Region
from ecoloop.reports.enums import ReportKind, RunStatus


class Report(Base):
    """One generated version of a brief about a region (the city, or a county's own assessment): its files under
    `DATA_DIR/reports/`, their SHA-256, and `snapshot`, what it said (values and tables as printed), from which
    a regenerated version shows what changed. Versions are kept; the newest is the brief."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("kind", "period_key", "region_id", "version"),
        Index("ix_reports_kind_period", "kind", "period_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(StrEnumType(ReportKind, 16))
    period_key: Mapped[str] = mapped_column(String(10))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int]
    number: Mapped[str] = mapped_column(String(64))  # 文号
    title: Mapped[str] = mapped_column(String(200))
    internal: Mapped[bool] = mapped_column(default=False)  # only the city's staff read it (not the branches)
    generated_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True), default=utcnow)
    generated_by: Mapped[str] = mapped_column(String(120))  # a user's name or "scheduler"
    generated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    template_version: Mapped[int] = mapped_column(default=0)  # 0: the default template
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    docx_file: Mapped[str] = mapped_column(String(255))  # relative to DATA_DIR/reports
    xlsx_file: Mapped[str] = mapped_column(String(255))
    docx_sha256: Mapped[str] = mapped_column(String(64))
    xlsx_sha256: Mapped[str] = mapped_column(String(64))

    region: Mapped[Region] = relationship(lazy="joined")


class ReportTemplate(Base):
    """A version of the bureau's Word template of one kind of brief; the newest applies. `file` empty: back to
    the default template."""

    __tablename__ = "report_templates"
    __table_args__ = (UniqueConstraint("kind", "version"),)
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(StrEnumType(ReportKind, 16))
    version: Mapped[int]
    file: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True), default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(120))


class ReportRun(TimestampMixin, Base):
    """A generation asked for on a page, followed by its progress bar: step of steps, then the report or the
    reason it failed."""

    __tablename__ = "report_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(StrEnumType(ReportKind, 16))
    period_key: Mapped[str] = mapped_column(String(10))
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[RunStatus] = mapped_column(StrEnumType(RunStatus, 16), default=RunStatus.QUEUED)
    step: Mapped[int] = mapped_column(default=0)
    steps: Mapped[int] = mapped_column(default=1)
    error: Mapped[str] = mapped_column(Text, default="")  # a message id of `service.FAILURES`
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))


class ReportConfig(Base):
    """The briefs' settings from a day on (the newest whose `valid_from` is not after a period's end applies):
    document-number prefixes, addressees, the monthly assessment's weights and the compensation rules
    (`rules.Config`, as JSON)."""

    __tablename__ = "report_configs"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[date]
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True), default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(120))


class AirForecast(Base):
    """An imported air-quality forecast of a region for one day (from the forecast centre's table; ecoloop has
    no model of its own): the AQI range, the level range and the primary pollutant as written."""

    __tablename__ = "air_forecasts"
    __table_args__ = (UniqueConstraint("region_id", "day"),)
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    aqi_low: Mapped[int]
    aqi_high: Mapped[int]
    primary: Mapped[str] = mapped_column(String(40), default="")  # pollutant keys, comma-separated
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True), default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(120))

    region: Mapped[Region] = relationship(lazy="joined")
