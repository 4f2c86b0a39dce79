"""The control list's rules (pure)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from ecoloop.controls.enums import GuideIndustry, MeasureKind, Pollutant, TruckRule
from ecoloop.enterprises.enums import PerformanceGrade
from ecoloop.episodes.enums import WarningLevel
from ecoloop.episodes.rules import LevelPeriod, level_at


@dataclass(frozen=True, slots=True)
class Allowance:
    """What an enterprise may produce over a stretch of a warning, as its measures on the control list allow: the
    shape in which the electricity checks read the list. `fraction` is the share of its normal production load
    allowed, from 0.0 (stopped) to 1.0 (no limit), for the production line `line_id`
    (`enterprises.models.ProductionLine`) or, where None, for the enterprise's production as a whole; from
    `start` (inclusive) to `end` (exclusive), aware times. A staggered schedule (错时生产) gives one allowance per
    stretch of its hours. `entry_id` names the list entry it comes from (None: not from an entry)."""

    enterprise_id: int
    line_id: int | None
    start: datetime
    end: datetime
    fraction: float
    level: WarningLevel
    entry_id: int | None


# --- Measures -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """What the list asks of an enterprise at one warning level: the kind, its `percent` (for LIMIT the share of
    production cut, "限产20%"; for CAP the highest load allowed, "以热定产 ≤ 60 %"), the processes that stop (for
    STOP_LINES: names matched against the enterprise's production lines) and the transport rule."""

    kind: MeasureKind
    percent: int = 0
    processes: tuple[str, ...] = ()
    trucks: TruckRule = TruckRule.ANY

    @property
    def allowed(self) -> Decimal:
        """The share of normal load the enterprise as a whole may run at (its stopped processes apart): 1 where
        the measure sets no limit on production (self-determined, none, stopping named processes), 1 - percent/100
        for a cut, percent/100 for a cap, 0 for a stop."""
        if self.kind is MeasureKind.STOP:
            return Decimal(0)
        if self.kind is MeasureKind.LIMIT:
            return (Decimal(100) - self.percent) / 100
        if self.kind is MeasureKind.CAP:
            return Decimal(self.percent) / 100
        return Decimal(1)

    def stops(self, line_name: str) -> bool:
        """Whether the production line called `line_name` is one of the processes this measure stops (a name
        contains one of the measure's process names, e.g. "烧结" stops "1号烧结机")."""
        if self.kind is not MeasureKind.STOP_LINES:
            return False
        return any(process and process in line_name for process in self.processes)


MeasureKey = tuple[GuideIndustry, PerformanceGrade | None, WarningLevel]
LEVELS = (WarningLevel.YELLOW, WarningLevel.ORANGE, WarningLevel.RED)

# The guide's industries by GB/T 4754-2017 class (the longest matching prefix of an enterprise's industry code,
# without its section letter): how the list is generated from the enterprise registry (`guide_industry_of`). The
# guide names its industries in words (环办大气函 [2020] 340 号, 附件 目录); this correspondence is ecoloop's
# reading of them [unverified]; a list entry's industry can be changed by hand (e.g. a 3011 grinding plant).
GUIDE_CLASSES: Mapping[str, GuideIndustry] = {
    "311": GuideIndustry.STEEL,  # 炼铁
    "312": GuideIndustry.STEEL,  # 炼钢
    "313": GuideIndustry.STEEL,  # 钢压延加工
    "2521": GuideIndustry.COKING,  # 炼焦
    "3011": GuideIndustry.CEMENT_CLINKER,  # 水泥制造
    "3012": GuideIndustry.LIME,  # 石灰和石膏制造
    "3031": GuideIndustry.BRICK,  # 粘土砖瓦及建筑砌块制造
    "304": GuideIndustry.GLASS,  # 玻璃制造
    "307": GuideIndustry.CERAMICS,  # 陶瓷制品制造
    "339": GuideIndustry.FOUNDRY,  # 铸造及其他金属制品制造 (3391 黑色金属铸造, 3392 有色金属铸造)
    "21": GuideIndustry.COATING,  # 家具制造业 (涂装)
    "36": GuideIndustry.COATING,  # 汽车制造业 (涂装)
    "231": GuideIndustry.PRINTING,  # 印刷
    "26": GuideIndustry.CHEMICAL,  # 化学原料和化学制品制造业
    "4411": GuideIndustry.POWER,  # 火力发电
    "4412": GuideIndustry.POWER,  # 热电联产
    "443": GuideIndustry.POWER,  # 热力生产和供应
}


def guide_industry_of(industry_code: str | None) -> GuideIndustry | None:
    """The guide's industry of a GB/T 4754-2017 industry code ("C3011" or "3011"), by its longest matching class
    in GUIDE_CLASSES; None outside the guide's key industries."""
    digits = (industry_code or "").lstrip("ABCDEFGHIJKLMNOPQRST")
    for length in range(len(digits), 1, -1):
        found = GUIDE_CLASSES.get(digits[:length])
        if found is not None:
            return found
    return None


GRADES: tuple[PerformanceGrade | None, ...] = (
    PerformanceGrade.LEADING,
    PerformanceGrade.A,
    PerformanceGrade.B,
    PerformanceGrade.C,
    PerformanceGrade.D,
    None,
)
_SELF = Measure(MeasureKind.SELF)
_STOP_NO_ROAD = Measure(MeasureKind.STOP, trucks=TruckRule.NO_ROAD)


def _default_measures() -> dict[MeasureKey, Measure]:
    """The built-in measures, after the 2020 technical guide (环办大气函 [2020] 340 号) where the research memo
    (issue 20, §1) found its text, and the issue's defaults elsewhere; every one is a default the city changes on
    the measures page (`MeasureTemplate`). Sources per row in docs/controls.md."""
    out: dict[MeasureKey, Measure] = {}
    guo5 = TruckRule.GUO5
    # Every guide industry without a specific row below [unverified: the defaults and this design's
    # reading of "B 和 C 级企业按行业分别制定, D 级停产"]: B cuts 10/20/30 %, C 20/30/50 %, D cuts 30 % at yellow and
    # stops at orange and red; B and C stop 国四 heavy trucks, D all road transport.
    generic = {
        PerformanceGrade.B: (Measure(MeasureKind.LIMIT, 10, trucks=guo5), Measure(MeasureKind.LIMIT, 20, trucks=guo5),
                             Measure(MeasureKind.LIMIT, 30, trucks=guo5)),
        PerformanceGrade.C: (Measure(MeasureKind.LIMIT, 20, trucks=guo5), Measure(MeasureKind.LIMIT, 30, trucks=guo5),
                             Measure(MeasureKind.LIMIT, 50, trucks=guo5)),
        PerformanceGrade.D: (Measure(MeasureKind.LIMIT, 30, trucks=guo5), _STOP_NO_ROAD, _STOP_NO_ROAD),
    }  # fmt: skip
    # Cement clinker, 2020 guide [verified by the memo: B 黄色仅运输管控、橙色限产20%、红色停产; C 黄色停产50% (以生产线
    # 计)、橙色红色停产; D 黄色及以上停产、停止公路运输].
    clinker = {
        PerformanceGrade.B: (Measure(MeasureKind.NONE, trucks=guo5), Measure(MeasureKind.LIMIT, 20, trucks=guo5),
                             Measure(MeasureKind.STOP, trucks=guo5)),
        PerformanceGrade.C: (Measure(MeasureKind.LIMIT, 50, trucks=guo5), Measure(MeasureKind.STOP, trucks=guo5),
                             Measure(MeasureKind.STOP, trucks=guo5)),
        PerformanceGrade.D: (_STOP_NO_ROAD, _STOP_NO_ROAD, _STOP_NO_ROAD),
    }  # fmt: skip
    # Steel: sintering and pelletising stop at orange for B and C (Tangshan's Ⅱ级 response, a city plan quoted by
    # the memo §1) [unverified for the national guide and for the other levels].
    sinter = ("烧结", "球团")  # process names, matched against the enterprise's production lines
    steel = {
        PerformanceGrade.B: (Measure(MeasureKind.NONE, trucks=guo5), Measure(MeasureKind.STOP_LINES, 0, sinter, guo5),
                             Measure(MeasureKind.STOP_LINES, 0, sinter, guo5)),
        PerformanceGrade.C: (Measure(MeasureKind.STOP_LINES, 0, sinter, guo5),
                             Measure(MeasureKind.STOP_LINES, 0, sinter, guo5), Measure(MeasureKind.STOP, trucks=guo5)),
        PerformanceGrade.D: generic[PerformanceGrade.D],
    }  # fmt: skip
    # Foundry: B and C stop every process with air emissions at orange (Tangshan, memo §1) [unverified elsewhere].
    foundry = {
        PerformanceGrade.B: (generic[PerformanceGrade.B][0], Measure(MeasureKind.STOP, trucks=guo5),
                             Measure(MeasureKind.STOP, trucks=guo5)),
        PerformanceGrade.C: (generic[PerformanceGrade.C][0], Measure(MeasureKind.STOP, trucks=guo5),
                             Measure(MeasureKind.STOP, trucks=guo5)),
        PerformanceGrade.D: generic[PerformanceGrade.D],
    }  # fmt: skip
    specific = {GuideIndustry.CEMENT_CLINKER: clinker, GuideIndustry.STEEL: steel, GuideIndustry.FOUNDRY: foundry}
    for industry in GuideIndustry:
        rows = specific.get(industry, generic)
        for i, level in enumerate(LEVELS):
            # A and 引领性: "重污染天气预警期间实行自主减排" (memo §1, MEE answer 2023).
            out[(industry, PerformanceGrade.A, level)] = _SELF
            out[(industry, PerformanceGrade.LEADING, level)] = _SELF
            for grade, measures in rows.items():
                out[(industry, grade, level)] = measures[i]
            # Without a grade: a key industry's enterprise is managed as grade D ("未评级的按 D 级管控", a common
            # provincial rule) [unverified]; outside the key industries (一厂一策) the cut matches the share the
            # level requires (10/20/30 %) [unverified: this design].
            if industry is GuideIndustry.OTHER:
                out[(industry, None, level)] = Measure(MeasureKind.LIMIT, 10 * (i + 1), trucks=guo5)
            else:
                out[(industry, None, level)] = rows[PerformanceGrade.D][i]
    return out


DEFAULT_MEASURES: Mapping[MeasureKey, Measure] = _default_measures()


def measure_for(
    key: MeasureKey, templates: Mapping[MeasureKey, Measure], override: Measure | None = None
) -> tuple[Measure, MeasureSource]:
    """The measure of an enterprise of `key`'s industry and grade at its level, and where it comes from: the
    enterprise's own override wins, then the city's template, then the built-in default."""
    if override is not None:
        return override, MeasureSource.OVERRIDE
    if key in templates:
        return templates[key], MeasureSource.TEMPLATE
    return DEFAULT_MEASURES[key], MeasureSource.DEFAULT


class MeasureSource(StrEnum):
    """Where an enterprise's measure comes from."""

    DEFAULT = "default"
    TEMPLATE = "template"
    OVERRIDE = "override"


# --- Grades, membership and schedules over time ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatePeriod:
    """A value held from `start` to `end`, both inclusive (None: still held), as grades and list memberships are
    recorded."""

    start: date
    end: date | None

    def holds(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class GradePeriod:
    """An enterprise's performance grade over a period (`enterprises.models.GradeRecord`)."""

    grade: PerformanceGrade
    period: DatePeriod


def grade_on(grades: Iterable[GradePeriod], day: date) -> PerformanceGrade | None:
    """The grade an enterprise held on `day` (of overlapping records, the one that started last), or None."""
    held = [g for g in grades if g.period.holds(day)]
    return max(held, key=lambda g: g.period.start).grade if held else None


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of the local day in which a staggered enterprise may produce (错时生产): on the weekdays marked
    "1" in `weekdays` (Monday first), from `start_minute` to `end_minute` after midnight; an end at or before the
    start runs into the next day."""

    weekdays: str
    start_minute: int
    end_minute: int

    def on(self, day: date) -> bool:
        return self.weekdays[day.weekday()] == "1"

    @property
    def minutes(self) -> int:
        """The window's length in minutes."""
        return (self.end_minute - self.start_minute) % 1440 or 1440

    def stretch(self, day: date, tz: tzinfo) -> tuple[datetime, datetime]:
        """The window on `day` (which it starts on) as aware times."""
        start = datetime.combine(day, time(), tz) + timedelta(minutes=self.start_minute)
        return start, start + timedelta(minutes=self.minutes)


def producing_share(windows: Sequence[Window]) -> Decimal:
    """The share of a day a staggered enterprise produces on its fullest day (the least reduction its schedule
    gives: the reduction sums count a producing day, not an average over the week); 1 without windows."""
    if not windows:
        return Decimal(1)
    best = 0
    for weekday in range(7):
        marks = [0] * 1440
        for window in windows:
            if window.weekdays[weekday] != "1":
                continue
            for minute in range(window.start_minute, window.start_minute + window.minutes):
                marks[minute % 1440] = 1
        best = max(best, sum(marks))
    return Decimal(best) / 1440


# --- Allowances -----------------------------------------------------------------------------------------------

# A warning in force until further notice is read this far from its start.
OPEN_HORIZON = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Line:
    """One of an enterprise's active production lines."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class ListedEnterprise:
    """Everything the list knows of one enterprise on it, as plain values."""

    enterprise_id: int
    entry_id: int
    region_path: str
    industry: GuideIndustry
    listed: tuple[DatePeriod, ...]
    grades: tuple[GradePeriod, ...]
    overrides: Mapping[WarningLevel, Measure]
    windows: Mapping[WarningLevel, tuple[Window, ...]]
    lines: tuple[Line, ...] = ()

    def measure(
        self, level: WarningLevel, day: date, templates: Mapping[MeasureKey, Measure]
    ) -> tuple[Measure, MeasureSource]:
        """The enterprise's measure at `level` on `day` (its grade that day)."""
        key = (self.industry, grade_on(self.grades, day), level)
        return measure_for(key, templates, self.overrides.get(level))

    def stopped_lines(self, measure: Measure) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if measure.stops(line.name))


def allowances_of(
    listed: ListedEnterprise,
    periods: Iterable[LevelPeriod],
    templates: Mapping[MeasureKey, Measure],
    tz: tzinfo,
) -> list[Allowance]:
    """What the list allows `listed` to produce during the warning periods covering its region: at each moment
    the strictest level in force (`level_at`), the measure of its grade that local day (while it is on the list),
    an enterprise-wide allowance with the measure's share (0 outside its staggered windows at that level) and one
    allowance of 0 for each production line the measure stops; adjacent equal stretches are joined."""
    covering = [p for p in periods if listed.region_path.startswith(p.region_path)]
    if not covering:
        return []
    cuts: set[datetime] = set()
    for period in covering:
        cuts.add(period.start)
        cuts.add(period.end or period.start + OPEN_HORIZON)
    first, last = min(cuts), max(cuts)
    day = first.astimezone(tz).date()
    while (midnight := datetime.combine(day + timedelta(days=1), time(), tz)) < last:
        cuts.add(midnight)
        day += timedelta(days=1)
    out: list[Allowance] = []
    for start, end in pairwise(sorted(cuts)):
        held = level_at(covering, listed.region_path, start)
        local_day = start.astimezone(tz).date()
        if held is None or not any(p.holds(local_day) for p in listed.listed):
            continue
        measure, _ = listed.measure(held.level, local_day, templates)
        fraction = float(measure.allowed)
        for a, b, producing in _schedule(start, end, listed.windows.get(held.level, ()), tz):
            out.append(
                Allowance(listed.enterprise_id, None, a, b, fraction if producing else 0.0, held.level, listed.entry_id)
            )
        for line in listed.stopped_lines(measure):
            out.append(Allowance(listed.enterprise_id, line.id, start, end, 0.0, held.level, listed.entry_id))
    return _joined(out)


def _schedule(
    start: datetime, end: datetime, windows: Sequence[Window], tz: tzinfo
) -> list[tuple[datetime, datetime, bool]]:
    """[start, end) cut into stretches in and out of the windows (all in, without windows)."""
    if not windows:
        return [(start, end, True)]
    inside: list[tuple[datetime, datetime]] = []
    day = start.astimezone(tz).date() - timedelta(days=1)
    while datetime.combine(day, time(), tz) < end:
        for window in windows:
            if window.on(day):
                a, b = window.stretch(day, tz)
                a, b = max(a, start), min(b, end)
                if a < b:
                    inside.append((a, b))
        day += timedelta(days=1)
    out: list[tuple[datetime, datetime, bool]] = []
    at = start
    for a, b in sorted(inside):
        if b <= at:
            continue
        if a > at:
            out.append((at, a, False))
        out.append((max(a, at), b, True))
        at = b
    if at < end:
        out.append((at, end, False))
    return out


def _joined(allowances: list[Allowance]) -> list[Allowance]:
    """Allowances of the same line, share, level and entry that follow one another joined into one."""
    out: list[Allowance] = []
    for item in sorted(allowances, key=lambda a: (a.line_id is not None, a.line_id or 0, a.start)):
        last = out[-1] if out else None
        if (
            last is not None
            and (last.line_id, last.fraction, last.level, last.entry_id)
            == (item.line_id, item.fraction, item.level, item.entry_id)
            and last.end == item.start
        ):
            out[-1] = Allowance(
                last.enterprise_id, last.line_id, last.start, item.end, last.fraction, last.level, last.entry_id
            )
        else:
            out.append(item)
    return sorted(out, key=lambda a: (a.start, a.line_id is not None, a.line_id or 0))


# --- Reductions and shares ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Emission:
    """A normal day's emission of one pollutant (kg/d) of one production line, or of the enterprise's rest."""

    line_id: int | None
    pollutant: Pollutant
    kg_per_day: Decimal


def reduction(
    measure: Measure, emissions: Iterable[Emission], stopped: Collection[int], windows: Sequence[Window] = ()
) -> dict[Pollutant, Decimal]:
    """The emissions a measure saves per pollutant on a warning day (kg/d; memo §2: normal daily emission times the cut,
    summed over lines): a stopped line saves all of its emission, the rest saves its emission times (1 - allowed share
    times the share of the day it produces under its staggered windows). Self-determined and transport-only measures
    count nothing (what an enterprise cuts on its own is not known in advance)."""
    rest = Decimal(1) - measure.allowed * producing_share(windows)
    out = dict.fromkeys(Pollutant, Decimal(0))
    for row in emissions:
        cut = Decimal(1) if row.line_id is not None and row.line_id in stopped else rest
        out[row.pollutant] += row.kg_per_day * cut
    return out


def summed(per_enterprise: Iterable[Mapping[Pollutant, Decimal]]) -> dict[Pollutant, Decimal]:
    """Reductions added up per pollutant (a county's, or the city's)."""
    out = dict.fromkeys(Pollutant, Decimal(0))
    for item in per_enterprise:
        for pollutant, value in item.items():
            out[pollutant] += value
    return out


@dataclass(frozen=True, slots=True)
class RequiredShares:
    """The share of the whole-society emissions of SO2, NOx, PM and VOCs that the list must cut at each level:
    ≥ 10 % yellow, ≥ 20 % orange, ≥ 30 % red ("减排量分别达到全社会排放总量的10%、20%和30%以上", Tianjin's and
    Shandong's plans, memo §2; usually credited to 环办大气函 [2018] 875 号 [unverified attribution]); a city may set
    more (settings `control_share_*_percent`)."""

    yellow: Decimal = Decimal("0.10")
    orange: Decimal = Decimal("0.20")
    red: Decimal = Decimal("0.30")

    def at(self, level: WarningLevel) -> Decimal:
        return {WarningLevel.YELLOW: self.yellow, WarningLevel.ORANGE: self.orange, WarningLevel.RED: self.red}[level]


@dataclass(frozen=True, slots=True)
class ShareCheck:
    """One pollutant's reduction against the county's baseline at one level: the share (None without a baseline)
    and whether it reaches the required share (None: cannot be told)."""

    pollutant: Pollutant
    reduction: Decimal
    baseline: Decimal | None
    share: Decimal | None
    required: Decimal

    @property
    def met(self) -> bool | None:
        return None if self.share is None else self.share >= self.required


def check_shares(
    level: WarningLevel,
    reductions: Mapping[Pollutant, Decimal],
    baselines: Mapping[Pollutant, Decimal],
    required: RequiredShares,
) -> list[ShareCheck]:
    """Each pollutant's reduction as a share of the whole-society baseline (memo §2: share = Σ reductions /
    全社会排放总量, both kg/d) against the share `level` requires."""
    out = []
    for pollutant in Pollutant:
        value = reductions.get(pollutant, Decimal(0))
        base = baselines.get(pollutant)
        share = value / base if base else None
        out.append(ShareCheck(pollutant, value, base, share, required.at(level)))
    return out
