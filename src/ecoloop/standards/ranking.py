"""Air-quality ranking of areas: the composite index, its change rate, and rankings with ties.

Sources (see docs/standards/ranking.md for the status of each rule):

- 《城市环境空气质量排名技术规定》, 环办[2014]64号, reissued as 环办监测[2018]19号 ("the ranking rule"): rank
  cities by the ambient air quality composite index (环境空气质量综合指数); its normative references include
  GB/T 8170 (rounding).
- 《城市环境空气质量变化程度排名方案》 (环境保护部办公厅, 2017-02-12, "the change scheme"): rank by the
  year-on-year change rate of the composite index; equal rates rank equal (并列); an area whose pollutants all
  meet class II in the period takes no part in the deterioration ranking.
- Provincial bulletins (Anhui): composite index, PM2.5 ascending and good-day ratio descending; equal values rank
  equal, and the next rank skips (two counties tied 1st, the next two tied 3rd).
- National centre (CNEMC) reports: PM10, PM2.5 and the composite index are computed with dust-storm days deducted;
  the good-day and heavy-pollution ratios keep them.

Arithmetic is exact (`Fraction`); only the published values are rounded, half to even.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation, localcontext
from fractions import Fraction
from typing import Literal, TypeVar

from ecoloop.standards.aqi import Number
from ecoloop.standards.editions import edition_for
from ecoloop.standards.limits import LimitStage, stage_limits

K = TypeVar("K", bound=Hashable)

IndexMethod = Literal["unweighted", "weighted_2026_unconfirmed"]
INDEX_METHODS: tuple[IndexMethod, ...] = ("unweighted", "weighted_2026_unconfirmed")

IndexLimits = Literal["gb3095_2012", "gb3095_2026_transition"]
INDEX_LIMIT_SETS: tuple[IndexLimits, ...] = ("gb3095_2012", "gb3095_2026_transition")

# The six items of the index, in the order results list them.
POLLUTANTS: tuple[str, ...] = ("SO2", "NO2", "PM10", "PM2_5", "CO", "O3")

# The averaging of each S_i: class II annual limits for SO2, NO2, PM10, PM2.5; the 24-hour limit for CO (mg/m³);
# the MDA8 limit for O3 (as the ranking rule and the bulletins name them).
INDEX_AVERAGING: dict[str, str] = {
    "SO2": "annual",
    "NO2": "annual",
    "PM10": "annual",
    "PM2_5": "annual",
    "CO": "24h",
    "O3": "8h",
}


def _index_limits(stage: LimitStage) -> dict[str, Decimal]:
    table = stage_limits(stage, "II")
    return {p: table[(p, averaging)] for p, averaging in INDEX_AVERAGING.items()}


INDEX_LIMITS: dict[IndexLimits, dict[str, Decimal]] = {
    # GB 3095-2012 Table 1 class II.
    "gb3095_2012": _index_limits("2012"),
    # The same items with the GB 3095-2026 class II transition limits (2026-03-01 to 2030-12-31): only PM10
    # (70 → 60) and PM2.5 (35 → 30) change.
    "gb3095_2026_transition": _index_limits("2026-transition"),
}

INDEX_LIMITS_2026: IndexLimits = "gb3095_2012"
"""Which S_i the composite index uses for periods from 2026-03-01. UNCONFIRMED.

No text seen says whether the ranking rule moved to the GB 3095-2026 transition limits; until one does, the
GB 3095-2012 values stay. The alternative is "gb3095_2026_transition".
"""

WEIGHTS: dict[IndexMethod, dict[str, int]] = {
    "unweighted": dict.fromkeys(POLLUTANTS, 1),
    # UNCONFIRMED: a single third-party source (code written in 2026) attributes these weights to HJ 663-2026,
    # as I_sum = sum of w_i * C_i/S_i, not normalised. The HJ 663-2026 text was not seen.
    "weighted_2026_unconfirmed": {"SO2": 1, "NO2": 2, "PM10": 1, "PM2_5": 3, "CO": 1, "O3": 2},
}

INDEX_PLACES = 2
"""The composite index is published to 2 decimals (provincial and national bulletins, e.g. 2.49, 4.45)."""

CHANGE_RATE_PLACES = 2
"""Change rates in percent to 2 decimals, the brief's choice. Anhui bulletins print 1 decimal (-14.4%); pass
`places=1` to reproduce them."""

ROUNDING = ROUND_HALF_EVEN
"""GB/T 8170 ("四舍六入五成双"), a normative reference of the ranking rule, read as round half to even."""

DUST_DEDUCTED: frozenset[str] = frozenset({"PM10", "PM2_5", "composite_index"})
"""Statistics computed with dust-storm days deducted (扣除沙尘) (CNEMC monthly report note)."""

DUST_KEPT: frozenset[str] = frozenset({"good_day_ratio", "heavy_pollution_ratio"})
"""Statistics that keep dust-storm days (保留沙尘) (CNEMC monthly report note)."""

# Display values of I_i: 28 significant digits, whatever the caller's decimal context is.
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class CompositeIndex:
    """The ambient air quality composite index of one area and period (ranking rule, 环办监测[2018]19号)."""

    total: Decimal  # I_sum as published: half-even to INDEX_PLACES decimals
    exact: Fraction  # I_sum unrounded
    indices: dict[str, Decimal]  # I_i = C_i/S_i, unweighted, to 28 significant digits
    primary: tuple[str, ...]  # the item(s) with the largest I_i; all of them on a tie
    method: IndexMethod
    limits: IndexLimits


def _exact(value: Number, name: str) -> Fraction:
    # str() of a float is its shortest repr, i.e. the decimal number that was measured or typed.
    try:
        number = value if isinstance(value, Decimal) else Decimal(value if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise ValueError(f"{name}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{name}: {value!r} is not a finite number")
    return Fraction(number)


def _round(value: Fraction, places: int) -> Decimal:
    """`value` rounded half to even to `places` decimals, exactly (no binary or 28-digit intermediate)."""
    scaled = value * 10**places
    quotient, remainder = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator and quotient % 2 == 1):
        quotient += 1
    return Decimal(quotient).scaleb(-places)


def _check_method(method: str) -> IndexMethod:
    for known in INDEX_METHODS:
        if method == known:
            return known
    raise ValueError(f"unknown index method {method!r}; use one of {', '.join(INDEX_METHODS)}")


def _check_limits(limits: str) -> IndexLimits:
    for known in INDEX_LIMIT_SETS:
        if limits == known:
            return known
    raise ValueError(f"unknown index limits {limits!r}; use one of {', '.join(INDEX_LIMIT_SETS)}")


def _concentrations(values: Mapping[str, Number | None]) -> dict[str, Fraction]:
    unknown = sorted(set(values) - set(POLLUTANTS))
    if unknown:
        raise ValueError(f"unknown composite index items: {', '.join(unknown)}; expected {', '.join(POLLUTANTS)}")
    result: dict[str, Fraction] = {}
    missing: list[str] = []
    for key in POLLUTANTS:
        value = values.get(key)
        if value is None:
            missing.append(key)
            continue
        exact = _exact(value, key)
        if exact < 0:
            raise ValueError(f"{key}: negative concentration {value!r}")
        result[key] = exact
    if missing:
        raise ValueError(f"composite index needs all six items; missing: {', '.join(missing)}")
    return result


def index_limits_for(day: date) -> IndexLimits:
    """The S_i set for a period starting on `day`: GB 3095-2012 before 2026-03-01, else `INDEX_LIMITS_2026`."""
    return "gb3095_2012" if edition_for(day) == "2012" else INDEX_LIMITS_2026


def composite_index(
    values: Mapping[str, Number | None],
    method: IndexMethod = "unweighted",
    *,
    limits: IndexLimits = "gb3095_2012",
) -> CompositeIndex:
    """Composite index I_sum = sum of C_i/S_i over SO2, NO2, PM10, PM2.5, CO, O3 (ranking rule, 环办监测[2018]19号).

    `values` are the period statistics: SO2, NO2, PM10, PM2_5 period means (µg/m³); CO the 95th percentile of the
    24-hour means (mg/m³); O3 the 90th percentile of the daily maximum 8-hour means (µg/m³). PM10, PM2.5 and so the
    index use values with dust-storm days already deducted (CNEMC report note): the caller deducts them.

    The sum is exact and rounded once, half to even, to 2 decimals; I_i are not rounded first. The primary item is
    the largest I_i (all of them on a tie). `method="weighted_2026_unconfirmed"` multiplies I_i by WEIGHTS (not
    confirmed); `limits` picks the S_i set (see `index_limits_for`). All six items are required.
    """
    method = _check_method(method)
    limits = _check_limits(limits)
    concentrations = _concentrations(values)
    standard = INDEX_LIMITS[limits]
    weights = WEIGHTS[method]
    ratios = {key: concentrations[key] / Fraction(standard[key]) for key in POLLUTANTS}
    exact = sum((weights[key] * ratios[key] for key in POLLUTANTS), Fraction(0))
    top = max(ratios.values())
    with localcontext(_CONTEXT):
        indices = {key: Decimal(ratio.numerator) / Decimal(ratio.denominator) for key, ratio in ratios.items()}
    return CompositeIndex(
        total=_round(exact, INDEX_PLACES),
        exact=exact,
        indices=indices,
        primary=tuple(key for key in POLLUTANTS if ratios[key] == top),
        method=method,
        limits=limits,
    )


def change_rate(now: Number, before: Number, *, places: int = CHANGE_RATE_PLACES) -> Decimal:
    """Year-on-year change rate (now - before)/before x 100, in percent, half-even to `places` decimals.

    Above 0 the air got worse, below 0 better, 0 unchanged (the change scheme, 2017; Anhui bulletin notes).
    `before` is the same period of the previous year; a zero or negative base is a ValueError.
    """
    current = _exact(now, "now")
    base = _exact(before, "before")
    if base == 0:
        raise ValueError("the base value is 0; the change rate is undefined")
    if base < 0:
        raise ValueError(f"negative base value {before!r}")
    return _round((current - base) / base * 100, places)


def rank(items: Mapping[K, Number | None], *, ascending: bool = True) -> dict[K, int | None]:
    """Rank of each item, 1 for the best; equal values rank equal and the next rank skips (1, 2, 2, 4).

    Equal values 以并列计 (ranking rule; change scheme); the skip follows the Anhui county PM2.5 bulletin (two
    counties tied 1st, the next two tied 3rd). Values compare exactly, so 3.1 and "3.10" tie. None is unranked.
    """
    known = {key: _exact(value, repr(key)) for key, value in items.items() if value is not None}
    first: dict[Fraction, int] = {}
    for position, value in enumerate(sorted(known.values(), reverse=not ascending), start=1):
        first.setdefault(value, position)
    return {key: (first[known[key]] if key in known else None) for key in items}


def rank_by_composite_index(indices: Mapping[K, CompositeIndex | Number | None]) -> dict[K, int | None]:
    """Rank areas by the published composite index, smallest (cleanest) first (ranking rule §3; bulletins).

    A `CompositeIndex` ranks by its published `total` (2 decimals), so indices that publish alike rank equal.
    """
    return rank({key: value.total if isinstance(value, CompositeIndex) else value for key, value in indices.items()})


def rank_by_pm25(concentrations: Mapping[K, Number | None]) -> dict[K, int | None]:
    """Rank areas by PM2.5 concentration, lowest first (Anhui bulletins: PM2.5 从小到大; equal values 并列).

    Pass the published (rounded, dust-deducted) concentrations: the Anhui ties are at whole µg/m³.
    """
    return rank(concentrations)


def rank_by_good_day_ratio(ratios: Mapping[K, Number | None]) -> dict[K, int | None]:
    """Rank areas by good-day ratio (优良天数比例), highest first (Anhui bulletins: 从大到小; equal values 并列).

    Pass the published ratios (dust days kept, see DUST_KEPT).
    """
    return rank(ratios, ascending=False)


def rank_by_change_rate(rates: Mapping[K, Number | None]) -> dict[K, int | None]:
    """Rank areas by change rate, most improved (most negative) first; equal rates 并列 (change scheme, 2017)."""
    return rank(rates)


def improvement_ranking(rates: Mapping[K, Number | None]) -> dict[K, int | None]:
    """Rank the areas that improved (rate < 0), most improved first; the others are unranked (change scheme).

    The scheme publishes the 10 most improved areas, or all improved areas when fewer than 10 improved.
    """
    return rank(
        {key: rate if rate is not None and _exact(rate, repr(key)) < 0 else None for key, rate in rates.items()}
    )


def deterioration_ranking(rates: Mapping[K, Number | None], attaining: Collection[K] = ()) -> dict[K, int | None]:
    """Rank the areas that got worse (rate > 0), most deteriorated first (change scheme, 2017).

    Areas in `attaining` (every pollutant met class II in the period, see `meets_class_ii`) take no part and are
    unranked, as are areas that did not get worse.
    """
    worse = {
        key: rate if rate is not None and key not in attaining and _exact(rate, repr(key)) > 0 else None
        for key, rate in rates.items()
    }
    return rank(worse, ascending=False)


def class_ii_limits_for(day: date) -> IndexLimits:
    """The class II limits in force on `day`: GB 3095-2012 before 2026-03-01, the 2026 transition limits after.

    The GB 3095-2026 final limits (from 2031-01-01) are not implemented: ValueError from then on.
    """
    if day >= date(2031, 1, 1):
        raise ValueError("GB 3095-2026 final limits (from 2031-01-01) are not implemented")
    return "gb3095_2012" if edition_for(day) == "2012" else "gb3095_2026_transition"


def meets_class_ii(values: Mapping[str, Number | None], *, limits: IndexLimits = "gb3095_2012") -> bool:
    """Whether every pollutant meets class II in the period: each C_i <= S_i (change scheme, 2017; our reading).

    Uses the same six statistics as `composite_index`, compared with the class II limits in force
    (`class_ii_limits_for`). An area for which this holds takes no part in the deterioration ranking.
    """
    standard = INDEX_LIMITS[_check_limits(limits)]
    concentrations = _concentrations(values)
    return all(concentrations[key] <= Fraction(standard[key]) for key in POLLUTANTS)
