"""The briefs in Chromium: the analyst opens the demo's latest daily analysis (generated when the demo loaded),
generates it again from the page and follows the progress bar to version 2, whose county table says each county's
AQI of yesterday as the engine keeps it (`results.queries.area_days` over the stored daily results), on the page
and in the downloaded Word document; a branch sees the city's brief; the screenshot docs/screens/reports.png."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from ecoloop.analytics import backends
from ecoloop.results.queries import ResultReads, area_days
from ecoloop.settings import Settings
from tests.e2e.conftest import Demo
from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
BUREAU = ZoneInfo("Asia/Shanghai")


def _engine_aqi(demo: Demo) -> tuple[str, dict[str, int | None]]:
    """Yesterday (the bureau's) and each county's AQI of that day as the results keep it, by county name."""
    yesterday = (datetime.now(UTC).astimezone(BUREAU) - timedelta(days=1)).date()
    engine = create_engine(f"sqlite:///{demo.directory / 'ecoloop.sqlite'}")
    with engine.connect() as connection:
        counties = dict(connection.execute(text("SELECT id, name FROM regions WHERE level = 'county'")).all())
    engine.dispose()
    settings = Settings(data_dir=demo.directory, analytics_url=demo.env["ECOLOOP_ANALYTICS_URL"])
    with ResultReads(settings.results_root, partial(backends.reading, settings)) as reads:
        days = area_days(reads, list(counties), yesterday, yesterday)
    return yesterday.isoformat(), {
        name: days[(i, yesterday)].aqi.aqi if (i, yesterday) in days else None for i, name in counties.items()
    }


def _shown(page: Page) -> dict[str, int | None]:
    """The county table of the brief on the page: AQI by county name (columns: county, rank, AQI, …)."""
    counties = page.locator("table[data-table=counties] tbody tr")
    expect(counties.first).to_be_visible()
    shown = {}
    for n in range(counties.count()):
        cells = counties.nth(n).locator("td").all_inner_texts()
        shown[cells[0]] = None if cells[2] == "—" else int(cells[2])
    return shown


def test_the_analyst_reads_generates_again_and_downloads_the_daily_brief(
    page: Page, live_server: str, demo_city: Demo
) -> None:
    day, _ = _engine_aqi(demo_city)
    page.set_viewport_size({"width": 1600, "height": 900})
    sign_in(page, live_server, "analyst", DEMO_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="简报").click()
    expect(page.locator("h1")).to_contain_text("简报")
    page.get_by_role("link", name="日研判").first.click()
    row = page.locator("table.reports tbody tr", has_text=day).first
    row.get_by_role("link").first.click()
    assert _shown(page)  # the demo's brief, generated when it loaded

    # Generated again: it says what the engine keeps now (other tests may have recomputed yesterday meanwhile).
    page.get_by_role("button", name="重新生成").click()
    expect(page.locator("h1")).to_contain_text("正在生成简报")
    expect(page.locator("h1")).not_to_contain_text("正在生成简报", timeout=60_000)  # htmx follows the bar
    expect(page.locator("dl.facts")).to_contain_text("2")
    expect(page.get_by_role("heading", name="与第1版相比的变化")).to_be_visible()
    _, expected = _engine_aqi(demo_city)
    assert any(v is not None for v in expected.values())  # the demo computed yesterday's results
    assert {k: v for k, v in _shown(page).items() if k in expected} == expected
    SCREENS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENS / "reports.png", full_page=True)
    with page.expect_download() as downloaded:
        page.get_by_role("link", name="Word文档").click()
    data = Path(downloaded.value.path()).read_bytes()
    document = docx.Document(io.BytesIO(data))
    table = document.tables[0]
    in_word = {r.cells[0].text: r.cells[2].text for r in table.rows[1:]}
    assert {k: (None if v == "—" else int(v)) for k, v in in_word.items() if k in expected} == expected

    page.get_by_role("button", name="退出").click()
    sign_in(page, live_server, "branch", DEMO_PASSWORD)
    page.goto(f"{live_server}/reports?kind=daily")
    expect(page.locator("table.reports tbody tr", has_text=day).first).to_be_visible()
