"""Enumerations of cases (the workflow's states and actions are in `workflow.py`)."""

from __future__ import annotations

from enum import StrEnum


class CaseSource(StrEnum):
    """Where a case comes from."""

    ALERT = "alert"  # 监测预警
    COMPLAINT = "complaint"  # 群众举报 (12369)
    INSPECTION = "inspection"  # 执法检查
    CENTRAL_SUPERVISION = "central_supervision"  # 中央生态环境保护督察交办
    PROVINCIAL_SUPERVISION = "provincial_supervision"  # 省级生态环境保护督察交办
    WARNING_FILM = "warning_film"  # 黄河流域生态环境警示片披露问题
    OTHER = "other"


class Category(StrEnum):
    """What kind of environmental problem (污染类型)."""

    AIR = "air"
    WATER = "water"
    SOIL = "soil"
    SOLID_WASTE = "solid_waste"
    NOISE = "noise"
    ECOLOGY = "ecology"
    RADIATION = "radiation"
    OTHER = "other"


class Severity(StrEnum):
    """How urgent the problem is."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class Finding(StrEnum):
    """Whether investigation found a complaint or handed-down problem true (是否属实)."""

    TRUE = "true"  # 属实
    PARTLY = "partly"  # 部分属实
    FALSE = "false"  # 不属实


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


class MilestoneStatus(StrEnum):
    """State of a yearly target of a long-term case."""

    PENDING = "pending"
    ON_SCHEDULE = "on_schedule"
    BEHIND = "behind"
    DONE = "done"
