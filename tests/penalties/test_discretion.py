"""The discretion benchmark: the default table is valid, and recommendations worked out by hand."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from ecoloop.penalties import discretion
from ecoloop.penalties.enums import DecisionKind
from ecoloop.penalties.service import default_benchmark_json


@pytest.fixture
def table() -> discretion.Benchmark:
    return discretion.check(default_benchmark_json())


def test_default_table_is_valid_and_round_trips(table: discretion.Benchmark) -> None:
    assert discretion.check(discretion.as_json(table)) == table
    air = table.violation("AIR-EXCEED")
    assert air is not None
    assert (air.minimum, air.maximum) == (Decimal(100000), Decimal(1000000))
    assert "第九十九条" in air.basis
    water = table.violation("WATER-EXCEED")
    assert water is not None and "第八十三条" in water.basis
    eia = table.violation("EIA-UNAPPROVED")
    assert eia is not None and "第三十一条" in eia.basis and eia.base


@pytest.mark.parametrize(
    ("violation", "levels", "amount", "low", "high", "score"),
    [
        # S = (0.30*0.6 + 0.20*0.4 + 0.20*0 + 0.15*0 + 0.15*0.4) / 1.00 = 0.32; A = 100000 + 900000*0.32 = 388000;
        # band 10 % of 900000 = 90000.
        (
            "AIR-EXCEED",
            {"exceed": "lt3", "duration": "lt7d", "sensitive": "none", "repeat": "first", "rectify": "in_time"},
            388000,
            298000,
            478000,
            "0.32",
        ),
        # Only 超标3倍以上 chosen: S = 0.30*1 / 1.00 = 0.30; A = 100000 + 270000.
        ("AIR-EXCEED", {"exceed": "ge3"}, 370000, 280000, 460000, "0.3"),
        # Every factor at its heaviest: A = max, the range's top cut at the maximum.
        (
            "AIR-EXCEED",
            {"exceed": "ge3", "duration": "ge30d", "sensitive": "within", "repeat": "more", "rectify": "none"},
            1000000,
            910000,
            1000000,
            "1",
        ),
        # 2万-20万 over three factors weighing 0.50: S = (0.20*1 + 0.15*0.5 + 0.15*1) / 0.50 = 0.85;
        # A = 20000 + 180000*0.85 = 173000; band 18000.
        ("AIR-MONITOR", {"duration": "ge30d", "repeat": "second", "rectify": "none"}, 173000, 155000, 191000, "0.85"),
        # Nothing chosen: the minimum.
        ("WATER-EXCEED", {}, 100000, 100000, 190000, "0"),
    ],
)
def test_recommendation(
    table: discretion.Benchmark, violation: str, levels: dict[str, str], amount: int, low: int, high: int, score: str
) -> None:
    advice = discretion.recommend(table, violation, levels)
    assert advice.outcome is DecisionKind.PENALTY
    assert (advice.amount, advice.low, advice.high) == (Decimal(amount), Decimal(low), Decimal(high))
    assert advice.score == Decimal(score)


def test_share_of_investment(table: discretion.Benchmark) -> None:
    # 环境影响评价法 第三十一条: 1 %-5 % of 3,456,789 yuan = 34,567.89-172,839.45; S = 0: A = 34,567.89 rounded to
    # the hundred = 34,600; band 13,827.156 → high 48,427.156 rounded 48,400.
    advice = discretion.recommend(table, "EIA-UNAPPROVED", {}, base_amount=Decimal(3456789))
    assert advice.statutory_min == Decimal("34567.89")
    assert advice.statutory_max == Decimal("172839.45")
    assert (advice.amount, advice.low, advice.high) == (Decimal(34600), Decimal("34567.89"), Decimal(48400))
    with pytest.raises(discretion.BenchmarkError) as refused:
        discretion.recommend(table, "EIA-UNAPPROVED", {})
    assert refused.value.code == "base_missing"
    # A base beyond a trillion yuan is a typing error, refused (it overflowed the arithmetic: a 500 page).
    for absurd in (Decimal("1e30"), Decimal(10) ** 12 + 1, Decimal(-5)):
        with pytest.raises(discretion.BenchmarkError) as refused:
            discretion.recommend(table, "EIA-UNAPPROVED", {}, base_amount=absurd)
        assert refused.value.code == "base_missing"


def test_no_penalty_condition_changes_the_outcome_with_its_reason(table: discretion.Benchmark) -> None:
    advice = discretion.recommend(table, "AIR-EXCEED", {"exceed": "lt05"}, conditions=("minor",))
    assert advice.outcome is DecisionKind.NO_PENALTY
    assert advice.amount == 0
    assert any("第三十三条第一款" in reason and "违法行为轻微" in reason for reason in advice.reasons)


def test_first_violation_only_for_its_listed_violations(table: discretion.Benchmark) -> None:
    # 首违不罚 is listed for the monitoring and labelling violations, not for emissions over the limit.
    assert discretion.recommend(table, "AIR-MONITOR", {}, conditions=("first",)).outcome is DecisionKind.NO_PENALTY
    assert discretion.recommend(table, "AIR-EXCEED", {}, conditions=("first",)).outcome is DecisionKind.PENALTY


def test_reduction_goes_below_the_minimum(table: discretion.Benchmark) -> None:
    # 第三十二条第一项: the minimum 100,000 × 0.50 = 50,000, up to (not including) the minimum.
    advice = discretion.recommend(table, "AIR-EXCEED", {"exceed": "ge3"}, conditions=("remedied",))
    assert advice.outcome is DecisionKind.REDUCED
    # 100,000 × 50 %, up to 100 yuan below the minimum (a fine of the minimum itself is no reduction).
    assert (advice.amount, advice.low, advice.high) == (Decimal(50000), Decimal(50000), Decimal(99900))
    assert any("第三十二条第一项" in reason for reason in advice.reasons)
    both = discretion.recommend(table, "AIR-EXCEED", {}, conditions=("remedied", "no_fault"))
    assert both.outcome is DecisionKind.NO_PENALTY


@pytest.mark.parametrize(
    ("levels", "conditions", "code"),
    [({"exceed": "x"}, (), "unknown_level"), ({}, ("nope",), "unknown_condition")],
)
def test_unknown_inputs_refused(
    table: discretion.Benchmark, levels: dict[str, str], conditions: tuple[str, ...], code: str
) -> None:
    with pytest.raises(discretion.BenchmarkError) as refused:
        discretion.recommend(table, "AIR-EXCEED", levels, conditions=conditions)
    assert refused.value.code == code


def _broken(change: str) -> dict[str, Any]:
    data = copy.deepcopy(default_benchmark_json())
    if change == "duplicate":
        data["violations"].append(data["violations"][0])
    elif change == "range":
        data["violations"][0]["minimum"] = "2000000"
    elif change == "unknown_factor":
        data["violations"][0]["factors"].append("nope")
    elif change == "score":
        data["factors"][0]["levels"][0]["score"] = "1.5"
    elif change == "category":
        data["violations"][0]["category"] = "weather"
    elif change == "shape":
        del data["factors"]
    return data


@pytest.mark.parametrize("change", ["duplicate", "range", "unknown_factor", "score", "category", "shape"])
def test_broken_tables_refused(change: str) -> None:
    with pytest.raises(discretion.BenchmarkError) as refused:
        discretion.check(_broken(change))
    assert refused.value.code == change
