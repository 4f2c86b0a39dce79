"""What the data says, at a city's scale (issue 16): a year of hourly data of 600 air stations (31.5 million
readings), 60 water sections (every four hours) and 30 noise stations, and the last month of 2,000 outlets (four
flue-gas parameters each, 5.9 million readings), in the Parquet tier of a fresh data directory; their results
computed and kept, and the pages that show them timed.

    uv run python bench/quality.py                 # 600 stations x 365 days, 2,000 outlets x 31 days
    uv run python bench/quality.py --stations 60 --days 60 --outlets 100   # a quick run

Figures (the issue's targets in brackets):
- `year_seconds`: the results of the whole year recomputed (`results.service.compute_days` with what the
  five-minute job computes: air, water and noise) [< 60 s]; baseline: one DuckDB pass over the same Parquet files
  that only averages PM2.5 per station (reading the data once, nothing computed), and the ratio;
  `sources_month_seconds`: the 2,000 outlets' compliance of their month (the hourly `results-sources` job's work);
- `hour_seconds`: a new hour arrives for every station (in the hot store) and today's results are computed again,
  as the scheduler's `results` job does every five minutes (air, water, noise; warm: the job's process has compiled
  its SQL) [< 2 s]; the outlets' month is the hourly `results-sources` job's (`sources_month_seconds`);
- page times (`overview_p95_ms`, `public_p95_ms`, `ranking_ms`) are measured on the same data when the pages exist
  (issue 16's overview screen, public page and rankings), in process through the ASGI app, against `/healthz` as the
  baseline.
The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ecoloop.app  # noqa: F401  # every table, scope rule and registration
from ecoloop.analytics.sites import StoredReadings
from ecoloop.audit.service import Actor, set_actor
from ecoloop.db.engine import make_engine
from ecoloop.db.migrate import upgrade
from ecoloop.enterprises import service as enterprises
from ecoloop.enterprises.enums import OutletKind, PermitClass
from ecoloop.enterprises.models import Enterprise
from ecoloop.monitoring.enums import NoiseZone, SiteKind, StationLevel
from ecoloop.monitoring.service import add_site
from ecoloop.readings.parquet import partition_path
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import READINGS_SCHEMA, Interval, Reading
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.service import add_region
from ecoloop.results import service
from ecoloop.results.sources import SourcesComputation
from ecoloop.standards.water import WaterGrade
from tests.conftest import make_settings
from tests.factories import credit_code

TZ = ZoneInfo("Asia/Shanghai")
CODES = {"a34004": 45.0, "a34002": 75.0, "a05024": 90.0, "a21004": 30.0, "a21026": 8.0, "a21005": 0.8}
WATER = {"w01001": 7.5, "w01009": 7.0, "w01019": 4.5, "w01018": 16.0, "w21003": 0.7, "w21011": 0.15, "w21001": 1.4}
NOISE = {"Leq": 55.0}
FLUE = {"a21026": 20.0, "a21002": 40.0, "a34013": 6.0, "a19001": 9.0}  # mg/m³, O2 %
LIMITS = {"a21026": "35", "a21002": "50", "a34013": "10"}  # ultra-low emission, at 6 % O2
COUNTIES = 10
TOWNS_PER_COUNTY = 6


def city(session: Session, stations: int, sections: int, noise: int, outlets: int) -> dict[str, list[int]]:
    """A city of COUNTIES counties with TOWNS_PER_COUNTY towns each and `stations` air stations (one in ten
    national, counting for the city; three in ten county stations; the rest town stations), `sections` water
    sections with a class III target, `noise` noise stations in zone 2, and `outlets` flue-gas outlets, two per
    enterprise, each with permit limits of SO2, NOx and particulates at 6 % O2."""
    set_actor(session, Actor(label="bench"))
    top = add_region(session, code="371800", name="基准市", level=RegionLevel.CITY, parent=None)
    counties = [
        add_region(session, code=f"3718{n + 1:02d}", name=f"第{n + 1}区", level=RegionLevel.COUNTY, parent=top)
        for n in range(COUNTIES)
    ]
    towns = [
        add_region(
            session, code=f"{c.code}{t + 1:03d}000", name=f"{c.name}第{t + 1}镇", level=RegionLevel.TOWN, parent=c
        )
        for c in counties
        for t in range(TOWNS_PER_COUNTY)
    ]
    ids = []
    for i in range(stations):
        if i % 10 == 0:
            level, region = StationLevel.NATIONAL, counties[i % COUNTIES]
        elif i % 10 < 4:
            level, region = StationLevel.COUNTY, counties[i % COUNTIES]
        else:
            level, region = StationLevel.TOWN, towns[i % len(towns)]
        site = add_site(
            session, code=f"AQ{i:04d}", name=f"站{i:04d}", kind=SiteKind.AIR_STATION, region=region,
            station_level=level, longitude=114.0 + (i % 30) * 0.01, latitude=35.0 + (i // 30) * 0.01,
        )  # fmt: skip
        ids.append(site.id)
    water = [
        add_site(session, code=f"WQ{i:03d}", name=f"断面{i:03d}", kind=SiteKind.WATER_STATION,
                 region=counties[i % COUNTIES], water_target=WaterGrade.CLASS_III).id
        for i in range(sections)
    ]  # fmt: skip
    points = [
        add_site(session, code=f"NS{i:03d}", name=f"声{i:03d}", kind=SiteKind.NOISE, region=towns[i % len(towns)],
                 noise_zone=NoiseZone.CLASS_2).id
        for i in range(noise)
    ]  # fmt: skip
    outlet_ids: list[int] = []
    for n in range(0, outlets, 2):
        county = counties[n % COUNTIES]
        company = Enterprise(credit_code=credit_code(n + 1, county.code), name=f"企业{n:04d}", region_id=county.id)
        session.add(company)
        session.flush()
        permit = enterprises.add_permit(
            session, enterprise=company, number=f"P{n:05d}", permit_class=PermitClass.KEY,
            valid_from=date(2020, 1, 1), valid_to=date(2030, 12, 31),
        )  # fmt: skip
        for k in range(min(2, outlets - n)):
            site = add_site(session, code=f"SRC{n + k:05d}", name=f"排放口{n + k:05d}", kind=SiteKind.AIR_SOURCE,
                            region=county, enterprise_id=company.id)  # fmt: skip
            outlet = enterprises.add_outlet(
                session, permit=permit, code=f"DA{k + 1:03d}", name=f"{k + 1}号排放口", kind=OutletKind.GAS, site=site
            )
            for code, value in LIMITS.items():
                enterprises.add_limit(
                    session, outlet=outlet, pollutant=code, limit_value=Decimal(value), unit="mg/m³",
                    source="GB 13223-2011", reference_o2=Decimal(6),
                )  # fmt: skip
            outlet_ids.append(site.id)
    session.commit()
    return {"air": ids, "water": water, "noise": points, "outlets": outlet_ids}


def write_year(
    root: Path, kinds: list[tuple[list[int], dict[str, float], int]], first: date, days: int, outlets: tuple
) -> int:
    """Hourly readings for every site and UTC day, as the compaction writes them: each kind's sites with its codes
    and mean values every `step` hours, with a daily cycle, a slow seasonal swing, noise and 2 % of values missing;
    the outlets (`outlets`: ids, codes, their first day) from their first day on."""
    rng = np.random.default_rng(16)
    received = pa.scalar(datetime(2027, 1, 1, tzinfo=UTC), pa.timestamp("ms", tz="UTC"))
    total = 0
    for n in range(days):
        day = first + timedelta(days=n)
        today = list(kinds) + ([(outlets[0], outlets[1], 1)] if day >= outlets[2] else [])
        table = _day(rng, today, day, n, received)
        path = partition_path(root, "hour", day.isoformat())
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="zstd")
        total += table.num_rows
    return total


def _day(
    rng: np.random.Generator, kinds: list[tuple[list[int], dict[str, float], int]], day: date, n: int, received: Any
) -> pa.Table:
    columns: dict[str, list[Any]] = {k: [] for k in ("site_id", "parameter", "time", "value")}
    start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    season = 1.0 + 0.5 * np.cos(2 * np.pi * n / 365)
    for site_ids, codes, step in kinds:
        if not site_ids:
            continue
        per_day = 24 // step
        sites = np.repeat(np.array(site_ids, dtype=np.int64), per_day)
        hours = np.tile(np.arange(0, 24, step), len(site_ids))
        for code, mean in codes.items():
            cycle = 1.0 + 0.3 * np.sin(2 * np.pi * (hours - 6) / 24)
            swing = season if code in CODES else 1.0
            values = np.round(mean * swing * cycle * rng.lognormal(0, 0.2, len(sites)), 3)
            keep = rng.random(len(sites)) > 0.02
            columns["site_id"].append(sites[keep])
            columns["parameter"].append(np.full(keep.sum(), code, dtype=object))
            columns["time"].append((start + hours[keep] * 3600).astype("int64"))
            columns["value"].append(values[keep])
    count = sum(len(a) for a in columns["site_id"])
    return pa.table(
        {
            "site_id": pa.array(np.concatenate(columns["site_id"]), pa.int64()),
            "parameter": pa.array(np.concatenate(columns["parameter"]), pa.string()),
            "interval": pa.array(["hour"] * count, pa.string()),
            "time": pa.array(np.concatenate(columns["time"]), pa.int64()).cast(pa.timestamp("s", tz="UTC")),
            "value": pa.array(np.concatenate(columns["value"]), pa.float64()),
            "flag": pa.array(["N"] * count, pa.string()),
            "source": pa.array(["hj212"] * count, pa.string()),
            "received_at": pa.array([received] * count, pa.timestamp("ms", tz="UTC")),
        },
        schema=READINGS_SCHEMA,
    )


def timed(run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of `run()`, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=600)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sections", type=int, default=60)
    parser.add_argument("--noise", type=int, default=30)
    parser.add_argument("--outlets", type=int, default=2000)
    parser.add_argument("--no-pages", action="store_true", help="Skip the page timings.")
    parser.add_argument("--keep", type=Path, help="Keep the data directory here (to profile the pages).")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ecoloop-bench-quality-") as tmp:
        directory = Path(tmp) if args.keep is None else args.keep
        directory.mkdir(parents=True, exist_ok=True)
        settings = make_settings(directory)
        upgrade(settings.database_url)
        session = Session(make_engine(settings.database_url), expire_on_commit=False)
        network = city(session, args.stations, args.sections, args.noise, args.outlets)
        site_ids = network["air"]
        last = datetime.now(TZ).date() - timedelta(days=1)
        first = last - timedelta(days=args.days - 1)
        outlets_from = max(first, last - timedelta(days=30))
        print(
            f"{args.stations} air stations, {args.sections} water sections, {args.noise} noise stations for {args.days}"
            f" days ({first} … {last}), {args.outlets} outlets from {outlets_from}: writing the readings …",
            flush=True,
        )
        kinds = [(site_ids, CODES, 1), (network["water"], WATER, 4), (network["noise"], NOISE, 1)]
        readings = write_year(settings.parquet_root, kinds, first, args.days, (network["outlets"], FLUE, outlets_from))
        print(f"  {readings:,} readings in {args.days} daily partitions", flush=True)
        store = HotStore(settings.hot_store_path)
        stored = StoredReadings.of(store, settings)
        days = [first + timedelta(days=n) for n in range(args.days)]

        baseline_wall, _cpu, _ = timed(lambda: _baseline(settings.parquet_root))
        print(f"baseline (one DuckDB pass averaging PM2.5 per station): {baseline_wall:.2f} s", flush=True)
        year_wall, year_cpu, done = timed(
            lambda: service.compute_days(session, stored, settings.results_root, days, TZ, service.FREQUENT)
        )
        print(f"year recomputed: {year_wall:.2f} s (CPU {year_cpu:.2f} s): {done}", flush=True)
        print(f"  ratio to the baseline: {year_wall / baseline_wall:.1f}x", flush=True)
        month = [outlets_from + timedelta(days=n) for n in range((last - outlets_from).days + 1)]
        sources_wall, sources_cpu, _ = timed(
            lambda: service.compute_days(
                session, stored, settings.results_root, month, TZ, computations=[SourcesComputation()]
            )
        )
        print(f"the outlets' month alone: {sources_wall:.2f} s (CPU {sources_cpu:.2f} s)", flush=True)

        today = datetime.now(TZ).date()
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        store.write([Reading(s, c, Interval.HOUR, hour, v, "N") for s in site_ids for c, v in CODES.items()])
        frequent = service.FREQUENT  # what the five-minute job computes (the outlets' job runs hourly)
        service.compute_days(session, stored, settings.results_root, [today], TZ, frequent)  # the job is warm
        hour_wall, hour_cpu, _ = timed(
            lambda: service.compute_days(session, stored, settings.results_root, [today], TZ, frequent)
        )
        print(f"a new hour materialised (today's results again): {hour_wall:.2f} s (CPU {hour_cpu:.2f} s)", flush=True)

        figures: dict[str, Any] = {
            "stations": args.stations,
            "days": args.days,
            "readings": readings,
            "year_seconds": round(year_wall, 2),
            "year_cpu_seconds": round(year_cpu, 2),
            "baseline_seconds": round(baseline_wall, 2),
            "year_ratio_to_baseline": round(year_wall / baseline_wall, 1),
            "hour_seconds": round(hour_wall, 2),
            "sources_month_seconds": round(sources_wall, 2),
            "sources_month_cpu_seconds": round(sources_cpu, 2),
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "load_average": round(os.getloadavg()[0], 2),
        }
        if not args.no_pages:
            figures |= pages(settings, session)
        store.close()
        print(json.dumps(figures))


def _baseline(root: Path) -> Any:
    import duckdb

    con = duckdb.connect()
    try:
        glob = str(root / "interval=hour" / "date=*" / "part.parquet")
        return con.sql(
            f"select site_id, avg(value) from read_parquet('{glob}') where parameter = 'a34004' group by site_id"
        ).fetchall()
    finally:
        con.close()


def pages(settings: Any, session: Session) -> dict[str, Any]:
    """The page timings, once the pages are there: p95 of server time over repeated requests, in process."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from ecoloop.app import create_app
    from ecoloop.identity.enums import OrgKind, Role
    from ecoloop.identity.models import Organisation, User
    from ecoloop.identity.passwords import hash_password
    from ecoloop.identity.service import start_session
    from ecoloop.regions.models import Region
    from ecoloop.web.security import SESSION_COOKIE

    city_id = session.scalar(select(Region.id).where(Region.level == RegionLevel.CITY))
    bureau = Organisation(code="bureau", name="基准市生态环境局", kind=OrgKind.BUREAU, region_id=city_id)
    session.add(bureau)
    session.flush()
    user = User(
        username="bench", display_name="基准", password_hash=hash_password("Bench-pass-2027"), role=Role.ANALYST,
        organisation_id=bureau.id,
    )  # fmt: skip
    session.add(user)
    session.flush()
    raw = start_session(session, user, "127.0.0.1", datetime.now(UTC), timedelta(hours=2))
    session.commit()
    figures: dict[str, Any] = {}
    app = create_app(settings)
    with TestClient(app) as client:
        client.cookies.set(SESSION_COOKIE, raw)
        baseline = p95(client, "/healthz")
        figures["healthz_p95_ms"] = baseline
        for name, path in (
            ("overview_p95_ms", "/screen"),
            ("public_p95_ms", "/public"),
            ("air_p95_ms", "/air"),
            ("water_p95_ms", "/water"),
            ("noise_p95_ms", "/noise"),
            ("sources_p95_ms", "/sources"),
        ):
            figures[name] = p95(client, path)
            print(f"{path}: p95 {figures[name]:.1f} ms ({figures[name] / baseline:.0f}x /healthz)", flush=True)
        start = time.perf_counter()
        ranking = client.get("/rankings?level=county&by=composite&period=ytd")
        figures["ranking_ms"] = round((time.perf_counter() - start) * 1000, 1)
        assert ranking.status_code == 200, ranking.status_code
        print(f"a year's county ranking (first request, nothing cached): {figures['ranking_ms']:.0f} ms", flush=True)
        figures["ranking_cached_p95_ms"] = p95(client, "/rankings?level=county&by=composite&period=ytd")
    return figures


def p95(client: Any, path: str, runs: int = 40) -> float:
    client.get(path)  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return round(statistics.quantiles(times, n=20)[-1], 1)


if __name__ == "__main__":
    main()
