"""The enums of the enterprise file carry their display labels, translated in the catalog."""

from __future__ import annotations

from enum import StrEnum

import pytest

from ecoloop.enterprises.enums import (
    Averaging,
    CorrectionStatus,
    EnterpriseStatus,
    OutletKind,
    PerformanceGrade,
    PermitClass,
)
from ecoloop.i18n import gettext, use_locale


@pytest.mark.parametrize(
    "enum", [EnterpriseStatus, PermitClass, OutletKind, Averaging, PerformanceGrade, CorrectionStatus]
)
def test_every_value_has_its_own_translated_label(enum: type[StrEnum]) -> None:
    labels = [member.label for member in enum]  # type: ignore[attr-defined]
    assert len(set(labels)) == len(labels)
    with use_locale("zh_CN"):
        assert all(gettext(label) != label for label in labels)


@pytest.mark.parametrize(
    ("member", "english", "chinese"),
    [
        (EnterpriseStatus.STOPPED, "Production stopped", "停产"),
        (PermitClass.KEY, "Key management", "重点管理"),
        (PerformanceGrade.A, "Grade A", "A 级"),
        (CorrectionStatus.PENDING, "Pending review", "待审核"),
    ],
)
def test_labels_are_msgids(member: EnterpriseStatus, english: str, chinese: str) -> None:
    assert member.label == english
    with use_locale("zh_CN"):
        assert gettext(member.label) == chinese
    with use_locale("en"):
        assert gettext(member.label) == english
