"""Shapes at the boundaries of the case pages and API: the board's query, cases with their timeline, and a
workflow step posted to the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ecoloop.cases.enums import CaseSource, Category, Severity
from ecoloop.cases.workflow import Action
from ecoloop.db.base import DbInt, RowId
from ecoloop.web.paging import PageField


class CaseQuery(BaseModel):
    """The filters of the case board and of `GET /api/v1/cases`; values that name nothing are ignored."""

    state: str = Field("", max_length=16)
    source: str = Field("", max_length=32)
    category: str = Field("", max_length=16)
    region: str = Field("", max_length=12, description="region code: cases in its subtree")
    unit: str = Field("", max_length=12, description="id of the lead unit")
    overdue: str = Field("", max_length=5, description="1: overdue cases only")
    batch: str = Field("", max_length=12, description="id of the supervision batch")
    q: str = Field("", max_length=100, description="text in the case number, hand-down reference or title")
    page: PageField = 1


class CaseOut(BaseModel):
    """A case as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    version: int
    state: str
    source: str
    category: str
    severity: str
    title: str
    description: str
    region_id: int
    enterprise_id: int | None
    site_id: int | None
    lead_unit_id: int | None
    co_unit_ids: list[int]
    responsible_leader: str
    deadline: date | None
    overdue: bool
    long_term: bool
    batch_id: int | None
    merged_into_id: int | None
    external_ref: str
    finding: str | None
    closed_at: datetime | None
    created_at: datetime


class AttachmentOut(BaseModel):
    """A file attached to a case, with the URL it downloads from."""

    id: int
    filename: str
    content_type: str
    size: int
    url: str


class EventOut(BaseModel):
    """A line of a case's timeline."""

    id: int
    at: datetime
    kind: str
    actor: str
    from_state: str | None
    to_state: str | None
    note: str
    data: dict[str, Any]  # what the step recorded (unit, deadline, notice number …); JSON values
    attachments: list[AttachmentOut]
    notice_url: str | None = None


class CaseDetailOut(CaseOut):
    """A case with its timeline and the workflow steps the caller may take on it now."""

    timeline: list[EventOut]
    actions: list[str]


class ActionIn(BaseModel):
    """A workflow step: the case `version` the caller saw, and what the step needs (`assign`: unit and deadline,
    co-units optional; `return`, `fail`, `merge`, `reopen`: a reason; `merge`: the number of the case it
    duplicates; `reopen`: optionally a new deadline)."""

    action: Action
    version: DbInt
    reason: str = Field("", max_length=2000)
    unit_id: RowId | None = None
    co_unit_ids: list[RowId] = Field(default_factory=list, max_length=50)
    deadline: date | None = None
    merge_into: str = Field("", max_length=32)


class CaseIn(BaseModel):
    """A problem registered as a case through the API (the registration form's fields): the region (its id) must
    be in the caller's area, the enterprise (its id, optional) visible to the caller."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=300)
    source: CaseSource
    category: Category
    region_id: RowId
    severity: Severity = Severity.NORMAL
    description: str = Field("", max_length=10_000)
    enterprise_id: RowId | None = None
    deadline: date | None = None
    external_ref: str = Field("", max_length=64)


class ProblemOut(BaseModel):
    """Why a step was refused: a stable code and its message."""

    code: str
    detail: str
