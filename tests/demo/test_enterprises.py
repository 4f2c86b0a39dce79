"""The demo city's enterprise files: a few hundred enterprises with permits, outlet limits, lists and grades."""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from functools import cache
from itertools import pairwise

import pytest
from shapely import Point
from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.demo.enterprises import (
    COUNTY_CENTRES,
    EnterpriseFiles,
    org_code_check_char,
    plan_enterprise_files,
)
from ecoloop.demo.network import demo_boundaries
from ecoloop.demo.service import demo_fixture, load_demo
from ecoloop.enterprises.enums import Averaging, EnterpriseStatus, OutletKind, PerformanceGrade, PermitClass
from ecoloop.enterprises.models import Enterprise, GradeRecord, ListMembership, Outlet, OutletLimit, Permit
from ecoloop.enterprises.rules import credit_code_problem, industry_code_problem, overlaps
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.standards.emission import LimitSpec

BUILTIN_LISTS = {
    "key_discharge_units",
    "soil_key_supervision",
    "heavy_metal_enterprises",
    "hazardous_waste_producers",
    "hazardous_waste_operators",
    "enforcement_positive_list",
    "green_factory_pool",
}
SOURCE = re.compile(r"^GB(/T)? \d+-\d{4} 表\d")
PHONE = re.compile(r"^(0549-[2-8]\d{6}|13[5-9]0549\d{4})$")


@cache
def plan() -> EnterpriseFiles:
    return plan_enterprise_files(demo_fixture())


def test_plan_is_deterministic() -> None:
    assert plan_enterprise_files(demo_fixture()) == plan()


@pytest.mark.parametrize(("body", "check"), [("M000100Y", "4"), ("D2143569", "X"), ("10758287", "2")])
def test_org_code_check_char(body: str, check: str) -> None:
    """GB 32100-2015's worked example 91350100M000100Y43 holds the organisation code M000100Y4; the fixture's
    913718021075828722 holds 107582872; D2143569: 199 mod 11 = 1, 11 - 1 = 10 → X."""
    assert org_code_check_char(body) == check


def test_a_few_hundred_enterprises_with_valid_identifiers() -> None:
    enterprises = plan().enterprises
    assert 280 <= len(enterprises) <= 340
    fixture_codes = {e["credit_code"] for e in demo_fixture()["enterprises"]}
    codes = [e.credit_code for e in enterprises]
    assert len(set(codes)) == len(codes) and not fixture_codes & set(codes)
    assert len({e.name for e in enterprises}) == len(enterprises)
    for e in enterprises:
        assert credit_code_problem(e.credit_code) is None, e
        assert e.credit_code[:2] in ("91", "92", "93") and e.credit_code[2:8] == e.region_code[:6]
        assert industry_code_problem(e.industry_code) is None
    statuses = Counter(e.status for e in enterprises)
    assert statuses[EnterpriseStatus.OPERATING] > 0.85 * len(enterprises)
    assert statuses[EnterpriseStatus.STOPPED] > 0 and statuses[EnterpriseStatus.CLOSED] > 0


def test_industries_are_diverse_and_spread_over_the_counties() -> None:
    enterprises = plan().enterprises
    classes = Counter(e.industry_code for e in enterprises)
    assert len(classes) >= 20
    assert {"D4411", "C3011", "C2521", "C2614", "C2221", "C1713", "C3360", "O8111", "D4620", "A0313"} <= set(classes)
    counties = Counter(e.region_code[:6] for e in enterprises)
    assert set(counties) == set(COUNTY_CENTRES) and min(counties.values()) >= 10
    assert len({e.region_code[:9] for e in enterprises}) >= 35  # towns


def test_places_and_contacts_are_plausible() -> None:
    counties = {c["code"]: c["name"] for c in demo_fixture()["city"]["counties"]}
    villages = {code: shape(json.loads(text)) for code, text in demo_boundaries().items()}
    for e in [*plan().enterprises, *plan().details.values()]:
        assert villages[e.region_code].contains(Point(float(e.longitude), float(e.latitude))), e  # in its village
        assert 115.5 <= e.longitude <= 118.5 and 35.5 <= e.latitude <= 37.5
        assert e.address.startswith(counties[e.region_code[:6]])
        assert PHONE.match(e.contact_phone) and 2 <= len(e.contact_name) <= 3, e


def test_permits_run_five_years_and_limits_cite_their_standard() -> None:
    permits = plan().permits
    assert Counter(p.permit_class for p in permits).keys() == set(PermitClass)
    for p in permits:
        suffix = "001W" if p.permit_class is PermitClass.REGISTRATION else "001P"
        assert p.number == p.credit_code + suffix
        assert date(2020, 7, 1) <= p.valid_from <= date(2025, 12, 31)
        assert p.valid_to == p.valid_from.replace(year=p.valid_from.year + 5) - timedelta(days=1)
        assert (p.permit_class is PermitClass.REGISTRATION) == (not p.outlets)
        assert len({o.code for o in p.outlets}) == len(p.outlets)
        for outlet in p.outlets:
            assert outlet.code[:2] == ("DA" if outlet.kind is OutletKind.GAS else "DW")
            for limit in outlet.limits:
                assert SOURCE.match(limit.source), limit
                LimitSpec(
                    pollutant=limit.pollutant,
                    limit=limit.value,
                    unit=limit.unit,
                    averaging=limit.averaging.value,
                    source=limit.source,
                    reference_o2=limit.reference_o2,
                )
                if outlet.kind is OutletKind.GAS:
                    assert limit.pollutant.startswith("a") and limit.unit == "mg/m³"
                else:
                    assert limit.pollutant.startswith("w") and limit.unit == "mg/L"
                    assert limit.averaging is Averaging.DAY and limit.reference_o2 is None
            keys = [(lim.pollutant, lim.averaging) for lim in outlet.limits]
            assert len(set(keys)) == len(keys)
    limits = [lim for p in permits for o in p.outlets for lim in o.limits]
    assert len(limits) > 600
    assert len({lim.source.split(" 表")[0] for lim in limits}) >= 15


@pytest.mark.parametrize(
    ("source", "pollutant", "value", "o2"),
    [
        ("GB 13223-2011 表1 燃煤锅炉", "a21026", "100", "6"),
        ("GB 4915-2013 表1 水泥窑及窑尾余热利用系统", "a21002", "400", "10"),
        ("GB 28662-2012 表2 烧结机机头", "a21026", "200", "16"),
        ("GB 18485-2014 表4 24小时均值", "a34013", "20", "11"),
        ("GB 18918-2002 表1 一级A标准", "w21003", "5", None),
        ("GB 3544-2008 表2 造纸企业", "w01018", "80", None),
        ("GB 8978-1996 表4 一级标准", "w01018", "100", None),
    ],
)
def test_limit_values_as_the_standards_give_them(source: str, pollutant: str, value: str, o2: str | None) -> None:
    found = {
        (lim.value, lim.reference_o2)
        for p in plan().permits
        for o in p.outlets
        for lim in o.limits
        if lim.source == source and lim.pollutant == pollutant
    }
    assert len(found) == 1
    (limit_value, reference_o2) = found.pop()
    assert str(limit_value) == value and (str(reference_o2) if reference_o2 is not None else None) == o2


def test_fixture_outlets_are_their_monitoring_sites_with_limits() -> None:
    sources = {s["code"] for s in demo_fixture()["sites"] if "enterprise" in s}
    outlets = {o.site_code: o for p in plan().permits for o in p.outlets if o.site_code}
    assert set(outlets) == sources
    assert all(o.limits for o in outlets.values())
    details = plan().details
    assert set(details) == {e["credit_code"] for e in demo_fixture()["enterprises"]}


def test_list_memberships_have_a_history() -> None:
    memberships = plan().memberships
    assert {m.list_code for m in memberships} == BUILTIN_LISTS
    by_key = defaultdict(list)
    for m in memberships:
        assert m.reason and m.document
        assert m.end is None or m.end >= m.start
        by_key[m.list_code, m.credit_code].append(m)
    for periods in by_key.values():
        for i, a in enumerate(periods):
            assert not any(overlaps(a.start, a.end, b.start, b.end) for b in periods[i + 1 :])
    key_list = [m for m in memberships if m.list_code == "key_discharge_units"]
    assert {m.start.year for m in key_list} == {2023, 2024, 2025, 2026}
    assert sum(m.end is not None for m in key_list) >= 5
    positive = [m for m in memberships if m.list_code == "enforcement_positive_list"]
    assert 30 <= len(positive) <= 60
    removed = [m for m in positive if m.end is not None]
    assert removed and all("移出正面清单" in m.reason for m in removed)
    keyed = {p.credit_code for p in plan().permits if p.permit_class is PermitClass.KEY}
    assert {m.credit_code for m in key_list} <= keyed


def test_grades_have_a_history() -> None:
    grades = plan().grades
    by_enterprise = defaultdict(list)
    for g in grades:
        by_enterprise[g.credit_code].append(g)
    assert len(by_enterprise) >= 60
    assert sum(len(h) > 1 for h in by_enterprise.values()) >= 15
    for history in by_enterprise.values():
        for earlier, later in pairwise(history):
            assert earlier.end == later.start - timedelta(days=1) and earlier.grade != later.grade
        assert history[-1].end is None
    assert {g.grade for g in grades} == set(PerformanceGrade)
    cement = [(g.grade, g.start) for g in by_enterprise["91371802378707112T"]]
    assert cement == [(PerformanceGrade.B, date(2023, 10, 1)), (PerformanceGrade.A, date(2025, 3, 1))]


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_load_adds_the_files_once_and_quickly(db: Session) -> None:
    started = time.perf_counter()
    first = load_demo(db)
    db.flush()
    elapsed = time.perf_counter() - started
    assert elapsed < 15, f"load_demo took {elapsed:.1f} s"  # about 2-4 s here, most of it hashing 8 passwords

    files = plan()
    assert first.added["enterprises"] == count(db, Enterprise) == len(files.enterprises) + 12
    assert first.added["permits"] == count(db, Permit) == len(files.permits)
    assert first.added["memberships"] == count(db, ListMembership) == len(files.memberships)
    assert first.added["grades"] == count(db, GradeRecord) == len(files.grades)
    assert count(db, OutletLimit) == sum(len(o.limits) for p in files.permits for o in p.outlets)
    assert db.scalar(select(func.count()).where(OutletLimit.source == "")) == 0

    # Every outlet site of the fixture is an outlet of its enterprise's permit, with limits.
    linked = db.execute(
        select(Site.code, func.count(OutletLimit.id))
        .join(Outlet, Outlet.site_id == Site.id)
        .join(Permit, Permit.id == Outlet.permit_id)
        .join(OutletLimit, OutletLimit.outlet_id == Outlet.id)
        .where(Permit.enterprise_id == Site.enterprise_id)
        .group_by(Site.code)
    ).all()
    sources = db.scalars(select(Site.code).where(Site.kind.in_([SiteKind.AIR_SOURCE, SiteKind.WATER_SOURCE])))
    assert {code for code, n in linked if n > 0} == set(sources)

    huaneng = db.scalar(select(Enterprise).where(Enterprise.credit_code == "913718021075828722"))
    assert huaneng is not None and huaneng.longitude is not None and huaneng.contact_phone

    second = load_demo(db)
    db.flush()
    assert set(second.added.values()) == {0}
    assert count(db, Enterprise) == len(files.enterprises) + 12 and count(db, Permit) == len(files.permits)
