"""Shapes of the complaints' JSON API (`api_routes`): a complaint filed by another front end (a WeChat
mini-program, a partner's app), its answer, the citizen's look-up and a refusal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from ecoloop.intake.enums import Topic


class ComplaintIn(BaseModel):
    """A complaint: what, where (an address, or a point in WGS-84 decimal degrees, or both), and optionally who
    with their consent to how the name and phone are used. Lengths are the service's to check (with its reason
    codes); these bounds only stop oversized bodies."""

    model_config = ConfigDict(extra="forbid")

    topic: Topic
    description: str = Field(max_length=20_000)
    address: str = Field("", max_length=2_000)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    name: str = Field("", max_length=500)
    phone: str = Field("", max_length=64)
    consent: bool = False
    external_id: str = Field("", max_length=64, description="the front end's own reference (partners only)")


class ComplaintFiledOut(BaseModel):
    """A complaint taken in: its ticket, status and the day its acceptance is decided by."""

    ticket: str
    status: str
    status_label: str
    accept_due: date


class LookupIn(BaseModel):
    """The citizen's look-up: the ticket and, when a phone was given, its last four digits."""

    model_config = ConfigDict(extra="forbid")

    ticket: str = Field(max_length=32)
    phone_last4: str = Field("", max_length=4)


class ComplaintStatusOut(BaseModel):
    """What the citizen's look-up shows: the status and the published reply (or why it was not accepted)."""

    ticket: str
    status: str
    status_label: str
    reply: str
    replied_at: datetime | None


class ProblemOut(BaseModel):
    """Why a request was refused: a stable code and its reason in the reader's language."""

    code: str
    detail: str
    fields: list[str] = Field(default_factory=list)
