"""API shape of an enterprise."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class EnterpriseOut(BaseModel):
    """An enterprise as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    credit_code: str
    name: str
    industry_code: str | None
    address: str | None
    region_id: int
    status: str
