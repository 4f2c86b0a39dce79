"""Electricity meters, their readings and the checks' parameters: one transaction each (the caller commits).

Readings are stored once per meter and interval start: a reading sent again replaces the one stored (an upsert on
the table's primary key), so a file or a request sent twice stores nothing twice. Each row is checked on its own;
the valid rows are stored beside the refused ones, which are kept with their reason for inspection.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.cases.queries import work_calendar
from ecoloop.controls.queries import allowances
from ecoloop.electricity.enums import MeterInterval, MeterTarget, ReadingOrigin
from ecoloop.electricity.models import CheckSettings, Meter, MeterReading, ReadingImport, RefusedReading
from ecoloop.electricity.rules import Grid, Parameters, day_profiles
from ecoloop.electricity.simulation import Stretch, simulate
from ecoloop.electricity.verification import Checked, check_warning
from ecoloop.enterprises.enums import LineKind
from ecoloop.enterprises.models import Enterprise, ProductionLine
from ecoloop.episodes.queries import level_periods

MAX_NUMBER = 64
MAX_SOURCE = 100
MAX_KWH = 1e7  # kWh in one interval: 40 GW for 15 minutes, beyond any plant; a larger value is a typing error
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
AHEAD = timedelta(minutes=10)  # a reading's interval may start at most this far after the server's clock
UPSERT_BATCH = 5_000
MAX_REFUSED_KEPT = 5_000  # refused rows kept per import (the counts stay whole)


class MeterError(ValueError):
    """A meter that cannot be saved; `code` is stable and keys the message shown."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def save_meter(
    session: Session,
    *,
    number: str,
    enterprise_id: int,
    target: MeterTarget,
    line_id: int | None = None,
    interval: MeterInterval = MeterInterval.QUARTER_HOUR,
    source: str = "",
    active: bool = True,
    meter: Meter | None = None,
) -> Meter:
    """Add a meter (or change `meter`): its number unique, its line one of its enterprise's, of the kind it
    measures (a production meter on a production line, a treatment meter on a treatment facility, a whole
    enterprise's meter on none)."""
    number, source = number.strip(), source.strip()
    if not number or len(number) > MAX_NUMBER:
        raise MeterError("number")
    if len(source) > MAX_SOURCE:
        raise MeterError("source")
    if session.get(Enterprise, enterprise_id) is None:
        raise MeterError("enterprise")
    taken = session.scalar(select(Meter.id).where(Meter.number == number))
    if taken is not None and (meter is None or taken != meter.id):
        raise MeterError("number_taken")
    _check_line(session, enterprise_id, target, line_id)
    if meter is None:
        meter = Meter(number=number, enterprise_id=enterprise_id, target=target)
        session.add(meter)
    meter.number, meter.enterprise_id, meter.target, meter.line_id = number, enterprise_id, target, line_id
    meter.interval, meter.source, meter.active = interval, source, active
    session.flush()
    return meter


_LINE_KIND = {MeterTarget.PRODUCTION: LineKind.PRODUCTION, MeterTarget.TREATMENT: LineKind.TREATMENT}


def _check_line(session: Session, enterprise_id: int, target: MeterTarget, line_id: int | None) -> None:
    if target is MeterTarget.ENTERPRISE:
        if line_id is not None:
            raise MeterError("line_for_enterprise")
        return
    line = session.get(ProductionLine, line_id) if line_id is not None else None
    if line is None or line.enterprise_id != enterprise_id:
        raise MeterError("line")
    if line.kind is not _LINE_KIND[target]:
        raise MeterError("line_kind")


@dataclass(frozen=True, slots=True)
class RawReading:
    """One reading as it came: its row (file row, the header being row 1; or the request's index), the meter's
    number, the interval's start and the kWh, as text or the value a workbook or JSON gave."""

    row: int
    meter: Any
    time: Any
    kwh: Any


@dataclass(frozen=True)
class ImportResult:
    """What an import stored and refused: its record, and the refused rows by reason."""

    record: ReadingImport
    refused_by_reason: dict[str, int]


def store_readings(
    session: Session,
    readings: Iterable[RawReading],
    meters: Mapping[str, Meter],
    *,
    origin: ReadingOrigin,
    username: str,
    now: datetime,
    zone: tzinfo,
    filename: str = "",
) -> ImportResult:
    """Check each reading on its own and store the valid ones (a reading of the same meter and time replaces the
    one stored, and of two in one import the later stands); keep the refused ones with their reason. `meters`:
    the meters the sender may submit for, by number. A time without an offset is the bureau's local time."""
    record = ReadingImport(origin=origin, filename=filename[:200], received_at=now, username=username[:120])
    session.add(record)
    session.flush()
    valid: dict[tuple[int, datetime], float] = {}
    refused: dict[str, int] = {}
    kept = 0
    total = 0
    for raw in readings:
        total += 1
        outcome = _checked(raw, meters, now, zone)
        if isinstance(outcome, str):
            refused[outcome] = refused.get(outcome, 0) + 1
            if kept < MAX_REFUSED_KEPT:
                session.add(_refusal(record.id, raw, outcome))
                kept += 1
            continue
        valid[(outcome[0], outcome[1])] = outcome[2]
    _upsert(session, valid, origin, now)
    record.rows, record.stored, record.refused = total, len(valid), sum(refused.values())
    session.flush()
    return ImportResult(record, refused)


def _refusal(import_id: int, raw: RawReading, reason: str) -> RefusedReading:
    return RefusedReading(
        import_id=import_id,
        row=raw.row,
        reason=reason,
        meter=_shown(raw.meter),
        time=_shown(raw.time),
        value=_shown(raw.kwh),
    )


def _shown(value: Any) -> str:
    """A refused cell as kept: text, at most 64 characters, without NUL (which PostgreSQL text cannot hold)."""
    return "" if value is None else str(value).replace("\x00", "")[:64]


def _checked(
    raw: RawReading, meters: Mapping[str, Meter], now: datetime, zone: tzinfo
) -> str | tuple[int, datetime, float]:
    """(meter id, interval start in UTC, kWh) of a valid reading, else the reason it is refused."""
    number = _text(raw.meter)
    if not number:
        return "meter_missing"
    meter = meters.get(number)
    if meter is None:
        return "meter_unknown"
    at = _time(raw.time, zone)
    if at is None:
        return "time_invalid"
    if at < EARLIEST or at > now + AHEAD:
        return "time_out_of_range"
    local = at.astimezone(zone)
    if local.second or local.microsecond or local.minute % meter.interval.minutes:
        return "time_not_aligned"
    kwh = _number(raw.kwh)
    if kwh is None:
        return "value_invalid"
    if kwh < 0 or kwh > MAX_KWH:
        return "value_out_of_range"
    return meter.id, at.astimezone(UTC), kwh


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else ""


def _time(value: Any, zone: tzinfo) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace("/", "-")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and value.strip():
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _upsert(
    session: Session, valid: Mapping[tuple[int, datetime], float], origin: ReadingOrigin, now: datetime
) -> None:
    """Insert the readings, a reading of a meter and time already stored replacing it (one statement a batch)."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    rows = [
        {"meter_id": meter_id, "at": at, "kwh": kwh, "origin": origin, "received_at": now}
        for (meter_id, at), kwh in valid.items()
    ]
    for start in range(0, len(rows), UPSERT_BATCH):
        stmt = module.insert(MeterReading).values(rows[start : start + UPSERT_BATCH])
        stmt = stmt.on_conflict_do_update(
            index_elements=["meter_id", "at"],
            set_={"kwh": stmt.excluded.kwh, "origin": stmt.excluded.origin, "received_at": stmt.excluded.received_at},
        )
        session.execute(stmt)


def parameters(session: Session) -> Parameters:
    """The checks' parameters in force: the newest version saved, else the defaults."""
    row = session.scalar(select(CheckSettings).order_by(CheckSettings.id.desc()).limit(1))
    return Parameters.from_json(row.parameters) if row is not None else Parameters()


def save_parameters(session: Session, params: Parameters, *, username: str, now: datetime) -> CheckSettings:
    """Save the parameters as a new version (the caller has checked `params.problems()`)."""
    if params.problems():
        raise ValueError(f"parameters out of range: {params.problems()}")
    row = CheckSettings(parameters=params.to_json(), changed_at=now, changed_by=username[:120])
    session.add(row)
    session.flush()
    return row


def meters_by_number(session: Session, principal: Principal, numbers: Sequence[str] | None = None) -> dict[str, Meter]:
    """The active meters the sender sees, by number (all, or those named): the meters an import may store
    readings for."""
    stmt = scoped(select(Meter).where(Meter.active), principal, Meter)
    if numbers is not None:  # a number with NUL names no meter (and PostgreSQL refuses it as a parameter)
        stmt = stmt.where(Meter.number.in_([n for n in numbers if "\x00" not in n]))
    return {meter.number: meter for meter in session.scalars(stmt)}


def store_simulated(
    session: Session,
    meters: Sequence[Meter],
    *,
    start: datetime,
    days: int,
    zone: tzinfo,
    stretches: Mapping[int, Sequence[tuple[datetime, datetime, float | None]]],
    until: datetime,
    seed: int = 0,
) -> int:
    """Store simulated readings of `meters` (the demo city's feed) for `days` days from the local midnight of
    `start`, up to `until`: each meter's normal load (`simulation`, seeded by `seed` and its number), with its
    stretches (from, to, share of normal load or None for no data) applied; how many readings were stored."""
    first = datetime.combine(start.astimezone(zone).date(), datetime.min.time(), zone)
    grid = Grid(first, days, 15)
    profiles = day_profiles([grid.day(d) for d in range(days)], work_calendar(session).is_workday)
    due = min(grid.slots, grid.index(until))
    stored: dict[tuple[int, datetime], float] = {}
    for meter in meters:
        own = [Stretch(_ceil(grid, a), _ceil(grid, b), factor) for a, b, factor in stretches.get(meter.id, ())]
        load = simulate(seed * 100_003 + zlib.crc32(meter.number.encode()), grid, profiles, own)[:due]
        step = meter.interval.minutes // grid.minutes
        for index in range(0, due - step + 1, step):
            value = float(np.sum(load[index : index + step]))
            if math.isfinite(value):
                stored[(meter.id, grid.time(index).astimezone(UTC))] = round(value, 3)
    _upsert(session, stored, ReadingOrigin.DEMO, until)
    return len(stored)


def _ceil(grid: Grid, at: datetime) -> int:
    index = grid.index(at)
    return index + 1 if grid.time(index) < at else index


# A warning is checked while it is in force and for two days after (readings come in late), every run of the
# scheduler's job; its levels are read over the last 60 days (a warning lasts days, not months).
CHECK_AFTER = timedelta(days=2)
LOOK_BACK = timedelta(days=60)


def run_checks(
    session: Session, now: datetime, zone: tzinfo, *, warning_id: int | None = None, root: Path | None = None
) -> list[Checked]:
    """Check every warning in force or lifted within CHECK_AFTER (or only `warning_id`) against the control list's
    allowances: the scheduler's job every 15 minutes and the page's button. The city's warnings and list are read
    whole (not scoped): flags are shown per user by their enterprise's scope. `root`: the compacted readings'
    Parquet (`archive.root_of(settings)`), read with the SQL table; None: the SQL table only."""
    params = parameters(session)
    recent = level_periods(session, now - CHECK_AFTER, now)
    ids = sorted({p.warning_id for p in recent if warning_id is None or p.warning_id == warning_id})
    if not ids:
        return []
    every = level_periods(session, now - LOOK_BACK - timedelta(weeks=params.weeks), now)
    out = []
    for wid in ids:
        own = [p for p in every if p.warning_id == wid]
        earlier = [p for p in every if p.warning_id != wid]
        allowed = allowances(session, own, tz=zone)
        out.append(check_warning(session, own, allowed, earlier, now=now, zone=zone, params=params, root=root))
    return out


# The demo feed's behaviour under a warning [ecoloop's choice]: compliant production at 85 % of its allowance (a
# stopped line at its 15 % residual), treatment following its production; planted: production at its normal load
# (over the allowance), treatment at 5 % for three hours mid-warning while production runs, no data for four hours.
DEMO_COMPLY = 0.85
DEMO_RESIDUAL = 0.15


def feed_demo(
    session: Session,
    *,
    now: datetime,
    zone: tzinfo,
    warning_id: int | None = None,
    weeks: int = 9,
    over: Collection[int] = (),
    treatment_off: Collection[int] = (),
    silent: Collection[int] = (),
    seed: int = 20,
) -> int:
    """The demo city's electricity feed: simulated 15-minute (or hourly) readings of every active meter from
    `weeks` weeks before the warning `warning_id` (or before `now`) up to `now`. Under the warning, the enterprises
    on the control list cut back as their allowances say, except the planted ones (enterprise ids): `over` keep
    producing, `treatment_off` stop their treatment facility for three hours while producing, `silent` send no
    production data for four hours. How many readings were stored."""
    periods = [p for p in level_periods(session, now - LOOK_BACK, now) if p.warning_id == warning_id]
    start = min((p.start for p in periods), default=now)
    meters = list(session.scalars(select(Meter).where(Meter.active).order_by(Meter.id)))
    stretches: dict[int, list[tuple[datetime, datetime, float | None]]] = {}
    for allowance in allowances(session, periods, tz=zone) if periods else []:
        middle = allowance.start + (allowance.end - allowance.start) / 2
        for meter in meters:
            other_line = (
                allowance.line_id is not None
                and meter.target is MeterTarget.PRODUCTION
                and meter.line_id != allowance.line_id
            )
            if meter.enterprise_id != allowance.enterprise_id or other_line:
                continue
            own = stretches.setdefault(meter.id, [])
            share = max(allowance.fraction * DEMO_COMPLY, DEMO_RESIDUAL)
            if meter.enterprise_id in treatment_off:
                share = max(share, 0.6) if allowance.fraction >= 0.6 else share  # production must be running
            if meter.target is MeterTarget.TREATMENT:
                own.append((allowance.start, allowance.end, 0.5 + 0.5 * share))
                if meter.enterprise_id in treatment_off:
                    own.append((middle, middle + timedelta(hours=3), 0.05))
            elif meter.enterprise_id not in over:
                own.append((allowance.start, allowance.end, share))
            if meter.target is not MeterTarget.TREATMENT and meter.enterprise_id in silent:
                own.append((middle, middle + timedelta(hours=4), None))
    first = start - timedelta(weeks=weeks)
    days = (now.astimezone(zone).date() - first.astimezone(zone).date()).days + 1
    return store_simulated(
        session, meters, start=first, days=days, zone=zone, stretches=stretches, until=now, seed=seed
    )
