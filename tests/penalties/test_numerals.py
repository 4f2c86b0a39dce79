"""Capital numerals of amounts (支付结算办法 附件一), worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecoloop.penalties.numerals import capital_yuan, figures


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", "零元整"),
        ("1", "壹元整"),
        ("10", "壹拾元整"),
        ("16.15", "壹拾陆元壹角伍分"),
        ("100000", "壹拾万元整"),
        ("388000", "叁拾捌万捌仟元整"),
        ("1000000", "壹佰万元整"),
        ("100005", "壹拾万零伍元整"),
        ("105000", "壹拾万伍仟元整"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("1.05", "壹元零伍分"),
        ("0.50", "伍角"),
        ("0.05", "伍分"),
        ("10500", "壹万零伍佰元整"),
        ("100000001", "壹亿零壹元整"),
        ("120000000", "壹亿贰仟万元整"),
        ("1010", "壹仟零壹拾元整"),
        ("325000.004", "叁拾贰万伍仟元整"),
    ],
)
def test_capital_yuan(amount: str, expected: str) -> None:
    assert capital_yuan(Decimal(amount)) == expected


def test_refuses_negative_and_huge() -> None:
    with pytest.raises(ValueError):
        capital_yuan(Decimal(-1))
    with pytest.raises(ValueError):
        capital_yuan(Decimal(10) ** 16)


def test_figures() -> None:
    assert figures(Decimal(100000)) == "100,000.00"
    assert figures(Decimal("1234.5")) == "1,234.50"
