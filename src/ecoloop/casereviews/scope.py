"""Who sees which reviewed files (registered with `ecoloop.access.scope`).

The bureau's administrators, leaders and analysts see every file of their area (by the penalty case's region); a
handling unit (its branch staff and officers) sees its own unit's files; a reviewer sees the files assigned to
them. A reviewer's sheet is seen by the bureau's roles and the reviewer while the file is under review, and by its
unit only once the file's score is final (the unit sees what it is scored on, not the reviewers' drafts). Rounds
and the standard's versions are the bureau's enforcement reference, read by every enforcement role."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import register
from ecoloop.casereviews.enums import FileStatus
from ecoloop.casereviews.models import (
    ReviewDeduction,
    ReviewEvent,
    ReviewFile,
    ReviewRound,
    ReviewSheet,
    ReviewStandard,
)
from ecoloop.regions.queries import in_subtree

# The roles that see every file of their area; the units' roles see their own unit's.
BUREAU = frozenset({Role.ADMIN, Role.LEADER, Role.ANALYST})
UNITS = frozenset({Role.BRANCH, Role.INSPECTOR})
ENFORCEMENT = BUREAU | UNITS
PENDING = (FileStatus.UNDER_REVIEW, FileStatus.DISPUTED)


def _assigned(p: Principal) -> ColumnElement[bool]:
    return ReviewFile.id.in_(select(ReviewSheet.file_id).where(ReviewSheet.reviewer_id == p.user_id))


def _files(p: Principal) -> ColumnElement[bool]:
    if p.role in BUREAU:
        return or_(in_subtree(ReviewFile.region_id, p), _assigned(p))
    if p.role in UNITS and p.organisation_id is not None:
        return or_(ReviewFile.unit_id == p.organisation_id, _assigned(p))
    return _assigned(p)


def _sheets(p: Principal) -> ColumnElement[bool]:
    if p.role in BUREAU:
        return ReviewSheet.file_id.in_(select(ReviewFile.id).where(_files(p)))
    final = select(ReviewFile.id).where(_files(p), ReviewFile.status.not_in(PENDING))
    return or_(ReviewSheet.reviewer_id == p.user_id, ReviewSheet.file_id.in_(final))


def _deductions(p: Principal) -> ColumnElement[bool]:
    return ReviewDeduction.sheet_id.in_(select(ReviewSheet.id).where(_sheets(p)))


def _events(p: Principal) -> ColumnElement[bool]:
    return ReviewEvent.file_id.in_(select(ReviewFile.id).where(_files(p)))


def _reference(p: Principal) -> ColumnElement[bool]:
    return true() if p.role in ENFORCEMENT else false()


register(ReviewStandard, _reference)
register(ReviewRound, _reference)
register(ReviewFile, _files)
register(ReviewSheet, _sheets)
register(ReviewDeduction, _deductions)
register(ReviewEvent, _events)
