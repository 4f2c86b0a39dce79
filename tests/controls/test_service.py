"""Keeping the control list: refusals in words, a branch's county, and the sums of a listed county."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.controls import service, views
from ecoloop.controls.enums import GuideIndustry, Livelihood, MeasureKind, Pollutant
from ecoloop.controls.models import ControlSchedule, CountyBaseline, MeasureTemplate
from ecoloop.controls.rules import Measure, RequiredShares, Window
from ecoloop.controls.service import ControlError
from ecoloop.enterprises import service as enterprises
from ecoloop.enterprises.enums import PerformanceGrade
from ecoloop.episodes.enums import WarningLevel
from tests.controls.conftest import add_line
from tests.factories import World

DAY = date(2026, 12, 1)


def refused(code: str) -> pytest.RaisesContext[ControlError]:
    return pytest.raises(ControlError, match=f"^{code}$")


def test_put_on_the_list_once_and_take_off(db: Session, world: World) -> None:
    admin = world.principal(db, "admin")
    e = world.enterprise_a2.id
    entry = service.add_to_list(db, admin, e, industry=GuideIndustry.CEMENT_CLINKER, since=DAY, transport="铁路")
    with refused("already_listed"):
        service.add_to_list(db, admin, e, industry=GuideIndustry.GLASS, since=DAY)
    with refused("removal_before_start"):
        service.remove_from_list(db, admin, e, last_day=date(2026, 11, 30))
    service.remove_from_list(db, admin, e, last_day=date(2026, 12, 5), reason="关停")
    with refused("not_listed"):
        service.remove_from_list(db, admin, e, last_day=date(2026, 12, 6))
    again = service.add_to_list(db, admin, e, industry=GuideIndustry.GLASS, since=date(2026, 12, 10))
    assert again.id == entry.id and again.industry is GuideIndustry.GLASS
    assert [r.enterprise.id for r in views.list_rows(db, admin, date(2026, 12, 7))] == []
    assert [r.enterprise.id for r in views.list_rows(db, admin, date(2026, 12, 10))] == [e]


def test_a_branch_keeps_its_own_county_only(db: Session, world: World) -> None:
    branch_a = world.principal(db, "branch_a")
    service.add_to_list(db, branch_a, world.enterprise_a.id, industry=GuideIndustry.POWER, since=DAY)
    with refused("not_found"):
        service.add_to_list(db, branch_a, world.enterprise_b.id, industry=GuideIndustry.POWER, since=DAY)
    with refused("not_found"):
        service.set_baselines(db, branch_a, world.county_b.id, {Pollutant.SO2: Decimal(1)})
    with refused("county_only"):
        service.set_baselines(db, branch_a, world.town_a.id, {Pollutant.SO2: Decimal(1)})
    with refused("city_only"):
        service.set_template(
            db,
            branch_a,
            industry=GuideIndustry.GLASS,
            grade=PerformanceGrade.B,
            level=WarningLevel.RED,
            measure=Measure(MeasureKind.STOP),
        )


def test_measures_refused_when_their_figures_do_not_fit(db: Session, world: World) -> None:
    admin = world.principal(db, "admin")
    e = world.enterprise_a.id
    service.add_to_list(db, admin, e, industry=GuideIndustry.POWER, since=DAY, livelihood=Livelihood.HEATING)
    with refused("percent_invalid"):
        service.set_override(db, admin, e, level=WarningLevel.RED, measure=Measure(MeasureKind.CAP, 0), reason="x")
    with refused("processes_missing"):
        service.set_override(db, admin, e, level=WarningLevel.RED, measure=Measure(MeasureKind.STOP_LINES), reason="x")
    with refused("reason_missing"):
        service.set_override(db, admin, e, level=WarningLevel.RED, measure=Measure(MeasureKind.CAP, 60), reason=" ")
    with refused("window_invalid"):
        service.set_windows(db, admin, e, level=WarningLevel.RED, windows=[Window("0000000", 0, 60)])
    with refused("emission_invalid"):
        service.set_emissions(db, admin, e, {(None, Pollutant.SO2): Decimal(-1)})
    with refused("line_unknown"):
        other = add_line(db, world.enterprise_b, "窑炉")
        service.set_emissions(db, admin, e, {(other.id, Pollutant.SO2): Decimal(1)})


def test_templates_replace_and_return_to_the_defaults(db: Session, world: World) -> None:
    analyst = world.principal(db, "analyst")
    key = {"industry": GuideIndustry.GLASS, "grade": None, "level": WarningLevel.RED}
    service.set_template(db, analyst, **key, measure=Measure(MeasureKind.LIMIT, 40), source="市方案")
    service.set_template(db, analyst, **key, measure=Measure(MeasureKind.LIMIT, 50))
    rows = list(db.scalars(select(MeasureTemplate)))
    assert [(r.grade, r.percent, r.source) for r in rows] == [(None, 50, "")]
    service.reset_template(db, analyst, **key)
    assert list(db.scalars(select(MeasureTemplate))) == []


def test_the_county_sums_and_shares_of_the_listed_enterprises(db: Session, world: World) -> None:
    """County A: cement C (SO2 100, NOx 300 kg/d) and a B-grade heating plant capped at 60 % at orange (SO2 200,
    NOx 500). Orange: cement stops (guide: C from orange) → SO2 100, NOx 300; heating cuts 40 % → SO2 80, NOx 200;
    sums SO2 180, NOx 500 against a baseline of 1,000 and 2,000 kg/d: 18 % (short of 20 %) and 25 %."""
    admin = world.principal(db, "admin")
    cement, heat = world.enterprise_a2.id, world.enterprise_a.id
    for e, industry in ((cement, GuideIndustry.CEMENT_CLINKER), (heat, GuideIndustry.POWER)):
        service.add_to_list(db, admin, e, industry=industry, since=DAY)
    enterprises.set_grade(db, enterprise=world.enterprise_a2, grade=PerformanceGrade.C, start=DAY)
    enterprises.set_grade(db, enterprise=world.enterprise_a, grade=PerformanceGrade.B, start=DAY)
    service.set_emissions(db, admin, cement, {(None, Pollutant.SO2): Decimal(100), (None, Pollutant.NOX): Decimal(300)})
    service.set_emissions(db, admin, heat, {(None, Pollutant.SO2): Decimal(200), (None, Pollutant.NOX): Decimal(500)})
    service.set_override(
        db, admin, heat, level=WarningLevel.ORANGE, measure=Measure(MeasureKind.CAP, 60), reason="以热定产"
    )
    service.set_windows(db, admin, heat, level=WarningLevel.RED, windows=[Window("1111111", 480, 1200)])
    service.set_baselines(
        db, admin, world.county_a.id, {Pollutant.SO2: Decimal(1000), Pollutant.NOX: Decimal(2000)}, year=2025
    )

    rows = views.list_rows(db, admin, DAY)
    summary = {s.county.id: s for s in views.county_summaries(db, admin, rows, RequiredShares())}[world.county_a.id]

    orange = {c.pollutant: c for c in summary.checks[WarningLevel.ORANGE]}
    assert (orange[Pollutant.SO2].reduction, orange[Pollutant.SO2].share) == (Decimal(180), Decimal("0.18"))
    assert orange[Pollutant.SO2].met is False
    assert (orange[Pollutant.NOX].reduction, orange[Pollutant.NOX].met) == (Decimal(500), True)
    assert orange[Pollutant.PM].met is None  # no baseline
    # Red: cement stops (SO2 100) and the heating plant (B power, cut 30 %) runs 12 of 24 h at 70 %: saves
    # 1 - 0.35 = 65 % of 200 = 130; sum 230 of 1,000.
    red = {c.pollutant: c for c in summary.checks[WarningLevel.RED]}
    assert red[Pollutant.SO2].reduction == Decimal(230)
    assert db.scalars(select(CountyBaseline.year)).all() == [2025, 2025]
    assert len(db.scalars(select(ControlSchedule)).all()) == 1


def test_filters_of_the_list(db: Session, world: World) -> None:
    admin = world.principal(db, "admin")
    service.add_to_list(db, admin, world.enterprise_a.id, industry=GuideIndustry.POWER, since=DAY)
    service.add_to_list(db, admin, world.enterprise_b.id, industry=GuideIndustry.CHEMICAL, since=DAY)
    enterprises.set_grade(db, enterprise=world.enterprise_b, grade=PerformanceGrade.D, start=DAY)

    def ids(filters: views.Filters) -> list[int]:
        return [r.enterprise.id for r in views.list_rows(db, admin, DAY, filters)]

    assert ids(views.Filters()) == [world.enterprise_a.id, world.enterprise_b.id]
    assert ids(views.Filters(county_id=world.county_b.id)) == [world.enterprise_b.id]
    assert ids(views.Filters(industry=GuideIndustry.POWER)) == [world.enterprise_a.id]
    assert ids(views.Filters(grade=PerformanceGrade.D)) == [world.enterprise_b.id]
    assert [r.enterprise.id for r in views.list_rows(db, world.principal(db, "enterprise_a"), DAY)] == [
        world.enterprise_a.id
    ]


def test_the_list_generated_from_the_registry(db: Session, world: World) -> None:
    """Graded enterprises and the guide's industries with a flue-gas outlet are put on the list once; an enterprise
    of another industry without a grade, a closed one and one already listed are not; a branch generates its
    county's only."""
    from ecoloop.enterprises.enums import EnterpriseStatus, OutletKind, PermitClass
    from ecoloop.enterprises.models import Enterprise, GradeRecord, Outlet, Permit

    admin, branch_b = world.principal(db, "admin"), world.principal(db, "branch_b")
    a, a2, b = world.enterprise_a, world.enterprise_a2, world.enterprise_b
    a.industry_code, a2.industry_code, b.industry_code = "D4411", "C3011", "C2614"
    permit = Permit(enterprise_id=a.id, number="91370000MA0001-001P", permit_class=PermitClass.KEY,
                    valid_from=date(2024, 1, 1), valid_to=date(2028, 12, 31))  # fmt: skip
    db.add(permit)
    db.flush()
    db.add(Outlet(permit_id=permit.id, code="DA001", name="锅炉排口", kind=OutletKind.GAS))
    db.add(GradeRecord(enterprise_id=a2.id, grade=PerformanceGrade.B, start=date(2025, 10, 1), end=None))
    closed = Enterprise(credit_code="91371802000000099X", name="已关闭水泥厂", region_id=a2.region_id,
                        industry_code="C3011", status=EnterpriseStatus.CLOSED)  # fmt: skip
    db.add(closed)
    db.add(GradeRecord(enterprise_id=b.id, grade=PerformanceGrade.C, start=date(2025, 10, 1), end=date(2026, 9, 30)))
    db.flush()
    # 临河县's branch: its chemical works' grade ended before the day and it has no flue-gas outlet.
    assert service.generate_from_registry(db, branch_b, since=DAY) == []
    added = service.generate_from_registry(db, admin, since=DAY)
    assert sorted(added) == sorted([a.id, a2.id])
    industries = {r.enterprise.id: r.entry.industry for r in views.list_rows(db, admin, DAY)}
    assert industries == {a.id: GuideIndustry.POWER, a2.id: GuideIndustry.CEMENT_CLINKER}
    assert service.generate_from_registry(db, admin, since=DAY) == []  # generated again: nothing twice
