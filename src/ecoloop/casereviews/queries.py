"""Reads of case-file review for its pages and the workbook, every one scoped (`casereviews.scope`): the rounds,
a round's files, the files waiting for me, the returned files, one file with its penalty case, and the scores per
unit and per officer by round and year with the most frequent deductions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.casereviews import rules
from ecoloop.casereviews.enums import EventKind, FileStatus, Grade, RoundStatus
from ecoloop.casereviews.models import ReviewDeduction, ReviewEvent, ReviewFile, ReviewRound, ReviewSheet
from ecoloop.casereviews.scope import PENDING
from ecoloop.enterprises.models import Enterprise
from ecoloop.identity.enums import OrgKind
from ecoloop.identity.models import Organisation, User
from ecoloop.penalties.models import PenaltyCase, PenaltyCaseOfficer


@dataclass(frozen=True)
class FileRow:
    """A reviewed file as lists show it: its penalty case's number and enterprise, its unit, its reviewers."""

    file: ReviewFile
    number: str
    enterprise: str
    unit: str
    reviewers: list[tuple[str, bool]]  # name, submitted


@dataclass(frozen=True)
class RoundRow:
    """A round with the counts of the files the reader sees."""

    round: ReviewRound
    files: int
    scored: int
    returned: int


def rounds(session: Session, principal: Principal) -> list[RoundRow]:
    """The rounds, newest first, with the reader's files in each."""
    counts = {
        round_id: (total, scored, returned)
        for round_id, total, scored, returned in session.execute(
            scoped(
                select(
                    ReviewFile.round_id,
                    func.count(),
                    func.count(ReviewFile.grade),
                    func.count().filter(ReviewFile.status == FileStatus.RETURNED),
                ).group_by(ReviewFile.round_id),
                principal,
                ReviewFile,
            )
        )
    }
    found = session.scalars(scoped(select(ReviewRound), principal, ReviewRound).order_by(ReviewRound.id.desc()))
    return [RoundRow(r, *counts.get(r.id, (0, 0, 0))) for r in found]


def get_round(session: Session, principal: Principal, round_id: int) -> ReviewRound | None:
    """One round, if the reader may see it."""
    return get_visible(session, principal, ReviewRound, round_id)


def get_file(session: Session, principal: Principal, file_id: int) -> ReviewFile | None:
    """One reviewed file, if the reader may see it."""
    return get_visible(session, principal, ReviewFile, file_id)


def _rows(session: Session, principal: Principal, files: list[ReviewFile]) -> list[FileRow]:
    if not files:
        return []
    cases = {
        c.id: (c.number or "", name)
        for c, name in session.execute(
            select(PenaltyCase, Enterprise.name)
            .join(Enterprise, Enterprise.id == PenaltyCase.enterprise_id)
            .where(PenaltyCase.id.in_({f.penalty_case_id for f in files}))
        )
    }
    units = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_({f.unit_id for f in files}))
        ).all()
    )
    visible_sheets = set(
        session.scalars(
            scoped(select(ReviewSheet.id).where(ReviewSheet.file_id.in_([f.id for f in files])), principal, ReviewSheet)
        )
    )
    reviewer_ids = {s.reviewer_id for f in files for s in f.sheets}
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(reviewer_ids))).all())
    return [
        FileRow(
            f,
            *cases[f.penalty_case_id],
            units.get(f.unit_id, ""),
            [(names.get(s.reviewer_id, ""), s.submitted_at is not None) for s in f.sheets if s.id in visible_sheets],
        )
        for f in files
    ]


def round_files(session: Session, principal: Principal, round_id: int) -> list[FileRow]:
    """The files of a round the reader sees, by unit and case."""
    stmt = select(ReviewFile).where(ReviewFile.round_id == round_id).order_by(ReviewFile.unit_id, ReviewFile.id)
    return _rows(session, principal, list(session.scalars(scoped(stmt, principal, ReviewFile))))


def to_score(session: Session, principal: Principal) -> list[FileRow]:
    """The files waiting for the reader's sheet (assigned, not yet submitted, the file still open)."""
    stmt = (
        select(ReviewFile)
        .join(ReviewSheet, ReviewSheet.file_id == ReviewFile.id)
        .join(ReviewRound, ReviewRound.id == ReviewFile.round_id)
        .where(
            ReviewSheet.reviewer_id == principal.user_id,
            ReviewSheet.submitted_at.is_(None),
            ReviewFile.status.in_(PENDING),
            ReviewRound.status == RoundStatus.OPEN,
        )
        .order_by(ReviewFile.id)
    )
    return _rows(session, principal, list(session.scalars(scoped(stmt, principal, ReviewFile))))


def in_status(session: Session, principal: Principal, status: FileStatus) -> list[FileRow]:
    """The reader's files in one status (returned: to correct; correction submitted: to judge)."""
    stmt = select(ReviewFile).where(ReviewFile.status == status).order_by(ReviewFile.id)
    return _rows(session, principal, list(session.scalars(scoped(stmt, principal, ReviewFile))))


@dataclass(frozen=True)
class CaseSummary:
    """The penalty case under review, as its scoring form shows it."""

    id: int
    number: str
    enterprise: str
    unit: str
    violation: str
    facts: str
    decided_on: str
    closed_on: str
    fine: Decimal | None
    officers: list[str]


def case_summary(session: Session, file: ReviewFile) -> CaseSummary:
    """The penalty case of a file the reader already sees (its reviewers and unit read the file in the review)."""
    case = session.get_one(PenaltyCase, file.penalty_case_id)
    enterprise = session.get_one(Enterprise, case.enterprise_id)
    unit = session.get_one(Organisation, file.unit_id)
    officers = session.scalars(
        select(User.display_name)
        .join(PenaltyCaseOfficer, PenaltyCaseOfficer.user_id == User.id)
        .where(PenaltyCaseOfficer.penalty_case_id == case.id)
        .order_by(PenaltyCaseOfficer.position)
    )
    return CaseSummary(
        case.id,
        case.number or "",
        enterprise.name,
        unit.name,
        case.violation_name,
        case.facts,
        case.decided_on.isoformat() if case.decided_on else "",
        case.closed_on.isoformat() if case.closed_on else "",
        case.fine_amount,
        list(officers),
    )


def handling_units(session: Session) -> list[Organisation]:
    """The active bureau and branches, the units whose files a round may choose, by code."""
    stmt = select(Organisation).where(
        Organisation.active.is_(True), Organisation.kind.in_([OrgKind.BUREAU, OrgKind.BRANCH])
    )
    return list(session.scalars(stmt.order_by(Organisation.code)))


def names(session: Session, user_ids: list[int]) -> dict[int, str]:
    """The display names of some users."""
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all())


def visible_sheets(session: Session, principal: Principal, file: ReviewFile) -> list[ReviewSheet]:
    """The file's sheets the reader may see (a unit: only once the score is final)."""
    stmt = select(ReviewSheet).where(ReviewSheet.file_id == file.id).order_by(ReviewSheet.id)
    return list(session.scalars(scoped(stmt, principal, ReviewSheet)))


def history(session: Session, file: ReviewFile) -> list[tuple[ReviewEvent, str]]:
    """The file's history with who did each step."""
    stmt = (
        select(ReviewEvent, User.display_name)
        .outerjoin(User, User.id == ReviewEvent.user_id)
        .where(ReviewEvent.file_id == file.id)
        .order_by(ReviewEvent.id)
    )
    return [(event, name or "") for event, name in session.execute(stmt)]


def last_return(session: Session, file: ReviewFile) -> ReviewEvent | None:
    """The latest return of the file, with the points it named."""
    stmt = select(ReviewEvent).where(ReviewEvent.file_id == file.id, ReviewEvent.kind == EventKind.RETURNED)
    return session.scalars(stmt.order_by(ReviewEvent.id.desc()).limit(1)).first()


# --- scores per unit and per officer ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """Scored files of one unit or officer: how many, their mean, by grade, vetoed, returned, corrected."""

    name: str
    unit: str = ""
    scores: list[Decimal] = field(default_factory=list)
    by_grade: dict[Grade, int] = field(default_factory=lambda: dict.fromkeys(Grade, 0))
    vetoed: int = 0
    returned: int = 0
    corrected: int = 0

    @property
    def files(self) -> int:
        return len(self.scores)

    @property
    def mean(self) -> Decimal | None:
        return rules.mean(self.scores) if self.scores else None

    def add(self, file: ReviewFile) -> None:
        assert file.score is not None and file.grade is not None  # only scored files are tallied
        self.scores.append(file.score)
        self.by_grade[file.grade] += 1
        self.vetoed += file.vetoed
        self.returned += file.returns > 0
        self.corrected += file.status is FileStatus.CORRECTED


@dataclass(frozen=True)
class Deducted:
    """A sub-point deducted on, how often (sheets) and how many points in all, with its item and text."""

    code: str
    item: str
    text: str
    times: int
    points: Decimal


@dataclass(frozen=True)
class Summary:
    """The review figures of a year (or of one round): the whole, per unit, per officer, the frequent deductions."""

    year: int
    rounds: list[ReviewRound]
    total: Tally
    units: list[Tally]
    officers: list[Tally]
    deductions: list[Deducted]
    waiting: int  # files of these rounds not yet scored


def summary(session: Session, principal: Principal, year: int, round_id: int | None = None, top: int = 10) -> Summary:
    """The scored files the reader sees of the year's rounds (or one round): per handling unit, per handling
    officer (each officer of a file counts its score), and the sub-points deducted most often."""
    round_stmt = scoped(select(ReviewRound).where(ReviewRound.year == year), principal, ReviewRound)
    if round_id is not None:
        round_stmt = round_stmt.where(ReviewRound.id == round_id)
    chosen = list(session.scalars(round_stmt.order_by(ReviewRound.id)))
    ids = [r.id for r in chosen]
    files = list(session.scalars(scoped(select(ReviewFile).where(ReviewFile.round_id.in_(ids)), principal, ReviewFile)))
    scored = [f for f in files if f.grade is not None]
    units = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    total = Tally("")
    per_unit: dict[int, Tally] = {}
    for f in scored:
        total.add(f)
        per_unit.setdefault(f.unit_id, Tally(units.get(f.unit_id, ""))).add(f)
    officers = _officers(session, scored, units)
    return Summary(
        year,
        chosen,
        total,
        sorted(per_unit.values(), key=lambda t: t.name),
        officers,
        _deductions(session, principal, chosen, [f.id for f in scored], top),
        len(files) - len(scored),
    )


def _officers(session: Session, scored: list[ReviewFile], units: dict[int, str]) -> list[Tally]:
    by_case: dict[int, list[ReviewFile]] = defaultdict(list)
    for f in scored:
        by_case[f.penalty_case_id].append(f)
    if not by_case:
        return []
    rows = session.execute(
        select(PenaltyCaseOfficer.penalty_case_id, User.id, User.display_name, User.organisation_id)
        .join(User, User.id == PenaltyCaseOfficer.user_id)
        .where(PenaltyCaseOfficer.penalty_case_id.in_(list(by_case)))
    )
    tallies: dict[int, Tally] = {}
    for case_id, user_id, name, org in rows:
        tally = tallies.setdefault(user_id, Tally(name, units.get(org, "") if org else ""))
        for f in by_case[case_id]:
            tally.add(f)
    return sorted(tallies.values(), key=lambda t: (t.unit, t.name))


def _deductions(
    session: Session, principal: Principal, chosen: list[ReviewRound], file_ids: list[int], top: int
) -> list[Deducted]:
    if not file_ids:
        return []
    stmt = (
        select(ReviewDeduction.point, func.count(), func.sum(ReviewDeduction.points))
        .join(ReviewSheet, ReviewSheet.id == ReviewDeduction.sheet_id)
        .where(ReviewSheet.file_id.in_(file_ids), ReviewSheet.submitted_at.is_not(None))
        .group_by(ReviewDeduction.point)
    )
    counted = {
        code: (times, Decimal(points)) for code, times, points in session.execute(scoped(stmt, principal, ReviewSheet))
    }
    texts: dict[str, tuple[str, str]] = {}
    for round_ in reversed(chosen):  # the newest round's wording first
        standard = rules.from_json(round_.standard.parameters)
        for item in standard.items:
            for point in item.points:
                texts.setdefault(f"{item.code}.{point.code}", (item.name, point.text))
    ranked = rules.frequent_deductions({code: times for code, (times, _) in counted.items()}, top)
    return [Deducted(code, *texts.get(code, ("", code)), times, counted[code][1]) for code, times in ranked]
