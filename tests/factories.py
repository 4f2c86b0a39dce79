"""Builders of test data: a small city with two counties, organisations, enterprises and a user per role."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.audit.service import Actor, set_actor
from ecoloop.enterprises.models import Enterprise
from ecoloop.enterprises.rules import credit_code_check_char
from ecoloop.identity.enums import DepartmentType, OrgKind, Role
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.passwords import hash_password
from ecoloop.identity.service import principal_for
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.service import add_site
from ecoloop.readings.parquet import partition_path
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import READINGS_SCHEMA
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.service import add_region
from ecoloop.results.store import ResultTable, replace_days
from ecoloop.results.water import WATER_MONTH, section_row
from ecoloop.results.water_queries import months_back
from ecoloop.standards.water import WaterGrade

PASSWORD = "Test-pass-2026"


@cache
def password_hash() -> str:
    """One Argon2 hash of PASSWORD, reused so that building users stays fast."""
    return hash_password(PASSWORD)


def credit_code(seed: int, county: str = "371802") -> str:
    """A valid unified social credit code (GB 32100-2015) for a test enterprise."""
    body = f"91{county}{seed:09d}"
    return body + credit_code_check_char(body)


# The test city's boundaries (WGS-84 degrees): the city 114.0-114.4 E, 35.0-35.2 N; county A its western half,
# county B its eastern half (they share the edge at 114.2 E); town A the south-west corner of county A. Town B and
# the villages have none (unknown below the county).
CITY_BOX = (114.0, 35.0, 114.4, 35.2)
COUNTY_A_BOX = (114.0, 35.0, 114.2, 35.2)
COUNTY_B_BOX = (114.2, 35.0, 114.4, 35.2)
TOWN_A_BOX = (114.0, 35.0, 114.1, 35.1)


def box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    """A GeoJSON Polygon geometry of a longitude/latitude box (counter-clockwise, closed)."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def geojson(*features: tuple[str, dict[str, Any]], key: str = "code") -> bytes:
    """A GeoJSON FeatureCollection of (region code, geometry) features, the code under the property `key`."""
    items = [{"type": "Feature", "properties": {key: code}, "geometry": geometry} for code, geometry in features]
    return json.dumps({"type": "FeatureCollection", "features": items}).encode()


def give_boundaries(session: Session, world: World) -> None:
    """Store the boundaries of the city, both counties and town A (not town B, not the villages)."""
    for region, where in (
        (world.city, CITY_BOX),
        (world.county_a, COUNTY_A_BOX),
        (world.county_b, COUNTY_B_BOX),
        (world.town_a, TOWN_A_BOX),
    ):
        region.boundary = json.dumps(box(*where))
    session.flush()


@dataclass
class World:
    """The test city and handles to its parts."""

    city: Region
    county_a: Region
    county_b: Region
    town_a: Region
    town_b: Region
    village_a: Region
    village_b: Region
    bureau: Organisation
    branch_a: Organisation
    branch_b: Organisation
    department: Organisation
    enterprise_a: Enterprise
    enterprise_a2: Enterprise
    enterprise_b: Enterprise
    users: dict[str, User] = field(default_factory=dict)

    def principal(self, session: Session, name: str) -> Principal:
        """The policy's view of the user called `name`."""
        return principal_for(self.users[name], session)


def add_user(
    session: Session,
    username: str,
    role: Role,
    organisation: Organisation | None = None,
    enterprise: Enterprise | None = None,
) -> User:
    """A user with PASSWORD, inserted directly (the service's checks are tested on their own)."""
    user = User(
        username=username,
        display_name=username.title(),
        password_hash=password_hash(),
        role=role,
        organisation_id=organisation.id if organisation else None,
        enterprise_id=enterprise.id if enterprise else None,
    )
    session.add(user)
    session.flush()
    return user


def build_world(session: Session) -> World:
    """Two counties (A: 清源区, B: 临河县) under 清源市, each with a town and a village, and users of every role."""
    set_actor(session, Actor(label="test-factory"))
    city = add_region(session, code="371800", name="清源市", level=RegionLevel.CITY, parent=None)
    county_a = add_region(session, code="371802", name="清源区", level=RegionLevel.COUNTY, parent=city)
    county_b = add_region(session, code="371821", name="临河县", level=RegionLevel.COUNTY, parent=city)
    town_a = add_region(session, code="371802001000", name="湖滨街道", level=RegionLevel.TOWN, parent=county_a)
    town_b = add_region(session, code="371821101000", name="柳林镇", level=RegionLevel.TOWN, parent=county_b)
    village_a = add_region(
        session, code="371802001001", name="花园社区居委会", level=RegionLevel.VILLAGE, parent=town_a
    )
    village_b = add_region(session, code="371821101201", name="东王庄村委会", level=RegionLevel.VILLAGE, parent=town_b)

    def org(code: str, name: str, kind: OrgKind, region: Region, dept: DepartmentType | None = None) -> Organisation:
        o = Organisation(code=code, name=name, kind=kind, region_id=region.id, department_type=dept)
        session.add(o)
        session.flush()
        return o

    bureau = org("bureau", "清源市生态环境局", OrgKind.BUREAU, city)
    branch_a = org("branch-371802", "清源区分局", OrgKind.BRANCH, county_a)
    branch_b = org("branch-371821", "临河县分局", OrgKind.BRANCH, county_b)
    department = org("dept-housing", "清源市住房和城乡建设局", OrgKind.DEPARTMENT, city, DepartmentType.HOUSING)

    def ent(seed: int, name: str, region: Region) -> Enterprise:
        e = Enterprise(credit_code=credit_code(seed, region.code[:6]), name=name, region_id=region.id)
        session.add(e)
        session.flush()
        return e

    enterprise_a = ent(1, "清源华能热电有限公司", village_a)
    enterprise_a2 = ent(2, "清源市东湖水泥有限公司", town_a)
    enterprise_b = ent(3, "临河县鑫源化工有限公司", village_b)
    world = World(
        city,
        county_a,
        county_b,
        town_a,
        town_b,
        village_a,
        village_b,
        bureau,
        branch_a,
        branch_b,
        department,
        enterprise_a,
        enterprise_a2,
        enterprise_b,
    )
    for role in (Role.ADMIN, Role.LEADER, Role.ANALYST, Role.INSPECTOR, Role.HOTLINE):
        world.users[role.value] = add_user(session, role.value, role, bureau)
    world.users["branch_a"] = add_user(session, "branch_a", Role.BRANCH, branch_a)
    world.users["branch_b"] = add_user(session, "branch_b", Role.BRANCH, branch_b)
    world.users["department"] = add_user(session, "department", Role.DEPARTMENT, department)
    world.users["enterprise_a"] = add_user(session, "enterprise_a", Role.ENTERPRISE, enterprise=enterprise_a)
    return world


def crafted_xlsx(sheet_data: str, dimension: str = "A1:XFD1048576", extra: dict[str, bytes] | None = None) -> bytes:
    """A real .xlsx (written by openpyxl) whose first sheet's declared dimension and rows are replaced as given, and
    with `extra` parts: the hostile workbooks of issue 13."""
    book = Workbook()
    book.active.append(["site_code", "value"])
    buffer = io.BytesIO()
    book.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>', xml)
                xml = re.sub(r"<sheetData>.*</sheetData>|<sheetData\s*/>", f"<sheetData>{sheet_data}</sheetData>", xml)
                data = xml.encode()
            target.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
        for name, data in (extra or {}).items():
            target.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


# Epoch seconds of stored reading times that the ways in now refuse (issue 13): an instant in year 10000, one
# in year 0 (9999-12-31 at -14:00 and 0001-01-01 at +14:00 in UTC), and 2099.
YEAR_10000 = 253_402_300_800 + 86_400
YEAR_0 = -62_135_596_800 - 2 * 86_400
YEAR_2099 = 4_070_908_800


def plant_implausible_readings(store: HotStore, root: Path, site_id: int, received_ms: int) -> int:
    """Readings of each implausible kind of `site_id` in each tier of the readings store, as the ways in stored
    them before they refused them: in the hot store (SQLite or PostgreSQL) and in Parquet partitions (one of
    2099's date, and the plausible date of a valid reading, 30 hours before `received_ms`, holding the rest);
    returns that valid reading's time (epoch seconds)."""
    inf = float("inf")
    good_ts = (received_ms // 1000 // 3600 - 30) * 3600
    bad = [(YEAR_10000, 1.0), (YEAR_0, 2.0), (YEAR_2099, 3.0), (good_ts, inf), (good_ts - 3600, -inf)]
    rows = [(site_id, "a34004", "hour", ts, value, "N", "hj212", received_ms) for ts, value in bad]
    store.write_rows([(rows, [])])
    future = partition_path(root, "hour", "2099-01-01")
    future.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(_readings_table(site_id, [(YEAR_2099, 4.0)], received_ms), future)
    mixed = partition_path(root, "hour", datetime.fromtimestamp(good_ts, UTC).date().isoformat())
    mixed.parent.mkdir(parents=True, exist_ok=True)
    entries = [(good_ts, 50.0), (good_ts - 7200, inf), (YEAR_10000, 5.0), (YEAR_0, 6.0)]
    pq.write_table(_readings_table(site_id, entries, received_ms), mixed)
    return good_ts


def _readings_table(site_id: int, entries: list[tuple[int, float]], received_ms: int) -> pa.Table:
    """PM10 (a34002) hourly readings of a site at (epoch seconds, value), as a Parquet partition holds them."""
    n = len(entries)
    return pa.table(
        {
            "site_id": pa.array([site_id] * n, pa.int64()),
            "parameter": pa.array(["a34002"] * n, pa.string()),
            "interval": pa.array(["hour"] * n, pa.string()),
            "time": pa.array([ts for ts, _ in entries], pa.int64()).cast(pa.timestamp("s", tz="UTC")),
            "value": pa.array([value for _, value in entries], pa.float64()),
            "flag": pa.array(["N"] * n, pa.string()),
            "source": pa.array(["hj212"] * n, pa.string()),
            "received_at": pa.array([received_ms] * n, pa.int64()).cast(pa.timestamp("ms", tz="UTC")),
        },
        schema=READINGS_SCHEMA,
    )


def plant_results(root: Path, table: ResultTable, rows: list[dict[str, Any]]) -> None:
    """Store `rows` (columns not given are null) as results of `table` under `root`, as the results job would:
    each partition the rows' days touch is written (issue 16's pages read what is stored, never recompute)."""
    columns = {f.name: pa.array([row.get(f.name) for row in rows], f.type) for f in table.schema}
    data = pa.table(columns, schema=table.schema)
    days = sorted({row[table.day_column] for row in rows})
    replace_days(root, table, data, days)


def plant_water_sections(session: Session, world: World, root: Path, today: date) -> dict[str, int]:
    """Three water sections with kept months (`results.water.section_row`, the engine's classification) in the two
    months before `today`'s: in county A, 上游断面 (target III: class III, then class IV — NH3-N 0.8, 1.2 mg/L) and
    水库断面 (target II: class I in the later month only — DO 8.0 mg/L); in county B, 下游断面 (no target: class II
    in the later month — NH3-N 0.4 mg/L). Returns the site ids by code."""
    earlier, later, _this = months_back(today, 3)
    iii, ii = WaterGrade.CLASS_III, WaterGrade.CLASS_II
    water = SiteKind.WATER_STATION
    a1 = add_site(session, code="wq-a1", name="上游断面", kind=water, region=world.town_a, water_target=iii)
    a2 = add_site(session, code="wq-a2", name="水库断面", kind=water, region=world.town_a, water_target=ii)
    b1 = add_site(session, code="wq-b1", name="下游断面", kind=water, region=world.town_b)
    session.commit()
    rows = [
        section_row(a1.id, earlier, {"NH3_N": (0.8, 700)}, iii),
        section_row(a1.id, later, {"NH3_N": (1.2, 720)}, iii),
        section_row(a2.id, later, {"DO": (8.0, 700)}, ii),
        section_row(b1.id, later, {"NH3_N": (0.4, 690)}, None),
    ]
    plant_results(root, WATER_MONTH, rows)
    return {"wq-a1": a1.id, "wq-a2": a2.id, "wq-b1": b1.id}


# Typical daily values of a station (µg/m³; CO mg/m³) that `plant_air_days` varies around.
AIR_DAY_MEANS = {"SO2_24h": 9.0, "NO2_24h": 28.0, "CO_24h": 0.7, "PM10_24h": 62.0, "PM2_5_24h": 36.0,
                 "O3_8h": 95.0, "O3_1h": 125.0}  # fmt: skip


def plant_air_days(
    root: Path,
    stations: dict[int, tuple[int, ...]],
    first: date,
    last: date,
    *,
    levels: dict[int, float] | None = None,
    seed: int = 17,
) -> int:
    """A year's (or any days') daily air results of `stations` (site id → the region ids it is assessed for) and
    of their areas, stored as the results job stores them (AIR_DAY and AIR_DAY_AREA, `results.store`): daily values
    around AIR_DAY_MEANS times the station's level (`levels`, default 1) with a winter peak and day-to-day noise,
    at reporting precision; their AQI, and the areas' means and AQI, computed by the engine's own expressions
    (`analytics.air.daily_aqi`, `area_daily_values`, the edition of each day). Returns the rows written."""
    import ibis
    import numpy as np

    from ecoloop.analytics import air
    from ecoloop.results.air import AIR_DAY, AIR_DAY_AREA
    from ecoloop.results.store import locked

    rng = np.random.default_rng(seed)
    count = (last - first).days + 1
    days = np.array([np.datetime64(first) + np.timedelta64(n, "D") for n in range(count)])
    season = 1.0 + 0.45 * np.cos(2 * np.pi * (np.arange(count) - 15) / 365)  # winter (mid-January) worst
    ids = list(stations)
    level = np.repeat([(levels or {}).get(s, 1.0) for s in ids], count)
    columns: dict[str, Any] = {"station": np.repeat(ids, count), "day": np.tile(days, len(ids))}
    for key, mean in AIR_DAY_MEANS.items():
        swing = np.tile(season if not key.startswith("O3") else 2.0 - season, len(ids))
        value = mean * level * swing * rng.lognormal(0.0, 0.3, len(ids) * count)
        columns[key] = np.round(value, 1 if key == "CO_24h" else 0)
    daily = ibis.memtable(pa.table(columns))
    pairs = [(s, area) for s, areas in stations.items() for area in areas]
    members = ibis.memtable(pa.table({"station": [p[0] for p in pairs], "area": [p[1] for p in pairs]}))
    con = ibis.duckdb.connect()
    written = 0
    try:
        for table, expr in (
            (AIR_DAY, air.daily_aqi(daily, first, last)),
            (AIR_DAY_AREA, air.daily_aqi(air.area_daily_values(daily, members), first, last)),
        ):
            found = con.to_pyarrow(expr)
            subject = table.schema.names[0]
            data = pa.table(
                {
                    f.name: (found["station"] if f.name == subject else found[f.name]).cast(f.type)
                    if f.name == subject or f.name in found.column_names
                    else pa.nulls(found.num_rows, f.type)
                    for f in table.schema
                },
                schema=table.schema,
            )
            with locked(root):
                replace_days(root, table, data, [first + timedelta(days=n) for n in range(count)])
            written += data.num_rows
    finally:
        con.disconnect()
    return written
