"""Reading the kept water months for a principal: the summary of a month and water by CWQI (counties and sections
ranked, ΔCWQI against a base month), worked by hand."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from ecoloop.analytics.sites import fixed
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.service import add_site
from ecoloop.regions.enums import RegionLevel
from ecoloop.results import store
from ecoloop.results.water import WATER_MONTH, section_row
from ecoloop.results.water_queries import KeptResults, SectionMonth, cwqi_ranking, section_cwqi_ranking, summarise
from ecoloop.standards.water import WaterGrade
from tests.factories import World

NOV, LAST_NOV = date(2026, 11, 1), date(2025, 11, 1)


def duckdb() -> AbstractContextManager[Any]:
    return fixed(ibis.duckdb.connect())


@pytest.fixture
def kept(db: Session, world: World, tmp_path: Path) -> tuple[KeptResults, dict[str, int]]:
    """County A: section A1 NH3-N 1.2 and DO 6.5, A2 NH3-N 0.8 (November); A1 NH3-N 2.0 a year before. County B:
    section B1 DO 8 (November), nothing a year before."""
    sites = {
        name: add_site(db, code=f"wq-{name}", name=name, kind=SiteKind.WATER_STATION, region=region).id
        for name, region in (("a1", world.town_a), ("a2", world.village_a), ("b1", world.town_b))
    }
    db.flush()
    rows = [
        section_row(sites["a1"], NOV, {"NH3_N": (1.2, 10), "DO": (6.5, 10)}, WaterGrade.CLASS_III),
        section_row(sites["a2"], NOV, {"NH3_N": (0.8, 10)}, None),
        section_row(sites["b1"], NOV, {"DO": (8.0, 10)}, None),
        section_row(sites["a1"], LAST_NOV, {"NH3_N": (2.0, 10)}, None),
    ]
    root = tmp_path / "results"
    store.replace_days(root, WATER_MONTH, pa.Table.from_pylist(rows, schema=WATER_MONTH.schema), [NOV, LAST_NOV])
    return KeptResults(root, duckdb), sites


def test_counties_by_cwqi_with_the_change_on_last_year(
    db: Session, world: World, kept: tuple[KeptResults, dict[str, int]]
) -> None:
    """County A: means NH3-N (1.2 + 0.8)/2 = 1.0 and DO 6.5 → CWQI 1.0/1.0 + 5/6.5 = 1.769230… = 1.7692; a year
    before NH3-N 2.0 → 2.0000; ΔCWQI (1.7692 - 2)/2 = -11.54 %. County B: DO 8 → 5/8 = 0.6250, ranked first."""
    results, _sites = kept
    found = cwqi_ranking(db, world.principal(db, "analyst"), results, NOV, LAST_NOV, RegionLevel.COUNTY)
    assert [(e.id, e.sections, e.cwqi, e.base, e.change, e.rank) for e in found] == [
        (world.county_b.id, 1, Decimal("0.6250"), None, None, 1),
        (world.county_a.id, 2, Decimal("1.7692"), Decimal("2.0000"), Decimal("-11.54"), 2),
    ]
    # A branch ranks its own county only.
    mine = cwqi_ranking(db, world.principal(db, "branch_a"), results, NOV, LAST_NOV, RegionLevel.COUNTY)
    assert [(e.id, e.rank) for e in mine] == [(world.county_a.id, 1)]


def test_sections_by_cwqi(db: Session, world: World, kept: tuple[KeptResults, dict[str, int]]) -> None:
    """A1 1.2 + 5/6.5 = 1.9692; A2 0.8; B1 0.6250."""
    results, sites = kept
    found = section_cwqi_ranking(db, world.principal(db, "leader"), results, NOV, LAST_NOV)
    assert [(e.id, e.cwqi, e.base, e.change, e.rank) for e in found] == [
        (sites["b1"], Decimal("0.6250"), None, None, 1),
        (sites["a2"], Decimal("0.8000"), None, None, 2),
        (sites["a1"], Decimal("1.9692"), Decimal("2.0000"), Decimal("-1.54"), 3),
    ]


def test_a_months_summary() -> None:
    """Classes II, III, IV, 劣V and one month without class: 2 of 4 classed are I-III (50.0 %), one 劣V; two with a
    target, one meeting it; mean CWQI (1 + 2 + 3 + 5)/4 = 2.7500."""
    months = [
        SectionMonth(1, NOV, {}, {}, WaterGrade.CLASS_II, None, [], Decimal(1), 1, WaterGrade.CLASS_II, True),
        SectionMonth(2, NOV, {}, {}, WaterGrade.CLASS_III, None, [], Decimal(2), 1, None, None),
        SectionMonth(3, NOV, {}, {}, WaterGrade.CLASS_IV, None, [], Decimal(3), 1, WaterGrade.CLASS_III, False),
        SectionMonth(4, NOV, {}, {}, WaterGrade.WORSE_THAN_V, None, [], Decimal(5), 1, None, None),
        SectionMonth(5, NOV, {}, {}, None, None, [], None, None, None, None),
    ]
    s = summarise(6, months)
    assert (s.sections, s.classed, s.good, s.good_share, s.worse_than_v) == (6, 4, 2, Decimal("50.0"), 1)
    assert (s.with_target, s.meeting, s.mean_cwqi) == (2, 1, Decimal("2.7500"))
    assert s.by_grade[WaterGrade.CLASS_IV] == 1 and s.by_grade[WaterGrade.CLASS_I] == 0
