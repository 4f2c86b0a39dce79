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


class PrimaryPollutant(StrEnum):
    """The pollutant a warning is issued for (首要污染物). Only particulate episodes (PM2.5, PM10) start the emergency
    reduction list; an ozone episode gives a health notice and routine VOCs/NOx supervision, without the list
    (环大气 [2024] 6 号: PM2.5 episodes take emergency reductions under the national technical guide; O3 episodes
    health alerts; see docs/episodes.md)."""

    PM25 = "pm25"
    PM10 = "pm10"
    O3 = "o3"

    @property
    def label(self) -> str:
        return _POLLUTANT_LABELS[self]

    @property
    def starts_controls(self) -> bool:
        """Whether a warning for this pollutant puts the emergency reduction list (应急减排清单) in force."""
        return self is not PrimaryPollutant.O3


_POLLUTANT_LABELS = {
    PrimaryPollutant.PM25: N_("PM2.5"),
    PrimaryPollutant.PM10: N_("PM10"),
    PrimaryPollutant.O3: N_("Ozone (O3)"),
}


class WarningStatus(StrEnum):
    """Where a warning stands: prepared (draft), sent to the leader for signature (审签), signed, issued (发布: its
    levels hold from their effective times), lifted (解除), or refused by the leader."""

    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    ISSUED = "issued"
    LIFTED = "lifted"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    WarningStatus.DRAFT: N_("Draft"),
    WarningStatus.AWAITING_APPROVAL: N_("Awaiting the leader's signature"),
    WarningStatus.APPROVED: N_("Approved, not yet issued"),
    WarningStatus.ISSUED: N_("Issued, in force"),
    WarningStatus.LIFTED: N_("Lifted"),
    WarningStatus.REFUSED: N_("Refused by the leader"),
}


class ChangeKind(StrEnum):
    """A change of a warning in force, each kept in its change log (预警发布、升级、降级、延长、解除)."""

    ISSUE = "issue"
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    EXTEND = "extend"
    LIFT = "lift"

    @property
    def label(self) -> str:
        return _CHANGE_LABELS[self]


_CHANGE_LABELS = {
    ChangeKind.ISSUE: N_("Warning issued"),
    ChangeKind.UPGRADE: N_("Warning upgraded"),
    ChangeKind.DOWNGRADE: N_("Warning downgraded"),
    ChangeKind.EXTEND: N_("Warning extended"),
    ChangeKind.LIFT: N_("Warning lifted"),
}
