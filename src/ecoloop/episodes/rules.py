"""Which warning level is in force where and when (pure): the shape in which the control list and the electricity
checks read the warnings, whatever the warnings' own records look like."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ecoloop.episodes.enums import ChangeKind, WarningLevel


@dataclass(frozen=True, slots=True)
class LevelPeriod:
    """One warning at one level over one area from `start` (inclusive) to `end` (exclusive; None: in force until
    further notice). A warning that is upgraded, downgraded and lifted gives one period per level it held.
    `region_path` is the materialised path of the region it covers (the city, or one county; see
    `regions.models.Region.path`): a place is covered when its region's path starts with it. Times are aware."""

    warning_id: int
    region_id: int
    region_path: str
    level: WarningLevel
    start: datetime
    end: datetime | None

    def covers(self, region_path: str, at: datetime) -> bool:
        """Whether this period holds at `at` for a place in the region whose path is `region_path`."""
        return region_path.startswith(self.region_path) and self.start <= at and (self.end is None or at < self.end)


def level_at(periods: Iterable[LevelPeriod], region_path: str, at: datetime) -> LevelPeriod | None:
    """The strictest period in force at `at` for a place in the region whose path is `region_path` (a county's
    own warning and the city's may overlap: the higher level applies, as the stricter response does), or None.
    Of two periods of the same level, the one that started first."""
    best: LevelPeriod | None = None
    for period in periods:
        if not period.covers(region_path, at):
            continue
        if best is None or (period.level.rank, best.start) > (best.level.rank, period.start):
            best = period
    return best


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    """One entry of a warning's change log as the rules read it: what changed, the level from `effective_at` on,
    and the planned end from then on (None: until lifted)."""

    kind: ChangeKind
    level: WarningLevel
    effective_at: datetime
    planned_end: datetime | None


@dataclass(frozen=True, slots=True)
class Held:
    """A level a warning held from `start` (inclusive) to `end` (exclusive; None: until further notice)."""

    level: WarningLevel
    start: datetime
    end: datetime | None


def held_levels(entries: Iterable[ChangeEntry]) -> list[Held]:
    """The levels a warning held, in time order, read from its change log: the issue opens the first level; an
    upgrade or a downgrade closes the level held and opens the new one at its effective time; an extension moves
    the planned end; the lift closes the last level. A warning not lifted ends at its planned end (the latest
    one recorded), or holds until further notice without one. Stretches of no length are left out."""
    ordered = sorted(enumerate(entries), key=lambda pair: (pair[1].effective_at, pair[0]))
    held: list[Held] = []
    level: WarningLevel | None = None
    since: datetime | None = None
    planned_end: datetime | None = None
    for _, entry in ordered:
        if entry.kind is ChangeKind.ISSUE:
            level, since, planned_end = entry.level, entry.effective_at, entry.planned_end
        elif level is None or since is None:
            continue  # nothing in force yet: a change before the issue is no change
        elif entry.kind in (ChangeKind.UPGRADE, ChangeKind.DOWNGRADE):
            held.append(Held(level, since, entry.effective_at))
            level, since, planned_end = entry.level, entry.effective_at, entry.planned_end
        elif entry.kind is ChangeKind.EXTEND:
            planned_end = entry.planned_end
        elif entry.kind is ChangeKind.LIFT:
            held.append(Held(level, since, entry.effective_at))
            level = since = None
    if level is not None and since is not None:
        held.append(Held(level, since, planned_end))
    return [h for h in held if h.end is None or h.start < h.end]
