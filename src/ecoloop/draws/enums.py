"""Enumerations of the random checks (双随机): a draw's states, the kinds of pool snapshot and the avoidance
rules, each with its display label."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class DrawStatus(StrEnum):
    """Where a draw stands: announced with its pools frozen and the seed's source stated, the public value entered
    (the seed fixed), drawn (the result recorded, immutable from then on)."""

    ANNOUNCED = "announced"
    SEEDED = "seeded"
    DRAWN = "drawn"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    DrawStatus.ANNOUNCED: N_("Announced"),
    DrawStatus.SEEDED: N_("Seed fixed"),
    DrawStatus.DRAWN: N_("Drawn"),
}


class SnapshotKind(StrEnum):
    """What a frozen pool snapshot holds: the enterprises of one enterprise pool, or the certified officers."""

    ENTERPRISES = "enterprises"
    OFFICERS = "officers"

    @property
    def label(self) -> str:
        return _SNAPSHOT_LABELS[self]


_SNAPSHOT_LABELS = {SnapshotKind.ENTERPRISES: N_("Enterprise pool"), SnapshotKind.OFFICERS: N_("Officer pool")}


class Avoidance(StrEnum):
    """Why an officer was passed over for an enterprise (回避): a declared conflict of interest, having inspected
    it last time, or belonging to the unit that inspected it recently while another unit's officers are
    available (交叉检查)."""

    CONFLICT = "conflict"
    LAST_INSPECTOR = "last_inspector"
    RECENT_UNIT = "recent_unit"

    @property
    def label(self) -> str:
        return _AVOIDANCE_LABELS[self]


_AVOIDANCE_LABELS = {
    Avoidance.CONFLICT: N_("Declared conflict of interest"),
    Avoidance.LAST_INSPECTOR: N_("Inspected it last time"),
    Avoidance.RECENT_UNIT: N_("Same unit as its recent inspection"),
}
