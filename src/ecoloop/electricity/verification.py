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
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import numpy as np
from sqlalchemy import BigInteger, ColumnElement, Integer, cast, func, select
from sqlalchemy.orm import Session

from ecoloop.alerts import rule_service
from ecoloop.alerts.enums import AlertEventKind, AlertStatus
from ecoloop.alerts.models import Alert, AlertEvent, AlertRule, AlertRuleVersion
from ecoloop.alerts.rules import RuleKind, Severity
from ecoloop.alerts.service import Fanout, next_number
from ecoloop.cases.queries import work_calendar
from ecoloop.controls.rules import Allowance
from ecoloop.electricity.archive import Columns, cells
from ecoloop.electricity.checks import Flag, MeterRole, Outcome, allowed_level, served_production, verify
from ecoloop.electricity.enums import FlagKind, MeterInterval, MeterTarget
from ecoloop.electricity.models import ElectricityFlag, Meter, MeterReading
from ecoloop.electricity.rules import Grid, Parameters, day_profiles, slot_mask
from ecoloop.episodes.rules import LevelPeriod
from ecoloop.i18n import DEFAULT_LOCALE, gettext, use_locale

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
    root: Path | None = None,
) -> Checked:
    """Check one warning (`periods`: its levels over its areas) against the allowances of the listed enterprises,
    up to `now`; `earlier`: the warnings before it, left out of the baseline; `root`: the compacted readings'
    Parquet (`archive.root_of`; None: the SQL table only)."""
    warning_id = periods[0].warning_id
    run = evaluate(session, periods, allowances, earlier, now=now, zone=zone, params=params, root=root)
    if run is None:
        return Checked(warning_id, 0, [], 0)
    meters, grid, first = run.meters, run.grid, run.first
    kept, raised = [], 0
    fanout: Fanout | None = None
    for flag in run.outcome.flags:
        curve = run.curve(flag.meter, flag.production)
        row, new = _keep(session, warning_id, meters[flag.meter], flag, grid, first, now)
        if fanout is None:
            fanout = Fanout(session)
        if _alert(session, row, meters[flag.meter], flag, curve, now, new, fanout):
            raised += 1
        kept.append(row)
    return Checked(warning_id, len(meters), kept, raised)


@dataclass(frozen=True)
class Run:
    """One warning's check computed (nothing kept yet): the meters, the grid, where the warning's days start on it,
    the roles, readings, allowances and allowed levels, and the outcome."""

    meters: list[Meter]
    grid: Grid
    first: int
    roles: list[MeterRole]
    window: np.ndarray
    fraction: np.ndarray
    allowed: np.ndarray
    outcome: Outcome

    def curve(self, row: int, production: tuple[int, ...] = ()) -> dict[str, object]:
        """A meter's load, baseline and allowed level over the warning's slots (for a treatment facility, with the
        production it serves), as the alert and the meter page draw them."""
        warned = np.flatnonzero(~np.isnan(self.fraction[row]))
        lo = int(warned[0]) if warned.size else 0
        hi = int(warned[-1]) + 1 if warned.size else self.window.shape[1]
        level = self.outcome.level
        curve: dict[str, object] = {
            "start": self.grid.time(self.first + lo).isoformat(),
            "minutes": self.grid.minutes,
            "load": _points(self.window[row, lo:hi]),
            "baseline": _points(level[row, lo:hi]),
        }
        if self.roles[row].target is MeterTarget.TREATMENT:
            rows = list(production or served_production(self.roles, row))
            curve["production"] = _points(self.window[rows, lo:hi].sum(axis=0)) if rows else []
            curve["production_baseline"] = _points(level[rows, lo:hi].sum(axis=0)) if rows else []
        else:
            limited = np.where(np.isnan(self.fraction[row, lo:hi]), np.nan, self.allowed[row, lo:hi])
            curve["allowed"] = _points(limited)
        return curve


def evaluate(
    session: Session,
    periods: Sequence[LevelPeriod],
    allowances: Sequence[Allowance],
    earlier: Iterable[LevelPeriod],
    *,
    now: datetime,
    zone: tzinfo,
    params: Parameters,
    enterprise_ids: Collection[int] | None = None,
    root: Path | None = None,
) -> Run | None:
    """Compute one warning's check up to `now` (the listed enterprises' meters, or only those of
    `enterprise_ids`); None when there is nothing to check."""
    start = min(p.start for p in periods)
    end = min(max(p.end or now for p in periods), now)
    allowances = [a for a in allowances if a.start < end and a.end > start]
    enterprises = {a.enterprise_id for a in allowances}
    if enterprise_ids is not None:
        enterprises &= set(enterprise_ids)
    query = select(Meter).where(Meter.enterprise_id.in_(enterprises), Meter.active)
    meters = list(session.scalars(query.order_by(Meter.enterprise_id, Meter.id)))
    if not meters or end <= start:
        return None
    first_day = start.astimezone(zone).date()
    history_start = first_day - timedelta(days=7 * params.weeks)
    days = (end.astimezone(zone).date() - history_start).days + 1
    grid = Grid(datetime.combine(history_start, datetime.min.time(), zone), days, SLOT_MINUTES)
    series = _series(session, meters, grid, root)
    profiles = day_profiles([grid.day(d) for d in range(days)], work_calendar(session).is_workday)
    first = 7 * params.weeks * grid.per_day
    warning_ids = {p.warning_id for p in periods}
    excluded = slot_mask(grid, [(p.start, p.end) for p in earlier if p.warning_id not in warning_ids], now)
    excluded[first:] = False
    fraction = _fractions(meters, allowances, grid, first, now - DATA_DELAY)
    roles = [_role(m) for m in meters]
    outcome = verify(roles, series, grid.per_day, profiles, excluded, 7 * params.weeks, fraction, params)
    allowed = allowed_level(outcome.level, outcome.sigma, np.nan_to_num(fraction, nan=1.0), params)
    return Run(meters, grid, first, roles, series[:, first:], fraction, allowed, outcome)


def _role(meter: Meter) -> MeterRole:
    serves = meter.line.serves_id if meter.line is not None else None
    return MeterRole(meter.enterprise_id, meter.target, meter.line_id, serves)


def _epoch(session: Session) -> ColumnElement[int]:
    """A reading's time as epoch seconds, computed by the database: the rows come back as plain numbers (no
    datetime objects made per row), about ten times faster to read."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", MeterReading.at), BigInteger)
    return cast(func.strftime("%s", MeterReading.at), Integer)  # SQLite keeps UTC as text without an offset


def hot_columns(session: Session, meter_ids: Sequence[int], start: datetime, end: datetime) -> Columns:
    """The SQL table's readings (not compacted yet) of `meter_ids` whose interval starts in [start, end)."""
    if not meter_ids:
        return Columns.empty()
    rows = session.execute(
        select(MeterReading.meter_id, _epoch(session), MeterReading.kwh).where(
            MeterReading.meter_id.in_(meter_ids), MeterReading.at >= start, MeterReading.at < end
        )
    ).all()
    if not rows:
        return Columns.empty()
    # column by column: numpy reads plain tuples fast, rows of the result slowly
    ids, epochs, kwh = zip(*rows, strict=True)
    return Columns(np.asarray(ids, np.int64), np.asarray(epochs, np.int64), np.asarray(kwh, np.float32))


def read_series(
    session: Session, root: Path | None, meter_ids: Sequence[int], hourly: Collection[int], grid: Grid
) -> np.ndarray:
    """[meters, slots]: the readings of `meter_ids` (in this order) on the grid in kWh per 15 minutes, NaN where
    none came; an hourly meter's (those in `hourly`) reading spread over its four slots. Read from both tiers: the
    compacted days' Parquet under `root` (`archive.cells`, DuckDB), then the SQL table's rows laid over them, so
    that where both hold a reading (sent again after its day was compacted, or left in both by a crashed
    compaction) the SQL table's stands. None for `root`: the SQL table only."""
    out = np.full(len(meter_ids) * grid.slots, np.nan, dtype=np.float32)
    rows = {meter_id: row for row, meter_id in enumerate(meter_ids)}
    spread = 60 // grid.minutes
    by_interval = [
        ({m: r for m, r in rows.items() if m not in hourly}, 1),
        ({m: r for m, r in rows.items() if m in hourly}, spread),
    ]
    for positions, step in by_interval:  # the Parquet tier first
        if positions:
            cell, kwh = cells(root, positions, grid.start, grid.slots, grid.minutes)
            _lay(out, cell, kwh, step)
    end = grid.time(grid.slots)
    hot = hot_columns(session, meter_ids, grid.start, end)  # then the SQL table over it
    if len(hot):
        lookup = np.full(max(meter_ids) + 1, -1, dtype=np.int64)
        lookup[np.asarray(meter_ids, dtype=np.int64)] = np.arange(len(meter_ids))
        slot = (hot.ts - int(grid.start.timestamp())) // (grid.minutes * 60)
        cell = lookup[hot.meter_id] * grid.slots + slot
        is_hourly = np.isin(hot.meter_id, np.asarray(list(hourly), dtype=np.int64))
        _lay(out, cell[~is_hourly], hot.kwh[~is_hourly], 1)
        _lay(out, cell[is_hourly], hot.kwh[is_hourly], spread)
    return out.reshape(len(meter_ids), grid.slots)


def _lay(out: np.ndarray, cell: np.ndarray, kwh: np.ndarray, step: int) -> None:
    """Readings into their cells of the flat array; a reading over `step` slots split evenly over them."""
    if step == 1:
        out[cell] = kwh  # one scatter: of two readings for one cell (none within a tier) the later stands
        return
    for k in range(step):
        out[cell + k] = kwh / step


def _series(session: Session, meters: Sequence[Meter], grid: Grid, root: Path | None = None) -> np.ndarray:
    """The meters' readings on the grid (`read_series`)."""
    hourly = {m.id for m in meters if m.interval is MeterInterval.HOUR}
    return read_series(session, root, [m.id for m in meters], hourly, grid)


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
    if meter.line is not None:
        line = meter.line.name
    else:
        with use_locale(DEFAULT_LOCALE):  # kept as data, in the bureau's language, as rule names are
            line = gettext(meter.target.label)
    finding = {
        "time": row.first_at.isoformat(),
        "parameter": None,
        "observed": None,
        "reference": None,
        "flag": flag.kind.value,
        "flag_label": flag.kind.label,  # a message id: the sentence is in the reader's language
        "enterprise": meter.enterprise.name,
        "meter": meter.number,
        "line": line,
        "found": flag.found,
        "checked": flag.checked,
        "first": row.first_at.isoformat(),
        "last": row.last_at.isoformat(),
    }
    detail = {
        "findings": [finding],
        "title": f"{meter.enterprise.name} {line}",
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
