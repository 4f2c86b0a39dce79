"""Kinds of organisation; the roles are `ecoloop.access.roles.Role` (the access policy's vocabulary)."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.access.roles import Role as Role  # re-exported: users and forms name roles from here too
from ecoloop.i18n import N_


class OrgKind(StrEnum):
    """The bureau itself, one of its county branches, or another responsible department."""

    BUREAU = "bureau"
    BRANCH = "branch"
    DEPARTMENT = "department"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    OrgKind.BUREAU: N_("Ecology and environment bureau"),
    OrgKind.BRANCH: N_("County branch"),
    OrgKind.DEPARTMENT: N_("Responsible department"),
}


class DepartmentType(StrEnum):
    """Sector of a responsible department that cases are assigned to."""

    HOUSING = "housing"
    TRANSPORT = "transport"
    AGRICULTURE = "agriculture"
    POLICE = "police"
    URBAN_MANAGEMENT = "urban_management"
    NATURAL_RESOURCES = "natural_resources"
    WATER_RESOURCES = "water_resources"
    INDUSTRY = "industry"
    MARKET_REGULATION = "market_regulation"
    GOVERNMENT = "government"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _DEPT_LABELS[self]


_DEPT_LABELS = {
    DepartmentType.HOUSING: N_("Housing and urban-rural development"),
    DepartmentType.TRANSPORT: N_("Transport"),
    DepartmentType.AGRICULTURE: N_("Agriculture and rural affairs"),
    DepartmentType.POLICE: N_("Public security"),
    DepartmentType.URBAN_MANAGEMENT: N_("Urban management and law enforcement"),
    DepartmentType.NATURAL_RESOURCES: N_("Natural resources"),
    DepartmentType.WATER_RESOURCES: N_("Water resources"),
    DepartmentType.INDUSTRY: N_("Industry and information technology"),
    DepartmentType.MARKET_REGULATION: N_("Market regulation"),
    DepartmentType.GOVERNMENT: N_("Town or county government"),
    DepartmentType.OTHER: N_("Other department"),
}


class Category(StrEnum):
    """What kind of environmental problem (污染类型): the category of a case, and a duty an organisation is
    responsible for (cases re-export it)."""

    AIR = "air"
    WATER = "water"
    SOIL = "soil"
    SOLID_WASTE = "solid_waste"
    NOISE = "noise"
    ECOLOGY = "ecology"
    RADIATION = "radiation"
    OTHER = "other"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.AIR: N_("Air pollution"),
    Category.WATER: N_("Water pollution"),
    Category.SOIL: N_("Soil pollution"),
    Category.SOLID_WASTE: N_("Solid waste"),
    Category.NOISE: N_("Noise"),
    Category.ECOLOGY: N_("Ecological damage"),
    Category.RADIATION: N_("Radiation"),
    Category.OTHER: N_("Other problem"),
}
