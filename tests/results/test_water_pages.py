"""How the water pages show kept results: means to their decimals, main pollutants in words, the limits charted."""

from __future__ import annotations

import pytest

from ecoloop.i18n import use_locale
from ecoloop.results.water_pages import indicator_chart, limit_lines, main_text, nice_ceiling, shown
from ecoloop.standards.water import WaterGrade


@pytest.mark.parametrize(
    ("indicator", "value", "text"),
    [
        ("NH3_N", 0.2535, "0.254"),
        ("NH3_N", 0.2545, "0.254"),
        ("DO", 6.5, "6.50"),
        ("CODMn", 4.25, "4.2"),
        ("TP", None, ""),
    ],
)
def test_a_mean_is_shown_to_its_decimals_half_to_even(indicator: str, value: float | None, text: str) -> None:
    assert shown(indicator, value) == text


def test_main_pollutants_in_words() -> None:
    with use_locale("zh_CN"):
        assert (
            main_text([("TP", "2.0"), ("NH3_N", "1.5"), ("DO", None)]) == "总磷（超标2.0倍）、氨氮（超标1.5倍）、溶解氧"
        )
        assert main_text([]) == ""


@pytest.mark.parametrize(
    ("indicator", "grade", "limits"),
    [
        ("NH3_N", WaterGrade.CLASS_III, [1.0]),  # GB 3838-2002 Table 1: NH3-N class III 1.0 mg/L
        ("DO", WaterGrade.CLASS_II, [6.0]),  # DO class II at least 6 mg/L
        ("TP", WaterGrade.CLASS_IV, [0.3]),  # river TP class IV 0.3 mg/L
        ("pH", WaterGrade.CLASS_II, [6.0, 9.0]),
        ("TN", WaterGrade.CLASS_III, []),  # classed for lakes only
    ],
)
def test_the_limits_an_indicator_is_charted_against(indicator: str, grade: WaterGrade, limits: list[float]) -> None:
    assert [value for _name, value in limit_lines(indicator, grade)] == limits


def test_a_limit_above_the_data_stays_on_the_chart() -> None:
    assert [nice_ceiling(v) for v in (6.59, 0.0173, 10.0, 0.22)] == [7.0, 0.02, 10.0, 0.25]
    option = indicator_chart("NH3_N", [], {}, WaterGrade.CLASS_II)
    assert option["yAxis"] == {"type": "value", "min": 0, "max": 0.55}  # the class II limit 0.5, plus a tenth
