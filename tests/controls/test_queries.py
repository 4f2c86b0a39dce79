"""What the control list allows listed enterprises to produce during warnings, read from the database."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ecoloop.controls import queries
from ecoloop.controls.enums import GuideIndustry, MeasureKind
from ecoloop.controls.rules import Allowance
from ecoloop.enterprises.enums import PerformanceGrade
from ecoloop.episodes.enums import WarningLevel
from ecoloop.episodes.rules import LevelPeriod
from tests.controls.conftest import add_line, add_override, add_window, put_on_list
from tests.factories import World

TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=TZ)


def city_period(world: World, level: WarningLevel, start: datetime, end: datetime | None) -> LevelPeriod:
    return LevelPeriod(1, world.city.id, world.city.path, level, start, end)


def test_cement_grade_c_at_yellow_may_run_at_half_for_the_whole_warning(db: Session, world: World) -> None:
    entry = put_on_list(db, world.enterprise_a2, GuideIndustry.CEMENT_CLINKER, PerformanceGrade.C)
    period = city_period(world, WarningLevel.YELLOW, at(8, 8), at(10, 20))

    got = queries.allowances(db, [period], tz=TZ)

    # 停产50% (以生产线计) at yellow for C (2020 guide, cement clinker): one stretch, joined over both midnights.
    assert got == [Allowance(world.enterprise_a2.id, None, at(8, 8), at(10, 20), 0.5, WarningLevel.YELLOW, entry.id)]


def test_an_override_wins_and_a_county_warning_leaves_the_other_county_alone(db: Session, world: World) -> None:
    heat = put_on_list(db, world.enterprise_a, GuideIndustry.POWER, PerformanceGrade.B)
    put_on_list(db, world.enterprise_b, GuideIndustry.POWER, PerformanceGrade.B)
    add_override(db, heat, WarningLevel.ORANGE, MeasureKind.CAP, 60, "以热定产")
    county_a = LevelPeriod(2, world.county_a.id, world.county_a.path, WarningLevel.ORANGE, at(8, 0), at(9, 0))

    got = queries.allowances(db, [county_a], tz=TZ)

    assert got == [Allowance(world.enterprise_a.id, None, at(8, 0), at(9, 0), 0.6, WarningLevel.ORANGE, heat.id)]


def test_a_staggered_enterprise_gets_its_windows_and_a_stopped_line_its_own_allowance(
    db: Session, world: World
) -> None:
    steel = put_on_list(db, world.enterprise_a, GuideIndustry.STEEL, PerformanceGrade.C)
    sinter = add_line(db, world.enterprise_a, "1号烧结机")
    add_line(db, world.enterprise_a, "炼钢车间")
    add_window(db, steel, WarningLevel.YELLOW, 8 * 60, 20 * 60)
    period = city_period(world, WarningLevel.YELLOW, at(8, 0), at(9, 12))

    got = queries.allowances(db, [period], enterprise_ids=[world.enterprise_a.id], tz=TZ)

    # C steel at yellow stops sintering (Tangshan's rule, default) and the rest runs 08:00-20:00 local only.
    e, y = world.enterprise_a.id, WarningLevel.YELLOW
    assert got == [
        Allowance(e, None, at(8, 0), at(8, 8), 0.0, y, steel.id),
        Allowance(e, sinter.id, at(8, 0), at(9, 12), 0.0, y, steel.id),
        Allowance(e, None, at(8, 8), at(8, 20), 1.0, y, steel.id),
        Allowance(e, None, at(8, 20), at(9, 8), 0.0, y, steel.id),
        Allowance(e, None, at(9, 8), at(9, 12), 1.0, y, steel.id),
    ]


def test_the_grade_and_the_membership_of_each_day_apply(db: Session, world: World) -> None:
    entry = put_on_list(db, world.enterprise_a2, GuideIndustry.CEMENT_CLINKER, until=date(2026, 12, 9))
    # Without a grade a key industry's enterprise is managed as D: stop from yellow (2020 guide, cement clinker).
    late = put_on_list(db, world.enterprise_b, GuideIndustry.OTHER, since=date(2026, 12, 9))
    period = city_period(world, WarningLevel.RED, at(8, 12), None)

    got = queries.allowances(db, [period], tz=TZ)

    assert got == [
        Allowance(world.enterprise_a2.id, None, at(8, 12), at(10, 0), 0.0, WarningLevel.RED, entry.id),
        Allowance(
            world.enterprise_b.id, None, at(9, 0), datetime(2027, 1, 7, 12, tzinfo=TZ), 0.7, WarningLevel.RED, late.id
        ),
    ]


def test_nothing_is_allowed_without_periods_or_outside_the_list(db: Session, world: World) -> None:
    put_on_list(db, world.enterprise_a, GuideIndustry.GLASS, PerformanceGrade.A, until=date(2026, 6, 30))

    assert queries.allowances(db, [], tz=TZ) == []
    assert queries.allowances(db, [city_period(world, WarningLevel.RED, at(8, 0), at(9, 0))], tz=TZ) == []
