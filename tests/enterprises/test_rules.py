"""Unified social credit code check (GB 32100-2015) and industry sections (GB/T 4754-2017)."""

from __future__ import annotations

import pytest

from ecoloop.enterprises.rules import (
    CREDIT_CODE_WEIGHTS,
    INDUSTRY_SECTIONS,
    credit_code_check_char,
    credit_code_problem,
    industry_code_problem,
    industry_section,
)


def test_weights_are_powers_of_three_mod_31() -> None:
    """GB 32100-2015 Appendix A lists the weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28."""
    assert CREDIT_CODE_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the worked example of GB 32100-2015
        "9144030071526726XG",  # published codes of well-known companies
        "914403001922038216",
        "91330100799655058B",
    ],
)
def test_valid_codes(code: str) -> None:
    assert credit_code_problem(code) is None


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y433", "length"),
        ("91350100M000100Y44", "check_character"),
        ("9135010OM000100Y43", "characters"),  # letter O is not in the character set
        ("91350100m000100Y43", "characters"),  # lowercase
        ("913501A0M000100Y43", "region_code"),
        ("9144030071526726XS", "characters"),  # S is excluded
    ],
)
def test_invalid_codes(code: str, problem: str) -> None:
    assert credit_code_problem(code) == problem


def test_check_char_hand_worked() -> None:
    """9·1 + 1·3 + 3·9 + 5·27 + 1·26 + M(21)·20 + 1·8 + Y(30)·30 + 4·28 = 1640; 1640 mod 31 = 28; 31 - 28 = 3."""
    body = "91350100M000100Y4"
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    assert sum(chars.index(c) * w for c, w in zip(body, CREDIT_CODE_WEIGHTS, strict=True)) == 1640
    assert credit_code_check_char(body) == "3"


@pytest.mark.parametrize(
    ("code", "section"),
    [("D4411", "D"), ("4411", "D"), ("C3011", "C"), ("3011", "C"), ("13", "C"), ("43", "C"), ("05", "A"), ("", None)],
)
def test_industry_section_with_or_without_the_letter(code: str, section: str | None) -> None:
    assert industry_section(code) == section


@pytest.mark.parametrize(("code", "section"), [("00", None), ("98", None), ("97", "T"), ("01", "A"), (None, None)])
def test_industry_section_outside_the_divisions(code: str | None, section: str | None) -> None:
    assert industry_section(code) == section


def test_industry_sections_cover_every_division_once() -> None:
    divisions = [d for _name, span in INDUSTRY_SECTIONS.values() for d in span]
    assert divisions == list(range(1, 98))
    assert all(
        industry_code_problem(f"{letter}{span.start:02d}") is None for letter, (_n, span) in INDUSTRY_SECTIONS.items()
    )
