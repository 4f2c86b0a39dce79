"""Enumerations of penalty cases (行政处罚案件): the procedure's stages, decisions, approvals, timeline events,
the periods that do not count towards the time limit, evidence and documents."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class Stage(StrEnum):
    """Where a penalty case stands in the procedure of 行政处罚法 (2021) chapter V and 生态环境行政处罚办法 (2023)."""

    PROPOSED = "proposed"  # 立案审批中: found and proposed, awaiting a leader's approval
    REGISTERED = "registered"  # 立案
    INVESTIGATING = "investigating"  # 调查取证
    NOTIFIED = "notified"  # 告知 (事先告知 of the proposed decision and the party's rights)
    HEARING = "hearing"  # 听证 (asked for by the party)
    DECIDED = "decided"  # 决定
    SERVED = "served"  # 送达
    EXECUTING = "executing"  # 执行
    CLOSED = "closed"  # 结案
    NOT_REGISTERED = "not_registered"  # 不予立案
    WITHDRAWN = "withdrawn"  # 撤销立案

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


# The stages of the procedure in order (the page's steps); not-registered and withdrawn end it aside.
PROCEDURE = (
    Stage.PROPOSED,
    Stage.REGISTERED,
    Stage.INVESTIGATING,
    Stage.NOTIFIED,
    Stage.HEARING,
    Stage.DECIDED,
    Stage.SERVED,
    Stage.EXECUTING,
    Stage.CLOSED,
)
ENDED = frozenset({Stage.CLOSED, Stage.NOT_REGISTERED, Stage.WITHDRAWN})
# Stages in which the 90-day clock of 行政处罚法 第六十条 runs (from 立案 to the decision).
BEFORE_DECISION = frozenset({Stage.REGISTERED, Stage.INVESTIGATING, Stage.NOTIFIED, Stage.HEARING})


class DecisionKind(StrEnum):
    """What the decision is (行政处罚法 第五十七条)."""

    PENALTY = "penalty"  # 给予行政处罚
    REDUCED = "reduced"  # 减轻处罚 (第三十二条): below the statutory minimum
    NO_PENALTY = "no_penalty"  # 不予行政处罚 (第三十三条)

    @property
    def label(self) -> str:
        return DECISION_LABELS[self]


class Approval(StrEnum):
    """What a case waits for a leader (APPROVE_PENALTIES) to approve."""

    REGISTRATION = "registration"  # 立案审批
    EXTENSION = "extension"  # 延期审批
    DECISION = "decision"  # 处罚决定审批
    CLOSURE = "closure"  # 结案审批

    @property
    def label(self) -> str:
        return APPROVAL_LABELS[self]


class Suspension(StrEnum):
    """Periods that do not count towards the time limit of a case (生态环境行政处罚办法 2023: 听证、公告、鉴定、
    检测… [unverified article number, see docs/penalties.md])."""

    HEARING = "hearing"  # 听证
    ANNOUNCEMENT = "announcement"  # 公告送达
    APPRAISAL = "appraisal"  # 鉴定、评估
    TESTING = "testing"  # 监测、检测
    OTHER = "other"

    @property
    def label(self) -> str:
        return SUSPENSION_LABELS[self]


class EvidenceKind(StrEnum):
    """An item of evidence (证据, 行政处罚法 第四十六条)."""

    RECORD = "record"  # 现场检查(勘察)笔录、调查询问笔录
    PHOTO = "photo"  # 照片、视听资料
    DOCUMENT = "document"  # 书证
    MONITORING = "monitoring"  # 监测报告、电子数据
    OTHER = "other"

    @property
    def label(self) -> str:
        return EVIDENCE_LABELS[self]


class DocumentKind(StrEnum):
    """A document (文书) generated from a penalty case from an editable template."""

    RECTIFICATION_ORDER = "rectification_order"  # 责令改正违法行为决定书
    NOTICE = "notice"  # 行政处罚事先(听证)告知书
    DECISION = "decision"  # 行政处罚决定书

    @property
    def label(self) -> str:
        return DOCUMENT_LABELS[self]


class EventKind(StrEnum):
    """A line of a penalty case's timeline (who did what, when)."""

    PROPOSED = "proposed"  # 立案呈批
    REGISTERED = "registered"  # 立案 approved
    NOT_REGISTERED = "not_registered"
    EVIDENCE = "evidence"
    NOTIFIED = "notified"
    STATEMENT = "statement"  # 陈述、申辩 heard
    HEARING_REQUESTED = "hearing_requested"
    HEARING_WAIVED = "hearing_waived"
    HEARING_SCHEDULED = "hearing_scheduled"
    HEARING_HELD = "hearing_held"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"
    DECISION_PROPOSED = "decision_proposed"
    COLLECTIVE_DISCUSSION = "collective_discussion"  # 集体讨论
    DECISION_APPROVED = "decision_approved"
    DECISION_RETURNED = "decision_returned"
    SERVED = "served"
    PAYMENT = "payment"
    ENFORCEMENT = "enforcement"  # 申请人民法院强制执行
    CLOSURE_PROPOSED = "closure_proposed"
    CLOSED = "closed"
    CLOSURE_RETURNED = "closure_returned"
    WITHDRAWN = "withdrawn"
    OFFICERS = "officers"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


STAGE_LABELS = {
    Stage.PROPOSED: N_("Registration pending approval"),
    Stage.REGISTERED: N_("Registered"),
    Stage.INVESTIGATING: N_("Investigation"),
    Stage.NOTIFIED: N_("Prior notice"),
    Stage.HEARING: N_("Hearing"),
    Stage.DECIDED: N_("Decided"),
    Stage.SERVED: N_("Served"),
    Stage.EXECUTING: N_("Execution"),
    Stage.CLOSED: N_("Closed"),
    Stage.NOT_REGISTERED: N_("Not registered"),
    Stage.WITHDRAWN: N_("Registration withdrawn"),
}

DECISION_LABELS = {
    DecisionKind.PENALTY: N_("Administrative penalty"),
    DecisionKind.REDUCED: N_("Reduced penalty"),
    DecisionKind.NO_PENALTY: N_("No penalty"),
}

APPROVAL_LABELS = {
    Approval.REGISTRATION: N_("Registration"),
    Approval.EXTENSION: N_("Extension of the time limit"),
    Approval.DECISION: N_("Penalty decision"),
    Approval.CLOSURE: N_("Closure"),
}

SUSPENSION_LABELS = {
    Suspension.HEARING: N_("Hearing"),
    Suspension.ANNOUNCEMENT: N_("Service by public announcement"),
    Suspension.APPRAISAL: N_("Appraisal or assessment"),
    Suspension.TESTING: N_("Monitoring or testing"),
    Suspension.OTHER: N_("Other period not counted"),
}

EVIDENCE_LABELS = {
    EvidenceKind.RECORD: N_("On-site or inquiry record"),
    EvidenceKind.PHOTO: N_("Photo or video"),
    EvidenceKind.DOCUMENT: N_("Documentary evidence"),
    EvidenceKind.MONITORING: N_("Monitoring report or electronic data"),
    EvidenceKind.OTHER: N_("Other evidence"),
}

DOCUMENT_LABELS = {
    DocumentKind.RECTIFICATION_ORDER: N_("Order to correct the illegal act"),
    DocumentKind.NOTICE: N_("Prior notice of the administrative penalty (hearing)"),
    DocumentKind.DECISION: N_("Administrative penalty decision"),
}

EVENT_LABELS = {
    EventKind.PROPOSED: N_("Registration proposed"),
    EventKind.REGISTERED: N_("Registration approved"),
    EventKind.NOT_REGISTERED: N_("Registration refused"),
    EventKind.EVIDENCE: N_("Evidence added"),
    EventKind.NOTIFIED: N_("Prior notice given"),
    EventKind.STATEMENT: N_("Statement and defence heard"),
    EventKind.HEARING_REQUESTED: N_("Hearing requested"),
    EventKind.HEARING_WAIVED: N_("Hearing waived"),
    EventKind.HEARING_SCHEDULED: N_("Hearing scheduled"),
    EventKind.HEARING_HELD: N_("Hearing held"),
    EventKind.SUSPENDED: N_("Time limit suspended"),
    EventKind.RESUMED: N_("Time limit resumed"),
    EventKind.EXTENSION_REQUESTED: N_("Extension requested"),
    EventKind.EXTENSION_APPROVED: N_("Extension approved"),
    EventKind.EXTENSION_REFUSED: N_("Extension refused"),
    EventKind.DECISION_PROPOSED: N_("Decision proposed"),
    EventKind.COLLECTIVE_DISCUSSION: N_("Collective discussion"),
    EventKind.DECISION_APPROVED: N_("Decision approved"),
    EventKind.DECISION_RETURNED: N_("Decision returned"),
    EventKind.SERVED: N_("Decision served"),
    EventKind.PAYMENT: N_("Fine paid"),
    EventKind.ENFORCEMENT: N_("Compulsory enforcement applied for"),
    EventKind.CLOSURE_PROPOSED: N_("Closure proposed"),
    EventKind.CLOSED: N_("Case closed"),
    EventKind.CLOSURE_RETURNED: N_("Closure returned"),
    EventKind.WITHDRAWN: N_("Registration withdrawn"),
    EventKind.OFFICERS: N_("Handling officers changed"),
}
