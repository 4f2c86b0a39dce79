"""Planted daily air results of areas (`AIR_DAY_AREA`), written with `results.store.write` as the results job
writes them: three counties over four days of January 2026 and of January 2025, worked by hand.

County 1 and county 2 tie on the composite index 3.85 (published to 2 decimals) by different items; county 3 is
worse. Each day's values are constant except PM2.5 (34, 35, 36, 35: mean 35) and the AQI.

Composite index (GB 3095-2012 class II S_i): SO2/60 + NO2/40 + PM10/70 + PM2.5/35 + CO P95/4 + O3 P90/160.
- county 1: 6/60 + 20/40 + 70/70 + 35/35 + 1.0/4 + 160/160 = 0.1 + 0.5 + 1 + 1 + 0.25 + 1 = 3.85
- county 2: 12/60 + 16/40 + 70/70 + 35/35 + 1.0/4 + 160/160 = 0.2 + 0.4 + 1 + 1 + 0.25 + 1 = 3.85
- county 3: 6/60 + 20/40 + 140/70 + 70/35 + 1.0/4 + 160/160 = 0.1 + 0.5 + 2 + 2 + 0.25 + 1 = 5.85
A year earlier every county had PM2.5 40 (and so 35/35 → 40/35 in the index: +1/7).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from ecoloop.results import store
from ecoloop.results.air import AIR_DAY_AREA

PM25_DAYS = (34.0, 35.0, 36.0, 35.0)
COUNTY_ITEMS = {
    1: {"SO2_24h": 6.0, "NO2_24h": 20.0, "PM10_24h": 70.0},
    2: {"SO2_24h": 12.0, "NO2_24h": 16.0, "PM10_24h": 70.0},
    3: {"SO2_24h": 6.0, "NO2_24h": 20.0, "PM10_24h": 140.0},
}
# AQI of each day and its level: county 1 two good days of four (50.0 %), one heavy day (AQI 210).
COUNTY_AQI = {1: (50, 80, 120, 210), 2: (40, 60, 90, 100), 3: (120, 160, 220, 310)}


def _level(aqi: int) -> int:
    for level, upper in enumerate((50, 100, 150, 200, 300), start=1):
        if aqi <= upper:
            return level
    return 6


def daily_rows(region_ids: dict[int, int], year: int, current: int = 2026) -> pa.Table:
    """Four days (1-4 January of `year`) of the three planted counties, `region_ids` mapping 1, 2, 3 to ids; the
    year before `current` has PM2.5 40 everywhere."""
    rows: list[dict[str, Any]] = []
    for county, region_id in region_ids.items():
        for n in range(4):
            pm25 = PM25_DAYS[n] * (2 if county == 3 else 1) if year == current else 40.0
            aqi = COUNTY_AQI[county][n]
            rows.append(
                {
                    "region_id": region_id,
                    "day": date(year, 1, n + 1),
                    "stations": 2,
                    **COUNTY_ITEMS[county],
                    "PM2_5_24h": pm25,
                    "CO_24h": 1.0,
                    "O3_8h": 160.0,
                    "O3_1h": 180.0,
                    "aqi": aqi,
                    "level": _level(aqi),
                    "complete": True,
                }
            )
    columns = {f.name: [r.get(f.name) for r in rows] for f in AIR_DAY_AREA.schema}
    return pa.table(columns, schema=AIR_DAY_AREA.schema)


def plant(root: Path, region_ids: dict[int, int], current: int = 2026) -> None:
    """The planted days of January of `current` and of the year before, as the results job keeps them."""
    for year in (current - 1, current):
        store.write(root, AIR_DAY_AREA, f"{year}-01", daily_rows(region_ids, year, current))
