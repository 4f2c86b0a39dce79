"""The bureau's briefs at a city's scale (issue 17): 600 air stations in a city of ten counties and sixty towns,
thirteen months of their daily results and their areas' (AIR_DAY and AIR_DAY_AREA, the engine's own AQI
expressions, stored with `results.store` as the results job stores them: `tests.factories.plant_air_days`),
sixty water sections' months and each year's targets, in a fresh data directory; then the briefs generated as the
scheduler and the `ecoloop report` command generate them (`reports.service.generate`: content from the engine,
the Word document from the default template with its charts, the workbook, both written and kept as a new
version).

    uv run python bench/reports.py                          # 600 stations, the year 2025-12-01 … 2026-11-30
    uv run python bench/reports.py --stations 60 --days 30  # a quick run

Figures (the issue's targets in brackets):
- `monthly_seconds`: the monthly assessment of 2026-11 as .docx and .xlsx, the city's and each county's own
  [< 10 s], the first brief of the process (cold: matplotlib and the templates load); when the monthly brief is
  not on this branch, the brief of the longest period that is (printed, and `monthly_kind` in the JSON);
- `daily_year_seconds`: the daily analysis of every day of the year regenerated, one transaction each [< 3 min];
- `peak_memory_mb`: the process's peak resident memory (getrusage), planting included; `planted_memory_mb` is
  the peak before any brief, so the briefs' own share is the difference;
- baselines in the same run: reading the period's statistics alone (`results.periods.statistics` of every area
  and station over the month, nothing cached) for the monthly brief, and reading each day's area AQI alone
  (`results.queries.area_days` of the city, counties and towns) for the year of daily briefs; each printed as a
  ratio (brief / reading);
- `pdf_seconds`: the monthly brief laid out as PDF by LibreOffice (`reports.pages`), when it is installed.
The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ecoloop.app  # noqa: F401  # every table, scope rule and registration
from bench.quality import city
from ecoloop.analytics import backends
from ecoloop.db.engine import make_engine
from ecoloop.db.migrate import upgrade
from ecoloop.monitoring.models import Site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.reports import pages, service
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.kinds import BRIEFS
from ecoloop.reports.models import Report
from ecoloop.reports.periods import ReportPeriod, period_containing
from ecoloop.results import periods as result_periods
from ecoloop.results.models import AirTarget
from ecoloop.results.queries import ResultReads, area_days
from ecoloop.results.service import air_network
from ecoloop.results.water import WATER_MONTH, section_row
from ecoloop.standards.water import WaterGrade
from tests.conftest import make_settings
from tests.factories import plant_air_days, plant_results

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 1)  # the briefs are generated on this day: last month and every day of the year are over
WHO = service.Generator("bench")


def timed(run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of `run()`, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def plant(session: Session, root: Path, first: date, last: date) -> int:
    """The air stations' and areas' daily results over first…last (each county a level of its own, so the counties
    rank apart) and a month of every water section (class II to IV) for each month, as the results job keeps them;
    each year's targets."""
    network = air_network(session)
    county_of = dict(session.execute(select(Site.id, Region.code).join(Region, Site.region_id == Region.id)).all())
    levels = {s.site_id: 0.7 + 0.06 * (int(county_of[s.site_id][4:6]) % 11) for s in network}
    rows = plant_air_days(root, {s.site_id: s.areas for s in network}, first, last, levels=levels)
    sections = session.scalars(select(Site.id).where(Site.water_target.is_not(None)).order_by(Site.id)).all()
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    water = [
        section_row(site, month, {"NH3_N": (0.3 + 0.1 * ((site + n) % 9), 700)}, WaterGrade.CLASS_III)
        for site in sections
        for n, month in enumerate(months)
    ]
    if water:
        plant_results(root, WATER_MONTH, water)
    # Each year's targets of the city and the counties (the rankings' and the compensation's PM2.5 target).
    areas = session.scalars(select(Region).where(Region.level.in_([RegionLevel.CITY, RegionLevel.COUNTY]))).all()
    for year in range(first.year, last.year + 1):
        for area in areas:
            session.add(AirTarget(region_id=area.id, year=year, good_ratio_target=Decimal("80.0"), pm25_target=35))
    session.commit()
    return rows + len(water)


def generate(session: Session, data_dir: Path, reads: ResultReads, period: ReportPeriod) -> list[Report]:
    """One brief generated and committed, as the scheduler's job does."""
    now = datetime(TODAY.year, TODAY.month, TODAY.day, 0, 30, tzinfo=TZ).astimezone(UTC)
    made = service.generate(session, data_dir, reads, TZ, period, WHO, now=now)
    session.commit()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=600)
    parser.add_argument("--sections", type=int, default=60)
    parser.add_argument("--days", type=int, default=365, help="Daily briefs: the days before 2026-12-01.")
    parser.add_argument("--no-pdf", action="store_true", help="Skip the LibreOffice layout of the monthly brief.")
    args = parser.parse_args()

    last = TODAY - timedelta(days=1)
    first_daily = TODAY - timedelta(days=args.days)
    # A month more than the briefs cover: the monthly brief compares with the same month a year earlier.
    first = min(first_daily, period_containing(ReportKind.MONTHLY, last).last_year().first)
    monthly_kind = next(k for k in (ReportKind.MONTHLY, ReportKind.WEEKLY, ReportKind.DAILY) if k in BRIEFS)
    with tempfile.TemporaryDirectory(prefix="ecoloop-bench-reports-") as tmp:
        settings = make_settings(Path(tmp))
        upgrade(settings.database_url)
        session = Session(make_engine(settings.database_url), expire_on_commit=False)
        city(session, args.stations, args.sections, 0, 0)
        print(f"{args.stations} air stations, {args.sections} water sections; planting {first} … {last} …", flush=True)
        plant_wall, _cpu, rows = timed(lambda: plant(session, settings.results_root, first, last))
        planted_memory = peak_mb()
        print(f"  {rows:,} result rows in {plant_wall:.1f} s; peak memory so far {planted_memory} MB", flush=True)
        area_ids = session.scalars(select(Region.id)).all()

        with ResultReads(settings.results_root, partial(backends.reading, settings)) as reads:
            month = period_containing(monthly_kind, last)
            if monthly_kind is not ReportKind.MONTHLY:
                print(f"the monthly brief is not on this branch: timing the {monthly_kind.value} brief instead")
            result_periods.clear_cache()
            source_period = result_periods.range_period(month.first, month.last)

            def statistics() -> None:
                con = reads.lazy_con()
                result_periods.statistics(con, reads.root, "areas", source_period)
                result_periods.statistics(con, reads.root, "stations", source_period)

            base_wall, _cpu, _ = timed(statistics)
            result_periods.clear_cache()
            monthly_wall, monthly_cpu, made = timed(lambda: generate(session, settings.data_dir, reads, month))
            print(
                f"{monthly_kind.value} brief {month.key} ({len(made)} .docx + {len(made)} .xlsx):"
                f" {monthly_wall:.2f} s (CPU {monthly_cpu:.2f} s); reading its statistics alone {base_wall:.2f} s,"
                f" ratio {monthly_wall / base_wall:.1f}x",
                flush=True,
            )

            days = [first_daily + timedelta(days=n) for n in range(args.days)]
            day_base, _cpu, _ = timed(lambda: [area_days(reads, area_ids, day, day) for day in days])
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            for n, day in enumerate(days, start=1):
                generate(session, settings.data_dir, reads, period_containing(ReportKind.DAILY, day))
                if n % 60 == 0:
                    print(f"  {n} daily briefs: {time.perf_counter() - start_wall:.1f} s", flush=True)
            daily_wall, daily_cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
            print(
                f"{args.days} daily briefs: {daily_wall:.1f} s (CPU {daily_cpu:.1f} s, {daily_wall / args.days:.2f} s"
                f" each); reading each day's area AQI alone {day_base:.1f} s, ratio {daily_wall / day_base:.1f}x",
                flush=True,
            )

        figures: dict[str, Any] = {
            "stations": args.stations,
            "result_rows": rows,
            "monthly_kind": monthly_kind.value,
            "monthly_seconds": round(monthly_wall, 2),
            "monthly_cpu_seconds": round(monthly_cpu, 2),
            "monthly_baseline_seconds": round(base_wall, 2),
            "monthly_ratio_to_baseline": round(monthly_wall / base_wall, 1),
            "daily_briefs": args.days,
            "daily_year_seconds": round(daily_wall, 1),
            "daily_year_cpu_seconds": round(daily_cpu, 1),
            "daily_baseline_seconds": round(day_base, 1),
            "daily_ratio_to_baseline": round(daily_wall / day_base, 1),
            "planted_memory_mb": planted_memory,
            "peak_memory_mb": peak_mb(),
            "load_average": round(os.getloadavg()[0], 2),
        }
        if not args.no_pdf and pages.available():
            document = (service.reports_root(settings.data_dir) / made[0].docx_file).read_bytes()
            pdf_wall, _cpu, _pdf = timed(lambda: pages.to_pdf(document))
            figures["pdf_seconds"] = round(pdf_wall, 2)
            print(f"the {monthly_kind.value} brief laid out as PDF by LibreOffice: {pdf_wall:.2f} s", flush=True)
        session.close()
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
