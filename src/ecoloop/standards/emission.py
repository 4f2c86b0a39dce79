"""Emission limits of stationary sources: reference-oxygen conversion and exceedance judgement.

Sources, and which clauses were re-read for this module, are listed in docs/standards/emission.md:
GB 13223-2011 and GB 13271-2014 (reference O2 and the conversion formula), HJ 75-2017 / HJ 76-2017
Appendix B (hour and day validity, hourly exceedance alarm), HJ 212-2017 Table 8 (data flags) and
MEE Announcement 2022 No. 21 (data marked invalid is not used to judge exceedance).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import ROUND_HALF_EVEN, Context, Decimal
from enum import StrEnum
from typing import Final, Literal

Averaging = Literal["hour", "day"]

# Every division and mean uses this context, so results do not depend on the caller's decimal context.
_CTX: Final = Context(prec=28, rounding=ROUND_HALF_EVEN)
# Sums of up to 24 such values stay exact at this precision, so a mean is rounded once, at the division.
_SUM_CTX: Final = Context(prec=60, rounding=ROUND_HALF_EVEN)

# O2 content of air in the conversion formula (GB 13223-2011 formula (1), GB 13271-2014 formula (1)).
AIR_O2: Final = Decimal(21)

# Reference O2 content, percent by volume. Values as commonly quoted from the standards' tables; the
# tables themselves were not re-read (see docs/standards/emission.md, "Not verified").
REFERENCE_O2_COAL_POWER_BOILER: Final = Decimal(6)  # GB 13223-2011 Table 3, coal-fired boiler
REFERENCE_O2_OIL_GAS_POWER_BOILER: Final = Decimal(3)  # GB 13223-2011 Table 3, oil- and gas-fired boiler
REFERENCE_O2_GAS_TURBINE: Final = Decimal(15)  # GB 13223-2011 Table 3, gas turbine unit
REFERENCE_O2_COAL_BOILER: Final = Decimal(9)  # GB 13271-2014, coal-fired boiler
REFERENCE_O2_OIL_GAS_BOILER: Final = Decimal("3.5")  # GB 13271-2014, oil- and gas-fired boiler

# HJ 76-2017 Appendix B: an hour needs >= 45 valid minutes, a day >= 20 valid hours.
MIN_VALID_MINUTES_PER_HOUR: Final = 45
MIN_VALID_HOURS_PER_DAY: Final = 20

# HJ 212-2017 Table 8 data flags. N is normal; T (above the measuring range) is kept apart because the
# true value is at least the range's upper end, so it needs review rather than silence.
FLAG_NORMAL: Final = "N"
FLAG_OVER_RANGE: Final = "T"
# F stopped, M maintenance, S manually set value, D fault, C calibration, B logger communication failure:
# no valid measurement. We treat them as data marked invalid, which MEE Announcement 2022 No. 21 keeps out
# of exceedance judgement; the mapping is ours, not the announcement's (docs/standards/emission.md).
EXCLUDED_FLAGS: Final = frozenset({"F", "M", "S", "D", "C", "B"})

_HUNDREDTH: Final = Decimal("0.01")


class NotJudged(StrEnum):
    """Why a value was not judged against its limit."""

    FLAGGED_INVALID = "flagged_invalid"
    OVER_RANGE = "over_range"
    UNKNOWN_FLAG = "unknown_flag"
    NEGATIVE_VALUE = "negative_value"
    MISSING_O2 = "missing_o2"
    O2_OUT_OF_RANGE = "o2_out_of_range"


@dataclass(frozen=True, kw_only=True)
class LimitSpec:
    """One emission limit: HJ 212 pollutant code, limit, unit, averaging period, reference O2, and its source."""

    pollutant: str
    limit: Decimal
    unit: str
    averaging: Averaging
    source: str
    reference_o2: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.pollutant:
            raise ValueError("pollutant code is empty")
        if self.limit <= 0:
            raise ValueError(f"limit must be positive, got {self.limit}")
        if self.averaging not in ("hour", "day"):
            raise ValueError(f"averaging must be 'hour' or 'day', got {self.averaging!r}")
        if self.reference_o2 is not None and not Decimal(0) <= self.reference_o2 < AIR_O2:
            raise ValueError(f"reference O2 must be in [0, 21), got {self.reference_o2}")


@dataclass(frozen=True)
class Judgement:
    """The outcome of comparing one value with one limit; `reason` is set when it was not judged."""

    exceeded: bool
    value_used: Decimal | None
    multiple: Decimal | None
    reason: NotJudged | None = None

    @property
    def judged(self) -> bool:
        """True when the value was compared with the limit."""
        return self.reason is None


@dataclass(frozen=True)
class Reading:
    """One hourly mean from an automatic monitor (HJ 212 CN=2061 `-Avg`, `DataTime` = start of the hour)."""

    start: datetime
    value: Decimal
    o2: Decimal | None = None
    flag: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("reading start must be timezone-aware")


@dataclass(frozen=True)
class Exceedance:
    """One hour or day whose value exceeds the limit, with its multiple."""

    start: datetime
    averaging: Averaging
    value: Decimal
    limit: Decimal
    multiple: Decimal


def converted_concentration(measured: Decimal, o2_measured: Decimal, o2_reference: Decimal) -> Decimal:
    """Concentration at the reference O2: C * (21 - O2_ref) / (21 - O2_measured) (GB 13223-2011 §5.2, formula (1)).

    Unrounded (GB/T 8170-2008 full-value comparison). O2 at or above 21 % leaves the formula undefined and
    raises ValueError; values between the reference and 21 % are converted as they are, without a cap.
    """
    if measured < 0:
        raise ValueError(f"measured concentration must not be negative, got {measured}")
    for name, o2 in (("measured", o2_measured), ("reference", o2_reference)):
        if not Decimal(0) <= o2 < AIR_O2:
            raise ValueError(f"{name} O2 must be in [0, 21), got {o2}")
    numerator = _CTX.multiply(measured, _CTX.subtract(AIR_O2, o2_reference))
    return _CTX.divide(numerator, _CTX.subtract(AIR_O2, o2_measured))


def exceedance_multiple(value: Decimal, limit: Decimal) -> Decimal:
    """Times over the limit, (C - L) / L, to 2 decimals half-even (the usual definition; its source is unverified)."""
    if limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
    return _CTX.divide(_CTX.subtract(value, limit), limit).quantize(_HUNDREDTH, rounding=ROUND_HALF_EVEN)


def flag_reason(flag: str | None) -> NotJudged | None:
    """Why a value with this HJ 212-2017 Table 8 flag is not judged, or None if it is judged (None or N)."""
    if flag is None or flag == FLAG_NORMAL:
        return None
    if flag == FLAG_OVER_RANGE:
        return NotJudged.OVER_RANGE
    if flag in EXCLUDED_FLAGS:
        return NotJudged.FLAGGED_INVALID
    return NotJudged.UNKNOWN_FLAG


def value_for_limit(value: Decimal, spec: LimitSpec, o2: Decimal | None = None) -> Decimal | NotJudged:
    """The value compared with `spec`: converted to its reference O2 where it has one (GB 13223-2011 §5.2)."""
    if value < 0:
        return NotJudged.NEGATIVE_VALUE
    if spec.reference_o2 is None:
        return value
    if o2 is None:
        return NotJudged.MISSING_O2
    if not Decimal(0) <= o2 < AIR_O2:
        return NotJudged.O2_OUT_OF_RANGE
    return converted_concentration(value, o2, spec.reference_o2)


def compare(value_used: Decimal, limit: Decimal) -> Judgement:
    """Exceeded only when strictly above the limit; a value equal to the limit complies (GB/T 8170-2008 §4.3)."""
    if value_used > limit:
        return Judgement(True, value_used, exceedance_multiple(value_used, limit))
    return Judgement(False, value_used, None)


def judge(value: Decimal, spec: LimitSpec, o2: Decimal | None = None, flag: str | None = None) -> Judgement:
    """Judge one averaged value against `spec` (HJ 212-2017 Table 8 flags; MEE Announcement 2022 No. 21).

    Any flag other than N means not judged (no flag counts as N); so do a negative value, and, for a limit
    with a reference O2, a missing O2 or one outside [0, 21). Otherwise the (converted) value is compared.
    """
    reason = flag_reason(flag)
    if reason is not None:
        return Judgement(False, None, None, reason)
    used = value_for_limit(value, spec, o2)
    if isinstance(used, NotJudged):
        return Judgement(False, None, None, used)
    return compare(used, spec.limit)


def daily_mean(hourly_values: Iterable[Decimal], min_valid_hours: int = MIN_VALID_HOURS_PER_DAY) -> Decimal | None:
    """Mean of one day's valid hourly values, or None with fewer than `min_valid_hours` (HJ 76-2017 Appendix B).

    Pass only valid hours. The default 20 is the flue-gas CEMS rule; the wastewater rule (HJ 356-2019 §7) was
    not re-read, so water callers may pass their own threshold.
    """
    if not 1 <= min_valid_hours <= 24:
        raise ValueError(f"min_valid_hours must be in 1..24, got {min_valid_hours}")
    values = list(hourly_values)
    if len(values) > 24:
        raise ValueError(f"a day has at most 24 hourly values, got {len(values)}")
    if len(values) < min_valid_hours:
        return None
    total = Decimal(0)
    for v in values:
        total = _SUM_CTX.add(total, v)
    return _CTX.divide(total, Decimal(len(values)))


def judge_series(
    readings: Iterable[Reading], spec: LimitSpec, *, zone: tzinfo, min_valid_hours: int = MIN_VALID_HOURS_PER_DAY
) -> Iterator[Exceedance]:
    """Exceedances in hourly readings: each hour for an hourly limit, each natural day's mean for a daily one.

    Hourly limits follow HJ 76-2017 Appendix B (alarm on the 1 h converted mean); daily limits use
    `daily_mean` over the hours `judge` would judge, each converted first. Hours that are not judged
    (flags, missing O2) are skipped, as MEE Announcement 2022 No. 21 excludes data marked invalid. Days are
    calendar days in `zone` (Asia/Shanghai for a Chinese source); starts are reported in `zone`. A
    duplicated hour raises ValueError.
    """
    hours: dict[datetime, Decimal | None] = {}
    for r in readings:
        if r.start in hours:
            raise ValueError(f"duplicate hourly reading at {r.start.isoformat()}")
        reason = flag_reason(r.flag)
        used = reason if reason is not None else value_for_limit(r.value, spec, r.o2)
        hours[r.start] = None if isinstance(used, NotJudged) else used
    if spec.averaging == "hour":
        for start, value in sorted(hours.items()):
            j = None if value is None else compare(value, spec.limit)
            if j is not None and j.value_used is not None and j.multiple is not None:
                yield Exceedance(start.astimezone(zone), "hour", j.value_used, spec.limit, j.multiple)
        return
    days: dict[date, list[Decimal]] = {}
    for start, value in hours.items():
        day_values = days.setdefault(start.astimezone(zone).date(), [])
        if value is not None:
            day_values.append(value)
    for day, values in sorted(days.items()):
        mean = daily_mean(values, min_valid_hours)
        j = None if mean is None else compare(mean, spec.limit)
        if j is not None and j.value_used is not None and j.multiple is not None:
            start = datetime.combine(day, time(0), tzinfo=zone)
            yield Exceedance(start, "day", j.value_used, spec.limit, j.multiple)
