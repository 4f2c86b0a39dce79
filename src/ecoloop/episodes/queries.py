"""Reads of heavy-pollution warnings: the levels in force over time (the interface the control list and the
electricity checks read), the lists and pages of warnings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import get_visible, scoped
from ecoloop.episodes.enums import ChangeKind, PrimaryPollutant, WarningStatus
from ecoloop.episodes.models import (
    PollutionWarning,
    WarningArea,
    WarningChange,
    WarningNotice,
    WarningTriggerConfig,
)
from ecoloop.episodes.rules import ChangeEntry, Held, LevelPeriod, held_levels
from ecoloop.episodes.triggers import PRESET_2024, LevelRule, TriggerSet, proposed_level
from ecoloop.identity.models import User
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region

if TYPE_CHECKING:  # the results' reads load the analytics engine: imported where the proposal is made
    from ecoloop.results.queries import ResultReads


def level_periods(session: Session, start: datetime, end: datetime) -> list[LevelPeriod]:
    """Every level any issued warning held that overlaps [start, end): one period per warning, area and level held,
    not clipped to the window (a city-wide warning gives periods over the city region's path, one naming some
    counties one per county). Ordered by start, warning and region. Not scoped: the city's warnings apply to every
    enterprise they cover, whoever reads. Only the warnings whose primary pollutant puts the emergency reduction
    list in force (PM2.5, PM10) are read: an ozone warning is a health notice (环大气 [2024] 6 号; docs/episodes.md)."""
    first_issue = (
        select(WarningChange.warning_id)
        .where(WarningChange.kind == ChangeKind.ISSUE, WarningChange.effective_at < end)
        .scalar_subquery()
    )
    warnings = session.scalars(
        select(PollutionWarning).where(
            PollutionWarning.status.in_((WarningStatus.ISSUED, WarningStatus.LIFTED)),
            PollutionWarning.pollutant.in_([p for p in PrimaryPollutant if p.starts_controls]),
            PollutionWarning.id.in_(first_issue),
            or_(PollutionWarning.lifted_at.is_(None), PollutionWarning.lifted_at > start),
        )
    ).all()
    if not warnings:
        return []
    ids = [w.id for w in warnings]
    entries: dict[int, list[ChangeEntry]] = defaultdict(list)
    for change in session.scalars(
        select(WarningChange).where(WarningChange.warning_id.in_(ids)).order_by(WarningChange.seq)
    ):
        entries[change.warning_id].append(
            ChangeEntry(change.kind, change.level, change.effective_at, change.planned_end)
        )
    counties: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for warning_id, region_id, path in session.execute(
        select(WarningArea.warning_id, Region.id, Region.path)
        .join(Region, Region.id == WarningArea.region_id)
        .where(WarningArea.warning_id.in_(ids))
        .order_by(Region.path)
    ):
        counties[warning_id].append((region_id, path))
    periods: list[LevelPeriod] = []
    for warning in warnings:
        areas = [(warning.city_id, warning.city.path)] if warning.city_wide else counties[warning.id]
        for held in held_levels(entries[warning.id]):
            if held.start >= end or (held.end is not None and held.end <= start):
                continue
            periods.extend(
                LevelPeriod(warning.id, region_id, path, held.level, held.start, held.end) for region_id, path in areas
            )
    periods.sort(key=lambda p: (p.start, p.warning_id, p.region_path))
    return periods


def held_of(session: Session, warning_id: int) -> list[Held]:
    """The levels one warning held, in time order, from its change log."""
    changes = session.scalars(
        select(WarningChange).where(WarningChange.warning_id == warning_id).order_by(WarningChange.seq)
    )
    return held_levels(ChangeEntry(c.kind, c.level, c.effective_at, c.planned_end) for c in changes)


def current_triggers(session: Session) -> tuple[TriggerSet, WarningTriggerConfig | None]:
    """The trigger rules that apply (the newest version stored, or the 2024 default) and their stored version."""
    config = session.scalars(select(WarningTriggerConfig).order_by(WarningTriggerConfig.id.desc()).limit(1)).first()
    return (TriggerSet.from_json(config.rules) if config else PRESET_2024), config


# The city's forecast daily AQI by day (the forecast centre's table, kept by the briefs): registered by the
# composition (`ecoloop.tables`), because the briefs read the warnings and the warnings may not import them back.
ForecastReader = Callable[[Session, int, date, date], dict[date, int]]
_FORECASTS: list[ForecastReader] = []


def register_forecasts(reader: ForecastReader) -> None:
    """Declare where the forecast daily AQI of a region is read (at most one reader; the last one wins)."""
    _FORECASTS[:] = [reader]


def forecast_days(session: Session, region_id: int, first: date, last: date) -> dict[date, int]:
    """The forecast daily AQI (the top of each day's range) of a region, first…last, where one is stored."""
    return _FORECASTS[0](session, region_id, first, last) if _FORECASTS else {}


@dataclass(frozen=True)
class Proposal:
    """The level the city's recent and forecast daily AQI meets under the rules that apply, with the series it
    read (observed days, then forecast days) and the rule met (None: no level)."""

    series: list[tuple[date, int | None, bool]]  # day, AQI, forecast?
    rule: LevelRule | None
    triggers: TriggerSet


OBSERVED_DAYS: Final = 3
FORECAST_DAYS: Final = 5


def propose(session: Session, reads: ResultReads | None, city_id: int, today: date) -> Proposal:
    """The level proposed for a new warning of the city: the last OBSERVED_DAYS days' daily AQI (results) and the
    next FORECAST_DAYS days' forecast (where stored), judged by the trigger rules. The analyst decides."""
    from ecoloop.results.queries import area_days

    triggers, _ = current_triggers(session)
    first = today - timedelta(days=OBSERVED_DAYS)
    observed: dict[date, int | None] = {}
    if reads is not None:
        for (_, day), value in area_days(reads, [city_id], first, today - timedelta(days=1)).items():
            observed[day] = value.aqi.aqi
    forecast = forecast_days(session, city_id, today, today + timedelta(days=FORECAST_DAYS - 1))
    series = [(day, aqi, False) for day, aqi in sorted(observed.items())]
    series += [(day, aqi, True) for day, aqi in sorted(forecast.items()) if day not in observed]
    rule = proposed_level([(day, aqi) for day, aqi, _ in series], triggers)
    return Proposal(series, rule, triggers)


# --- pages --------------------------------------------------------------------------------------------------------


def warnings(session: Session, principal: Principal, limit: int = 200) -> list[PollutionWarning]:
    """The warnings the principal sees, newest first."""
    stmt = scoped(select(PollutionWarning), principal, PollutionWarning)
    return list(session.scalars(stmt.order_by(PollutionWarning.id.desc()).limit(limit)))


def warning(session: Session, principal: Principal, warning_id: int) -> PollutionWarning | None:
    """One warning, if the principal sees it."""
    return get_visible(session, principal, PollutionWarning, warning_id)


def in_force(session: Session, principal: Principal, at: datetime) -> list[tuple[PollutionWarning, Held]]:
    """The warnings the principal sees whose level holds at `at` (or starts within a day: announced ahead), each
    with the level it holds (or will hold first)."""
    stmt = scoped(select(PollutionWarning), principal, PollutionWarning).where(
        PollutionWarning.status == WarningStatus.ISSUED
    )
    found = []
    for w in session.scalars(stmt.order_by(PollutionWarning.planned_start)):
        for held in held_of(session, w.id):
            if held.start <= at + timedelta(days=1) and (held.end is None or at < held.end):
                found.append((w, held))
                break
    return found


def unread_notices(session: Session, principal: Principal) -> int:
    """How many warning notices the principal has not read."""
    stmt = scoped(select(func.count()).select_from(WarningNotice), principal, WarningNotice)
    return session.scalar(stmt.where(WarningNotice.read_at.is_(None))) or 0


def leaders(session: Session) -> list[User]:
    """The active bureau leaders (who sign warnings), by name."""
    return list(session.scalars(select(User).where(User.role == Role.LEADER, User.active).order_by(User.display_name)))


def city_counties(session: Session, city_id: int) -> list[Region]:
    """The active counties of the city, by code."""
    stmt = select(Region).where(Region.parent_id == city_id, Region.level == RegionLevel.COUNTY, Region.active)
    return list(session.scalars(stmt.order_by(Region.code)))


def users_named(session: Session, ids: set[int]) -> dict[int, str]:
    """Display names of users by id."""
    if not ids:
        return {}
    return {
        user_id: name for user_id, name in session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    }


def city_of(session: Session, principal: Principal) -> Region | None:
    """The city of the principal's region path."""
    code = principal.region_path.split(".", 1)[0]
    return session.scalar(select(Region).where(Region.code == code, Region.level == RegionLevel.CITY))
