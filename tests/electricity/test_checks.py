"""A warning's checks on hand-made windows: over the allowance (runs and shares), treatment off only while
production runs, missing data as its own flag, and the day profiles and grid the service lays readings on."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ecoloop.cases.workdays import WorkCalendar
from ecoloop.electricity.checks import MeterRole, allowed_level, check, longest_runs, served_production, verify
from ecoloop.electricity.enums import FlagKind, MeterTarget
from ecoloop.electricity.rules import HOLIDAY, MAKEUP, Grid, Parameters, day_profiles, dense, slot_mask

P = Parameters()
SLOTS = 16


def row(*values: float) -> np.ndarray:
    return np.array([values], dtype=np.float32)


def flat(value: float, slots: int = SLOTS) -> np.ndarray:
    return np.full((1, slots), value, dtype=np.float32)


@pytest.mark.parametrize(
    ("mask", "longest", "end"),
    [
        ([0, 1, 1, 0, 1, 1, 1, 0], 3, 7),
        ([1, 1, 0, 1, 1, 0, 0, 0], 2, 2),  # the first of two equal runs
        ([0, 0, 0], 0, 1),
        ([1, 1, 1], 3, 3),
    ],
)
def test_longest_runs(mask: list[int], longest: int, end: int) -> None:
    got_longest, got_end = longest_runs(np.array([mask], dtype=bool))
    assert (got_longest[0], got_end[0]) == (longest, end)


def test_allowed_level_keeps_the_residual_of_a_stopped_line_and_k_sigma() -> None:
    # stopped (0.0): 100 × 0.25 + 3 × 6 = 43; limited to 50 %: 100 × 0.5 + 3 × 5 (σ floored at 5 %) = 65
    got = allowed_level(row(100, 100), row(6, 2), row(0.0, 0.5), P)
    assert got.tolist() == [[43.0, 65.0]]


def production(load: np.ndarray, fraction: float, level: float = 100.0) -> list:
    return check(
        [MeterRole(1, MeterTarget.PRODUCTION, line_id=10)],
        load,
        flat(level, load.shape[1]),
        flat(2.0, load.shape[1]),
        flat(fraction, load.shape[1]),
        P,
    )


def test_a_compliant_stopped_line_at_its_residual_is_not_flagged() -> None:
    assert production(flat(30.0), 0.0) == []  # allowed 25 + 15 = 40


def test_a_run_of_an_hour_above_the_allowance_is_flagged() -> None:
    load = flat(30.0)
    load[0, 5:9] = 95.0  # four slots in a row above 40
    (flag,) = production(load, 0.0)
    assert (flag.kind, flag.first, flag.last, flag.found, flag.checked) == (FlagKind.OVER_ALLOWANCE, 5, 9, 4, 16)


def test_three_slots_in_a_row_are_not_enough_but_a_fifth_of_the_warning_is() -> None:
    load = flat(30.0)
    load[0, 2:5] = 95.0
    assert production(load, 0.0) == []
    load[0, [8, 11, 14]] = 95.0  # 6 scattered slots of 16 ≥ 20 %
    (flag,) = production(load, 0.0)
    assert flag.found == 6


def test_no_limit_is_no_production_check() -> None:
    assert production(flat(120.0), 1.0) == []


def test_slots_outside_the_warning_are_not_judged() -> None:
    load = flat(95.0)
    fraction = flat(0.0)
    fraction[0, :] = np.nan
    role = [MeterRole(1, MeterTarget.PRODUCTION)]
    assert check(role, load, flat(100.0), flat(2.0), fraction, P) == []


def test_a_silent_meter_under_the_warning_is_missing_data_never_compliant() -> None:
    load = flat(30.0)
    load[0, 4:12] = np.nan  # two hours
    (flag,) = production(load, 0.0)
    assert (flag.kind, flag.first, flag.last) == (FlagKind.MISSING_DATA, 4, 12)
    load[0, 11] = 30.0  # seven slots: under two hours
    assert production(load, 0.0) == []


def test_a_meter_without_a_baseline_is_missing_data() -> None:
    (flag,) = production(flat(30.0), 0.0, level=np.nan)
    assert flag.kind is FlagKind.MISSING_DATA


ROLES = [
    MeterRole(1, MeterTarget.PRODUCTION, line_id=10),
    MeterRole(1, MeterTarget.TREATMENT, line_id=11, serves_line_id=10),
]


def treatment(production_load: float, treatment_load: np.ndarray) -> list:
    load = np.concatenate([flat(production_load), treatment_load])
    level = np.concatenate([flat(100.0), flat(40.0)])
    return check(ROLES, load, level, flat(2.0).repeat(2, axis=0), flat(1.0).repeat(2, axis=0), P)


def test_treatment_off_while_production_runs_is_flagged() -> None:
    off = flat(40.0)
    off[0, 6:8] = 5.0  # under 30 % of 40 for two slots
    (flag,) = treatment(80.0, off)
    assert (flag.kind, flag.meter, flag.production, flag.first, flag.last) == (FlagKind.TREATMENT_OFF, 1, (0,), 6, 8)


def test_treatment_off_for_one_slot_or_while_production_stopped_is_not_flagged() -> None:
    off = flat(40.0)
    off[0, 6] = 5.0
    assert treatment(80.0, off) == []
    off[0, :] = 5.0
    assert treatment(30.0, off) == []  # production at 30 % of its baseline: not running (Zhuzhou, memo §4)


@pytest.mark.parametrize(
    ("roles", "served"),
    [
        (
            [
                MeterRole(1, MeterTarget.TREATMENT, serves_line_id=10),
                MeterRole(1, MeterTarget.PRODUCTION, line_id=10),
                MeterRole(1, MeterTarget.PRODUCTION, line_id=12),
            ],
            (1,),
        ),
        (
            [
                MeterRole(1, MeterTarget.TREATMENT),
                MeterRole(1, MeterTarget.PRODUCTION, line_id=10),
                MeterRole(2, MeterTarget.PRODUCTION, line_id=12),
            ],
            (1,),
        ),
        ([MeterRole(1, MeterTarget.TREATMENT, serves_line_id=99), MeterRole(1, MeterTarget.ENTERPRISE)], (1,)),
        ([MeterRole(1, MeterTarget.TREATMENT), MeterRole(2, MeterTarget.ENTERPRISE)], ()),
    ],
)
def test_the_production_a_treatment_facility_serves(roles: list[MeterRole], served: tuple[int, ...]) -> None:
    assert served_production(roles, 0) == served


def test_day_profiles_follow_the_working_day_calendar() -> None:
    days = [date(2026, 9, 25) + timedelta(days=i) for i in range(3)] + [date(2026, 10, 10)]
    # Mid-Autumn Friday is a holiday; Saturday, Sunday as they are; 10 October a make-up working Saturday
    assert day_profiles(days, WorkCalendar().is_workday).tolist() == [HOLIDAY, 5, 6, MAKEUP]


ZONE = ZoneInfo("Asia/Shanghai")


def test_grid_dense_and_slot_mask() -> None:
    grid = Grid(datetime(2026, 11, 1, tzinfo=ZONE), days=1)
    assert grid.index(datetime(2026, 11, 1, 0, 29, tzinfo=ZONE)) == 1
    series = dense(2, grid.slots, np.array([0, 1, 1, 5]), np.array([3, 3, 200, 1]), np.array([1.0, 2.0, 3.0, 4.0]))
    assert series[0, 3] == 1.0 and series[1, 3] == 2.0
    assert np.isnan(series).sum() == 2 * 96 - 2  # out-of-grid slot and meter left out
    mask = slot_mask(
        grid, [(datetime(2026, 11, 1, 0, 10, tzinfo=ZONE), datetime(2026, 11, 1, 1, 0, tzinfo=ZONE))], grid.start
    )
    assert np.flatnonzero(mask).tolist() == [1, 2, 3]  # slots starting at 00:15, 00:30, 00:45


def test_verify_learns_from_the_weeks_before_the_window() -> None:
    weeks, per_day = 2, 4
    days = weeks * 7 + 1
    series = np.full((1, days * per_day), 100.0, dtype=np.float32)
    series[0, -per_day:] = [30, 95, 95, 95]
    fraction = np.zeros((1, per_day), dtype=np.float32)
    outcome = verify(
        [MeterRole(1, MeterTarget.PRODUCTION)],
        series,
        per_day,
        np.tile(np.arange(7, dtype=np.int8), 3)[:days],
        np.zeros(days * per_day, dtype=bool),
        days - 1,
        fraction,
        Parameters(weeks=weeks, min_samples=2, min_run=3),
    )
    assert outcome.level.tolist() == [[100.0] * 4]
    assert [(f.kind, f.first, f.last) for f in outcome.flags] == [(FlagKind.OVER_ALLOWANCE, 1, 4)]
