"""Composite index, change rate and rankings with ties (环办监测〔2018〕19号, the 2017 change scheme), by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecoloop.standards.aqi import Number
from ecoloop.standards.ranking import (
    DUST_DEDUCTED,
    DUST_KEPT,
    INDEX_LIMITS,
    INDEX_LIMITS_2026,
    POLLUTANTS,
    WEIGHTS,
    CompositeIndex,
    IndexLimits,
    IndexMethod,
    change_rate,
    class_ii_limits_for,
    composite_index,
    deterioration_ranking,
    improvement_ranking,
    index_limits_for,
    meets_class_ii,
    rank,
    rank_by_change_rate,
    rank_by_composite_index,
    rank_by_good_day_ratio,
    rank_by_pm25,
)

# The worked example of the reference notes: PM2.5 21, PM10 39, SO2 9, NO2 15 (period means, µg/m³),
# O3 192 (MDA8 90th percentile, µg/m³), CO 0.7 (24-hour 95th percentile, mg/m³).
EXAMPLE: dict[str, Number | None] = {"SO2": 9, "NO2": 15, "PM10": 39, "PM2_5": 21, "CO": "0.7", "O3": 192}


def test_worked_example_is_3_06() -> None:
    """21/35 + 39/70 + 9/60 + 15/40 + 192/160 + 0.7/4 = 3.06 (reference notes §3)."""
    result = composite_index(EXAMPLE)
    # 0.6 + 0.557142857… + 0.15 + 0.375 + 1.2 + 0.175 = 3.057142857… = 107/35 → 3.06.
    assert result.exact == Fraction(107, 35)
    assert result.total == Decimal("3.06")
    assert str(result.total) == "3.06"
    assert result.indices == {
        "SO2": Decimal("0.15"),
        "NO2": Decimal("0.375"),
        "PM10": Decimal("0.5571428571428571428571428571"),
        "PM2_5": Decimal("0.6"),
        "CO": Decimal("0.175"),
        "O3": Decimal("1.2"),
    }
    # O3 has the largest single index (1.2).
    assert result.primary == ("O3",)
    assert (result.method, result.limits) == ("unweighted", "gb3095_2012")


def test_items_are_not_rounded_before_summing() -> None:
    """Rounding each I_i to 2 decimals first would give 0.6 + 0.56 + 0.15 + 0.38 + 1.2 + 0.18 = 3.07, not 3.06."""
    rounded_first = sum(value.quantize(Decimal("0.01")) for value in composite_index(EXAMPLE).indices.values())
    assert rounded_first == Decimal("3.07")
    assert composite_index(EXAMPLE).total == Decimal("3.06")


def test_float_and_decimal_inputs_agree() -> None:
    """0.7 as a float is the decimal 0.7, not 0.6999999999999999555910790149937."""
    as_float = composite_index({**EXAMPLE, "CO": 0.7})
    as_decimal = composite_index({**EXAMPLE, "CO": Decimal("0.7")})
    assert as_float == as_decimal


@pytest.mark.parametrize(
    ("co", "expected"),
    [
        # SO2 6/60 + NO2 4/40 + PM10 7/70 + PM2.5 3.5/35 + O3 16/160 = 5 · 0.1 = 0.5, plus CO/4:
        # CO 0.1 → 0.525 exactly → half-even 0.52 (half-up would give 0.53).
        ("0.1", "0.52"),
        # CO 0.3 → 0.575 → 0.58 (7 is odd, so the half goes up).
        ("0.3", "0.58"),
        # CO 0.5 → 0.625 → 0.62.
        ("0.5", "0.62"),
        # CO 0.14 → 0.535 → 0.54.
        ("0.14", "0.54"),
        # CO 0.11 → 0.5275 → 0.53 (past the half).
        ("0.11", "0.53"),
    ],
)
def test_total_rounds_half_to_even(co: str, expected: str) -> None:
    values: dict[str, Number | None] = {"SO2": 6, "NO2": 4, "PM10": 7, "PM2_5": "3.5", "CO": co, "O3": 16}
    assert composite_index(values).total == Decimal(expected)


def test_primary_lists_every_tied_item() -> None:
    # PM2.5 35/35 = 1 and O3 160/160 = 1 share the maximum; the others are below.
    values = {"SO2": 6, "NO2": 20, "PM10": 50, "PM2_5": 35, "CO": 1, "O3": 160}
    result = composite_index(values)
    assert result.primary == ("PM2_5", "O3")
    # 0.1 + 0.5 + 0.714285… + 1 + 0.25 + 1 = 3.564285… → 3.56.
    assert result.total == Decimal("3.56")


def test_all_zero_makes_every_item_primary() -> None:
    result = composite_index(dict.fromkeys(POLLUTANTS, 0))
    assert result.total == Decimal("0.00")
    assert result.primary == POLLUTANTS


def test_weighted_2026_unconfirmed() -> None:
    """PM2.5 ×3, NO2 ×2, O3 ×2, the others ×1 (single unconfirmed source)."""
    result = composite_index(EXAMPLE, "weighted_2026_unconfirmed")
    # 3 · 0.6 + 0.557142… + 0.15 + 2 · 0.375 + 2 · 1.2 + 0.175
    # = 1.8 + 0.557142… + 0.15 + 0.75 + 2.4 + 0.175 = 5.832142… → 5.83.
    assert result.total == Decimal("5.83")
    assert result.exact == Fraction(1633, 280)
    # I_i stay unweighted, and so does the primary item (O3 1.2, not PM2.5 3 · 0.6 = 1.8).
    assert result.indices["PM2_5"] == Decimal("0.6")
    assert result.primary == ("O3",)
    assert result.method == "weighted_2026_unconfirmed"
    assert WEIGHTS["weighted_2026_unconfirmed"] == {"SO2": 1, "NO2": 2, "PM10": 1, "PM2_5": 3, "CO": 1, "O3": 2}


def test_transition_limits_alternative() -> None:
    """GB 3095-2026 transition limits PM10 60, PM2.5 30; the rest as in 2012."""
    result = composite_index(EXAMPLE, limits="gb3095_2026_transition")
    # 21/30 + 39/60 + 9/60 + 15/40 + 192/160 + 0.7/4 = 0.7 + 0.65 + 0.15 + 0.375 + 1.2 + 0.175 = 3.25.
    assert result.total == Decimal("3.25")
    assert result.limits == "gb3095_2026_transition"
    assert INDEX_LIMITS["gb3095_2026_transition"]["PM10"] == 60
    assert INDEX_LIMITS["gb3095_2026_transition"]["PM2_5"] == 30


def test_limits_by_date() -> None:
    assert index_limits_for(date(2026, 2, 28)) == "gb3095_2012"
    # Unconfirmed: from 2026-03-01 the index keeps the 2012 values until the rule says otherwise.
    assert INDEX_LIMITS_2026 == "gb3095_2012"
    assert index_limits_for(date(2026, 3, 1)) == INDEX_LIMITS_2026
    assert class_ii_limits_for(date(2026, 2, 28)) == "gb3095_2012"
    assert class_ii_limits_for(date(2026, 3, 1)) == "gb3095_2026_transition"
    assert class_ii_limits_for(date(2030, 12, 31)) == "gb3095_2026_transition"
    with pytest.raises(ValueError, match="final limits"):
        class_ii_limits_for(date(2031, 1, 1))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({k: v for k, v in EXAMPLE.items() if k != "CO"}, "missing: CO"),
        ({**EXAMPLE, "O3": None}, "missing: O3"),
        ({**EXAMPLE, "PM25": 21}, "unknown composite index items: PM25"),
        ({**EXAMPLE, "NO2": -1}, "NO2: negative"),
        ({**EXAMPLE, "SO2": float("nan")}, "not a finite number"),
        ({**EXAMPLE, "SO2": "abc"}, "SO2: 'abc' is not a number"),
    ],
)
def test_composite_index_rejects_bad_input(values: dict[str, Number | None], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        composite_index(values)


def test_unknown_method_and_limits() -> None:
    with pytest.raises(ValueError, match="unknown index method"):
        composite_index(EXAMPLE, "weighted")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown index limits"):
        composite_index(EXAMPLE, limits="gb3095_2026_final")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [
        # (3.06 − 3.40)/3.40 · 100 = −0.34/3.40 · 100 = −10 → improved.
        ("3.06", "3.40", "-10.00"),
        # (3.30 − 3.00)/3.00 · 100 = +10 → worse.
        ("3.30", "3.00", "10.00"),
        ("4.45", "4.45", "0.00"),
        # (2.49 − 2.91)/2.91 · 100 = −14.432989… → −14.43.
        ("2.49", "2.91", "-14.43"),
        # Halves: (2.0001 − 2)/2 · 100 = 0.005 → 0.00; 0.015 → 0.02; 0.025 → 0.02; −0.015 → −0.02.
        ("2.0001", "2", "0.00"),
        ("2.0003", "2", "0.02"),
        ("2.0005", "2", "0.02"),
        ("1.9997", "2", "-0.02"),
        # −0.005 → −0.00, reported as 0.00 (no negative zero).
        ("1.9999", "2", "0.00"),
        (0.1, 0.3, "-66.67"),
    ],
)
def test_change_rate(now: Number, before: Number, expected: str) -> None:
    result = change_rate(now, before)
    assert result == Decimal(expected)
    assert str(result) == expected


def test_change_rate_places() -> None:
    """Anhui bulletins print one decimal: (2.49 − 2.91)/2.91 = −14.43…% → −14.4%."""
    assert change_rate("2.49", "2.91", places=1) == Decimal("-14.4")
    # −14.45 exactly: (a − 20)/20 · 100 = −14.45 → a = 17.11 → half-even −14.4.
    assert change_rate("17.11", "20", places=1) == Decimal("-14.4")
    assert change_rate("17.09", "20", places=1) == Decimal("-14.6")


def test_change_rate_rejects_zero_and_negative_base() -> None:
    with pytest.raises(ValueError, match="base value is 0"):
        change_rate(1, 0)
    with pytest.raises(ValueError, match="base value is 0"):
        change_rate("1", "0.00")
    with pytest.raises(ValueError, match="negative base"):
        change_rate(1, -1)


@pytest.mark.parametrize(
    ("items", "ascending", "expected"),
    [
        # Standard competition ranking: a tie shares the rank and the next rank skips.
        ({"a": 1, "b": 2, "c": 2, "d": 3}, True, {"a": 1, "b": 2, "c": 2, "d": 4}),
        ({"a": 1, "b": 2, "c": 2, "d": 3}, False, {"a": 4, "b": 2, "c": 2, "d": 1}),
        # Anhui counties, Jan–May 2020: 黟县 and 歙县 23 µg/m³ tied 1st; 旌德县 and 绩溪县 24 tied 3rd.
        (
            {"黟县": 23, "歙县": 23, "旌德县": 24, "绩溪县": 24, "界首市": 63},
            True,
            {"黟县": 1, "歙县": 1, "旌德县": 3, "绩溪县": 3, "界首市": 5},
        ),
        # Three-way tie at the top.
        ({"a": 5, "b": 5, "c": 5, "d": 6}, True, {"a": 1, "b": 1, "c": 1, "d": 4}),
        # Missing values are unranked and take no place.
        ({"a": None, "b": 2, "c": 1}, True, {"a": None, "b": 2, "c": 1}),
        ({"a": None}, True, {"a": None}),
        ({}, True, {}),
        # Exact comparison: 3.1, "3.10" and Decimal("3.100") are equal; float 0.1 + 0.2 style noise is absent.
        ({"a": 3.1, "b": "3.10", "c": Decimal("3.100"), "d": 3.09}, True, {"a": 2, "b": 2, "c": 2, "d": 1}),
        # Negative change rates sort below positive ones.
        ({"a": "-14.4", "b": "-11.0", "c": "2.5", "d": "0"}, True, {"a": 1, "b": 2, "c": 4, "d": 3}),
    ],
)
def test_rank(items: dict[str, Number | None], ascending: bool, expected: dict[str, int | None]) -> None:
    result = rank(items, ascending=ascending)
    assert result == expected
    assert list(result) == list(items)  # input order is kept


def test_rank_by_composite_index_uses_published_total() -> None:
    # 3.0571… and 3.0646… both publish as 3.06 and tie; 3.0655… publishes as 3.07.
    a = composite_index(EXAMPLE)
    b = composite_index({**EXAMPLE, "SO2": "9.449"})  # SO2 +0.449/60 = +0.007483… → 3.064626… → 3.06
    c = composite_index({**EXAMPLE, "SO2": "9.5"})  # SO2 +0.5/60 = +0.008333… → 3.065476… → 3.07
    assert (a.total, b.total, c.total) == (Decimal("3.06"), Decimal("3.06"), Decimal("3.07"))
    ranks = rank_by_composite_index({"A": a, "B": b, "C": c, "D": None, "E": "2.49"})
    assert ranks == {"A": 2, "B": 2, "C": 4, "D": None, "E": 1}


def test_rank_by_pm25_and_good_day_ratio() -> None:
    assert rank_by_pm25({"x": 30, "y": 28, "z": 30}) == {"x": 2, "y": 1, "z": 2}
    # Good-day ratio: highest first; 99.7 first, two at 93.1 tied 2nd, 72.5 4th.
    ratios = {"黄山": "99.7", "宣城": "93.1", "池州": "93.1", "淮北": "72.5", "缺测": None}
    assert rank_by_good_day_ratio(ratios) == {"黄山": 1, "宣城": 2, "池州": 2, "淮北": 4, "缺测": None}


RATES = {"A": "-14.4", "B": "-11.0", "C": "0", "D": "5.2", "E": "8.0", "F": "5.2", "G": None}


def test_rank_by_change_rate() -> None:
    # Ascending: −14.4, −11.0, 0, 5.2, 5.2, 8.0.
    assert rank_by_change_rate(RATES) == {"A": 1, "B": 2, "C": 3, "D": 4, "E": 6, "F": 4, "G": None}


def test_improvement_ranking_only_ranks_improved_areas() -> None:
    assert improvement_ranking(RATES) == {"A": 1, "B": 2, "C": None, "D": None, "E": None, "F": None, "G": None}


def test_deterioration_ranking_leaves_out_attaining_areas() -> None:
    # Worse areas, largest rate first: E 8.0, then D and F tied at 5.2.
    assert deterioration_ranking(RATES) == {"A": None, "B": None, "C": None, "D": 2, "E": 1, "F": 2, "G": None}
    # E met class II for every pollutant: it takes no part, and D and F move up to a shared 1st.
    ranks = deterioration_ranking(RATES, attaining={"E"})
    assert ranks == {"A": None, "B": None, "C": None, "D": 1, "E": None, "F": 1, "G": None}


@pytest.mark.parametrize(
    ("values", "limits", "expected"),
    [
        (EXAMPLE, "gb3095_2012", False),  # O3 192 > 160
        ({**EXAMPLE, "O3": 160}, "gb3095_2012", True),  # every C_i <= S_i; 160 is at the limit
        ({**EXAMPLE, "O3": 160, "PM2_5": 35}, "gb3095_2012", True),
        ({**EXAMPLE, "O3": 160, "PM2_5": 31}, "gb3095_2026_transition", False),  # 31 > 30
        ({**EXAMPLE, "O3": 160, "PM10": 61}, "gb3095_2026_transition", False),  # 61 > 60
        ({**EXAMPLE, "O3": 160, "CO": "4.1"}, "gb3095_2012", False),
    ],
)
def test_meets_class_ii(values: dict[str, Number | None], limits: IndexLimits, expected: bool) -> None:
    assert meets_class_ii(values, limits=limits) is expected


def test_dust_rule_constants() -> None:
    """Dust days are deducted for PM10, PM2.5 and the index; kept for the good-day and heavy-pollution ratios."""
    assert {"PM10", "PM2_5", "composite_index"} == DUST_DEDUCTED
    assert {"good_day_ratio", "heavy_pollution_ratio"} == DUST_KEPT
    assert not DUST_DEDUCTED & DUST_KEPT


# Concentrations as decimals with up to 3 places, as monitoring statistics are.
concentrations = st.decimals(min_value=0, max_value=2000, places=3, allow_nan=False, allow_infinity=False)
samples = st.fixed_dictionaries({key: concentrations for key in POLLUTANTS})


@given(
    sample=samples,
    item=st.sampled_from(POLLUTANTS),
    step=concentrations,
    method=st.sampled_from(["unweighted", "weighted_2026_unconfirmed"]),
    limits=st.sampled_from(["gb3095_2012", "gb3095_2026_transition"]),
)
def test_raising_a_concentration_never_lowers_the_index(
    sample: dict[str, Decimal], item: str, step: Decimal, method: IndexMethod, limits: IndexLimits
) -> None:
    before = composite_index(sample, method, limits=limits)
    after = composite_index({**sample, item: sample[item] + step}, method, limits=limits)
    assert after.exact >= before.exact
    assert after.total >= before.total
    assert isinstance(after, CompositeIndex)


values_or_missing = st.one_of(st.none(), st.integers(min_value=-5, max_value=5), st.decimals("-3", "3", places=1))


@given(
    items=st.dictionaries(st.text(min_size=1, max_size=3), values_or_missing, max_size=12),
    data=st.data(),
    ascending=st.booleans(),
)
def test_ranks_are_permutation_invariant(items: dict[str, Number | None], data: st.DataObject, ascending: bool) -> None:
    order = data.draw(st.permutations(list(items)))
    shuffled = {key: items[key] for key in order}
    ranks = rank(items, ascending=ascending)
    assert rank(shuffled, ascending=ascending) == ranks
    # Each rank is 1 + the number of strictly better values; missing values are unranked.
    known = [Fraction(Decimal(str(v))) for v in items.values() if v is not None]
    for key, value in items.items():
        if value is None:
            assert ranks[key] is None
            continue
        mine = Fraction(Decimal(str(value)))
        better = sum(1 for other in known if (other < mine if ascending else other > mine))
        assert ranks[key] == 1 + better
