"""Air-quality rankings (赛马, issue 16 part 5) from period statistics (`results.periods`): counties, towns or stations
ranked by the composite index, PM2.5, the good-day ratio and their changes against the same period last year, with
the official tie rules of `standards.ranking` (docs/standards/ranking.md: equal published values rank equal and
the next rank skips, 1, 1, 3), the rank in the previous period (movement) and the targets of the year.

What ranks is what is published: the composite index to 2 decimals (`rank_by_composite_index`), PM2.5 in whole
µg/m³ (`rank_by_pm25`), the good-day ratio to 0.1 % (`rank_by_good_day_ratio`), the change rates to 0.01 %
(`rank_by_change_rate`: most improved first) and the good-day ratio's change in percentage points (highest
first). `improvement_ranking` ranks the areas whose composite index fell (the change scheme's list).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ecoloop.i18n import N_
from ecoloop.results.periods import (
    Change,
    Period,
    TargetCheck,
    against_ceiling,
    against_good_ratio,
    compared,
    standard_periods,
)
from ecoloop.standards import ranking

By = Literal["composite", "pm25", "good_ratio", "composite_change", "pm25_change", "good_ratio_change"]
BYS: tuple[By, ...] = ("composite", "pm25", "good_ratio", "composite_change", "pm25_change", "good_ratio_change")
BY_LABELS: dict[By, str] = {
    "composite": N_("Composite index"),
    "pm25": N_("PM2.5"),
    "good_ratio": N_("Good-day ratio"),
    "composite_change": N_("Change of the composite index"),
    "pm25_change": N_("Change of PM2.5"),
    "good_ratio_change": N_("Change of the good-day ratio"),
}


@dataclass(frozen=True)
class Subject:
    """What is ranked: a county, a town or a station, by its id (region or site), code and name."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Target:
    """A region's targets for the year of the period."""

    good_ratio: Decimal
    pm25: int
    heavy_days: int | None


@dataclass(frozen=True)
class Row:
    """One line of a ranking: the subject, its statistics against last year, its rank by the chosen statistic and
    by every other one, its rank in the previous period, and its targets met or missed."""

    subject: Subject
    change: Change
    rank: int | None
    ranks: Mapping[By, int | None]
    improvement: int | None
    previous_rank: int | None
    target: Target | None
    good_check: TargetCheck | None
    pm25_check: TargetCheck | None
    heavy_check: TargetCheck | None

    @property
    def movement(self) -> int | None:
        """Places moved up (> 0) or down (< 0) since the previous period; None when unranked in either."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


def ranks_of(changes: Mapping[int, Change]) -> dict[By, dict[int, int | None]]:
    """The rank of every subject by each statistic (None: no value to rank)."""
    now = {k: c.now for k, c in changes.items()}
    return {
        "composite": ranking.rank_by_composite_index({k: s.composite if s else None for k, s in now.items()}),
        "pm25": ranking.rank_by_pm25({k: s.pm25 if s else None for k, s in now.items()}),
        "good_ratio": ranking.rank_by_good_day_ratio({k: s.good_ratio if s else None for k, s in now.items()}),
        "composite_change": ranking.rank_by_change_rate({k: c.composite_rate for k, c in changes.items()}),
        "pm25_change": ranking.rank_by_change_rate({k: c.pm25_rate for k, c in changes.items()}),
        "good_ratio_change": ranking.rank({k: c.good_ratio_points for k, c in changes.items()}, ascending=False),
    }


def rank_rows(
    subjects: Sequence[Subject],
    changes: Mapping[int, Change],
    by: By,
    previous: Mapping[int, Change] | None = None,
    targets: Mapping[int, Target] | None = None,
) -> list[Row]:
    """The ranking of `subjects` by `by`: best first, the unranked last, equal ranks by code."""
    empty = Change(None, None, None, None, None)
    table = {s.id: changes.get(s.id, empty) for s in subjects}
    ranks = ranks_of(table)
    improvement = ranking.improvement_ranking({k: c.composite_rate for k, c in table.items()})
    before = ranks_of({s.id: previous.get(s.id, empty) for s in subjects})[by] if previous is not None else {}
    rows = []
    for subject in subjects:
        change = table[subject.id]
        target = (targets or {}).get(subject.id)
        now = change.now
        rows.append(
            Row(
                subject=subject,
                change=change,
                rank=ranks[by][subject.id],
                ranks={b: ranks[b][subject.id] for b in BYS},
                improvement=improvement[subject.id],
                previous_rank=before.get(subject.id),
                target=target,
                good_check=against_good_ratio(now.good_ratio if now else None, target.good_ratio if target else None),
                pm25_check=against_ceiling(now.pm25 if now else None, target.pm25 if target else None),
                heavy_check=against_ceiling(now.heavy_days if now else None, target.heavy_days if target else None),
            )
        )
    return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.subject.code))


@dataclass(frozen=True)
class Standing:
    """An area over one standard period (month, quarter, year to date): its statistics against the same period
    last year and against its targets of the year (issue 16 part 1)."""

    period: Period
    change: Change
    good_check: TargetCheck | None
    pm25_check: TargetCheck | None
    heavy_check: TargetCheck | None


def standings(con: Any, root: Path, region_id: int, day: date, target: Target | None) -> list[Standing]:
    """The area's month, quarter and year to date ending on `day`, each against last year and the targets."""
    found = []
    for period in standard_periods(day):
        change = compared(con, root, "areas", period, [region_id]).get(region_id, Change(None, None, None, None, None))
        now = change.now
        found.append(
            Standing(
                period,
                change,
                against_good_ratio(now.good_ratio if now else None, target.good_ratio if target else None),
                against_ceiling(now.pm25 if now else None, target.pm25 if target else None),
                against_ceiling(now.heavy_days if now else None, target.heavy_days if target else None),
            )
        )
    return found
