"""The demo's replaying stations get the recent history of their source station, scaled as they replay it; its noise
stations the hours their simulated loggers would have sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pyarrow.compute as pc

from ecoloop.demo.history import (
    NOISE_SOURCE,
    OUTLET_SOURCE,
    REPLAY_SOURCE,
    noise_readings,
    outlet_readings,
    replayed_readings,
)
from ecoloop.demo.service import demo_fixture, demo_readings_file
from ecoloop.demo.simulator.loggers import sim_device
from ecoloop.demo.simulator.profiles import Profile, SimDevice, Uploads, hour_stats, hour_values
from ecoloop.ingest.convert import readings_of
from ecoloop.ingest.files import ImportReport, read_beijing
from ecoloop.ingest.hj212 import parse
from ecoloop.monitoring.enums import SiteKind
from ecoloop.readings.vocabulary import READINGS_SCHEMA
from ecoloop.standards.noise import energy_mean

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 10, 30, tzinfo=TZ)
SITES = {"bj-aotizhongxin": 1, "bj-dongsi": 2, "air-371802101000": 10, "air-371802002000": 11, "air-371802003000": 12}


def test_replaying_stations_get_their_sources_recent_history_scaled() -> None:
    imported = read_beijing(demo_readings_file(), SITES, TZ, ImportReport(), now=NOW, shift_years=10, until=NOW)
    plans = demo_fixture()["sites"]
    since = NOW - timedelta(days=30)
    derived = replayed_readings(imported, plans, SITES, since)
    assert derived.schema == READINGS_SCHEMA
    assert set(derived["site_id"].to_pylist()) == {10, 11, 12}  # the Beijing stations keep their own rows only
    assert set(derived["source"].to_pylist()) == {REPLAY_SOURCE}
    assert min(derived["time"].to_pylist()) >= since and max(derived["time"].to_pylist()) <= NOW
    source = {(r["site_id"], r["parameter"], r["time"]): r["value"] for r in imported.to_pylist()}
    replay = {p["code"]: p["replay"] for p in plans if p["code"] in SITES and "replay" in p}
    by_id = {SITES[code]: (SITES[f"bj-{r['station'].lower()}"], r) for code, r in replay.items()}
    for row in derived.to_pylist():
        origin, plan = by_id[row["site_id"]]
        boost = plan.get("boost", 1.0) if row["parameter"] in ("a34004", "a34002") else 1.0
        expected = source[(origin, row["parameter"], row["time"])] * plan["factor"] * boost
        assert abs(row["value"] - expected) < 1e-5
    planted = derived.filter(pc.equal(derived["site_id"], 10))
    assert pc.max(planted.filter(pc.equal(planted["parameter"], "a34004"))["value"]).as_py() > 100
    # 30 days of hours, six pollutants, three stations, less what the source lacks.
    assert 0.9 * 30 * 24 * 6 * 3 < derived.num_rows <= 30 * 24 * 6 * 3


def test_outlets_get_the_hours_their_loggers_would_have_sent() -> None:
    """A flue-gas and a wastewater logger (and an air station, left out) from local 2026-11-30 22:00 to 2026-12-01
    01:30 (UTC 17:30): the three hours 22:00, 23:00 and 00:00 (01:00 has not ended), each parameter's hourly mean and
    flag as the hourly upload would carry them, flue-gas O2 among them, dated in UTC."""
    tz = ZoneInfo("Asia/Shanghai")
    gas = SimDevice("MN-GAS", "pw", Profile.GAS_OUTLET, industry="4411")
    water = SimDevice("MN-WATER", "pw", Profile.WATER_OUTLET, industry="2614")
    air = SimDevice("MN-AIR", "pw", Profile.AIR_STATION)
    end = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    local_first = datetime.combine(date(2026, 11, 30), time(22))  # the simulator's clock: naive local time

    table = outlet_readings([(1, gas), (2, water), (3, air)], local_first, end, tz, 0, end)

    assert table.schema == READINGS_SCHEMA
    rows = table.to_pylist()
    assert {r["site_id"] for r in rows} == {1, 2}
    assert sorted({r["time"] for r in rows}) == [datetime(2026, 11, 30, h, tzinfo=UTC) for h in (14, 15, 16)]
    first = hour_stats(gas, hour_values(gas, local_first, 0))
    gas_rows = {r["parameter"]: r for r in rows if r["site_id"] == 1 and r["time"].hour == 14}
    assert set(gas_rows) == set(first) and "a19001" in gas_rows
    assert gas_rows["a21026"]["value"] == round(first["a21026"].avg, 6)
    assert gas_rows["a21026"]["flag"] == first["a21026"].flag
    assert {r["source"] for r in rows} == {OUTLET_SOURCE}


def test_noise_stations_get_the_hours_their_loggers_would_have_sent() -> None:
    """Every noise point of the demo gets its hourly levels of the last days, the values its simulated logger sends
    live for the same hours (the HJ 212 frame of the hour, parsed as the receiver stores it); the point beside a
    building site ('loud', zone 1: 55/45) is above its limits by day and by night, a quiet one (zone 1) below."""
    plans = demo_fixture()["sites"]
    noise = {p["code"]: n for n, p in enumerate(p for p in plans if p["kind"] == "noise")}
    since = NOW - timedelta(days=3)

    derived = noise_readings(plans, noise, since, NOW, TZ)

    assert derived.schema == READINGS_SCHEMA
    assert set(derived["source"].to_pylist()) == {NOISE_SOURCE}
    assert set(derived["site_id"].to_pylist()) == set(noise.values())
    hourly = derived.filter(pc.equal(derived["interval"], "hour"))
    daily = derived.filter(pc.equal(derived["interval"], "day"))
    assert set(hourly["parameter"].to_pylist()) == {"Leq", "L10", "L50", "L90", "LMx", "LMn"}
    assert hourly.num_rows == len(noise) * 6 * 3 * 24  # 10:00 on the 4th to 10:00 on the 7th
    assert set(daily["parameter"].to_pylist()) == {"Leq", "Ldn", "Ld-DayData", "Ln-NightData"}
    assert daily.num_rows == len(noise) * 4 * 2  # the whole days: the 5th and the 6th

    loud = next(p for p in plans if p.get("behaviour") == "loud")
    device = sim_device(loud["device"]["mn"], loud["device"]["password"], loud["code"], SiteKind.NOISE, loud, zone="1")
    hour = datetime(2026, 12, 6, 23)  # noqa: DTZ001  # the logger's local DataTime
    for cn, start in (("2061", hour), ("2031", datetime(2026, 12, 6))):  # noqa: DTZ001  # local, as above
        frame = next(f for due, _qn, f in Uploads(device, start, seed=0) if due.cn == cn and due.data_time == start)
        sent = {r.parameter: r.value for r in readings_of(parse(frame), noise[loud["code"]], TZ)}
        stored = {
            r["parameter"]: r["value"]
            for r in derived.to_pylist()
            if r["site_id"] == noise[loud["code"]]
            and r["time"] == start.replace(tzinfo=TZ)
            and r["interval"] == ("hour" if cn == "2061" else "day")
        }
        assert stored == sent

    def energy(site: str, night: bool) -> Decimal:
        levels = [
            Decimal(str(r["value"]))
            for r in derived.to_pylist()
            if r["site_id"] == noise[site]
            and r["parameter"] == "Leq"
            and (r["time"].astimezone(TZ).hour not in range(6, 22)) == night
        ]
        return energy_mean(levels)

    quiet = next(p for p in plans if p.get("behaviour") == "quiet" and p["noise_zone"] == "1")
    assert energy(loud["code"], night=False) > 55 and energy(loud["code"], night=True) > 45
    assert energy(quiet["code"], night=False) < 55 and energy(quiet["code"], night=True) < 45
