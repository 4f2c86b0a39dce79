"""The electricity pages in Chromium on a phone-sized screen (375 px): a meter on one of the demo city's
enterprises with two weeks of readings, the list of meters, and the meter's page with its load drawn, nothing wider
than the screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from ecoloop.audit.service import Actor, set_actor
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.electricity import service
from ecoloop.electricity.enums import MeterTarget
from ecoloop.enterprises.enums import LineKind
from ecoloop.enterprises.models import Enterprise, ProductionLine
from tests.conftest import make_settings
from tests.e2e.conftest import Demo
from tests.e2e.test_login import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 812}


def plant_meter(demo: Demo) -> int:
    settings = make_settings(demo.directory)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            set_actor(session, Actor(label="e2e"))
            enterprise = session.scalars(select(Enterprise).order_by(Enterprise.id).limit(1)).one()
            line = ProductionLine(enterprise_id=enterprise.id, name="E2E-kiln", kind=LineKind.PRODUCTION)
            session.add(line)
            session.flush()
            meter = service.save_meter(
                session, number="E2E-0001", enterprise_id=enterprise.id, target=MeterTarget.PRODUCTION, line_id=line.id
            )
            now = datetime.now(UTC)
            service.store_simulated(
                session, [meter], start=now - timedelta(days=13), days=14, zone=settings.tz, stretches={}, until=now
            )
            session.commit()
            return meter.id
    finally:
        engine.dispose()


def test_an_analyst_reads_a_meter_on_a_phone(browser: Browser, live_server: str, demo_city: Demo) -> None:
    meter_id = plant_meter(demo_city)
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, live_server, "analyst", DEMO_PASSWORD)
        page.goto(f"{live_server}/electricity")
        expect(page.locator("h1")).to_contain_text("用电监控")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.locator(f"tr[data-meter='{meter_id}'] a").click()
        expect(page).to_have_url(f"{live_server}/electricity/meters/{meter_id}")
        expect(page.locator("[data-chart=electricity-recent][data-chart-drawn=yes]")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.goto(f"{live_server}/electricity/imports")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
