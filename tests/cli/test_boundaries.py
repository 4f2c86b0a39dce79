"""`ecoloop import boundaries FILE.geojson`: all boundaries or none, problems printed by feature, sites placed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecoloop.cli import app
from ecoloop.db.engine import make_engine
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from ecoloop.regions.models import Region
from tests.factories import COUNTY_A_BOX, COUNTY_B_BOX, TOWN_A_BOX, box, build_world, geojson

runner = CliRunner()


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test city, with a station whose coordinates lie in town A, in a migrated SQLite database."""
    url = f"sqlite:///{tmp_path / 'e.sqlite'}"
    monkeypatch.setenv("ECOLOOP_DATABASE_URL", url)
    monkeypatch.setenv("ECOLOOP_ANALYTICS_URL", f"duckdb:///{tmp_path / 'a.duckdb'}")
    monkeypatch.setenv("ECOLOOP_DATA_DIR", str(tmp_path))
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = make_engine(url)
    with Session(engine) as session:
        world = build_world(session)
        station = add_site(session, code="AQ", name="湖滨站", kind=SiteKind.AIR_STATION, region=world.town_a)
        station.longitude, station.latitude = Decimal("114.05"), Decimal("35.05")
        session.commit()
    engine.dispose()
    return url


def read(url: str) -> tuple[dict[str, bool], int | None]:
    """Which regions have a boundary, and the station's located region."""
    engine = make_engine(url)
    with Session(engine) as session:
        bounded = {r.code: r.boundary is not None for r in session.scalars(select(Region))}
        located = session.scalars(select(Site.located_region_id)).one()
    engine.dispose()
    return bounded, located


def test_a_file_is_imported_and_the_sites_placed(city: str, tmp_path: Path) -> None:
    path = tmp_path / "boundaries.geojson"
    path.write_bytes(
        geojson(("371802", box(*COUNTY_A_BOX)), ("371802001000", box(*TOWN_A_BOX)), ("371821", box(*COUNTY_B_BOX)))
    )

    result = runner.invoke(app, ["import", "boundaries", str(path), "--as", "admin"])

    assert result.exit_code == 0, result.output
    assert "3 added, 0 replaced, 0 unchanged; 1 sites placed in another region" in result.output
    bounded, located = read(city)
    assert sorted(code for code, known in bounded.items() if known) == ["371802", "371802001000", "371821"]
    assert located is not None


def test_a_bad_file_prints_every_problem_and_imports_nothing(city: str, tmp_path: Path) -> None:
    path = tmp_path / "boundaries.geojson"
    path.write_bytes(
        geojson(("371802", box(*COUNTY_A_BOX)), ("371899", box(*COUNTY_B_BOX)), ("371802", box(0, 0, 1, 1)))
    )

    result = runner.invoke(app, ["import", "boundaries", str(path)])

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("features[2] 371802: ") and line.endswith("[duplicate]") for line in lines), lines
    assert any(line.startswith("features[1] 371899: ") and "[unknown_region]" in line for line in lines), lines
    assert "2 problems: nothing imported" in result.output
    assert read(city) == ({code: False for code in read(city)[0]}, None)


def test_an_unknown_user_is_refused(city: str, tmp_path: Path) -> None:
    path = tmp_path / "b.geojson"
    path.write_bytes(geojson(("371802", box(*COUNTY_A_BOX))))

    result = runner.invoke(app, ["import", "boundaries", str(path), "--as", "nobody"])

    assert result.exit_code == 1 and "no user 'nobody'" in result.output
