"""A warning's electricity checks (pure): production above what the control list allows, treatment facilities not
running while production runs (治污设施未运行), and meters without data, over a window of slots.

The rules are the research memo's suggested design (issue 20 research memo §4), [unverified], with configurable
parameters (`rules.Parameters`):
- allowed(t) = baseline(t) x max(fraction, residual) + k * sigma(t), sigma at least `sigma_floor` x baseline(t); a
  production (or whole-enterprise) meter is flagged when its load stays above allowed(t) for `min_run` slots in a
  row, or for `min_share` of the slots its allowance limits (fraction < 1). A stopped line still draws 20-25 % of
  its normal load (Weifang 2022, memo §4), hence `residual`.
- a treatment facility is flagged when the production it serves runs at ≥ `production_on` of its baseline while
  the facility draws < `treatment_off` of its own, for `treatment_run` slots in a row; production must be running,
  since a stopped factory's idle treatment is no offence (the Zhuzhou false positive, memo §4). The relation of
  production and treatment is the Hangzhou and Heze platforms' (memo §4).
- a meter without readings for `missing_run` slots in a row while its enterprise is under the warning is its own
  flag (数据缺失): a silent meter is never counted as compliant (Hefei's 联网异常 alarm, memo §4). A slot without a
  learned baseline cannot be judged and counts as missing too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ecoloop.electricity.baseline import Baseline, learn
from ecoloop.electricity.enums import FlagKind, MeterTarget
from ecoloop.electricity.rules import Parameters

Floats = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class MeterRole:
    """What one row of the arrays measures: its enterprise, production line, treatment facility or whole enterprise,
    the line (None: the whole enterprise) and, for a treatment facility, the production line it serves."""

    enterprise_id: int
    target: MeterTarget
    line_id: int | None = None
    serves_line_id: int | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    """One finding of the check: its kind, the meter's row (and, for treatment, the production rows it was judged
    against), the decisive run of slots [first, last) within the window, the slots found and the slots checked."""

    kind: FlagKind
    meter: int
    first: int
    last: int
    found: int
    checked: int
    production: tuple[int, ...] = ()


def allowed_level(level: Floats, sigma: Floats, fraction: Floats, params: Parameters) -> Floats:
    """allowed(t) = baseline(t) x max(fraction, residual) + k * sigma(t), sigma at least `sigma_floor` x baseline(t)."""
    spread = np.maximum(sigma, params.sigma_floor * level)
    with np.errstate(invalid="ignore"):
        out: Floats = (level * np.maximum(fraction, params.residual) + params.k * spread).astype(np.float32)
    return out


def longest_runs(mask: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Per row of a [rows, slots] mask: the length of its longest run of True and where that run ends
    (exclusive; the first such run)."""
    rows, slots = mask.shape
    if slots == 0:
        return np.zeros(rows, dtype=np.intp), np.zeros(rows, dtype=np.intp)
    position = np.arange(1, slots + 1)
    last_false = np.maximum.accumulate(np.where(mask, 0, position), axis=1)
    run = position - last_false
    end = run.argmax(axis=1)
    return run[np.arange(rows), end], end + 1


def check(
    roles: Sequence[MeterRole],
    load: Floats,
    level: Floats,
    sigma: Floats,
    fraction: Floats,
    params: Parameters,
) -> list[Flag]:
    """The flags of a window: `load`, `level`, `sigma` and `fraction` are [meters, slots]; `fraction` is the
    allowance of the meter's line or enterprise in force at each slot (NaN: not under a warning; 1.0: under the
    warning without a limit). Flags in the order: missing data, over the allowance, treatment off; by meter."""
    warned = ~np.isnan(fraction)
    judged = ~np.isnan(load) & ~np.isnan(level)
    flags = _missing(warned & ~judged, warned, params)
    production = np.array([role.target is not MeterTarget.TREATMENT for role in roles], dtype=bool)
    flags += _over(production, load, level, sigma, fraction, warned & judged, params)
    flags += _treatment(roles, load, level, warned & judged, params)
    return flags


def _missing(missing: NDArray[np.bool_], warned: NDArray[np.bool_], params: Parameters) -> list[Flag]:
    longest, end = longest_runs(missing)
    found, checked = missing.sum(axis=1), warned.sum(axis=1)
    return [
        Flag(FlagKind.MISSING_DATA, int(i), int(end[i] - longest[i]), int(end[i]), int(found[i]), int(checked[i]))
        for i in np.flatnonzero(longest >= params.missing_run)
    ]


def _over(
    production: NDArray[np.bool_],
    load: Floats,
    level: Floats,
    sigma: Floats,
    fraction: Floats,
    judged: NDArray[np.bool_],
    params: Parameters,
) -> list[Flag]:
    with np.errstate(invalid="ignore"):
        limited = judged & (fraction < 1.0) & production[:, None]
        over = limited & (load > allowed_level(level, sigma, fraction, params))
    longest, end = longest_runs(over)
    found, checked = over.sum(axis=1), limited.sum(axis=1)
    share = found / np.maximum(checked, 1)
    hit = (checked > 0) & ((longest >= params.min_run) | (share >= params.min_share))
    return [
        Flag(FlagKind.OVER_ALLOWANCE, int(i), int(end[i] - longest[i]), int(end[i]), int(found[i]), int(checked[i]))
        for i in np.flatnonzero(hit)
    ]


def served_production(roles: Sequence[MeterRole], treatment: int) -> tuple[int, ...]:
    """The rows of the production a treatment facility serves: its production line's meters; for a facility of the
    whole enterprise (or a line without a meter), the enterprise's production meters, else its whole-enterprise
    meters."""
    role = roles[treatment]
    same = [i for i, r in enumerate(roles) if r.enterprise_id == role.enterprise_id and i != treatment]
    if role.serves_line_id is not None:
        line = tuple(i for i in same if roles[i].line_id == role.serves_line_id)
        if line:
            return line
    lines = tuple(i for i in same if roles[i].target is MeterTarget.PRODUCTION)
    return lines or tuple(i for i in same if roles[i].target is MeterTarget.ENTERPRISE)


def _treatment(
    roles: Sequence[MeterRole], load: Floats, level: Floats, judged: NDArray[np.bool_], params: Parameters
) -> list[Flag]:
    flags = []
    for i, role in enumerate(roles):
        if role.target is not MeterTarget.TREATMENT:
            continue
        rows = served_production(roles, i)
        if not rows:
            continue
        both = judged[i] & judged[list(rows)].all(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            running = load[list(rows)].sum(axis=0) >= params.production_on * level[list(rows)].sum(axis=0)
            off = load[i] < params.treatment_off * level[i]
        mask = (both & running & off)[None, :]
        longest, end = longest_runs(mask)
        if longest[0] >= params.treatment_run:
            first = int(end[0] - longest[0])
            flags.append(
                Flag(FlagKind.TREATMENT_OFF, i, first, int(end[0]), int(mask.sum()), int(both.sum()), production=rows)
            )
    return flags


@dataclass(frozen=True)
class Outcome:
    """A check's result: the baseline learned, its level and spread over the window's slots, and the flags."""

    baseline: Baseline
    level: Floats
    sigma: Floats
    flags: list[Flag]


def verify(
    roles: Sequence[MeterRole],
    series: Floats,
    per_day: int,
    profiles: NDArray[np.int8],
    excluded: NDArray[np.bool_],
    first_day: int,
    fraction: Floats,
    params: Parameters,
) -> Outcome:
    """Learn the baseline from the `params.weeks` weeks before day `first_day` of `series` ([meters, days x
    per_day] kWh, NaN where none) and check the window from that day on (`fraction`: [meters, window slots]).
    `profiles` ([days]) and `excluded` ([days x per_day]: earlier warnings' slots) cover the whole series. The one
    path of the app's check (`electricity.service`) and of `bench/electricity.py`."""
    meters = series.shape[0]
    days = series.shape[1] // per_day
    begin = max(0, first_day - 7 * params.weeks)
    history = series[:, begin * per_day : first_day * per_day].reshape(meters, first_day - begin, per_day)
    learned = learn(
        history, profiles[begin:first_day], excluded[begin * per_day : first_day * per_day].reshape(-1, per_day), params
    )
    level, sigma = learned.over(profiles[first_day:days])
    window = series[:, first_day * per_day : days * per_day]
    return Outcome(learned, level, sigma, check(roles, window, level, sigma, fraction, params))
