"""The levels in force over time as the control list and the electricity checks read them (`level_periods`), on
SQLite and PostgreSQL, from warnings and change logs written by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.scope import scoped
from ecoloop.episodes.enums import ChangeKind, PrimaryPollutant, WarningLevel, WarningStatus
from ecoloop.episodes.models import PollutionWarning, WarningArea, WarningChange
from ecoloop.episodes.queries import level_periods
from ecoloop.episodes.rules import LevelPeriod
from ecoloop.regions.models import Region
from tests.factories import World

T0 = datetime(2026, 12, 10, 0, 0, tzinfo=UTC)
H = timedelta(hours=1)


def plant(
    session: Session,
    world: World,
    number: str,
    changes: list[tuple[ChangeKind, WarningLevel, datetime, datetime | None]],
    counties: list[Region] | None = None,
    status: WarningStatus = WarningStatus.ISSUED,
) -> PollutionWarning:
    """A warning with its change log as given (kind, level, effective time, planned end)."""
    analyst = world.users["analyst"]
    warning = PollutionWarning(
        number=number,
        city_id=world.city.id,
        city_wide=counties is None,
        level=changes[-1][1] if changes else WarningLevel.YELLOW,
        pollutant=PrimaryPollutant.PM25,
        planned_start=changes[0][2] if changes else T0,
        planned_end=None,
        status=status,
        prepared_by_id=analyst.id,
    )
    session.add(warning)
    session.flush()
    for county in counties or []:
        session.add(WarningArea(warning_id=warning.id, region_id=county.id))
    for seq, (kind, level, at, end) in enumerate(changes, start=1):
        session.add(
            WarningChange(
                warning_id=warning.id,
                seq=seq,
                kind=kind,
                level=level,
                effective_at=at,
                planned_end=end,
                approver_id=world.users["leader"].id,
                recorded_by_id=analyst.id,
            )
        )
        if kind is ChangeKind.LIFT:
            warning.lifted_at = at
    session.flush()
    return warning


def test_a_city_wide_warning_gives_one_period_per_level_with_the_city_path(db: Session, world: World) -> None:
    w = plant(
        db,
        world,
        "ZWR2026-001",
        [
            (ChangeKind.ISSUE, WarningLevel.YELLOW, T0, T0 + 72 * H),
            (ChangeKind.UPGRADE, WarningLevel.ORANGE, T0 + 24 * H, T0 + 72 * H),
            (ChangeKind.LIFT, WarningLevel.ORANGE, T0 + 60 * H, None),
        ],
        status=WarningStatus.LIFTED,
    )
    periods = level_periods(db, T0 - 24 * H, T0 + 96 * H)
    assert periods == [
        LevelPeriod(w.id, world.city.id, world.city.path, WarningLevel.YELLOW, T0, T0 + 24 * H),
        LevelPeriod(w.id, world.city.id, world.city.path, WarningLevel.ORANGE, T0 + 24 * H, T0 + 60 * H),
    ]


def test_a_county_warning_gives_one_period_per_county(db: Session, world: World) -> None:
    w = plant(
        db,
        world,
        "ZWR2026-002",
        [(ChangeKind.ISSUE, WarningLevel.RED, T0, None)],
        counties=[world.county_b, world.county_a],
    )
    periods = level_periods(db, T0, T0 + H)
    by_path = sorted((world.county_a.path, world.county_b.path))
    assert [(p.region_path, p.level, p.start, p.end) for p in periods] == [
        (by_path[0], WarningLevel.RED, T0, None),
        (by_path[1], WarningLevel.RED, T0, None),
    ]
    assert {p.warning_id for p in periods} == {w.id}
    assert {p.region_id for p in periods} == {world.county_a.id, world.county_b.id}


def test_periods_overlapping_the_window_are_returned_whole(db: Session, world: World) -> None:
    plant(
        db,
        world,
        "ZWR2026-003",
        [
            (ChangeKind.ISSUE, WarningLevel.YELLOW, T0, T0 + 48 * H),
            (ChangeKind.EXTEND, WarningLevel.YELLOW, T0 + 40 * H, T0 + 72 * H),
        ],
    )
    # [start, end): a window ending where the period starts, or starting where it ends, does not overlap.
    assert level_periods(db, T0 - 10 * H, T0) == []
    assert level_periods(db, T0 + 72 * H, T0 + 80 * H) == []
    (period,) = level_periods(db, T0 + 71 * H, T0 + 80 * H)
    assert (period.start, period.end) == (T0, T0 + 72 * H)  # extended, not clipped to the window


def test_drafts_approved_and_refused_warnings_hold_no_level(db: Session, world: World) -> None:
    for n, status in enumerate((WarningStatus.DRAFT, WarningStatus.APPROVED, WarningStatus.REFUSED)):
        plant(db, world, f"ZWR2026-01{n}", [], status=status)
    assert level_periods(db, T0 - 1000 * H, T0 + 1000 * H) == []


def test_an_enterprise_sees_only_issued_warnings_covering_its_place(db: Session, world: World) -> None:
    city = plant(db, world, "ZWR2026-020", [(ChangeKind.ISSUE, WarningLevel.YELLOW, T0, None)])
    own = plant(db, world, "ZWR2026-021", [(ChangeKind.ISSUE, WarningLevel.RED, T0, None)], [world.county_a])
    plant(db, world, "ZWR2026-022", [(ChangeKind.ISSUE, WarningLevel.RED, T0, None)], [world.county_b])
    plant(db, world, "ZWR2026-023", [], status=WarningStatus.DRAFT)
    enterprise = world.principal(db, "enterprise_a")  # in county A
    seen = db.scalars(scoped(select(PollutionWarning.id), enterprise, PollutionWarning)).all()
    assert sorted(seen) == sorted([city.id, own.id])
    branch_b = world.principal(db, "branch_b")  # the city's business: a branch sees every warning, drafts too
    assert len(db.scalars(scoped(select(PollutionWarning.id), branch_b, PollutionWarning)).all()) == 4


def test_the_level_proposed_from_the_forecast_and_the_stored_rules(db: Session, world: World) -> None:
    from datetime import date

    from ecoloop.episodes import service
    from ecoloop.episodes.queries import propose
    from ecoloop.episodes.triggers import PRESET_2017
    from ecoloop.reports.models import AirForecast

    today = date(2026, 12, 10)
    for n, high in enumerate((210, 230, 160)):
        day = today + timedelta(days=n)
        db.add(AirForecast(region_id=world.city.id, day=day, aqi_low=high - 40, aqi_high=high, imported_by="t"))
    db.flush()
    # 2024 default: above 200 for two days (48 h): orange.
    proposal = propose(db, None, world.city.id, today)
    assert [(d, a) for d, a, _ in proposal.series] == [(today, 210), (today + timedelta(days=1), 230),
                                                      (today + timedelta(days=2), 160)]  # fmt: skip
    assert proposal.rule is not None and proposal.rule.level is WarningLevel.ORANGE
    # The 2017 preset stored: above 200 for 48 h is yellow there.
    service.save_triggers(db, world.users["analyst"], PRESET_2017, preset="2017", now=T0)
    proposal = propose(db, None, world.city.id, today)
    assert proposal.rule is not None and proposal.rule.level is WarningLevel.YELLOW


def test_an_ozone_warning_puts_no_level_in_force_for_the_control_list(db: Session, world: World) -> None:
    ozone = plant(db, world, "ZWR2026-030", [(ChangeKind.ISSUE, WarningLevel.YELLOW, T0, None)])
    ozone.pollutant = PrimaryPollutant.O3
    pm10 = plant(db, world, "ZWR2026-031", [(ChangeKind.ISSUE, WarningLevel.ORANGE, T0, None)])
    pm10.pollutant = PrimaryPollutant.PM10
    db.flush()
    assert [p.warning_id for p in level_periods(db, T0, T0 + H)] == [pm10.id]
