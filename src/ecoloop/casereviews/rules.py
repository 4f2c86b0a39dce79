"""Case-file review rules (pure): the review standard (评查标准) with its items, sub-points and veto items, a
reviewer's score sheet, a file's score from its reviewers, its grade, who may review which file, the sample of files
and the reviewers' shares.

The default standard follows the review contents of the 环境行政处罚案卷评查指南 (Ministry of Environmental
Protection, 环办 [2012] 98号, §4: 主体合法, 事实清楚, 证据充分, 适用法律正确, 程序合法, 文书规范, 执行到位,
归档规范), grouped as the issue and the bureau's review plans name them: 立案, 执法主体, 执法程序, 法律适用,
违法事实认定, 文书规范, 案卷归档. Its veto items follow the guide's 实体评查 ("实体评查有一项不合格即为评查不及格",
the annex's wording as provincial review forms reproduce it [unverified]: the notice omits the annex) and what
makes a penalty void (行政处罚法, 2021 revision, 第三十八条). The points per item are the bureau's weighting, not
the guide's, configurable by version (`/case-reviews/standard`). The clauses cited per sub-point are of the
行政处罚法 (2021 revision)."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ecoloop.casereviews.enums import Grade
from ecoloop.i18n import N_

TOTAL = Decimal(100)
STEP = Decimal("0.5")  # deductions are whole or half points
TENTH = Decimal("0.1")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Point:
    """A sub-point of an item (评查要点) and the most a reviewer may deduct for it."""

    code: str  # unique within its item; the full code is `item.point`
    text: str
    max_deduction: Decimal


@dataclass(frozen=True)
class Item:
    """A review item (评查项目) with its maximum points; its deductions never take it below zero."""

    code: str
    name: str
    max_points: Decimal
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Veto:
    """A veto item (否决项): marked by a reviewer, it fails the file whatever its score."""

    code: str
    text: str


@dataclass(frozen=True)
class Standard:
    """A version of the review standard: items summing to 100 points, veto items, the grade marks and the gap
    between reviewers' totals beyond which a further reviewer is needed (0: never)."""

    items: tuple[Item, ...]
    vetoes: tuple[Veto, ...]
    excellent: Decimal = Decimal(90)
    pass_mark: Decimal = Decimal(70)
    spread: Decimal = Decimal(15)

    def point(self, full_code: str) -> tuple[Item, Point] | None:
        """The item and sub-point of a full code (`procedure.hearing`), or None."""
        item_code, _, point_code = full_code.partition(".")
        for item in self.items:
            if item.code == item_code:
                for point in item.points:
                    if point.code == point_code:
                        return item, point
        return None


def point_labels(standard: Standard) -> dict[str, str]:
    """What each full sub-point code and veto code says, as pages and the workbook name them."""
    labels = {f"{i.code}.{p.code}": f"{i.name} · {p.text}" for i in standard.items for p in i.points}
    return labels | {v.code: v.text for v in standard.vetoes}


def _p(code: str, text: str, most: int | str) -> Point:
    return Point(code, text, Decimal(most))


# The default standard (texts are catalog message ids: saved in the bureau's language as the first version).
DEFAULT_STANDARD = Standard(
    items=(
        Item(
            "filing",
            N_("Case filing"),
            Decimal(10),
            (
                # 行政处罚法 第五十四条第二款: a case is filed (立案) when the facts that call for a penalty are found.
                _p("timely", N_("Filing approved in time, within the prescribed period"), 5),
                _p("grounds", N_("Grounds for filing sufficient, the approval form complete and signed"), 5),
            ),
        ),
        Item(
            "subject",
            N_("Enforcement subject"),
            Decimal(10),
            (
                # 第四十二条: at least two officers with enforcement qualification; 第五十五条: show their papers.
                _p("two_officers", N_("At least two enforcement officers took part"), 4),
                _p("certified", N_("The officers hold valid enforcement certificates and showed them"), 3),
                _p("lawful", N_("The penalising authority is lawful and within its powers"), 3),
            ),
        ),
        Item(
            "procedure",
            N_("Enforcement procedure"),
            Decimal(25),
            (
                _p(
                    "evidence",
                    N_("Investigation and evidence gathering lawful, inspection and inquiry records proper"),
                    5,
                ),
                # 第四十四条, 第四十五条: the party told of the intended penalty and of the right to state and defend.
                _p("notice", N_("Prior notice of the penalty and of the right to state and defend given"), 5),
                # 第六十三条, 第六十四条: the hearing right told; a hearing held when asked within five days.
                _p("hearing", N_("Hearing right told, a hearing held when asked"), 5),
                # 第五十七条第二款, 第五十八条: serious cases collectively discussed, legal review before the decision.
                _p("collective", N_("Collective discussion and legal review of serious cases before the decision"), 5),
                # 第六十一条: the decision served on the spot or within seven days.
                _p("service", N_("Decision served lawfully and in time"), 3),
                # 第六十条: decided within ninety days of filing, unless extended with approval.
                _p("time_limit", N_("Steps in order and the decision within the legal time limit"), 2),
            ),
        ),
        Item(
            "law",
            N_("Application of law"),
            Decimal(20),
            (
                _p("violated", N_("The provision violated cited accurately"), 6),
                _p("basis", N_("The penalty provision cited accurately"), 6),
                # 第三十四条: the discretion benchmark applied.
                _p("discretion", N_("Discretion proper and consistent with the discretion benchmark"), 8),
            ),
        ),
        Item(
            "facts",
            N_("Finding of the facts"),
            Decimal(20),
            (
                # 第四十条: the facts of the violation are clear.
                _p("clear", N_("Facts clear: time, place, conduct and consequences"), 8),
                _p("evidence", N_("Evidence conclusive and sufficient, the chain complete"), 8),
                # 第四十六条: evidence is checked and lawfully obtained.
                _p("lawful_evidence", N_("Evidence lawfully obtained and checked"), 4),
            ),
        ),
        Item(
            "documents",
            N_("Documents and their form"),
            Decimal(10),
            (
                _p("complete", N_("Documents complete"), 4),
                _p("format", N_("Documents in the prescribed format"), 3),
                _p("wording", N_("Wording accurate, no errors"), 3),
            ),
        ),
        Item(
            "archive",
            N_("Filing of the case file"),
            Decimal(5),
            (
                _p("binding", N_("Bound in order with a table of contents"), 3),
                _p("timely", N_("Archived in time after closing"), 2),
            ),
        ),
    ),
    vetoes=(
        # 第三十八条第一款: a penalty by a subject without the standing of an administrative body is void.
        Veto("subject", N_("The enforcement subject is not lawful (no power, or beyond its powers)")),
        # 第四十条: no penalty where the facts are unclear.
        Veto("facts", N_("The main facts are unclear or the evidence insufficient")),
        # 第三十八条第一款: a penalty without a legal basis is void.
        Veto("law", N_("The law applied is wrong or there is no legal basis")),
        # 第三十八条第二款: a breach of procedure that is serious and obvious makes the penalty void.
        Veto("procedure", N_("A serious and obvious breach of the legal procedure")),
    ),
)


class StandardError(ValueError):
    """A standard that cannot be used; `code` is stable, `line` the text line (0: none)."""

    def __init__(self, code: str, line: int = 0) -> None:
        super().__init__(f"{code} (line {line})" if line else code)
        self.code = code
        self.line = line


def check_standard(standard: Standard) -> Standard:
    """`standard` if usable: codes well formed and unique, items summing to 100, each sub-point's deduction at most
    its item's points, in half points, marks 0 < pass ≤ excellent ≤ 100 (StandardError otherwise)."""
    if not standard.items:
        raise StandardError("no_items")
    codes = [item.code for item in standard.items]
    if len(set(codes)) != len(codes) or not all(CODE.match(c) for c in codes):
        raise StandardError("codes")
    if sum((item.max_points for item in standard.items), Decimal(0)) != TOTAL:
        raise StandardError("total")
    for item in standard.items:
        points = [p.code for p in item.points]
        if not item.points or len(set(points)) != len(points) or not all(CODE.match(c) for c in points):
            raise StandardError("codes")
        for point in item.points:
            if not 0 < point.max_deduction <= item.max_points or point.max_deduction % STEP:
                raise StandardError("deduction")
    vetoes = [v.code for v in standard.vetoes]
    if len(set(vetoes)) != len(vetoes) or not all(CODE.match(c) for c in vetoes):
        raise StandardError("codes")
    if not 0 < standard.pass_mark <= standard.excellent <= TOTAL or not 0 <= standard.spread <= TOTAL:
        raise StandardError("marks")
    return standard


def to_json(standard: Standard) -> dict[str, Any]:
    """The standard as stored (numbers as text, exact)."""
    return {
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "max_points": str(i.max_points),
                "points": [{"code": p.code, "text": p.text, "max_deduction": str(p.max_deduction)} for p in i.points],
            }
            for i in standard.items
        ],
        "vetoes": [{"code": v.code, "text": v.text} for v in standard.vetoes],
        "excellent": str(standard.excellent),
        "pass_mark": str(standard.pass_mark),
        "spread": str(standard.spread),
    }


def from_json(data: Mapping[str, Any]) -> Standard:
    """The standard of its stored form."""
    return Standard(
        items=tuple(
            Item(
                i["code"],
                i["name"],
                Decimal(i["max_points"]),
                tuple(Point(p["code"], p["text"], Decimal(p["max_deduction"])) for p in i["points"]),
            )
            for i in data["items"]
        ),
        vetoes=tuple(Veto(v["code"], v["text"]) for v in data["vetoes"]),
        excellent=Decimal(data["excellent"]),
        pass_mark=Decimal(data["pass_mark"]),
        spread=Decimal(data["spread"]),
    )


# --- the settings page's text form ---------------------------------------------------------------------------------
# One line each:  [item_code] Item name = 10   |   - point_code: Sub-point text = 5   |   ! veto_code: Veto text

_ITEM_LINE = re.compile(r"^\[([^\]]*)\]\s*(.+?)\s*=\s*([0-9.]+)$")
_POINT_LINE = re.compile(r"^-\s*([^:\s]*)\s*:\s*(.+?)\s*=\s*([0-9.]+)$")
_VETO_LINE = re.compile(r"^!\s*([^:\s]*)\s*:\s*(.+)$")


def as_text(standard: Standard) -> str:
    """The items, sub-points and veto items as the settings page edits them."""
    lines: list[str] = []
    for item in standard.items:
        lines.append(f"[{item.code}] {item.name} = {item.max_points}")
        lines.extend(f"- {p.code}: {p.text} = {p.max_deduction}" for p in item.points)
    lines.extend(f"! {v.code}: {v.text}" for v in standard.vetoes)
    return "\n".join(lines)


def parse_text(text: str, excellent: str, pass_mark: str, spread: str) -> Standard:
    """A standard from the settings page's text and marks, checked (StandardError with the line otherwise)."""
    items: list[Item] = []
    vetoes: list[Veto] = []
    try:
        marks = Decimal(excellent.strip()), Decimal(pass_mark.strip()), Decimal(spread.strip())
    except InvalidOperation:
        raise StandardError("marks") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if (m := _ITEM_LINE.match(line)) is not None:
            items.append(Item(m[1], m[2], _number(m[3], number), ()))
        elif (m := _POINT_LINE.match(line)) is not None and items:
            last = items[-1]
            point = Point(m[1], m[2], _number(m[3], number))
            items[-1] = Item(last.code, last.name, last.max_points, (*last.points, point))
        elif (m := _VETO_LINE.match(line)) is not None:
            vetoes.append(Veto(m[1], m[2].strip()))
        else:
            raise StandardError("line", number)
    return check_standard(Standard(tuple(items), tuple(vetoes), *marks))


def _number(text: str, line: int) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise StandardError("line", line) from None


# --- a reviewer's sheet ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deduction:
    """Points a reviewer deducts on one sub-point (full code `item.point`), with the reason."""

    point: str
    points: Decimal
    reason: str


@dataclass(frozen=True)
class SheetScore:
    """A reviewer's total (100 less the deductions, each item at least zero), per item, and the vetoes marked."""

    total: Decimal
    by_item: dict[str, Decimal]
    vetoes: frozenset[str]

    @property
    def vetoed(self) -> bool:
        return bool(self.vetoes)


class SheetError(ValueError):
    """A deduction or veto the standard does not allow; `code` is stable, `point` names it."""

    def __init__(self, code: str, point: str = "") -> None:
        super().__init__(f"{code}: {point}")
        self.code = code
        self.point = point


def score_sheet(
    standard: Standard, deductions: Sequence[Deduction], vetoes: Mapping[str, str] | None = None
) -> SheetScore:
    """A reviewer's score: each item's maximum less its sub-points' deductions, never below zero; a deduction is a
    positive number of half points up to its sub-point's maximum and carries its reason (the points are named to
    the unit when the file is returned); one deduction per sub-point. `vetoes` maps each veto item marked to its
    reason, which is required as well."""
    taken: dict[str, Decimal] = {item.code: Decimal(0) for item in standard.items}
    seen: set[str] = set()
    for d in deductions:
        found = standard.point(d.point)
        if found is None:
            raise SheetError("unknown", d.point)
        item, point = found
        if d.point in seen:
            raise SheetError("twice", d.point)
        seen.add(d.point)
        if not 0 < d.points <= point.max_deduction or d.points % STEP:
            raise SheetError("points", d.point)
        if not d.reason.strip():
            raise SheetError("reason", d.point)
        taken[item.code] += d.points
    marked = frozenset(vetoes or {})
    known = {v.code for v in standard.vetoes}
    if not marked <= known:
        raise SheetError("unknown", sorted(marked - known)[0])
    for code, reason in (vetoes or {}).items():
        if not reason.strip():
            raise SheetError("reason", code)
    by_item = {i.code: max(Decimal(0), i.max_points - taken[i.code]) for i in standard.items}
    return SheetScore(sum(by_item.values(), Decimal(0)), by_item, marked)


# --- a file from its reviewers ---------------------------------------------------------------------------------------


def mean(values: Sequence[Decimal]) -> Decimal:
    """The mean to one decimal place, halves rounded up."""
    return (sum(values, Decimal(0)) / len(values)).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Outcome:
    """What a file's submitted sheets make of it: still waiting (`score` None), disputed (a further reviewer
    needed), or final with its score, veto and grade."""

    score: Decimal | None
    vetoed: bool = False
    grade: Grade | None = None
    disputed: bool = False

    @property
    def final(self) -> bool:
        return self.grade is not None

    @property
    def fails(self) -> bool:
        return self.grade is Grade.FAIL


def grade(standard: Standard, score: Decimal, vetoed: bool) -> Grade:
    """优秀 at or above the excellent mark, 合格 at or above the pass mark, else 不合格; a veto fails the file."""
    if vetoed or score < standard.pass_mark:
        return Grade.FAIL
    return Grade.EXCELLENT if score >= standard.excellent else Grade.PASS


def file_outcome(standard: Standard, sheets: Sequence[SheetScore], required: int) -> Outcome:
    """The file's score once `required` reviewers have submitted: the mean of their totals. When two totals
    differ by more than the standard's spread, a further reviewer is needed; with three or more totals the
    score is the mean of the two closest (a tie: of all of them), as exam boards settle a third marking. Any
    reviewer's veto fails the file: a veto names a legal defect one reviewer is enough to find, and the unit answers
    it in the correction."""
    if len(sheets) < required or not sheets:
        return Outcome(None)
    totals = sorted(s.total for s in sheets)
    vetoed = any(s.vetoed for s in sheets)
    spread_exceeded = bool(standard.spread) and totals[-1] - totals[0] > standard.spread
    if spread_exceeded and len(totals) < max(required, 2) + 1:
        return Outcome(None, vetoed, disputed=True)
    if len(totals) >= 3 and spread_exceeded:
        gaps = [(totals[i + 1] - totals[i], i) for i in range(len(totals) - 1)]
        smallest = min(g for g, _ in gaps)
        closest = [i for g, i in gaps if g == smallest]
        score = mean(totals[closest[0] : closest[0] + 2]) if len(closest) == 1 else mean(totals)
    else:
        score = mean(totals)
    return Outcome(score, vetoed, grade(standard, score, vetoed))


@dataclass(frozen=True)
class Named:
    """One point named to the unit: a deduction (or veto) and every reason reviewers gave for it."""

    code: str
    points: Decimal  # the largest deduction any reviewer made on it (0 for a veto)
    reasons: tuple[str, ...]
    veto: bool = False


def points_named(sheets: Sequence[tuple[Sequence[Deduction], Mapping[str, str]]]) -> list[Named]:
    """The points a returned file names, from its reviewers' sheets (deductions, vetoes with their reasons): the
    vetoes first, then each sub-point any reviewer deducted on, in the order first met, each with every distinct
    reason and the largest deduction."""
    reasons: dict[str, list[str]] = {}
    most: dict[str, Decimal] = {}
    veto_reasons: dict[str, list[str]] = {}
    for deductions, vetoes in sheets:
        for code, reason in vetoes.items():
            _add(veto_reasons.setdefault(code, []), reason)
        for d in deductions:
            _add(reasons.setdefault(d.point, []), d.reason)
            most[d.point] = max(most.get(d.point, Decimal(0)), d.points)
    named = [Named(code, Decimal(0), tuple(veto_reasons[code]), veto=True) for code in sorted(veto_reasons)]
    named.extend(Named(code, most[code], tuple(reasons[code])) for code in reasons)
    return named


def _add(bucket: list[str], reason: str) -> None:
    if reason not in bucket:
        bucket.append(reason)


def frequent_deductions(counts: Mapping[str, int], top: int = 10) -> list[tuple[str, int]]:
    """The sub-points deducted most often, with their counts (ties by code)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


# --- who reviews which file ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reviewer:
    """A user who may review case files (REVIEW_CASE_FILES), by their organisation."""

    user_id: int
    organisation_id: int | None


@dataclass(frozen=True)
class FileParty:
    """What independence looks at in a file: its handling unit and its handling officers."""

    file_key: int
    unit_id: int
    officer_ids: frozenset[int] = field(default_factory=frozenset)


def independent(reviewer: Reviewer, file: FileParty) -> bool:
    """A reviewer never reviews a file of their own unit or a case they handled (回避)."""
    return reviewer.organisation_id != file.unit_id and reviewer.user_id not in file.officer_ids


def assign(
    files: Sequence[FileParty], reviewers: Sequence[Reviewer], per_file: int, load: Mapping[int, int] | None = None
) -> dict[int, tuple[int, ...]]:
    """Reviewers for each file: `per_file` independent reviewers, the least loaded first (ties by user id), so that
    the work spreads evenly; a file with too few independent reviewers gets those there are (the round's page
    shows it short)."""
    count = dict.fromkeys((r.user_id for r in reviewers), 0) | dict(load or {})
    chosen: dict[int, tuple[int, ...]] = {}
    for file in files:
        eligible = sorted((r for r in reviewers if independent(r, file)), key=lambda r: (count[r.user_id], r.user_id))
        picked = tuple(r.user_id for r in eligible[:per_file])
        for user_id in picked:
            count[user_id] += 1
        chosen[file.file_key] = picked
    return chosen


def sample(by_unit: Mapping[int, Sequence[int]], per_unit: int, seed: int) -> list[int]:
    """A sample of `per_unit` files of each unit (all of a unit with fewer), drawn reproducibly from `seed`
    (Python's Mersenne Twister over the unit's files in the given order); 0 takes every file."""
    picked: list[int] = []
    for unit in sorted(by_unit):
        files = list(by_unit[unit])
        if per_unit <= 0 or len(files) <= per_unit:
            picked.extend(files)
        else:
            picked.extend(random.Random(f"{seed}:{unit}").sample(files, per_unit))
    return picked
