"""The demo city's air control operations: the control list with a county short of its share at orange, last
week's warning whose electricity check found exactly the two planted enterprises (one confirmed and handed over),
tomorrow's warning awaiting the leader, and the hotspot orders around the planted hotspot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts.enums import Review
from ecoloop.alerts.models import Alert
from ecoloop.controls.rules import RequiredShares
from ecoloop.controls.views import county_summaries, list_rows
from ecoloop.demo.aircontrol import OVER, TREATMENT_OFF, add_demo_aircontrol, add_demo_hotspot_orders
from ecoloop.demo.service import load_demo
from ecoloop.electricity.enums import FlagKind
from ecoloop.electricity.models import ElectricityFlag
from ecoloop.enterprises.models import Enterprise
from ecoloop.episodes.enums import WarningLevel, WarningStatus
from ecoloop.episodes.models import PollutionWarning
from ecoloop.hotspots.enums import OrderStatus
from ecoloop.hotspots.models import HotspotOrder
from ecoloop.identity.models import User
from ecoloop.identity.service import principal_for
from ecoloop.reports.after_action import compliance
from ecoloop.reports.after_action_inputs import list_and_flags
from ecoloop.settings import Settings

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 2, tzinfo=UTC)


def test_demo_air_control_operations(app_db: Session, app_settings: Settings) -> None:
    db = app_db
    load_demo(db, now=NOW)
    added = add_demo_aircontrol(db, NOW, ZONE)
    assert added["control list entries"] >= 50 and added["warnings"] == 2
    admin = principal_for(db.scalars(select(User).where(User.username == "admin")).one(), db)
    # The list: every county with listed enterprises has its baseline and reaches its share at orange but 平山县.
    rows = list_rows(db, admin, date(2026, 12, 7))
    summaries = {s.county.code: s for s in county_summaries(db, admin, rows, RequiredShares()) if s.enterprises}
    assert all(s.baselines for s in summaries.values())
    short = {code for code, s in summaries.items() if not all(c.met for c in s.checks[WarningLevel.ORANGE])}
    assert short == {"371822"}
    # The warnings: last week's lifted at orange; tomorrow's awaiting the leader's signature.
    past, coming = db.scalars(select(PollutionWarning).order_by(PollutionWarning.id))
    assert (past.status, past.level) == (WarningStatus.LIFTED, WarningLevel.ORANGE)
    assert coming.status is WarningStatus.AWAITING_APPROVAL and coming.planned_start > NOW
    # Its electricity check found the two planted enterprises and no other; the foundry's flag was confirmed.
    flags = {(f.enterprise_id, f.kind) for f in db.scalars(select(ElectricityFlag))}
    over, off = (db.scalars(select(Enterprise).where(Enterprise.name == name)).one() for name in (OVER, TREATMENT_OFF))
    assert flags == {(over.id, FlagKind.OVER_ALLOWANCE), (off.id, FlagKind.TREATMENT_OFF)}
    reviews = {
        a.enterprise_id: a.review for a in db.scalars(select(Alert).where(Alert.enterprise_id.in_([over.id, off.id])))
    }
    assert reviews == {over.id: Review.CONFIRMED, off.id: Review.PENDING}
    # The after-action report counts the confirmed flag against the enterprises required to act.
    listed, confirmed = list_and_flags(db, past)
    figures = compliance(listed, confirmed)
    assert [f.enterprise_id for f in confirmed] == [over.id]
    assert figures.overall.flagged == 1 and figures.overall.required < figures.overall.listed
    # The hotspot orders around 仁和镇: one closed after its check, one dispatched today with its suspects.
    orders = add_demo_hotspot_orders(db, NOW, app_settings)
    assert orders == {"pollution sources": 11, "hotspot orders": 2}
    earlier, today = db.scalars(select(HotspotOrder).order_by(HotspotOrder.id))
    assert earlier.status is OrderStatus.CLOSED and today.status is OrderStatus.DISPATCHED
    names = [s["name"] for s in today.suspects]
    assert "仁和砂石料堆场" in names and "城东污水管网工程" not in names  # the last one lies outside the radius
