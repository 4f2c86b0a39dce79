"""Personal numbers in free text (pure): mainland mobile and landline numbers and resident identity numbers found
in what a citizen writes, and masked, so that a complainant's phone typed into a description is not shown to every
reader of the case (issue 18).

- The resident identity number (GB 11643-1999 公民身份号码): 17 digits (6 of the address code, 8 of the birth
  date YYYYMMDD, 3 of the sequence) and a check character, ISO 7064 MOD 11-2: the sum of each digit times
  2^(18 - i) mod 11 over the positions i = 1 to 17, then the character `"10X98765432"[sum mod 11]` (clauses 4
  and 5.3 of the standard). A run of 18 characters is taken for a number only when its birth date is a real
  date and its check character agrees.
- Mobile numbers: 11 digits beginning 13 to 19, optionally after +86 or 0086, written whole or as 3-4-4 with a space
  or a dash between.
- Landlines: an area code of 3 or 4 digits beginning 0 (in brackets or not), then 7 or 8 digits.

Full-width digits (U+FF10 to U+FF19) are folded to ASCII one character for one, so the positions found are those
of the text as written, and masking changes only the digits: `138****5678`, `110105********002X`, `0571****4321`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

Kind = Literal["id", "mobile", "landline"]
# One character for one: full-width digits and signs to ASCII, so that positions stay those of the original.
_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "\uff0b": "+",
        "\uff0d": "-",
        "\uff08": "(",
        "\uff09": ")",
        "\uff38": "X",
        "\uff58": "x",
    }
)
_SEP = r"[ \t\u3000\-\u2010\u2011\u2013\u2014]?"
_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])", re.ASCII)
_MOBILE = re.compile(
    r"(?<!\d)(?:(?:\+|00)86" + _SEP + r")?1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}(?!\d)", re.ASCII
)
_LANDLINE = re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})" + _SEP + r"\d{7,8}(?!\d)", re.ASCII)
_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
_CHECK = "10X98765432"
MASK = "*"


def id_number_valid(text: str) -> bool:
    """Whether `text` is a resident identity number of GB 11643-1999: 18 characters, a real birth date, the
    MOD 11-2 check character (X in either case)."""
    text = text.translate(_FOLD).upper()
    if len(text) != 18 or not text[:17].isascii() or not text[:17].isdigit():
        return False
    try:
        date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    total = sum(int(digit) * weight for digit, weight in zip(text[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == text[17]


@dataclass(frozen=True)
class Found:
    """A personal number in a text: its kind and its span in the text as written."""

    kind: Kind
    start: int
    end: int


def find(text: str) -> list[Found]:
    """The identity numbers, mobile and landline numbers in `text`, in order, not overlapping (an identity
    number first, then a mobile number, then a landline)."""
    folded = text.translate(_FOLD)
    found: list[Found] = []

    def free(start: int, end: int) -> bool:
        return all(end <= f.start or start >= f.end for f in found)

    for match in _ID.finditer(folded):
        if id_number_valid(match.group()):
            found.append(Found("id", match.start(), match.end()))
    for kind, pattern in (("mobile", _MOBILE), ("landline", _LANDLINE)):
        for match in pattern.finditer(folded):
            if free(match.start(), match.end()):
                found.append(Found(kind, match.start(), match.end()))  # type: ignore[arg-type]  # a Kind literal
    return sorted(found, key=lambda f: f.start)


def _masked(piece: str, keep_first: int, keep_last: int) -> str:
    """`piece` with its digits masked except the first `keep_first` and the last `keep_last` (separators kept)."""
    digits = [i for i, c in enumerate(piece.translate(_FOLD)) if c.isascii() and (c.isdigit() or c in "Xx")]
    hidden = set(digits[keep_first : len(digits) - keep_last])
    return "".join(MASK if i in hidden else c for i, c in enumerate(piece))


def mask(text: str) -> str:
    """`text` with every personal number masked: a mobile number keeps its first 3 and last 4 digits (after any
    +86), an identity number its first 6 and last 4, a landline its area code and last 4."""
    pieces, at = [], 0
    for f in find(text):
        piece = text[f.start : f.end]
        if f.kind == "id":
            hidden = _masked(piece, 6, 4)
        elif f.kind == "mobile":
            country = re.match(r"(?:\+|00)86", piece.translate(_FOLD), re.ASCII)
            prefix = len(country.group()) if country else 0
            hidden = piece[:prefix] + _masked(piece[prefix:], 3, 4)
        else:
            area = re.match(r"\(?0\d{2,3}\)?", piece.translate(_FOLD), re.ASCII)
            length = len(area.group()) if area else 0
            hidden = piece[:length] + _masked(piece[length:], 0, 4)
        pieces.append(text[at : f.start] + hidden)
        at = f.end
    return "".join(pieces) + text[at:]


def phone_digits(text: str) -> str | None:
    """The digits of the one mobile or landline number that `text` is (as dialled at home, without +86 or 0086:
    13812345678, 057187654321), or None when `text` is not exactly one phone number."""
    found = find(text.strip())
    if len(found) != 1 or found[0].kind == "id" or (found[0].start, found[0].end) != (0, len(text.strip())):
        return None
    digits = "".join(c for c in text.strip().translate(_FOLD) if c.isascii() and c.isdigit())
    if text.strip().translate(_FOLD).startswith(("+86", "0086")):
        digits = digits[2:] if digits.startswith("86") else digits[4:]
    return digits
