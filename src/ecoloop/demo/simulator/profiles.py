"""Virtual HJ 212 data loggers (数采仪): what they send, as pure functions of the seed, the MN and the time.

Values are deterministic given the seed, the device's MN and the simulated time:

- air stations replay the real Beijing multi-site hourly series (CC BY 4.0, `ecoloop/demo/beijing/`) shifted
  to the simulated date by whole years (the same data year for every station, so the city's episodes stay
  coherent; seed 0 the year the demo's history ends with), times the station's factor (and the planted
  hotspot's boost on PM2.5 and PM10); minute values scatter around that hourly value with it as their mean; CO
  goes out in mg/m³;
- water-quality and noise stations are synthetic (`ambient`);
- flue-gas outlets draw their levels from a preset of the enterprise's industry (power, cement, sinter, coke,
  or a boiler), follow a daily load curve, send converted values (`-ZsRtd`, `-ZsAvg`) at the reference O2,
  emission amounts (`-Cou`), a five-minute calibration (flag C) at 03:00 every day and, now and then, an
  hour-long excursion of one pollutant (flag N, as a real upset would be);
- wastewater outlets follow a daily flow curve; COD, NH3-N, TP and TN are measured once an hour, so they are
  constant within the hour, as in the standard's own minute-data example (HJ 212-2017 Appendix C).

A logger's schedule (`schedule`) has real-time data (2011) every `realtime_seconds`, minute data (2051) after
each minute, hourly data (2061) after each hour and daily data (2031) after each day, with DataTime in local time
(the sampling instant for 2011, the start of the period otherwise); `Uploads` turns it into the frames, with
Flag=5 (version 2017, acknowledgement requested, HJ 212-2017 §6.3.2 Table 3). The only I/O here is reading the
committed Parquet copy of the Beijing data (`load_air_data`).
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal, TypeVar

from ecoloop.demo.simulator.air_data import AirData
from ecoloop.ingest.hj212 import encode, qn_at
from ecoloop.standards.emission import (
    REFERENCE_O2_COAL_BOILER,
    REFERENCE_O2_COAL_POWER_BOILER,
    converted_concentration,
)

FLAG_UPLOAD_WITH_ACK = 5  # Flag: version bits 000001 (HJ 212-2017) + A=1 (HJ 212-2017 Table 3)
_RANK = {"2011": 0, "2051": 1, "2061": 2, "2031": 3}  # at the same moment: real-time, minute, hour, day


class Profile(StrEnum):
    """What a virtual logger measures, with the HJ 212 system code (ST) it sends (HJ 212-2017 Table 5)."""

    AIR_STATION = "air_station"
    GAS_OUTLET = "gas_outlet"
    WATER_OUTLET = "water_outlet"
    WATER_STATION = "water_station"
    NOISE = "noise"

    @property
    def system_code(self) -> str:
        return {
            "air_station": "22",
            "gas_outlet": "31",
            "water_outlet": "32",
            "water_station": "21",  # surface-water quality
            "noise": "23",  # acoustic environment
        }[self.value]


@dataclass(frozen=True)
class SimDevice:
    """A virtual data logger: the MN and password it sends, its profile, the Beijing station an air station
    replays (any station when None) with a factor on its values and a further one on PM2.5 and PM10 (`boost`, the
    demo's planted hotspot), the industry code (GB/T 4754) that picks an outlet's preset, and for water and noise
    stations the target class or acoustic zone (`zone`) and how the place behaves (`behaviour`, see `ambient`)."""

    mn: str
    password: str
    profile: Profile
    station: str | None = None
    industry: str | None = None
    factor: float = 1.0
    boost: float = 1.0
    zone: str | None = None
    behaviour: str | None = None


# --- parameters (HJ 212-2017 Appendix B codes; O3 is not in Appendix B, devices send a05024) -------------------

Role = Literal["pollutant", "flow", "state"]


@dataclass(frozen=True)
class Parameter:
    """One measured parameter: its HJ 212 code, the decimals it is sent with and its role (a pollutant has an
    emission amount `-Cou`, the flow a volume `-Cou`, a state neither)."""

    code: str
    decimals: int
    role: Role = "state"


AIR_PARAMETERS = (
    Parameter("a34004", 1),  # PM2.5, µg/m³
    Parameter("a34002", 1),  # PM10, µg/m³
    Parameter("a21026", 1),  # SO2, µg/m³
    Parameter("a21004", 1),  # NO2, µg/m³
    Parameter("a05024", 1),  # O3, µg/m³
    Parameter("a21005", 3),  # CO, mg/m³
)
GAS_PARAMETERS = (
    Parameter("a21026", 2, "pollutant"),  # SO2, mg/m³
    Parameter("a21002", 2, "pollutant"),  # NOx, mg/m³
    Parameter("a34013", 2, "pollutant"),  # particulate matter (smoke/dust), mg/m³
    Parameter("a19001", 2),  # O2, %
    Parameter("a01012", 1),  # flue-gas temperature, °C
    Parameter("a01011", 2),  # flue-gas velocity, m/s
    Parameter("a00000", 2, "flow"),  # flue-gas flow, m³/s (-Cou in m³)
)
WATER_PARAMETERS = (
    Parameter("w01018", 1, "pollutant"),  # COD, mg/L
    Parameter("w21003", 3, "pollutant"),  # NH3-N, mg/L
    Parameter("w01001", 2),  # pH
    Parameter("w00000", 2, "flow"),  # wastewater flow, L/s (-Cou in m³)
    Parameter("w21011", 3, "pollutant"),  # TP, mg/L
    Parameter("w21001", 2, "pollutant"),  # TN, mg/L
)
WATER_STATION_PARAMETERS = (
    Parameter("w01001", 2),  # pH
    Parameter("w01009", 2),  # dissolved oxygen, mg/L
    Parameter("w01019", 2),  # permanganate index (CODMn), mg/L
    Parameter("w21003", 3),  # NH3-N, mg/L
    Parameter("w21011", 3),  # TP, mg/L
    Parameter("w21001", 2),  # TN, mg/L
)
NOISE_PARAMETERS = (  # HJ 212-2017 Table B.3, dB(A)
    Parameter("Leq", 1),
    Parameter("L10", 1),
    Parameter("L50", 1),
    Parameter("L90", 1),
    Parameter("LMx", 1),
    Parameter("LMn", 1),
)
PARAMETERS: dict[Profile, tuple[Parameter, ...]] = {
    Profile.AIR_STATION: AIR_PARAMETERS,
    Profile.GAS_OUTLET: GAS_PARAMETERS,
    Profile.WATER_OUTLET: WATER_PARAMETERS,
    Profile.WATER_STATION: WATER_STATION_PARAMETERS,
    Profile.NOISE: NOISE_PARAMETERS,
}
# Stations send averages and flags only (no Min, Max or amounts).
_STATIONS = frozenset({Profile.AIR_STATION, Profile.WATER_STATION})
_BOOSTED = ("a34004", "a34002")  # PM2.5 and PM10: what the demo's planted hotspot raises
_GAS_CALIBRATED = ("a21026", "a21002", "a19001")  # analysers checked daily with zero and span gas (flag C)
_WATER_HOURLY = ("w01018", "w01019", "w21003", "w21011", "w21001")  # analysers that take one sample an hour

# --- seeded randomness --------------------------------------------------------------------------------------------


def seeded_random(seed: int, *parts: object) -> random.Random:
    """A generator seeded by the seed and the parts' text, so values do not depend on the order they are made."""
    key = "|".join([str(seed), *map(str, parts)]).encode()
    return random.Random(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big"))


def _hours_since_2000(hour: datetime) -> float:
    return (hour - datetime(2000, 1, 1)).total_seconds() / 3600  # noqa: DTZ001  # naive local time, like `hour`


# --- profiles: one simulated hour of a device ---------------------------------------------------------------------


@dataclass(frozen=True)
class HourValues:
    """One device's simulated hour: per parameter code the 60 minute means and their data flags."""

    start: datetime  # naive local time
    minutes: Mapping[str, tuple[float, ...]]
    flags: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class _GasPreset:
    """Typical operation of a flue-gas outlet: ranges the device's own levels are drawn from."""

    reference_o2: Decimal
    so2: tuple[float, float]  # measured mg/m³
    nox: tuple[float, float]
    dust: tuple[float, float]
    o2: tuple[float, float]  # %
    temperature: tuple[float, float]  # °C
    velocity: tuple[float, float]  # m/s
    area: tuple[float, float]  # duct cross-section, m²
    swing: float  # relative load change over the day


# Reference O2 of cement kilns (GB 4915-2013), sintering machines (GB 28662-2012) and coke ovens (GB 16171-2012)
# as commonly quoted, not re-read; only the simulated converted values depend on them.
_GAS_PRESETS: dict[str, _GasPreset] = {
    "44": _GasPreset(
        REFERENCE_O2_COAL_POWER_BOILER, (12, 25), (22, 40), (1.5, 4), (5.5, 7), (45, 55), (12, 18), (12, 25), 0.15
    ),
    "30": _GasPreset(Decimal(10), (15, 60), (120, 260), (4, 12), (9, 11.5), (90, 130), (10, 16), (7, 14), 0.05),
    "31": _GasPreset(Decimal(16), (20, 90), (80, 200), (5, 15), (14.5, 16.5), (100, 140), (12, 18), (15, 30), 0.05),
    "2521": _GasPreset(Decimal(8), (10, 40), (100, 300), (4, 12), (7, 10), (180, 240), (8, 14), (4, 9), 0.05),
}
_BOILER = _GasPreset(
    REFERENCE_O2_COAL_BOILER, (20, 100), (60, 160), (5, 20), (8, 11), (110, 150), (6, 12), (0.8, 3), 0.25
)


@dataclass(frozen=True)
class _WaterPreset:
    cod: tuple[float, float]  # mg/L
    nh3n: tuple[float, float]
    tp: tuple[float, float]
    tn: tuple[float, float]
    ph: tuple[float, float]
    flow: tuple[float, float]  # L/s
    swing: float


_WATER_PRESETS = {
    "46": _WaterPreset((14, 32), (0.3, 2.0), (0.1, 0.35), (6, 12), (6.9, 7.5), (150, 600), 0.3),  # sewage works
}
_INDUSTRIAL_WATER = _WaterPreset((35, 70), (1.5, 6), (0.2, 0.6), (8, 18), (6.8, 8.2), (5, 60), 0.2)
EXCURSION_CHANCE = 0.02  # per outlet and hour
_P = TypeVar("_P", _GasPreset, _WaterPreset)


def _preset(presets: Mapping[str, _P], industry: str | None, default: _P) -> _P:
    """The preset of the longest industry-code prefix that has one."""
    for size in (4, 3, 2):
        if industry and industry[:size] in presets:
            return presets[industry[:size]]
    return default


def hour_values(device: SimDevice, hour: datetime, seed: int, air: AirData | None = None) -> HourValues:
    """The simulated minute values of `device` during the hour starting at `hour` (naive local time; pure, the same
    for the same inputs)."""
    hour = hour.replace(minute=0, second=0, microsecond=0, tzinfo=None)
    if device.profile is Profile.AIR_STATION:
        if air is None:
            raise ValueError("air stations need the air data (load_air_data)")
        return _air_hour(device, hour, seed, air)
    if device.profile is Profile.GAS_OUTLET:
        return _gas_hour(device, hour, seed)
    if device.profile in (Profile.WATER_STATION, Profile.NOISE):
        from ecoloop.demo.simulator import ambient  # it builds on this module's HourValues and randomness

        return ambient.station_hour(device, hour, seed)
    return _water_hour(device, hour, seed)


def _scatter(base: float, rng: random.Random, sd: float) -> tuple[float, ...]:
    """60 minute values whose mean is `base`: centred AR(1) noise, relative standard deviation about `sd`."""
    if sd == 0 or base == 0:
        return (base,) * 60
    noise, last = [], 0.0
    for _ in range(60):
        last = max(-0.4, min(0.4, 0.8 * last + rng.gauss(0, sd)))
        noise.append(last)
    mean = sum(noise) / 60
    return tuple(base * (1 + e - mean) for e in noise)


def _wave(hour: datetime, rng: random.Random, amplitude: float) -> float:
    """Slow drift over days: two sine waves with the device's own phases."""
    t = _hours_since_2000(hour)
    phase1, phase2 = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
    return 1 + amplitude * (
        0.6 * math.sin(2 * math.pi * t / 31 + phase1) + 0.4 * math.sin(2 * math.pi * t / 7.7 + phase2)
    )


def _air_hour(device: SimDevice, hour: datetime, seed: int, air: AirData) -> HourValues:
    real = air.hour_values(air.station_for(device), hour, seed)
    real = {code: value * device.factor * (device.boost if code in _BOOSTED else 1) for code, value in real.items()}
    rng = seeded_random(seed, device.mn, "minutes", hour.isoformat())
    minutes = {p.code: _scatter(real[p.code], rng, 0.06) for p in AIR_PARAMETERS if p.code in real}
    return HourValues(hour, minutes, {code: ("N",) * 60 for code in minutes})


def _gas_hour(device: SimDevice, hour: datetime, seed: int) -> HourValues:
    preset = _preset(_GAS_PRESETS, device.industry, _BOILER)
    own = seeded_random(seed, device.mn, "device")
    levels = {
        "a21026": own.uniform(*preset.so2),
        "a21002": own.uniform(*preset.nox),
        "a34013": own.uniform(*preset.dust),
    }
    o2_level, temperature, velocity, area = (
        own.uniform(*preset.o2),
        own.uniform(*preset.temperature),
        own.uniform(*preset.velocity),
        own.uniform(*preset.area),
    )
    load = 1 + preset.swing * math.sin(2 * math.pi * (hour.hour - 9) / 24)
    rng = seeded_random(seed, device.mn, "hour", hour.isoformat())
    bases = {code: level * _wave(hour, own, 0.1) * (1 + rng.gauss(0, 0.05)) for code, level in levels.items()}
    excursion = seeded_random(seed, device.mn, "excursion", hour.isoformat())
    if excursion.random() < EXCURSION_CHANCE:  # an upset: desulphurisation, denitration or filter trouble
        bases[excursion.choice(sorted(bases))] *= excursion.uniform(1.6, 3.0)
    speed = velocity * load * (1 + rng.gauss(0, 0.02))
    minutes = {code: _scatter(max(base, 0.0), rng, 0.04) for code, base in bases.items()}
    minutes["a19001"] = tuple(
        min(20.0, max(2.0, v)) for v in _scatter(o2_level - 2.0 * (load - 1) + rng.gauss(0, 0.2), rng, 0.02)
    )
    minutes["a01012"] = _scatter(temperature + 8 * (load - 1) + rng.gauss(0, 1), rng, 0.003)
    minutes["a01011"] = _scatter(speed, rng, 0.02)
    minutes["a00000"] = tuple(v * area for v in minutes["a01011"])
    flags = {code: ["N"] * 60 for code in minutes}
    if hour.hour == 3:  # the daily zero and span check of the gas analysers, 03:00-03:04
        for code in _GAS_CALIBRATED:
            flags[code][:5] = ["C"] * 5
    return HourValues(hour, minutes, {code: tuple(f) for code, f in flags.items()})


def _water_hour(device: SimDevice, hour: datetime, seed: int) -> HourValues:
    preset = _preset(_WATER_PRESETS, device.industry, _INDUSTRIAL_WATER)
    own = seeded_random(seed, device.mn, "device")
    levels = {
        "w01018": own.uniform(*preset.cod),
        "w21003": own.uniform(*preset.nh3n),
        "w21011": own.uniform(*preset.tp),
        "w21001": own.uniform(*preset.tn),
    }
    ph, flow = own.uniform(*preset.ph), own.uniform(*preset.flow)
    h = hour.hour
    load = 1 + preset.swing * (0.6 * math.sin(2 * math.pi * (h - 6) / 24) + 0.4 * math.sin(4 * math.pi * (h - 7) / 24))
    rng = seeded_random(seed, device.mn, "hour", hour.isoformat())
    spread = {"w01018": 0.08, "w21003": 0.15, "w21011": 0.1, "w21001": 0.08}
    samples = {
        code: level * _wave(hour, own, 0.12) * (1 + rng.gauss(0, spread[code])) for code, level in levels.items()
    }
    excursion = seeded_random(seed, device.mn, "excursion", hour.isoformat())
    if excursion.random() < EXCURSION_CHANCE:  # a treatment upset
        samples[excursion.choice(["w01018", "w21003"])] *= excursion.uniform(1.5, 2.5)
    minutes: dict[str, tuple[float, ...]] = {code: (max(value, 0.0),) * 60 for code, value in samples.items()}
    minutes["w01001"] = _scatter(ph + rng.gauss(0, 0.08), rng, 0.005)
    minutes["w00000"] = _scatter(max(flow * load * (1 + rng.gauss(0, 0.05)), 0.0), rng, 0.03)
    return HourValues(hour, minutes, {code: ("N",) * 60 for code in minutes})


# --- statistics and packets -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stat:
    """A parameter's values over a period as HJ 212 sends them (HJ 212-2017 Table 4: Min, Avg, Max, Cou, ZsAvg)."""

    avg: float
    min: float
    max: float
    flag: str
    cou: float | None = None
    zs_avg: float | None = None


def period_flag(flags: Sequence[str]) -> str:
    """N when at least 75 % of the underlying values are N (HJ 212-2017 C.16), else the most frequent other flag."""
    others = Counter(f for f in flags if f != "N")
    if not others or (len(flags) - sum(others.values())) * 4 >= 3 * len(flags):
        return "N"
    return others.most_common(1)[0][0]


def _zs(value: float, o2: float, reference: Decimal) -> float:
    """The concentration at the reference O2 (GB 13223-2011 §5.2 formula (1), see standards.emission)."""
    return float(converted_concentration(Decimal(repr(max(value, 0.0))), Decimal(repr(min(o2, 20.9))), reference))


def _reference_o2(device: SimDevice) -> Decimal:
    return _preset(_GAS_PRESETS, device.industry, _BOILER).reference_o2


def _volume_factor(device: SimDevice) -> float:
    """Flow unit times seconds → m³: the flue-gas flow is in m³/s, the wastewater flow in L/s."""
    return 1.0 if device.profile is Profile.GAS_OUTLET else 0.001


def minute_stats(device: SimDevice, hour: HourValues, minute: int) -> dict[str, Stat]:
    """A minute's values (2051): the minute mean, with Min and Max half-way towards the neighbouring minutes."""
    return _stats(device, hour, slice(minute, minute + 1))


def hour_stats(device: SimDevice, hour: HourValues) -> dict[str, Stat]:
    """An hour's values (2061): mean, min and max of the minute means, flag by the 75 % rule."""
    return _stats(device, hour, slice(0, 60))


def day_stats(device: SimDevice, hours: Sequence[HourValues]) -> dict[str, Stat]:
    """A day's values (2031) from its hours: mean, min and max of the hourly averages (CEMS daily data are made
    from hourly data), summed emission amounts, mean converted value."""
    hourly = [hour_stats(device, hour) for hour in hours]
    stats: dict[str, Stat] = {}
    for parameter in PARAMETERS[device.profile]:
        present = [h[parameter.code] for h in hourly if parameter.code in h]
        if not present:
            continue
        avgs = [s.avg for s in present]
        cous = [s.cou for s in present if s.cou is not None]
        zss = [s.zs_avg for s in present if s.zs_avg is not None]
        stats[parameter.code] = Stat(
            sum(avgs) / len(avgs),
            min(avgs),
            max(avgs),
            period_flag([s.flag for s in present]),
            sum(cous) if cous else None,
            sum(zss) / len(zss) if zss else None,
        )
    return stats


def _stats(device: SimDevice, hour: HourValues, minutes: slice) -> dict[str, Stat]:
    """Stats over some minutes of an hour. An emission amount is the sum of concentration * flow * 60 s (mg/m³ * m³/s or
    mg/L * L/s give mg, reported in kg); the flow's own amount is its volume in m³; a converted average uses the
    mean O2 of the same minutes."""
    flow = hour.minutes.get("a00000" if device.profile is Profile.GAS_OUTLET else "w00000")
    o2 = hour.minutes.get("a19001")
    single = minutes.stop - minutes.start == 1
    stats: dict[str, Stat] = {}
    for parameter in PARAMETERS[device.profile]:
        values = hour.minutes.get(parameter.code)
        if values is None:
            continue
        part = values[minutes]
        avg = sum(part) / len(part)
        low, high = min(part), max(part)
        if single:  # within a minute the value moves from the previous minute's towards the next one's
            i = minutes.start
            around = [(values[j] + avg) / 2 for j in (i - 1, i + 1) if 0 <= j < 60]
            low, high = min(avg, *around), max(avg, *around)
        cou = None
        if parameter.role == "pollutant" and flow is not None:
            cou = sum(c * q for c, q in zip(part, flow[minutes], strict=True)) * 60 * 1e-6
        elif parameter.role == "flow":
            cou = sum(part) * 60 * _volume_factor(device)
        zs = None
        if device.profile is Profile.GAS_OUTLET and parameter.role == "pollutant" and o2 is not None:
            o2_part = o2[minutes]
            zs = _zs(avg, sum(o2_part) / len(o2_part), _reference_o2(device))
        flag = period_flag(hour.flags[parameter.code][minutes])
        stats[parameter.code] = Stat(avg, low, high, flag, cou, zs)
    return stats


def _text(value: float, decimals: int) -> str:
    return f"{max(value, 0.0):.{decimals}f}"


def period_cp(device: SimDevice, data_time: datetime, stats: Mapping[str, Stat]) -> dict[str, str]:
    """The CP of a minute, hourly or daily upload: DataTime, then per parameter Cou, Min, Avg, Max, ZsAvg and Flag
    in the order of the standard's examples (HJ 212-2017 §6.3.3, Appendix C); air and water stations send Avg and
    Flag only."""
    cp = {"DataTime": data_time.strftime("%Y%m%d%H%M%S")}
    for parameter in PARAMETERS[device.profile]:
        stat = stats.get(parameter.code)
        if stat is None:
            continue
        code, digits = parameter.code, parameter.decimals
        if device.profile not in _STATIONS:
            if stat.cou is not None:
                cou_digits = 4 if parameter.role == "pollutant" else 2
                cp[f"{code}-Cou"] = _text(stat.cou, cou_digits)
            cp[f"{code}-Min"] = _text(stat.min, digits)
        cp[f"{code}-Avg"] = _text(stat.avg, digits)
        if device.profile not in _STATIONS:
            cp[f"{code}-Max"] = _text(stat.max, digits)
            if stat.zs_avg is not None:
                cp[f"{code}-ZsAvg"] = _text(stat.zs_avg, digits)
        cp[f"{code}-Flag"] = stat.flag
    return cp


def realtime_cp(device: SimDevice, hour: HourValues, at: datetime, seed: int) -> dict[str, str]:
    """The CP of a real-time upload (2011) sampled at `at`: per parameter Rtd, ZsRtd for flue-gas pollutants,
    and Flag (HJ 212-2017 §6.3.3, Table 4)."""
    minute = at.minute
    rng = seeded_random(seed, device.mn, "rtd", at.isoformat())
    instant: dict[str, float] = {}
    for code, values in hour.minutes.items():
        steady = device.profile in (Profile.WATER_OUTLET, Profile.WATER_STATION) and code in _WATER_HOURLY
        instant[code] = values[minute] * (1 if steady else 1 + rng.uniform(-0.03, 0.03))
    cp = {"DataTime": at.strftime("%Y%m%d%H%M%S")}
    for parameter in PARAMETERS[device.profile]:
        code = parameter.code
        if code not in instant:
            continue
        cp[f"{code}-Rtd"] = _text(instant[code], parameter.decimals)
        if device.profile is Profile.GAS_OUTLET and parameter.role == "pollutant":
            zs = _zs(instant[code], instant["a19001"], _reference_o2(device))
            cp[f"{code}-ZsRtd"] = _text(zs, parameter.decimals)
        cp[f"{code}-Flag"] = hour.flags[code][minute]
    return cp


# --- the schedule ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Due:
    """One upload a logger makes: when it sends it (simulated local time), the command and the DataTime."""

    at: datetime
    rank: int
    cn: str = field(compare=False)
    data_time: datetime = field(compare=False)


def _every(first: datetime, step: timedelta, cn: str, offset: timedelta, lag: timedelta) -> Iterator[Due]:
    period = first
    while True:
        yield Due(period + lag + offset, _RANK[cn], cn, period)
        period += step


def schedule(start: datetime, *, realtime_seconds: int = 30, offset_seconds: float = 0.0) -> Iterator[Due]:
    """The uploads of a logger from `start` on (naive local time), in the order it sends them: 2011 every
    `realtime_seconds` (0: none), and after the end of each minute, hour and day its 2051, 2061 and 2031, each
    `offset_seconds` late (loggers do not all send at the same instant).

    Local time is treated as wall-clock time without DST jumps, which holds for China's time zone."""
    start = start.replace(microsecond=0, tzinfo=None)
    offset = timedelta(seconds=offset_seconds)
    minute = start.replace(second=0)
    hour = minute.replace(minute=0)
    day = hour.replace(hour=0)
    streams = [
        _every(minute, timedelta(minutes=1), "2051", offset, timedelta(minutes=1)),
        _every(hour, timedelta(hours=1), "2061", offset, timedelta(hours=1)),
        _every(day, timedelta(days=1), "2031", offset, timedelta(days=1)),
    ]
    if realtime_seconds > 0:
        since_midnight = (start - day).total_seconds()
        first = day + timedelta(seconds=math.ceil(since_midnight / realtime_seconds) * realtime_seconds)
        streams.append(_every(first, timedelta(seconds=realtime_seconds), "2011", offset, timedelta(0)))
    yield from heapq.merge(*streams)


def device_offset(device: SimDevice, seed: int) -> float:
    """How many seconds after a period ends the device sends its upload (1-10 s, fixed per device)."""
    return round(seeded_random(seed, device.mn, "offset").uniform(1, 10), 3)


class Uploads:
    """The frames a device sends, in order, built lazily: `(due, qn, frame)` (pure given the inputs).

    The QN is the simulated sending time with milliseconds, made unique per device by counting up a millisecond
    when two uploads leave at the same instant (HJ 212-2017 Table 3, QN)."""

    def __init__(
        self,
        device: SimDevice,
        start: datetime,
        *,
        seed: int = 0,
        air: AirData | None = None,
        realtime_seconds: int = 30,
    ) -> None:
        self.device, self.seed, self.air = device, seed, air
        self._dues = schedule(start, realtime_seconds=realtime_seconds, offset_seconds=device_offset(device, seed))
        self._hours: OrderedDict[datetime, HourValues] = OrderedDict()
        self._last_qn = datetime.min  # noqa: DTZ901  # compared with naive local times

    def __iter__(self) -> Iterator[tuple[Due, str, bytes]]:
        return self

    def __next__(self) -> tuple[Due, str, bytes]:
        due = next(self._dues)
        sent = max(due.at, self._last_qn + timedelta(milliseconds=1))
        self._last_qn = sent
        qn = qn_at(sent)
        cp = self._cp(due)
        header = {"QN": qn, "ST": self.device.profile.system_code, "CN": due.cn, "PW": self.device.password}
        return due, qn, encode({**header, "MN": self.device.mn, "Flag": FLAG_UPLOAD_WITH_ACK, "CP": cp})

    def hour(self, start: datetime) -> HourValues:
        """The device's values in the hour starting at `start`, remembered for the next day's daily upload."""
        values = self._hours.get(start)
        if values is None:
            values = self._hours[start] = hour_values(self.device, start, self.seed, self.air)
            if len(self._hours) > 26:
                self._hours.popitem(last=False)
        else:
            self._hours.move_to_end(start)
        return values

    def _cp(self, due: Due) -> dict[str, str]:
        start = due.data_time.replace(minute=0, second=0)
        if self.device.profile is Profile.NOISE:
            from ecoloop.demo.simulator import ambient

            day = [self.hour(due.data_time + timedelta(hours=h)) for h in range(24)] if due.cn == "2031" else []
            return ambient.noise_cp(self.device, due, self.hour(start), day, self.seed)
        if due.cn == "2011":
            return realtime_cp(self.device, self.hour(start), due.data_time, self.seed)
        if due.cn == "2051":
            stats = minute_stats(self.device, self.hour(start), due.data_time.minute)
        elif due.cn == "2061":
            stats = hour_stats(self.device, self.hour(start))
        else:
            stats = day_stats(self.device, [self.hour(due.data_time + timedelta(hours=h)) for h in range(24)])
        return period_cp(self.device, due.data_time, stats)
