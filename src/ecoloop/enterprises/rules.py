"""Checks on enterprise identifiers (pure)."""

from __future__ import annotations

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
