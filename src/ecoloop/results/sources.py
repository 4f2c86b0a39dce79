"""Compliance of source outlets per month: for each outlet site (废气/废水排放口) and pollutant its permit limits, the
hours expected, received and valid, the hours (hourly limits) or days (daily limits) above the limit, the largest
value and its multiple, and the transmission, validity and effective rates (传输率, 有效率, 传输有效率), computed from
the stored hourly readings through `ecoloop.analytics.sources` (DuckDB or Spark) and kept as OUTLET_MONTH.

The judgement is `standards.emission`'s (docs/standards/emission.md): a value at the reference O2 of its limit,
exceeded only strictly above it, flags other than N not judged (MEE Announcement 2022 No. 21), a daily limit on the
natural day's mean of at least 20 judged hours (HJ 76-2017 Appendix B); the multiple (C - L) / L to 2 decimals.
The rates are `monitoring.quality.rates` (docs/standards/source-compliance.md).

The limits are the permits' (`enterprises.models.OutletLimit` of an `Outlet` whose `site_id` names the site): each
day of the month is judged against the limit of the permit in force that day (the latest-starting one when two are),
and only such days count as expected. A month is computed whole whichever of its days a run names, up to the last
complete hour before now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.analytics import backends, sites
from ecoloop.analytics import sources as expressions
from ecoloop.analytics.sites import StoredReadings
from ecoloop.enterprises.models import Outlet, OutletLimit, Permit
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.quality import INVALID_FLAGS, rates
from ecoloop.readings.vocabulary import Interval
from ecoloop.results.computation import Output
from ecoloop.results.store import ResultTable
from ecoloop.standards.emission import LimitSpec, Reading, judge, judge_series

OUTLET_MONTH = ResultTable(
    "outlet_month",
    "year",
    pa.schema(
        [
            ("site_id", pa.int64()),
            ("month", pa.date32()),  # the first day of the local month
            ("parameter", pa.string()),  # HJ 212 code
            ("averaging", pa.string()),  # "hour" or "day": the limit's averaging period
            ("limit", pa.float64()),  # in force at the end of the month's judged days
            ("unit", pa.string()),
            ("reference_o2", pa.float64()),
            ("hours_expected", pa.int64()),
            ("hours_received", pa.int64()),
            ("hours_valid", pa.int64()),
            ("exceed_hours", pa.int64()),  # hourly limits; null for a daily limit
            ("exceed_days", pa.int64()),  # daily limits; null for an hourly limit
            ("max_value", pa.float64()),  # the largest value compared (hourly value or daily mean)
            ("max_multiple", pa.float64()),  # (max - limit) / limit, 2 decimals; null when nothing exceeded
            ("transmission_rate", pa.float64()),  # percent, 2 decimals
            ("validity_rate", pa.float64()),
            ("effective_rate", pa.float64()),
        ]
    ),
    day_column="month",
)
SOURCE_KINDS = (SiteKind.AIR_SOURCE, SiteKind.WATER_SOURCE)
_LOCAL = dt.Timestamp(scale=6)


@dataclass(frozen=True)
class OutletLimitRow:
    """A permit limit of an outlet site: its pollutant, averaging, value, unit and reference O2, and the days its
    permit is valid."""

    site_id: int
    parameter: str
    averaging: str
    limit: Decimal
    unit: str
    reference_o2: Decimal | None
    source: str
    valid_from: date
    valid_to: date

    def spec(self) -> LimitSpec:
        """The limit as `standards.emission` judges it."""
        return LimitSpec(
            pollutant=self.parameter,
            limit=self.limit,
            unit=self.unit,
            averaging="day" if self.averaging == "day" else "hour",
            source=self.source,
            reference_o2=self.reference_o2,
        )


@dataclass(frozen=True)
class Segment:
    """A limit in force at one outlet site over the local days first…last of one month."""

    number: int
    row: OutletLimitRow
    first: date
    last: date


def source_network(session: Session, site_ids: Sequence[int] | None = None) -> list[OutletLimitRow]:
    """The limits of every active outlet site (of `site_ids` when given): the limits of the permit outlets whose
    monitoring site it is."""
    stmt = (
        select(
            Outlet.site_id,
            OutletLimit.pollutant,
            OutletLimit.averaging,
            OutletLimit.limit_value,
            OutletLimit.unit,
            OutletLimit.reference_o2,
            OutletLimit.source,
            Permit.valid_from,
            Permit.valid_to,
        )
        .join(Outlet, Outlet.id == OutletLimit.outlet_id)
        .join(Permit, Permit.id == Outlet.permit_id)
        .join(Site, Site.id == Outlet.site_id)
        .where(Site.kind.in_(SOURCE_KINDS), Site.active.is_(True))
        .order_by(Outlet.site_id, OutletLimit.pollutant, OutletLimit.averaging, Permit.valid_from)
    )
    if site_ids is not None:
        stmt = stmt.where(Outlet.site_id.in_(list(site_ids)))
    return [
        OutletLimitRow(site_id, pollutant, str(averaging), value, unit, ref, source, start, end)
        for site_id, pollutant, averaging, value, unit, ref, source, start, end in session.execute(stmt)
        if site_id is not None
    ]


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    """The last day of the month starting on `month`."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def segments(limits: Iterable[OutletLimitRow], month: date) -> list[Segment]:
    """The limits in force on the days of `month`, per outlet site, pollutant and averaging: each day the limit of the
    permit valid that day (the latest-starting when several are), runs of days with the same limit as one segment."""
    last_day = month_end(month)
    by_key: dict[tuple[int, str, str], list[OutletLimitRow]] = {}
    for row in limits:
        if row.valid_from <= last_day and row.valid_to >= month:
            by_key.setdefault((row.site_id, row.parameter, row.averaging), []).append(row)
    found: list[Segment] = []
    for _key, rows in sorted(by_key.items()):
        current: OutletLimitRow | None = None
        first = month
        day = month
        while day <= last_day + timedelta(days=1):
            covering = [r for r in rows if r.valid_from <= day <= r.valid_to] if day <= last_day else []
            chosen = max(covering, key=lambda r: r.valid_from) if covering else None
            if chosen is not current:
                if current is not None:
                    found.append(Segment(len(found), current, first, day - timedelta(days=1)))
                current, first = chosen, day
            day += timedelta(days=1)
    return found


def expected_hours(first: date, last: date, until: datetime) -> int:
    """The hours of the local days first…last that ended by `until` (a local naive time): an hour's value is due
    after its end (HJ 212-2017 CN 2061, one value per hour)."""
    start = datetime.combine(first, time())
    end = min(datetime.combine(last + timedelta(days=1), time()), until.replace(minute=0, second=0, microsecond=0))
    return max(0, int((end - start) / timedelta(hours=1)))


def compute(
    con: Any,
    stored: StoredReadings,
    limits: Sequence[OutletLimitRow],
    month: date,
    tz: tzinfo,
    now: datetime,
) -> pa.Table:
    """OUTLET_MONTH's rows of one local month for the outlet sites of `limits`, read and computed on `con`."""
    segs = segments(limits, month)
    if not segs:
        return OUTLET_MONTH.empty()
    start = datetime.combine(month, time(), tz)
    end = datetime.combine(month_end(month) + timedelta(days=1), time(), tz)
    offset = start.utcoffset() or timedelta()
    if (end.utcoffset() or timedelta()) != offset:
        raise ValueError("the month crosses a change of the local time's offset")
    until = now.astimezone(tz).replace(tzinfo=None)
    cut = ibis.literal(min(until.replace(minute=0, second=0, microsecond=0), end.replace(tzinfo=None)), type=_LOCAL)
    site_ids = sorted({s.row.site_id for s in segs})
    readings = sites.period_readings(con, stored, site_ids, [Interval.HOUR], start, end)
    with backends.materialised(
        con, expressions.hourly_values(readings, limits_table(segs), offset, INVALID_FLAGS)
    ) as hours:
        counts = {r["segment"]: r for r in sites.rows(con, expressions.segment_counts(hours, cut))}
        means = {r["segment"]: r["max_mean"] for r in sites.rows(con, expressions.max_daily_mean(hours, cut))}
        hour_rows = sites.rows(con, expressions.hour_candidates(hours, cut))
        day_rows = sites.rows(con, expressions.day_candidates(hours, cut))
    zone = timezone(offset)
    exceeded = _judge(segs, hour_rows, day_rows, zone)
    rows = [_row(s, counts.get(s.number), means.get(s.number), exceeded.get(s.number, []), until) for s in segs]
    return _merge(rows, month)


@dataclass
class _Exceeded:
    value: Decimal
    multiple: Decimal


def _judge(
    segs: Sequence[Segment], hour_rows: Sequence[dict[str, Any]], day_rows: Sequence[dict[str, Any]], zone: tzinfo
) -> dict[int, list[_Exceeded]]:
    """The hours (hourly limits) and days (daily limits) that exceed, judged exactly by `standards.emission`."""
    by_number = {s.number: s for s in segs}
    found: dict[int, list[_Exceeded]] = {}
    for r in hour_rows:
        spec = by_number[r["segment"]].row.spec()
        j = judge(_decimal(r["value"]), spec, _optional(r["o2"]), r["flag"] or None)
        if j.exceeded and j.value_used is not None and j.multiple is not None:
            found.setdefault(r["segment"], []).append(_Exceeded(j.value_used, j.multiple))
    by_segment: dict[int, list[Reading]] = {}
    for r in day_rows:
        if r["value"] is None:
            continue
        start = r["hour_start"].replace(tzinfo=zone)  # `rows` hands local times as if UTC: they are local
        by_segment.setdefault(r["segment"], []).append(
            Reading(start, _decimal(r["value"]), _optional(r["o2"]), r["flag"] or None)
        )
    for number, readings in by_segment.items():
        spec = by_number[number].row.spec()
        for e in judge_series(readings, spec, zone=zone):
            found.setdefault(number, []).append(_Exceeded(e.value, e.multiple))
    return found


def _row(
    s: Segment, counts: dict[str, Any] | None, max_mean: float | None, exceeded: list[_Exceeded], until: datetime
) -> dict[str, Any]:
    expected = expected_hours(s.first, s.last, until)
    received = int(counts["received"]) if counts else 0
    valid = int(counts["valid"] or 0) if counts else 0
    hourly = s.row.averaging != "day"
    largest = counts["max_used"] if counts and hourly else max_mean
    top = max(exceeded, key=lambda e: e.value) if exceeded else None
    return {
        "site_id": s.row.site_id,
        "parameter": s.row.parameter,
        "averaging": s.row.averaging,
        "limit": float(s.row.limit),
        "unit": s.row.unit,
        "reference_o2": None if s.row.reference_o2 is None else float(s.row.reference_o2),
        "hours_expected": expected,
        "hours_received": received,
        "hours_valid": valid,
        "exceed_hours": len(exceeded) if hourly else None,
        "exceed_days": None if hourly else len(exceeded),
        "max_value": float(top.value) if top is not None else largest,
        "max_multiple": float(top.multiple) if top is not None else None,
    }


def _merge(rows: Sequence[dict[str, Any]], month: date) -> pa.Table:
    """One row per site, pollutant and averaging: the segments of a month (a permit renewed within it) summed, the
    largest value and multiple kept, the limit of the last segment shown; the rates from the summed counts."""
    merged: dict[tuple[int, str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["site_id"], r["parameter"], r["averaging"])
        m = merged.get(key)
        if m is None:
            merged[key] = dict(r)
            continue
        for name in ("hours_expected", "hours_received", "hours_valid", "exceed_hours", "exceed_days"):
            if r[name] is not None:
                m[name] = (m[name] or 0) + r[name]
        for name in ("max_value", "max_multiple"):
            if r[name] is not None and (m[name] is None or r[name] > m[name]):
                m[name] = r[name]
        m.update(limit=r["limit"], unit=r["unit"], reference_o2=r["reference_o2"])
    out = []
    for m in merged.values():
        c = rates(m["hours_expected"], m["hours_received"], m["hours_valid"])
        m.update(
            month=month,
            transmission_rate=float(c.transmission),
            validity_rate=float(c.validity),
            effective_rate=float(c.effective),
        )
        out.append(m)
    return pa.Table.from_pylist(out, schema=OUTLET_MONTH.schema)


def limits_table(segs: Sequence[Segment]) -> Any:
    """The segments as the limit table of `analytics.sources` (`LIMIT_COLUMNS`)."""
    return ibis.memtable(
        pa.table(
            {
                "segment": pa.array([s.number for s in segs], pa.int64()),
                "l_site": pa.array([s.row.site_id for s in segs], pa.int64()),
                "l_parameter": pa.array([s.row.parameter for s in segs], pa.string()),
                "averaging": pa.array([s.row.averaging for s in segs], pa.string()),
                "limit_value": pa.array([float(s.row.limit) for s in segs], pa.float64()),
                "reference_o2": pa.array(
                    [None if s.row.reference_o2 is None else float(s.row.reference_o2) for s in segs], pa.float64()
                ),
                "first_day": pa.array([s.first for s in segs], pa.date32()),
                "last_day": pa.array([s.last for s in segs], pa.date32()),
            }
        )
    )


def _decimal(value: float) -> Decimal:
    """A stored float as the decimal it was written as (its shortest repr), as the alerts engine reads it."""
    return Decimal(repr(value))


def _optional(value: float | None) -> Decimal | None:
    return None if value is None else _decimal(value)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SourcesComputation:
    """Outlet compliance per month (OUTLET_MONTH): a run of days computes the whole month they lie in, up to the last
    complete hour before `clock()`."""

    name: str = "sources"
    clock: Callable[[], datetime] = field(default=_now)

    def network(self, session: Session) -> list[OutletLimitRow]:
        return source_network(session)

    def compute(self, con: Any, stored: StoredReadings, network: Any, first: date, last: date, tz: tzinfo) -> list[Any]:
        # Imported here: results.service imports this module for COMPUTATIONS.

        month = month_of(first)
        rows = compute(con, stored, network, month, tz, self.clock())
        return [Output(OUTLET_MONTH, rows, [month])]
