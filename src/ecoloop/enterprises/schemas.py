"""API shapes of the enterprise file: the enterprise, its permits with outlets and limits, list memberships and
grades, and supervision lists with their members on a date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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


class OutletLimitOut(BaseModel):
    """A permitted concentration limit at an outlet (HJ 212 pollutant code)."""

    model_config = ConfigDict(from_attributes=True)

    pollutant: str
    limit_value: Decimal
    unit: str
    averaging: str
    reference_o2: Decimal | None
    source: str


class OutletOut(BaseModel):
    """A discharge outlet with the monitoring site that measures it and its limits."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str
    site_id: int | None
    limits: list[OutletLimitOut]


class PermitOut(BaseModel):
    """A discharge permit with its outlets."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    permit_class: str
    valid_from: date
    valid_to: date
    issued_by: str | None
    outlets: list[OutletOut]


class MembershipOut(BaseModel):
    """A period on a supervision list (ends inclusive; `end` null: still on it)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    list_code: str
    list_name: str
    start: date
    end: date | None
    reason: str
    document: str


class GradeOut(BaseModel):
    """A performance grade over a period (ends inclusive; `end` null: current)."""

    model_config = ConfigDict(from_attributes=True)

    grade: str
    start: date
    end: date | None
    document: str


class EnterpriseFileOut(EnterpriseOut):
    """The enterprise file: the record with its permits, list memberships and grades (newest first)."""

    longitude: Decimal | None
    latitude: Decimal | None
    contact_name: str | None
    contact_phone: str | None
    permits: list[PermitOut]
    memberships: list[MembershipOut]
    grades: list[GradeOut]


class SupervisionListOut(BaseModel):
    """A supervision list."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    description: str
    builtin: bool


class ListMembersOut(BaseModel):
    """The enterprises (that the caller may see) on a list on one day."""

    supervision_list: SupervisionListOut
    on: date
    enterprises: list[EnterpriseOut]
