"""Enumerations of briefs."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class ReportKind(StrEnum):
    """Which brief: the bureau's rhythm of 日研判, 周通报, 月考核 and the year's statistics."""

    DAILY = "daily"  # 日研判
    WEEKLY = "weekly"  # 周通报
    MONTHLY = "monthly"  # 月考核
    ANNUAL = "annual"  # 年度统计

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


class RunStatus(StrEnum):
    """Where an on-demand generation stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return RUN_LABELS[self]


KIND_LABELS = {
    ReportKind.DAILY: N_("Daily analysis"),
    ReportKind.WEEKLY: N_("Weekly notice"),
    ReportKind.MONTHLY: N_("Monthly assessment"),
    ReportKind.ANNUAL: N_("Annual statistics"),
}

# The document-number prefixes by default (the year in tortoise-shell brackets and the number follow).
NUMBER_PREFIXES = {
    ReportKind.DAILY: N_("Daily brief number prefix"),
    ReportKind.WEEKLY: N_("Weekly notice number prefix"),
    ReportKind.MONTHLY: N_("Monthly assessment number prefix"),
    ReportKind.ANNUAL: N_("Annual statistics number prefix"),
}

RUN_LABELS = {
    RunStatus.QUEUED: N_("Queued"),
    RunStatus.RUNNING: N_("Generating"),
    RunStatus.DONE: N_("Done"),
    RunStatus.FAILED: N_("Failed"),
}
