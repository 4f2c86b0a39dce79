"""The legal clock of a penalty case (pure): the time limits, how the days are counted, the periods that do not
count, and what is due or overdue on a given day.

Days are counted as the law counts them: calendar days (行政处罚法 第八十五条: "本法中'二日''三日''五日''七日'的
规定是指工作日, 不含法定节假日" — so the short limits of five and seven days, 第六十四条 and 第六十一条, are working
days [unverified: the 2021 text of 第八十五条], while the ninety days of 第六十条 and the fifteen of 第六十七条 are
calendar days); the day an event happens is not counted and a period of calendar days whose last day is a day off
ends on the next working day (民法典 第二百零一条, 第二百零三条; `cases.workdays.WorkCalendar.add_days`).

The limits (defaults, each configurable as a version valid from a day, `Limits`):
- 立案 within 15 days of discovery (生态环境行政处罚办法, 生态环境部令第30号, 2023, 第十八条: 十五日内决定是否
  立案, 特殊情况经负责人批准可延长十五日);
- the decision within 90 days of 立案 (行政处罚法 第六十条), extendable with a leader's approval by 30 days, and
  once more by at most 30 days when the leaders decide so collectively (生态环境行政处罚办法 第五十七条);
  听证、公告、监测(检测)、评估、鉴定、认定、送达 and a suspended investigation (中止, 第三十五条) are not counted
  (第五十七条 [unverified: the list's exact wording]);
- a hearing asked for within 5 days of 告知, the party told 7 days before the hearing (行政处罚法 第六十四条);
- the decision served within 7 days when the party was not present (行政处罚法 第六十一条);
- the fine paid within 15 days of receiving the decision (行政处罚法 第六十七条第三款); then 3 % of the fine a day
  is added, at most the fine itself (行政处罚法 第七十二条第一款第一项; 行政强制法 第四十五条).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from ecoloop.cases.workdays import WorkCalendar

CENT = Decimal("0.01")


class Unit(StrEnum):
    """How a time limit counts its days."""

    CALENDAR = "calendar"
    WORKING = "working"


@dataclass(frozen=True)
class Limits:
    """The penalty time limits and thresholds (stored as JSON, versioned by the day they apply from)."""

    register_days: int = 15  # 立案 after discovery (生态环境行政处罚办法 第十八条)
    decision_days: int = 90  # 行政处罚法 第六十条
    extension_days: int = 30  # each approved extension, two at most (生态环境行政处罚办法 第五十七条)
    statement_days: int = 5  # 陈述、申辩 after 告知 (the bureau's choice; the law fixes no number)
    hearing_request_days: int = 5  # 行政处罚法 第六十四条第一项
    hearing_notice_days: int = 7  # 行政处罚法 第六十四条第二项
    service_days: int = 7  # 行政处罚法 第六十一条
    short_unit: Unit = Unit.WORKING  # the unit of the 5- and 7-day limits (行政处罚法 第八十五条 [unverified])
    payment_days: int = 15  # 行政处罚法 第六十七条第三款
    late_fee_percent: Decimal = Decimal(3)  # a day, 行政处罚法 第七十二条第一款第一项
    hearing_fine_threshold: Decimal = Decimal(50_000)  # 较大数额罚款 (第六十三条; provinces set it [unverified])
    collective_fine_threshold: Decimal = Decimal(100_000)  # 集体讨论 from this fine (第五十七条第二款; bureau's)
    due_soon_days: int = 7  # the worklists' horizon
    number_prefix: str = ""  # before the year of the case number, e.g. the bureau's 环罚


class LimitsError(ValueError):
    """A setting out of its range; `code` is stable."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


_DAYS = (
    "register_days",
    "decision_days",
    "extension_days",
    "statement_days",
    "hearing_request_days",
    "hearing_notice_days",
    "service_days",
    "payment_days",
    "due_soon_days",
)
_AMOUNTS = ("late_fee_percent", "hearing_fine_threshold", "collective_fine_threshold")


def check_limits(parameters: dict[str, Any]) -> Limits:
    """The limits from their JSON, every value within its range (LimitsError otherwise)."""
    base = as_json(Limits())
    merged = {**base, **{k: v for k, v in parameters.items() if k in base}}
    try:
        values: dict[str, Any] = {name: int(str(merged[name]).strip()) for name in _DAYS}
        values.update({name: Decimal(str(merged[name]).strip()) for name in _AMOUNTS})
        values["short_unit"] = Unit(merged["short_unit"])
        values["number_prefix"] = str(merged["number_prefix"]).strip()
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise LimitsError("invalid") from exc
    limits = Limits(**values)
    if len(limits.number_prefix) > 20:
        raise LimitsError("prefix")
    if not all(1 <= values[name] <= 365 for name in _DAYS):
        raise LimitsError("days")
    if not (Decimal(0) < limits.late_fee_percent <= Decimal(10)):
        raise LimitsError("late_fee")
    if not (Decimal(0) <= limits.hearing_fine_threshold <= limits.collective_fine_threshold <= Decimal(10**9)):
        raise LimitsError("thresholds")
    return limits


def as_json(limits: Limits) -> dict[str, Any]:
    """The limits as JSON (amounts as text, so that no float rounds them)."""
    data = asdict(limits)
    return {f.name: str(data[f.name]) if f.name in _AMOUNTS else data[f.name] for f in fields(Limits)}


# --- counting -------------------------------------------------------------------------------------------------------


def period_end(calendar: WorkCalendar, start: date, days: int, unit: Unit = Unit.CALENDAR) -> date:
    """The last day of a period of `days` from `start` (not counted, 民法典 第二百零一条): working days, or calendar
    days ending on the next working day when the last is a day off (第二百零三条)."""
    lenient = WorkCalendar(calendar.overrides, assume_weekdays=True)
    if unit is Unit.WORKING:
        return lenient.add_workdays(start, days)
    return lenient.add_days(start, days)


@dataclass(frozen=True)
class Pause:
    """A period not counted towards the decision's limit: the days after `start` up to and including `end`
    (`end` None: still running)."""

    start: date
    end: date | None


def paused_days(pauses: Iterable[Pause], until: date) -> int:
    """Days not counted up to `until` (overlapping periods counted once)."""
    days: set[date] = set()
    for pause in pauses:
        last = min(pause.end, until) if pause.end is not None else until
        day = pause.start + timedelta(days=1)
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return len(days)


@dataclass(frozen=True)
class DecisionDue:
    """The last day for the decision; `paused`: a period not counted is running (the day moves on each day)."""

    day: date
    paused: bool
    paused_days: int


def decision_due(
    calendar: WorkCalendar,
    registered_on: date,
    limits: Limits,
    *,
    extended_days: int,
    pauses: Iterable[Pause],
    today: date,
) -> DecisionDue:
    """90 days after 立案 (行政处罚法 第六十条), plus the approved extensions and the days not counted (生态环境行政
    处罚办法 第五十七条); an open period counts as paused up to `today`."""
    pauses = list(pauses)
    paused = paused_days(pauses, today)
    days = limits.decision_days + extended_days + paused
    return DecisionDue(period_end(calendar, registered_on, days), any(p.end is None for p in pauses), paused)


def late_fee(fine: Decimal, payment_due: date, day: date, limits: Limits) -> Decimal:
    """加处罚款 on `day` for a fine due on `payment_due`: 3 % of the fine for each day after it, at most the fine
    (行政处罚法 第七十二条第一款第一项; 行政强制法 第四十五条第二款)."""
    late = (day - payment_due).days
    if late <= 0 or fine <= 0:
        return Decimal("0.00")
    fee = (fine * limits.late_fee_percent / Decimal(100) * late).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(fee, fine.quantize(CENT))


# --- what is due ----------------------------------------------------------------------------------------------------


class DueKind(StrEnum):
    """Which limit a day is the end of."""

    REGISTER = "register"  # 立案
    DECISION = "decision"  # 作出决定
    HEARING_REQUEST = "hearing_request"  # 申请听证
    STATEMENT = "statement"  # 陈述、申辩
    SERVICE = "service"  # 送达
    PAYMENT = "payment"  # 缴纳罚款


@dataclass(frozen=True)
class Due:
    """One limit of a case: its last day, days left on `today` (negative: overdue by that many), and whether
    the clock is paused."""

    kind: DueKind
    day: date
    days_left: int
    paused: bool = False

    @property
    def overdue(self) -> bool:
        return self.days_left < 0 and not self.paused


@dataclass(frozen=True)
class Dates:
    """What the clock needs of a case (plain values, read from the row by the service)."""

    stage: str
    discovered_on: date
    registered_on: date | None = None
    notified_on: date | None = None
    hearing_right: bool = False
    hearing_requested_on: date | None = None
    hearing_waived: bool = False
    statement_heard: bool = False
    decided_on: date | None = None
    served_on: date | None = None
    fine: Decimal | None = None
    paid_on: date | None = None
    extended_days: int = 0
    pauses: tuple[Pause, ...] = ()


def dues(calendar: WorkCalendar, dates: Dates, limits: Limits, today: date) -> list[Due]:
    """The limits running on `today` for a case at its stage, soonest first."""
    found: list[Due] = []

    def add(kind: DueKind, day: date, paused: bool = False) -> None:
        found.append(Due(kind, day, (day - today).days, paused))

    stage = dates.stage
    if stage == "proposed":
        add(DueKind.REGISTER, period_end(calendar, dates.discovered_on, limits.register_days))
    if stage in ("registered", "investigating", "notified", "hearing") and dates.registered_on is not None:
        due = decision_due(
            calendar,
            dates.registered_on,
            limits,
            extended_days=dates.extended_days,
            pauses=dates.pauses,
            today=today,
        )
        add(DueKind.DECISION, due.day, due.paused)
    if stage == "notified" and dates.notified_on is not None:
        # The party's windows are shown while they are open; once passed, nothing is overdue: the party let its
        # right lapse and the officers go on to the decision.
        window: tuple[DueKind, date] | None = None
        if dates.hearing_right and not dates.hearing_waived:
            window = (DueKind.HEARING_REQUEST, hearing_request_last_day(calendar, dates.notified_on, limits))
        elif not dates.statement_heard:
            window = (DueKind.STATEMENT, statement_last_day(calendar, dates.notified_on, limits))
        if window is not None and window[1] >= today:
            add(*window)
    if stage == "decided" and dates.decided_on is not None:
        add(DueKind.SERVICE, period_end(calendar, dates.decided_on, limits.service_days, limits.short_unit))
    if stage in ("served", "executing") and dates.served_on and dates.fine and dates.paid_on is None:
        add(DueKind.PAYMENT, payment_due(calendar, dates.served_on, limits))
    return sorted(found, key=lambda d: d.day)


def hearing_request_last_day(calendar: WorkCalendar, notified_on: date, limits: Limits) -> date:
    """The last day to ask for a hearing (行政处罚法 第六十四条第一项: 告知后五日内)."""
    return period_end(calendar, notified_on, limits.hearing_request_days, limits.short_unit)


def statement_last_day(calendar: WorkCalendar, notified_on: date, limits: Limits) -> date:
    """The last day for a statement and defence (陈述、申辩, 行政处罚法 第四十五条; the days are the bureau's)."""
    return period_end(calendar, notified_on, limits.statement_days, limits.short_unit)


def hearing_notice_latest(calendar: WorkCalendar, hearing_on: date, limits: Limits) -> date:
    """The last day the party may be told of a hearing on `hearing_on` (行政处罚法 第六十四条第二项: 七日前)."""
    if limits.short_unit is Unit.WORKING:
        day, left = hearing_on, limits.hearing_notice_days
        lenient = WorkCalendar(calendar.overrides, assume_weekdays=True)
        while left:
            day -= timedelta(days=1)
            if lenient.is_workday(day):
                left -= 1
        return day
    return hearing_on - timedelta(days=limits.hearing_notice_days)


def payment_due(calendar: WorkCalendar, served_on: date, limits: Limits) -> date:
    """The last day to pay the fine (行政处罚法 第六十七条第三款: 收到决定书之日起十五日内)."""
    return period_end(calendar, served_on, limits.payment_days)


def service_due(calendar: WorkCalendar, decided_on: date, limits: Limits) -> date:
    """The last day to serve the decision (行政处罚法 第六十一条: 七日内)."""
    return period_end(calendar, decided_on, limits.service_days, limits.short_unit)
