"""The monthly assessment of the counties (月考核) and the air-quality ecological compensation (生态补偿) (pure):
values in, scores, ranks and amounts out (docs/reports-assessment.md has the method with a worked example).

Scores. Each component gives a county 0 to 100 points, rounded half to even to 0.01:

- `air_quality`: the rank of the month's composite index among the counties (`ranking.rank_by_composite_index`:
  smallest first, equal published indices rank equal and the next rank skips), scored by rank (below);
- `improvement`: the rank of the composite index's change rate against the same month last year
  (`ranking.rank_by_change_rate`: most improved first), scored by rank;
- `water`: the share of the county's sections with a target whose month was judged that meet their target, x 100;
- `cases_on_time`: the cases due in the month (deadline in it) closed on or before their deadline, per case due,
  x 100; 100 when none was due;
- `data_quality`: the station-days of the county's air stations with a complete daily AQI, per station-day of the
  month, x 100;
- `complaints`: the rank of the complaints registered in the month, fewest first, scored by rank.

A score by rank is 100 x (n - rank + 1) / n, with n the counties ranked: the first has 100, each place lower 100/n
less, tied counties the same. A component without a value for a county (no composite index, no change rate, no
judged section, no air station) is not assessed for it: it is left out of that county's total with its weight.

The total is sum(weight x score) / sum(weight) over the assessed components, half to even to 0.01, so weights need not
sum to 100 (30/20/15/15/10/10 and 60/40/30/30/20/20 give the same totals); the rank is by total, highest first,
ties equal (`ranking.rank`); the change of rank is the previous month's rank minus this month's (> 0: moved up).

Compensation. Amounts are yuan to the fen, > 0 received by the county, < 0 paid by it:

- PM2.5: the month's mean (published, whole µg/m³) against the county's PM2.5 target of the year: (target - mean)
  x `pm25_reward` when below the target, (target - mean) x `pm25_penalty` when above (a negative amount: paid);
- water: each section classed (GB 3838) this month and in the same month last year, (last year's class rank - this
  month's) x `water_level`: a class better is received, a class worse is paid.

Each amount comes with its calculation as text, the larger figure first, e.g. "(38 - 35) µg/m³ x 100,000.00
yuan/(µg/m³) = 300,000.00 yuan, paid" for a mean of 38 against a target of 35 (the amount -300,000.00).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal, TypeVar

from ecoloop.i18n import gettext
from ecoloop.reports.config import COMPONENTS, Config
from ecoloop.standards import ranking
from ecoloop.standards.water import WaterGrade

K = TypeVar("K")
SCORE_PLACES = Decimal("0.01")
FEN = Decimal("0.01")
FULL = Decimal(100)


@dataclass(frozen=True)
class SectionClasses:
    """A water section of the county: its class this month and in the same month last year (None: not classed)."""

    code: str
    name: str
    now: WaterGrade | None
    before: WaterGrade | None


@dataclass(frozen=True)
class CountyInputs:
    """What a county's month is assessed on, as the engine computed it."""

    composite: Decimal | None = None  # the month's composite index (2 decimals)
    composite_rate: Decimal | None = None  # its change rate against the same month last year, percent
    sections_judged: int = 0  # sections with a target whose month was judged
    sections_meeting: int = 0  # of them, meeting their target
    cases_due: int = 0  # cases whose deadline lies in the month
    cases_on_time: int = 0  # of them, closed on or before the deadline
    station_days: int = 0  # air stations x days of the month
    valid_days: int = 0  # station-days with a complete daily AQI
    complaints: int = 0  # complaints registered in the month
    pm25: Decimal | None = None  # the month's PM2.5 mean, µg/m³ (published, whole)
    pm25_target: int | None = None  # the PM2.5 target of the year, µg/m³
    sections: Sequence[SectionClasses] = field(default_factory=tuple)


@dataclass(frozen=True)
class Score:
    """A county's month: the score of each component (None: not assessed), the total and the rank (None: no
    component assessed)."""

    components: Mapping[str, Decimal | None]
    total: Decimal | None
    rank: int | None


def _points(value: Decimal) -> Decimal:
    return value.quantize(SCORE_PLACES, rounding=ROUND_HALF_EVEN)


def by_rank(ranks: Mapping[K, int | None]) -> dict[K, Decimal | None]:
    """Scores by rank: 100 x (n - rank + 1) / n over the n ranked items (the first 100, each place 100/n less)."""
    n = sum(1 for r in ranks.values() if r is not None)
    return {k: None if r is None else _points(FULL * (n - r + 1) / n) for k, r in ranks.items()}


def share(part: int, whole: int) -> Decimal | None:
    """part / whole x 100 as points, None when whole is 0."""
    return None if whole <= 0 else _points(FULL * part / whole)


def component_scores(inputs: Mapping[K, CountyInputs]) -> dict[K, dict[str, Decimal | None]]:
    """Every county's score of every component (module docstring)."""
    air = by_rank(ranking.rank_by_composite_index({k: i.composite for k, i in inputs.items()}))
    improvement = by_rank(ranking.rank_by_change_rate({k: i.composite_rate for k, i in inputs.items()}))
    complaints = by_rank(ranking.rank({k: i.complaints for k, i in inputs.items()}))
    return {
        k: {
            "air_quality": air[k],
            "improvement": improvement[k],
            "water": share(i.sections_meeting, i.sections_judged),
            "cases_on_time": _points(FULL) if i.cases_due == 0 else share(i.cases_on_time, i.cases_due),
            "data_quality": share(i.valid_days, i.station_days),
            "complaints": complaints[k],
        }
        for k, i in inputs.items()
    }


def total(components: Mapping[str, Decimal | None], weights: Mapping[str, Decimal]) -> Decimal | None:
    """sum(weight x score) / sum(weight) over the assessed components, half to even to 0.01; None when none is assessed
    or their weights are all 0."""
    assessed = [(weights.get(key, Decimal(0)), score) for key, score in components.items() if score is not None]
    weight = sum((w for w, _s in assessed), Decimal(0))
    if weight <= 0:
        return None
    return _points(sum((w * s for w, s in assessed), Decimal(0)) / weight)


def assess(inputs: Mapping[K, CountyInputs], config: Config) -> dict[K, Score]:
    """The counties' scores, totals and ranks for one month."""
    scores = component_scores(inputs)
    totals = {k: total(scores[k], config.weights) for k in inputs}
    ranks = ranking.rank(totals, ascending=False)
    return {k: Score({c: scores[k][c] for c in COMPONENTS}, totals[k], ranks[k]) for k in inputs}


def movement(rank: int | None, previous: int | None) -> int | None:
    """Places moved up (> 0) or down (< 0) since the previous month; None when unranked in either."""
    if rank is None or previous is None:
        return None
    return previous - rank


# --- compensation ---------------------------------------------------------------------------------------------------

Item = Literal["pm25", "water"]


@dataclass(frozen=True)
class Compensation:
    """One amount of a county's compensation: what it is for (`item`: PM2.5 or a water section named
    `subject`), the figure now and the basis it is compared with (as printed), the amount in yuan (> 0 received,
    < 0 paid) and its calculation."""

    item: Item
    subject: str
    now: str
    basis: str
    amount: Decimal
    calculation: str


def money(amount: Decimal) -> str:
    """Yuan to the fen with thousands separators; a true minus sign (U+2212) before a payment."""
    text = f"{abs(amount):,.2f}"
    return f"\u2212{text}" if amount < 0 else text


def _direction(amount: Decimal) -> str:
    if amount > 0:
        return gettext("received")
    if amount < 0:
        return gettext("paid")
    return gettext("nothing paid or received")


def pm25_compensation(pm25: Decimal | None, target: int | None, config: Config) -> Compensation | None:
    """The PM2.5 amount: (target - mean) x the reward (below the target) or the penalty (above it); None without a
    mean or a target."""
    if pm25 is None or target is None:
        return None
    difference = Decimal(target) - pm25
    rate = config.pm25_reward if difference >= 0 else config.pm25_penalty
    amount = (difference * rate).quantize(FEN, rounding=ROUND_HALF_EVEN)
    high, low = (target, pm25) if difference >= 0 else (pm25, target)
    calculation = gettext("(%(high)s - %(low)s) µg/m³ x %(rate)s yuan/(µg/m³) = %(amount)s yuan, %(direction)s") % {
        "high": high,
        "low": low,
        "rate": money(rate),
        "amount": money(abs(amount)),
        "direction": _direction(amount),
    }
    return Compensation("pm25", gettext("PM2.5"), str(pm25), str(target), amount, calculation)


def water_compensation(section: SectionClasses, config: Config) -> Compensation | None:
    """A section's amount: (last year's class rank - this month's) x the rate per level; None unless classed in
    both months."""
    if section.now is None or section.before is None:
        return None
    levels = section.before.rank - section.now.rank
    high, low = (section.before.rank, section.now.rank) if levels >= 0 else (section.now.rank, section.before.rank)
    amount = (levels * config.water_level).quantize(FEN, rounding=ROUND_HALF_EVEN)
    calculation = gettext(
        "%(before)s last year, %(now)s this month: (%(high)s - %(low)s) levels x %(rate)s yuan per level"
        " = %(amount)s yuan, %(direction)s"
    ) % {
        "before": gettext(section.before.label),
        "now": gettext(section.now.label),
        "high": high,
        "low": low,
        "rate": money(config.water_level),
        "amount": money(abs(amount)),
        "direction": _direction(amount),
    }
    now, before = gettext(section.now.label), gettext(section.before.label)
    return Compensation("water", section.name, now, before, amount, calculation)


def compensation(inputs: CountyInputs, config: Config) -> list[Compensation]:
    """A county's amounts: PM2.5 first, then its sections in the order given."""
    found = [pm25_compensation(inputs.pm25, inputs.pm25_target, config)]
    found += [water_compensation(s, config) for s in inputs.sections]
    return [c for c in found if c is not None]


def balance(amounts: Sequence[Compensation]) -> tuple[Decimal, Decimal, Decimal]:
    """Received, paid (as a positive amount) and the net (received - paid) of a county's amounts."""
    received = sum((c.amount for c in amounts if c.amount > 0), Decimal("0.00"))
    paid = -sum((c.amount for c in amounts if c.amount < 0), Decimal("0.00"))
    return received, paid, received - paid
