"""Case-file review, one transaction each: the standard's versions, a round and its files, the reviewers, a
reviewer's sheet, the file's score once its reviewers agree, and the correction cycle of a failed file (returned with
the points named → the unit's correction → accepted or returned again). Plain arguments, so that the demo and the
CLI call them as the pages do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ecoloop.access.actions import ALLOWED, Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.casereviews import rules
from ecoloop.casereviews.enums import Basis, EventKind, FileStatus, RoundStatus
from ecoloop.casereviews.models import (
    ReviewDeduction,
    ReviewEvent,
    ReviewFile,
    ReviewRound,
    ReviewSheet,
    ReviewStandard,
)
from ecoloop.i18n import DEFAULT_LOCALE, N_, gettext, use_locale
from ecoloop.identity.models import User
from ecoloop.penalties.enums import Stage
from ecoloop.penalties.models import PenaltyCase, PenaltyCaseOfficer

ERROR_MESSAGES = {
    "round_closed": N_("The round is closed."),
    "not_reviewer": N_("Only a reviewer of case files may do this."),
    "not_independent": N_("A reviewer never reviews a file of their own unit or a case they handled."),
    "already_assigned": N_("This reviewer already reviews the file."),
    "not_assigned": N_("You are not a reviewer of this file."),
    "not_open": N_("The file's score is final: its sheets can no longer change."),
    "not_returned": N_("Only a file returned for correction can be resubmitted."),
    "not_unit": N_("Only the handling unit corrects its file."),
    "not_resubmitted": N_("The file has no correction waiting."),
    "text_required": N_("Write what was corrected (or why it is returned again)."),
    "period": N_("The period's end is before its start."),
    "name": N_("The round needs a name."),
    "reviewers": N_("A file has 1 to 5 reviewers."),
    "year": N_("The year is between 2000 and 2100."),
    "not_penalty_case": N_("No such penalty case, or not yet decided."),
    "sheet_unknown": N_("The standard has no such sub-point or veto item."),
    "sheet_points": N_("A deduction is a positive number of whole or half points, at most the sub-point's maximum."),
    "sheet_reason": N_("Every deduction and every veto needs its reason."),
    "sheet_twice": N_("One deduction per sub-point."),
    "concurrent": N_("Someone else changed this file at the same time: open it again and repeat your step."),
}
# Stages at which a case file is complete enough to review (a decision was made).
DECIDED_STAGES = (Stage.DECIDED, Stage.SERVED, Stage.EXECUTING, Stage.CLOSED)
REVIEWER_ROLES = frozenset(role for role, actions in ALLOWED.items() if Action.REVIEW_CASE_FILES in actions)


class ReviewError(ValueError):
    """A review step that is refused; `code` is stable and `ERROR_MESSAGES` says it in words."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code} {detail}".strip())
        self.code = code
        self.detail = detail


def error_text(code: str) -> str:
    """The reason of a ReviewError in the user's language."""
    return gettext(ERROR_MESSAGES[code]) if code in ERROR_MESSAGES else code


# --- the standard ----------------------------------------------------------------------------------------------------


def default_standard() -> rules.Standard:
    """The built-in standard with its texts in the bureau's language (as its first saved version keeps them)."""
    base = rules.DEFAULT_STANDARD
    with use_locale(DEFAULT_LOCALE):
        items = tuple(
            replace(i, name=gettext(i.name), points=tuple(replace(p, text=gettext(p.text)) for p in i.points))
            for i in base.items
        )
        vetoes = tuple(replace(v, text=gettext(v.text)) for v in base.vetoes)
    return replace(base, items=items, vetoes=vetoes)


def newest_standard(session: Session) -> ReviewStandard | None:
    """The newest saved version of the standard, if any."""
    return session.scalars(select(ReviewStandard).order_by(ReviewStandard.version.desc()).limit(1)).first()


def save_standard(session: Session, standard: rules.Standard, by: str, now: datetime) -> ReviewStandard:
    """Keep a new version of the standard; rounds created from now on score by it, earlier ones keep theirs."""
    rules.check_standard(standard)
    last = session.scalar(select(func.max(ReviewStandard.version))) or 0
    row = ReviewStandard(version=last + 1, parameters=rules.to_json(standard), changed_at=now, changed_by=by)
    session.add(row)
    session.flush()
    return row


def versions(session: Session) -> list[ReviewStandard]:
    """The saved versions of the standard, newest first."""
    return list(session.scalars(select(ReviewStandard).order_by(ReviewStandard.version.desc()).limit(50)))


def standard_in_use(session: Session, by: str, now: datetime) -> ReviewStandard:
    """The newest version, the built-in standard saved as version 1 when none was saved yet."""
    return newest_standard(session) or save_standard(session, default_standard(), by, now)


def standard_of(row: ReviewStandard) -> rules.Standard:
    """A stored version as the rules use it."""
    return rules.from_json(row.parameters)


# --- rounds and their files ------------------------------------------------------------------------------------------


def decided_cases(
    session: Session, period_from: date, period_to: date, basis: Basis, unit_ids: Iterable[int] = ()
) -> list[PenaltyCase]:
    """The penalty cases closed (or decided) in the period, of the given units (all when none), by id."""
    day = PenaltyCase.closed_on if basis is Basis.CLOSED else PenaltyCase.decided_on
    stmt = select(PenaltyCase).where(day >= period_from, day <= period_to, PenaltyCase.stage.in_(DECIDED_STAGES))
    units = list(unit_ids)
    if units:
        stmt = stmt.where(PenaltyCase.organisation_id.in_(units))
    return list(session.scalars(stmt.order_by(PenaltyCase.id)))


def create_round(
    session: Session,
    *,
    name: str,
    year: int,
    period_from: date,
    period_to: date,
    by: User,
    now: datetime,
    basis: Basis = Basis.CLOSED,
    unit_ids: Sequence[int] = (),
    per_unit: int = 0,
    reviewers_per_file: int = 2,
    seed: int | None = None,
) -> ReviewRound:
    """A review round over the files of the period chosen by unit and sampled per unit (reproducibly from `seed`,
    kept with the round), scored by the newest standard, with `reviewers_per_file` independent reviewers each."""
    if not name.strip():
        raise ReviewError("name")
    if period_to < period_from:
        raise ReviewError("period")
    if not 1 <= reviewers_per_file <= 5:
        raise ReviewError("reviewers")
    if not 2000 <= year <= 2100:
        raise ReviewError("year")
    standard = standard_in_use(session, by.display_name, now)
    chosen_seed = seed if seed is not None else int(now.timestamp())
    round_ = ReviewRound(
        name=name.strip(),
        year=year,
        period_from=period_from,
        period_to=period_to,
        basis=basis,
        per_unit=max(0, per_unit),
        standard_id=standard.id,
        reviewers_per_file=reviewers_per_file,
        seed=chosen_seed,
        created_by_id=by.id,
    )
    session.add(round_)
    session.flush()
    by_unit: dict[int, list[int]] = {}
    cases = {c.id: c for c in decided_cases(session, period_from, period_to, basis, unit_ids)}
    for case in cases.values():
        by_unit.setdefault(case.organisation_id, []).append(case.id)
    add_files(session, round_, [cases[i] for i in rules.sample(by_unit, per_unit, chosen_seed)], by, now)
    return round_


def add_files(
    session: Session, round_: ReviewRound, cases: Iterable[PenaltyCase], by: User, now: datetime
) -> list[ReviewFile]:
    """Put penalty case files in the round by hand (a file already in it stays once) and give them reviewers."""
    _open(round_)
    present = set(session.scalars(select(ReviewFile.penalty_case_id).where(ReviewFile.round_id == round_.id)))
    added = []
    for case in cases:
        if case.id in present or case.stage not in DECIDED_STAGES:
            continue
        file = ReviewFile(round_id=round_.id, penalty_case_id=case.id, unit_id=case.organisation_id)
        file.region_id = case.region_id
        session.add(file)
        session.flush()
        _event(session, file, EventKind.SELECTED, by, now)
        added.append(file)
    assign_reviewers(session, round_, by, now)
    return added


def add_case_by_number(session: Session, round_: ReviewRound, number: str, by: User, now: datetime) -> ReviewFile:
    """Put one penalty case, given by its number (文号), in the round by hand."""
    case = session.scalars(select(PenaltyCase).where(PenaltyCase.number == number.strip())).first()
    if case is None or case.stage not in DECIDED_STAGES:
        raise ReviewError("not_penalty_case")
    add_files(session, round_, [case], by, now)
    return session.scalars(
        select(ReviewFile).where(ReviewFile.round_id == round_.id, ReviewFile.penalty_case_id == case.id)
    ).one()


def reviewers(session: Session) -> list[User]:
    """The active users who may review case files, by name."""
    stmt = select(User).where(User.active.is_(True), User.role.in_(sorted(REVIEWER_ROLES)))
    return list(session.scalars(stmt.order_by(User.display_name, User.id)))


def officer_ids(session: Session, penalty_case_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """The handling officers of each penalty case."""
    found: dict[int, set[int]] = {}
    ids = list(penalty_case_ids)
    if ids:
        rows = session.execute(
            select(PenaltyCaseOfficer.penalty_case_id, PenaltyCaseOfficer.user_id).where(
                PenaltyCaseOfficer.penalty_case_id.in_(ids)
            )
        )
        for case_id, user_id in rows:
            found.setdefault(case_id, set()).add(user_id)
    return {i: frozenset(found.get(i, ())) for i in ids}


def party(session: Session, file: ReviewFile) -> rules.FileParty:
    """What independence looks at in a file."""
    return rules.FileParty(file.id, file.unit_id, officer_ids(session, [file.penalty_case_id])[file.penalty_case_id])


def assign_reviewers(session: Session, round_: ReviewRound, by: User, now: datetime) -> int:
    """Give each file of the round that is short of reviewers independent ones, the least loaded of the round
    first; the number of reviewers added."""
    _open(round_)
    files = list(session.scalars(select(ReviewFile).where(ReviewFile.round_id == round_.id).order_by(ReviewFile.id)))
    officers = officer_ids(session, [f.penalty_case_id for f in files])
    pool = [rules.Reviewer(u.id, u.organisation_id) for u in reviewers(session)]
    load: dict[int, int] = {}
    for f in files:
        for s in f.sheets:
            load[s.reviewer_id] = load.get(s.reviewer_id, 0) + 1
    added = 0
    for f in files:
        if f.status not in (FileStatus.UNDER_REVIEW, FileStatus.DISPUTED):
            continue
        needed = round_.reviewers_per_file + (1 if f.status is FileStatus.DISPUTED else 0) - len(f.sheets)
        if needed <= 0:
            continue
        present = {s.reviewer_id for s in f.sheets}
        others = [r for r in pool if r.user_id not in present]
        picked = rules.assign([rules.FileParty(f.id, f.unit_id, officers[f.penalty_case_id])], others, needed, load)
        for user_id in picked[f.id]:
            _add_sheet(session, f, user_id, by, now)
            load[user_id] = load.get(user_id, 0) + 1
            added += 1
    return added


def add_reviewer(session: Session, file: ReviewFile, reviewer: User, by: User, now: datetime) -> ReviewSheet:
    """Assign one more reviewer to a file by hand (a third one when two disagree); independence is checked."""
    _open(file.round)
    if file.status not in (FileStatus.UNDER_REVIEW, FileStatus.DISPUTED):
        raise ReviewError("not_open")
    if reviewer.role not in REVIEWER_ROLES or not reviewer.active:
        raise ReviewError("not_reviewer")
    if any(s.reviewer_id == reviewer.id for s in file.sheets):
        raise ReviewError("already_assigned")
    if not rules.independent(rules.Reviewer(reviewer.id, reviewer.organisation_id), party(session, file)):
        raise ReviewError("not_independent")
    return _add_sheet(session, file, reviewer.id, by, now)


def _add_sheet(session: Session, file: ReviewFile, reviewer_id: int, by: User, now: datetime) -> ReviewSheet:
    sheet = ReviewSheet(file_id=file.id, reviewer_id=reviewer_id, assigned_at=now)
    file.sheets.append(sheet)
    session.flush()
    _event(session, file, EventKind.REVIEWER_ADDED, by, now, data={"reviewer_id": reviewer_id})
    return sheet


def close_round(session: Session, round_: ReviewRound) -> None:
    """Close a round: its sheets no longer change (corrections of returned files go on)."""
    round_.status = RoundStatus.CLOSED
    session.flush()


def _claim(session: Session, file: ReviewFile, now: datetime) -> None:
    """Take the file for this step: its row is updated first (UPDATE … WHERE version = seen), so a concurrent step
    on it (another reviewer's sheet, the unit's correction) makes this one fail rather than settle the file on what
    it read before."""
    file.updated_at = now
    try:
        session.flush()
    except StaleDataError:
        raise ReviewError("concurrent") from None


def _open(round_: ReviewRound) -> None:
    if round_.status is not RoundStatus.OPEN:
        raise ReviewError("round_closed")


# --- scoring ---------------------------------------------------------------------------------------------------------


def submit_sheet(
    session: Session,
    file: ReviewFile,
    reviewer: User,
    deductions: Sequence[rules.Deduction],
    vetoes: Mapping[str, str],
    now: datetime,
    comment: str = "",
) -> ReviewSheet:
    """A reviewer's sheet of a file, scored by the round's standard (it may be submitted again while the file is
    under review); then the file is settled: scored once its reviewers agree, returned when it fails."""
    _open(file.round)
    sheet = next((s for s in file.sheets if s.reviewer_id == reviewer.id), None)
    if sheet is None:
        raise ReviewError("not_assigned")
    if file.status not in (FileStatus.UNDER_REVIEW, FileStatus.DISPUTED):
        raise ReviewError("not_open")
    standard = standard_of(file.round.standard)
    try:
        scored = rules.score_sheet(standard, deductions, vetoes)
    except rules.SheetError as exc:
        raise ReviewError("sheet_" + exc.code, exc.point) from None
    _claim(session, file, now)
    sheet.deductions.clear()
    session.flush()
    sheet.deductions.extend(
        ReviewDeduction(point=d.point, points=d.points, reason=d.reason.strip()) for d in deductions
    )
    sheet.vetoes = {code: reason.strip() for code, reason in vetoes.items()}
    sheet.total = scored.total
    sheet.comment = comment.strip()
    sheet.submitted_at = now
    session.flush()
    _event(session, file, EventKind.SHEET_SUBMITTED, reviewer, now, data={"total": str(scored.total)})
    _settle(session, file, standard, reviewer, now)
    return sheet


def sheet_scores(standard: rules.Standard, file: ReviewFile) -> list[rules.SheetScore]:
    """The submitted sheets of a file as the rules score them."""
    return [rules.score_sheet(standard, _deductions(s), s.vetoes) for s in file.sheets if s.submitted_at is not None]


def _deductions(sheet: ReviewSheet) -> list[rules.Deduction]:
    return [rules.Deduction(d.point, d.points, d.reason) for d in sheet.deductions]


def _settle(session: Session, file: ReviewFile, standard: rules.Standard, by: User, now: datetime) -> None:
    outcome = rules.file_outcome(standard, sheet_scores(standard, file), file.round.reviewers_per_file)
    if outcome.disputed:
        if file.status is not FileStatus.DISPUTED:
            file.status = FileStatus.DISPUTED
            _event(session, file, EventKind.DISPUTED, by, now)
            assign_reviewers(session, file.round, by, now)
        return
    if not outcome.final or outcome.score is None or outcome.grade is None:
        return
    file.score, file.vetoed, file.grade, file.scored_at = outcome.score, outcome.vetoed, outcome.grade, now
    file.status = FileStatus.SCORED
    session.flush()
    _event(session, file, EventKind.SCORED, by, now, data={"score": str(outcome.score), "grade": outcome.grade.value})
    if outcome.fails:
        _return(session, file, by, now, "")


def named_points(file: ReviewFile) -> list[rules.Named]:
    """The points a failed file is returned with: every deduction and veto of its submitted sheets, with reasons."""
    return rules.points_named([(_deductions(s), s.vetoes) for s in file.sheets if s.submitted_at is not None])


def _named_json(named: Sequence[rules.Named]) -> list[dict[str, Any]]:
    return [{"code": n.code, "points": str(n.points), "reasons": list(n.reasons), "veto": n.veto} for n in named]


def _return(session: Session, file: ReviewFile, by: User, now: datetime, note: str) -> None:
    file.status = FileStatus.RETURNED
    file.returns += 1
    session.flush()
    data = {"points": _named_json(named_points(file)), "score": str(file.score), "vetoed": file.vetoed}
    _event(session, file, EventKind.RETURNED, by, now, note=note, data=data)


# --- the correction cycle --------------------------------------------------------------------------------------------


def resubmit(
    session: Session, file: ReviewFile, by: User, principal: Principal, correction: str, now: datetime
) -> None:
    """The handling unit's correction (整改说明) of a returned file, sent back to the reviewers."""
    if principal.organisation_id != file.unit_id or not allowed(principal, Action.HANDLE_PENALTIES):
        raise ReviewError("not_unit")
    if file.status is not FileStatus.RETURNED:
        raise ReviewError("not_returned")
    if not correction.strip():
        raise ReviewError("text_required")
    _claim(session, file, now)
    file.correction = correction.strip()
    file.status = FileStatus.RESUBMITTED
    session.flush()
    _event(session, file, EventKind.RESUBMITTED, by, now, note=file.correction)


def judge_correction(
    session: Session, file: ReviewFile, by: User, principal: Principal, accept: bool, note: str, now: datetime
) -> None:
    """A reviewer accepts the unit's correction, or returns the file again with what is still wrong."""
    if not allowed(principal, Action.REVIEW_CASE_FILES):
        raise ReviewError("not_reviewer")
    if file.status is not FileStatus.RESUBMITTED:
        raise ReviewError("not_resubmitted")
    if not rules.independent(rules.Reviewer(by.id, by.organisation_id), party(session, file)):
        raise ReviewError("not_independent")
    if not accept and not note.strip():
        raise ReviewError("text_required")
    _claim(session, file, now)
    if accept:
        file.status = FileStatus.CORRECTED
        session.flush()
        _event(session, file, EventKind.ACCEPTED, by, now, note=note.strip())
    else:
        _return(session, file, by, now, note.strip())


def _event(
    session: Session,
    file: ReviewFile,
    kind: EventKind,
    by: User | None,
    now: datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        ReviewEvent(file_id=file.id, kind=kind, at=now, user_id=by.id if by else None, note=note, data=data or {})
    )
    session.flush()


def parse_points(text: str) -> Decimal | None:
    """A number of points typed in the form, or None when it is empty or not a number."""
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        return None
    return value if value.is_finite() else None
