"""Concentration limits of the basic items of GB 3095 (ambient air quality standard): 2012 and 2026 editions.

GB 3095-2012 Table 1 applies before 2026-03-01. GB 3095-2026 took effect on 2026-03-01 with transition limits
up to 2030-12-31 and final limits from 2031-01-01 (GB 3095-2026 Table 1 and its implementation clause).
Units: µg/m³, CO in mg/m³; gases at the reference state 298.15 K, 1013.25 hPa; particulate matter at actual
conditions (GB 3095-2026 §4.3). See docs/standards/gb3095-hj663-evaluation.md.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from ecoloop.standards.editions import EDITION_2026_START

AreaClass = Literal["I", "II"]
LimitStage = Literal["2012", "2026-transition", "2026-final"]
LIMIT_STAGES: tuple[LimitStage, ...] = ("2012", "2026-transition", "2026-final")

POLLUTANTS: tuple[str, ...] = ("SO2", "NO2", "CO", "O3", "PM10", "PM2_5")
AVERAGINGS: tuple[str, ...] = ("annual", "24h", "8h", "1h")

# GB 3095-2026: the final limits apply from 2031-01-01; the transition limits from 2026-03-01 to 2030-12-31.
GB3095_2026_FINAL_START = date(2031, 1, 1)

# (pollutant, averaging) → class I and class II limits for GB 3095-2012 Table 1, the GB 3095-2026 transition
# limits and the GB 3095-2026 final limits, in that order. "8h" is the O3 daily maximum 8-hour mean (MDA8).
_TABLE_1: dict[tuple[str, str], tuple[str, str, str, str, str, str]] = {
    ("SO2", "annual"): ("20", "60", "20", "60", "20", "20"),
    ("SO2", "24h"): ("50", "150", "50", "150", "50", "50"),
    ("SO2", "1h"): ("150", "500", "150", "500", "150", "150"),
    ("NO2", "annual"): ("40", "40", "40", "40", "30", "30"),
    ("NO2", "24h"): ("80", "80", "80", "80", "50", "50"),
    ("NO2", "1h"): ("200", "200", "200", "200", "200", "200"),
    ("CO", "24h"): ("4", "4", "4", "4", "4", "4"),
    ("CO", "1h"): ("10", "10", "10", "10", "10", "10"),
    ("O3", "8h"): ("100", "160", "100", "160", "100", "160"),
    ("O3", "1h"): ("160", "200", "160", "200", "160", "200"),
    ("PM10", "annual"): ("40", "70", "40", "60", "20", "50"),
    ("PM10", "24h"): ("50", "150", "50", "120", "50", "100"),
    ("PM2_5", "annual"): ("15", "35", "15", "30", "10", "25"),
    ("PM2_5", "24h"): ("35", "75", "35", "60", "25", "50"),
}


def limit_stage(day: date) -> LimitStage:
    """The set of GB 3095 limits in force on `day`: 2012 Table 1, the 2026 transition limits or the 2026 final
    limits (GB 3095-2026, in force 2026-03-01; Table 1: transition limits to 2030-12-31, final from 2031-01-01)."""
    if day >= GB3095_2026_FINAL_START:
        return "2026-final"
    if day >= EDITION_2026_START:
        return "2026-transition"
    return "2012"


def stage_limits(stage: LimitStage, class_: AreaClass = "II") -> dict[tuple[str, str], Decimal]:
    """Limits of the basic items keyed by (pollutant, averaging) for one stage and area class (GB 3095 Table 1)."""
    if stage not in LIMIT_STAGES:
        raise ValueError(f"unknown limit stage {stage!r}; use one of {', '.join(LIMIT_STAGES)}")
    if class_ not in ("I", "II"):
        raise ValueError(f"unknown area class {class_!r}; use 'I' or 'II'")
    column = 2 * LIMIT_STAGES.index(stage) + (1 if class_ == "II" else 0)
    return {key: Decimal(row[column]) for key, row in _TABLE_1.items()}


def limits(day: date, class_: AreaClass = "II") -> dict[tuple[str, str], Decimal]:
    """Limits of the basic items in force on `day` for area class I or II (GB 3095-2012 Table 1;
    GB 3095-2026 Table 1, transition and final limits), keyed by (pollutant, averaging)."""
    return stage_limits(limit_stage(day), class_)


def class_ii_limits(day: date) -> dict[tuple[str, str], Decimal]:
    """Class II limits (residential, mixed, cultural, industrial and rural areas; GB 3095 §4.1) in force on
    `day` (GB 3095-2012 Table 1; GB 3095-2026 Table 1), keyed by (pollutant, averaging): averaging "annual",
    "24h", "8h" (O3 MDA8) or "1h"."""
    return stage_limits(limit_stage(day), "II")
