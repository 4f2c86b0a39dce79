"""The alert engine end to end on a real database and hot store: arrivals → window → rules → alerts, with
suppression, clearing, reopening, hand-over into cases routed to the branch, feedback when the case closes,
silence on the schedule, hotspots against neighbours, notifications and webhook queues."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.alerts.engine import AlertEngine
from ecoloop.alerts.enums import AlertEventKind, AlertStatus
from ecoloop.alerts.models import Alert, AlertEvent, AlertRule, Notification, Webhook, WebhookDelivery
from ecoloop.alerts.rules import RuleKind
from ecoloop.analytics.sites import StoredReadings
from ecoloop.cases.enums import CaseSource
from ecoloop.cases.models import Case
from ecoloop.cases.service import Acting, act
from ecoloop.cases.workflow import Action, State
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.enterprises.enums import Averaging, OutletKind, PermitClass
from ecoloop.enterprises.models import Outlet, OutletLimit, Permit
from ecoloop.ingest.convert import readings_of
from ecoloop.ingest.hj212 import encode, parse
from ecoloop.monitoring.enums import NoiseZone, SiteKind
from ecoloop.monitoring.models import Device, Site
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.settings import Settings
from tests.factories import YEAR_0, YEAR_2099, YEAR_10000, World

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # 08:00 in 清源
SO2, O2, PM25, LEQ = "a21026", "a19001", "a34004", "Leq"


@dataclass
class Rig:
    engine: AlertEngine
    store: HotStore
    db: Session
    world: World
    outlet_site: Site
    stations: list[Site]

    def send(self, site: Site, hour: int, values: dict[str, float], flag: str = "N") -> None:
        at = T0 + timedelta(hours=hour)
        readings = [Reading(site.id, code, Interval.HOUR, at, value, flag) for code, value in values.items()]
        self.store.write(readings, now=at + timedelta(minutes=5))

    def poll(self, hour: float) -> None:
        self.engine.poll(T0 + timedelta(hours=hour, minutes=6))

    def alerts(self, kind: RuleKind) -> list[Alert]:
        self.db.commit()  # end the read transaction: the engine committed in its own session
        self.db.expire_all()
        return list(self.db.scalars(select(Alert).where(Alert.kind == kind).order_by(Alert.id)))


@pytest.fixture
def rig(app_settings: Settings, app_db: Session, app_world: World, tmp_path: Path) -> Iterator[Rig]:
    w = app_world
    outlet_site = Site(
        code="DA001",
        name="华能热电1号烟囱",
        kind=SiteKind.AIR_SOURCE,
        region_id=w.village_a.id,
        enterprise_id=w.enterprise_a.id,
    )
    app_db.add(outlet_site)
    app_db.flush()
    limit = OutletLimit(
        pollutant=SO2,
        limit_value=Decimal(35),
        unit="mg/m3",
        averaging=Averaging.HOUR,
        reference_o2=Decimal(6),
        source="GB 13223-2011 表2",
    )
    outlet = Outlet(code="DA001", name="1号锅炉烟囱", kind=OutletKind.GAS, site_id=outlet_site.id, limits=[limit])
    app_db.add(
        Permit(
            enterprise_id=w.enterprise_a.id,
            number="91371802MA3C000001001P",
            permit_class=PermitClass.KEY,
            valid_from=date(2024, 1, 1),
            valid_to=date(2028, 12, 31),
            outlets=[outlet],
        )
    )
    stations = []
    for i in range(4):  # four stations a few km apart in county B
        station = Site(
            code=f"AQ{i}",
            name=f"柳林{i}号站",
            kind=SiteKind.AIR_STATION,
            region_id=w.town_b.id,
            longitude=Decimal("117.0") + Decimal(i) / 100,
            latitude=Decimal("36.6"),
        )
        app_db.add(station)
        stations.append(station)
    app_db.flush()
    app_db.add(Device(mn="MN-DA001", password="123456", site_id=outlet_site.id, interval_minutes=60))
    app_db.add(Webhook(organisation_id=w.branch_a.id, url="http://127.0.0.1:9/hook", secret="s3cret"))
    app_db.commit()
    store = HotStore(tmp_path / "hot.sqlite")
    sessions = make_session_factory(make_engine(app_settings.database_url))
    engine = AlertEngine(sessions, StoredReadings.of(store, app_settings), TZ, clock=lambda: T0)
    engine.start(T0)
    yield Rig(engine, store, app_db, w, outlet_site, stations)
    store.close()


def test_an_exceedance_is_raised_once_repeats_counted_cleared_and_reopened(rig: Rig) -> None:
    rig.send(rig.outlet_site, 0, {SO2: 30.0, O2: 6.0})
    rig.poll(0)
    assert rig.alerts(RuleKind.SOURCE_EXCEEDANCE) == []
    rig.send(rig.outlet_site, 1, {SO2: 50.0, O2: 6.0})  # 50 > 35 at the reference O2
    rig.poll(1)
    (alert,) = rig.alerts(RuleKind.SOURCE_EXCEEDANCE)
    assert alert.status is AlertStatus.OPEN and alert.observed == Decimal(50) and alert.reference == Decimal(35)
    assert alert.first_at == T0 + timedelta(hours=1) and alert.trigger_received_at == T0 + timedelta(hours=1, minutes=5)
    rig.send(rig.outlet_site, 1, {SO2: 50.0, O2: 6.0})  # the same packet again
    rig.poll(1.5)
    rig.send(rig.outlet_site, 2, {SO2: 60.0, O2: 6.0})
    rig.poll(2)
    (alert,) = rig.alerts(RuleKind.SOURCE_EXCEEDANCE)
    assert alert.repeats == 1 and alert.observed == Decimal(60)
    rig.send(rig.outlet_site, 3, {SO2: 20.0, O2: 6.0})
    rig.poll(3)
    (alert,) = rig.alerts(RuleKind.SOURCE_EXCEEDANCE)
    assert alert.status is AlertStatus.CLEARED
    rig.send(rig.outlet_site, 4, {SO2: 70.0, O2: 6.0})  # within the reopen window: the same alert
    rig.poll(4)
    (alert,) = rig.alerts(RuleKind.SOURCE_EXCEEDANCE)
    assert alert.status is AlertStatus.OPEN and alert.reopened == 1
    kinds = list(rig.db.scalars(select(AlertEvent.kind).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)))
    assert kinds == [AlertEventKind.RAISED, AlertEventKind.ESCALATED, AlertEventKind.CLEARED, AlertEventKind.REOPENED]


def test_an_automatic_rule_hands_the_alert_to_the_branch_and_the_closed_case_closes_it(rig: Rig) -> None:
    rig.send(rig.outlet_site, 1, {SO2: 80.0, O2: 6.0})
    rig.poll(1)
    (alert,) = rig.alerts(RuleKind.SOURCE_EXCEEDANCE)
    case = rig.db.get(Case, alert.case_id)
    assert case is not None
    assert case.source is CaseSource.ALERT and case.state is State.ASSIGNED
    assert case.lead_unit_id == rig.world.branch_a.id and case.enterprise_id == rig.world.enterprise_a.id
    assert case.deadline == date(2026, 11, 23)  # the rule's 3 days from the local date
    # the analyst and the branch of county A hear of it; county B's branch does not; the enterprise does
    notified = set(rig.db.scalars(select(Notification.user_id).where(Notification.alert_id == alert.id)))
    users = rig.world.users
    assert notified == {users["analyst"].id, users["branch_a"].id, users["enterprise_a"].id}
    # branch A's webhook gets the raised and escalated events
    assert rig.db.scalar(select(func.count(WebhookDelivery.id))) == 2

    # the loop: the branch accepts, reports, the bureau verifies and passes
    def step(who: str, action: Action) -> None:
        rig.db.refresh(case)
        acting = Acting(users[who], rig.world.principal(rig.db, who))
        act(rig.db, case, acting, action, seen_version=case.version, now=T0 + timedelta(days=1))
        rig.db.commit()

    step("branch_a", Action.ACCEPT)
    step("branch_a", Action.REPORT)
    step("analyst", Action.START_VERIFICATION)
    step("analyst", Action.PASS)
    rig.engine.sweep(T0 + timedelta(days=1, minutes=1))
    (alert,) = rig.alerts(RuleKind.SOURCE_EXCEEDANCE)
    assert alert.status is AlertStatus.CLOSED and alert.closed_at is not None
    # a new exceedance after closing is a new alert with a new case
    rig.send(rig.outlet_site, 30, {SO2: 80.0, O2: 6.0})
    rig.poll(30)
    alerts = rig.alerts(RuleKind.SOURCE_EXCEEDANCE)
    assert len(alerts) == 2 and alerts[1].case_id not in (None, alert.case_id)


def test_silence_on_the_schedule_and_cleared_by_data(rig: Rig) -> None:
    rig.send(rig.outlet_site, 0, {SO2: 20.0, O2: 6.0})
    rig.poll(0)
    rig.engine.sweep(T0 + timedelta(hours=3, minutes=5))  # last data at 00:05, 3 hours allowed: not yet
    assert rig.alerts(RuleKind.DEVICE_SILENT) == []
    rig.engine.sweep(T0 + timedelta(hours=3, minutes=6))
    rig.engine.sweep(T0 + timedelta(hours=3, minutes=7))  # the same silence: no second alert, no repeat
    (alert,) = rig.alerts(RuleKind.DEVICE_SILENT)
    assert alert.status is AlertStatus.OPEN and alert.repeats == 0
    assert alert.first_at == T0 + timedelta(hours=3, minutes=5)
    rig.send(rig.outlet_site, 4, {SO2: 20.0, O2: 6.0})
    rig.poll(4)
    (alert,) = rig.alerts(RuleKind.DEVICE_SILENT)
    assert alert.status is AlertStatus.CLEARED


def test_a_station_well_above_its_neighbours_is_a_hotspot(rig: Rig) -> None:
    for station, value in zip(rig.stations, (210.0, 50.0, 55.0, 60.0), strict=True):
        rig.send(station, 0, {PM25: value})
    rig.poll(0)
    (alert,) = rig.alerts(RuleKind.AIR_HOTSPOT)
    assert alert.site_id == rig.stations[0].id and alert.reference == Decimal(55)
    assert alert.case_id is None  # a manual rule: checked first (核查)
    for station in rig.stations:
        rig.send(station, 1, {PM25: 60.0})
    rig.poll(1)
    (alert,) = rig.alerts(RuleKind.AIR_HOTSPOT)
    assert alert.status is AlertStatus.CLEARED


def test_a_disabled_rule_raises_nothing(rig: Rig) -> None:
    rule = rig.db.scalar(select(AlertRule).where(AlertRule.code == "source-exceedance"))
    assert rule is not None
    rule.enabled = False
    rig.db.commit()
    rig.engine.sweep(T0)  # reloads the rules
    rig.send(rig.outlet_site, 1, {SO2: 80.0, O2: 6.0})
    rig.poll(1)
    assert rig.alerts(RuleKind.SOURCE_EXCEEDANCE) == []


def test_a_logger_never_heard_from_is_silent_only_after_its_intervals_from_the_start(rig: Rig) -> None:
    rig.engine.sweep(T0 + timedelta(hours=3))  # started at T0: exactly 3 intervals is not yet silent
    assert rig.alerts(RuleKind.DEVICE_SILENT) == []
    rig.engine.sweep(T0 + timedelta(hours=3, seconds=1))
    (alert,) = rig.alerts(RuleKind.DEVICE_SILENT)
    assert alert.site_id == rig.outlet_site.id and alert.first_at == T0 + timedelta(hours=3)


def test_a_hotspot_rule_may_compare_a_station_with_its_town(rig: Rig) -> None:
    rule = rig.db.scalar(select(AlertRule).where(AlertRule.code == "air-hotspot"))
    assert rule is not None
    # a radius that finds no neighbour: only the town comparison can judge
    rule.parameters = dict(rule.parameters) | {"radius_km": 0.1, "area_level": "town"}
    rig.db.commit()
    rig.engine.sweep(T0)  # reloads the rules
    for station, value in zip(rig.stations, (210.0, 50.0, 55.0, 60.0), strict=True):
        rig.send(station, 0, {PM25: value})
    rig.poll(0)
    (alert,) = rig.alerts(RuleKind.AIR_HOTSPOT)
    assert alert.site_id == rig.stations[0].id and alert.reference == Decimal(55)


def hourly_packet(hour: int, values: dict[str, dict[str, str]]) -> bytes:
    """An hourly upload (CN=2061) as the demo's simulated outlets send it: per pollutant Min, Avg, Max, ZsAvg."""
    data_time = (T0 + timedelta(hours=hour)).astimezone(TZ).strftime("%Y%m%d%H%M%S")
    cp = {"DataTime": data_time}
    for code, stats in values.items():
        cp.update({f"{code}-{stat}": text for stat, text in stats.items()})
        cp[f"{code}-Flag"] = "N"
    return encode({"QN": f"{data_time}000", "ST": "31", "CN": "2061", "PW": "123456", "MN": "MN-DA001", "CP": cp})


def test_identical_values_across_pollutants_not_within_one_pollutants_hour(rig: Rig) -> None:
    """A steady hour gives a pollutant equal Avg, Min and Max: no alert (issue 13 point 9, 8 outlets in the demo's
    first hour); three pollutants with the same average are one."""
    steady = {"Min": "12.5", "Avg": "12.5", "Max": "12.5", "ZsAvg": "12.5"}
    rig.store.write(readings_of(parse(hourly_packet(0, {SO2: steady, O2: {"Avg": "6.0"}})), rig.outlet_site.id, TZ))
    rig.poll(0)
    assert rig.alerts(RuleKind.DEVICE_IDENTICAL_VALUES) == []
    same = {"Min": "3.1", "Avg": "4.2", "Max": "5.3"}
    packet = hourly_packet(1, {SO2: same, "a21002": same, "a34013": same, O2: {"Avg": "6.0"}})
    rig.store.write(readings_of(parse(packet), rig.outlet_site.id, TZ))
    rig.poll(1)
    (alert,) = rig.alerts(RuleKind.DEVICE_IDENTICAL_VALUES)
    assert alert.observed == Decimal(3)


def test_data_dated_far_ahead_or_unrepresentable_neither_stops_the_engine_nor_empties_its_window(rig: Rig) -> None:
    site = rig.outlet_site
    received = int((T0 + timedelta(hours=1, minutes=5)).timestamp() * 1000)
    inf = float("inf")
    hour_1 = int((T0 + timedelta(hours=1)).timestamp())
    bad = [(SO2, YEAR_10000, 1.0), (SO2, YEAR_0, 1.0), (SO2, YEAR_2099, 1.0), ("a21002", hour_1, inf)]
    rows = [(site.id, code, "hour", ts, value, "N", "hj212", received) for code, ts, value in bad]
    rig.store.write_rows([(rows, [])])  # as stored before the ways in refused such rows
    rig.send(site, 0, {SO2: 30.0, O2: 6.0})
    rig.poll(0)
    assert rig.engine.window.newest == T0  # the 2099 hour did not move the window (which forgets 50 h behind it)
    rig.send(site, 1, {SO2: 50.0, O2: 6.0})  # beside the infinite NOx value of that hour
    rig.poll(1)
    (alert,) = rig.alerts(RuleKind.SOURCE_EXCEEDANCE)
    assert alert.observed == Decimal(50)
    assert rig.store.arrivals() == [] or all(a.time.year < 9999 for a in rig.store.arrivals())


def test_a_noise_point_above_its_zones_limit_for_the_local_hours_period(rig: Rig) -> None:
    """GB 3096-2008 Table 1, class 1: 55 by day, 45 by night; T0 is 08:00 in 清源 (UTC+8), so hour 2 is 10:00
    and hour 15 is 23:00 local. A point without a zone is not judged."""
    w = rig.world
    points = {
        name: Site(code=name, name=f"{name}噪声点", kind=SiteKind.NOISE, region_id=w.town_b.id, noise_zone=zone)
        for name, zone in (("ZS1", NoiseZone.CLASS_1), ("ZS2", NoiseZone.CLASS_1), ("ZS3", None))
    }
    rig.db.add_all(points.values())
    rig.db.commit()
    rig.engine.load(T0)
    one, two, unzoned = points.values()
    rig.send(one, 2, {LEQ: 54.0})  # 10:00: day limit 55
    rig.poll(2)
    assert rig.alerts(RuleKind.NOISE_EXCEEDANCE) == []
    rig.send(one, 15, {LEQ: 46.0})  # 23:00: night limit 45
    rig.send(two, 15, {LEQ: 44.0})
    rig.send(unzoned, 15, {LEQ: 80.0})
    rig.poll(15)
    (alert,) = rig.alerts(RuleKind.NOISE_EXCEEDANCE)
    assert alert.site_id == one.id and alert.parameter == LEQ and alert.status is AlertStatus.OPEN
    assert alert.observed == Decimal(46) and alert.reference == Decimal(45)
    assert alert.first_at == T0 + timedelta(hours=15)
    (finding,) = alert.detail["findings"]
    assert (finding["zone"], finding["period"], finding["excess"]) == ("1", "night", "1.0")
    rig.send(one, 16, {LEQ: 44.0})  # 00:00, night: within 45, clears
    rig.poll(16)
    (alert,) = rig.alerts(RuleKind.NOISE_EXCEEDANCE)
    assert alert.status is AlertStatus.CLEARED


def test_a_noise_stations_hj212_upload_raises_the_alert(rig: Rig) -> None:
    """HJ 212-2017 Appendix C: a noise station sends its hourly values as `Leq-Data`, `LMx-Data`; at 23:00 local
    a class 1 point's Leq of 47.6 is above the night limit 45 and its maximum 63.9 above 45 + 15 = 60 (GB 3096-2008
    §5.4). One alert keeps both findings and shows the larger excess (63.9 / 60 > 47.6 / 45)."""
    site = Site(code="ZS9", name="柳林小学噪声点", kind=SiteKind.NOISE, region_id=rig.world.town_b.id)
    site.noise_zone = NoiseZone.CLASS_1
    rig.db.add(site)
    rig.db.commit()
    rig.engine.load(T0)
    data_time = (T0 + timedelta(hours=15)).astimezone(TZ).strftime("%Y%m%d%H%M%S")
    cp = {"DataTime": data_time, "Leq-Data": "47.6", "LMx-Data": "63.9"}
    packet = encode({"QN": f"{data_time}000", "ST": "23", "CN": "2061", "PW": "123456", "MN": "ZS9", "CP": cp})
    rig.store.write(readings_of(parse(packet), site.id, TZ), now=T0 + timedelta(hours=16, minutes=1))
    rig.poll(16)
    (alert,) = rig.alerts(RuleKind.NOISE_EXCEEDANCE)
    assert alert.site_id == site.id and alert.parameter == "LMx"
    assert (alert.observed, alert.reference) == (Decimal("63.9"), Decimal(60))
    findings = {f["parameter"]: (f["observed"], f["reference"]) for f in alert.detail["findings"]}
    assert findings == {"Leq": ("47.6", "45"), "LMx": ("63.9", "60")}
