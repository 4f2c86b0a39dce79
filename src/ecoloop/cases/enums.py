"""Enumerations of cases (the workflow's states and actions are in `workflow.py`)."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_
from ecoloop.identity.enums import (
    CATEGORY_LABELS as CATEGORY_LABELS,  # re-exported: problems are categorised as duties are
)
from ecoloop.identity.enums import Category as Category


class CaseSource(StrEnum):
    """Where a case comes from."""

    ALERT = "alert"  # 监测预警
    COMPLAINT = "complaint"  # 群众举报 (12369)
    INSPECTION = "inspection"  # 执法检查
    CENTRAL_SUPERVISION = "central_supervision"  # 中央生态环境保护督察交办
    PROVINCIAL_SUPERVISION = "provincial_supervision"  # 省级生态环境保护督察交办
    WARNING_FILM = "warning_film"  # 黄河流域生态环境警示片披露问题
    OTHER = "other"

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self]


class Severity(StrEnum):
    """How urgent the problem is."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return SEVERITY_LABELS[self]


class Finding(StrEnum):
    """Whether investigation found a complaint or handed-down problem true (是否属实)."""

    TRUE = "true"  # 属实
    PARTLY = "partly"  # 部分属实
    FALSE = "false"  # 不属实

    @property
    def label(self) -> str:
        return FINDING_LABELS[self]


class EventKind(StrEnum):
    """A line of a case's timeline: a workflow step, or something that happened to the case without changing
    its state."""

    REGISTERED = "registered"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    REPORTED = "reported"
    VERIFICATION_STARTED = "verification_started"
    PASSED = "passed"
    FAILED = "failed"
    MERGED = "merged"
    REOPENED = "reopened"
    EVIDENCE_ADDED = "evidence_added"
    COMMENTED = "commented"
    DEADLINE_WARNING = "deadline_warning"  # 临期提醒
    OVERDUE = "overdue"  # 逾期
    DEADLINE_EXTENDED = "deadline_extended"  # 延期
    SUPERVISED = "supervised"  # 督办 (with its 督办单)
    INTERVIEW_PROPOSED = "interview_proposed"  # 约谈建议
    INTERVIEWED = "interviewed"  # 约谈

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


class MilestoneStatus(StrEnum):
    """State of a yearly target of a long-term case."""

    PENDING = "pending"
    ON_SCHEDULE = "on_schedule"
    BEHIND = "behind"
    DONE = "done"

    @property
    def label(self) -> str:
        return MILESTONE_LABELS[self]


# Labels (message ids) of the enums above, by member.
EVENT_LABELS = {
    EventKind.REGISTERED: N_("Registered"),
    EventKind.ASSIGNED: N_("Assigned"),
    EventKind.ACCEPTED: N_("Accepted"),
    EventKind.RETURNED: N_("Returned"),
    EventKind.REPORTED: N_("Reported as rectified"),
    EventKind.VERIFICATION_STARTED: N_("Verification started"),
    EventKind.PASSED: N_("Verification passed, closed"),
    EventKind.FAILED: N_("Verification failed"),
    EventKind.MERGED: N_("Merged"),
    EventKind.REOPENED: N_("Reopened"),
    EventKind.EVIDENCE_ADDED: N_("Evidence added"),
    EventKind.COMMENTED: N_("Comment"),
    EventKind.DEADLINE_WARNING: N_("Deadline reminder"),
    EventKind.OVERDUE: N_("Overdue"),
    EventKind.DEADLINE_EXTENDED: N_("Deadline extended"),
    EventKind.SUPERVISED: N_("Supervision notice"),
    EventKind.INTERVIEW_PROPOSED: N_("Interview proposed"),
    EventKind.INTERVIEWED: N_("Interview held"),
}

SOURCE_LABELS = {
    CaseSource.ALERT: N_("Monitoring alert"),
    CaseSource.COMPLAINT: N_("Public complaint"),
    CaseSource.INSPECTION: N_("Enforcement inspection"),
    CaseSource.CENTRAL_SUPERVISION: N_("Central inspection"),
    CaseSource.PROVINCIAL_SUPERVISION: N_("Provincial inspection"),
    CaseSource.WARNING_FILM: N_("Warning film"),
    CaseSource.OTHER: N_("Other source"),
}

SEVERITY_LABELS = {
    Severity.LOW: N_("Low urgency"),
    Severity.NORMAL: N_("Normal urgency"),
    Severity.HIGH: N_("High urgency"),
    Severity.CRITICAL: N_("Critical urgency"),
}

FINDING_LABELS = {
    Finding.TRUE: N_("True"),
    Finding.PARTLY: N_("Partly true"),
    Finding.FALSE: N_("Not true"),
}

MILESTONE_LABELS = {
    MilestoneStatus.PENDING: N_("Pending"),
    MilestoneStatus.ON_SCHEDULE: N_("On schedule"),
    MilestoneStatus.BEHIND: N_("Behind schedule"),
    MilestoneStatus.DONE: N_("Target reached"),
}
