"""Simulated meter readings (pure): a plausible 15-minute load for a meter over a grid, with stretches where it
runs at a share of its normal load or sends nothing. For the demo city's feed and the tests; `bench/electricity.py`
has its own, larger generator.

Each meter's normal load comes from its seed: a base level, a shift pattern (continuous, two shifts, day shift), a
weekend factor, holidays at 35 %, and multiplicative noise (day 4 %, slot 6 %); a treatment facility follows its
production the same way, from its own seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ecoloop.electricity.rules import HOLIDAY, SATURDAY, SUNDAY, Grid

HOLIDAY_LOAD = 0.35


@dataclass(frozen=True, slots=True)
class Stretch:
    """Slots [first, last) of the grid where a meter runs at `factor` of its normal load (None: sends nothing)."""

    first: int
    last: int
    factor: float | None


def normal_load(seed: int, grid: Grid, profiles: NDArray[np.int8]) -> NDArray[np.float32]:
    """A meter's normal load over the grid (kWh per slot), from its seed."""
    rng = np.random.default_rng(seed)
    base = float(rng.lognormal(np.log(60), 0.6))
    hour = np.arange(grid.per_day) * grid.minutes / 60
    pattern = int(rng.integers(0, 3))
    shape = [
        0.9 + 0.1 * np.sin(hour / 24 * 2 * np.pi),
        np.where((hour >= 6) & (hour < 22), 1.0, 0.3),
        np.where((hour >= 8) & (hour < 18), 1.0, 0.2),
    ][pattern]
    weekend = float(rng.choice([1.0, 0.7, 0.5]))
    day = np.ones(grid.days)
    day[profiles == SATURDAY] = weekend
    day[profiles == SUNDAY] = weekend * 0.9
    day[profiles == HOLIDAY] = HOLIDAY_LOAD
    day = day * rng.lognormal(0, 0.04, grid.days)
    load = base * day[:, None] * shape[None, :] * rng.lognormal(0, 0.06, (grid.days, grid.per_day))
    return np.asarray(load.reshape(-1), dtype=np.float32)


def simulate(
    seed: int, grid: Grid, profiles: NDArray[np.int8], stretches: Sequence[Stretch] = ()
) -> NDArray[np.float32]:
    """A meter's readings over the grid: its normal load, with the stretches applied (NaN: no reading)."""
    load = normal_load(seed, grid, profiles)
    rng = np.random.default_rng(seed + 1)
    for stretch in stretches:
        part = slice(max(0, stretch.first), min(grid.slots, stretch.last))
        if stretch.factor is None:
            load[part] = np.nan
        else:
            noise = rng.lognormal(0, 0.05, part.stop - part.start)
            load[part] = load[part] * stretch.factor * noise
    return load
