"""The review rules worked by hand: the default standard, a sheet's total, a file's score from its reviewers, grades,
vetoes, independence, the reviewers' shares, the sample and the points named."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from ecoloop.casereviews.enums import Grade
from ecoloop.casereviews.rules import (
    DEFAULT_STANDARD,
    Deduction,
    FileParty,
    Item,
    Named,
    Point,
    Reviewer,
    SheetError,
    SheetScore,
    Standard,
    StandardError,
    as_text,
    assign,
    check_standard,
    file_outcome,
    frequent_deductions,
    from_json,
    grade,
    independent,
    parse_text,
    points_named,
    sample,
    score_sheet,
    to_json,
)

D = Decimal


def sheet(total: str, vetoes: tuple[str, ...] = ()) -> SheetScore:
    return SheetScore(D(total), {}, frozenset(vetoes))


def test_the_default_standard_has_the_seven_items_summing_to_100() -> None:
    check_standard(DEFAULT_STANDARD)
    assert [(i.code, i.max_points) for i in DEFAULT_STANDARD.items] == [
        ("filing", 10),
        ("subject", 10),
        ("procedure", 25),
        ("law", 20),
        ("facts", 20),
        ("documents", 10),
        ("archive", 5),
    ]
    assert [v.code for v in DEFAULT_STANDARD.vetoes] == ["subject", "facts", "law", "procedure"]
    assert (DEFAULT_STANDARD.excellent, DEFAULT_STANDARD.pass_mark, DEFAULT_STANDARD.spread) == (90, 70, 15)


def test_a_standard_survives_its_stored_form_and_its_text_form() -> None:
    assert from_json(to_json(DEFAULT_STANDARD)) == DEFAULT_STANDARD
    text = as_text(DEFAULT_STANDARD)
    assert text.splitlines()[0] == "[filing] Case filing = 10"
    assert parse_text(text, "90", "70", "15") == DEFAULT_STANDARD


@pytest.mark.parametrize(
    ("text", "marks", "code", "line"),
    [
        ("[a] A = 60\n- x: X = 5\n[b] B = 30\n- y: Y = 5", ("90", "70", "15"), "total", 0),  # 90 points, not 100
        ("[a] A = 100\n- x: X = 101", ("90", "70", "15"), "deduction", 0),  # more than the item
        ("[a] A = 100\n- x: X = 2.3", ("90", "70", "15"), "deduction", 0),  # not half points
        ("[a] A = 100\n- x: X = 5\n- x: Y = 5", ("90", "70", "15"), "codes", 0),  # the same sub-point twice
        ("[A b] A = 100\n- x: X = 5", ("90", "70", "15"), "codes", 0),  # not a code
        ("[a] A = 100", ("90", "70", "15"), "codes", 0),  # an item without sub-points
        ("[a] A = 100\n- x: X = 5\nsomething", ("90", "70", "15"), "line", 3),
        ("- x: X = 5", ("90", "70", "15"), "line", 1),  # a sub-point before any item
        ("[a] A = 100\n- x: X = 5", ("70", "90", "15"), "marks", 0),  # pass above excellent
        ("[a] A = 100\n- x: X = 5", ("90", "seventy", "15"), "marks", 0),
    ],
)
def test_a_standard_that_cannot_be_used_is_refused(
    text: str, marks: tuple[str, str, str], code: str, line: int
) -> None:
    with pytest.raises(StandardError) as refused:
        parse_text(text, *marks)
    assert (refused.value.code, refused.value.line) == (code, line)


def test_a_sheet_is_100_less_its_deductions_each_item_at_least_zero() -> None:
    small = Standard(
        (
            Item("a", "A", D(60), (Point("x", "X", D(40)), Point("y", "Y", D(30)))),
            Item("b", "B", D(40), (Point("z", "Z", D(10)),)),
        ),
        (),
    )
    scored = score_sheet(
        small,
        [Deduction("a.x", D(40), "r1"), Deduction("a.y", D(30), "r2"), Deduction("b.z", D("2.5"), "r3")],
    )
    # Item a: 60 - 70 → 0 (not -10); item b: 40 - 2.5 = 37.5.
    assert scored.by_item == {"a": D(0), "b": D("37.5")}
    assert scored.total == D("37.5")
    assert not scored.vetoed


def test_the_default_sheet_worked_by_hand() -> None:
    deductions = [
        Deduction("procedure.hearing", D(5), "听证权未告知"),
        Deduction("procedure.service", D("1.5"), "送达超过七日"),
        Deduction("documents.wording", D(1), "错别字"),
        Deduction("archive.binding", D(3), "无卷内目录"),
    ]
    scored = score_sheet(DEFAULT_STANDARD, deductions)
    # 100 - 5 - 1.5 - 1 - 3 = 89.5; procedure 25 - 6.5 = 18.5.
    assert scored.total == D("89.5")
    assert scored.by_item["procedure"] == D("18.5")
    assert scored.by_item["archive"] == D(2)


@pytest.mark.parametrize(
    ("deductions", "vetoes", "code", "point"),
    [
        ([Deduction("procedure.nothing", D(1), "r")], {}, "unknown", "procedure.nothing"),
        ([Deduction("procedure.hearing", D(6), "r")], {}, "points", "procedure.hearing"),  # at most 5
        ([Deduction("procedure.hearing", D(0), "r")], {}, "points", "procedure.hearing"),
        ([Deduction("procedure.hearing", D("0.3"), "r")], {}, "points", "procedure.hearing"),
        ([Deduction("procedure.hearing", D(1), "  ")], {}, "reason", "procedure.hearing"),
        ([Deduction("law.basis", D(1), "r"), Deduction("law.basis", D(1), "s")], {}, "twice", "law.basis"),
        ([], {"nonsense": "r"}, "unknown", "nonsense"),
        ([], {"subject": ""}, "reason", "subject"),
    ],
)
def test_a_deduction_the_standard_does_not_allow_is_refused(
    deductions: list[Deduction], vetoes: dict[str, str], code: str, point: str
) -> None:
    with pytest.raises(SheetError) as refused:
        score_sheet(DEFAULT_STANDARD, deductions, vetoes)
    assert (refused.value.code, refused.value.point) == (code, point)


@pytest.mark.parametrize(
    ("score", "vetoed", "expected"),
    [
        ("100", False, Grade.EXCELLENT),
        ("90", False, Grade.EXCELLENT),
        ("89.9", False, Grade.PASS),
        ("70", False, Grade.PASS),
        ("69.9", False, Grade.FAIL),
        ("98", True, Grade.FAIL),  # a veto fails the file whatever its score
    ],
)
def test_grades(score: str, vetoed: bool, expected: Grade) -> None:
    assert grade(DEFAULT_STANDARD, D(score), vetoed) is expected


@pytest.mark.parametrize(
    ("totals", "required", "score", "disputed"),
    [
        (["88"], 2, None, False),  # one of two reviewers
        (["88", "93"], 2, "90.5", False),  # the mean
        (["88", "93.5"], 2, "90.8", False),  # 90.75 rounded half up
        (["80", "95"], 2, "87.5", False),  # 15 apart: not more than the spread
        (["80", "95.5"], 2, None, True),  # 15.5 apart: a further reviewer
        (["80", "95.5", "93"], 2, "94.3", False),  # the two closest: 93 and 95.5 → 94.25 → 94.3
        (["70", "90", "80"], 2, "80.0", False),  # equally close: the mean of all three
        (["60", "90"], 1, None, True),  # even with one required, two far apart wait for a third
        (["77"], 1, "77.0", False),
    ],
)
def test_a_file_s_score_from_its_reviewers(totals: list[str], required: int, score: str | None, disputed: bool) -> None:
    outcome = file_outcome(DEFAULT_STANDARD, [sheet(t) for t in totals], required)
    assert outcome.score == (None if score is None else D(score))
    assert outcome.disputed is disputed
    assert outcome.final is (score is not None)


def test_one_reviewer_s_veto_fails_the_file() -> None:
    outcome = file_outcome(DEFAULT_STANDARD, [sheet("95"), sheet("96", ("subject",))], 2)
    assert (outcome.score, outcome.vetoed, outcome.grade, outcome.fails) == (D("95.5"), True, Grade.FAIL, True)


def test_no_spread_rule_when_the_spread_is_zero() -> None:
    standard = Standard(DEFAULT_STANDARD.items, (), spread=D(0))
    assert file_outcome(standard, [sheet("40"), sheet("100")], 2).score == D(70)


def test_a_reviewer_never_reviews_their_own_unit_or_a_case_they_handled() -> None:
    file = FileParty(1, unit_id=10, officer_ids=frozenset({5, 6}))
    assert independent(Reviewer(1, 20), file)
    assert not independent(Reviewer(2, 10), file)  # same unit
    assert not independent(Reviewer(5, 20), file)  # handled it (seconded to another unit since)


def test_reviewers_are_shared_evenly_among_independent_ones() -> None:
    files = [FileParty(1, 10, frozenset({3})), FileParty(2, 20), FileParty(3, 10)]
    reviewers = [Reviewer(1, 10), Reviewer(2, 20), Reviewer(3, 30), Reviewer(4, 30)]
    chosen = assign(files, reviewers, 2)
    # File 1 (unit 10, officer 3): 2 and 4. File 2 (unit 20): 1 and 3 (least loaded). File 3 (unit 10): 3 and 2
    # (1 is of unit 10; 2, 3, 4 have one each: by id).
    assert chosen == {1: (2, 4), 2: (1, 3), 3: (2, 3)}
    assert assign([FileParty(9, 10)], [Reviewer(1, 10)], 2) == {9: ()}  # nobody independent: shown short
    assert assign([FileParty(9, 10)], reviewers, 1, load={2: 5, 3: 1, 4: 1}) == {9: (3,)}


def test_the_sample_per_unit_is_reproducible_from_its_seed() -> None:
    by_unit = {10: [1, 2, 3, 4, 5], 20: [6, 7]}
    first = sample(by_unit, 2, seed=2026)
    assert first == sample(by_unit, 2, seed=2026)
    assert len(first) == 4 and {6, 7} <= set(first) and set(first[:2]) <= {1, 2, 3, 4, 5}
    assert sample(by_unit, 0, seed=1) == [1, 2, 3, 4, 5, 6, 7]
    assert {tuple(sample(by_unit, 2, seed=s)[:2]) for s in range(20)} != {tuple(first[:2])}  # the seed matters


def test_the_points_named_to_the_unit() -> None:
    named = points_named(
        [
            ([Deduction("procedure.hearing", D(5), "未告知听证权"), Deduction("documents.wording", D(1), "错字")], {}),
            ([Deduction("procedure.hearing", D(3), "听证告知不全")], {"subject": "无执法证"}),
        ]
    )
    assert named == [
        Named("subject", D(0), ("无执法证",), veto=True),
        Named("procedure.hearing", D(5), ("未告知听证权", "听证告知不全")),
        Named("documents.wording", D(1), ("错字",)),
    ]


def test_the_most_frequent_deductions() -> None:
    codes = ["law.basis", "procedure.hearing", "law.basis", "archive.timely", "procedure.hearing", "law.basis"]
    assert frequent_deductions(Counter(codes), top=2) == [("law.basis", 3), ("procedure.hearing", 2)]
