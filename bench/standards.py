"""Benchmark of the air-quality evaluation pipeline on embedded DuckDB, against a naive row-by-row baseline.

1,000 stations x 8,760 hours (8.76 million hourly rows, six pollutants, realistic gaps) for the year 2027
(HJ 633-2026 / GB 3095-2026 rules) go through: hourly AQI; daily means with validity; O3 8-hour moving means
and MDA8; daily AQI; annual statistics and the composite index per station. The baseline runs the scalar
functions of `ecoloop.standards` row by row on a sample of stations and is extrapolated. The peer (`peer.py`) does
the same work as an analyst would in pandas with floats and `np.interp`; its AQIs are compared with the exact ones.

Run: `uv run python bench/standards.py [--stations 1000] [--baseline-stations 4]`. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from collections import defaultdict
from datetime import date

import ibis
import numpy as np
import peer
import pyarrow as pa

from ecoloop.analytics import air
from ecoloop.standards import aqi as scalar_aqi
from ecoloop.standards import evaluation

YEAR = 2027
HOURS = 8760


def generate(stations: int, seed: int = 7) -> pa.Table:
    """Hourly readings with diurnal and seasonal cycles, 2 % random gaps and one outage per 10 stations."""
    rng = np.random.default_rng(seed)
    n = stations * HOURS
    hour = np.tile(np.arange(HOURS), stations)
    station = np.repeat(np.arange(stations), HOURS)
    season = 1 + 0.5 * np.cos(2 * np.pi * hour / HOURS)  # winter peak
    diurnal = 1 + 0.3 * np.sin(2 * np.pi * (hour % 24 - 9) / 24)
    level = rng.lognormal(0, 0.35, stations)[station]

    def series(base: float, sigma: float, shape: np.ndarray, decimals: int = 0) -> np.ndarray:
        values = base * level * shape * rng.lognormal(0, sigma, n)
        values = np.round(values, decimals)
        values[rng.random(n) < 0.02] = np.nan
        return values

    columns = {
        "so2": series(12, 0.5, season),
        "no2": series(35, 0.4, season * diurnal),
        "co": series(0.8, 0.4, season, 1),
        "o3": series(70, 0.5, (2 - season) * (2 - diurnal)),
        "pm10": series(70, 0.6, season),
        "pm2_5": series(40, 0.6, season),
    }
    outage = (station % 10 == 3) & (hour >= 2000) & (hour < 2000 + 24 * 9)  # nine days silent
    for values in columns.values():
        values[outage] = np.nan
    start = np.datetime64(f"{YEAR}-01-01T00:00")
    return pa.table(
        {
            # Stations are referenced by integer id, as readings reference their monitoring site.
            "station": pa.array(station.astype("int32")),
            "hour_start": pa.array((start + hour.astype("timedelta64[h]")).astype("datetime64[s]")),
            **{k: pa.array(v, from_pandas=True) for k, v in columns.items()},
        }
    )


def cpu_seconds() -> float:
    """CPU time of this process so far, every thread (user + system): less sensitive than wall time to what
    else the machine runs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pipeline(con: ibis.BaseBackend) -> tuple[dict[str, float], dict[str, float]]:
    """Run every step to completion; return the wall seconds and the CPU seconds of each."""
    start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    hourly = air.normalise(con.table("readings"))
    steps = {
        "hourly_aqi": lambda: con.create_table(
            "hourly_aqi",
            air.hourly_aqi(hourly, start, end).select("station", "hour_start", "aqi", "level", "primary"),
            overwrite=True,
        ),
        "daily_values_and_mda8": lambda: con.create_table("daily", air.daily_values(hourly), overwrite=True),
        "daily_aqi": lambda: con.create_table(
            "daily_aqi", air.daily_aqi(con.table("daily"), start, end), overwrite=True
        ),
        "annual_and_composite": lambda: con.create_table(
            "annual", air.period_statistics(con.table("daily_aqi"), end), overwrite=True
        ),
    }
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for name, step in steps.items():
        t0, c0 = time.perf_counter(), cpu_seconds()
        step()
        timings[name], cpu[name] = time.perf_counter() - t0, cpu_seconds() - c0
    return timings, cpu


def baseline(table: pa.Table, stations: int) -> float:
    """Row-by-row Python with the scalar standards functions on the first `stations` stations."""
    rows = table.slice(0, stations * HOURS).to_pylist()
    t0 = time.perf_counter()
    by_day: dict[tuple[str, date], list[dict]] = defaultdict(list)
    for row in rows:
        values = {
            "SO2_1h": row["so2"],
            "NO2_1h": row["no2"],
            "CO_1h": row["co"],
            "O3_1h": row["o3"],
            "PM10_1h": row["pm10"],
            "PM2_5_1h": row["pm2_5"],
        }
        scalar_aqi.hourly_aqi({k: (None if v is None or v != v else v) for k, v in values.items()}, "2026")
        by_day[(row["station"], row["hour_start"].date())].append(row)
    daily_aqis: dict[str, list[int | None]] = defaultdict(list)
    for (station, day), hours in sorted(by_day.items()):
        means = {}
        for key, column in (
            ("SO2_24h", "so2"),
            ("NO2_24h", "no2"),
            ("CO_24h", "co"),
            ("PM10_24h", "pm10"),
            ("PM2_5_24h", "pm2_5"),
        ):
            means[key] = evaluation.daily_mean([_clean(h[column]) for h in hours])
        o3 = [_clean(h["o3"]) for h in hours]
        means["O3_8h"] = evaluation.mda8(o3, day) if len(o3) == 24 else None
        result = scalar_aqi.daily_aqi({k: v for k, v in means.items() if v is not None}, "2026")
        daily_aqis[station].append(result.aqi)
    for aqis in daily_aqis.values():
        evaluation.aqi_day_counts(aqis)
    return time.perf_counter() - t0


def _clean(value: float | None) -> float | None:
    return None if value is None or value != value else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--baseline-stations", type=int, default=4)
    args = parser.parse_args()

    t0 = time.perf_counter()
    table = generate(args.stations)
    print(f"generated {table.num_rows:,} hourly rows in {time.perf_counter() - t0:.1f} s")
    con = ibis.duckdb.connect(threads=2)
    con.create_table("readings", table, overwrite=True)

    load_before = os.getloadavg()[0]
    timings, cpu = pipeline(con)
    seconds, cpu_total = sum(timings.values()), sum(cpu.values())
    for step, value in timings.items():
        print(f"  {step:<24} {value:6.2f} s  (CPU {cpu[step]:5.2f} s)")
    print(
        f"pipeline: {seconds:.2f} s for {table.num_rows:,} rows ({table.num_rows / seconds / 1e6:.2f} M rows/s),"
        f" CPU {cpu_total:.2f} s; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )

    sample = baseline(table, args.baseline_stations)
    baseline_seconds = sample * args.stations / args.baseline_stations
    print(f"baseline: {sample:.2f} s for {args.baseline_stations} stations → {baseline_seconds:.0f} s extrapolated")
    ratio = baseline_seconds / seconds
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ratio vs baseline: {ratio:.0f}x; peak memory {peak_mb:.0f} MB")

    frame = table.to_pandas()
    peer_cpu0 = cpu_seconds()
    peer_timings, peer_results = peer.run(frame, date(YEAR, 12, 31))
    peer_cpu = cpu_seconds() - peer_cpu0
    del frame
    peer_seconds = sum(peer_timings.values())
    for step, value in peer_timings.items():
        print(f"  peer {step:<19} {value:6.2f} s")
    print(
        f"peer (pandas, floats, np.interp): {peer_seconds:.2f} s (CPU {peer_cpu:.2f} s);"
        f" ecoloop / peer: {seconds / peer_seconds:.2f} (CPU {cpu_total / peer_cpu:.2f})"
    )
    exact_hourly = con.table("hourly_aqi").order_by(["station", "hour_start"]).select("aqi").to_pyarrow()
    exact_daily = con.table("daily_aqi").order_by(["station", "day"]).select("aqi").to_pyarrow()
    hourly_off = peer.disagreements(peer_results["hourly_aqi"]["aqi"].to_numpy(), exact_hourly.column("aqi"))
    daily_off = peer.disagreements(peer_results["daily_aqi"]["aqi"].to_numpy(), exact_daily.column("aqi"))
    del peer_results, exact_hourly, exact_daily
    print(f"peer AQIs differing from the exact ones: {hourly_off:,} of {table.num_rows:,} hourly, {daily_off:,} daily")
    peer_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory with the peer {peer_peak_mb:.0f} MB")

    annual = con.table("annual").execute()
    print(f"annual rows: {len(annual)}, mean composite index {annual.composite_index.mean():.2f}")
    print(
        json.dumps(
            {
                "rows": table.num_rows,
                "seconds": round(seconds, 3),
                "baseline_seconds": round(baseline_seconds, 1),
                "ratio_vs_baseline": round(ratio, 1),
                "peak_memory_mb": round(peak_mb),
                "steps": {k: round(v, 3) for k, v in timings.items()},
                "cpu_seconds": round(cpu_total, 3),
                "cpu_steps": {k: round(v, 3) for k, v in cpu.items()},
                "load_average": round(load_before, 2),
                "peer_seconds": round(peer_seconds, 3),
                "ratio_vs_peer": round(seconds / peer_seconds, 2),
                "peer_cpu_seconds": round(peer_cpu, 3),
                "peer_disagreements": hourly_off + daily_off,
                "peer_disagreements_hourly": hourly_off,
                "peer_disagreements_daily": daily_off,
                "peer_steps": {k: round(v, 3) for k, v in peer_timings.items()},
                "peer_peak_memory_mb": round(peer_peak_mb),
            }
        )
    )


if __name__ == "__main__":
    main()
