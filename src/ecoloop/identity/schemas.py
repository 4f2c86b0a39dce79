"""API shapes of users and organisations."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ecoloop.identity.enums import DepartmentType, OrgKind, Role


class OrganisationOut(BaseModel):
    """An organisation as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: OrgKind
    department_type: DepartmentType | None
    region_id: int
    active: bool


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
