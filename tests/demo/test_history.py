"""The demo's replaying stations get the recent history of their source station, scaled as they replay it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow.compute as pc

from ecoloop.demo.history import REPLAY_SOURCE, replayed_readings
from ecoloop.demo.service import demo_fixture, demo_readings_file
from ecoloop.ingest.files import ImportReport, read_beijing
from ecoloop.readings.vocabulary import READINGS_SCHEMA

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
