"""The discretion benchmark (自由裁量基准, pure): a table of violations with their statutory range, factors of the
circumstances with levels, and the conditions that lead to no penalty or a reduced one; from a violation and its
circumstances, the recommended amount and range with the reasons.

The formula (docs/penalties.md):
- each factor that applies to the violation has a weight w and the chosen level a score s in [0, 1]; the case's
  score is S = Σ w·s / Σ w (the factors not chosen count with their lowest level, 0);
- the recommended amount is A = min + (max - min) * S, rounded to the hundred yuan (half up) and kept within the
  range; the recommended range is A ± band * (max - min), each end rounded to the hundred yuan and kept within
  [min, max] (band 10 % by default);
- a violation fined as a share of a base (环境影响评价法 第三十一条: 建设项目总投资额百分之一以上百分之五以下) has
  its min and max in per cent of the base the officer enters;
- when a no-penalty condition is met (行政处罚法 第三十三条 and 第三十六条), the outcome is 不予处罚 with the reason;
  else when a reduction condition is met (行政处罚法 第三十二条: 应当从轻或者减轻), the outcome is 减轻处罚: the amount
  is min * the reduction ratio (50 % by default), the range from it up to 100 yuan below the statutory minimum.

The statutory ranges of the default table are cited from the laws as revised (大气污染防治法 2018, 水污染防治法 2017,
环境影响评价法 2018, 固体废物污染环境防治法 2020, 噪声污染防治法 2021, 排污许可管理条例 2021); those marked
[unverified] in `DEFAULT` could not be checked against the official text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ecoloop.identity.enums import Category
from ecoloop.penalties.enums import DecisionKind

MAX_BASE = Decimal(10) ** 12  # a trillion yuan: more is a typing error, and a fine's column holds 14 digits
HUNDRED = Decimal(100)
MAX_FINE = Decimal(10) ** 10


@dataclass(frozen=True)
class Level:
    """A level of a factor and its score (0: the lightest, 1: the heaviest)."""

    code: str
    name: str
    score: Decimal


@dataclass(frozen=True)
class Factor:
    """A circumstance weighed (情节), e.g. 超标倍数, with its weight and levels."""

    code: str
    name: str
    weight: Decimal
    levels: tuple[Level, ...]

    def level(self, code: str) -> Level | None:
        return next((level for level in self.levels if level.code == code), None)


@dataclass(frozen=True)
class Violation:
    """A violation (违法行为) of the table: the provision violated, the penalty provision and its range (yuan, or
    per cent of `base` when `base` names one), the factors that apply, the category of its problem."""

    code: str
    name: str
    category: str  # a cases.enums.Category value
    violated: str  # 违法条款
    basis: str  # 处罚依据
    minimum: Decimal
    maximum: Decimal
    factors: tuple[str, ...]
    base: str = ""  # e.g. 建设项目总投资额: min and max are per cent of it
    measures: str = ""  # what else the provision orders (责令改正、限制生产、停产整治…)


@dataclass(frozen=True)
class Condition:
    """A condition of no penalty (不予处罚) or of a reduced one (减轻处罚), with its clause; for `violations` only
    (empty: every violation)."""

    code: str
    text: str
    basis: str
    violations: tuple[str, ...] = ()

    def applies_to(self, violation: str) -> bool:
        return not self.violations or violation in self.violations


@dataclass(frozen=True)
class Benchmark:
    """The whole table (stored as JSON, versioned by the day it applies from)."""

    violations: tuple[Violation, ...]
    factors: tuple[Factor, ...]
    no_penalty: tuple[Condition, ...]
    reduced: tuple[Condition, ...]
    band: Decimal = Decimal("0.10")
    reduction_ratio: Decimal = Decimal("0.50")

    def violation(self, code: str) -> Violation | None:
        return next((v for v in self.violations if v.code == code), None)

    def factor(self, code: str) -> Factor | None:
        return next((f for f in self.factors if f.code == code), None)


@dataclass(frozen=True)
class Recommendation:
    """What the benchmark recommends: the outcome, the amount and range (yuan), the score, and the reasons in
    words (each factor's level, each matched condition with its clause)."""

    outcome: DecisionKind
    amount: Decimal
    low: Decimal
    high: Decimal
    statutory_min: Decimal
    statutory_max: Decimal
    score: Decimal
    reasons: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "amount": str(self.amount),
            "low": str(self.low),
            "high": str(self.high),
            "statutory_min": str(self.statutory_min),
            "statutory_max": str(self.statutory_max),
            "score": str(self.score),
            "reasons": list(self.reasons),
        }


class BenchmarkError(ValueError):
    """A table or an input the benchmark cannot use; `code` is stable."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def _hundreds(amount: Decimal) -> Decimal:
    return (amount / HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP) * HUNDRED


def recommend(
    benchmark: Benchmark,
    violation_code: str,
    levels: Mapping[str, str],
    *,
    conditions: tuple[str, ...] = (),
    base_amount: Decimal | None = None,
) -> Recommendation:
    """The benchmark's recommendation for a violation with the chosen level of each factor (`levels`: factor code →
    level code) and the matched no-penalty or reduction conditions (their codes)."""
    violation = benchmark.violation(violation_code)
    if violation is None:
        raise BenchmarkError("unknown_violation", violation_code)
    low_limit, high_limit = violation.minimum, violation.maximum
    if violation.base:
        # The base (a project's total investment …) within what a fine's column holds (Numeric(14, 2)).
        if base_amount is None or not Decimal(0) < base_amount <= MAX_BASE:
            raise BenchmarkError("base_missing", violation.base)
        low_limit = (base_amount * violation.minimum / HUNDRED).quantize(Decimal("0.01"))
        high_limit = (base_amount * violation.maximum / HUNDRED).quantize(Decimal("0.01"))
    reasons: list[str] = []
    weights = Decimal(0)
    weighted = Decimal(0)
    for code in violation.factors:
        factor = benchmark.factor(code)
        if factor is None:
            continue
        level = factor.level(levels.get(code, "")) if code in levels else None
        if code in levels and level is None:
            raise BenchmarkError("unknown_level", f"{code}={levels[code]}")
        weights += factor.weight
        if level is not None:
            weighted += factor.weight * level.score
            reasons.append(f"{factor.name}: {level.name}")
    score = (weighted / weights).quantize(Decimal("0.0001")) if weights else Decimal(0)
    span = high_limit - low_limit
    amount = min(max(_hundreds(low_limit + span * score), low_limit), high_limit)
    band = span * benchmark.band
    low, high = max(low_limit, _hundreds(amount - band)), min(high_limit, _hundreds(amount + band))
    matched_no = [c for c in benchmark.no_penalty if c.code in conditions and c.applies_to(violation.code)]
    matched_reduced = [c for c in benchmark.reduced if c.code in conditions and c.applies_to(violation.code)]
    unknown = set(conditions) - {c.code for c in (*benchmark.no_penalty, *benchmark.reduced)}
    if unknown:
        raise BenchmarkError("unknown_condition", ",".join(sorted(unknown)))
    if matched_no:
        reasons.extend(f"{c.text} ({c.basis})" for c in matched_no)
        zero = Decimal("0.00")
        return Recommendation(DecisionKind.NO_PENALTY, zero, zero, zero, low_limit, high_limit, score, tuple(reasons))
    if matched_reduced:
        reasons.extend(f"{c.text} ({c.basis})" for c in matched_reduced)
        reduced = _hundreds(low_limit * benchmark.reduction_ratio)
        # Below the statutory minimum (a fine of the minimum itself is not reduced, procedure refuses it): up to the
        # last hundred yuan under it.
        below = max(reduced, low_limit - HUNDRED)
        return Recommendation(
            DecisionKind.REDUCED, reduced, reduced, below, low_limit, high_limit, score, tuple(reasons)
        )
    return Recommendation(DecisionKind.PENALTY, amount, low, high, low_limit, high_limit, score, tuple(reasons))


# --- the table as JSON ----------------------------------------------------------------------------------------------


def _decimal(value: Any, code: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise BenchmarkError(code, str(value)) from exc
    if not number.is_finite():
        raise BenchmarkError(code, str(value))
    return number


def _text(item: Mapping[str, Any], key: str, *, required: bool = True, limit: int = 500) -> str:
    value = item.get(key, "")
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise BenchmarkError("text", key)
    return value.strip()


def _condition(item: Any) -> Condition:
    if not isinstance(item, Mapping):
        raise BenchmarkError("shape", "condition")
    violations = item.get("violations", [])
    if not isinstance(violations, list) or not all(isinstance(v, str) for v in violations):
        raise BenchmarkError("shape", "violations")
    return Condition(_text(item, "code", limit=32), _text(item, "text"), _text(item, "basis"), tuple(violations))


def check(table: Mapping[str, Any]) -> Benchmark:
    """The benchmark from its JSON, checked: unique codes, ranges with min ≤ max, weights and scores within
    bounds, factors known (BenchmarkError otherwise)."""
    try:
        factors = tuple(
            Factor(
                _text(f, "code", limit=32),
                _text(f, "name"),
                _decimal(f["weight"], "weight"),
                tuple(
                    Level(_text(lv, "code", limit=32), _text(lv, "name"), _decimal(lv["score"], "score"))
                    for lv in f["levels"]
                ),
            )
            for f in table["factors"]
        )
        violations = tuple(
            Violation(
                _text(v, "code", limit=32),
                _text(v, "name"),
                _text(v, "category", limit=32),
                _text(v, "violated"),
                _text(v, "basis"),
                _decimal(v["minimum"], "range"),
                _decimal(v["maximum"], "range"),
                tuple(str(code) for code in v.get("factors", [])),
                _text(v, "base", required=False, limit=100),
                _text(v, "measures", required=False),
            )
            for v in table["violations"]
        )
        no_penalty = tuple(_condition(c) for c in table.get("no_penalty", []))
        reduced = tuple(_condition(c) for c in table.get("reduced", []))
        band = _decimal(table.get("band", "0.10"), "band")
        ratio = _decimal(table.get("reduction_ratio", "0.50"), "ratio")
    except (KeyError, TypeError, AttributeError) as exc:
        raise BenchmarkError("shape", str(exc)) from exc
    benchmark = Benchmark(violations, factors, no_penalty, reduced, band, ratio)
    _validate(benchmark)
    return benchmark


def _validate(benchmark: Benchmark) -> None:
    if not benchmark.violations:
        raise BenchmarkError("empty")
    codes = [v.code for v in benchmark.violations]
    if len(set(codes)) != len(codes):
        raise BenchmarkError("duplicate", "violations")
    factor_codes = [f.code for f in benchmark.factors]
    if len(set(factor_codes)) != len(factor_codes):
        raise BenchmarkError("duplicate", "factors")
    condition_codes = [c.code for c in (*benchmark.no_penalty, *benchmark.reduced)]
    if len(set(condition_codes)) != len(condition_codes):
        raise BenchmarkError("duplicate", "conditions")
    for v in benchmark.violations:
        if v.category not in {c.value for c in Category}:
            raise BenchmarkError("category", v.code)
        if not (Decimal(0) <= v.minimum <= v.maximum <= MAX_FINE):
            raise BenchmarkError("range", v.code)
        if v.base and v.maximum > HUNDRED:
            raise BenchmarkError("range", v.code)
        missing = set(v.factors) - set(factor_codes)
        if missing:
            raise BenchmarkError("unknown_factor", ",".join(sorted(missing)))
    for f in benchmark.factors:
        if not (Decimal(0) < f.weight <= HUNDRED) or not f.levels:
            raise BenchmarkError("weight", f.code)
        if not all(Decimal(0) <= lv.score <= Decimal(1) for lv in f.levels):
            raise BenchmarkError("score", f.code)
        if len({lv.code for lv in f.levels}) != len(f.levels):
            raise BenchmarkError("duplicate", f.code)
    if not (Decimal(0) <= benchmark.band <= Decimal("0.5")) or not (
        Decimal(0) < benchmark.reduction_ratio < Decimal(1)
    ):
        raise BenchmarkError("band")


def as_json(benchmark: Benchmark) -> dict[str, Any]:
    """The benchmark as JSON (numbers as text, so that no float rounds them)."""
    return {
        "band": str(benchmark.band),
        "reduction_ratio": str(benchmark.reduction_ratio),
        "factors": [
            {
                "code": f.code,
                "name": f.name,
                "weight": str(f.weight),
                "levels": [{"code": lv.code, "name": lv.name, "score": str(lv.score)} for lv in f.levels],
            }
            for f in benchmark.factors
        ],
        "violations": [
            {
                "code": v.code,
                "name": v.name,
                "category": v.category,
                "violated": v.violated,
                "basis": v.basis,
                "minimum": str(v.minimum),
                "maximum": str(v.maximum),
                "factors": list(v.factors),
                "base": v.base,
                "measures": v.measures,
            }
            for v in benchmark.violations
        ],
        "no_penalty": [_condition_json(c) for c in benchmark.no_penalty],
        "reduced": [_condition_json(c) for c in benchmark.reduced],
    }


def _condition_json(c: Condition) -> dict[str, Any]:
    return {"code": c.code, "text": c.text, "basis": c.basis, "violations": list(c.violations)}
