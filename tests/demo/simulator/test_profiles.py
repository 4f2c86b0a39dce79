"""Virtual data loggers' values and schedule: deterministic, plausible, replaying the real air data."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest

from ecoloop.demo.service import demo_readings_file
from ecoloop.demo.simulator.air_data import AirData
from ecoloop.demo.simulator.profiles import (
    Profile,
    SimDevice,
    Uploads,
    day_stats,
    hour_stats,
    hour_values,
    minute_stats,
    schedule,
)

TZ = ZoneInfo("Asia/Shanghai")
DEVICES = [
    SimDevice("371822EC0000000000000001", "383174", Profile.AIR_STATION, station="dongsi"),
    SimDevice("371822EC0000000000000002", "664606", Profile.AIR_STATION, station="Tiantan"),
    SimDevice("371831EC0000000000000001", "505792", Profile.GAS_OUTLET, industry="4411"),
    SimDevice("371831EC0000000000000002", "764469", Profile.GAS_OUTLET, industry="3120"),
    SimDevice("371832EC0000000000000001", "507859", Profile.WATER_OUTLET, industry="4620"),
    SimDevice("371832EC0000000000000002", "690553", Profile.WATER_OUTLET),
]
# Just before midnight: the first packets include minute, hourly and daily data.
START = datetime(2026, 3, 1, 23, 59, 45, tzinfo=TZ)


def wall(*parts: int) -> datetime:
    """A naive local wall-clock time, as HJ 212 DataTime and the simulator's schedule use."""
    return datetime(*parts, tzinfo=TZ).replace(tzinfo=None)


def test_the_schedule_follows_a_data_logger() -> None:
    dues = islice(schedule(wall(2026, 3, 1, 23, 59, 45), realtime_seconds=30, offset_seconds=2), 9)
    got = [(d.at.strftime("%H:%M:%S"), d.cn, d.data_time.strftime("%d %H:%M:%S")) for d in dues]
    assert got == [
        ("00:00:02", "2011", "02 00:00:00"),  # sampled on the 30 s grid
        ("00:00:02", "2051", "01 23:59:00"),  # the minute running at the start, sent after its end
        ("00:00:02", "2061", "01 23:00:00"),
        ("00:00:02", "2031", "01 00:00:00"),
        ("00:00:32", "2011", "02 00:00:30"),
        ("00:01:02", "2011", "02 00:01:00"),
        ("00:01:02", "2051", "02 00:00:00"),
        ("00:01:32", "2011", "02 00:01:30"),
        ("00:02:02", "2011", "02 00:02:00"),
    ]


def test_the_same_seed_gives_the_same_packets(air: AirData) -> None:
    def frames(seed: int, device: SimDevice) -> list[bytes]:
        uploads = Uploads(device, START.replace(tzinfo=None), seed=seed, air=air)
        return [frame for _due, _qn, frame in islice(uploads, 12)]

    for device in DEVICES:
        assert frames(3, device) == frames(3, device)
        assert frames(3, device) != frames(4, device)
    qns = [qn for _d, qn, _f in islice(Uploads(DEVICES[0], START.replace(tzinfo=None), air=air), 50)]
    assert len(set(qns)) == 50 and qns == sorted(qns)


def test_air_stations_replay_the_real_data(air: AirData) -> None:
    # Seed 0 maps 1 March to 1 March 2016, the first day of the data's last year, which the demo's history,
    # dated whole years later, ends with; CO is sent in mg/m³.
    wanted = [("station", "=", "Dongsi"), ("hour_start", "=", wall(2016, 3, 1, 5))]
    real = pq.read_table(demo_readings_file(), filters=wanted).to_pylist()[0]
    stats = hour_stats(DEVICES[0], hour_values(DEVICES[0], wall(2026, 3, 1, 5), 0, air))
    assert stats["a34004"].avg == pytest.approx(real["pm2_5"])
    assert stats["a21005"].avg == pytest.approx(real["co_ug"] / 1000)
    assert stats["a05024"].avg == pytest.approx(real["o3"])
    days = [wall(2026, 6, 1) + timedelta(hours=h) for h in range(24 * 30)]
    hours = [hour_stats(DEVICES[0], hour_values(DEVICES[0], h, 0, air)) for h in days]
    pm25 = [h["a34004"].avg for h in hours if "a34004" in h]
    assert len(pm25) > 0.9 * len(hours) and min(pm25) >= 2 and max(pm25) <= 999
    co = [h["a21005"].avg for h in hours if "a21005" in h]
    assert min(co) >= 0.1 and max(co) <= 10 and 0.3 < statistics.median(co) < 3  # mg/m³, not µg/m³
    # Over the four data years (one per seed) PM2.5 stays at or below PM10 in most hours; the source has its
    # faulty stretches (Dongsi, winter 2013/14), which the data-quality rules are there to find.
    moments = [wall(2026, 3, 1) + timedelta(hours=h) for h in range(0, 24 * 365, 5)]
    year = [air.hour_values(s, m, seed) for s in ("dongsi", "tiantan") for seed in range(4) for m in moments]
    paired = [v for v in year if "a34004" in v and "a34002" in v]
    assert len(paired) > 0.9 * len(year)
    assert sum(v["a34004"] <= v["a34002"] for v in paired) > 0.9 * len(paired)


def test_minute_values_average_to_the_hour_and_days_to_their_hours(air: AirData) -> None:
    for device in DEVICES:
        hours = [hour_values(device, wall(2026, 7, 14, h), 5, air) for h in range(24)]
        hourly = hour_stats(device, hours[10])
        for code, stat in hourly.items():
            minutes = [minute_stats(device, hours[10], m)[code] for m in range(60)]
            assert statistics.fmean(m.avg for m in minutes) == pytest.approx(stat.avg)
            assert all(m.min <= m.avg <= m.max for m in minutes)
            if stat.cou is not None:
                assert sum(m.cou or 0 for m in minutes) == pytest.approx(stat.cou)
        daily = day_stats(device, hours)
        for code, stat in daily.items():
            averages = [hour_stats(device, h)[code].avg for h in hours if code in h.minutes]
            assert stat.avg == pytest.approx(statistics.fmean(averages))


def test_flue_gas_outlets_convert_calibrate_and_have_rare_excursions() -> None:
    power = DEVICES[2]
    hours = [hour_values(power, wall(2026, 5, 1) + timedelta(hours=h), 1) for h in range(24 * 60)]
    stats = [hour_stats(power, h) for h in hours]
    for s in stats[:48]:
        # Converted to the coal-fired power boiler's 6 % O2 (GB 13223-2011).
        assert s["a21026"].zs_avg == pytest.approx(s["a21026"].avg * 15 / (21 - s["a19001"].avg), rel=1e-3)
        assert 3 < s["a19001"].avg < 10 and 30 < s["a01012"].avg < 70 and s["a00000"].avg > 0
    calibration = hours[3]
    assert calibration.flags["a21026"][:5] == ("C",) * 5 and calibration.flags["a21026"][5] == "N"
    assert minute_stats(power, calibration, 0)["a21026"].flag == "C"
    assert stats[3]["a21026"].flag == "N"  # 55 of 60 minutes normal (HJ 212-2017 C.16)
    usual = {code: statistics.median(s[code].avg for s in stats) for code in ("a21026", "a21002", "a34013")}
    excursions = sum(any(s[c].avg > 1.45 * usual[c] for c in usual) for s in stats)
    assert 0.003 * len(stats) <= excursions <= 0.06 * len(stats)


def test_wastewater_outlets_sample_hourly() -> None:
    works = DEVICES[4]
    for h in range(48):
        values = hour_values(works, wall(2026, 8, 1) + timedelta(hours=h), 2)
        assert len(set(values.minutes["w01018"])) == 1  # one COD sample an hour
        stats = hour_stats(works, values)
        assert 6 <= stats["w01001"].avg <= 9 and stats["w00000"].avg > 50
        assert 0 < stats["w21003"].avg < stats["w21001"].avg and stats["w01018"].avg < 60
        assert stats["w00000"].cou == pytest.approx(stats["w00000"].avg * 3.6)  # L/s over an hour, in m³
