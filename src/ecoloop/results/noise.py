"""Noise results of stations per day: Ld and Ln computed from the stored hourly Leq through `ecoloop.analytics.noise`
(DuckDB or Spark), each judged against its station's GB 3096-2008 function-zone limits (`standards.noise`), kept as
the result table NOISE_DAY (`results.store`).

A day's night runs into the next morning (`analytics.noise`: the night starting at 22:00 on D is D's), so a run of
days first…last reads the hours up to 06:00 after `last`, and computes the day before `first` again too: a late
upload of an early-morning hour changes the night of the day before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.analytics import noise, sites
from ecoloop.analytics.sites import StoredReadings
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.quality import INVALID_FLAGS
from ecoloop.readings.vocabulary import Interval
from ecoloop.results.computation import Output
from ecoloop.results.store import ResultTable
from ecoloop.standards.noise import (
    DAY_START,
    NIGHT_START,
    NoiseJudgement,
    NoisePeriod,
    judge_leq,
    judge_night_max,
    limit,
    night_max_limit,
)

NOISE_DAY = ResultTable(
    "noise_day",
    "month",
    pa.schema(
        [
            ("site_id", pa.int64()),
            ("day", pa.date32()),
            ("ld", pa.float64()),  # dB(A), 0.1
            ("ln", pa.float64()),
            ("hours_day", pa.int64()),  # hours with a valid Leq
            ("hours_night", pa.int64()),
            ("day_valid", pa.bool_()),  # enough hours (standards.noise.MIN_DAY_HOURS)
            ("night_valid", pa.bool_()),
            ("lmax_night", pa.float64()),  # the night's highest hourly LMx, 0.1
            ("zone", pa.string()),  # GB 3096 function zone of the station when computed, null when none
            ("ld_limit", pa.float64()),
            ("ln_limit", pa.float64()),
            ("lmax_limit", pa.float64()),  # night limit + 15 (GB 3096-2008 §5.4)
            ("ld_exceeds", pa.bool_()),  # null: not judged (no zone, or the day is not valid)
            ("ln_exceeds", pa.bool_()),
            ("lmax_exceeds", pa.bool_()),
            ("ld_excess", pa.float64()),  # ΔL = Ld - limit in dB (negative below), when judged
            ("ln_excess", pa.float64()),
            ("device_leq", pa.float64()),  # the device's daily upload (CN=2031), when sent
            ("device_ldn", pa.float64()),
            ("device_ld", pa.float64()),
            ("device_ln", pa.float64()),
            ("device_lmax_night", pa.float64()),
        ]
    ),
)
TABLES = (NOISE_DAY,)


@dataclass(frozen=True)
class NoiseStation:
    """A noise station as the results see it: its site and its GB 3096 function zone (None when not set)."""

    site_id: int
    zone: str | None


def noise_network(session: Session) -> list[NoiseStation]:
    """The active noise stations (`SiteKind.NOISE`) with their function zones."""
    rows = session.execute(
        select(Site.id, Site.noise_zone).where(Site.kind == SiteKind.NOISE, Site.active.is_(True)).order_by(Site.id)
    )
    return [NoiseStation(site_id, zone.value if zone is not None else None) for site_id, zone in rows]


def compute(
    con: Any,
    stored: StoredReadings,
    stations: Sequence[NoiseStation],
    first: date,
    last: date,
    tz: tzinfo,
    day_start: time = DAY_START,
    night_start: time = NIGHT_START,
) -> pa.Table:
    """The NOISE_DAY rows of the local days first…last for `stations`, computed on the backend `con`."""
    if not stations:
        return NOISE_DAY.empty()
    start = datetime.combine(first, time(), tz)
    end = datetime.combine(last + timedelta(days=1), day_start, tz)
    offset = start.utcoffset() or timedelta()
    if (end.utcoffset() or timedelta()) != offset:
        raise ValueError("the period crosses a change of the local time's offset: compute it in parts")
    ids = [s.site_id for s in stations]
    readings = sites.period_readings(con, stored, ids, [Interval.HOUR, Interval.DAY], start, end)
    days = noise.station_days(readings, offset, INVALID_FLAGS, first, last, day_start, night_start)
    rows: list[dict[str, Any]] = con.to_pyarrow(days).to_pylist()
    zones = {s.site_id: s.zone for s in stations}
    judged = [judged_row(row, zones.get(row["station"])) for row in rows]
    judged.sort(key=lambda r: (r["day"], r["site_id"]))
    return pa.Table.from_pylist(judged, schema=NOISE_DAY.schema)


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(value))


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def judged_row(row: dict[str, Any], zone: str | None) -> dict[str, Any]:
    """A station-day of `analytics.noise.station_days` as a NOISE_DAY row: Ld against the zone's day limit, Ln
    against its night limit (GB 3096-2008 §5.1, Table 1) and the night's maximum against the night limit + 15
    (§5.4), each at 0.1 dB as `standards.noise` rounds; a day is judged only when valid and the zone is known."""
    ld, ln, lmax = _decimal(row["ld"]), _decimal(row["ln"]), _decimal(row["lmax_night"])
    day = _judge(ld, zone, NoisePeriod.DAY) if row["day_valid"] else None
    night = _judge(ln, zone, NoisePeriod.NIGHT) if row["night_valid"] else None
    peak = judge_night_max(lmax, zone) if zone is not None and lmax is not None else None
    return {
        "site_id": row["station"],
        "day": row["day"],
        "ld": _float(day.value if day else ld),
        "ln": _float(night.value if night else ln),
        "hours_day": row["hours_day"],
        "hours_night": row["hours_night"],
        "day_valid": row["day_valid"],
        "night_valid": row["night_valid"],
        "lmax_night": _float(peak.value if peak else lmax),
        "zone": zone,
        "ld_limit": None if zone is None else float(limit(zone, NoisePeriod.DAY)),
        "ln_limit": None if zone is None else float(limit(zone, NoisePeriod.NIGHT)),
        "lmax_limit": None if zone is None else float(night_max_limit(zone)),
        "ld_exceeds": None if day is None else not day.compliant,
        "ln_exceeds": None if night is None else not night.compliant,
        "lmax_exceeds": None if peak is None else not peak.compliant,
        "ld_excess": _float(day.excess) if day else None,
        "ln_excess": _float(night.excess) if night else None,
        **{column: row[column] for column in noise.DEVICE_DAY_VALUES},
    }


def _judge(value: Decimal | None, zone: str | None, period: NoisePeriod) -> NoiseJudgement | None:
    if value is None or zone is None:
        return None
    return judge_leq(value, zone, period)


@dataclass(frozen=True)
class NoiseComputation:
    """Ld, Ln and their GB 3096 verdicts of noise stations per day (NOISE_DAY); `day_start` / `night_start` are the
    local boundaries of day and night (GB 3096-2008 §3: a county-level government may divide them otherwise)."""

    name: str = "noise"
    day_start: time = DAY_START
    night_start: time = NIGHT_START

    def network(self, session: Session) -> list[NoiseStation]:
        return noise_network(session)

    def compute(
        self, con: Any, stored: StoredReadings, network: Any, first: date, last: date, tz: tzinfo
    ) -> list[Output]:
        # Imported here: service.py lists this computation in COMPUTATIONS, so it imports this module first.

        before = first - timedelta(days=1)  # its night ends on `first`'s morning (module docstring)
        rows = compute(con, stored, network, before, last, tz, self.day_start, self.night_start)
        span = [before + timedelta(days=n) for n in range((last - before).days + 1)]
        return [Output(NOISE_DAY, rows, span)]
