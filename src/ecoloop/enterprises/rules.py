"""Checks on enterprise identifiers, industry sections, and the periods of list memberships and grades (pure)."""

from __future__ import annotations

import re
from datetime import date

from ecoloop.i18n import N_

# GB 32100-2015 §4.2: the character set of the unified social credit code (no I, O, Z, S, V).
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 32100-2015 §4.3 and Appendix A: weight of position i is 3**i mod 31.
CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def credit_code_check_char(body: str) -> str:
    """The 18th (check) character for the first 17 characters of a credit code (GB 32100-2015 Appendix A)."""
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(body, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None (GB 32100-2015 §4)."""
    if len(code) != 18:
        return "length"
    if any(c not in CREDIT_CODE_CHARS for c in code):
        return "characters"
    if not code[2:8].isdigit():
        return "region_code"
    if credit_code_check_char(code[:17]) != code[17]:
        return "check_character"
    return None


# --- periods on lists and grades (pure) ----------------------------------------------------------------------------
# A membership or grade holds from `start` to `end`, both inclusive ("2025-01-01 至 2025-12-31" in the list
# documents); `end` None means it still holds.


def covers(start: date, end: date | None, day: date) -> bool:
    """Whether the period [start, end] (end None: open) includes `day`."""
    return start <= day and (end is None or day <= end)


def overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Whether two periods (ends inclusive, None open) share at least one day."""
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def period_problem(start: date, end: date | None) -> str | None:
    """Why [start, end] is not a period, or None."""
    if end is not None and end < start:
        return "end_before_start"
    return None


# GB/T 4754-2017: a section letter A-T, then a division (2 digits), group (3) or class (4 digits).
INDUSTRY_CODE = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")


def industry_code_problem(code: str) -> str | None:
    """Why `code` is not a GB/T 4754-2017 industry code (section letter plus 2-4 digits), or None."""
    return None if INDUSTRY_CODE.match(code) else "industry_code"


# GB/T 4754-2017 sections and the divisions (first two digits of a class code) each spans.
INDUSTRY_SECTIONS: dict[str, tuple[str, range]] = {
    "A": (N_("Agriculture, forestry, animal husbandry and fishery"), range(1, 6)),
    "B": (N_("Mining"), range(6, 13)),
    "C": (N_("Manufacturing"), range(13, 44)),
    "D": (N_("Production and supply of electricity, heat, gas and water"), range(44, 47)),
    "E": (N_("Construction"), range(47, 51)),
    "F": (N_("Wholesale and retail trade"), range(51, 53)),
    "G": (N_("Transport, storage and postal services"), range(53, 61)),
    "H": (N_("Accommodation and catering"), range(61, 63)),
    "I": (N_("Information transmission, software and information technology services"), range(63, 66)),
    "J": (N_("Finance"), range(66, 70)),
    "K": (N_("Real estate"), range(70, 71)),
    "L": (N_("Leasing and business services"), range(71, 73)),
    "M": (N_("Scientific research and technical services"), range(73, 76)),
    "N": (N_("Water conservancy, environment and public facilities management"), range(76, 80)),
    "O": (N_("Resident services, repair and other services"), range(80, 83)),
    "P": (N_("Education"), range(83, 84)),
    "Q": (N_("Health and social work"), range(84, 86)),
    "R": (N_("Culture, sports and entertainment"), range(86, 91)),
    "S": (N_("Public administration, social security and social organisations"), range(91, 97)),
    "T": (N_("International organisations"), range(97, 98)),
}


def industry_section(code: str | None) -> str | None:
    """The GB/T 4754-2017 section letter of an industry code, whether written with its letter (D4411) or
    without (4411)."""
    if not code:
        return None
    if code[0].isalpha():
        return code[0].upper()
    if len(code) >= 2 and code[:2].isdigit():
        division = int(code[:2])
        return next((letter for letter, (_n, divisions) in INDUSTRY_SECTIONS.items() if division in divisions), None)
    return None
