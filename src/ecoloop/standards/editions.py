"""Which generation of the air standards applies on a given day."""

from __future__ import annotations

from datetime import date
from typing import Literal

Edition = Literal["2012", "2026"]
EDITIONS: tuple[Edition, ...] = ("2012", "2026")

# HJ 633-2026, GB 3095-2026 and HJ 663-2026 took effect on 2026-03-01 (HJ 633-2026 foreword; GB 3095-2026 §1).
EDITION_2026_START = date(2026, 3, 1)


def edition_for(day: date) -> Edition:
    """The edition in force on `day`: "2012" (HJ 633-2012, GB 3095-2012, HJ 663-2013) before 2026-03-01, else "2026"."""
    return "2026" if day >= EDITION_2026_START else "2012"


def check_edition(edition: str) -> Edition:
    """`edition` if it is one ecoloop knows, else ValueError."""
    if edition == "2012":
        return "2012"
    if edition == "2026":
        return "2026"
    raise ValueError(f"unknown edition {edition!r}; use '2012' or '2026'")
