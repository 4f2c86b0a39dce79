"""One reading of date fields for every page: optional and required form dates refuse what cannot be read with
the caller's error, filters fall back (issue 14 part 5: `parse_day` existed twice, one refusing, one not)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ecoloop.cases.service import CaseError
from ecoloop.cases.workflow import State
from ecoloop.enterprises.service import EnterpriseError
from ecoloop.web.forms import (
    DATE_INVALID,
    FieldError,
    filter_choice,
    filter_day,
    parse_day,
    parse_decimal,
    required_day,
    unreadable_day,
)

READABLE = [("2026-03-01", date(2026, 3, 1)), (" 2026-03-01 ", date(2026, 3, 1)), ("2024-02-29", date(2024, 2, 29))]
UNREADABLE = ["2026-02-30", "2026/03/01", "01.03.2026", "tomorrow", "2026-3-1x"]
BLANK = ["", "   "]


@pytest.mark.parametrize(("text", "day"), READABLE)
def test_every_reader_reads_a_date_written_yyyy_mm_dd(text: str, day: date) -> None:
    assert parse_day(text) == required_day(text) == filter_day(text) == day
    assert not unreadable_day(text)


@pytest.mark.parametrize("text", BLANK)
def test_a_blank_date_is_none_where_optional_and_refused_where_required(text: str) -> None:
    assert parse_day(text) is None and filter_day(text) is None
    with pytest.raises(FieldError) as refused:
        required_day(text)
    assert refused.value.code == DATE_INVALID


@pytest.mark.parametrize("text", UNREADABLE)
def test_an_unreadable_date_is_refused_by_a_form_and_dropped_by_a_filter(text: str) -> None:
    with pytest.raises(FieldError) as refused:
        parse_day(text)
    assert refused.value.code == DATE_INVALID
    assert filter_day(text) is None and unreadable_day(text)


@pytest.mark.parametrize("error", [CaseError, EnterpriseError])
def test_a_refusal_is_the_callers_error_with_the_stable_code(error: type[ValueError]) -> None:
    """Cases and enterprise pages show their own message for `date_invalid`: the reader raises their error."""
    for read in (parse_day, required_day):
        with pytest.raises(error) as refused:
            read("2026-13-01", refuse=error)
        assert getattr(refused.value, "code", None) == DATE_INVALID
    with pytest.raises(error):
        required_day("", refuse=error)
    assert parse_day("", refuse=error) is None


@pytest.mark.parametrize(
    ("text", "member"), [("assigned", State.ASSIGNED), ("", None), ("ASSIGNED", None), ("x", None)]
)
def test_a_filter_choice_is_the_member_named_or_none(text: str, member: State | None) -> None:
    assert filter_choice(State, text) is member


def test_a_number_field_is_blank_a_finite_number_or_refused_with_the_callers_error() -> None:
    assert parse_decimal("  ") is None
    assert parse_decimal(" 114.05 ") == Decimal("114.05")
    for text in ("东经114", "NaN", "Infinity", "1,5"):
        with pytest.raises(FieldError) as refused:
            parse_decimal(text)
        assert refused.value.code == "number_invalid"
