"""The sentences of a change, on hand-worked values: the change rate to 0.1 % half to even, the wording by kind
of figure, and no sentence without a base."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecoloop.i18n import use_locale
from ecoloop.reports import statements
from ecoloop.reports.statements import Wording


@pytest.mark.parametrize(
    ("now", "before", "rate"),
    [
        (250, 190, Decimal("31.6")),  # 60 / 190 = 31.578… %
        (4, 14, Decimal("-71.4")),  # -10 / 14 = -71.428… %
        (Decimal(35), Decimal(40), Decimal("-12.5")),
        (Decimal("3.85"), Decimal("3.99"), Decimal("-3.5")),  # -0.14 / 3.99 = -3.508… %
        (201, 200, Decimal("0.5")),  # exactly 0.5 %
        (2001, 2000, Decimal("0.0")),  # 0.05 % rounds half to even: 0.0
        (3, 3, Decimal("0.0")),
        (3, 0, None),  # no heavy day the year before: no rate
        (0, 0, None),
        (None, 4, None),
        (4, None, None),
    ],
)
def test_percent_change(now: int | Decimal | None, before: int | Decimal | None, rate: Decimal | None) -> None:
    assert statements.percent_change(now, before) == rate


@pytest.mark.parametrize(
    ("now", "before", "wording", "text"),
    [
        (250, 190, Wording.COUNT, "优良天数增加了31.6%"),
        (4, 14, Wording.COUNT, "优良天数减少了71.4%"),
        (Decimal(35), Decimal(40), Wording.LEVEL, "优良天数下降了12.5%"),
        (Decimal(44), Decimal(40), Wording.LEVEL, "优良天数上升了10.0%"),
        (7, 7, Wording.COUNT, "优良天数持平"),
        (5, 0, Wording.COUNT, None),
        (5, None, Wording.COUNT, None),
    ],
)
def test_change_clause(now: int | Decimal, before: int | Decimal | None, wording: Wording, text: str | None) -> None:
    with use_locale("zh_CN"):
        assert statements.change_clause("优良天数", now, before, wording) == text


def test_points_clause() -> None:
    with use_locale("zh_CN"):
        assert (
            statements.points_clause("优良天数比例", Decimal("68.5"), Decimal("66.4"))
            == "优良天数比例上升了2.1个百分点"
        )
        assert (
            statements.points_clause("优良天数比例", Decimal("60.0"), Decimal("66.4"))
            == "优良天数比例下降了6.4个百分点"
        )
        assert statements.points_clause("优良天数比例", Decimal("60.0"), Decimal("60.0")) == "优良天数比例持平"
        assert statements.points_clause("优良天数比例", Decimal("60.0"), None) is None


def test_a_sentence_joins_what_can_be_stated() -> None:
    with use_locale("zh_CN"):
        good = statements.change_clause("优良天数", 250, 190, Wording.COUNT)
        heavy = statements.change_clause("重污染天数", 4, 14, Wording.COUNT)
        none = statements.change_clause("严重污染天数", 1, 0, Wording.COUNT)
        assert statements.sentence([good, none, heavy]) == "与上年相比，优良天数增加了31.6%、重污染天数减少了71.4%。"
        assert statements.sentence([none]) is None
    with use_locale("en"):
        found = statements.sentence([statements.change_clause("Good days", 250, 190, Wording.COUNT)])
        assert found == "Compared with the year before, Good days increased by 31.6%."
