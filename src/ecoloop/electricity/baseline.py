"""Each meter's normal load (pure): per weekday and slot of the day, the median of the previous weeks' normal days
and a robust spread (MAD x 1.4826), vectorised over all meters at once.

The method is the research memo's suggested design (issue 20 research memo §4), [unverified]: no public source
describes how the platforms learn it. Left out of the learning: statutory holidays and make-up working days (调休,
by the working-day calendar), earlier warnings (their slots), maintenance days (a day's mean load below
`maintenance_share` of the meter's median day) and gaps (no reading: NaN). Where a weekday has fewer than
`min_samples` normal days behind a slot, the slot's median over all weekdays stands instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ecoloop.electricity.rules import HOLIDAY, MAKEUP, PROFILES, SATURDAY, SUNDAY, Parameters

# MAD x 1.4826 estimates the standard deviation of normally distributed values (Rousseeuw & Croux 1993).
MAD_SCALE = 1.4826

Floats = NDArray[np.float32]


@dataclass(frozen=True)
class Baseline:
    """Normal load per meter, profile (`rules`: weekday, HOLIDAY, MAKEUP) and slot of the day: `level` (kWh per
    slot), `sigma` (robust spread) and `samples` (normal days behind each value; 0: nothing learned, NaN level)."""

    level: Floats  # [meters, PROFILES, per_day]
    sigma: Floats
    samples: NDArray[np.int16]

    def over(self, profiles: NDArray[np.int8]) -> tuple[Floats, Floats]:
        """Level and spread laid out over days of the given profiles: two [meters, days x per_day] arrays."""
        meters, _, per_day = self.level.shape
        level = self.level[:, profiles, :].reshape(meters, len(profiles) * per_day)
        sigma = self.sigma[:, profiles, :].reshape(meters, len(profiles) * per_day)
        return level, sigma


def learn(history: Floats, profiles: NDArray[np.int8], excluded: NDArray[np.bool_], params: Parameters) -> Baseline:
    """The baseline from `history` ([meters, days, per_day] kWh, NaN where no reading), each day's profile and the
    slots to leave out (`excluded`, [days, per_day]: earlier warnings)."""
    meters, _, per_day = history.shape
    x = np.array(history, dtype=np.float32, copy=True)
    x[:, excluded] = np.nan
    x[:, profiles >= HOLIDAY, :] = np.nan  # holidays and make-up days are not normal days
    day_mean = _mean_last(x)  # [meters, days]
    typical, _ = _median_last(day_mean)
    with np.errstate(invalid="ignore"):
        maintenance = day_mean < params.maintenance_share * typical[:, None]
    x[maintenance] = np.nan
    by_slot = x.transpose(0, 2, 1)  # [meters, per_day, days]: the days axis last, for the sorts
    level = np.full((meters, PROFILES, per_day), np.nan, dtype=np.float32)
    sigma = np.full((meters, PROFILES, per_day), np.nan, dtype=np.float32)
    samples = np.zeros((meters, PROFILES, per_day), dtype=np.int16)
    pooled = _robust(by_slot[:, :, profiles < HOLIDAY])
    working = _robust(by_slot[:, :, profiles < SATURDAY])
    for weekday in range(7):
        own = _robust(by_slot[:, :, profiles == weekday])
        level[:, weekday], sigma[:, weekday], samples[:, weekday] = _fallback(own, pooled, params.min_samples)
    level[:, HOLIDAY], sigma[:, HOLIDAY], samples[:, HOLIDAY] = level[:, SUNDAY], sigma[:, SUNDAY], samples[:, SUNDAY]
    level[:, MAKEUP], sigma[:, MAKEUP], samples[:, MAKEUP] = _fallback(working, pooled, params.min_samples)
    return Baseline(level, sigma, samples)


Robust = tuple[Floats, Floats, NDArray[np.int16]]


def _robust(values: Floats) -> Robust:
    """Median, MAD x 1.4826 and count over the last axis, ignoring NaN."""
    median, count = _median_last(values)
    mad, _ = _median_last(np.abs(values - median[..., None]))
    return median, (mad * MAD_SCALE).astype(np.float32), count.astype(np.int16)


def _fallback(own: Robust, pooled: Robust, min_samples: int) -> Robust:
    """`own` where it has at least `min_samples` values behind it, else `pooled`."""
    thin = own[2] < min_samples
    return (
        np.where(thin, pooled[0], own[0]).astype(np.float32),
        np.where(thin, pooled[1], own[1]).astype(np.float32),
        np.where(thin, pooled[2], own[2]).astype(np.int16),
    )


def _median_last(values: Floats) -> tuple[Floats, NDArray[np.intp]]:
    """The median over the last axis ignoring NaN, and the number of values it is of (NaN where none): one sort
    (NaN sorts last) and two picks, much faster than `np.nanmedian` on many short rows."""
    n = values.shape[-1]
    count = np.count_nonzero(~np.isnan(values), axis=-1)
    if n == 0:
        return np.full(values.shape[:-1], np.nan, dtype=np.float32), count
    ordered = np.sort(values, axis=-1)
    low = np.clip((count - 1) // 2, 0, n - 1)[..., None]
    high = np.clip(count // 2, 0, n - 1)[..., None]
    pick_low = np.take_along_axis(ordered, low, axis=-1)[..., 0]
    pick_high = np.take_along_axis(ordered, high, axis=-1)[..., 0]
    median = ((pick_low + pick_high) / 2).astype(np.float32)
    median[count == 0] = np.nan
    return median, count


def _mean_last(values: Floats) -> Floats:
    """The mean over the last axis ignoring NaN (NaN where none), without numpy's warning on empty slices."""
    valid = ~np.isnan(values)
    count = valid.sum(axis=-1)
    total = np.where(valid, values, 0).sum(axis=-1, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan).astype(np.float32)
