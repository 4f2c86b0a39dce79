"""Surface-water quality: GB 3838-2002 classes, the 环办[2011]22号 assessment and the 2017 city water quality index.

- GB 3838-2002 Table 1 (basic items): the class I-V limits.
- 《地表水环境质量评价办法(试行)》 (环办[2011]22号): single-factor class of a section, its qualitative level,
  its main pollution indicators, and the class-proportion level of a river or basin.
- 《城市地表水环境质量排名技术规定(试行)》 (环办监测[2017]51号): CWQI and its change rate.

Limits are compared as `Decimal`, so a value exactly at a limit meets it. See docs/standards/gb3838-water.md for
what is verified against which source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from ecoloop.i18n import N_

Waterbody = Literal["river", "lake"]
WATERBODIES: tuple[Waterbody, ...] = ("river", "lake")

# Division and means use 28 significant digits whatever the caller's decimal context is.
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)


class WaterGrade(StrEnum):
    """Water quality class of GB 3838-2002 §3 (I-V), plus 劣V for water that fails class V (环办[2011]22号)."""

    CLASS_I = "I"
    CLASS_II = "II"
    CLASS_III = "III"
    CLASS_IV = "IV"
    CLASS_V = "V"
    WORSE_THAN_V = "劣V"

    @property
    def rank(self) -> int:
        """1 for class I up to 6 for 劣V; a larger rank is worse water."""
        return _GRADES.index(self) + 1

    @property
    def label(self) -> str:
        return _GRADE_LABELS[self]


_GRADES: tuple[WaterGrade, ...] = tuple(WaterGrade)
_GRADE_LABELS = {
    WaterGrade.CLASS_I: N_("Class I"),
    WaterGrade.CLASS_II: N_("Class II"),
    WaterGrade.CLASS_III: N_("Class III"),
    WaterGrade.CLASS_IV: N_("Class IV"),
    WaterGrade.CLASS_V: N_("Class V"),
    WaterGrade.WORSE_THAN_V: N_("Worse than class V"),
}


class WaterQualityLevel(StrEnum):
    """Qualitative water quality level (环办[2011]22号 §2, section and river assessment tables)."""

    EXCELLENT = "excellent"
    GOOD = "good"
    LIGHTLY_POLLUTED = "lightly_polluted"
    MODERATELY_POLLUTED = "moderately_polluted"
    HEAVILY_POLLUTED = "heavily_polluted"

    @property
    def label(self) -> str:
        return _LEVEL_LABELS[self]


# "Good" alone would share a catalog entry with the AQI category 良; the water term is 良好.
_LEVEL_LABELS = {
    WaterQualityLevel.EXCELLENT: N_("Excellent water quality"),
    WaterQualityLevel.GOOD: N_("Good water quality"),
    WaterQualityLevel.LIGHTLY_POLLUTED: N_("Lightly polluted water"),
    WaterQualityLevel.MODERATELY_POLLUTED: N_("Moderately polluted water"),
    WaterQualityLevel.HEAVILY_POLLUTED: N_("Heavily polluted water"),
}


@dataclass(frozen=True)
class ClassLimits:
    """Class I-V limits of one GB 3838-2002 Table 1 item, in mg/L (fecal coliform: count per litre)."""

    limits: tuple[Decimal, Decimal, Decimal, Decimal, Decimal]
    at_least: bool = False  # DO: the value must be at least the limit; every other item at most


def _row(i: str, ii: str, iii: str, iv: str, v: str, *, at_least: bool = False) -> ClassLimits:
    return ClassLimits((Decimal(i), Decimal(ii), Decimal(iii), Decimal(iv), Decimal(v)), at_least)


PH_RANGE = (Decimal("6"), Decimal("9"))
"""GB 3838-2002 Table 1 item 2: pH 6-9 (dimensionless) for every class."""

TABLE_1: Mapping[str, ClassLimits] = MappingProxyType(
    {
        "DO": _row("7.5", "6", "5", "3", "2", at_least=True),
        "CODMn": _row("2", "4", "6", "10", "15"),
        "COD": _row("15", "15", "20", "30", "40"),
        "BOD5": _row("3", "3", "4", "6", "10"),
        "NH3_N": _row("0.15", "0.5", "1.0", "1.5", "2.0"),
        "TP": _row("0.02", "0.1", "0.2", "0.3", "0.4"),
        "TN": _row("0.2", "0.5", "1.0", "1.5", "2.0"),
        "Cu": _row("0.01", "1.0", "1.0", "1.0", "1.0"),
        "Zn": _row("0.05", "1.0", "1.0", "2.0", "2.0"),
        "F": _row("1.0", "1.0", "1.0", "1.5", "1.5"),
        "Se": _row("0.01", "0.01", "0.01", "0.02", "0.02"),
        "As": _row("0.05", "0.05", "0.05", "0.1", "0.1"),
        "Hg": _row("0.00005", "0.00005", "0.0001", "0.001", "0.001"),
        "Cd": _row("0.001", "0.005", "0.005", "0.005", "0.01"),
        "Cr6": _row("0.01", "0.05", "0.05", "0.05", "0.1"),
        "Pb": _row("0.01", "0.01", "0.05", "0.05", "0.1"),
        "CN": _row("0.005", "0.05", "0.2", "0.2", "0.2"),
        "phenol": _row("0.002", "0.002", "0.005", "0.01", "0.1"),
        "petroleum": _row("0.05", "0.05", "0.05", "0.5", "1.0"),
        "LAS": _row("0.2", "0.2", "0.2", "0.3", "0.3"),
        "sulfide": _row("0.05", "0.1", "0.2", "0.5", "1.0"),
        "fecal_coliform": _row("200", "2000", "10000", "20000", "40000"),
    }
)
"""GB 3838-2002 Table 1, items 3-24 (pH is `PH_RANGE`; water temperature has no class). TP is the river row."""

TP_LAKE = _row("0.01", "0.025", "0.05", "0.1", "0.2")
"""GB 3838-2002 Table 1 item 8, lakes and reservoirs (湖、库)."""

ASSESSED: tuple[str, ...] = (
    "pH", "DO", "CODMn", "COD", "BOD5", "NH3_N", "TP",
    "Cu", "Zn", "F", "Se", "As", "Hg", "Cd", "Cr6", "Pb", "CN",
    "phenol", "petroleum", "LAS", "sulfide",
)  # fmt: skip
"""The 21 assessed indicators of 环办[2011]22号 §1(1): Table 1 without water temperature, TN and fecal coliform."""

REFERENCE: tuple[str, ...] = ("TN", "fecal_coliform")
"""Table 1 items reported beside the class but not graded (环办[2011]22号 §1(1)); TN is classed for lakes only."""

INDICATORS: tuple[str, ...] = ASSESSED + REFERENCE

NO_MULTIPLE = frozenset({"pH", "DO"})
"""Indicators without 超标倍数: the method names water temperature, pH and DO (环办[2011]22号 §2, main indicators)."""

PRIORITY_POLLUTANTS = frozenset({"CN", "Cu", "Zn", "As", "Hg", "Cd", "Cr6", "Pb"})
"""Cyanide and heavy metals, listed first among main indicators when they exceed class III (环办[2011]22号 §2).

The method says "cyanide or lead, chromium and other heavy metals"; which Table 1 items count as heavy metals
is an ecoloop convention (arsenic included, selenium not).
"""

MULTIPLE_PLACES = Decimal("0.1")
"""超标倍数 is shown to one decimal after the indicator (环办[2011]22号 §2), as official bulletins print it."""

CWQI_PLACES = Decimal("0.0001")
"""CWQI is published to four decimals (环办监测[2017]51号, as ranking bulletins print it)."""

CHANGE_PLACES = Decimal("0.01")
"""ΔCWQI in percent to two decimals: an ecoloop choice, the rule's own precision was not seen."""


@dataclass(frozen=True)
class Exceedance:
    """One main pollution indicator of a section worse than class III (环办[2011]22号 §2, main indicators)."""

    indicator: str
    grade: WaterGrade
    value: Decimal
    ratio: Decimal | None  # exact (C - S_III)/S_III; None for pH and DO
    multiple: Decimal | None  # `ratio` rounded half-even to one decimal, the published 超标倍数


@dataclass(frozen=True)
class WaterResult:
    """Single-factor assessment of one section's (period mean) values (环办[2011]22号 §2)."""

    waterbody: Waterbody
    grade: WaterGrade
    level: WaterQualityLevel
    factor_grades: dict[str, WaterGrade]
    main_pollutants: tuple[Exceedance, ...]
    assessed: tuple[str, ...]
    missing: tuple[str, ...]
    reference_grades: dict[str, WaterGrade]  # fecal coliform; TN for lakes
    values: dict[str, Decimal]


@dataclass(frozen=True)
class CwqiResult:
    """City water quality index of one set of mean values (环办监测[2017]51号)."""

    waterbody: Waterbody
    total: Decimal  # sum of the indicator indices, rounded half-even to four decimals
    indicators: dict[str, Decimal]  # CWQI(i), unrounded
    missing: tuple[str, ...]


def _check_waterbody(waterbody: str) -> Waterbody:
    if waterbody == "river":
        return "river"
    if waterbody == "lake":
        return "lake"
    raise ValueError(f"unknown waterbody {waterbody!r}; use 'river' or 'lake'")


def _to_decimal(indicator: str, value: float | Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"{indicator}: {value!r} is not a number")
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"{indicator}: {value!r} is not a finite number")
    if number < 0:
        raise ValueError(f"{indicator}: {value!r} is negative")
    return number


def _measured(values: Mapping[str, float | Decimal | None]) -> dict[str, Decimal]:
    """The given values as Decimal in table order, None (not measured) left out; unknown keys are refused."""
    for key in values:
        if key not in INDICATORS:
            raise ValueError(f"unknown water quality indicator {key!r}")
    return {key: _to_decimal(key, value) for key in INDICATORS if (value := values.get(key)) is not None}


def limits_for(indicator: str, waterbody: Waterbody = "river") -> ClassLimits:
    """The GB 3838-2002 Table 1 row of `indicator`; TP of lakes and reservoirs uses the lake row (item 8)."""
    if indicator == "TP" and _check_waterbody(waterbody) == "lake":
        return TP_LAKE
    if indicator not in TABLE_1:
        raise ValueError(f"GB 3838-2002 Table 1 has no class limits for {indicator!r}")
    return TABLE_1[indicator]


def grade_of(indicator: str, value: float | Decimal, waterbody: Waterbody = "river") -> WaterGrade:
    """Class of one value: the best class whose limit it meets (GB 3838-2002 Table 1; 环办[2011]22号 §2).

    A value at a limit meets it; shared limits give the better class; DO must be at least the limit;
    pH outside 6-9 and any value failing class V are 劣V. TN is classed only for lakes and reservoirs.
    """
    number = _to_decimal(indicator, value)
    if indicator == "pH":
        low, high = PH_RANGE
        return WaterGrade.CLASS_I if low <= number <= high else WaterGrade.WORSE_THAN_V
    if indicator == "TN" and _check_waterbody(waterbody) != "lake":
        raise ValueError("GB 3838-2002 classes TN for lakes and reservoirs only")
    row = limits_for(indicator, waterbody)
    for grade, limit in zip(_GRADES, row.limits, strict=False):
        if (number >= limit) if row.at_least else (number <= limit):
            return grade
    return WaterGrade.WORSE_THAN_V


def level_of(grade: WaterGrade) -> WaterQualityLevel:
    """Section level: I-II excellent, III good, IV light, V moderate, 劣V heavy (环办[2011]22号 §2, section table)."""
    return _SECTION_LEVELS[grade]


_SECTION_LEVELS = {
    WaterGrade.CLASS_I: WaterQualityLevel.EXCELLENT,
    WaterGrade.CLASS_II: WaterQualityLevel.EXCELLENT,
    WaterGrade.CLASS_III: WaterQualityLevel.GOOD,
    WaterGrade.CLASS_IV: WaterQualityLevel.LIGHTLY_POLLUTED,
    WaterGrade.CLASS_V: WaterQualityLevel.MODERATELY_POLLUTED,
    WaterGrade.WORSE_THAN_V: WaterQualityLevel.HEAVILY_POLLUTED,
}


def exceedance_ratio(indicator: str, value: float | Decimal, waterbody: Waterbody = "river") -> Decimal | None:
    """超标倍数 before rounding, (C - S_III)/S_III (环办[2011]22号 §2); None for pH and DO, which have none."""
    number = _to_decimal(indicator, value)
    if indicator in NO_MULTIPLE:
        return None
    class_iii = limits_for(indicator, waterbody).limits[2]
    with localcontext(_CONTEXT):
        return (number - class_iii) / class_iii


def _main_pollutants(
    measured: Mapping[str, Decimal], factor_grades: Mapping[str, WaterGrade], waterbody: Waterbody
) -> tuple[Exceedance, ...]:
    """Up to three indicators worse than class III (环办[2011]22号 §2, main indicators).

    Order: cyanide and heavy metals first, then the worse class, then the larger 超标倍数 (pH and DO, which
    have none, after the others of their class), then Table 1 order.
    """
    found = []
    for indicator, grade in factor_grades.items():
        if grade.rank <= WaterGrade.CLASS_III.rank:
            continue
        ratio = exceedance_ratio(indicator, measured[indicator], waterbody)
        multiple = None if ratio is None else ratio.quantize(MULTIPLE_PLACES, rounding=ROUND_HALF_EVEN)
        found.append(Exceedance(indicator, grade, measured[indicator], ratio, multiple))
    found.sort(
        key=lambda e: (
            e.indicator not in PRIORITY_POLLUTANTS,
            -e.grade.rank,
            -(e.ratio or 0),  # every listed ratio is above 0, so pH and DO (None) follow the others of their class
            ASSESSED.index(e.indicator),
        )
    )
    return tuple(found[:3])


def classify(values: Mapping[str, float | Decimal | None], waterbody: Waterbody = "river") -> WaterResult:
    """Single-factor class of a section: the worst class of its assessed indicators (环办[2011]22号 §2).

    `values` are the period's mean concentrations (see `period_mean`) keyed as in `INDICATORS`; None or an absent
    key means not measured. Main pollution indicators are given when the class is worse than III.
    """
    body = _check_waterbody(waterbody)
    measured = _measured(values)
    factor_grades = {key: grade_of(key, measured[key], body) for key in ASSESSED if key in measured}
    if not factor_grades:
        raise ValueError("no assessed indicator has a value")
    grade = max(factor_grades.values(), key=lambda g: g.rank)
    reference_grades = {
        key: grade_of(key, measured[key], body)
        for key in REFERENCE
        if key in measured and (key != "TN" or body == "lake")
    }
    main = _main_pollutants(measured, factor_grades, body) if grade.rank > WaterGrade.CLASS_III.rank else ()
    return WaterResult(
        waterbody=body,
        grade=grade,
        level=level_of(grade),
        factor_grades=factor_grades,
        main_pollutants=main,
        assessed=tuple(factor_grades),
        missing=tuple(key for key in ASSESSED if key not in measured),
        reference_grades=reference_grades,
        values=measured,
    )


def period_mean(samples: Sequence[Mapping[str, float | Decimal | None]]) -> dict[str, Decimal]:
    """Arithmetic mean of each indicator over the period's samples, missing values skipped (环办[2011]22号 §1(2)).

    Indicators with no value in any sample are left out; the means are not rounded.
    """
    totals: dict[str, list[Decimal]] = {key: [] for key in INDICATORS}
    for sample in samples:
        for key, value in _measured(sample).items():
            totals[key].append(value)
    with localcontext(_CONTEXT):
        return {key: sum(found, Decimal(0)) / len(found) for key, found in totals.items() if found}


def river_level(grades: Sequence[WaterGrade]) -> WaterQualityLevel:
    """Level of a river or basin with at least 5 sections, by class proportions (环办[2011]22号 §2, river table).

    I-III ≥ 90% excellent; 75% ≤ I-III < 90% good; below 75%: 劣V < 20% light, 20% ≤ 劣V < 40% moderate,
    劣V ≥ 40% heavy. With fewer than 5 sections the method averages the sections and classifies the means instead.
    """
    total = len(grades)
    if total < 5:
        raise ValueError(f"{total} sections: the proportion method needs at least 5; classify their mean instead")
    good = sum(1 for grade in grades if grade.rank <= WaterGrade.CLASS_III.rank)
    worst = sum(1 for grade in grades if grade is WaterGrade.WORSE_THAN_V)
    # Whole-number comparisons (100·count against percent·total) keep the thresholds exact.
    if 100 * good >= 90 * total:
        return WaterQualityLevel.EXCELLENT
    if 100 * good >= 75 * total:
        return WaterQualityLevel.GOOD
    if 100 * worst < 20 * total:
        return WaterQualityLevel.LIGHTLY_POLLUTED
    if 100 * worst < 40 * total:
        return WaterQualityLevel.MODERATELY_POLLUTED
    return WaterQualityLevel.HEAVILY_POLLUTED


def cwqi_of(indicator: str, value: float | Decimal, waterbody: Waterbody = "river") -> Decimal:
    """CWQI(i) of one indicator, unrounded (环办监测[2017]51号).

    C/S_III; DO S_III/C; pH (7 - pH)/(7 - 6) at or below 7, (pH - 7)/(9 - 7) above. Lakes use the lake TP limit.
    """
    if indicator not in ASSESSED:
        raise ValueError(f"{indicator!r} is not one of the 21 CWQI indicators")
    number = _to_decimal(indicator, value)
    with localcontext(_CONTEXT):
        if indicator == "pH":
            low, high = PH_RANGE
            neutral = Decimal(7)
            return (neutral - number) / (neutral - low) if number <= neutral else (number - neutral) / (high - neutral)
        class_iii = limits_for(indicator, waterbody).limits[2]
        if indicator == "DO":
            if number == 0:
                raise ValueError("DO: 0 has no CWQI (S/C)")
            return class_iii / number
        return number / class_iii


def cwqi(values: Mapping[str, float | Decimal | None], waterbody: Waterbody = "river") -> CwqiResult:
    """CWQI: the sum of CWQI(i) over the 21 indicators, rounded half-even to 4 decimals (环办监测[2017]51号).

    `values` are the period means over the sections. TN and fecal coliform are accepted and ignored; indicators
    without a value are listed in `missing` and left out of the sum.
    """
    body = _check_waterbody(waterbody)
    measured = _measured(values)
    indices = {key: cwqi_of(key, measured[key], body) for key in ASSESSED if key in measured}
    if not indices:
        raise ValueError("no CWQI indicator has a value")
    with localcontext(_CONTEXT):
        total = sum(indices.values(), Decimal(0))
    return CwqiResult(
        waterbody=body,
        total=total.quantize(CWQI_PLACES, rounding=ROUND_HALF_EVEN),
        indicators=indices,
        missing=tuple(key for key in ASSESSED if key not in measured),
    )


def cwqi_change(now: float | Decimal, base: float | Decimal) -> Decimal:
    """ΔCWQI = (CWQI_now - CWQI_base)/CWQI_base x 100%, in percent to 2 decimals (环办监测[2017]51号).

    Negative means better water. Rounding is half-even.
    """
    current = _to_decimal("CWQI now", now)
    baseline = _to_decimal("CWQI base", base)
    if baseline == 0:
        raise ValueError("CWQI base is 0; the change rate is undefined")
    with localcontext(_CONTEXT):
        change = (current - baseline) / baseline * 100
    return change.quantize(CHANGE_PLACES, rounding=ROUND_HALF_EVEN)
