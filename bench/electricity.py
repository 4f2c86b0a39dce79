"""Benchmark of the electricity checks (issue 20 part 4): 5,000 enterprises x 90 days of 15-minute kWh with planted
violators, through the app's own check path (`electricity.rules.dense` + `electricity.checks.verify`), against a
naive pandas groupby median in the same run.

Data (generated, not timed): every enterprise has a production meter, one in ten also a treatment-facility meter
(5,500 meters x 8,640 slots = 47.5 M readings; the 5,000 production meters alone are 43.2 M). Each enterprise has a
base load (log-normal), a shift pattern (continuous, two shifts, day shift) and a weekend factor; its load has a
day factor and a slot noise (multiplicative, 4 % and 6 %), spikes (0.05 % of slots, x 2-5) and dips (0.1 %, x 0.1),
gaps (0.2 % single slots; one meter in a hundred silent for 2-5 days), maintenance days (one meter in thirty
near zero for 1-2 days), the days of 2026's Mid-Autumn and National Day holidays at 35 % and their make-up working
weekends as working days (chinese-calendar), and an earlier two-and-a-half-day warning during which the listed
enterprises cut back (left out of the learning as the app leaves earlier warnings out). Treatment load follows
production. The 72-hour warning starts at 20:00 on day 86; allowances by grade: A 100 %, B 70 %, C 50 %, D stop.

Compliant enterprises under the warning produce at 60-95 % of their allowance (a stopped one at 10-22 % of its
normal load, the residual the Weifang figures show), their treatment follows, and a few slots go missing. Planted:
120 enterprises keep producing at 95-105 % for 6-30 hours (over the allowance), 25 run production at ≥ 60 % while
their treatment facility draws 5 % for 2-8 hours (treatment off), 20 production meters send nothing for 3-10 hours
(missing data). Precision and recall are over (enterprise, kind) pairs.

Stored (not timed) as the app stores them: the readings of every closed UTC day as the day's Parquet partition,
written by the compaction's own writer (`electricity.archive.write_partition`), and the last UTC day's (the
warning's last 16 hours, 350 k readings) left in the SQL table `electricity_readings` of a SQLite database, as
the hourly compaction leaves the current day.

Timed: the app's read (`electricity.verification.read_series`: the Parquet partitions of the grid's days through
DuckDB into numpy, the SQL table's rows over them, laid out dense on the 15-minute grid), the baseline learned over
the 8 weeks before the warning, and the warning's check (`electricity.checks.verify`) — the functions the app's
job calls (`verification.evaluate`). The naive baseline: the history read from the same storage into a long pandas
frame (`pd.read_parquet` of the partitions, `pd.read_sql` of the SQL table: timed) and grouped by meter, weekday and
slot for the median alone (no spread, no fallback, no maintenance days, no check).

Run: `uv run --frozen python bench/electricity.py [--enterprises 5000] [--days 90] [--dir DIR]`; the last line is
JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

from ecoloop.cases.workdays import WorkCalendar
from ecoloop.electricity.archive import SCHEMA, write_partition
from ecoloop.electricity.checks import MeterRole, verify
from ecoloop.electricity.enums import FlagKind, MeterTarget, ReadingOrigin
from ecoloop.electricity.models import MeterReading
from ecoloop.electricity.rules import Grid, Parameters, day_profiles
from ecoloop.electricity.verification import read_series

ZONE = ZoneInfo("Asia/Shanghai")
FIRST = date(2026, 9, 1)
PER_DAY = 96
FRACTIONS = np.array([1.0, 0.7, 0.5, 0.0], dtype=np.float32)  # grades A, B, C, D [unverified defaults of the bench]


def generate(enterprises: int, days: int, seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    treated = enterprises // 10
    meters = enterprises + treated
    grid = Grid(datetime(FIRST.year, FIRST.month, FIRST.day, tzinfo=ZONE), days)
    profiles = day_profiles([grid.day(d) for d in range(days)], WorkCalendar().is_workday)
    warn_day, warn_start = days - 4, (days - 4) * PER_DAY + 80  # 20:00 of day 86
    warn_end = warn_start + 72 * 4
    earlier = slice((days - 40) * PER_DAY, (days - 40) * PER_DAY + 60 * 4)

    # the normal load of each enterprise's production
    base = rng.lognormal(np.log(50), 1.0, enterprises).astype(np.float32)
    hour = np.arange(PER_DAY) / 4
    shapes = np.stack(
        [
            0.9 + 0.1 * np.sin(hour / 24 * 2 * np.pi),
            np.where((hour >= 6) & (hour < 22), 1.0, 0.3),
            np.where((hour >= 8) & (hour < 18), 1.0, 0.2),
        ]
    ).astype(np.float32)
    shape = shapes[rng.integers(0, 3, enterprises)]  # [E, 96]
    weekend = rng.choice(np.array([1.0, 0.7, 0.4], dtype=np.float32), enterprises)
    day_factor = np.ones((enterprises, days), dtype=np.float32)
    day_factor[:, profiles == 5] = weekend[:, None]
    day_factor[:, profiles == 6] = weekend[:, None] * 0.9
    day_factor[:, profiles == 7] = 0.35
    day_factor *= rng.lognormal(0, 0.04, (enterprises, days)).astype(np.float32)
    normal = base[:, None, None] * day_factor[:, :, None] * shape[:, None, :]  # [E, D, 96]
    normal = normal.reshape(enterprises, days * PER_DAY)
    load = normal * rng.lognormal(0, 0.06, normal.shape).astype(np.float32)

    grade = rng.choice(4, enterprises, p=[0.1, 0.3, 0.4, 0.2])
    fraction_e = FRACTIONS[grade]
    # the earlier warning: everyone listed cut back as asked
    load[:, earlier] *= np.maximum(fraction_e, 0.2)[:, None]
    # the warning: compliant production
    w = slice(warn_start, warn_end)
    comply = np.where(
        grade == 3, rng.uniform(0.10, 0.22, enterprises), fraction_e * rng.uniform(0.6, 0.95, enterprises)
    )
    comply[grade == 0] = rng.uniform(0.9, 1.0, (grade == 0).sum())
    load[:, w] = normal[:, w] * comply[:, None].astype(np.float32) * rng.lognormal(0, 0.06, (enterprises, 288))

    planted: set[tuple[int, str]] = set()
    order = rng.permutation(enterprises)
    limited = [e for e in order if grade[e] != 0]
    over = limited[:120]
    for e in over:
        hours = int(rng.integers(6, 31))
        start = warn_start + int(rng.integers(0, 288 - hours * 4))
        load[e, start : start + hours * 4] = normal[e, start : start + hours * 4] * rng.uniform(0.95, 1.05, hours * 4)
        planted.add((int(e), FlagKind.OVER_ALLOWANCE.value))

    # treatment facilities of the first `treated` enterprises (by position after shuffling)
    owners = order[:treated]
    treat_base = base[owners] * 0.3
    treat = treat_base[:, None] * (0.5 + 0.5 * load[owners] / np.maximum(normal[owners], 1e-6))
    treat *= rng.lognormal(0, 0.05, treat.shape).astype(np.float32)
    candidates = [i for i, e in enumerate(owners) if grade[e] in (0, 1) and e not in set(over)]
    for i in candidates[:25]:
        e = owners[i]
        load[e, w] = normal[e, w] * max(0.6, float(comply[e]))
        hours = int(rng.integers(2, 9))
        start = warn_start + int(rng.integers(0, 288 - hours * 4))
        treat[i, start : start + hours * 4] = treat_base[i] * 0.05
        planted.add((int(e), FlagKind.TREATMENT_OFF.value))

    series = np.concatenate([load, treat.astype(np.float32)])
    # outliers, gaps and maintenance days in the whole series
    n = series.size
    flat = series.reshape(-1)
    spikes = rng.choice(n, n // 2000, replace=False)
    flat[spikes] *= rng.uniform(2, 5, spikes.size).astype(np.float32)
    dips = rng.choice(n, n // 1000, replace=False)
    flat[dips] *= 0.1
    for m in rng.choice(meters, meters // 30, replace=False):
        d = int(rng.integers(0, warn_day - 2))
        series[m, d * PER_DAY : (d + int(rng.integers(1, 3))) * PER_DAY] *= 0.02
    gaps = rng.choice(n, n // 500, replace=False)
    flat[gaps] = np.nan
    for m in rng.choice(meters, meters // 100, replace=False):
        d = int(rng.integers(0, warn_day - 5))
        series[m, d * PER_DAY : (d + int(rng.integers(2, 6))) * PER_DAY] = np.nan
    silent = [e for e in order[treated:] if (int(e), FlagKind.OVER_ALLOWANCE.value) not in planted][:20]
    for e in silent:
        hours = int(rng.integers(3, 11))
        start = warn_start + int(rng.integers(0, 288 - hours * 4))
        series[e, start : start + hours * 4] = np.nan
        planted.add((int(e), FlagKind.MISSING_DATA.value))
    # within the warning: the spikes and dips planted above are undone (a spike on a stopped line is a violation),
    # and short gaps (below missing_run) stay as the compliant enterprises' few missing slots
    for idx in np.concatenate([spikes, dips]):
        m, s = divmod(int(idx), days * PER_DAY)
        if warn_start <= s < warn_end and not np.isnan(series[m, s]):
            series[m, s] = load[m, s] if m < enterprises else treat[m - enterprises, s]

    roles = [MeterRole(int(e), MeterTarget.PRODUCTION, line_id=int(e)) for e in range(enterprises)]
    roles += [MeterRole(int(e), MeterTarget.TREATMENT, line_id=None, serves_line_id=int(e)) for e in owners]
    fraction = np.full((meters, (days - warn_day) * PER_DAY), np.nan, dtype=np.float32)
    offset = warn_day * PER_DAY
    fraction[:enterprises, warn_start - offset : warn_end - offset] = fraction_e[:, None]
    fraction[enterprises:, warn_start - offset : warn_end - offset] = fraction_e[owners][:, None]
    excluded = np.zeros(days * PER_DAY, dtype=bool)
    excluded[earlier] = True

    valid = ~np.isnan(series)
    meter_index, slot_index = np.nonzero(valid)
    return {
        "grid": grid,
        "meters": meters,
        "roles": roles,
        "profiles": profiles,
        "excluded": excluded,
        "warn_day": warn_day,
        "fraction": fraction,
        "columns": (meter_index, slot_index, series[valid]),
        "planted": planted,
    }


def store(data: dict[str, object], directory: Path) -> tuple[Path, Session, int]:
    """The readings as the app keeps them: each closed UTC day a Parquet partition (the compaction's writer), the
    last UTC day's readings in the SQL table of a SQLite database. The Parquet root, a session on the database and
    how many readings the SQL table holds. Meter ids are the meters' positions + 1."""
    meter_index, slot_index, values = data["columns"]  # type: ignore[misc]
    grid: Grid = data["grid"]  # type: ignore[assignment]
    ts = int(grid.start.timestamp()) + slot_index.astype(np.int64) * grid.minutes * 60
    day = ts // 86400  # the UTC day
    last_day = int(day.max())
    received = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp() * 1000)
    root = directory / "electricity"
    order = np.argsort(day, kind="stable")
    bounds = np.searchsorted(day[order], np.arange(int(day.min()), last_day + 1))
    for d, (lo, hi) in enumerate(itertools.pairwise(bounds), start=int(day.min())):
        rows = order[lo:hi]
        table = pa.table(
            {
                "meter_id": (meter_index[rows] + 1).astype(np.int32),
                "ts": ts[rows],
                "kwh": values[rows].astype(np.float32),
                "origin": pa.array(["api"] * rows.size),
                "received_at": np.full(rows.size, received, dtype=np.int64),
            },
            schema=SCHEMA,
        )
        write_partition(root, date(1970, 1, 1) + timedelta(days=d), table)
    engine = create_engine(f"sqlite:///{directory / 'hot.sqlite'}")
    MeterReading.__table__.create(engine)  # type: ignore[attr-defined]
    hot = order[bounds[-1] :]
    with engine.begin() as connection:
        connection.execute(
            insert(MeterReading),
            [
                {
                    "meter_id": int(m) + 1,
                    "at": datetime.fromtimestamp(int(t), UTC),
                    "kwh": float(v),
                    "origin": ReadingOrigin.API,
                    "received_at": datetime(2026, 12, 1, tzinfo=UTC),
                }
                for m, t, v in zip(meter_index[hot], ts[hot], values[hot], strict=True)
            ],
        )
    return root, Session(engine), int(hot.size)


def naive(data: dict[str, object], weeks: int, root: Path, session: Session) -> float:
    """The peer: the history read from the same storage into a long pandas frame (`pd.read_parquet` of the
    partitions, `pd.read_sql` of the SQL table), grouped by meter, weekday and slot for the median alone."""
    grid: Grid = data["grid"]  # type: ignore[assignment]
    warn_day: int = data["warn_day"]  # type: ignore[assignment]
    profiles: np.ndarray = data["profiles"]  # type: ignore[assignment]
    excluded: np.ndarray = data["excluded"]  # type: ignore[assignment]
    first = int(grid.start.timestamp()) + (warn_day - 7 * weeks) * 86400
    last = int(grid.start.timestamp()) + warn_day * 86400
    started = time.perf_counter()
    paths = [str(p) for p in sorted(root.glob("date=*/part.parquet"))]
    stored = pd.read_parquet(paths, columns=["meter_id", "ts", "kwh"], filters=[("ts", ">=", first), ("ts", "<", last)])
    hot = pd.read_sql(select(MeterReading.meter_id, MeterReading.at, MeterReading.kwh), session.connection())
    hot["ts"] = pd.to_datetime(hot.pop("at"), utc=True).astype("int64") // 10**9
    hot = hot[(hot["ts"] >= first) & (hot["ts"] < last)]
    frame = pd.concat([stored, hot], ignore_index=True) if len(hot) else stored
    slot = (frame["ts"].to_numpy() - int(grid.start.timestamp())) // (grid.minutes * 60)
    frame["slot"] = slot % PER_DAY
    frame["profile"] = profiles[slot // PER_DAY]
    normal = frame[(frame["profile"] < 7) & ~excluded[slot]]
    normal.groupby(["meter_id", "profile", "slot"])["kwh"].median()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=5000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--no-baseline", action="store_true", help="skip the pandas peer")
    parser.add_argument("--dir", type=Path, default=None, help="where to store the data (default: a temporary one)")
    args = parser.parse_args()
    params = Parameters()
    started = time.perf_counter()
    data = generate(args.enterprises, args.days, args.seed)
    values = data["columns"][2]  # type: ignore[index]
    rows = int(values.size)
    print(f"generated {rows:,} readings of {data['meters']:,} meters in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        started = time.perf_counter()
        root, session, hot_rows = store(data, Path(directory))
        size = sum(f.stat().st_size for f in root.glob("date=*/part.parquet"))
        print(
            f"stored {rows - hot_rows:,} readings in Parquet ({size / 2**20:.0f} MiB) and {hot_rows:,} in the SQL "
            f"table in {time.perf_counter() - started:.1f} s"
        )
        grid: Grid = data["grid"]  # type: ignore[assignment]
        meter_ids = list(range(1, int(data["meters"]) + 1))  # type: ignore[call-overload]
        cpu0, started = time.process_time(), time.perf_counter()
        series = read_series(session, root, meter_ids, set(), grid)
        laid = time.perf_counter()
        outcome = verify(
            data["roles"],
            series,
            PER_DAY,
            data["profiles"],
            data["excluded"],  # type: ignore[arg-type]
            data["warn_day"],
            data["fraction"],
            params,  # type: ignore[arg-type]
        )
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu0
        peer = None if args.no_baseline else naive(data, params.weeks, root, session)
        session.close()
    read_count = int(np.count_nonzero(~np.isnan(series)))
    roles: list[MeterRole] = data["roles"]  # type: ignore[assignment]
    found = {(roles[f.meter].enterprise_id, f.kind.value) for f in outcome.flags}
    planted: set[tuple[int, str]] = data["planted"]  # type: ignore[assignment]
    hits = len(found & planted)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(planted) if planted else 1.0
    read = laid - started
    print(
        f"read ({read_count:,} readings, both tiers), laid out in {read:.2f} s; baseline, check {seconds - read:.2f} s"
    )
    print(f"ecoloop: {seconds:.2f} s (cpu {cpu:.2f} s); flags {len(found)}, planted {len(planted)}, hits {hits}")
    for kind in FlagKind:
        k_found = {f for f in found if f[1] == kind.value}
        k_planted = {p for p in planted if p[1] == kind.value}
        print(f"  {kind.value}: found {len(k_found)}, planted {len(k_planted)}, hits {len(k_found & k_planted)}")
    result: dict[str, object] = {
        "rows": rows,
        "rows_read": read_count,
        "hot_rows": hot_rows,
        "read_seconds": round(laid - started, 3),
        "meters": data["meters"],
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "flags": len(found),
        "planted": len(planted),
    }
    if peer is not None:
        learn_only = seconds - (laid - started)
        print(
            f"pandas read of the history + groupby median: {peer:.2f} s; ratio to ecoloop's read + baseline + "
            f"check: {peer / seconds:.1f}x"
        )
        result |= {
            "peer_seconds": round(peer, 3),
            "ratio_vs_peer": round(peer / seconds, 2),
            "learn_and_check_seconds": round(learn_only, 3),
        }
    result["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
