"""Synthetic water-quality and noise stations for the demo (pure): realistic daily cycles, deterministic given the
seed, the MN and the time, with the places' known troubles (the `behaviour` of `SimDevice`).

Water automatic stations (ST=21) measure pH and dissolved oxygen continuously and take one sample an hour for
the permanganate index, NH3-N, TP and TN. Dissolved oxygen and pH follow photosynthesis (highest in the afternoon)
and the season (more oxygen in cold water). Levels are those of a river meeting its target class (GB 3838-2002
Table 1: II or III), except where the behaviour says otherwise:

- `chronic`: the section takes in worse water from upstream: NH3-N and TP at class IV every hour;
- `episodes`: on about half the days a discharge of 2-5 hours raises NH3-N and TP (worse than the target).

Noise stations (ST=23) send hourly Leq with L10, L50, L90, LMx and LMn (HJ 212-2017 Table B.3, `X-Data`), real-time
`LA-Rtd`, and a daily upload with Leq, Ldn (`Ldn-Data`), Ld (`Ld-DayData`) and Ln (`Ln-NightData`); day is
06:00-22:00 (GB 3096-2008 §3.4). Levels lie under the zone's limits (GB 3096-2008 Table 1), except:

- `loud`: a residential point beside a building site: above the limits by day and by night;
- `night`: a mixed area with night-time trade: above the night limit around 22:00-01:00;
- `road`: beside a trunk road: close to the day limit, above the night limit most nights.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import datetime

from ecoloop.demo.simulator.profiles import Due, HourValues, Profile, SimDevice, seeded_random

# Typical levels by target class: pH, DO, CODMn, NH3-N, TP, TN (mg/L).
_WATER_LEVELS = {
    "I": (7.9, 8.8, 1.6, 0.1, 0.015, 0.6),
    "II": (7.8, 8.2, 2.6, 0.22, 0.05, 0.9),
    "III": (7.6, 6.8, 4.3, 0.55, 0.12, 1.5),
}
_CHRONIC = (7.4, 5.4, 6.4, 1.25, 0.24, 2.6)  # class IV by NH3-N and TP (GB 3838-2002 Table 1)
_SAMPLED = ("w01019", "w21003", "w21011", "w21001")
# GB 3096-2008 Table 1 limits (day, night) in dB(A), and the levels of the behaviours.
_ZONE_LIMITS = {"0": (50, 40), "1": (55, 45), "2": (60, 50), "3": (65, 55), "4a": (70, 55), "4b": (70, 60)}
_NOISE_OFFSETS = {"loud": (3.5, 2.5), "night": (-3.5, 0.5), "road": (-2.5, 2.0), "quiet": (-4.5, -4.0)}
_DAY = range(6, 22)


def station_hour(device: SimDevice, hour: datetime, seed: int) -> HourValues:
    """One simulated hour of a water or noise station (naive local `hour`)."""
    if device.profile is Profile.WATER_STATION:
        return _water_station_hour(device, hour, seed)
    return _noise_hour(device, hour, seed)


def _episode(device: SimDevice, hour: datetime, seed: int) -> bool:
    """Whether `hour` lies in the day's discharge episode (about half the days, 2-5 hours)."""
    rng = seeded_random(seed, device.mn, "episode", hour.date().isoformat())
    if rng.random() >= 0.55:
        return False
    start = rng.randrange(24)
    return start <= hour.hour < start + rng.randint(2, 5)


def _water_station_hour(device: SimDevice, hour: datetime, seed: int) -> HourValues:
    base = _CHRONIC if device.behaviour == "chronic" else _WATER_LEVELS.get(device.zone or "III", _WATER_LEVELS["III"])
    ph, oxygen, codmn, nh3n, tp, tn = base
    rng = seeded_random(seed, device.mn, "hour", hour.isoformat())
    day = math.sin(2 * math.pi * (hour.hour - 9) / 24)  # highest at 15:00
    season = math.cos(2 * math.pi * (hour.timetuple().tm_yday - 15) / 365)  # highest in mid-January
    sampled = {
        "w01019": codmn * (1 + rng.gauss(0, 0.06)),
        "w21003": nh3n * (1 + rng.gauss(0, 0.08)),
        "w21011": tp * (1 + rng.gauss(0, 0.08)),
        "w21001": tn * (1 + rng.gauss(0, 0.06)),
    }
    oxygen *= 1 + 0.12 * day + 0.12 * season + rng.gauss(0, 0.03)
    if device.behaviour == "episodes" and _episode(device, hour, seed):
        sampled["w21003"] *= 2.8
        sampled["w21011"] *= 2.3
        oxygen *= 0.7
    minutes: dict[str, tuple[float, ...]] = {code: (max(value, 0.0),) * 60 for code, value in sampled.items()}
    minutes["w01001"] = _drift(ph + 0.15 * day + rng.gauss(0, 0.04), rng.gauss(0, 0.002), 0.01, seed, device, hour)
    minutes["w01009"] = _drift(max(oxygen, 0.5), rng.gauss(0, 0.003), 0.02, seed, device, hour)
    order = ("w01001", "w01009", *_SAMPLED)
    return HourValues(hour, {code: minutes[code] for code in order}, {code: ("N",) * 60 for code in order})


def _drift(level: float, slope: float, sd: float, seed: int, device: SimDevice, hour: datetime) -> tuple[float, ...]:
    """60 minute values of a probe around `level`: a slight slope and small noise, the mean kept at `level`."""
    rng = seeded_random(seed, device.mn, "probe", hour.isoformat(), level)
    raw = [level * (1 + slope * (m - 29.5) + rng.gauss(0, sd)) for m in range(60)]
    mean = sum(raw) / 60
    return tuple(max(v - mean + level, 0.0) for v in raw)


def noise_levels(device: SimDevice) -> tuple[float, float]:
    """The typical day and night Leq of a noise station, from its zone's limits and its behaviour."""
    limit_day, limit_night = _ZONE_LIMITS.get(device.zone or "2", _ZONE_LIMITS["2"])
    up_day, up_night = _NOISE_OFFSETS.get(device.behaviour or "quiet", _NOISE_OFFSETS["quiet"])
    return limit_day + up_day, limit_night + up_night


def _hour_level(device: SimDevice, hour: int) -> float:
    """The typical Leq of an hour of the day: the day level with the rush hours, the night level after a
    slow evening (22:00 and 23:00 are louder in an area with night-time trade)."""
    day, night = noise_levels(device)
    if hour in _DAY:
        rush = 1.5 if hour in (7, 8, 17, 18) else -0.5 if hour in (12, 13) else 0.0
        edge = -2.0 if hour in (6, 21) else 0.0
        return day + rush + edge
    evening = {22: 2.5, 23: 1.5, 0: 0.8} if device.behaviour == "night" else {22: 1.5, 23: 0.5}
    return night + evening.get(hour, -0.8 if 1 <= hour <= 4 else 0.5)


def _noise_hour(device: SimDevice, hour: datetime, seed: int) -> HourValues:
    rng = seeded_random(seed, device.mn, "hour", hour.isoformat())
    leq = _hour_level(device, hour.hour) + rng.gauss(0, 1.2)
    noise, last = [], 0.0
    for _ in range(60):
        last = 0.6 * last + rng.gauss(0, 2.2)
        noise.append(last)
    levels = [leq + e for e in noise]
    correction = leq - energy_mean(levels)  # minute Leqs whose energy mean is the hour's Leq
    minutes = tuple(round(v + correction, 2) for v in levels)
    return HourValues(hour, {"Leq": minutes}, {"Leq": ("N",) * 60})


def energy_mean(levels: Sequence[float]) -> float:
    """The energy mean of equal-duration sound levels: 10 lg(mean(10^(0.1 L))) (GB 3096-2008 §3.3, Leq)."""
    return 10 * math.log10(sum(10 ** (0.1 * v) for v in levels) / len(levels))


def _text(value: float) -> str:
    return f"{value:.1f}"


def noise_cp(device: SimDevice, due: Due, hour: HourValues, day: Sequence[HourValues], seed: int) -> dict[str, str]:
    """The CP of a noise station's upload: real-time LA, a minute's or an hour's levels, or a day's."""
    cp = {"DataTime": due.data_time.strftime("%Y%m%d%H%M%S")}
    minutes = hour.minutes["Leq"]
    if due.cn == "2011":
        rng = seeded_random(seed, device.mn, "rtd", due.data_time.isoformat())
        cp["LA-Rtd"] = _text(minutes[due.data_time.minute] + rng.uniform(-3, 3))
        return cp
    if due.cn == "2051":
        level = minutes[due.data_time.minute]
        rng = seeded_random(seed, device.mn, "minute", due.data_time.isoformat())
        cp.update({"Leq-Data": _text(level), "LMx-Data": _text(level + rng.uniform(3, 9))})
        cp["LMn-Data"] = _text(level - rng.uniform(2, 5))
        return cp
    if due.cn == "2061":
        ordered = sorted(minutes)
        cp.update(
            {
                "Leq-Data": _text(energy_mean(minutes)),
                "L10-Data": _text(ordered[53] + 1.5),
                "L50-Data": _text(statistics.median(minutes)),
                "L90-Data": _text(ordered[6] - 1.0),
                "LMx-Data": _text(ordered[-1] + 4.0),
                "LMn-Data": _text(ordered[0] - 3.0),
            }
        )
        return cp
    levels = {h.start.hour: energy_mean(h.minutes["Leq"]) for h in day}
    daytime = [v for h, v in levels.items() if h in _DAY]
    night = [v for h, v in levels.items() if h not in _DAY]
    cp["Leq-Data"] = _text(energy_mean(list(levels.values())))
    cp["Ldn-Data"] = _text(energy_mean([v if h in _DAY else v + 10 for h, v in levels.items()]))
    cp["Ld-DayData"] = _text(energy_mean(daytime))
    cp["Ln-NightData"] = _text(energy_mean(night))
    return cp
