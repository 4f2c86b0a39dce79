"""How a demo case is walked (issue 6): the places its texts name, the words filled into them, and the scripted
steps from assignment to closing along an arc (`walk`), which `cases._Planner` strings together."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ecoloop.demo.case_plans import Move, StepPlan, at_local
from ecoloop.demo.case_texts import (
    ACCEPT_NOTES,
    ESTATES,
    FAIL_REASONS,
    HILLS,
    PASS_NOTES,
    PROGRESS_NOTES,
    PROJECTS,
    REOPEN_REASONS,
    REPORT_NOTES,
    RIVERS,
    SHOPS,
    VERIFY_NOTES,
)
from ecoloop.demo.enterprises import ROADS

# --- places -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CasePlace:
    """A village or residents' community with its town and county; `village` as texts name it (下朱楼村, 花园社区)."""

    county_code: str
    county: str
    town_code: str
    town: str
    village_code: str
    village: str


def case_places(fixture: Mapping[str, Any]) -> list[CasePlace]:
    """The fixture's villages as places."""
    return [
        CasePlace(
            c["code"], c["name"], t["code"], t["name"], v["code"], v["name"].removesuffix("委会").removesuffix("居")
        )
        for c in fixture["city"]["counties"]
        for t in c["towns"]
        for v in t["villages"]
    ]


def case_words(rng: random.Random, place: CasePlace, enterprise: str = "") -> dict[str, str]:
    """Values for a text's placeholders."""
    return {
        "county": place.county,
        "town": place.town,
        "village": place.village,
        "ent": enterprise,
        "road": rng.choice(ROADS),
        "estate": rng.choice(ESTATES),
        "shop": rng.choice(SHOPS),
        "project": f"{rng.choice(PROJECTS)}项目",
        "river": rng.choice(RIVERS),
        "hill": rng.choice(HILLS),
        "n": str(rng.randint(2, 6)),
        "m": str(rng.randint(1, 3)),
        "k": str(rng.randint(1, 2)),
        "fine": rng.choice(("3", "5", "8.5", "10", "12", "20")),
        "ton": str(rng.randint(3, 60) * 10),
        "area": str(rng.randint(8, 90) * 100),
        "vol": str(rng.randint(5, 40) * 100),
        "km": str(rng.randint(12, 85) / 10),
    }


# --- scripts ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parties:
    """Who works a case: the lead unit (organisation code) and its user, the supervisor, who adds evidence."""

    unit: str
    unit_user: str
    supervisor: str
    evidence_by: str
    co_units: tuple[str, ...] = ()


class Script:
    """The steps of one case in working hours of days counted from `base`, each later than the one before."""

    def __init__(self, rng: random.Random, base: date, start: datetime) -> None:
        self.rng, self.base, self.last = rng, base, start
        self.steps: list[StepPlan] = []

    def add(self, day: int, move: Move, who: str, **fields: Any) -> None:
        at = at_local(self.base + timedelta(days=day), self.rng.randint(8, 17), self.rng.randint(0, 59))
        if at <= self.last:
            at = self.last + timedelta(minutes=self.rng.randint(5, 40))
        self.last = at
        self.steps.append(StepPlan(at, move, who, **fields))

    def pick(self, options: Sequence[str]) -> str:
        return self.rng.choice(options)


def report_steps(s: Script, p: Parties, day: int) -> None:
    """Evidence (by the enterprise where it has a demo user, else the unit), then the report, on `day`."""
    s.add(day, Move.EVIDENCE, p.evidence_by)
    s.add(day, Move.REPORT, p.unit_user, note=s.pick(REPORT_NOTES))


def verify_steps(s: Script, p: Parties, day: int, *, fails: int = 0, close: bool = True) -> int:
    """Report on `day`, verification (failing `fails` times first, each followed by a new report) and, with
    `close`, closure; returns the last day."""
    rng = s.rng
    for attempt in range(fails + 1):
        report_steps(s, p, day)
        day += rng.randint(2, 5)
        s.add(day, Move.VERIFY, p.supervisor, note=s.pick(VERIFY_NOTES))
        if attempt < fails:
            day += rng.randint(1, 3)
            s.add(day, Move.FAIL, p.supervisor, note=FAIL_REASONS[attempt % len(FAIL_REASONS)])
            day += rng.randint(10, 20)
        elif close:
            day += rng.randint(1, 3)
            s.add(day, Move.PASS, p.supervisor, note=s.pick(PASS_NOTES))
    return day


def walk(
    s: Script,
    arc: str,
    p: Parties,
    deadline: int,
    end: int,
    assign_at: int | None = None,
    return_note: str = "该问题不属本单位职责，请重新交办。",
) -> None:
    """Walk a case along `arc` to the state ARC_STATES names; days count from the script's base, `end` is
    today, `deadline` is the assignment's. `assign_at` is None when the batch import assigned the case."""
    rng = s.rng
    if assign_at is not None:
        due = s.base + timedelta(days=deadline)
        s.add(assign_at, Move.ASSIGN, p.supervisor, unit=p.unit, co_units=p.co_units, deadline=due)
    start = assign_at or 0
    if arc in ("registered", "assigned", "assigned_overdue", "assigned_recent"):
        return
    if arc == "returned":
        s.add(start + rng.randint(1, 2), Move.RETURN, p.unit_user, note=return_note)
        return
    accept = start + rng.randint(1, 3)
    s.add(accept, Move.ACCEPT, p.unit_user, note=s.pick(ACCEPT_NOTES))
    progress = accept + rng.randint(2, 6)
    if arc in ("closed", "reopened"):
        s.add(progress, Move.COMMENT, p.unit_user, note=s.pick(PROGRESS_NOTES))
        last = verify_steps(s, p, rng.randint(max(progress + 3, deadline - 25), deadline - 2))
        if arc == "reopened":
            reopen = max(last + 10, end - rng.randint(12, 25))
            new = s.base + timedelta(days=end + rng.randint(20, 45))
            s.add(reopen, Move.REOPEN, p.supervisor, note=s.pick(REOPEN_REASONS), deadline=new)
            s.add(reopen + rng.randint(2, 4), Move.COMMENT, p.unit_user, note=PROGRESS_NOTES[0])
    elif arc == "closed_false":
        verify_steps(s, p, progress + rng.randint(2, 6))
    elif arc == "closed_after_fail":
        verify_steps(s, p, progress + rng.randint(15, 30), fails=1)
    elif arc == "closed_late":
        s.add(progress, Move.COMMENT, p.unit_user, note=s.pick(PROGRESS_NOTES))
        verify_steps(s, p, deadline + rng.randint(4, 15))
    elif arc == "verifying":
        s.add(progress, Move.COMMENT, p.unit_user, note=s.pick(PROGRESS_NOTES))
        verify_steps(s, p, end - rng.randint(7, 10), close=False)
    elif arc == "reported":
        s.add(progress, Move.COMMENT, p.unit_user, note=s.pick(PROGRESS_NOTES))
        report_steps(s, p, end - rng.randint(1, 5))
    elif arc in ("rectifying", "overdue", "overdue_supervised"):
        s.add(progress, Move.COMMENT, p.unit_user, note=s.pick(PROGRESS_NOTES))
        if arc == "overdue_supervised":
            note = "该件逾期未完成整改，请责任单位主要负责同志亲自部署，10日内报送整改进展。"
            s.add(min(deadline + rng.randint(8, 15), end - 3), Move.SUPERVISE, "leader", note=note)
    elif arc == "extended":
        s.add(progress, Move.COMMENT, p.unit_user, note=s.pick(PROGRESS_NOTES))
        s.add(deadline - 4, Move.COMMENT, p.unit_user, note="整改工程涉及管网施工，受汛期影响无法按期完成，申请延期。")
        new = s.base + timedelta(days=end + rng.randint(20, 40))
        s.add(deadline - 2, Move.EXTEND, p.supervisor, note="经研究同意延期，请严格按新时限完成整改。", deadline=new)
    elif arc == "interview":
        day = progress + rng.randint(15, 25)
        for attempt in range(2):
            report_steps(s, p, day)
            day += rng.randint(2, 5)
            s.add(day, Move.VERIFY, p.supervisor, note=s.pick(VERIFY_NOTES))
            day += rng.randint(1, 3)
            s.add(day, Move.FAIL, p.supervisor, note=FAIL_REASONS[attempt])
            day += rng.randint(12, 20)
        held = day - rng.randint(2, 6)
        note = "市生态环境局约谈责任单位及企业主要负责同志，通报复核不通过情况，要求30日内整改到位。"
        s.add(held, Move.INTERVIEW, "leader", note=note)
        s.add(held + rng.randint(3, 6), Move.COMMENT, p.unit_user, note="已按约谈要求制定整改方案，倒排工期推进。")
    else:
        raise ValueError(f"unknown arc {arc}")
