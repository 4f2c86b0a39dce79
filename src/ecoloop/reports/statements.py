"""The sentences a brief states about a change (pure): values in, a Chinese sentence out through the catalog, as
bulletins write them: good days increased by 31.6 %, heavy-pollution days decreased by 71.4 %.

The percent change is the standards' change rate (`standards.ranking.change_rate`: (now - before) / before x 100,
computed exactly from the published values and rounded half to even), to one decimal in a sentence
(`SENTENCE_PLACES`, as bulletins state it); tables keep the pages' two decimals. A change needs a base: with no
value for the year before, or a base of 0 (no heavy-pollution day last year), no percentage is stated and no
clause is written. Days and counts increase or decrease (增加/减少); concentrations and indices rise or fall
(上升/下降); a ratio already in percent changes by percentage points (个百分点).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum

from ecoloop.i18n import N_, gettext
from ecoloop.standards import ranking

SENTENCE_PLACES = 1
Number = Decimal | int


class Wording(StrEnum):
    """How a change is worded: a count of days or cases (增加/减少), a level such as a concentration or an index
    (上升/下降)."""

    COUNT = "count"
    LEVEL = "level"


CLAUSES = {
    (Wording.COUNT, 1): N_("%(subject)s increased by %(rate)s%%"),
    (Wording.COUNT, -1): N_("%(subject)s decreased by %(rate)s%%"),
    (Wording.LEVEL, 1): N_("%(subject)s rose by %(rate)s%%"),
    (Wording.LEVEL, -1): N_("%(subject)s fell by %(rate)s%%"),
}
POINTS_CLAUSES = {
    1: N_("%(subject)s rose by %(points)s percentage points"),
    -1: N_("%(subject)s fell by %(points)s percentage points"),
}
UNCHANGED = N_("%(subject)s was unchanged")
SENTENCE = N_("Compared with the year before, %(clauses)s.")
SEPARATOR = N_(", ")  # 、 between the clauses of one sentence


def percent_change(now: Number | None, before: Number | None, places: int = SENTENCE_PLACES) -> Decimal | None:
    """The change rate of `now` against `before` in percent (`ranking.change_rate`, half-even to `places`);
    None without either value or with a base of 0 or less (no rate can be stated)."""
    if now is None or before is None or before <= 0:
        return None
    return ranking.change_rate(now, before, places=places)


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


def change_clause(subject: str, now: Number | None, before: Number | None, wording: Wording) -> str | None:
    """ "优良天数增加了31.6%" (subject: the translated name of what changed); None when no rate can be stated."""
    rate = percent_change(now, before)
    if rate is None:
        return None
    sign = _sign(rate)
    if sign == 0:
        return gettext(UNCHANGED) % {"subject": subject}
    return gettext(CLAUSES[(wording, sign)]) % {"subject": subject, "rate": abs(rate)}


def points_clause(subject: str, now: Decimal | None, before: Decimal | None) -> str | None:
    """ "优良天数比例上升了2.1个百分点" for a ratio in percent; None without either value."""
    if now is None or before is None:
        return None
    points = now - before
    sign = _sign(points)
    if sign == 0:
        return gettext(UNCHANGED) % {"subject": subject}
    return gettext(POINTS_CLAUSES[sign]) % {"subject": subject, "points": abs(points)}


def sentence(clauses: Sequence[str | None]) -> str | None:
    """The clauses that could be stated, in order, in one sentence ("compared with the year before, good days
    increased by 31.6 %, heavy-pollution days decreased by 71.4 %."); None when none could."""
    stated = [c for c in clauses if c]
    if not stated:
        return None
    return gettext(SENTENCE) % {"clauses": gettext(SEPARATOR).join(stated)}
