"""Outlet compliance in Chromium: a day of a demo outlet's hourly values (three hours above its SO2 limit) is
computed as the results job computes it, and the enterprise file shows the stored exceedance hours and effective
rate, with the charts drawn; the screenshot is docs/screens/enterprise-compliance.png."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.analytics.sites import StoredReadings
from ecoloop.db.engine import make_engine
from ecoloop.enterprises.models import Enterprise
from ecoloop.monitoring.models import Site
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.results import service, store
from ecoloop.results.sources import OUTLET_MONTH, SourcesComputation
from ecoloop.settings import Settings
from tests.e2e.conftest import Demo
from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e

ENTERPRISE = "清源华能热电有限公司"
SO2, NOX, DUST, O2 = "a21026", "a21002", "a34013", "a19001"
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"


def demo_settings(demo: Demo) -> Settings:
    env = demo.env
    return Settings(
        database_url=env["ECOLOOP_DATABASE_URL"],
        analytics_url=env["ECOLOOP_ANALYTICS_URL"],
        data_dir=Path(env["ECOLOOP_DATA_DIR"]),
    )


def test_the_enterprise_file_shows_the_stored_exceedance_hours(page: Page, live_server: str, demo_city: Demo) -> None:
    settings = demo_settings(demo_city)
    engine = make_engine(settings.database_url)
    with Session(engine) as db:
        enterprise_id, site_id = db.execute(
            select(Enterprise.id, Site.id)
            .join(Site, Site.enterprise_id == Enterprise.id)
            .where(Enterprise.name == ENTERPRISE, Site.code.endswith("-DA001"))
        ).one()
        # Yesterday (local), 24 hours at 6 % O2 (the limits' reference): SO2 60 mg/m³ except three hours at 150 (the
        # limit is 100), NOx 50, dust 10.
        yesterday = (datetime.now(UTC).astimezone(settings.tz) - timedelta(days=1)).date()
        start = datetime.combine(yesterday, time(), settings.tz).astimezone(UTC)
        readings = []
        for h in range(24):
            hour = start + timedelta(hours=h)
            so2 = 150.0 if h in (9, 10, 11) else 60.0
            for code, value in ((SO2, so2), (NOX, 50.0), (DUST, 10.0), (O2, 6.0)):
                readings.append(Reading(site_id, code, Interval.HOUR, hour, value, "N", "correction:e2e"))
        hot = HotStore(settings.hot_store_path)
        # The demo's outlet history already holds yesterday: these hours are stored as approved corrections, which
        # replace the values that stood (the first value received otherwise stands).
        hot.write(readings, replace=True)
        stored = StoredReadings.of(hot, settings)
        only = (SourcesComputation(),)  # the outlets' results alone
        service.compute_days(db, stored, settings.results_root, [yesterday], settings.tz, computations=only)
        hot.close()
    engine.dispose()
    month = yesterday.replace(day=1)
    kept = store.read_partition(settings.results_root, OUTLET_MONTH, f"{month.year}")
    assert kept is not None
    [stored] = [r for r in kept.to_pylist() if (r["site_id"], r["month"], r["parameter"]) == (site_id, month, SO2)]
    assert stored["exceed_hours"] == 3

    page.set_viewport_size({"width": 1600, "height": 900})
    sign_in(page, live_server, "analyst", DEMO_PASSWORD)
    page.goto(f"{live_server}/enterprises/{enterprise_id}#compliance")

    section = page.locator("#compliance")
    expect(section.get_by_role("heading", name="排放口达标情况")).to_be_visible()
    row = section.locator(f"article[data-site$='-DA001'] tr[data-month='{month:%Y-%m}']")
    exceeded = row.locator("[data-parameter='a21026/hour'][data-figure='exceeded']")
    effective = row.locator("[data-parameter='a21026/hour'][data-figure='effective']")
    expect(exceeded).to_have_text(f"{stored['exceed_hours']} 小时")
    shown = Decimal(repr(stored["effective_rate"])).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    expect(effective).to_have_text(f"{shown}%")
    charts = section.locator("article[data-site$='-DA001'] [data-chart]")
    expect(charts).to_have_count(3)
    expect(section.locator("article[data-site$='-DA001'] [data-chart-drawn='yes']")).to_have_count(3)

    # The bureau's list of the month: the outlet's hours summed over its pollutants, as kept.
    total = sum(r["exceed_hours"] or 0 for r in kept.to_pylist() if (r["site_id"], r["month"]) == (site_id, month))
    page.goto(f"{live_server}/sources?month={month:%Y-%m}")
    expect(page.locator(f"tr[data-site='{site_id}'] [data-figure='exceed_hours']")).to_have_text(str(total))

    page.goto(f"{live_server}/enterprises/{enterprise_id}#compliance")
    article = section.locator("article[data-site$='-DA001']")
    expect(article.locator("[data-chart-drawn='yes']")).to_have_count(3)
    article.scroll_into_view_if_needed()
    SCREENS.mkdir(parents=True, exist_ok=True)
    article.screenshot(path=SCREENS / "enterprise-compliance.png")
