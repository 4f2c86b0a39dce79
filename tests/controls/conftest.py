"""Builders of the control list's rows for the tests of this package."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.controls.enums import GuideIndustry, MeasureKind, Pollutant, TruckRule
from ecoloop.controls.models import (
    EMERGENCY_LIST_CODE,
    ControlEntry,
    ControlOverride,
    ControlSchedule,
    NormalEmission,
)
from ecoloop.enterprises.enums import LineKind, PerformanceGrade
from ecoloop.enterprises.models import Enterprise, GradeRecord, ListMembership, ProductionLine, SupervisionList
from ecoloop.episodes.enums import WarningLevel


def put_on_list(
    session: Session,
    enterprise: Enterprise,
    industry: GuideIndustry,
    grade: PerformanceGrade | None = None,
    *,
    since: date = date(2026, 1, 1),
    until: date | None = None,
) -> ControlEntry:
    """`enterprise` on the emergency list since `since` with `grade` held since the same day."""
    listed = session.scalars(select(SupervisionList).where(SupervisionList.code == EMERGENCY_LIST_CODE)).one()
    session.add(ListMembership(list_id=listed.id, enterprise_id=enterprise.id, start=since, end=until))
    if grade is not None:
        session.add(GradeRecord(enterprise_id=enterprise.id, grade=grade, start=since, end=None))
    entry = ControlEntry(enterprise_id=enterprise.id, industry=industry)
    session.add(entry)
    session.flush()
    return entry


def add_line(session: Session, enterprise: Enterprise, name: str) -> ProductionLine:
    line = ProductionLine(enterprise_id=enterprise.id, name=name, kind=LineKind.PRODUCTION)
    session.add(line)
    session.flush()
    return line


def add_override(
    session: Session, entry: ControlEntry, level: WarningLevel, kind: MeasureKind, percent: int = 0, reason: str = "x"
) -> None:
    session.add(
        ControlOverride(entry_id=entry.id, level=level, kind=kind, percent=percent, trucks=TruckRule.ANY, reason=reason)
    )
    session.flush()


def add_window(session: Session, entry: ControlEntry, level: WarningLevel, start: int, end: int) -> None:
    session.add(ControlSchedule(entry_id=entry.id, level=level, weekdays="1111111", start_minute=start, end_minute=end))
    session.flush()


def add_emission(
    session: Session, enterprise: Enterprise, pollutant: Pollutant, kg: str, line: ProductionLine | None = None
) -> None:
    session.add(
        NormalEmission(
            enterprise_id=enterprise.id, line_id=line.id if line else None, pollutant=pollutant, kg_per_day=Decimal(kg)
        )
    )
    session.flush()
