"""A warning's electricity check in the app: the listed enterprises' meters and readings loaded onto a 15-minute
grid (the warning's days and the weeks of history before them), the allowances laid over it, the one check path
(`checks.verify`, as `bench/electricity.py` runs it), and each flag kept and raised as an alert of the built-in
rule `electricity-check` with the curve of the load against its baseline and allowed level.

A flag is one row per warning, meter and kind (`ElectricityFlag`): the check runs every 15 minutes during the
warning and after it, and a flag found again updates its row and its alert (curve, counts, times) instead of
raising a second alert.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts import rule_service
from ecoloop.alerts.enums import AlertEventKind, AlertStatus
from ecoloop.alerts.models import Alert, AlertEvent, AlertRule, AlertRuleVersion
from ecoloop.alerts.rules import RuleKind, Severity
from ecoloop.alerts.service import Fanout, next_number
from ecoloop.cases.queries import work_calendar
from ecoloop.controls.rules import Allowance
from ecoloop.electricity.checks import Flag, MeterRole, allowed_level, served_production, verify
from ecoloop.electricity.enums import FlagKind, MeterInterval, MeterTarget
from ecoloop.electricity.models import ElectricityFlag, Meter, MeterReading
from ecoloop.electricity.rules import Grid, Parameters, day_profiles, dense, slot_mask
from ecoloop.episodes.rules import LevelPeriod

RULE_CODE = "electricity-check"
SLOT_MINUTES = 15
# Readings of the last half hour are not expected yet (the grid's collection runs after each interval): their
# slots are judged at the next run. [unverified] ecoloop's choice.
DATA_DELAY = timedelta(minutes=30)
SEVERITY = {FlagKind.OVER_ALLOWANCE: Severity.HIGH, FlagKind.TREATMENT_OFF: Severity.HIGH}


@dataclass(frozen=True)
class Checked:
    """What one warning's check did: the meters judged and the flags kept (new and found again)."""

    warning_id: int
    meters: int
    flags: list[ElectricityFlag]
    raised: int


def check_warning(
    session: Session,
    periods: Sequence[LevelPeriod],
    allowances: Sequence[Allowance],
    earlier: Iterable[LevelPeriod],
    *,
    now: datetime,
    zone: tzinfo,
    params: Parameters,
) -> Checked:
    """Check one warning (`periods`: its levels over its areas) against the allowances of the listed enterprises,
    up to `now`; `earlier`: the warnings before it, left out of the baseline."""
    warning_id = periods[0].warning_id
    start = min(p.start for p in periods)
    end = min(max(p.end or now for p in periods), now)
    allowances = [a for a in allowances if a.start < end and a.end > start]
    enterprises = {a.enterprise_id for a in allowances}
    meters = list(
        session.scalars(
            select(Meter)
            .where(Meter.enterprise_id.in_(enterprises), Meter.active)
            .order_by(Meter.enterprise_id, Meter.id)
        )
    )
    if not meters or end <= start:
        return Checked(warning_id, 0, [], 0)
    first_day = start.astimezone(zone).date()
    history_start = first_day - timedelta(days=7 * params.weeks)
    days = (end.astimezone(zone).date() - history_start).days + 1
    grid = Grid(datetime.combine(history_start, datetime.min.time(), zone), days, SLOT_MINUTES)
    series = _series(session, meters, grid)
    profiles = day_profiles([grid.day(d) for d in range(days)], work_calendar(session).is_workday)
    history_end = grid.index(datetime.combine(first_day, datetime.min.time(), zone))
    excluded = slot_mask(grid, [(p.start, p.end) for p in earlier if p.warning_id != warning_id], now)
    excluded[history_end:] = False
    window = grid.slots - history_end
    fraction = _fractions(meters, allowances, grid, history_end, now - DATA_DELAY)
    roles = [_role(m) for m in meters]
    outcome = verify(roles, series, grid.per_day, profiles, excluded, 7 * params.weeks, fraction, params)
    window_series = series[:, history_end:]
    allowed = allowed_level(outcome.level, outcome.sigma, np.nan_to_num(fraction, nan=1.0), params)
    kept, raised = [], 0
    fanout: Fanout | None = None
    for flag in outcome.flags:
        curve = _curve(grid, history_end, window, flag, roles, window_series, outcome.level, allowed, fraction)
        row, new = _keep(session, warning_id, meters[flag.meter], flag, grid, history_end, now)
        if fanout is None:
            fanout = Fanout(session)
        if _alert(session, row, meters[flag.meter], flag, curve, now, new, fanout):
            raised += 1
        kept.append(row)
    return Checked(warning_id, len(meters), kept, raised)


def _role(meter: Meter) -> MeterRole:
    serves = meter.line.serves_id if meter.line is not None else None
    return MeterRole(meter.enterprise_id, meter.target, meter.line_id, serves)


def _series(session: Session, meters: Sequence[Meter], grid: Grid) -> np.ndarray:
    """The meters' readings on the grid (kWh per 15 minutes; an hourly reading spread over its four slots)."""
    position = {m.id: i for i, m in enumerate(meters)}
    hourly = {m.id for m in meters if m.interval is MeterInterval.HOUR}
    end = grid.time(grid.slots)
    rows = session.execute(
        select(MeterReading.meter_id, MeterReading.at, MeterReading.kwh).where(
            MeterReading.meter_id.in_(position), MeterReading.at >= grid.start, MeterReading.at < end
        )
    ).all()
    meter_index, slot_index, values = [], [], []
    for meter_id, at, kwh in rows:
        first = grid.index(at)
        spread = 60 // SLOT_MINUTES if meter_id in hourly else 1
        for k in range(spread):
            meter_index.append(position[meter_id])
            slot_index.append(first + k)
            values.append(kwh / spread)
    return dense(
        len(meters),
        grid.slots,
        np.asarray(meter_index, dtype=np.intp),
        np.asarray(slot_index, dtype=np.intp),
        np.asarray(values, dtype=np.float32),
    )


def _fractions(
    meters: Sequence[Meter], allowances: Sequence[Allowance], grid: Grid, first: int, until: datetime
) -> np.ndarray:
    """[meters, window slots]: the allowance in force on each meter's production at each slot (the strictest where
    two overlap; a line's own allowance, else its enterprise's; a treatment or whole-enterprise meter its
    enterprise's, or the loosest of its lines'), NaN outside the allowances and for slots not yet due."""
    by_enterprise: dict[int, list[Allowance]] = defaultdict(list)
    for allowance in allowances:
        by_enterprise[allowance.enterprise_id].append(allowance)
    out = np.full((len(meters), grid.slots - first), np.nan, dtype=np.float32)
    due = grid.index(until) - first  # slots from here on are not judged yet
    for i, meter in enumerate(meters):
        own = by_enterprise.get(meter.enterprise_id, [])
        chosen = [a for a in own if meter.line_id is not None and a.line_id == meter.line_id]
        if not chosen or meter.target is not MeterTarget.PRODUCTION:
            chosen = [a for a in own if a.line_id is None] or own
        loosest = meter.target is not MeterTarget.PRODUCTION and all(a.line_id is not None for a in chosen)
        for allowance in chosen:
            mask = slot_mask(grid, [(allowance.start, allowance.end)], until)[first:]
            current = out[i, mask]
            if loosest:
                out[i, mask] = np.fmax(current, allowance.fraction)
            else:
                out[i, mask] = np.fmin(current, allowance.fraction)
        out[i, max(due, 0) :] = np.nan
    return out


def _points(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else round(float(v), 3) for v in values]


def _curve(
    grid: Grid,
    first: int,
    window: int,
    flag: Flag,
    roles: Sequence[MeterRole],
    series: np.ndarray,
    level: np.ndarray,
    allowed: np.ndarray,
    fraction: np.ndarray,
) -> dict[str, object]:
    """The flagged meter's load, baseline and allowed level over the warning's slots (and, for a treatment
    facility, the production it serves), as the alert and the meter page draw them."""
    warned = np.flatnonzero(~np.isnan(fraction[flag.meter]))
    lo = int(warned[0]) if warned.size else 0
    hi = int(warned[-1]) + 1 if warned.size else window
    curve: dict[str, object] = {
        "start": grid.time(first + lo).isoformat(),
        "minutes": grid.minutes,
        "load": _points(series[flag.meter, lo:hi]),
        "baseline": _points(level[flag.meter, lo:hi]),
    }
    if roles[flag.meter].target is MeterTarget.TREATMENT:
        rows = list(flag.production or served_production(roles, flag.meter))
        curve["production"] = _points(series[rows, lo:hi].sum(axis=0)) if rows else []
        curve["production_baseline"] = _points(level[rows, lo:hi].sum(axis=0)) if rows else []
    else:
        curve["allowed"] = _points(np.where(np.isnan(fraction[flag.meter, lo:hi]), np.nan, allowed[flag.meter, lo:hi]))
    return curve


def _keep(
    session: Session, warning_id: int, meter: Meter, flag: Flag, grid: Grid, first: int, now: datetime
) -> tuple[ElectricityFlag, bool]:
    row = session.scalar(
        select(ElectricityFlag).where(
            ElectricityFlag.warning_id == warning_id,
            ElectricityFlag.meter_id == meter.id,
            ElectricityFlag.kind == flag.kind,
        )
    )
    new = row is None
    if row is None:
        row = ElectricityFlag(
            warning_id=warning_id, meter_id=meter.id, enterprise_id=meter.enterprise_id, kind=flag.kind
        )
        session.add(row)
    row.first_at, row.last_at = grid.time(first + flag.first), grid.time(first + flag.last)
    row.found, row.checked, row.checked_at = flag.found, flag.checked, now
    session.flush()
    return row, new


def electricity_rule(session: Session, now: datetime) -> AlertRule:
    """The built-in rule the flags are raised under (added if missing)."""
    rule = session.scalar(select(AlertRule).where(AlertRule.code == RULE_CODE))
    if rule is None:
        rule_service.ensure_builtin_rules(session, now)
        rule = session.scalars(select(AlertRule).where(AlertRule.code == RULE_CODE)).one()
    return rule


def _alert(
    session: Session,
    row: ElectricityFlag,
    meter: Meter,
    flag: Flag,
    curve: dict[str, object],
    now: datetime,
    new: bool,
    fanout: Fanout,
) -> bool:
    """Raise the flag's alert, or bring its alert up to date; whether one was raised."""
    line = meter.line.name if meter.line is not None else ""
    finding = {
        "time": row.first_at.isoformat(),
        "parameter": None,
        "observed": None,
        "reference": None,
        "flag": flag.kind.value,
        "enterprise": meter.enterprise.name,
        "meter": meter.number,
        "line": line or meter.target.value,
        "found": flag.found,
        "checked": flag.checked,
        "first": row.first_at.isoformat(),
        "last": row.last_at.isoformat(),
    }
    detail = {
        "findings": [finding],
        "title": f"{meter.enterprise.name} {line or meter.number}",
        "flag": flag.kind.value,
        "warning": row.warning_id,
        "meter": meter.id,
        "curve": curve,
    }
    if row.alert_id is not None and (alert := session.get(Alert, row.alert_id)) is not None:
        alert.detail, alert.last_at = detail, row.last_at
        session.flush()
        return False
    rule = electricity_rule(session, now)
    if not rule.enabled:
        return False
    version_id = session.scalar(
        select(AlertRuleVersion.id).where(AlertRuleVersion.rule_id == rule.id, AlertRuleVersion.version == rule.version)
    )
    alert = Alert(
        number=next_number(session, now.year),
        rule_id=rule.id,
        rule_version_id=version_id,
        kind=RuleKind.ELECTRICITY,
        site_id=None,
        region_id=meter.enterprise.region_id,
        enterprise_id=meter.enterprise_id,
        severity=SEVERITY.get(flag.kind, Severity.MEDIUM),
        status=AlertStatus.OPEN,
        first_at=row.first_at,
        last_at=row.last_at,
        raised_at=now,
        detail=detail,
    )
    session.add(alert)
    session.flush()
    raised = AlertEvent(
        alert_id=alert.id, at=now, kind=AlertEventKind.RAISED, actor_label=RULE_CODE, data={"flag": flag.kind.value}
    )
    session.add(raised)
    session.flush()
    row.alert_id = alert.id
    fanout.push(alert, raised)
    return True
