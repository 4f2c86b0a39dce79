"""Personal numbers in free text: GB 11643-1999 identity numbers checked by hand, mobile and landline numbers in
the ways people write them, masked keeping only what identifies nobody; numbers that are not personal untouched."""

from __future__ import annotations

import pytest

from ecoloop.standards.personal_data import find, id_number_valid, mask


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        # The standard's example: Σ aᵢWᵢ = 1·7 + 1·9 + 0·10 + 1·5 + 0·8 + 5·4 + 1·2 + 9·1 + 4·6 + 9·3 + 1·7 + 2·9
        # + 3·10 + 1·5 + 0·8 + 0·4 + 2·2 = 167; 167 mod 11 = 2 → "10X98765432"[2] = "X".
        ("11010519491231002X", True),
        ("11010519491231002x", True),
        ("110105194912310021", False),  # the check character should be X
        ("110101199013078036", False),  # month 13
        ("11010119900307001Y", False),
        ("１１０１０５１９４９１２３１００２Ｘ", True),  # full-width
        ("1101051949123100", False),
    ],
)
def test_identity_numbers_by_their_check_character(number: str, valid: bool) -> None:
    assert id_number_valid(number) is valid


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我的电话13812345678，请回电", "我的电话138****5678，请回电"),
        ("我的电话１３８１２３４５６７８，请回电", "我的电话１３８＊＊＊＊５６７８，请回电".replace("＊", "*")),
        ("电话 138 1234 5678 张先生", "电话 138 **** 5678 张先生"),
        ("+86-139-1234-5678", "+86-139-****-5678"),
        ("008613912345678", "0086139****5678"),
        ("身份证11010519491231002x；电话（0571）87654321", "身份证110105********002x；电话（0571）****4321"),
        ("座机0371-6123456", "座机0371-***3456"),
    ],
)
def test_personal_numbers_are_masked_where_they_stand(text: str, masked: str) -> None:
    assert mask(text) == masked
    assert len(mask(text)) == len(text)


@pytest.mark.parametrize(
    "text",
    [
        "订单号202312138123456789",  # an 18-digit run whose check fails, with an 11-digit slice inside
        "表号13812345678901",  # longer than a mobile number
        "PM2.5为138，13:45测得",
        "COD 1380 mg/L，第13812号文",
        "",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert find(text) == [] and mask(text) == text


def test_each_number_is_found_once_with_its_kind() -> None:
    text = "身份证11010519491231002X，手机13812345678，座机(010)12345678"
    assert [(f.kind, text[f.start : f.end]) for f in find(text)] == [
        ("id", "11010519491231002X"),
        ("mobile", "13812345678"),
        ("landline", "(010)12345678"),
    ]
