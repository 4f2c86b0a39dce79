"""Outlet compliance per month (`results/sources.py`): hand-worked months of a flue-gas and a wastewater outlet, the
limits of permits in force, the hours expected, and the computation kept as OUTLET_MONTH."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import pytest
from sqlalchemy.orm import Session

from ecoloop.analytics import sites
from ecoloop.analytics.sites import StoredReadings
from ecoloop.enterprises.enums import Averaging, OutletKind, PermitClass
from ecoloop.enterprises.models import Outlet, OutletLimit, Permit
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.results import service, store
from ecoloop.results.sources import (
    OUTLET_MONTH,
    OutletLimitRow,
    SourcesComputation,
    compute,
    expected_hours,
    segments,
    source_network,
)
from tests.analytics.engines import PY4J_WARNINGS
from tests.factories import World

pytestmark = PY4J_WARNINGS  # one test runs on Spark too

TZ = ZoneInfo("Asia/Shanghai")
SO2, COD, O2 = "a21026", "w01018", "a19001"
H = timedelta(hours=1)
NOVEMBER = date(2026, 11, 1)
# Local 2026-11-01 00:00 (UTC+8).
START = datetime(2026, 10, 31, 16, tzinfo=UTC)
AFTER = datetime(2026, 12, 5, tzinfo=UTC)


def so2_limit(**changes: Any) -> OutletLimitRow:
    row = OutletLimitRow(
        1, SO2, "hour", Decimal(100), "mg/m³", Decimal(6), "GB 13223-2011 表1", date(2026, 1, 1), date(2030, 12, 31)
    )
    return OutletLimitRow(**{**row.__dict__, **changes})


COD_LIMIT = OutletLimitRow(2, COD, "day", Decimal(60), "mg/L", None, "GB 8978-1996", date(2026, 1, 1), date(2030, 1, 1))


@pytest.fixture
def hot(tmp_path: Path) -> Iterator[HotStore]:
    s = HotStore(tmp_path / "hot.sqlite")
    yield s
    s.close()


@pytest.fixture
def duck() -> Iterator[Any]:
    con = ibis.duckdb.connect()
    yield con
    con.disconnect()


def stored_on(hot: HotStore, tmp_path: Path, con: Any) -> StoredReadings:
    return StoredReadings(hot, tmp_path / "readings", lambda: sites.fixed(con))


def flue_gas_month(hot: HotStore) -> None:
    """November 2026 (720 local hours) at site 1: hours 0-699 received, the last 20 missing. Ten hours are flagged
    C (calibration) → 690 valid. Two hours of 120 at 6 % O2 (→ 120, multiple 0.20), one of 100 at 9 % O2
    (→ 100 x 15 / 12 = 125, multiple 0.25), one of 100 at 6 % (the limit: complies), one of 110 without O2 (not
    judged), one flagged C at 300 (not judged); the rest 50 at 6 %."""
    special = {10: (120.0, 6.0, "N"), 11: (120.0, 6.0, "N"), 200: (100.0, 9.0, "N"), 201: (100.0, 6.0, "N")}
    special[300] = (110.0, None, "N")
    rows = []
    for h in range(700):
        value, o2, flag = special.get(h, (50.0, 6.0, "C" if 400 <= h < 410 else "N"))
        if h == 405:
            value = 300.0
        rows.append(Reading(1, SO2, Interval.HOUR, START + h * H, value, flag))
        if o2 is not None:
            rows.append(Reading(1, O2, Interval.HOUR, START + h * H, o2, "N"))
    hot.write(rows, now=AFTER)


def test_a_flue_gas_month_hand_worked(hot: HotStore, tmp_path: Path, backend: Any) -> None:
    """传输率 700/720 = 97.22 %, 有效率 690/700 = 98.57 %, 传输有效率 97.22 x 98.57 / 100 = 95.83 % (each to 2
    decimals, half even: `monitoring.quality.rates`; shown 97.2 %, 98.6 %, 95.8 %); 3 hours above the limit, the
    largest 125 (multiple 0.25)."""
    flue_gas_month(hot)

    rows = compute(backend, stored_on(hot, tmp_path, backend), [so2_limit()], NOVEMBER, TZ, AFTER).to_pylist()

    assert rows == [
        {
            "site_id": 1,
            "month": NOVEMBER,
            "parameter": SO2,
            "averaging": "hour",
            "limit": 100.0,
            "unit": "mg/m³",
            "reference_o2": 6.0,
            "hours_expected": 720,
            "hours_received": 700,
            "hours_valid": 690,
            "exceed_hours": 3,
            "exceed_days": None,
            "max_value": 125.0,
            "max_multiple": 0.25,
            "transmission_rate": 97.22,
            "validity_rate": 98.57,
            "effective_rate": 95.83,
        }
    ]


def test_a_wastewater_month_judged_on_daily_means(hot: HotStore, tmp_path: Path, duck: Any) -> None:
    """COD, daily limit 60 mg/L, now 2026-11-05 00:00 local → 4 days, 96 expected hours. Day 1: 24 h at 70 → mean
    70, above (multiple 10/60 = 0.1667 → 0.17); day 2: 24 h at 60 → the limit, complies; day 3: 19 h at 100 and 5
    flagged D → 19 judged hours, no daily mean; day 4: 20 h at 61, 4 missing → 61, above (1/60 → 0.02). Received
    24+24+24+20 = 92, valid 24+24+19+20 = 87: 传输率 92/96 = 95.83 %, 有效率 87/92 = 94.57 %, 传输有效率
    95.83 x 94.57 / 100 = 90.626431 → 90.63 %. An hour of day 5 (after now) is not counted."""
    values: list[tuple[float, str]] = [(70.0, "N")] * 24 + [(60.0, "N")] * 24
    values += [(100.0, "N")] * 19 + [(100.0, "D")] * 5 + [(61.0, "N")] * 20
    rows = [Reading(2, COD, Interval.HOUR, START + h * H, v, f) for h, (v, f) in enumerate(values)]
    rows.append(Reading(2, COD, Interval.HOUR, START + 96 * H, 500.0, "N"))
    hot.write(rows, now=AFTER)
    now = datetime(2026, 11, 4, 16, 30, tzinfo=UTC)

    [row] = compute(duck, stored_on(hot, tmp_path, duck), [COD_LIMIT], NOVEMBER, TZ, now).to_pylist()

    assert (row["hours_expected"], row["hours_received"], row["hours_valid"]) == (96, 92, 87)
    assert (row["exceed_hours"], row["exceed_days"], row["max_value"], row["max_multiple"]) == (None, 2, 70.0, 0.17)
    assert (row["transmission_rate"], row["validity_rate"], row["effective_rate"]) == (95.83, 94.57, 90.63)


def test_a_month_without_readings_has_rows_of_zero_rates(hot: HotStore, tmp_path: Path, duck: Any) -> None:
    [row] = compute(duck, stored_on(hot, tmp_path, duck), [so2_limit()], NOVEMBER, TZ, AFTER).to_pylist()
    assert (row["hours_expected"], row["hours_received"], row["exceed_hours"], row["max_value"]) == (720, 0, 0, None)
    assert (row["transmission_rate"], row["effective_rate"]) == (0.0, 0.0)


def test_each_day_is_judged_against_the_permit_in_force() -> None:
    """A permit valid to 2026-11-10, its renewal from 2026-11-08 (the later start wins on the overlap) with a
    stricter limit, and a permit of another pollutant that ended in October (no segment)."""
    old = so2_limit(valid_to=date(2026, 11, 10))
    new = so2_limit(limit=Decimal(50), valid_from=date(2026, 11, 8))
    gone = so2_limit(parameter="a21002", valid_to=date(2026, 10, 31))

    found = segments([old, new, gone], NOVEMBER)

    assert [(s.row.limit, s.first, s.last) for s in found] == [
        (Decimal(100), date(2026, 11, 1), date(2026, 11, 7)),
        (Decimal(50), date(2026, 11, 8), date(2026, 11, 30)),
    ]


@pytest.mark.parametrize(
    ("until", "expected"),
    [
        (datetime.combine(date(2026, 12, 3), time()), 720),  # a past month: all its hours
        (
            datetime.combine(date(2026, 11, 2), time(5, 59)),
            29,
        ),  # 1 November's 24 hours and 2 November's 00-04 (05 not over yet)
        (datetime.combine(date(2026, 10, 30), time()), 0),  # before the month
    ],
)
def test_expected_hours_are_those_over_by_now(until: datetime, expected: int) -> None:
    assert expected_hours(date(2026, 11, 1), date(2026, 11, 30), until) == expected


def test_a_renewed_permit_in_a_month_sums_its_segments(hot: HotStore, tmp_path: Path, duck: Any) -> None:
    """Limit 100 to 2026-11-07 and 50 from 2026-11-08: the hour of 60 at 6 % on 2026-11-05 complies, the one on
    2026-11-20 exceeds (multiple 0.20); the row shows the limit in force at the month's end."""
    hot.write(
        [Reading(1, SO2, Interval.HOUR, START + d * 24 * H, 60.0, "N") for d in (4, 19)]
        + [Reading(1, O2, Interval.HOUR, START + d * 24 * H, 6.0, "N") for d in (4, 19)],
        now=AFTER,
    )
    limits = [so2_limit(valid_to=date(2026, 11, 7)), so2_limit(limit=Decimal(50), valid_from=date(2026, 11, 8))]

    [row] = compute(duck, stored_on(hot, tmp_path, duck), limits, NOVEMBER, TZ, AFTER).to_pylist()

    assert (row["limit"], row["hours_expected"], row["hours_received"], row["exceed_hours"]) == (50.0, 720, 2, 1)
    assert (row["max_value"], row["max_multiple"]) == (60.0, 0.2)


def test_the_network_is_the_limits_of_active_outlet_sites(db: Session, world: World) -> None:
    """The outlet DA001 measured by an active flue-gas site gives its limit with its permit's validity; an outlet
    without a site, and one whose site is inactive, give none."""
    site = Site(code="e1-DA001", name="1号锅炉", kind=SiteKind.AIR_SOURCE, region_id=world.village_a.id)
    idle = Site(code="e1-DA002", name="2号锅炉", kind=SiteKind.AIR_SOURCE, region_id=world.village_a.id, active=False)
    db.add_all([site, idle])
    db.flush()

    def outlet(code: str, site_id: int | None) -> Outlet:
        limit = OutletLimit(
            pollutant=SO2, limit_value=Decimal(35), unit="mg/m³", averaging=Averaging.HOUR, source="GB 13223-2011"
        )
        limit.reference_o2 = Decimal(6)
        return Outlet(code=code, name=code, kind=OutletKind.GAS, site_id=site_id, limits=[limit])

    permit = Permit(
        enterprise_id=world.enterprise_a.id,
        number="91371802-001P",
        permit_class=PermitClass.KEY,
        valid_from=date(2026, 1, 1),
        valid_to=date(2030, 12, 31),
        outlets=[outlet("DA001", site.id), outlet("DA002", idle.id), outlet("DA003", None)],
    )
    db.add(permit)
    db.flush()

    assert source_network(db) == [
        OutletLimitRow(
            site.id,
            SO2,
            "hour",
            Decimal(35),
            "mg/m³",
            Decimal(6),
            "GB 13223-2011",
            date(2026, 1, 1),
            date(2030, 12, 31),
        )
    ]


def test_the_computation_keeps_the_whole_month_whichever_days_run(hot: HotStore, tmp_path: Path, duck: Any) -> None:
    """A run of 3-4 November computes November; the row lies in the year's partition under the month's first day."""
    flue_gas_month(hot)
    stored = stored_on(hot, tmp_path, duck)
    computation = SourcesComputation(clock=lambda: AFTER)

    outputs = computation.compute(duck, stored, [so2_limit()], date(2026, 11, 3), date(2026, 11, 4), TZ)
    for out in outputs:
        store.replace_days(tmp_path / "results", out.table, out.rows, out.days)

    assert [(o.table, list(o.days)) for o in outputs] == [(OUTLET_MONTH, [NOVEMBER])]
    kept = store.read_partition(tmp_path / "results", OUTLET_MONTH, "2026")
    assert kept is not None
    assert kept.column("exceed_hours").to_pylist() == [3]
    assert any(isinstance(c, SourcesComputation) for c in service.COMPUTATIONS)
