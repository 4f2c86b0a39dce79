"""The rankings page in Chromium: the demo city's counties ranked over a planted period, the rendered composite
index of the first county equal to the engine's (`results.periods` over the stored daily results), the cleanest
water section's CWQI as kept, and the screenshot docs/screens/rankings.png."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from ecoloop.results import periods, store
from ecoloop.results.air import AIR_DAY_AREA
from ecoloop.results.water import WATER_MONTH, section_row
from ecoloop.standards import ranking
from ecoloop.standards.water import CWQI_PLACES as CWQI
from ecoloop.standards.water import WaterGrade
from tests.e2e.conftest import Demo
from tests.e2e.test_login import DEMO_PASSWORD, sign_in
from tests.factories import plant_results

pytestmark = pytest.mark.e2e

# January 2020 and 2019: far from the demo's present, so results the demo computes are neither read nor replaced.
YEAR = 2020
PERIOD = periods.range_period(date(YEAR, 1, 1), date(YEAR, 1, 4))
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"


def _rows(county_ids: list[int], year: int, first: date = PERIOD.first) -> pa.Table:
    """Four days from `first` of every county, each county a little more polluted than the one before (its index
    `i`); the first two alike, so that they tie; a year earlier PM2.5 was 5 µg/m³ higher everywhere."""
    rows: list[dict[str, Any]] = []
    for position, region_id in enumerate(county_ids):
        i = max(position - 1, 0)
        for n in range(4):
            day = first + timedelta(days=n)
            aqi = (40, 70, 95, 130)[n] + 12 * i
            rows.append(
                {
                    "region_id": region_id,
                    "day": day.replace(year=year),
                    "stations": 2,
                    "SO2_24h": 8.0 + i,
                    "NO2_24h": 20.0 + 2 * i,
                    "PM10_24h": 60.0 + 5 * i,
                    "PM2_5_24h": 30.0 + 3 * i + (n % 2) + (5 if year < YEAR else 0),
                    "CO_24h": round(0.8 + 0.1 * i, 1),
                    "O3_8h": 140.0 + 5 * i + n,
                    "O3_1h": 170.0,
                    "aqi": aqi,
                    "level": next(level for level, top in enumerate((50, 100, 150, 200, 300, 500), 1) if aqi <= top),
                    "complete": True,
                }
            )
    return pa.table({f.name: [r.get(f.name) for r in rows] for f in AIR_DAY_AREA.schema}, schema=AIR_DAY_AREA.schema)


WATER_MONTH_2019, WATER_BASE = date(YEAR - 1, 12, 1), date(YEAR - 2, 12, 1)
NH3_N = (0.12, 0.3, 0.6, 0.9, 1.3, 1.8)  # mg/L: classes I to V by section


def water_row(i: int, month: date, section: Any, factor: float = 1.0) -> dict[str, Any]:
    """A water section's month as the engine classes it (`results.water.section_row`)."""
    site_id, target = section
    means = {"NH3_N": (round(NH3_N[i % len(NH3_N)] * factor, 3), 700), "DO": (7.0 + 0.2 * i, 700)}
    return section_row(site_id, month, means, WaterGrade(target) if target else None)


@pytest.fixture(scope="module")
def planted(demo_city: Demo) -> list[int]:
    """The demo's county ids, with daily results planted in the server's data directory (the city's as its first
    county's)."""
    engine = create_engine(f"sqlite:///{demo_city.directory / 'ecoloop.sqlite'}")
    with engine.connect() as connection:
        ids = [
            row[0] for row in connection.execute(text("SELECT id FROM regions WHERE level = 'county' ORDER BY code"))
        ]
        city = connection.execute(text("SELECT id FROM regions WHERE level = 'city'")).scalar_one()
        sections = list(
            connection.execute(text("SELECT id, water_target FROM sites WHERE kind = 'water_station' ORDER BY code"))
        )
    engine.dispose()
    root = demo_city.directory / "results"
    # December 2019, the latest month with water results up to the period's end, and December 2018 (its base).
    plant_results(root, WATER_MONTH, [water_row(i, WATER_MONTH_2019, s) for i, s in enumerate(sections)])
    plant_results(root, WATER_MONTH, [water_row(i, WATER_BASE, s, 1.1) for i, s in enumerate(sections)])
    for year in (YEAR - 1, YEAR):
        store.write(root, AIR_DAY_AREA, f"{year}-01", pa.concat_tables([_rows(ids, year), _rows([city], year)]))
    # The previous period (the four days before), counties in the opposite order: the page shows their movement.
    store.write(root, AIR_DAY_AREA, f"{YEAR - 1}-12", _rows(ids[::-1], YEAR - 1, date(YEAR - 1, 12, 28)))
    return ids


def test_the_first_county_shows_the_engines_composite_index(
    page: Page, live_server: str, demo_city: Demo, planted: list[int]
) -> None:
    con = ibis.duckdb.connect()
    try:
        engine = periods.statistics(con, demo_city.directory / "results", "areas", PERIOD, planted)
    finally:
        con.disconnect()
    ranks = ranking.rank_by_composite_index({k: s.composite for k, s in engine.items()})
    first = min(planted, key=lambda k: (ranks[k] or 99, planted.index(k)))
    expected = engine[first].composite_index
    assert expected is not None and ranks[planted[0]] == ranks[planted[1]] == 1  # the planted tie

    page.set_viewport_size({"width": 1600, "height": 900})
    sign_in(page, live_server, "analyst", DEMO_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="排名").click()
    expect(page.locator("h1")).to_contain_text("排名")
    page.locator("select[name=period]").select_option("range")
    page.locator("input[name=from]").fill(PERIOD.first.isoformat())
    page.locator("input[name=to]").fill(PERIOD.last.isoformat())
    page.get_by_role("button", name="查询").click()

    rows = page.locator("table.ranking tbody tr[data-id]")
    expect(rows).to_have_count(len(planted))
    top = rows.first
    expect(top.locator("td.rank")).to_have_text("1")
    expect(top).to_have_attribute("data-id", str(first))
    expect(top.locator("td.composite")).to_have_text(str(expected))
    expect(top.locator("td.pm25")).to_have_text(str(engine[first].pm25))
    expect(top.locator("td.good-ratio")).to_have_text(str(engine[first].good_ratio))
    expect(rows.nth(1).locator("td.rank")).to_have_text("1")  # tied, as the ranking rule publishes it
    expect(rows.nth(2).locator("td.rank")).to_have_text("3")
    expect(rows.nth(2).locator("td.movement")).to_have_text(
        f"↑{len(planted) - 5}"
    )  # reversed before: rank n - 2, now 3
    expect(page.locator("[data-chart-drawn=yes]")).to_have_count(1)
    # The water ranking of December 2019: the cleanest section's CWQI as kept.
    root = demo_city.directory / "results"
    kept = store.read_partition(root, WATER_MONTH, WATER_MONTH.key(WATER_MONTH_2019))
    assert kept is not None
    cleanest = min(r["cwqi"] for r in kept.to_pylist() if r["month"] == WATER_MONTH_2019)
    sections = page.locator("table.water-ranking[data-ranked=section] tbody tr[data-id]")
    expect(sections.first.locator("td[data-cell=cwqi]")).to_have_text(str(Decimal(repr(cleanest)).quantize(CWQI)))
    expect(sections.first.locator("td[data-cell=rank]")).to_have_text("1")

    # The analyst sets the first county's targets for 2020 from the ranking; the ranking then shows them.
    ranking_url = page.url
    page.get_by_role("link", name="目标").click()
    expect(page.locator("h1")).to_contain_text("空气质量目标")
    form = page.locator(f"#target-{first}")
    form.locator("input[name=good_ratio]").fill("80")
    form.locator("input[name=pm25]").fill("abc")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_have_text("目标须填写数字。")
    form = page.locator(f"#target-{first}")
    form.locator("input[name=pm25]").fill("32")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(f"#target-{first} input[name=pm25]")).to_have_value("32")
    page.goto(ranking_url)
    top = page.locator("table.ranking tbody tr[data-id]").first
    expect(top.locator("td.good-target")).to_contain_text(f"还差 {Decimal(80) - engine[first].good_ratio}")
    expect(top.locator("td.pm25-target")).to_contain_text("达标")
    expect(page.locator("table.standings tr[data-period=ytd] td.composite")).to_have_text(str(expected))
    SCREENS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENS / "rankings.png", full_page=True)
