"""Enumerations of inspections: why an inspection is made, its state, an answer to a checklist item, the
conclusion."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class Kind(StrEnum):
    """Why an enterprise is inspected; published in words (一公开)."""

    RANDOM = "random"  # 双随机抽查: from a draw's assignment
    CAMPAIGN = "campaign"  # 专项执法: a campaign's target
    COMPLAINT = "complaint"  # 信访举报核查: checking a complaint
    ROUTINE = "routine"  # 日常检查: planned by hand

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


class Status(StrEnum):
    """Where an inspection stands: planned, recorded (some officers confirmed), completed (all confirmed)."""

    PLANNED = "planned"
    RECORDED = "recorded"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


class Answer(StrEnum):
    """The answer to one checklist item."""

    COMPLIANT = "compliant"  # 符合
    NONCOMPLIANT = "noncompliant"  # 不符合
    NOT_APPLICABLE = "not_applicable"  # 不适用

    @property
    def label(self) -> str:
        return ANSWER_LABELS[self]


class Conclusion(StrEnum):
    """What the officers concluded; published in words."""

    NO_PROBLEM = "no_problem"  # 未发现问题
    CORRECTED = "corrected"  # 发现问题 已责令改正
    VIOLATION = "violation"  # 发现违法行为 需立案调查
    NOT_OPERATING = "not_operating"  # 企业停产或关闭

    @property
    def label(self) -> str:
        return CONCLUSION_LABELS[self]


KIND_LABELS = {
    Kind.RANDOM: N_("Random check"),
    Kind.CAMPAIGN: N_("Special campaign"),
    Kind.COMPLAINT: N_("Complaint check"),
    Kind.ROUTINE: N_("Routine inspection"),
}
STATUS_LABELS = {
    Status.PLANNED: N_("Planned"),
    Status.RECORDED: N_("Awaiting confirmation"),
    Status.COMPLETED: N_("Completed"),
}
ANSWER_LABELS = {
    Answer.COMPLIANT: N_("Compliant"),
    Answer.NONCOMPLIANT: N_("Not compliant"),
    Answer.NOT_APPLICABLE: N_("Not applicable"),
}
CONCLUSION_LABELS = {
    Conclusion.NO_PROBLEM: N_("No problem found"),
    Conclusion.CORRECTED: N_("Problems found, ordered to correct"),
    Conclusion.VIOLATION: N_("Violation found, to be investigated as a case"),
    Conclusion.NOT_OPERATING: N_("Enterprise not operating"),
}
