"""The values of case-file review (案卷评审): a file's status in a round, its grade, what happened to it."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class Grade(StrEnum):
    """A reviewed file's grade by its score (`rules.grade`): 优秀, 合格, 不合格 (or vetoed)."""

    EXCELLENT = "excellent"
    PASS = "pass"
    FAIL = "fail"

    @property
    def label(self) -> str:
        return _GRADE_LABELS[self]


_GRADE_LABELS = {Grade.EXCELLENT: N_("Graded excellent"), Grade.PASS: N_("Graded pass"), Grade.FAIL: N_("Graded fail")}


class FileStatus(StrEnum):
    """Where a file stands in its round: under review, waiting for a further reviewer, scored, returned to its
    unit for correction, corrected and resubmitted, correction accepted."""

    UNDER_REVIEW = "under_review"
    DISPUTED = "disputed"
    SCORED = "scored"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    CORRECTED = "corrected"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    FileStatus.UNDER_REVIEW: N_("Being reviewed"),
    FileStatus.DISPUTED: N_("Waiting for a further reviewer"),
    FileStatus.SCORED: N_("Scored"),
    FileStatus.RETURNED: N_("Returned for correction"),
    FileStatus.RESUBMITTED: N_("Correction submitted"),
    FileStatus.CORRECTED: N_("Correction accepted"),
}


class RoundStatus(StrEnum):
    """A review round is open while its files are reviewed; closed, no sheet changes."""

    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _ROUND_LABELS[self]


_ROUND_LABELS = {RoundStatus.OPEN: N_("Round open"), RoundStatus.CLOSED: N_("Round closed")}


class Basis(StrEnum):
    """Which date of a penalty case puts it in a round's period: its closing (结案) or its decision (决定)."""

    CLOSED = "closed"
    DECIDED = "decided"

    @property
    def label(self) -> str:
        return _BASIS_LABELS[self]


_BASIS_LABELS = {Basis.CLOSED: N_("Closed in the period"), Basis.DECIDED: N_("Decided in the period")}


class EventKind(StrEnum):
    """One line of a reviewed file's history."""

    SELECTED = "selected"
    REVIEWER_ADDED = "reviewer_added"
    SHEET_SUBMITTED = "sheet_submitted"
    DISPUTED = "disputed"
    SCORED = "scored"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    ACCEPTED = "accepted"

    @property
    def label(self) -> str:
        return _EVENT_LABELS[self]


_EVENT_LABELS = {
    EventKind.SELECTED: N_("Selected for review"),
    EventKind.REVIEWER_ADDED: N_("Reviewer assigned"),
    EventKind.SHEET_SUBMITTED: N_("Score sheet submitted"),
    EventKind.DISPUTED: N_("Reviewers disagree: a further reviewer is needed"),
    EventKind.SCORED: N_("Scored"),
    EventKind.RETURNED: N_("Returned for correction"),
    EventKind.RESUBMITTED: N_("Correction submitted"),
    EventKind.ACCEPTED: N_("Correction accepted"),
}
