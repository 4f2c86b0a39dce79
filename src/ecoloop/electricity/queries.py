"""Reads of the electricity pages, scoped: the meters of the reader's area (an enterprise its own), the flags of the
current or last warning, a meter's curve during a warning (its stored flag's, or computed on reading), the imports
and their refused rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.controls.queries import allowances
from ecoloop.electricity.archive import columns, hot_over, latest
from ecoloop.electricity.models import (
    CheckSettings,
    ElectricityFlag,
    Meter,
    MeterReading,
    ReadingImport,
    RefusedReading,
)
from ecoloop.electricity.rules import Parameters
from ecoloop.electricity.verification import evaluate, hot_columns
from ecoloop.enterprises.models import Enterprise, ProductionLine
from ecoloop.episodes.queries import level_periods
from ecoloop.episodes.rules import LevelPeriod

LOOK_BACK = timedelta(days=60)  # the "last warning" is one in force within this many days
RECENT = timedelta(days=7)  # a meter's page without a warning shows this much of its load


def meters(session: Session, principal: Principal) -> list[Meter]:
    """The meters the reader sees, by enterprise and number."""
    stmt = select(Meter).join(Enterprise, Enterprise.id == Meter.enterprise_id).order_by(Enterprise.name, Meter.number)
    return list(session.scalars(scoped(stmt, principal, Meter)))


def last_readings(session: Session, meter_ids: list[int], root: Path | None = None) -> dict[int, datetime]:
    """The time of each meter's latest reading, in the SQL table or the compacted Parquet under `root`."""
    if not meter_ids:
        return {}
    rows = session.execute(
        select(MeterReading.meter_id, func.max(MeterReading.at))
        .where(MeterReading.meter_id.in_(meter_ids))
        .group_by(MeterReading.meter_id)
    ).all()
    found = latest(root, meter_ids)
    for meter_id, at in rows:
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        found[meter_id] = max(at, found.get(meter_id, at))
    return found


def meter(session: Session, principal: Principal, meter_id: int) -> Meter | None:
    """One meter, if the reader sees it."""
    return get_visible(session, principal, Meter, meter_id)


def lines_of(session: Session, enterprise_id: int) -> list[ProductionLine]:
    """An enterprise's lines and facilities, production first."""
    stmt = select(ProductionLine).where(ProductionLine.enterprise_id == enterprise_id)
    return list(session.scalars(stmt.order_by(ProductionLine.kind, ProductionLine.name)))


@dataclass(frozen=True)
class WarningShown:
    """The warning a page shows: its id and its levels over its areas."""

    warning_id: int
    periods: list[LevelPeriod]

    @property
    def start(self) -> datetime:
        return min(p.start for p in self.periods)

    @property
    def end(self) -> datetime | None:
        ends = [p.end for p in self.periods]
        return None if any(e is None for e in ends) else max(e for e in ends if e is not None)

    @property
    def level(self) -> Any:
        return max((p.level for p in self.periods), key=lambda level: level.rank)


def latest_warning(session: Session, now: datetime, warning_id: int | None = None) -> WarningShown | None:
    """The warning in force, else the last one of the past 60 days (or the one named)."""
    periods = level_periods(session, now - LOOK_BACK, now)
    if warning_id is None and periods:
        warning_id = max(periods, key=lambda p: (p.start, p.warning_id)).warning_id
    own = [p for p in periods if p.warning_id == warning_id]
    return WarningShown(warning_id, own) if warning_id is not None and own else None


def flags(
    session: Session, principal: Principal, warning_id: int, meter_id: int | None = None
) -> list[ElectricityFlag]:
    """The flags of a warning the reader sees (of one meter, when named), by kind and enterprise."""
    stmt = select(ElectricityFlag).where(ElectricityFlag.warning_id == warning_id)
    if meter_id is not None:
        stmt = stmt.where(ElectricityFlag.meter_id == meter_id)
    stmt = stmt.order_by(ElectricityFlag.kind, ElectricityFlag.enterprise_id, ElectricityFlag.meter_id)
    return list(session.scalars(scoped(stmt, principal, ElectricityFlag)))


def warning_curve(
    session: Session,
    meter: Meter,
    shown: WarningShown,
    *,
    now: datetime,
    zone: tzinfo,
    params: Parameters,
    root: Path | None = None,
) -> dict[str, Any] | None:
    """A meter's load, baseline and allowed level during a warning, computed now as the check computes it (None:
    its enterprise has no allowance in the warning)."""
    allowed = allowances(session, shown.periods, enterprise_ids=[meter.enterprise_id], tz=zone)
    earlier = level_periods(session, shown.start - timedelta(weeks=params.weeks), shown.start)
    run = evaluate(
        session,
        shown.periods,
        allowed,
        earlier,
        now=now,
        zone=zone,
        params=params,
        enterprise_ids=[meter.enterprise_id],
        root=root,
    )
    if run is None:
        return None
    row = next((i for i, m in enumerate(run.meters) if m.id == meter.id), None)
    return run.curve(row) if row is not None else None


def recent_curve(session: Session, meter: Meter, now: datetime, root: Path | None = None) -> dict[str, Any]:
    """A meter's readings of the last seven days (kWh per reading), from both tiers, for a page without a warning."""
    start = now - RECENT
    found = hot_over(columns(root, [meter.id], start, now), hot_columns(session, [meter.id], start, now))
    order = np.argsort(found.ts, kind="stable")
    times = [datetime.fromtimestamp(int(ts), UTC).isoformat() for ts in found.ts[order]]
    return {"times": times, "load": [round(float(kwh), 3) for kwh in found.kwh[order]]}


def imports(session: Session, principal: Principal, limit: int = 50) -> list[ReadingImport]:
    """The latest imports, newest first."""
    stmt = select(ReadingImport).order_by(ReadingImport.id.desc()).limit(limit)
    return list(session.scalars(scoped(stmt, principal, ReadingImport)))


def refused_rows(session: Session, principal: Principal, import_id: int, limit: int = 1000) -> list[RefusedReading]:
    """An import's refused rows, by row."""
    stmt = select(RefusedReading).where(RefusedReading.import_id == import_id).order_by(RefusedReading.row)
    return list(session.scalars(scoped(stmt, principal, RefusedReading).limit(limit)))


def enterprise_by_code(session: Session, principal: Principal, credit_code: str) -> Enterprise | None:
    """The enterprise the reader sees with this credit code (统一社会信用代码)."""
    stmt = select(Enterprise).where(Enterprise.credit_code == credit_code)
    return session.scalars(scoped(stmt, principal, Enterprise)).first()


def line_id(session: Session, enterprise_id: int, name: str) -> int | None:
    """The id of an enterprise's line or facility by its name."""
    stmt = select(ProductionLine.id).where(ProductionLine.enterprise_id == enterprise_id, ProductionLine.name == name)
    return session.scalar(stmt)


def settings_versions(session: Session, limit: int = 20) -> list[CheckSettings]:
    """The parameters' latest versions, newest first."""
    return list(session.scalars(select(CheckSettings).order_by(CheckSettings.id.desc()).limit(limit)))
