"""The plan of the demo city's cases as data (issue 6): the steps, rows, milestones, cases and batches that
`cases.plan_demo_cases` draws up and `case_loading.add_demo_cases` applies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from ecoloop.cases.enums import CaseSource, Category, MilestoneStatus, Severity

LOCAL = ZoneInfo("Asia/Shanghai")  # the demo bureau's time zone (the setting's default)


def at_local(day: date, hour: int, minute: int) -> datetime:
    """The bureau's local time on `day`."""
    return datetime.combine(day, time(hour, minute), LOCAL)


class Move(StrEnum):
    """A step of the demo's script: a workflow action, or something else done on a case."""

    ASSIGN = "assign"
    ACCEPT = "accept"
    RETURN = "return"
    EVIDENCE = "evidence"
    REPORT = "report"
    VERIFY = "verify"
    PASS = "pass"
    FAIL = "fail"
    MERGE = "merge"
    REOPEN = "reopen"
    EXTEND = "extend"
    SUPERVISE = "supervise"
    INTERVIEW = "interview"
    COMMENT = "comment"


@dataclass(frozen=True)
class StepPlan:
    """One step on a case: when (local time), what, by whom (username), and what it needs."""

    at: datetime
    move: Move
    who: str
    note: str = ""
    unit: str = ""  # organisation code (assign)
    co_units: tuple[str, ...] = ()
    deadline: date | None = None  # assign, extend, reopen
    into: str = ""  # key of the case a duplicate is merged into


@dataclass(frozen=True)
class RowPlan:
    """The 交办 sheet's cells of a batch case (units as organisation codes, the lead unit first)."""

    seq: int
    ref: str
    region: str
    category: str
    units: tuple[str, ...] = ()
    deadline: date | None = None
    investigation: str = ""
    finding: str = ""
    handling: str = ""
    accountable: str = ""


@dataclass(frozen=True)
class MilestonePlan:
    """A yearly target of a long-term case."""

    year: int
    target: str
    due: date
    status: MilestoneStatus
    done_on: date | None = None
    note: str = ""


@dataclass(frozen=True)
class CasePlan:
    """A case: what and where, who registers it when (batch cases: the batch's import), and its steps."""

    key: str
    source: CaseSource
    category: Category
    title: str
    description: str
    region: str  # region code
    registrar: str
    registered_at: datetime
    steps: tuple[StepPlan, ...]
    arc: str  # the path it is walked along (see `_walk`)
    enterprise: str | None = None  # credit code
    site: str | None = None
    severity: Severity = Severity.NORMAL
    batch: str | None = None  # batch code
    row: RowPlan | None = None
    long_term: bool = False
    leader: str = ""
    milestones: tuple[MilestonePlan, ...] = ()


@dataclass(frozen=True)
class BatchPlan:
    """A supervision batch handed down as a sheet and imported by `importer`."""

    code: str
    name: str
    source: CaseSource
    received_at: datetime
    deadline: date
    document: str
    importer: str
    title: str  # the sheet's title row


@dataclass
class DemoCases:
    """The plan: batches and cases (batch cases in sheet order)."""

    batches: list[BatchPlan] = field(default_factory=list)
    cases: list[CasePlan] = field(default_factory=list)
