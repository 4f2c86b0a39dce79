"""GB 3838-2002 classes, the 环办〔2011〕22号 section and river assessment, and the 2017 CWQI, by hand-worked values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecoloop.standards.water import (
    ASSESSED,
    Waterbody,
    WaterGrade,
    WaterQualityLevel,
    classify,
    cwqi,
    cwqi_change,
    cwqi_of,
    grade_of,
    level_of,
    period_mean,
    river_level,
)

WORST = "劣V"

# Every limit of GB 3838-2002 Table 1, written out again here (not read from the module): the value exactly at the
# limit and the value just above it (for DO: just below it). Shared limits give the better class, so COD 15 is I
# and the first value above 15 is III.
BOUNDARIES: dict[str, list[tuple[str, str]]] = {
    "DO": [("7.5", "I"), ("7.49", "II"), ("6", "II"), ("5.99", "III"), ("5", "III"), ("4.99", "IV"),
           ("3", "IV"), ("2.99", "V"), ("2", "V"), ("1.99", WORST)],
    "CODMn": [("2", "I"), ("2.01", "II"), ("4", "II"), ("4.01", "III"), ("6", "III"), ("6.01", "IV"),
              ("10", "IV"), ("10.01", "V"), ("15", "V"), ("15.01", WORST)],
    "COD": [("15", "I"), ("15.01", "III"), ("20", "III"), ("20.01", "IV"), ("30", "IV"), ("30.01", "V"),
            ("40", "V"), ("40.01", WORST)],
    "BOD5": [("3", "I"), ("3.01", "III"), ("4", "III"), ("4.01", "IV"), ("6", "IV"), ("6.01", "V"),
             ("10", "V"), ("10.01", WORST)],
    "NH3_N": [("0.15", "I"), ("0.151", "II"), ("0.5", "II"), ("0.501", "III"), ("1.0", "III"), ("1.001", "IV"),
              ("1.5", "IV"), ("1.501", "V"), ("2.0", "V"), ("2.001", WORST)],
    "TP": [("0.02", "I"), ("0.021", "II"), ("0.1", "II"), ("0.101", "III"), ("0.2", "III"), ("0.201", "IV"),
           ("0.3", "IV"), ("0.301", "V"), ("0.4", "V"), ("0.401", WORST)],
    "Cu": [("0.01", "I"), ("0.011", "II"), ("1.0", "II"), ("1.001", WORST)],
    "Zn": [("0.05", "I"), ("0.051", "II"), ("1.0", "II"), ("1.001", "IV"), ("2.0", "IV"), ("2.001", WORST)],
    "F": [("1.0", "I"), ("1.001", "IV"), ("1.5", "IV"), ("1.501", WORST)],
    "Se": [("0.01", "I"), ("0.011", "IV"), ("0.02", "IV"), ("0.021", WORST)],
    "As": [("0.05", "I"), ("0.051", "IV"), ("0.1", "IV"), ("0.101", WORST)],
    "Hg": [("0.00005", "I"), ("0.000051", "III"), ("0.0001", "III"), ("0.000101", "IV"), ("0.001", "IV"),
           ("0.001001", WORST)],
    "Cd": [("0.001", "I"), ("0.0011", "II"), ("0.005", "II"), ("0.0051", "V"), ("0.01", "V"), ("0.0101", WORST)],
    "Cr6": [("0.01", "I"), ("0.011", "II"), ("0.05", "II"), ("0.051", "V"), ("0.1", "V"), ("0.101", WORST)],
    "Pb": [("0.01", "I"), ("0.011", "III"), ("0.05", "III"), ("0.051", "V"), ("0.1", "V"), ("0.101", WORST)],
    "CN": [("0.005", "I"), ("0.0051", "II"), ("0.05", "II"), ("0.051", "III"), ("0.2", "III"), ("0.201", WORST)],
    "phenol": [("0.002", "I"), ("0.0021", "III"), ("0.005", "III"), ("0.0051", "IV"), ("0.01", "IV"),
               ("0.0101", "V"), ("0.1", "V"), ("0.101", WORST)],
    "petroleum": [("0.05", "I"), ("0.051", "IV"), ("0.5", "IV"), ("0.501", "V"), ("1.0", "V"), ("1.001", WORST)],
    "LAS": [("0.2", "I"), ("0.201", "IV"), ("0.3", "IV"), ("0.301", WORST)],
    "sulfide": [("0.05", "I"), ("0.051", "II"), ("0.1", "II"), ("0.101", "III"), ("0.2", "III"), ("0.201", "IV"),
                ("0.5", "IV"), ("0.501", "V"), ("1.0", "V"), ("1.001", WORST)],
}  # fmt: skip

# Lakes and reservoirs: TP uses its own row (Table 1 item 8), TN is classed (item 9, reported, not graded).
LAKE_BOUNDARIES: dict[str, list[tuple[str, str]]] = {
    "TP": [("0.01", "I"), ("0.011", "II"), ("0.025", "II"), ("0.026", "III"), ("0.05", "III"), ("0.051", "IV"),
           ("0.1", "IV"), ("0.101", "V"), ("0.2", "V"), ("0.201", WORST)],
    "TN": [("0.2", "I"), ("0.201", "II"), ("0.5", "II"), ("0.501", "III"), ("1.0", "III"), ("1.001", "IV"),
           ("1.5", "IV"), ("1.501", "V"), ("2.0", "V"), ("2.001", WORST)],
}  # fmt: skip

FECAL_COLIFORM = [("200", "I"), ("201", "II"), ("2000", "II"), ("2001", "III"), ("10000", "III"), ("10001", "IV"),
                  ("20000", "IV"), ("20001", "V"), ("40000", "V"), ("40001", WORST)]  # fmt: skip


def _cases(table: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str, str]]:
    return [(indicator, value, grade) for indicator, rows in table.items() for value, grade in rows]


def test_the_boundary_table_covers_all_21_indicators() -> None:
    assert set(BOUNDARIES) | {"pH"} == set(ASSESSED)
    assert len(ASSESSED) == 21


@pytest.mark.parametrize("convert", [float, Decimal], ids=["float", "decimal"])
@pytest.mark.parametrize(("indicator", "value", "expected"), _cases(BOUNDARIES))
def test_river_class_at_and_just_past_each_limit(indicator: str, value: str, expected: str, convert: type) -> None:
    result = classify({indicator: convert(value)})
    assert result.factor_grades == {indicator: WaterGrade(expected)}
    assert result.grade == WaterGrade(expected)
    assert grade_of(indicator, convert(value)) == WaterGrade(expected)


@pytest.mark.parametrize("convert", [float, Decimal], ids=["float", "decimal"])
@pytest.mark.parametrize(("indicator", "value", "expected"), _cases(LAKE_BOUNDARIES))
def test_lake_class_at_and_just_past_each_limit(indicator: str, value: str, expected: str, convert: type) -> None:
    assert grade_of(indicator, convert(value), "lake") == WaterGrade(expected)


@pytest.mark.parametrize(("value", "expected"), FECAL_COLIFORM)
def test_fecal_coliform_class(value: str, expected: str) -> None:
    assert grade_of("fecal_coliform", Decimal(value)) == WaterGrade(expected)


@pytest.mark.parametrize(
    ("ph", "expected"),
    [(5.99, WORST), (6, "I"), (7, "I"), (9, "I"), (9.01, WORST), (0, WORST), (14, WORST)],
)
def test_ph_inside_6_to_9_is_class_i_outside_is_worse_than_v(ph: float, expected: str) -> None:
    assert classify({"pH": ph}).grade == WaterGrade(expected)


@pytest.mark.parametrize(("do", "expected"), [(12, "I"), (7.5, "I"), (6.5, "II"), (4, "IV"), (0, WORST)])
def test_more_dissolved_oxygen_is_better(do: float, expected: str) -> None:
    assert classify({"DO": do}).grade == WaterGrade(expected)


@pytest.mark.parametrize("indicator", [key for key in BOUNDARIES if key != "DO"])
def test_zero_concentration_is_class_i(indicator: str) -> None:
    assert grade_of(indicator, 0) == WaterGrade.CLASS_I


@pytest.mark.parametrize(
    ("tp", "river", "lake"),
    # 0.05 is III for a lake but II for a river; 0.15 is III for a river and V for a lake.
    [(0.01, "I", "I"), (0.05, "II", "III"), (0.15, "III", "V"), (0.3, "IV", WORST)],
)
def test_tp_uses_the_lake_row_for_lakes(tp: float, river: str, lake: str) -> None:
    assert classify({"TP": tp}, "river").grade == WaterGrade(river)
    assert classify({"TP": tp}, "lake").grade == WaterGrade(lake)


def test_shared_limit_gives_the_better_class() -> None:
    # COD: class I and II are both ≤ 15.
    assert classify({"COD": 15}).grade == WaterGrade.CLASS_I
    # Cu: classes II-V are all ≤ 1.0, so 1.0 is II and anything above is 劣V.
    assert classify({"Cu": 1.0}).grade == WaterGrade.CLASS_II
    assert classify({"Cu": 1.2}).grade == WaterGrade.WORSE_THAN_V


def test_section_class_is_the_worst_indicator_class() -> None:
    result = classify({"pH": 7.2, "DO": 8, "CODMn": 3.5, "NH3_N": 0.6, "TP": 0.12, "COD": None})
    assert result.factor_grades == {
        "pH": WaterGrade.CLASS_I,
        "DO": WaterGrade.CLASS_I,
        "CODMn": WaterGrade.CLASS_II,
        "NH3_N": WaterGrade.CLASS_III,
        "TP": WaterGrade.CLASS_III,
    }
    assert result.grade == WaterGrade.CLASS_III
    assert result.level == WaterQualityLevel.GOOD
    assert result.main_pollutants == ()
    assert result.assessed == ("pH", "DO", "CODMn", "NH3_N", "TP")
    assert "COD" in result.missing
    assert len(result.assessed) + len(result.missing) == 21


@pytest.mark.parametrize(
    ("grade", "level"),
    [
        ("I", WaterQualityLevel.EXCELLENT),
        ("II", WaterQualityLevel.EXCELLENT),
        ("III", WaterQualityLevel.GOOD),
        ("IV", WaterQualityLevel.LIGHTLY_POLLUTED),
        ("V", WaterQualityLevel.MODERATELY_POLLUTED),
        (WORST, WaterQualityLevel.HEAVILY_POLLUTED),
    ],
)
def test_section_level(grade: str, level: WaterQualityLevel) -> None:
    assert level_of(WaterGrade(grade)) == level


def test_grades_rank_from_i_to_worse_than_v() -> None:
    assert [grade.rank for grade in WaterGrade] == [1, 2, 3, 4, 5, 6]
    assert str(WaterGrade.WORSE_THAN_V) == "劣V"
    assert WaterGrade.WORSE_THAN_V.label == "Worse than class V"
    assert WaterQualityLevel.GOOD.label == "Good water quality"


def test_main_pollutants_by_class_then_multiple() -> None:
    # Class III limits and 超标倍数 = (C - S_III)/S_III:
    #   NH3_N 2.5  劣V  (2.5 - 1)/1     = 1.5
    #   CODMn 12   V    (12 - 6)/6      = 1.0
    #   COD   35   V    (35 - 20)/20    = 0.75 -> 0.8 (half-even: 7 is odd)
    #   TP    0.35 V    (0.35 - 0.2)/0.2 = 0.75 -> 0.8; ties COD exactly, COD comes first in Table 1
    #   BOD5  5    IV   (5 - 4)/4       = 0.25 -> 0.2 (half-even: 2 is even)
    #   DO    4    IV   no 超标倍数
    # Worst class first (NH3_N), then class V by multiple: CODMn, then COD before TP; three only.
    result = classify({"DO": 4, "CODMn": 12, "COD": 35, "BOD5": 5, "NH3_N": 2.5, "TP": 0.35})
    assert result.grade == WaterGrade.WORSE_THAN_V
    assert result.level == WaterQualityLevel.HEAVILY_POLLUTED
    assert [(e.indicator, e.grade, e.multiple) for e in result.main_pollutants] == [
        ("NH3_N", WaterGrade.WORSE_THAN_V, Decimal("1.5")),
        ("CODMn", WaterGrade.CLASS_V, Decimal("1.0")),
        ("COD", WaterGrade.CLASS_V, Decimal("0.8")),
    ]
    assert result.main_pollutants[2].ratio == Decimal("0.75")
    assert result.main_pollutants[0].value == Decimal("2.5")


def test_main_pollutants_dissolved_oxygen_has_no_multiple_and_follows_its_class() -> None:
    # Class IV: BOD5 5 (0.25 -> 0.2) and DO 4 (no multiple); NH3_N 0.9 meets III and is not listed.
    result = classify({"DO": 4, "BOD5": 5, "NH3_N": 0.9})
    assert result.grade == WaterGrade.CLASS_IV
    assert [(e.indicator, e.multiple) for e in result.main_pollutants] == [("BOD5", Decimal("0.2")), ("DO", None)]
    assert result.main_pollutants[1].ratio is None


def test_main_pollutants_list_a_worse_dissolved_oxygen_first() -> None:
    # DO 1.5 is 劣V, worse than TP 0.35 (V, 0.75): class decides before the multiple.
    result = classify({"DO": 1.5, "TP": 0.35})
    assert [e.indicator for e in result.main_pollutants] == ["DO", "TP"]


def test_ph_out_of_range_is_a_main_pollutant_without_multiple() -> None:
    result = classify({"pH": 9.5, "COD": 25})
    assert [(e.indicator, e.grade, e.multiple) for e in result.main_pollutants] == [
        ("pH", WaterGrade.WORSE_THAN_V, None),
        ("COD", WaterGrade.CLASS_IV, Decimal("0.2")),  # (25 - 20)/20 = 0.25 -> 0.2
    ]


def test_cyanide_and_heavy_metals_come_first() -> None:
    # Pb 0.06 is class V with (0.06 - 0.05)/0.05 = 0.2, yet it leads the 劣V NH3_N (1.5);
    # then class V CODMn (1.0) beats class V TP (0.75).
    result = classify({"Pb": 0.06, "NH3_N": 2.5, "CODMn": 12, "TP": 0.35})
    assert [(e.indicator, e.multiple) for e in result.main_pollutants] == [
        ("Pb", Decimal("0.2")),
        ("NH3_N", Decimal("1.5")),
        ("CODMn", Decimal("1.0")),
    ]


@pytest.mark.parametrize(
    ("codmn", "multiple"),
    [
        (6.9, "0.2"),  # 0.9/6 = 0.15 -> 0.2 (half-even rounds to the even 2)
        (7.5, "0.2"),  # 1.5/6 = 0.25 -> 0.2 (half-up would give 0.3)
        (8.1, "0.4"),  # 2.1/6 = 0.35 -> 0.4
        (6.01, "0.0"),  # 0.01/6 = 0.00166... -> 0.0
    ],
)
def test_exceedance_multiple_is_rounded_half_even_to_one_decimal(codmn: float, multiple: str) -> None:
    (main,) = classify({"CODMn": codmn}).main_pollutants
    assert main.multiple == Decimal(multiple)


def test_lake_tn_is_reported_with_its_class_but_not_graded() -> None:
    result = classify({"TP": 0.02, "TN": 1.8}, "lake")
    assert result.grade == WaterGrade.CLASS_II
    assert result.reference_grades == {"TN": WaterGrade.CLASS_V}
    assert result.values["TN"] == Decimal("1.8")
    assert result.main_pollutants == ()


def test_river_tn_and_fecal_coliform_are_reported_not_graded() -> None:
    result = classify({"COD": 10, "TN": 5, "fecal_coliform": 50000})
    assert result.grade == WaterGrade.CLASS_I
    assert result.reference_grades == {"fecal_coliform": WaterGrade.WORSE_THAN_V}
    assert result.values["TN"] == Decimal(5)
    assert "TN" not in result.factor_grades
    with pytest.raises(ValueError, match="lakes and reservoirs"):
        grade_of("TN", 1.0, "river")


@pytest.mark.parametrize("key", ["water_temp", "NH3-N", "ph", "chlorophyll_a"])
def test_unknown_key_is_refused_by_name(key: str) -> None:
    with pytest.raises(ValueError, match=key):
        classify({"COD": 10, key: 1})
    with pytest.raises(ValueError, match=key):
        period_mean([{key: 1}])
    with pytest.raises(ValueError, match=key):
        cwqi({key: 1})


@pytest.mark.parametrize("value", [-0.01, Decimal("-1"), float("nan"), float("inf"), "5", True])
def test_bad_values_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="COD"):
        classify({"COD": value})  # type: ignore[dict-item]  # deliberately wrong input


def test_none_means_not_assessed_and_no_value_at_all_is_refused() -> None:
    result = classify({"COD": 10, "DO": None})
    assert result.assessed == ("COD",)
    assert "DO" in result.missing
    with pytest.raises(ValueError, match="no assessed"):
        classify({"DO": None})
    with pytest.raises(ValueError, match="no assessed"):
        classify({"TN": 1.0}, "lake")


def test_unknown_waterbody_is_refused() -> None:
    with pytest.raises(ValueError, match="sea"):
        classify({"COD": 10}, "sea")  # type: ignore[arg-type]  # deliberately wrong input


def test_period_mean_skips_missing_values() -> None:
    samples: list[dict[str, float | None]] = [
        {"COD": 10, "DO": 8, "TP": 0.1},
        {"COD": 20, "DO": None, "TP": 0.2},
        {"COD": 15},
    ]
    # COD (10 + 20 + 15)/3 = 15; DO 8/1 = 8; TP (0.1 + 0.2)/2 = 0.15 exactly (no binary-float 0.30000000000000004).
    assert period_mean(samples) == {"COD": Decimal(15), "DO": Decimal(8), "TP": Decimal("0.15")}
    assert period_mean([]) == {}
    with pytest.raises(ValueError, match="negative"):
        period_mean([{"COD": -1}])


def test_period_mean_feeds_classify() -> None:
    # NH3_N (0.9 + 1.2)/2 = 1.05 > 1.0: class IV, 超标倍数 0.05 -> 0.0 (half-even), 0.05 exactly before rounding.
    means = period_mean([{"NH3_N": 0.9, "DO": 6.2}, {"NH3_N": 1.2, "DO": 5.8}])
    result = classify(means)
    assert result.grade == WaterGrade.CLASS_IV
    (main,) = result.main_pollutants
    assert (main.ratio, main.multiple) == (Decimal("0.05"), Decimal("0.0"))


def _sections(good: int, class_iv: int, worst: int) -> list[WaterGrade]:
    return [WaterGrade.CLASS_II] * good + [WaterGrade.CLASS_IV] * class_iv + [WaterGrade.WORSE_THAN_V] * worst


@pytest.mark.parametrize(
    ("good", "class_iv", "worst", "level"),
    [
        (9, 1, 0, WaterQualityLevel.EXCELLENT),  # I-III exactly 90%
        (5, 0, 0, WaterQualityLevel.EXCELLENT),  # 100%, the smallest river the method allows
        (89, 11, 0, WaterQualityLevel.GOOD),  # 89%
        (15, 5, 0, WaterQualityLevel.GOOD),  # exactly 75%
        (74, 26, 0, WaterQualityLevel.LIGHTLY_POLLUTED),  # 74%, 劣V 0%
        (5, 4, 1, WaterQualityLevel.LIGHTLY_POLLUTED),  # 50%, 劣V 10%
        (81, 0, 19, WaterQualityLevel.GOOD),  # 81% decides before 劣V 19%
        (60, 21, 19, WaterQualityLevel.LIGHTLY_POLLUTED),  # 劣V 19%
        (5, 3, 2, WaterQualityLevel.MODERATELY_POLLUTED),  # 劣V exactly 20%
        (50, 11, 39, WaterQualityLevel.MODERATELY_POLLUTED),  # 劣V 39%
        (5, 1, 4, WaterQualityLevel.HEAVILY_POLLUTED),  # 劣V exactly 40%
        (6, 0, 4, WaterQualityLevel.HEAVILY_POLLUTED),  # I-III 60%, 劣V 40% (see docs: the "< 60%" wording)
        (0, 0, 5, WaterQualityLevel.HEAVILY_POLLUTED),  # all 劣V
    ],
)
def test_river_level_by_class_proportion(good: int, class_iv: int, worst: int, level: WaterQualityLevel) -> None:
    assert river_level(_sections(good, class_iv, worst)) == level


def test_river_level_needs_five_sections() -> None:
    with pytest.raises(ValueError, match="at least 5"):
        river_level(_sections(4, 0, 0))


# One sample worked by hand, CWQI(i) = C/S_III, DO S_III/C, pH piecewise around 7:
#   pH 7.5 -> (7.5 - 7)/2 = 0.25        DO 6 -> 5/6 = 0.8333...     CODMn 3/6 = 0.5     COD 12/20 = 0.6
#   BOD5 2/4 = 0.5      NH3_N 0.5/1 = 0.5      TP 0.1/0.2 = 0.5 (lake: 0.1/0.05 = 2)
#   Cu 0.01/1 = 0.01    Zn 0.05/1 = 0.05       F 0.5/1 = 0.5       Se 0.0005/0.01 = 0.05
#   As 0.001/0.05 = 0.02     Hg 0.00002/0.0001 = 0.2    Cd 0.0005/0.005 = 0.1    Cr6 0.004/0.05 = 0.08
#   Pb 0.001/0.05 = 0.02     CN 0.002/0.2 = 0.01        phenol 0.0003/0.005 = 0.06
#   petroleum 0.01/0.05 = 0.2     LAS 0.025/0.2 = 0.125     sulfide 0.005/0.2 = 0.025
# Sum without DO = 4.3; with DO 5.1333... -> 5.1333. Lake: 5.1333... + 1.5 = 6.6333... -> 6.6333.
CWQI_SAMPLE: dict[str, float | None] = {
    "pH": 7.5, "DO": 6, "CODMn": 3, "COD": 12, "BOD5": 2, "NH3_N": 0.5, "TP": 0.1,
    "Cu": 0.01, "Zn": 0.05, "F": 0.5, "Se": 0.0005, "As": 0.001, "Hg": 0.00002, "Cd": 0.0005, "Cr6": 0.004,
    "Pb": 0.001, "CN": 0.002, "phenol": 0.0003, "petroleum": 0.01, "LAS": 0.025, "sulfide": 0.005,
    "TN": 3.0, "fecal_coliform": 9000,
}  # fmt: skip


def test_cwqi_worked_sample() -> None:
    result = cwqi(CWQI_SAMPLE)
    assert result.total == Decimal("5.1333")
    assert result.missing == ()
    assert result.indicators["pH"] == Decimal("0.25")
    assert result.indicators["DO"] == Decimal(5) / Decimal(6)
    assert result.indicators["LAS"] == Decimal("0.125")
    assert set(result.indicators) == set(ASSESSED)  # TN and fecal coliform take no part
    assert sum(value for key, value in result.indicators.items() if key != "DO") == Decimal("4.3")


def test_cwqi_lake_uses_the_lake_tp_limit() -> None:
    result = cwqi(CWQI_SAMPLE, "lake")
    assert result.indicators["TP"] == Decimal(2)
    assert result.total == Decimal("6.6333")


@pytest.mark.parametrize(("ph", "index"), [(6, "1"), (6.5, "0.5"), (7, "0"), (8, "0.5"), (9, "1"), (5, "2")])
def test_cwqi_of_ph(ph: float, index: str) -> None:
    assert cwqi_of("pH", ph) == Decimal(index)


def test_cwqi_total_rounds_half_even_to_four_decimals() -> None:
    # COD 0.005/20 = 0.00025 -> 0.0002 (half-up would give 0.0003); 0.003/20 = 0.00015 -> 0.0002.
    assert cwqi({"COD": Decimal("0.005")}).total == Decimal("0.0002")
    assert cwqi({"COD": Decimal("0.003")}).total == Decimal("0.0002")


def test_cwqi_reports_missing_indicators_and_refuses_impossible_ones() -> None:
    result = cwqi({"COD": 20, "NH3_N": None})
    assert result.total == Decimal("1.0000")
    assert len(result.missing) == 20
    with pytest.raises(ValueError, match="DO"):
        cwqi({"DO": 0})
    with pytest.raises(ValueError, match="no CWQI"):
        cwqi({"TN": 1.0})
    with pytest.raises(ValueError, match="TN"):
        cwqi_of("TN", 1.0)


@pytest.mark.parametrize(
    ("now", "base", "change"),
    [
        (4.5, 5, "-10.00"),  # (4.5 - 5)/5 x 100
        (3.0229, 3.1, "-2.49"),  # -0.0771/3.1 x 100 = -2.48709...
        (Decimal("1.00125"), 1, "0.12"),  # 0.125% -> 0.12 half-even (half-up would give 0.13)
        (5, 5, "0.00"),
        (6, 4, "50.00"),
    ],
)
def test_cwqi_change_in_percent(now: float | Decimal, base: float, change: str) -> None:
    assert cwqi_change(now, base) == Decimal(change)


def test_cwqi_change_needs_a_base() -> None:
    with pytest.raises(ValueError, match="base"):
        cwqi_change(3, 0)


POLLUTANTS_AT_MOST = [key for key in BOUNDARIES if key != "DO"]
concentrations = st.decimals(min_value=0, max_value=50, places=6, allow_nan=False, allow_infinity=False)
increases = st.decimals(min_value=0, max_value=10, places=6, allow_nan=False, allow_infinity=False)
samples = st.fixed_dictionaries(
    {key: concentrations for key in POLLUTANTS_AT_MOST}
    | {"DO": st.decimals(min_value=0, max_value=15, places=2), "pH": st.decimals(min_value=5, max_value=10, places=2)}
)


@given(sample=samples, indicator=st.sampled_from(POLLUTANTS_AT_MOST), step=increases, lake=st.booleans())
def test_raising_a_pollutant_never_improves_the_class(
    sample: dict[str, Decimal], indicator: str, step: Decimal, lake: bool
) -> None:
    waterbody: Waterbody = "lake" if lake else "river"
    before = classify(sample, waterbody)
    after = classify(sample | {indicator: sample[indicator] + step}, waterbody)
    assert after.grade.rank >= before.grade.rank
    assert after.factor_grades[indicator].rank >= before.factor_grades[indicator].rank


@given(sample=samples, step=increases)
def test_raising_dissolved_oxygen_never_worsens_the_class(sample: dict[str, Decimal], step: Decimal) -> None:
    before = classify(sample)
    after = classify(sample | {"DO": sample["DO"] + step})
    assert after.grade.rank <= before.grade.rank
    assert after.factor_grades["DO"].rank <= before.factor_grades["DO"].rank
