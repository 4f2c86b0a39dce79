"""Findings as Chinese sentences (issue 13 §11: alert pages showed "level 6category severely_polluted")."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ecoloop.alerts.findings import describe, number
from ecoloop.alerts.rules import RuleKind

TZ = ZoneInfo("Asia/Shanghai")
T = "2026-12-06T00:00:00+00:00"


@pytest.mark.parametrize(
    ("kind", "finding", "sentence"),
    [
        (
            RuleKind.SOURCE_EXCEEDANCE,
            {
                "parameter": "a21026",
                "time": T,
                "observed": "123.40",
                "reference": "100",
                "averaging": "hour",
                "multiple": "0.234",
                "unit": "mg/m³",
            },
            "2026-12-06 08:00 1号排放口 二氧化硫 小时均值 123.4 mg/m³，超过许可限值 100 mg/m³（超标 0.23 倍）",
        ),
        (
            RuleKind.AQI_LEVEL,
            {
                "parameter": "AQI",
                "time": T,
                "observed": "320",
                "reference": "200",
                "level": 6,
                "category": "severely_polluted",
                "period": "day",
                "scope": "site",
            },
            "2026-12-06 08:00 1号排放口 日 AQI 320，6 级（严重污染），达到预警阈值 200",
        ),
        (
            RuleKind.AIR_HOTSPOT,
            {
                "parameter": "a34004",
                "time": T,
                "observed": "210",
                "reference": "55",
                "neighbours": 4,
                "radius_km": "5",
                "difference": "155",
            },
            "2026-12-06 08:00 1号排放口 PM2.5 210 µg/m³，比周边 5 千米内 4 个站点的中位数 55 高 155",
        ),
        (
            RuleKind.WATER_BELOW_TARGET,
            {
                "parameter": "NH3_N",
                "time": T,
                "observed": "2.1",
                "reference": "1.0",
                "grade": "劣V",
                "target": "III",
                "indicators": ["NH3_N", "TP"],
                "waterbody": "river",
            },
            "2026-12-06 08:00 1号排放口 水质为劣Ⅴ类，未达到Ⅲ类目标；超标指标：氨氮、总磷（氨氮 2.1 mg/L，目标限值 1）",
        ),
        (
            RuleKind.DEVICE_SILENT,
            {"parameter": None, "time": T, "observed": "7200", "reference": "3600", "last_seen": T},
            "2026-12-06 08:00 1号排放口 已 120 分钟无数据（允许 60 分钟）；最后数据时间 2026-12-06 08:00",
        ),
        (
            RuleKind.DEVICE_HIDDEN_EXCEEDANCE,
            {
                "parameter": "a34013",
                "time": T,
                "observed": "35",
                "reference": "10",
                "flag": "M",
                "count": 3,
                "min_count": 3,
                "window_h": "24",
                "unit": "mg/m³",
            },
            "2026-12-06 08:00 1号排放口 颗粒物 35 mg/m³，超过限值 10 mg/m³，但标记为“维护”；24 小时内已有 3 个此类数据",
        ),
        (
            RuleKind.NOISE_EXCEEDANCE,
            {
                "parameter": "Leq",
                "time": "2026-12-06T15:00:00+00:00",
                "observed": "46.0",
                "reference": "45",
                "zone": "1",
                "period": "night",
                "excess": "1.0",
            },
            "2026-12-06 23:00 1号排放口 夜间等效声级 46 dB(A)，超过1类声环境功能区夜间限值 45 dB(A) 1 dB",
        ),
        (
            RuleKind.NOISE_EXCEEDANCE,
            {
                "parameter": "LMx",
                "time": "2026-12-06T15:00:00+00:00",
                "observed": "66.5",
                "reference": "65",
                "zone": "2",
                "period": "night",
                "excess": "1.5",
            },
            "2026-12-06 23:00 1号排放口 夜间最大声级 66.5 dB(A)，超过2类声环境功能区夜间突发噪声最大声级限值 65 dB(A)"
            "（夜间限值加 15 dB）1.5 dB",
        ),
    ],
)
def test_findings_read_as_sentences(kind: RuleKind, finding: dict[str, object], sentence: str) -> None:
    assert describe(kind, finding, where="1号排放口", zone=TZ) == sentence


def test_a_finding_that_cannot_be_read_in_full_gets_the_general_sentence() -> None:
    broken = {"parameter": "w01018", "time": "yesterday", "observed": "60", "reference": "50", "averaging": "week"}
    assert describe(RuleKind.SOURCE_EXCEEDANCE, broken, where="排口", zone=TZ) == "排口 化学需氧量 60 mg/L（参考值 50）"
    assert describe("retired_kind", {"observed": 1}, where="站", zone=TZ) == "站 1"


@pytest.mark.parametrize(("value", "shown"), [("123.40", "123.4"), ("1E+2", "100"), (None, ""), ("n/a", "n/a")])
def test_numbers_are_shown_without_trailing_zeros(value: object, shown: str) -> None:
    assert number(value) == shown
