"""Meters on the test city's enterprises, a warning and its allowances, and simulated readings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.controls.enums import GuideIndustry
from ecoloop.controls.models import EMERGENCY_LIST_CODE, ControlEntry
from ecoloop.controls.rules import Allowance
from ecoloop.electricity import service
from ecoloop.electricity.enums import MeterTarget
from ecoloop.electricity.models import Meter
from ecoloop.enterprises.enums import LineKind, PerformanceGrade
from ecoloop.enterprises.models import Enterprise, GradeRecord, ListMembership, ProductionLine, SupervisionList
from ecoloop.episodes.enums import ChangeKind, PrimaryPollutant, WarningLevel, WarningStatus
from ecoloop.episodes.models import PollutionWarning, WarningChange
from ecoloop.episodes.rules import LevelPeriod
from tests.factories import World

ZONE = ZoneInfo("Asia/Shanghai")
WARNING_START = datetime(2026, 11, 23, 20, tzinfo=ZONE)
WARNING_END = WARNING_START + timedelta(hours=48)
NOW = WARNING_END + timedelta(hours=1)


@dataclass
class Plant:
    """Each enterprise's production line and kiln-gas treatment, their meters, and the warning."""

    lines: dict[str, ProductionLine]
    meters: dict[str, Meter]
    period: LevelPeriod


def add_lines(db: Session, enterprise: Enterprise, key: str) -> tuple[ProductionLine, ProductionLine]:
    production = ProductionLine(enterprise_id=enterprise.id, name=f"{key}-窑", kind=LineKind.PRODUCTION)
    db.add(production)
    db.flush()
    treatment = ProductionLine(
        enterprise_id=enterprise.id, name=f"{key}-除尘", kind=LineKind.TREATMENT, serves_id=production.id
    )
    db.add(treatment)
    db.flush()
    return production, treatment


@pytest.fixture
def plant(db: Session, world: World) -> Plant:
    lines: dict[str, ProductionLine] = {}
    meters: dict[str, Meter] = {}
    for key, enterprise in (("a", world.enterprise_a), ("a2", world.enterprise_a2), ("b", world.enterprise_b)):
        production, treatment = add_lines(db, enterprise, key)
        lines[f"{key}-p"], lines[f"{key}-t"] = production, treatment
        meters[f"{key}-p"] = service.save_meter(
            db, number=f"DB-{key}-P", enterprise_id=enterprise.id, target=MeterTarget.PRODUCTION, line_id=production.id
        )
        meters[f"{key}-t"] = service.save_meter(
            db, number=f"DB-{key}-T", enterprise_id=enterprise.id, target=MeterTarget.TREATMENT, line_id=treatment.id
        )
    period = LevelPeriod(7, world.city.id, world.city.path, WarningLevel.ORANGE, WARNING_START, WARNING_END)
    return Plant(lines, meters, period)


def allowance(enterprise: Enterprise, fraction: float, line_id: int | None = None) -> Allowance:
    return Allowance(enterprise.id, line_id, WARNING_START, WARNING_END, fraction, WarningLevel.ORANGE, None)


def issue_warning(db: Session, world: World, start: datetime, end: datetime) -> PollutionWarning:
    """An orange warning for the whole city, issued (its change log's first entry) from `start` to `end`."""
    warning = PollutionWarning(
        number="ZWR2026-009",
        city_id=world.city.id,
        level=WarningLevel.ORANGE,
        pollutant=PrimaryPollutant.PM25,
        planned_start=start,
        planned_end=end,
        status=WarningStatus.ISSUED,
        prepared_by_id=world.users["analyst"].id,
    )
    db.add(warning)
    db.flush()
    db.add(
        WarningChange(
            warning_id=warning.id,
            seq=1,
            kind=ChangeKind.ISSUE,
            level=WarningLevel.ORANGE,
            effective_at=start,
            planned_end=end,
            recorded_by_id=world.users["analyst"].id,
        )
    )
    db.flush()
    return warning


def list_enterprise(db: Session, enterprise: Enterprise, grade: PerformanceGrade = PerformanceGrade.D) -> None:
    """Put an enterprise on the emergency list as a cement clinker plant of `grade` (D: stops at orange)."""
    emergency = db.scalars(select(SupervisionList).where(SupervisionList.code == EMERGENCY_LIST_CODE)).one()
    db.add(ControlEntry(enterprise_id=enterprise.id, industry=GuideIndustry.CEMENT_CLINKER))
    db.add(ListMembership(list_id=emergency.id, enterprise_id=enterprise.id, start=date(2026, 1, 1)))
    db.add(GradeRecord(enterprise_id=enterprise.id, grade=grade, start=date(2026, 1, 1)))
    db.flush()
