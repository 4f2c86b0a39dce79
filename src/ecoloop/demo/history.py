"""The demo's history for its stations that replay a Beijing station (town and village stations): the last weeks of
their source station's imported readings, scaled as the simulated loggers scale them, so that their pages have a
history that the live data continue; and for its outlets, the hours their simulated loggers would have sent since
the start of the previous month."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ecoloop.demo.simulator.profiles import Profile, SimDevice, hour_stats, hour_values
from ecoloop.ingest.files import site_code_for_station
from ecoloop.monitoring.enums import SiteKind
from ecoloop.readings.vocabulary import READINGS_SCHEMA, Interval, ReadingSource, source_value

REPLAY_SOURCE = source_value(ReadingSource.IMPORT, "beijing-replay")
_BOOSTED = ("a34004", "a34002")  # as `simulator.profiles`: PM2.5 and PM10 carry the planted hotspot's boost


def replayed_readings(
    imported: pa.Table, plans: list[dict[str, Any]], site_ids: Mapping[str, int], since: datetime
) -> pa.Table:
    """Readings (READINGS_SCHEMA) of the stations whose plan replays a Beijing station, from `since` on: their
    source station's `imported` readings times the plan's factor (and boost on PM2.5 and PM10), under their own
    site and the source `import:beijing-replay`."""
    recent = imported.filter(pc.greater_equal(imported["time"], pa.scalar(since, imported.schema.field("time").type)))
    boosted = pc.is_in(recent["parameter"], value_set=pa.array(_BOOSTED))
    parts = []
    for plan in plans:
        replay = plan.get("replay")
        if not replay:
            continue
        target, source = site_ids.get(plan["code"]), site_ids.get(site_code_for_station(replay["station"]))
        if target is None or source is None:
            continue
        rows = recent.filter(pc.equal(recent["site_id"], source))
        keep = pc.filter(boosted, pc.equal(recent["site_id"], source))
        factor = float(replay.get("factor", 1.0))
        scale = pc.if_else(keep, factor * float(replay.get("boost", 1.0)), factor)
        rows = rows.set_column(0, "site_id", pa.array([target] * rows.num_rows, pa.int64()))
        rows = rows.set_column(
            rows.schema.get_field_index("value"), "value", pc.round(pc.multiply(rows["value"], scale), 6)
        )
        rows = rows.set_column(
            rows.schema.get_field_index("source"), "source", pa.array([REPLAY_SOURCE] * rows.num_rows, pa.string())
        )
        parts.append(rows.cast(imported.schema))
    return pa.concat_tables(parts) if parts else imported.slice(0, 0)


OUTLET_SOURCE = source_value(ReadingSource.IMPORT, "simulated-outlets")
_OUTLETS = (Profile.GAS_OUTLET, Profile.WATER_OUTLET)


def outlet_readings(
    devices: Sequence[tuple[int, SimDevice]], first: datetime, end: datetime, tz: tzinfo, seed: int, received: datetime
) -> pa.Table:
    """Hourly readings (READINGS_SCHEMA) of the outlet sites' simulated loggers for the local hours starting from
    `first` (naive local time, the simulator's clock) and ending by `end`, as the loggers would have sent them
    (`hour_stats`: each parameter's hourly mean and flag, the flue gas's O2 among them), under the source
    `import:simulated-outlets`: the outlets' history before the live loggers took over, so that their compliance
    has past months (issue 16). `devices` pairs each site id with its logger."""
    rows: dict[str, list[Any]] = {name: [] for name in ("site_id", "parameter", "time", "value", "flag")}
    for site_id, device in devices:
        if device.profile not in _OUTLETS:
            continue
        hour = first
        while (hour + timedelta(hours=1)).replace(tzinfo=tz) <= end:
            moment = hour.replace(tzinfo=tz).astimezone(UTC)
            for code, stat in hour_stats(device, hour_values(device, hour, seed)).items():
                rows["site_id"].append(site_id)
                rows["parameter"].append(code)
                rows["time"].append(moment)
                rows["value"].append(round(stat.avg, 6))
                rows["flag"].append(stat.flag)
            hour += timedelta(hours=1)
    count = len(rows["site_id"])
    return pa.table(
        {
            **{name: rows[name] for name in ("site_id", "parameter")},
            "interval": [Interval.HOUR.value] * count,
            "time": rows["time"],
            "value": rows["value"],
            "flag": rows["flag"],
            "source": [OUTLET_SOURCE] * count,
            "received_at": [received] * count,
        },
        schema=READINGS_SCHEMA,
    )


NOISE_SOURCE = source_value(ReadingSource.IMPORT, "demo-noise")


def noise_readings(
    plans: list[dict[str, Any]],
    site_ids: Mapping[str, int],
    since: datetime,
    until: datetime,
    tz: tzinfo,
    seed: int = 0,
) -> pa.Table:
    """Readings (READINGS_SCHEMA) of the demo's noise stations from `since` to `until`: what their simulated loggers
    send live for those periods (`simulator.ambient`, the same MN and seed), so that their daily Ld and Ln have a
    history before the live data continue it. Each whole hour gives the hourly levels (Leq, L10, L50, L90, LMx, LMn:
    HJ 212-2017 CN=2061 `X-Data`), each whole day the daily upload (CN=2031: `Leq-Data`, `Ldn-Data`, `Ld-DayData`,
    `Ln-NightData`), stored as the receiver stores them."""
    from ecoloop.demo.simulator import ambient
    from ecoloop.demo.simulator.loggers import sim_device
    from ecoloop.demo.simulator.profiles import Due

    rows: dict[str, list[Any]] = {name: [] for name in READINGS_SCHEMA.names}
    first = since.astimezone(tz).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    last = until.astimezone(tz).replace(tzinfo=None)
    received = until.astimezone(UTC)

    def add(site_id: int, cp: dict[str, str], interval: Interval, start: datetime) -> None:
        for key, value in cp.items():
            if key == "DataTime":
                continue
            rows["site_id"].append(site_id)
            rows["parameter"].append(key.removesuffix("-Data"))  # `Ld-DayData` stays, as `ingest.convert` keeps it
            rows["interval"].append(interval.value)
            rows["time"].append(start.replace(tzinfo=tz))
            rows["value"].append(float(value))
            rows["flag"].append("N")
            rows["source"].append(NOISE_SOURCE)
            rows["received_at"].append(received)

    for plan in plans:
        site_id, device = site_ids.get(plan["code"]), plan.get("device")
        if plan.get("kind") != SiteKind.NOISE.value or site_id is None or not device:
            continue
        sim = sim_device(device["mn"], device["password"], plan["code"], SiteKind.NOISE, plan, zone=plan["noise_zone"])
        hours: dict[datetime, Any] = {}
        hour = first
        while hour + timedelta(hours=1) <= last:
            hours[hour] = ambient.station_hour(sim, hour, seed)
            add(site_id, ambient.noise_cp(sim, Due(hour, 0, "2061", hour), hours[hour], [], seed), Interval.HOUR, hour)
            hour += timedelta(hours=1)
        for start in sorted(h for h in hours if h.hour == 0 and h + timedelta(hours=23) in hours):
            day = [hours[start + timedelta(hours=h)] for h in range(24)]
            add(site_id, ambient.noise_cp(sim, Due(start, 0, "2031", start), day[0], day, seed), Interval.DAY, start)
    return pa.table(rows, schema=READINGS_SCHEMA)
