"""API shapes of users and organisations."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ecoloop.identity.enums import Category, DepartmentType, OrgKind, Role


class OrganisationOut(BaseModel):
    """An organisation as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: OrgKind
    department_type: DepartmentType | None
    region_id: int
    parent_id: int | None
    covered_region_ids: list[int] = Field(validation_alias="covered", description="Regions covered besides its own.")
    duties: list[Category] = Field(description="The kinds of problem it is responsible for.")
    active: bool

    @field_validator("covered_region_ids", mode="before")
    @classmethod
    def _region_ids(cls, rows: list[Any]) -> list[Any]:
        return [getattr(row, "region_id", row) for row in rows]

    @field_validator("duties", mode="before")
    @classmethod
    def _categories(cls, rows: list[Any]) -> list[Any]:
        return [getattr(row, "category", row) for row in rows]


class UserOut(BaseModel):
    """A user as the API returns it (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int | None
    enterprise_id: int | None
    active: bool


class MeOut(UserOut):
    """The calling user, with the region their view is scoped to."""

    region_path: str
