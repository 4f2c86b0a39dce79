"""The readings API's shapes (`POST /api/v1/electricity/readings`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_READINGS = 20_000  # a day of 15-minute readings of 200 meters


class ReadingIn(BaseModel):
    """One reading: the meter's number, the start of its interval (ISO 8601; without an offset, the bureau's local
    time) and the energy in kWh; each is checked on its own, a wrong one refused with its reason."""

    model_config = ConfigDict(extra="forbid")

    meter: Annotated[str, Field(max_length=64)]
    time: Annotated[str, Field(max_length=64)]
    kwh: float | str | None


class ReadingsIn(BaseModel):
    """A batch of readings."""

    model_config = ConfigDict(extra="forbid")

    readings: Annotated[list[ReadingIn], Field(max_length=MAX_READINGS)]


class RefusedOut(BaseModel):
    """A reading refused: its index in the request and the reason's code."""

    index: int
    reason: str


class ReadingsResult(BaseModel):
    """What was stored and refused."""

    received: int
    stored: int
    refused: int
    refused_by_reason: dict[str, int]
    errors: list[RefusedOut]
