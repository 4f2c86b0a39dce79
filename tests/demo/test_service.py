"""The demo city loads completely and a second load adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.alerts.models import Alert
from ecoloop.cases.models import Case, SupervisionBatch
from ecoloop.demo.service import DEMO_PASSWORD, demo_fixture, load_demo
from ecoloop.enterprises.models import Enterprise, GradeRecord, ListMembership, Permit
from ecoloop.enterprises.rules import credit_code_problem
from ecoloop.identity.enums import OrgKind, Role
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.passwords import verify_password
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Device, Site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.rules import check_region_code
from ecoloop.results.models import AirTarget


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_fixture_is_a_plausible_prefecture_city() -> None:
    data = demo_fixture()
    city = data["city"]
    check_region_code(city["code"], RegionLevel.CITY, None)
    assert 6 <= len(city["counties"]) <= 10
    for county in city["counties"]:
        check_region_code(county["code"], RegionLevel.COUNTY, city["code"])
        for town in county["towns"]:
            check_region_code(town["code"], RegionLevel.TOWN, county["code"])
            for village in town["villages"]:
                check_region_code(village["code"], RegionLevel.VILLAGE, town["code"])
    assert all(credit_code_problem(e["credit_code"]) is None for e in data["enterprises"])
    departments = [o for o in data["organisations"] if o["kind"] == "department"]
    assert len(departments) == 8
    assert {u["role"] for u in data["users"]} == {r.value for r in Role}


def test_load_is_complete_and_idempotent(db: Session) -> None:
    first = load_demo(db)
    db.flush()
    models = (
        Region,
        Organisation,
        Enterprise,
        User,
        Site,
        Device,
        Permit,
        ListMembership,
        GradeRecord,
        Case,
        SupervisionBatch,
        Alert,
        AirTarget,
    )
    totals = {m: count(db, m) for m in models}
    assert first.added == {
        "regions": totals[Region],
        "organisations": totals[Organisation],
        "enterprises": totals[Enterprise],
        "users": totals[User],
        "sites": totals[Site],
        "devices": totals[Device],
        "permits": totals[Permit],
        "memberships": totals[ListMembership],
        "grades": totals[GradeRecord],
        "cases": totals[Case],
        "batches": totals[SupervisionBatch],
        "alerts": totals[Alert],
        "targets": totals[AirTarget],
    }
    assert 280 <= totals[Enterprise] <= 350 and totals[Permit] >= 250
    assert totals[ListMembership] >= 250 and totals[GradeRecord] >= 80
    assert totals[Case] >= 70 and totals[SupervisionBatch] == 3 and totals[Alert] == 6
    second = load_demo(db)
    db.flush()
    assert set(second.added.values()) == {0}
    assert {m: count(db, m) for m in totals} == totals
    assert {role for _u, _p, role in second.accounts} == set(Role)


def test_demo_accounts_fit_their_roles(db: Session) -> None:
    load_demo(db)
    db.flush()
    users = {u.username: u for u in db.scalars(select(User))}
    assert verify_password(DEMO_PASSWORD, users["admin"].password_hash)
    branch_org = db.get(Organisation, users["branch"].organisation_id)
    assert branch_org is not None and branch_org.kind is OrgKind.BRANCH
    assert users["enterprise"].enterprise_id is not None and users["enterprise"].organisation_id is None
    assert db.scalar(select(func.count()).select_from(Region).where(Region.level == RegionLevel.COUNTY)) == 8


def test_every_station_and_outlet_has_a_data_logger(db: Session) -> None:
    load_demo(db)
    db.flush()
    sites = list(db.scalars(select(Site)))
    devices = {d.site_id: d for d in db.scalars(select(Device))}
    assert len(devices) == len(sites) == 75
    assert all(len(d.mn) == 24 and int(d.mn, 16) >= 0 and len(d.password) == 6 for d in devices.values())
    fixture_codes = {e["credit_code"] for e in demo_fixture()["enterprises"]}
    enterprises = {e.id: e for e in db.scalars(select(Enterprise).where(Enterprise.credit_code.in_(fixture_codes)))}
    outlets = [s for s in sites if s.kind in (SiteKind.AIR_SOURCE, SiteKind.WATER_SOURCE)]
    assert {s.enterprise_id for s in outlets} == set(enterprises)  # one or two outlets per fixture enterprise
    for outlet in outlets:
        assert outlet.enterprise_id is not None
        assert outlet.region_id == enterprises[outlet.enterprise_id].region_id and outlet.level is None
    assert sum(s.kind is SiteKind.AIR_STATION for s in sites) == 46
    assert (
        sum(s.kind is SiteKind.WATER_STATION for s in sites) == 6 and sum(s.kind is SiteKind.NOISE for s in sites) == 6
    )
