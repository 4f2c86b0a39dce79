"""The rules of an inspection (pure: values in, values out): which checklist applies to an enterprise's industry,
whether a record may be submitted, who may still submit, and when the inspection is complete.

The two-officer minimum: 《中华人民共和国行政处罚法》(2021) Art. 42 §1 ("执法人员不得少于两人"), and for random
checks 国办发[2015]58号 (双随机抽查: officers drawn at random, results published). Each officer confirms the record
on their own account, as each signs the 现场检查(勘察)笔录 (《生态环境行政处罚办法》, 生态环境部令第30号, 2023,
on the record of an on-site inspection [unverified: article number])"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ecoloop.i18n import N_
from ecoloop.inspections.enums import Answer, Conclusion

MIN_OFFICERS = 2
# A photo's capture time is believed between these bounds: a phone's clock that is wrong, or a crafted value (year
# 9999, beyond what the pages can show in local time), leaves the photo without a time rather than with a false one.
EARLIEST_CAPTURE = datetime(2000, 1, 1, tzinfo=UTC)
CAPTURE_AHEAD = timedelta(days=1)  # a phone's clock a little ahead of the server's
MAX_ITEMS = 60
MAX_NOTE = 500
MAX_FINDINGS = 4000
# A GB/T 4754-2017 industry prefix: the section letter alone, or the letter with up to 4 digits (C, C26, C2614).
_PREFIX = re.compile(r"^[A-T][0-9]{0,4}$")

# Why something is refused, by stable code (the pages and the field form's JSON show them in words).
MESSAGES = {
    "not_officer": N_("You are not one of the officers of this inspection."),
    "completed": N_("This inspection is completed and confirmed; it can no longer be changed."),
    "stale": N_(
        "The record was changed by another officer since you opened it. Check what you wrote (it is kept on this "
        "phone); submitting it again replaces their record."
    ),
    "answer_missing": N_("Answer every required item of the checklist."),
    "answer_invalid": N_("An answer names no item of this checklist."),
    "note_missing": N_("Write a note for every item that is not compliant."),
    "conclusion_missing": N_("Choose a conclusion."),
    "conclusion_contradicts": N_("Items are not compliant: the conclusion cannot be that no problem was found."),
    "photo_missing": N_("An on-site inspection needs at least one photo taken on site."),
    "officers_too_few": N_("An inspection needs at least two officers."),
    "officer_invalid": N_("An officer is not an enforcement officer of the bureau or a branch."),
    "prefix_invalid": N_("An industry code prefix is a GB/T 4754 section letter with up to four digits, e.g. C26."),
    "items_missing": N_("A checklist needs at least one item."),
    "items_too_many": N_("A checklist has at most 60 items."),
    "name_missing": N_("Give the name."),
    "no_checklist": N_("No checklist applies: add a general checklist first."),
    "period_invalid": N_("The period ends before it starts."),
    "enterprise_invalid": N_("The enterprise is not in your area."),
    "complaint_invalid": N_("No complaint of your area has this ticket code."),
    "no_finding": N_("Only an inspection that found problems can be put into the closed loop."),
    "already_case": N_("This inspection's findings are already a case."),
    "not_completed": N_("Only a completed inspection can be put into the closed loop."),
    "key_invalid": N_("The submission has no valid key; reload the page."),
    "draw_invalid": N_("The draw is not in your area or has no assignments."),
    "already_planned": N_("Inspections of this draw were already planned."),
    "photo_type": N_("Only JPEG, PNG and WebP photos are accepted."),
    "photo_size": N_("A photo may be at most 10 MB and 40 megapixels."),
    "photo_corrupt": N_("The photo could not be read. Please take it again."),
    "photos_too_many": N_("An inspection has at most 20 photos."),
    "date_invalid": N_("Write the date as YYYY-MM-DD."),
    "campaign_not_yours": N_("This campaign is run by a unit above yours; only it can change the campaign."),
}


FALLBACK = MESSAGES["key_invalid"]  # the reason shown for a code without a message of its own


def capture_time(taken_at: datetime | None, now: datetime) -> datetime | None:
    """When a photo was taken, in UTC, as the phone said; None when it said nothing, gave no offset, or a time
    outside 2000-01-01 .. `now` + 1 day (the photo itself is kept)."""
    if taken_at is None or taken_at.tzinfo is None:
        return None
    try:
        utc = taken_at.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 is beyond the last UTC instant
        return None
    return utc if EARLIEST_CAPTURE <= utc <= now + CAPTURE_AHEAD else None


@dataclass(frozen=True)
class Item:
    """One item of a checklist version: what is checked, the legal basis, and whether it must be answered."""

    key: str
    text: str
    basis: str = ""
    required: bool = True


@dataclass(frozen=True)
class Response:
    """An officer's answer to one item, with a note (required when not compliant)."""

    answer: Answer
    note: str = ""


@dataclass(frozen=True)
class Record:
    """What the officers write down: the answers by item key, the findings, the conclusion."""

    answers: Mapping[str, Response]
    findings: str
    conclusion: Conclusion | None


def items_from(stored: Sequence[Mapping[str, object]]) -> list[Item]:
    """The items of a checklist version as stored (a list of {key, text, basis, required})."""
    return [Item(str(i["key"]), str(i["text"]), str(i.get("basis", "")), bool(i.get("required", True))) for i in stored]


def parse_prefixes(text: str) -> tuple[str, ...] | None:
    """The industry prefixes written in `text` (separated by commas, spaces or 、), upper-cased, deduplicated and
    sorted; None when one is no GB/T 4754 prefix. No prefixes: the checklist is a general one."""
    parts = [p.strip().upper() for p in re.split(r"[,;\s\u3001\uff0c\uff1b]+", text) if p.strip()]
    if any(not _PREFIX.match(p) for p in parts):
        return None
    return tuple(sorted(set(parts)))


def specificity(prefixes: Sequence[str], industry_code: str | None) -> int | None:
    """How closely a checklist with `prefixes` fits an enterprise of `industry_code`: the length of the longest
    prefix the code starts with, 0 for a general checklist (no prefixes), None when it does not apply."""
    if not prefixes:
        return 0
    code = (industry_code or "").strip().upper()
    fits = [len(p) for p in prefixes if code.startswith(p)]
    return max(fits) if fits else None


def choose_checklist(candidates: Iterable[tuple[int, Sequence[str]]], industry_code: str | None) -> int | None:
    """The checklist (by id, of `(id, prefixes)`) for an enterprise of `industry_code`: the most specific that
    applies (an industry's over a section's over the general one), the lowest id among equals; None if none."""
    best: tuple[int, int] | None = None  # (-specificity, id)
    for ident, prefixes in candidates:
        fit = specificity(prefixes, industry_code)
        if fit is not None and (best is None or (-fit, ident) < best):
            best = (-fit, ident)
    return best[1] if best else None


def record_problems(items: Sequence[Item], record: Record, *, on_site: bool, photos: int) -> list[str]:
    """Why `record` cannot be submitted (codes of MESSAGES; empty when it can): every required item answered,
    a note for each non-compliant answer, a conclusion that does not deny a non-compliance, and on site at least
    one photo (a 非现场 check reviews data and documents and needs none)."""
    keys = {item.key for item in items}
    problems: list[str] = []
    if set(record.answers) - keys:
        problems.append("answer_invalid")
    if any(item.required and item.key not in record.answers for item in items):
        problems.append("answer_missing")
    if any(r.answer is Answer.NONCOMPLIANT and not r.note.strip() for r in record.answers.values()):
        problems.append("note_missing")
    if record.conclusion is None:
        problems.append("conclusion_missing")
    elif record.conclusion is Conclusion.NO_PROBLEM and has_findings(record):
        problems.append("conclusion_contradicts")
    if on_site and photos < 1:
        problems.append("photo_missing")
    return problems


def has_findings(record: Record) -> bool:
    """Whether the record shows a problem: a non-compliant item."""
    return any(r.answer is Answer.NONCOMPLIANT for r in record.answers.values())


def submission_refusal(
    *, officer: bool, completed: bool, seen_version: int, current_version: int, changes: bool
) -> str | None:
    """Why an officer's submission is refused (a code of MESSAGES), None when it is taken: only the inspection's
    own officers submit (`not_officer`), never to a completed one (`completed`), and a record written over a
    version older than the stored one is stale (`stale`) unless it changes nothing (a confirmation as it stands)."""
    if not officer:
        return "not_officer"
    if completed:
        return "completed"
    if changes and seen_version != current_version:
        return "stale"
    return None


def officers_problem(officer_ids: Sequence[int], eligible: Iterable[int]) -> str | None:
    """Why these officers cannot make an inspection: fewer than MIN_OFFICERS distinct, or one who is no officer."""
    distinct = set(officer_ids)
    if len(distinct) < MIN_OFFICERS:
        return "officers_too_few"
    if distinct - set(eligible):
        return "officer_invalid"
    return None


def is_complete(confirmed: Mapping[int, bool]) -> bool:
    """Whether every officer (by user id) confirmed, and there are at least MIN_OFFICERS of them."""
    return len(confirmed) >= MIN_OFFICERS and all(confirmed.values())
