"""Shapes at the boundary of the partner platforms' API (`POST /api/v1/events`, docs/partners.md): a warning as a
platform sends it, and the answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from ecoloop.alerts.rules import Severity
from ecoloop.identity.enums import Category

MAX_TITLE: Final = 200
MAX_DESCRIPTION: Final = 4000
MAX_ADDRESS: Final = 300
# The field a check across fields is about, for the answer's `field`.
_FIELD_OF = {"title_missing": "title", "place_missing": "address", "coordinates_incomplete": "latitude"}


class EventIn(BaseModel):
    """A warning from a partner platform: its own id (a resend with the same id is the same warning), what and when,
    and where (a point, an address, or both)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$")
    type: str = Field("", max_length=64)
    title: str = Field("", max_length=MAX_TITLE)
    description: str = Field("", max_length=MAX_DESCRIPTION)
    occurred_at: AwareDatetime
    longitude: float | None = Field(None, ge=-180, le=180)
    latitude: float | None = Field(None, ge=-90, le=90)
    address: str = Field("", max_length=MAX_ADDRESS)
    category: Category | None = None
    severity: Severity | None = None

    @model_validator(mode="after")
    def _complete(self) -> EventIn:
        if not self.title and not self.type:
            raise PydanticCustomError("title_missing", "give a title or a type")
        if (self.longitude is None) != (self.latitude is None):
            raise PydanticCustomError("coordinates_incomplete", "give both longitude and latitude, or neither")
        if self.longitude is None and not self.address:
            raise PydanticCustomError("place_missing", "give longitude and latitude, or an address")
        return self


class EventAccepted(BaseModel):
    """The answer to a warning taken (201) or taken before (200, `duplicate`): the alert it became."""

    status: Literal["created", "duplicate"]
    id: str
    alert: str  # the alert's number
    alert_id: int
    received_at: datetime


class EventRefused(BaseModel):
    """The answer to a refused request: `error` says why (`unknown_key`, `bad_signature`, `invalid_json`,
    `invalid_field` with the `field` and the `reason` code)."""

    error: str
    field: str = ""
    reason: str = ""


def refusal_of(exc: ValidationError) -> EventRefused:
    """The answer naming the first invalid field of a warning and the reason code."""
    first: dict[str, Any] = dict(exc.errors(include_url=False, include_input=False)[0])
    reason = str(first.get("type", "invalid"))
    location = [str(part) for part in first.get("loc", ())]
    field = ".".join(location) or _FIELD_OF.get(reason, "")
    return EventRefused(error="invalid_field", field=field, reason=reason)
