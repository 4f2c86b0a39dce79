"""Amounts of money in Chinese capital numerals (大写金额), as a penalty decision writes its fine (pure).

The rules are those of the People's Bank of China for bills and settlement vouchers (支付结算办法, 1997, 附件一
《正确填写票据和结算凭证的基本规定》): the digits 零壹贰叁肆伍陆柒捌玖 and the units 拾佰仟万亿; an amount in whole
yuan ends with 整; a highest digit 1 in the tens is written 壹拾; one 零 stands for a run of zeros inside the amount
(and for a zero 角 between 元 and 分). Examples: 100000 壹拾万元整, 1680.32 壹仟陆佰捌拾元叁角贰分, 107000.53
壹拾万柒仟元伍角叁分, 1.05 壹元零伍分.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
GROUP_UNITS = ("", "万", "亿", "万亿")
MAX_AMOUNT = Decimal(10) ** 16


def _group(number: int) -> str:
    """A group of four digits (1-9999) with 零 for its inner zeros (not for leading ones)."""
    text, zero = "", False
    for position in range(3, -1, -1):
        digit = number // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[digit] + SMALL_UNITS[position]
    return text


def _integer(number: int) -> str:
    """Whole yuan in capitals (0 is 零)."""
    if number == 0:
        return "零"
    groups: list[int] = []
    while number:
        groups.append(number % 10_000)
        number //= 10_000
    text, pending_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or group < 1000):
            text += "零"
        text += _group(group) + GROUP_UNITS[index]
        pending_zero = False
    return text


def capital_yuan(amount: Decimal) -> str:
    """`amount` yuan in capital numerals, to the 分 (rounded half up): 100000 → 壹拾万元整."""
    if amount < 0 or amount >= MAX_AMOUNT:
        raise ValueError("the amount must be between 0 and 10^16 yuan")
    cents = int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if jiao == 0 and fen == 0:
        return _integer(yuan) + "元整"
    text = _integer(yuan) + "元" if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    return text


def figures(amount: Decimal) -> str:
    """`amount` in figures with thousands separators and two decimals (100,000.00)."""
    return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
