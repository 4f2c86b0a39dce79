"""Reads of heavy-pollution warnings: the levels in force over time (the interface the control list and the
electricity checks read), the lists and pages of warnings."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecoloop.episodes.enums import ChangeKind, WarningStatus
from ecoloop.episodes.models import PollutionWarning, WarningArea, WarningChange
from ecoloop.episodes.rules import ChangeEntry, LevelPeriod, held_levels
from ecoloop.regions.models import Region


def level_periods(session: Session, start: datetime, end: datetime) -> list[LevelPeriod]:
    """Every level any issued warning held that overlaps [start, end): one period per warning, area and level held,
    not clipped to the window (a city-wide warning gives periods over the city region's path, one naming some
    counties one per county). Ordered by start, warning and region. Not scoped: the city's warnings apply to every
    enterprise they cover, whoever reads."""
    first_issue = (
        select(WarningChange.warning_id)
        .where(WarningChange.kind == ChangeKind.ISSUE, WarningChange.effective_at < end)
        .scalar_subquery()
    )
    warnings = session.scalars(
        select(PollutionWarning).where(
            PollutionWarning.status.in_((WarningStatus.ISSUED, WarningStatus.LIFTED)),
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
