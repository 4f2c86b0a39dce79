"""The pure rules of inspections: which checklist fits an industry, what a record needs, who may submit, when an
inspection is complete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ecoloop.inspections.enums import Answer, Conclusion
from ecoloop.inspections.rules import (
    Item,
    Record,
    Response,
    capture_time,
    choose_checklist,
    is_complete,
    officers_problem,
    parse_prefixes,
    record_problems,
    specificity,
    submission_refusal,
)

GENERAL, POWER, CHEMICAL, PESTICIDE, SECTION_C = 1, 2, 3, 4, 5
CANDIDATES = [(GENERAL, []), (POWER, ["D44"]), (CHEMICAL, ["C26"]), (PESTICIDE, ["C263"]), (SECTION_C, ["C"])]


@pytest.mark.parametrize(
    ("industry", "chosen"),
    [
        ("D4411", POWER),  # 火力发电: the power industry's list
        ("C2631", PESTICIDE),  # 化学农药制造: the most specific prefix wins over C26 and C
        ("C2614", CHEMICAL),  # 有机化学原料制造
        ("C3011", SECTION_C),  # 水泥制造: only the manufacturing section's list fits
        ("A0111", GENERAL),  # agriculture: no industry list, the general one
        (None, GENERAL),  # no industry code recorded
        ("d4411", POWER),  # written in lower case
    ],
)
def test_the_most_specific_checklist_is_chosen_for_an_industry(industry: str | None, chosen: int) -> None:
    assert choose_checklist(CANDIDATES, industry) == chosen


def test_no_checklist_without_a_general_one_for_an_unlisted_industry() -> None:
    assert choose_checklist([(POWER, ["D44"])], "C2614") is None


def test_equally_specific_checklists_are_chosen_by_lowest_id() -> None:
    assert choose_checklist([(9, ["D44"]), (7, ["D44"])], "D4411") == 7


@pytest.mark.parametrize(
    ("prefixes", "code", "fit"), [([], "C26", 0), (["C26", "C"], "C2614", 3), (["D44"], "C2614", None)]
)
def test_specificity(prefixes: list[str], code: str, fit: int | None) -> None:
    assert specificity(prefixes, code) == fit


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", ()),
        ("C26 d44", ("C26", "D44")),
        ("C26，D44、C26", ("C26", "D44")),
        ("C", ("C",)),
        ("C26145", None),  # five digits: no GB/T 4754 class
        ("26", None),  # no section letter
        ("Z1", None),  # no such section
    ],
)
def test_industry_prefixes_are_read_and_checked(text: str, parsed: tuple[str, ...] | None) -> None:
    assert parse_prefixes(text) == parsed


ITEMS = [Item("i1", "环评手续"), Item("i2", "排污许可"), Item("i3", "信息公开", required=False)]
OK = Response(Answer.COMPLIANT)


def record(answers: dict[str, Response], conclusion: Conclusion | None = Conclusion.NO_PROBLEM) -> Record:
    return Record(answers, "", conclusion)


@pytest.mark.parametrize(
    ("answers", "conclusion", "on_site", "photos", "problems"),
    [
        ({"i1": OK, "i2": OK}, Conclusion.NO_PROBLEM, True, 1, []),
        ({"i1": OK, "i2": OK}, Conclusion.NO_PROBLEM, False, 0, []),  # 非现场: no photo needed
        ({"i1": OK, "i2": OK}, Conclusion.NO_PROBLEM, True, 0, ["photo_missing"]),
        ({"i1": OK}, Conclusion.NO_PROBLEM, False, 0, ["answer_missing"]),
        ({"i1": OK, "i2": OK, "x9": OK}, Conclusion.NO_PROBLEM, False, 0, ["answer_invalid"]),
        ({"i1": OK, "i2": Response(Answer.NONCOMPLIANT)}, Conclusion.CORRECTED, False, 0, ["note_missing"]),
        (
            {"i1": OK, "i2": Response(Answer.NONCOMPLIANT, "许可证已过期")},
            Conclusion.NO_PROBLEM,
            False,
            0,
            ["conclusion_contradicts"],
        ),
        ({"i1": OK, "i2": Response(Answer.NONCOMPLIANT, "许可证已过期")}, Conclusion.VIOLATION, False, 0, []),
        ({"i1": OK, "i2": Response(Answer.NOT_APPLICABLE)}, None, False, 0, ["conclusion_missing"]),
    ],
)
def test_what_a_record_needs(
    answers: dict[str, Response], conclusion: Conclusion | None, on_site: bool, photos: int, problems: list[str]
) -> None:
    assert record_problems(ITEMS, record(answers, conclusion), on_site=on_site, photos=photos) == problems


@pytest.mark.parametrize(
    ("officer", "completed", "seen", "current", "changes", "refusal"),
    [
        (True, False, 3, 3, True, None),
        (False, False, 3, 3, True, "not_officer"),  # a foreign submission
        (True, True, 3, 3, False, "completed"),
        (True, False, 2, 3, True, "stale"),  # another officer changed the record meanwhile
        (True, False, 2, 3, False, None),  # confirming the record as it stands
    ],
)
def test_who_may_submit(
    officer: bool, completed: bool, seen: int, current: int, changes: bool, refusal: str | None
) -> None:
    assert (
        submission_refusal(
            officer=officer, completed=completed, seen_version=seen, current_version=current, changes=changes
        )
        == refusal
    )


@pytest.mark.parametrize(
    ("officers", "eligible", "problem"),
    [([1, 2], [1, 2, 3], None), ([1, 1], [1], "officers_too_few"), ([1], [1], "officers_too_few"),
     ([1, 9], [1, 2], "officer_invalid")],
)  # fmt: skip
def test_two_certified_officers_at_least(officers: list[int], eligible: list[int], problem: str | None) -> None:
    assert officers_problem(officers, eligible) == problem


@pytest.mark.parametrize(
    ("confirmed", "complete"),
    [
        ({1: True, 2: True}, True),
        ({1: True, 2: False}, False),
        ({1: True}, False),
        ({1: True, 2: True, 3: False}, False),
    ],
)
def test_complete_when_every_officer_confirmed(confirmed: dict[int, bool], complete: bool) -> None:
    assert is_complete(confirmed) is complete


def test_a_photos_capture_time_is_believed_only_within_reason() -> None:
    now = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    east8 = timezone(timedelta(hours=8))

    assert capture_time(datetime(2026, 12, 7, 9, 30, tzinfo=east8), now) == datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    assert capture_time(now + timedelta(hours=23), now) == now + timedelta(hours=23)  # a clock a little ahead
    assert capture_time(now + timedelta(days=2), now) is None
    assert capture_time(datetime(1999, 12, 31, tzinfo=UTC), now) is None
    assert capture_time(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))), now) is None
    assert capture_time(datetime(2026, 12, 7, 9, 30), now) is None  # noqa: DTZ001 -- no offset, on purpose
    assert capture_time(None, now) is None
