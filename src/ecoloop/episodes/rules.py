"""Which warning level is in force where and when (pure): the shape in which the control list and the electricity
checks read the warnings, whatever the warnings' own records look like."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ecoloop.episodes.enums import WarningLevel


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
