"""The control list's rules, with figures worked by hand."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ecoloop.controls.enums import GuideIndustry, MeasureKind, Pollutant, TruckRule
from ecoloop.controls.rules import (
    DEFAULT_MEASURES,
    Allowance,
    DatePeriod,
    Emission,
    GradePeriod,
    Line,
    ListedEnterprise,
    Measure,
    MeasureSource,
    RequiredShares,
    Window,
    allowances_of,
    check_shares,
    grade_on,
    guide_industry_of,
    measure_for,
    producing_share,
    reduction,
    summed,
)
from ecoloop.enterprises.enums import PerformanceGrade as G
from ecoloop.episodes.enums import WarningLevel as L
from ecoloop.episodes.rules import LevelPeriod

TZ = ZoneInfo("Asia/Shanghai")
D = Decimal


@pytest.mark.parametrize(
    ("measure", "allowed"),
    [
        (Measure(MeasureKind.STOP), D(0)),
        (Measure(MeasureKind.LIMIT, 20), D("0.8")),  # 限产20%
        (Measure(MeasureKind.LIMIT, 50), D("0.5")),
        (Measure(MeasureKind.CAP, 60), D("0.6")),  # 以热定产, at most 60 %
        (Measure(MeasureKind.SELF), D(1)),
        (Measure(MeasureKind.NONE, trucks=TruckRule.GUO5), D(1)),
        (Measure(MeasureKind.STOP_LINES, processes=("烧结",)), D(1)),
    ],
)
def test_the_share_of_normal_load_each_measure_allows(measure: Measure, allowed: Decimal) -> None:
    assert measure.allowed == allowed


@pytest.mark.parametrize(
    ("industry", "grade", "level", "expected"),
    [
        # 2020 guide, cement clinker (memo §1).
        (GuideIndustry.CEMENT_CLINKER, G.B, L.YELLOW, Measure(MeasureKind.NONE, trucks=TruckRule.GUO5)),
        (GuideIndustry.CEMENT_CLINKER, G.B, L.ORANGE, Measure(MeasureKind.LIMIT, 20, trucks=TruckRule.GUO5)),
        (GuideIndustry.CEMENT_CLINKER, G.B, L.RED, Measure(MeasureKind.STOP, trucks=TruckRule.GUO5)),
        (GuideIndustry.CEMENT_CLINKER, G.C, L.YELLOW, Measure(MeasureKind.LIMIT, 50, trucks=TruckRule.GUO5)),
        (GuideIndustry.CEMENT_CLINKER, G.D, L.YELLOW, Measure(MeasureKind.STOP, trucks=TruckRule.NO_ROAD)),
        # A and 引领性 act on their own at every level.
        (GuideIndustry.GLASS, G.A, L.RED, Measure(MeasureKind.SELF)),
        (GuideIndustry.CEMENT_CLINKER, G.LEADING, L.RED, Measure(MeasureKind.SELF)),
        # The default elsewhere: D stops at orange and red.
        (GuideIndustry.GLASS, G.D, L.YELLOW, Measure(MeasureKind.LIMIT, 30, trucks=TruckRule.GUO5)),
        (GuideIndustry.GLASS, G.D, L.ORANGE, Measure(MeasureKind.STOP, trucks=TruckRule.NO_ROAD)),
        (GuideIndustry.GLASS, G.B, L.ORANGE, Measure(MeasureKind.LIMIT, 20, trucks=TruckRule.GUO5)),
        (GuideIndustry.STEEL, G.C, L.YELLOW, Measure(MeasureKind.STOP_LINES, 0, ("烧结", "球团"), TruckRule.GUO5)),
        # Without a grade: as D in a key industry, the level's share outside them.
        (GuideIndustry.CEMENT_CLINKER, None, L.YELLOW, Measure(MeasureKind.STOP, trucks=TruckRule.NO_ROAD)),
        (GuideIndustry.OTHER, None, L.ORANGE, Measure(MeasureKind.LIMIT, 20, trucks=TruckRule.GUO5)),
    ],
)
def test_default_measures(industry: GuideIndustry, grade: G | None, level: L, expected: Measure) -> None:
    assert DEFAULT_MEASURES[(industry, grade, level)] == expected


def test_every_industry_grade_and_level_has_a_default() -> None:
    assert len(DEFAULT_MEASURES) == len(GuideIndustry) * 6 * 3


def test_an_override_wins_over_the_template_which_wins_over_the_default() -> None:
    key = (GuideIndustry.GLASS, G.B, L.ORANGE)
    template = Measure(MeasureKind.LIMIT, 40)
    override = Measure(MeasureKind.CAP, 60)
    assert measure_for(key, {}) == (DEFAULT_MEASURES[key], MeasureSource.DEFAULT)
    assert measure_for(key, {key: template}) == (template, MeasureSource.TEMPLATE)
    assert measure_for(key, {key: template}, override) == (override, MeasureSource.OVERRIDE)


def test_the_grade_of_the_day() -> None:
    grades = [
        GradePeriod(G.C, DatePeriod(date(2025, 1, 1), date(2026, 6, 30))),
        GradePeriod(G.B, DatePeriod(date(2026, 7, 1), None)),
    ]
    assert grade_on(grades, date(2024, 12, 31)) is None
    assert grade_on(grades, date(2026, 6, 30)) is G.C
    assert grade_on(grades, date(2026, 7, 1)) is G.B


@pytest.mark.parametrize(
    ("windows", "share"),
    [
        ((), D(1)),
        ((Window("1111111", 8 * 60, 20 * 60),), D("0.5")),  # 12 h of 24
        ((Window("1111111", 22 * 60, 2 * 60),), D(4) / 24),  # past midnight: 4 h
        ((Window("1111111", 6 * 60, 12 * 60), Window("1111111", 10 * 60, 14 * 60)), D(8) / 24),  # overlap: 6-14
        # The fullest day counts: Monday 6 h, Tuesday 12 h.
        ((Window("1000000", 0, 6 * 60), Window("0100000", 0, 12 * 60)), D("0.5")),
    ],
)
def test_the_share_of_the_day_a_staggered_enterprise_produces(windows: tuple[Window, ...], share: Decimal) -> None:
    assert producing_share(windows) == share


EMISSIONS = [
    Emission(None, Pollutant.SO2, D("100")),
    Emission(None, Pollutant.NOX, D("200")),
    Emission(7, Pollutant.PM, D("50")),  # the sintering line
    Emission(None, Pollutant.PM, D("30")),
]


def test_a_cut_saves_its_share_of_every_emission() -> None:
    # 限产20%: SO2 100 x 0.2 = 20, NOx 200 x 0.2 = 40, PM (50 + 30) x 0.2 = 16, VOCs nothing emitted.
    got = reduction(Measure(MeasureKind.LIMIT, 20), EMISSIONS, stopped=set())
    assert got == {Pollutant.SO2: D(20), Pollutant.NOX: D(40), Pollutant.PM: D(16), Pollutant.VOCS: D(0)}


def test_a_stopped_line_saves_all_of_its_emission_and_nothing_else() -> None:
    got = reduction(Measure(MeasureKind.STOP_LINES, processes=("烧结",)), EMISSIONS, stopped={7})
    assert got == {Pollutant.SO2: D(0), Pollutant.NOX: D(0), Pollutant.PM: D(50), Pollutant.VOCS: D(0)}


def test_a_staggered_schedule_saves_the_hours_it_stops() -> None:
    # 12 h of 24 at 80 %: the rest runs at 0.4 of a normal day, saving 0.6: SO2 60, NOx 120, PM 48.
    got = reduction(Measure(MeasureKind.LIMIT, 20), EMISSIONS, set(), (Window("1111111", 480, 1200),))
    assert got == {Pollutant.SO2: D(60), Pollutant.NOX: D(120), Pollutant.PM: D(48), Pollutant.VOCS: D(0)}


def test_self_determined_and_stop() -> None:
    assert reduction(Measure(MeasureKind.SELF), EMISSIONS, set())[Pollutant.SO2] == 0
    assert reduction(Measure(MeasureKind.STOP), EMISSIONS, set())[Pollutant.PM] == 80


def test_county_shares_against_the_required_share_of_each_level() -> None:
    county = summed([{Pollutant.SO2: D(80), Pollutant.NOX: D(150)}, {Pollutant.SO2: D(40), Pollutant.NOX: D(50)}])
    baseline = {Pollutant.SO2: D(1000), Pollutant.NOX: D(2500), Pollutant.PM: D(400)}
    yellow = {c.pollutant: c for c in check_shares(L.YELLOW, county, baseline, RequiredShares())}
    orange = {c.pollutant: c for c in check_shares(L.ORANGE, county, baseline, RequiredShares())}
    # SO2 120 / 1000 = 12 % (≥ 10 % yellow, < 20 % orange); NOx 200 / 2500 = 8 %; PM 0 of 400; VOCs no baseline.
    assert yellow[Pollutant.SO2].share == D("0.12") and yellow[Pollutant.SO2].met is True
    assert orange[Pollutant.SO2].met is False
    assert yellow[Pollutant.NOX].share == D("0.08") and yellow[Pollutant.NOX].met is False
    assert yellow[Pollutant.PM].share == 0 and yellow[Pollutant.PM].met is False
    assert yellow[Pollutant.VOCS].share is None and yellow[Pollutant.VOCS].met is None
    assert RequiredShares(D("0.1"), D("0.4"), D("0.5")).at(L.ORANGE) == D("0.4")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=TZ)


def firm(**changes: object) -> ListedEnterprise:
    values: dict[str, object] = {
        "enterprise_id": 5,
        "entry_id": 9,
        "region_path": "371800.371802.371802001000.",
        "industry": GuideIndustry.GLASS,
        "listed": (DatePeriod(date(2026, 1, 1), None),),
        "grades": (GradePeriod(G.B, DatePeriod(date(2026, 1, 1), None)),),
        "overrides": {},
        "windows": {},
    }
    values.update(changes)
    return ListedEnterprise(**values)  # type: ignore[arg-type]


def test_the_strictest_of_overlapping_city_and_county_warnings_applies() -> None:
    city = LevelPeriod(1, 1, "371800.", L.YELLOW, at(8, 0), at(10, 0))
    county = LevelPeriod(2, 2, "371800.371802.", L.ORANGE, at(8, 12), at(9, 12))
    other = LevelPeriod(3, 3, "371800.371821.", L.RED, at(8, 0), at(10, 0))

    got = allowances_of(firm(), [city, county, other], {}, TZ)

    # B glass: yellow cut 10 % (0.9), orange cut 20 % (0.8); county B's red warning does not reach it.
    assert got == [
        Allowance(5, None, at(8, 0), at(8, 12), 0.9, L.YELLOW, 9),
        Allowance(5, None, at(8, 12), at(9, 12), 0.8, L.ORANGE, 9),
        Allowance(5, None, at(9, 12), at(10, 0), 0.9, L.YELLOW, 9),
    ]


def test_a_window_past_midnight_and_a_grade_change_during_the_warning() -> None:
    grades = (
        GradePeriod(G.C, DatePeriod(date(2026, 1, 1), date(2026, 12, 8))),
        GradePeriod(G.A, DatePeriod(date(2026, 12, 9), None)),
    )
    period = LevelPeriod(1, 1, "371800.", L.RED, at(8, 20), at(9, 6))

    got = allowances_of(firm(grades=grades, windows={L.RED: (Window("1111111", 22 * 60, 2 * 60),)}), [period], {}, TZ)

    # C glass at red cuts 50 % (0.5) on the 8th, A is self-determined (1.0) from the 9th; produces 22:00-02:00.
    assert got == [
        Allowance(5, None, at(8, 20), at(8, 22), 0.0, L.RED, 9),
        Allowance(5, None, at(8, 22), at(9, 0), 0.5, L.RED, 9),
        Allowance(5, None, at(9, 0), at(9, 2), 1.0, L.RED, 9),
        Allowance(5, None, at(9, 2), at(9, 6), 0.0, L.RED, 9),
    ]


def test_stopped_lines_get_allowances_of_their_own() -> None:
    lines = (Line(11, "1号烧结机"), Line(12, "2号球团竖炉"), Line(13, "高炉"))
    period = LevelPeriod(1, 1, "371800.", L.ORANGE, at(8, 0), at(8, 6))

    got = allowances_of(firm(industry=GuideIndustry.STEEL, lines=lines), [period], {}, TZ)

    assert got == [
        Allowance(5, None, at(8, 0), at(8, 6), 1.0, L.ORANGE, 9),
        Allowance(5, 11, at(8, 0), at(8, 6), 0.0, L.ORANGE, 9),
        Allowance(5, 12, at(8, 0), at(8, 6), 0.0, L.ORANGE, 9),
    ]


@pytest.mark.parametrize(
    ("code", "industry"),
    [
        ("C3011", GuideIndustry.CEMENT_CLINKER),
        ("3011", GuideIndustry.CEMENT_CLINKER),
        ("C3012", GuideIndustry.LIME),
        ("C3120", GuideIndustry.STEEL),
        ("C3140", None),  # 铁合金: an industry of the guide ecoloop does not name yet
        ("C3391", GuideIndustry.FOUNDRY),
        ("C3041", GuideIndustry.GLASS),
        ("C2521", GuideIndustry.COKING),
        ("C2614", GuideIndustry.CHEMICAL),
        ("C2110", GuideIndustry.COATING),
        ("C2319", GuideIndustry.PRINTING),
        ("D4411", GuideIndustry.POWER),
        ("D4430", GuideIndustry.POWER),
        ("D4420", None),  # 电力供应
        ("C27", None),
        ("", None),
        (None, None),
    ],
)
def test_the_guide_industry_of_an_industry_code(code: str | None, industry: GuideIndustry | None) -> None:
    assert guide_industry_of(code) is industry
