"""The electricity checks' parameters and calendar (pure): which profile of normal load a day is judged by, and the
dense grid of slots on which the baseline and the checks compute.

No public source describes how the platforms learn a line's normal load; the method and every default below are
the research memo's suggested design (issue 20 research memo §4) and ecoloop's own choices, [unverified], and
configurable on `/electricity/settings`. The one measured figure is the residual load of a stopped line: during
the 2022 Winter Olympics controls in Weifang, fully stopped companies' electricity fell by more than 75 % (环境监测
管理与技术 2024-01, memo §4), so a stopped line still draws about 20-25 % of its normal load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

SATURDAY = 5
SUNDAY = 6
# A day's profile: its weekday (0 Monday .. 6 Sunday), or one of these two.
HOLIDAY = 7  # a statutory holiday on a weekday: judged by Sunday's profile
MAKEUP = 8  # a make-up working day (调休) on a weekend: judged by the working days' pooled profile
PROFILES = 9


@dataclass(frozen=True, slots=True)
class Parameters:
    """The electricity checks' parameters; every default is [unverified] (memo §4's suggested design)."""

    # Baseline: the previous `weeks` weeks before the check, same weekday and slot; median and MAD x 1.4826.
    weeks: int = 8
    min_samples: int = 3  # fewer normal days of a weekday: that slot's median over all weekdays instead
    maintenance_share: float = 0.3  # a day whose mean load is below 30 % of the meter's median day: not normal
    # Production: allowed(t) = baseline(t) x max(fraction, residual) + k * sigma(t), sigma >= sigma_floor x baseline.
    residual: float = 0.25  # a stopped line still draws 20-25 % (Weifang 2022, memo §4)
    k: float = 3.0
    sigma_floor: float = 0.05
    min_run: int = 4  # consecutive slots above allowed (4 x 15 min = 1 h) ...
    min_share: float = 0.2  # ... or this share of the limited slots
    # Treatment check: production ≥ 50 % of its baseline while treatment < 30 % of its own for ≥ 2 slots in a row.
    production_on: float = 0.5
    treatment_off: float = 0.3
    treatment_run: int = 2
    # No data for this many consecutive slots during the warning (8 x 15 min = 2 h): its own flag.
    missing_run: int = 8

    def problems(self) -> list[str]:
        """The names of the parameters out of their range (empty: valid)."""
        bad = []
        if not 1 <= self.weeks <= 26:
            bad.append("weeks")
        if not 1 <= self.min_samples <= self.weeks:
            bad.append("min_samples")
        for name in ("maintenance_share", "residual", "sigma_floor", "min_share", "production_on", "treatment_off"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                bad.append(name)
        if not 0.0 <= self.k <= 20.0:
            bad.append("k")
        for name in ("min_run", "treatment_run", "missing_run"):
            if not 1 <= getattr(self, name) <= 96 * 7:
                bad.append(name)
        return bad

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Parameters:
        """Parameters from stored JSON; names not stored take their default (a later parameter)."""
        kinds = {f.name: type(getattr(cls(), f.name)) for f in fields(cls)}
        return cls(**{name: kinds[name](data[name]) for name in kinds if name in data})


def day_profiles(days: Iterable[date], is_workday: Callable[[date], bool]) -> NDArray[np.int8]:
    """Each day's profile: its weekday, HOLIDAY for a statutory holiday on a weekday, MAKEUP for a make-up working
    day (调休) on a weekend, by the working-day calendar (`cases.workdays.WorkCalendar`: chinese-calendar and the
    bureau's own entries, the calendar the case deadlines count on)."""
    out = []
    for day in days:
        weekday = day.weekday()
        workday = is_workday(day)
        if weekday < SATURDAY and not workday:
            out.append(HOLIDAY)
        elif weekday >= SATURDAY and workday:
            out.append(MAKEUP)
        else:
            out.append(weekday)
    return np.asarray(out, dtype=np.int8)


@dataclass(frozen=True, slots=True)
class Grid:
    """Slots of `minutes` from `start` (a local midnight, aware) over `days` days: the dense layout of readings."""

    start: datetime
    days: int
    minutes: int = 15

    @property
    def per_day(self) -> int:
        return 24 * 60 // self.minutes

    @property
    def slots(self) -> int:
        return self.days * self.per_day

    def index(self, at: datetime) -> int:
        """The slot holding `at` (a reading stamped at the start of its interval); may be outside [0, slots)."""
        return int((at - self.start) // timedelta(minutes=self.minutes))

    def time(self, index: int) -> datetime:
        """The start of slot `index`, in the grid's zone."""
        return self.start + timedelta(minutes=self.minutes * index)

    def day(self, index: int) -> date:
        return (self.start + timedelta(days=index)).date()


def dense(
    meters: int, slots: int, meter_index: NDArray[np.intp], slot_index: NDArray[np.intp], values: NDArray[Any]
) -> NDArray[np.float32]:
    """Readings given as columns (meter position, slot position, kWh) laid out as [meters, slots], NaN where none
    came; readings outside the grid are left out, and of two for one slot the later in the columns stands."""
    out = np.full((meters, slots), np.nan, dtype=np.float32)
    keep = (slot_index >= 0) & (slot_index < slots) & (meter_index >= 0) & (meter_index < meters)
    flat = meter_index[keep].astype(np.int64) * slots + slot_index[keep]
    out.reshape(-1)[flat] = values[keep]  # one scatter into the flat array: faster than a pair of indices
    return out


def slot_mask(grid: Grid, periods: Iterable[tuple[datetime, datetime | None]], until: datetime) -> NDArray[np.bool_]:
    """The grid's slots (flat) whose start lies in any of the periods [start, end) (an open end runs to `until`)."""
    mask = np.zeros(grid.slots, dtype=bool)
    for start, end in periods:
        first, last = _ceil_index(grid, start), _ceil_index(grid, end if end is not None else until)
        first, last = max(0, first), min(grid.slots, last)
        if first < last:
            mask[first:last] = True
    return mask


def _ceil_index(grid: Grid, at: datetime) -> int:
    """The first slot starting at or after `at`."""
    index = grid.index(at)
    return index + 1 if grid.time(index) < at else index
