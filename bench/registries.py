"""Importing a city's monitoring network from Excel (issue 15): N village stations (coordinates in GCJ-02) and
their N data loggers into a fresh SQLite database with a small city, through the sheet imports, then the same
sheet again (nothing changes). Baseline: the same sites and loggers added one by one through the monitoring
service, as the pages add them, each in its own transaction. Prints the seconds of each and the ratios; the last
line is JSON.

    uv run python bench/registries.py              # 600 stations and loggers (a city's village network)
    uv run python bench/registries.py --sites 100
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ecoloop.app  # noqa: F401  # every table, scope rule and registration
from ecoloop.audit.service import Actor, set_actor
from ecoloop.db.engine import make_engine
from ecoloop.db.migrate import upgrade
from ecoloop.monitoring.device_imports import import_devices
from ecoloop.monitoring.enums import SiteKind, StationLevel
from ecoloop.monitoring.service import add_device, add_site
from ecoloop.regions.enums import Datum
from ecoloop.site_registry import import_sites
from tests.factories import World, build_world


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fresh(directory: Path, name: str) -> tuple[Session, World]:
    url = f"sqlite:///{directory / name}"
    upgrade(url)
    session = Session(make_engine(url), expire_on_commit=False)
    world = build_world(session)
    session.commit()
    set_actor(session, Actor(label="bench"))
    return session, world


def point(i: int) -> tuple[str, str]:
    return f"{114.0 + (i % 50) * 0.001:.4f}", f"{35.0 + (i // 50) * 0.001:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=600)
    n = parser.parse_args().sites
    site_rows: list[list[object]] = [
        ["点位编码", "点位名称", "点位类型", "控制级别", "所属区划代码", "经度", "纬度", "坐标系"]
    ]
    site_rows += [[f"V-{i:04d}", f"村站{i}", "环境空气站", "村", "371802001001", *point(i), "GCJ-02"] for i in range(n)]
    device_rows: list[list[object]] = [["MN号", "访问密码", "监测点位编码"]]
    device_rows += [[f"MN{i:06d}", "123456", f"V-{i:04d}"] for i in range(n)]
    sites_xlsx, devices_xlsx = workbook(site_rows), workbook(device_rows)

    with tempfile.TemporaryDirectory() as tmp:
        session, world = fresh(Path(tmp), "import.sqlite")
        admin = world.principal(session, "admin")
        start = time.perf_counter()
        sites = import_sites(session, admin, sites_xlsx)
        session.commit()
        devices = import_devices(session, admin, devices_xlsx)
        session.commit()
        imported = time.perf_counter() - start
        assert sites.ok and devices.ok and sites.added == devices.added == n
        start = time.perf_counter()
        again = import_sites(session, admin, sites_xlsx)
        session.commit()
        reimported = time.perf_counter() - start
        assert again.ok and again.unchanged == n

        baseline_session, baseline_world = fresh(Path(tmp), "baseline.sqlite")
        start = time.perf_counter()
        for i in range(n):
            lon, lat = point(i)
            site = add_site(
                baseline_session,
                code=f"V-{i:04d}",
                name=f"村站{i}",
                kind=SiteKind.AIR_STATION,
                region=baseline_world.village_a,
                station_level=StationLevel.VILLAGE,
                longitude=float(lon),
                latitude=float(lat),
                datum=Datum.GCJ02,
            )
            add_device(baseline_session, mn=f"MN{i:06d}", password="123456", site=site)
            baseline_session.commit()
        baseline = time.perf_counter() - start
        session.close()
        baseline_session.close()

    print(f"import of {n} sites and {n} loggers (2 sheets): {imported:.2f} s")
    print(f"the same site sheet again (all unchanged): {reimported:.2f} s")
    print(f"baseline, one by one through the service as the pages add them: {baseline:.2f} s")
    print(f"ratio import / baseline: {imported / baseline:.2f}")
    result = {
        "sites": n,
        "import_seconds": round(imported, 3),
        "reimport_seconds": round(reimported, 3),
        "baseline_seconds": round(baseline, 3),
        "ratio_vs_baseline": round(imported / baseline, 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
