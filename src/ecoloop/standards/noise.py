"""Environmental noise quality: the GB 3096-2008 limits of each acoustic function zone, by day and by night.

- GB 3096-2008 §5.1, Table 1: the equivalent sound level (LAeq) limits in dB(A) of classes 0, 1, 2, 3, 4a and 4b,
  day (昼间) and night (夜间).
- GB 3096-2008 §5.4: at night, the maximum sound level of sudden noise (突发噪声) exceeds the limit by at most
  15 dB(A).
- Day is 06:00-22:00 and night 22:00-06:00 of the next day (GB 3096-2008 §3, after the noise pollution law; the
  same words are GB 12348-2008 §3.6); a government at county level or above may divide them otherwise, so the
  two boundaries are parameters.

Zones are their plain keys "0", "1", "2", "3", "4a", "4b" (the values of `ecoloop.monitoring.enums.NoiseZone`,
which this self-contained module does not import). Values are judged at 0.1 dB, the precision HJ 212-2017
Table B.3 gives every noise quantity (N3.1): rounded half-even to 0.1, then compared, so a value equal to the limit
complies. See docs/standards/gb3096-noise.md for what is verified against which source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from ecoloop.i18n import N_

ZONES: Final = ("0", "1", "2", "3", "4a", "4b")
"""The acoustic function zone classes of GB 3096-2008 §4 (4a beside trunk roads and inland waterways, 4b beside
railway trunk lines)."""


class NoisePeriod(StrEnum):
    """The two periods GB 3096-2008 sets limits for: day (昼间) and night (夜间)."""

    DAY = "day"
    NIGHT = "night"

    @property
    def label(self) -> str:
        return _PERIOD_LABELS[self]


_PERIOD_LABELS = {NoisePeriod.DAY: N_("Daytime"), NoisePeriod.NIGHT: N_("Night-time")}

TABLE_1: Final[Mapping[str, Mapping[NoisePeriod, Decimal]]] = MappingProxyType(
    {
        zone: MappingProxyType({NoisePeriod.DAY: Decimal(day), NoisePeriod.NIGHT: Decimal(night)})
        for zone, day, night in (
            ("0", 50, 40),
            ("1", 55, 45),
            ("2", 60, 50),
            ("3", 65, 55),
            ("4a", 70, 55),
            ("4b", 70, 60),
        )
    }
)
"""GB 3096-2008 §5.1, Table 1: the environmental noise limits, LAeq in dB(A), of each zone by day and by night.
The 4b night limit of 60 applies beside railway trunk lines whose EIA was approved from 2011-01-01 (§5.2); a bureau
that judges an older line (70/55 without passing trains, §5.3) gives its points zone 4a."""

NIGHT_MAX_ALLOWANCE: Final = Decimal(15)
"""GB 3096-2008 §5.4: at night the maximum sound level of sudden noise exceeds the zone's limit by at most 15 dB(A)."""

DAY_START: Final = time(6)
"""GB 3096-2008 §3: day (昼间) runs from 06:00 to 22:00 unless a county-level government divides it otherwise."""
NIGHT_START: Final = time(22)
"""GB 3096-2008 §3: night (夜间) runs from 22:00 to 06:00 of the next day unless a county-level government divides
it otherwise."""

MIN_DAY_HOURS: Final = 12
"""The fewest valid hourly Leq a day's Ld is valid with: 12 of the 16 day hours (75 %). [U]: recalled from HJ
906-2017 §6 (validity of automatic function-zone stations), not read; the 2024 MEE rule on evaluating function-zone
data, which sets the valid station-day, was not obtained either (`../shared/standards/noise.md` §3). A parameter of
`analytics.noise.daily_levels`."""
MIN_NIGHT_HOURS: Final = 6
"""The fewest valid hourly Leq a night's Ln is valid with: 6 of the 8 night hours (75 %). [U], as MIN_DAY_HOURS."""

PRECISION: Final = Decimal("0.1")
"""The precision of noise values in dB: HJ 212-2017 Table B.3 gives every noise quantity the type N3.1."""


def period_of(moment: datetime | time, day_start: time = DAY_START, night_start: time = NIGHT_START) -> NoisePeriod:
    """The period a local wall-clock time falls in (GB 3096-2008 §3): day from `day_start` (included) to
    `night_start` (excluded), night otherwise. An hourly value is labelled by the start of its hour (HJ 212-2017
    DataTime), so the hour 21:00-22:00 is day and 22:00-23:00 night; pass the local time, not UTC."""
    if not day_start < night_start:
        raise ValueError("day must start before night on the same day")
    clock = moment.timetz().replace(tzinfo=None) if isinstance(moment, datetime) else moment.replace(tzinfo=None)
    return NoisePeriod.DAY if day_start <= clock < night_start else NoisePeriod.NIGHT


def limit(zone: str, period: NoisePeriod) -> Decimal:
    """The zone's LAeq limit in dB(A) for the period (GB 3096-2008 §5.1, Table 1)."""
    if zone not in TABLE_1:
        raise ValueError(f"unknown acoustic function zone {zone!r}; one of {', '.join(ZONES)}")
    return TABLE_1[zone][period]


def night_max_limit(zone: str) -> Decimal:
    """The highest night maximum sound level of sudden noise the zone allows: its night limit + 15 dB(A)
    (GB 3096-2008 §5.4)."""
    return limit(zone, NoisePeriod.NIGHT) + NIGHT_MAX_ALLOWANCE


def energy_mean(levels: Sequence[Decimal]) -> Decimal:
    """The equivalent level of equal periods: 10·lg(mean(10^(0.1·L))) (GB 3096-2008 §3 LAeq,T; GB 12348-2008 §3.3:
    the energy mean of the A level), unrounded. Ld and Ln are the energy means of the day's and the night's hourly
    Leq; decibels are never averaged arithmetically."""
    if not levels:
        raise ValueError("an energy mean needs at least one level")
    ten = Decimal(10)
    mean = sum((ten ** (level / ten) for level in levels), Decimal(0)) / len(levels)
    return ten * mean.log10()


def rounded(value: Decimal) -> Decimal:
    """A level at the precision it is judged at: 0.1 dB, half-even (HJ 212-2017 Table B.3 N3.1; GB/T 8170-2008
    §3.3 rounding)."""
    return value.quantize(PRECISION, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class NoiseJudgement:
    """One level against its limit: the level as judged (0.1 dB), the limit, and how far above it (ΔL = L - limit,
    in dB, the way exceedances of noise are stated; negative when below)."""

    value: Decimal
    limit: Decimal

    @property
    def excess(self) -> Decimal:
        return self.value - self.limit

    @property
    def compliant(self) -> bool:
        """Compliant (达标) when the level is at most the limit: a level equal to the limit complies."""
        return self.value <= self.limit


def judge_leq(value: Decimal, zone: str, period: NoisePeriod) -> NoiseJudgement:
    """An equivalent sound level (LAeq of an hour, or Ld / Ln) of a point in `zone` against the period's limit
    (GB 3096-2008 §5.1, Table 1)."""
    return NoiseJudgement(rounded(value), limit(zone, period))


def judge_night_max(value: Decimal, zone: str) -> NoiseJudgement:
    """A night maximum sound level (Lmax) of a point in `zone` against the night limit + 15 dB(A) (GB 3096-2008
    §5.4)."""
    return NoiseJudgement(rounded(value), night_max_limit(zone))


RATE_PRECISION: Final = Decimal("0.1")
"""达标率 is reported to 0.1 % ([E]: provincial bulletins reproduced, `../shared/standards/noise.md` §1.6)."""


def compliance_rate(compliant: int, judged: int) -> Decimal | None:
    """The compliance rate (达标率) of a period: compliant station-days (点次) over judged ones, in %, by day and
    by night separately, to 0.1 % half-even (GB 3096-2008 Appendix B fixed-point method; automatic stations: one
    day and one night verdict per station-day, [S]); None when nothing was judged."""
    if judged <= 0:
        return None
    return (Decimal(compliant) * 100 / Decimal(judged)).quantize(RATE_PRECISION, rounding=ROUND_HALF_EVEN)
