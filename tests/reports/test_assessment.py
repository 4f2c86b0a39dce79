"""The monthly assessment's scores, totals, ranks and the ecological compensation, worked by hand
(docs/reports-assessment.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecoloop.i18n import use_locale
from ecoloop.reports import assessment
from ecoloop.reports.assessment import CountyInputs, SectionClasses
from ecoloop.reports.config import Config, check
from ecoloop.standards.water import WaterGrade

D = Decimal
G = WaterGrade
DAYS = 62  # two stations x 31 days


def _this_month() -> dict[str, CountyInputs]:
    return {
        "A": CountyInputs(D("3.00"), D("-5.00"), 2, 2, 4, 3, DAYS, 60, 2),
        "B": CountyInputs(D("3.50"), D("2.00"), 2, 1, 0, 0, DAYS, 62, 5),
        "C": CountyInputs(D("4.00"), D("0.00"), 1, 0, 2, 2, DAYS, 31, 2),
        "D": CountyInputs(D("3.80"), D("-1.00"), 0, 0, 3, 0, DAYS, 59, 0),
    }


def _last_month() -> dict[str, CountyInputs]:
    found = _this_month()
    found["D"] = CountyInputs(D("4.50"), D("10.00"), 0, 0, 3, 0, DAYS, 59, 9)
    return found


def test_component_scores_by_rank_and_by_share() -> None:
    scores = assessment.component_scores(_this_month())
    # Composite index 3.00 < 3.50 < 3.80 < 4.00: four ranked, each place 25 points less.
    assert {k: s["air_quality"] for k, s in scores.items()} == {"A": 100, "B": 75, "C": 25, "D": 50}
    # Change rates -5 < -1 < 0 < 2: the most improved first.
    assert {k: s["improvement"] for k, s in scores.items()} == {"A": 100, "B": 25, "C": 50, "D": 75}
    # 2 of 2, 1 of 2, 0 of 1 sections meet their target; D has no judged section: not assessed.
    assert {k: s["water"] for k, s in scores.items()} == {"A": 100, "B": 50, "C": 0, "D": None}
    # 3 of 4 due closed on time; none due is 100; 0 of 3.
    assert {k: s["cases_on_time"] for k, s in scores.items()} == {"A": 75, "B": 100, "C": 100, "D": 0}
    assert [str(scores[k]["cases_on_time"]) for k in "ABD"] == ["75.00", "100.00", "0.00"]  # printed to 0.01
    # 60/62 = 96.774… → 96.77; 59/62 = 95.161… → 95.16.
    assert {k: s["data_quality"] for k, s in scores.items()} == {"A": D("96.77"), "B": 100, "C": 50, "D": D("95.16")}
    # Complaints 0 < 2 = 2 < 5: A and C tie second, B is fourth.
    assert {k: s["complaints"] for k, s in scores.items()} == {"A": 75, "B": 25, "C": 75, "D": 100}


def test_a_county_moves_from_last_to_third() -> None:
    config = Config()
    before = assessment.assess(_last_month(), config)
    now = assessment.assess(_this_month(), config)
    # D last month: (30x25 + 20x25 + 15x0 + 10x95.16 + 10x25) / 85 (no water) = 2451.6 / 85 = 28.842… → 28.84.
    assert {k: (s.total, s.rank) for k, s in before.items()} == {
        "A": (D("95.93"), 1),  # 9592.7 / 100
        "B": (D("70.00"), 2),
        "C": (D("60.00"), 3),
        "D": (D("28.84"), 4),
    }
    # D this month: (30x50 + 20x75 + 15x0 + 10x95.16 + 10x100) / 85 = 4951.6 / 85 = 58.254… → 58.25.
    assert {k: (s.total, s.rank) for k, s in now.items()} == {
        "A": (D("93.43"), 1),  # (3000 + 2000 + 1500 + 1125 + 967.7 + 750) / 100 = 93.427
        "B": (D("62.50"), 2),
        "C": (D("45.00"), 4),
        "D": (D("58.25"), 3),
    }
    assert assessment.movement(now["D"].rank, before["D"].rank) == 1
    assert assessment.movement(now["C"].rank, before["C"].rank) == -1
    assert assessment.movement(now["A"].rank, before["A"].rank) == 0
    assert assessment.movement(None, 2) is None


def test_weights_need_not_sum_to_100() -> None:
    hundred = Config()
    doubled = check({"weights": {k: str(v * 2) for k, v in hundred.weights.items()}})
    assert sum(doubled.weights.values()) == 200
    assert assessment.assess(_this_month(), doubled) == assessment.assess(_this_month(), hundred)
    air_only = check({"weights": {"air_quality": "100"} | dict.fromkeys(("improvement", "water"), "0")
                      | dict.fromkeys(("cases_on_time", "data_quality", "complaints"), "0")})  # fmt: skip
    found = assessment.assess(_this_month(), air_only)
    assert {k: (s.total, s.rank) for k, s in found.items()} == {
        "A": (D("100.00"), 1),
        "B": (D("75.00"), 2),
        "C": (D("25.00"), 4),
        "D": (D("50.00"), 3),
    }


def test_a_county_without_any_assessed_component_has_no_rank() -> None:
    found = assessment.assess({"A": CountyInputs(composite=D("3.00")), "B": CountyInputs()}, Config())
    # Nobody has cases due (100 each) and both have no complaints (both first, 100): B is still assessed on those.
    assert found["B"].components["air_quality"] is None and found["B"].total == D("100.00")
    only_air = check({"weights": {"air_quality": "10"} | {k: "0" for k in Config().weights if k != "air_quality"}})
    found = assessment.assess({"A": CountyInputs(composite=D("3.00")), "B": CountyInputs()}, only_air)
    assert (found["A"].total, found["A"].rank) == (D("100.00"), 1)
    assert (found["B"].total, found["B"].rank) == (None, None)


@pytest.mark.parametrize(
    ("pm25", "target", "amount", "text"),
    [
        # Above the target: the county pays (38 - 35) x 100,000.00.
        ("38", 35, "-300000.00", "（38−35）µg/m³ × 100,000.00元/（µg/m³）= 300,000.00元，缴纳"),
        # Below: it receives (35 - 31) x 50,000.00 (the reward rate).
        ("31", 35, "200000.00", "（35−31）µg/m³ × 50,000.00元/（µg/m³）= 200,000.00元，获得"),
        ("35", 35, "0.00", "（35−35）µg/m³ × 50,000.00元/（µg/m³）= 0.00元，不奖不罚"),
    ],
)
def test_pm25_compensation_worked_by_hand(pm25: str, target: int, amount: str, text: str) -> None:
    config = check({"pm25_penalty": "100000", "pm25_reward": "50000"})
    found = assessment.pm25_compensation(D(pm25), target, config)
    assert found is not None
    assert found.amount == D(amount) and str(found.amount) == amount  # yuan to the fen
    assert found.calculation == text
    assert assessment.pm25_compensation(None, 35, config) is None
    assert assessment.pm25_compensation(D(pm25), None, config) is None


def test_pm25_compensation_in_english() -> None:
    with use_locale("en"):
        found = assessment.pm25_compensation(D("38"), 35, Config())
    assert found is not None
    assert found.calculation == "(38 - 35) µg/m³ x 100,000.00 yuan/(µg/m³) = 300,000.00 yuan, paid"


@pytest.mark.parametrize(
    ("before", "now", "amount", "text"),
    [
        (G.CLASS_IV, G.CLASS_III, "200000.00", "去年同期Ⅳ类、本月Ⅲ类：（4−3）级{rate}200,000.00元，获得"),
        (G.CLASS_II, G.CLASS_III, "-200000.00", "去年同期Ⅱ类、本月Ⅲ类：（3−2）级{rate}200,000.00元，缴纳"),
        (G.WORSE_THAN_V, G.CLASS_III, "600000.00", "去年同期劣Ⅴ类、本月Ⅲ类：（6−3）级{rate}600,000.00元，获得"),
        (G.CLASS_III, G.CLASS_III, "0.00", "去年同期Ⅲ类、本月Ⅲ类：（3−3）级{rate}0.00元，不奖不罚"),
    ],
)  # fmt: skip
def test_water_compensation_per_class_level(before: WaterGrade, now: WaterGrade, amount: str, text: str) -> None:
    found = assessment.water_compensation(SectionClasses("wq-1", "上游断面", now, before), Config())
    assert found is not None
    expected = text.format(rate=" × 200,000.00元/级 = ")
    assert (found.subject, found.amount, found.calculation) == ("上游断面", D(amount), expected)


def test_a_countys_compensation_and_its_balance() -> None:
    inputs = CountyInputs(
        pm25=D("38"),
        pm25_target=35,
        sections=(
            SectionClasses("wq-1", "上游断面", WaterGrade.CLASS_III, WaterGrade.CLASS_IV),
            SectionClasses("wq-2", "水库断面", WaterGrade.CLASS_II, None),  # not classed last year: no amount
        ),
    )
    found = assessment.compensation(inputs, Config())
    assert [(c.item, c.amount) for c in found] == [("pm25", D("-300000.00")), ("water", D("200000.00"))]
    assert assessment.balance(found) == (D("200000.00"), D("300000.00"), D("-100000.00"))
    assert assessment.money(D("-100000.00")) == "\u2212100,000.00"
