"""What the demo's stations send makes its alerts live: the planted hotspot stands out from its neighbours in
nearly every hour, a water section is below its target class every hour, noise points exceed their zone's limits
by night (and one by day), while the others stay within theirs."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ecoloop.alerts.evaluate import WATER_CODES
from ecoloop.alerts.rules import HotspotThresholds, StationHour, air_hotspots, distance_km
from ecoloop.demo.service import demo_fixture
from ecoloop.demo.simulator.air_data import AirData, load_air_data
from ecoloop.demo.simulator.ambient import energy_mean, noise_levels
from ecoloop.demo.simulator.loggers import sim_device
from ecoloop.demo.simulator.profiles import SimDevice, Uploads, hour_stats, hour_values
from ecoloop.monitoring.enums import SiteKind
from ecoloop.standards.water import WaterGrade, classify

TZ = ZoneInfo("Asia/Shanghai")
HOTSPOT = "air-371802101000"
PLANS = {plan["code"]: plan for plan in demo_fixture()["sites"]}
LIMITS = {"0": (50, 40), "1": (55, 45), "2": (60, 50), "3": (65, 55), "4a": (70, 55), "4b": (70, 60)}  # GB 3096


def device(plan: dict[str, Any]) -> SimDevice:
    kind = SiteKind(plan["kind"])
    zone = plan.get("water_target") or plan.get("noise_zone")
    return sim_device(plan["device"]["mn"], plan["device"]["password"], plan["code"], kind, plan, zone=zone)


@pytest.fixture(scope="module")
def all_air() -> AirData:
    return load_air_data()


def days(start: datetime, count: int) -> list[datetime]:
    return [start + timedelta(hours=h) for h in range(24 * count)]


@pytest.mark.parametrize("start", [datetime(2026, 12, 7), datetime(2026, 7, 14), datetime(2027, 2, 20)])  # noqa: DTZ001
def test_the_planted_hotspot_stands_out_in_nearly_every_hour(all_air: AirData, start: datetime) -> None:
    centre = PLANS[HOTSPOT]
    near = [
        p
        for p in PLANS.values()
        if p["kind"] == "air_station" and distance_km(centre["lon"], centre["lat"], p["lon"], p["lat"]) <= 10
    ]
    assert len(near) >= 4
    found = 0
    hours = days(start, 2)
    for hour in hours:
        stations = []
        for i, plan in enumerate(near):
            stats = hour_stats(device(plan), hour_values(device(plan), hour, 0, all_air))
            values = {code: Decimal(f"{s.avg:.1f}") for code, s in stats.items()}
            stations.append(StationHour(i, plan["lon"], plan["lat"], values))
        hotspot = next(i for i, p in enumerate(near) if p["code"] == HOTSPOT)
        findings = air_hotspots(hour.replace(tzinfo=TZ), stations, HotspotThresholds())
        found += any(f.site_id == hotspot for f in findings)
    assert found >= 0.85 * len(hours)  # not when clean air leaves it within 1.5 x or 20 µg/m³ of the others


def test_a_water_section_is_below_its_target_every_hour_and_the_clean_ones_meet_theirs() -> None:
    def grades(code: str, hours: list[datetime]) -> list[WaterGrade]:
        sim = device(PLANS[code])
        out = []
        for hour in hours:
            stats = hour_stats(sim, hour_values(sim, hour, 0))
            out.append(classify({WATER_CODES[c]: s.avg for c, s in stats.items() if c in WATER_CODES}).grade)
        return out

    week = days(datetime(2026, 12, 1), 7)  # noqa: DTZ001
    chronic = grades("wq-371881101000", week)  # 沙河 entering the city, target III
    assert all(g.rank > WaterGrade.CLASS_III.rank for g in chronic)
    clean = grades("wq-371823101000", week)  # 清河 upstream, target II
    assert all(g.rank <= WaterGrade.CLASS_II.rank for g in clean)
    episodes = grades("wq-371802101000", week)  # 清河 downstream, target II, with discharge episodes
    below = sum(g.rank > WaterGrade.CLASS_II.rank for g in episodes)
    assert 3 <= below <= 0.3 * len(week)


def test_noise_points_exceed_their_limits_where_the_place_is_loud() -> None:
    def hourly(code: str, start: datetime) -> dict[int, float]:
        sim = device(PLANS[code])
        levels = {}
        for due, _qn, frame in islice(Uploads(sim, start, realtime_seconds=0), 24 * 62):
            if due.cn == "2061":
                text = frame.decode()
                levels[due.data_time.hour] = float(text.split("Leq-Data=")[1].split(";")[0])
        return levels

    day = datetime(2026, 12, 7)  # noqa: DTZ001
    limits = {code: LIMITS[plan["noise_zone"]] for code, plan in PLANS.items() if plan["kind"] == "noise"}
    night = range(22, 30)
    for code, (by_day, by_night) in limits.items():
        levels = hourly(code, day)
        assert len(levels) == 24
        over_night = sum(levels[h % 24] > by_night for h in night)
        over_day = sum(levels[h] > by_day for h in range(6, 22))
        behaviour = PLANS[code]["behaviour"]
        if behaviour == "loud":  # beside a building site: by day and by night
            assert over_night >= 6 and over_day >= 10, (code, levels)
        elif behaviour in ("night", "road"):
            assert over_night >= 2, (code, levels)
        else:
            assert over_night + over_day <= 2, (code, levels)


def test_a_noise_hour_is_the_energy_mean_of_its_minutes() -> None:
    sim = device(PLANS["noise-371802001000"])
    start = datetime(2026, 12, 7, 23)  # noqa: DTZ001
    minutes = hour_values(sim, start, 0).minutes["Leq"]
    frame = next(f for due, _qn, f in Uploads(sim, start, realtime_seconds=0) if due.cn == "2061")
    assert float(frame.decode().split("Leq-Data=")[1].split(";")[0]) == round(energy_mean(minutes), 1)
    assert energy_mean(minutes) > statistics.fmean(minutes)  # loud minutes weigh more than quiet ones
    assert noise_levels(sim)[1] > 45  # the loud point's night level is above its zone's limit (class 1: 45)
