"""The vocabulary of heavy-pollution warnings that the control list and the electricity checks share."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class WarningLevel(StrEnum):
    """A heavy-pollution warning's level (重污染天气预警级别), from the mildest: yellow (Ⅲ级响应), orange (Ⅱ级响应),
    red (Ⅰ级响应) (环大气 [2024] 6 号 《关于进一步优化重污染天气应对机制的指导意见》: three levels; the blue level of
    the 2017 work plan is no longer used). Compare levels by `rank`."""

    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"

    @property
    def label(self) -> str:
        return _LEVEL_LABELS[self]

    @property
    def rank(self) -> int:
        """1 for yellow, 2 for orange, 3 for red."""
        return _RANKS[self]

    @property
    def response(self) -> str:
        """The response level the warning starts (Ⅲ级, Ⅱ级, Ⅰ级应急响应)."""
        return _RESPONSE_LABELS[self]


_LEVEL_LABELS = {
    WarningLevel.YELLOW: N_("Yellow warning"),
    WarningLevel.ORANGE: N_("Orange warning"),
    WarningLevel.RED: N_("Red warning"),
}
_RESPONSE_LABELS = {
    WarningLevel.YELLOW: N_("Level III response"),
    WarningLevel.ORANGE: N_("Level II response"),
    WarningLevel.RED: N_("Level I response"),
}
_RANKS = {WarningLevel.YELLOW: 1, WarningLevel.ORANGE: 2, WarningLevel.RED: 3}
