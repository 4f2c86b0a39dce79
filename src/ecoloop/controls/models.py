"""The control list's tables: each listed enterprise's entry, the measure templates per guide industry, grade and
level, the per-enterprise overrides and staggered schedules, normal emissions and the counties' baseline
inventories. Whether an enterprise is on the list, and since when, is its membership of the built-in supervision
list `heavy_pollution_emergency_list` (`enterprises.models.ListMembership`)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecoloop.controls.enums import GuideIndustry, Livelihood, MeasureKind, Pollutant, TruckRule
from ecoloop.db.base import Base, StrEnumType, TimestampMixin
from ecoloop.enterprises.enums import PerformanceGrade
from ecoloop.episodes.enums import WarningLevel

# The built-in supervision list whose memberships say who is on the control list (migration 0021).
EMERGENCY_LIST_CODE = "heavy_pollution_emergency_list"


class ControlEntry(TimestampMixin, Base):
    """An enterprise's line in the control list (应急减排清单): its guide industry, whether it is protected as a
    livelihood producer (民生保障), how it transports its goods, and a note."""

    __tablename__ = "control_entries"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), unique=True)
    industry: Mapped[GuideIndustry] = mapped_column(StrEnumType(GuideIndustry, 24))
    livelihood: Mapped[Livelihood] = mapped_column(StrEnumType(Livelihood, 16), default=Livelihood.NONE)
    transport: Mapped[str] = mapped_column(String(200), default="")  # 运输方式, as written
    heavy_trucks: Mapped[int | None]  # 重型载货车辆数
    note: Mapped[str] = mapped_column(Text, default="")


class MeasureTemplate(TimestampMixin, Base):
    """The city's measure for an industry, grade and level where it departs from the built-in defaults
    (`controls.rules.DEFAULT_MEASURES`); `grade` None is the measure of an enterprise without a grade."""

    __tablename__ = "control_measure_templates"
    __audit__ = True
    __table_args__ = (UniqueConstraint("industry", "grade", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    industry: Mapped[GuideIndustry] = mapped_column(StrEnumType(GuideIndustry, 24))
    grade: Mapped[PerformanceGrade | None] = mapped_column(StrEnumType(PerformanceGrade, 8))
    level: Mapped[WarningLevel] = mapped_column(StrEnumType(WarningLevel, 8))
    kind: Mapped[MeasureKind] = mapped_column(StrEnumType(MeasureKind, 16))
    percent: Mapped[int] = mapped_column(default=0)
    processes: Mapped[str] = mapped_column(String(300), default="")  # names of the processes to stop, "、"-separated
    trucks: Mapped[TruckRule] = mapped_column(StrEnumType(TruckRule, 8), default=TruckRule.ANY)
    source: Mapped[str] = mapped_column(String(300), default="")


class ControlOverride(TimestampMixin, Base):
    """An enterprise's own measure at one level, which wins over its template, with the reason (e.g. 保障类
    以热定产: at most 60 % of normal load)."""

    __tablename__ = "control_overrides"
    __audit__ = True
    __table_args__ = (UniqueConstraint("entry_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("control_entries.id", ondelete="CASCADE"), index=True)
    level: Mapped[WarningLevel] = mapped_column(StrEnumType(WarningLevel, 8))
    kind: Mapped[MeasureKind] = mapped_column(StrEnumType(MeasureKind, 16))
    percent: Mapped[int] = mapped_column(default=0)
    processes: Mapped[str] = mapped_column(String(300), default="")
    trucks: Mapped[TruckRule] = mapped_column(StrEnumType(TruckRule, 8), default=TruckRule.ANY)
    reason: Mapped[str] = mapped_column(String(300))


class ControlSchedule(TimestampMixin, Base):
    """A window in which an enterprise may produce at a level (错时生产): on the weekdays marked in `weekdays`
    ("1111100": Monday to Friday) from `start_minute` to `end_minute` of the local day (minutes after midnight;
    an end before the start runs past midnight). Outside its windows at that level the enterprise stops."""

    __tablename__ = "control_schedules"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("control_entries.id", ondelete="CASCADE"), index=True)
    level: Mapped[WarningLevel] = mapped_column(StrEnumType(WarningLevel, 8))
    weekdays: Mapped[str] = mapped_column(String(7), default="1111111")
    start_minute: Mapped[int]
    end_minute: Mapped[int]


class NormalEmission(TimestampMixin, Base):
    """An enterprise's emission of one pollutant on a normal production day (kg/d), for one production line or
    (`line_id` None) for the rest of the enterprise."""

    __tablename__ = "control_normal_emissions"
    __audit__ = True
    __table_args__ = (UniqueConstraint("enterprise_id", "line_id", "pollutant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("production_lines.id", ondelete="CASCADE"), index=True)
    pollutant: Mapped[Pollutant] = mapped_column(StrEnumType(Pollutant, 8))
    kg_per_day: Mapped[Decimal] = mapped_column(Numeric(14, 3))


class CountyBaseline(TimestampMixin, Base):
    """A county's whole-society emission of one pollutant per day (全社会排放总量, kg/d) from its emission
    inventory: the denominator of the reduction shares."""

    __tablename__ = "control_county_baselines"
    __audit__ = True
    __table_args__ = (UniqueConstraint("region_id", "pollutant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    pollutant: Mapped[Pollutant] = mapped_column(StrEnumType(Pollutant, 8))
    kg_per_day: Mapped[Decimal] = mapped_column(Numeric(16, 3))
    year: Mapped[int | None]  # the inventory's year
    source: Mapped[str] = mapped_column(String(300), default="")
