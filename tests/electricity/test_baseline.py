"""The learned normal load: median and MAD per weekday and slot, with holidays, earlier warnings, maintenance days
and gaps left out, and the fallback to all weekdays."""

from __future__ import annotations

import numpy as np
import pytest

from ecoloop.electricity.baseline import MAD_SCALE, learn
from ecoloop.electricity.rules import HOLIDAY, MAKEUP, SUNDAY, Parameters

PER_DAY = 4  # four slots a day keep the hand-worked values short


def weeks_of(values_by_week: list[float], days: int = 7) -> np.ndarray:
    """One meter, a week per value, each day of the week at that value in every slot."""
    rows = [np.full(PER_DAY, v, dtype=np.float32) for v in values_by_week for _ in range(days)]
    return np.stack(rows)[None, :, :]


def profiles_of(weeks: int) -> np.ndarray:
    return np.tile(np.arange(7, dtype=np.int8), weeks)


def test_median_and_mad_of_the_same_weekday_and_slot() -> None:
    history = weeks_of([10, 12, 11, 50, 9])  # an outlier week (50) does not move the median
    baseline = learn(history, profiles_of(5), np.zeros((35, PER_DAY), bool), Parameters(weeks=5))
    assert baseline.level[0, 0, 0] == pytest.approx(11.0)
    # deviations 1, 1, 0, 39, 2 → MAD 1
    assert baseline.sigma[0, 0, 0] == pytest.approx(MAD_SCALE)
    assert baseline.samples[0, 0, 0] == 5


def test_an_even_count_takes_the_mean_of_the_middle_two() -> None:
    baseline = learn(weeks_of([10, 20, 30, 40]), profiles_of(4), np.zeros((28, PER_DAY), bool), Parameters(weeks=4))
    assert baseline.level[0, 3, 2] == pytest.approx(25.0)


def test_holidays_earlier_warnings_and_gaps_are_left_out() -> None:
    history = weeks_of([10, 10, 10, 10])
    profiles = profiles_of(4)
    history[0, 7, :] = 100  # week 2's Monday a holiday at 100
    profiles[7] = HOLIDAY
    history[0, 14, :2] = 100  # week 3's Monday's first two slots in an earlier warning
    excluded = np.zeros((28, PER_DAY), bool)
    excluded[14, :2] = True
    history[0, 21, 3] = np.nan  # a gap
    baseline = learn(history, profiles, excluded, Parameters(weeks=4, min_samples=2))
    assert baseline.level[0, 0].tolist() == [10.0, 10.0, 10.0, 10.0]
    assert baseline.samples[0, 0].tolist() == [2, 2, 3, 2]


def test_a_maintenance_day_is_left_out() -> None:
    history = weeks_of([10, 10, 10, 10])
    history[0, 0, :] = 0.5  # a Monday near zero: below 30 % of the median day
    baseline = learn(history, profiles_of(4), np.zeros((28, PER_DAY), bool), Parameters(weeks=4))
    assert baseline.samples[0, 0, 0] == 3
    assert baseline.level[0, 0, 0] == pytest.approx(10.0)


def test_too_few_samples_fall_back_to_all_weekdays() -> None:
    history = weeks_of([10, 10, 10])
    profiles = profiles_of(3)
    history[0, profiles == 2, :] = np.nan  # no Wednesday data at all
    history[0, 0::7, :] = 40  # Mondays at 40
    baseline = learn(history, profiles, np.zeros((21, PER_DAY), bool), Parameters(weeks=3, min_samples=3))
    assert baseline.level[0, 0, 0] == pytest.approx(40.0)
    assert baseline.level[0, 2, 0] == pytest.approx(10.0)  # the median over the 18 other days
    assert baseline.samples[0, 2, 0] == 18


def test_holidays_are_judged_as_sundays_and_make_up_days_as_working_days() -> None:
    history = weeks_of([10, 10, 10])
    profiles = profiles_of(3)
    history[0, profiles == SUNDAY, :] = 4
    history[0, profiles == 5, :] = 6
    baseline = learn(history, profiles, np.zeros((21, PER_DAY), bool), Parameters(weeks=3))
    assert baseline.level[0, HOLIDAY, 0] == pytest.approx(4.0)
    assert baseline.level[0, MAKEUP, 0] == pytest.approx(10.0)


def test_a_meter_without_history_learns_nothing() -> None:
    history = np.full((1, 14, PER_DAY), np.nan, dtype=np.float32)
    baseline = learn(history, profiles_of(2), np.zeros((14, PER_DAY), bool), Parameters(weeks=2, min_samples=1))
    assert np.isnan(baseline.level).all()
    assert (baseline.samples == 0).all()
