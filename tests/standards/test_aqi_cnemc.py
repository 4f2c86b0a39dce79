"""Every AQI and primary pollutant the national centre published in two real hourly snapshots is reproduced.

The snapshots stay in ../shared (no licence to redistribute them); the test skips with a message where they are
absent. Method: `hourly_aqi(..., "2012")` from the six 1-hour values, O3 from the feed's `o3_24h` field
(see ../shared/data/cnemc_realtime_snapshots/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecoloop.standards.aqi import hourly_aqi

SNAPSHOTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "cnemc_realtime_snapshots"
FILES = ["cnemc_stations_2017-07-07T16.json", "cnemc_stations_2018-02-20T07.json"]
FIELDS = {"SO2_1h": "so2", "NO2_1h": "no2", "CO_1h": "co", "O3_1h": "o3_24h", "PM10_1h": "pm10", "PM2_5_1h": "pm2_5"}
LABELS = {
    "二氧化硫": "SO2_1h",
    "二氧化氮": "NO2_1h",
    "一氧化碳": "CO_1h",
    "臭氧1小时": "O3_1h",
    "颗粒物(PM10)": "PM10_1h",
    "细颗粒物(PM2.5)": "PM2_5_1h",
}
MISSING = {"", "-;", "—", "-"}


def _value(text: str) -> str | None:
    return None if text.strip() in MISSING else text.strip()


@pytest.mark.parametrize("name", FILES)
def test_published_aqi_and_primary_pollutants_are_reproduced(name: str) -> None:
    path = SNAPSHOTS / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the CNEMC snapshots live in ../shared/data and are not redistributed")
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    checked, mismatches = 0, []
    for feature in features:
        props = feature["properties"]
        published = _value(props["aqi"])
        if published is None:
            continue
        result = hourly_aqi({key: _value(props[field]) for key, field in FIELDS.items()}, "2012")
        label = _value(props["primarypollutant"])
        primary = set() if label is None else {LABELS[p] for p in label.split(",")}
        checked += 1
        if result.aqi != int(published) or set(result.primary) != primary:
            mismatches.append((props["stationcode"], published, label, result.aqi, result.primary))
    assert checked > 1400
    assert mismatches == []
