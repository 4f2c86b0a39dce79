"""The organisation registry sheet (机构): county branches and responsible departments with the region they sit
in, their parent organisation, the regions they cover besides and their duties (the categories of problems routed
to them). An organisation already registered (by code) is updated and a retired one brought back; the bureau that
`ecoloop init` created may be renamed, never added (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, require
from ecoloop.access.principal import Principal
from ecoloop.i18n import N_
from ecoloop.identity.enums import Category, DepartmentType, OrgKind
from ecoloop.identity.models import Organisation
from ecoloop.identity.service import IdentityError, set_coverage, set_duties
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.sheets import SheetLimits
from ecoloop.sheets.registry import Parsed, Registry, import_sheet, unique_rows
from ecoloop.sheets.table import Cells, Column, ImportReport, Layout, Words

KIND_WORDS = Words.of(
    OrgKind,
    {"生态环境局": OrgKind.BUREAU, "分局": OrgKind.BRANCH, "责任部门": OrgKind.DEPARTMENT},
    also={"局": OrgKind.BUREAU, "县区分局": OrgKind.BRANCH, "部门": OrgKind.DEPARTMENT},
)
DEPARTMENT_WORDS = Words.of(
    DepartmentType,
    {
        "住建": DepartmentType.HOUSING,
        "交通运输": DepartmentType.TRANSPORT,
        "农业农村": DepartmentType.AGRICULTURE,
        "公安": DepartmentType.POLICE,
        "城管": DepartmentType.URBAN_MANAGEMENT,
        "自然资源": DepartmentType.NATURAL_RESOURCES,
        "水利": DepartmentType.WATER_RESOURCES,
        "工信": DepartmentType.INDUSTRY,
        "市场监管": DepartmentType.MARKET_REGULATION,
        "乡镇政府": DepartmentType.GOVERNMENT,
        "其他": DepartmentType.OTHER,
    },
    also={
        "住房和城乡建设": DepartmentType.HOUSING,
        "交通": DepartmentType.TRANSPORT,
        "农业": DepartmentType.AGRICULTURE,
        "城市管理": DepartmentType.URBAN_MANAGEMENT,
        "城市管理和综合执法": DepartmentType.URBAN_MANAGEMENT,
        "工业和信息化": DepartmentType.INDUSTRY,
        "县政府": DepartmentType.GOVERNMENT,
        "政府": DepartmentType.GOVERNMENT,
        "街道办事处": DepartmentType.GOVERNMENT,
    },
)
DUTY_WORDS = Words.of(
    Category,
    {
        "大气": Category.AIR,
        "水": Category.WATER,
        "土壤": Category.SOIL,
        "固废": Category.SOLID_WASTE,
        "噪声": Category.NOISE,
        "生态": Category.ECOLOGY,
        "辐射": Category.RADIATION,
        "其他": Category.OTHER,
    },
    also={"大气污染": Category.AIR, "水污染": Category.WATER, "固体废物": Category.SOLID_WASTE, "扬尘": Category.AIR},
)

LAYOUT = Layout(
    sheet="机构",
    columns=(
        Column("code", "机构编码", True, ("编码", "机构代码"), N_("A short code of your choice, unique"), text=True),
        Column("name", "机构名称", True, ("名称",)),
        Column("kind", "机构类型", True, ("类型",)),
        Column("department_type", "部门类别", aliases=("行业部门",), note=N_("Departments only")),
        Column("region", "所在区划代码", True, ("区划代码",), N_("A branch sits in its county"), text=True),
        Column("parent", "上级机构编码", aliases=("上级机构",), note=N_("Default: the bureau"), text=True),
        Column(
            "covered",
            "负责区划",
            aliases=("负责区划代码", "管辖区划"),
            note=N_("Region codes it is responsible for besides its own, separated by 、 or commas"),
        ),
        Column("duties", "职责", aliases=("负责问题类别", "职责类别")),
    ),
    messages={
        "bureau_by_init": N_("The bureau is registered by ecoloop init; only its name can be imported."),
        "department_needs_type": N_("A department needs its sector; other organisations have none."),
        "region_unknown": N_("There is no region with the code %(value)s."),
        "outside_area": N_("The region %(value)s is outside your area."),
        "branch_in_county": N_("A branch sits in a county."),
        "parent_unknown": N_("No organisation with the code %(value)s is registered or in this sheet."),
        "parent_is_self": N_("An organisation cannot be its own parent."),
        "kind_changed": N_("The organisation %(value)s is registered with another type."),
        "covered_retired": N_("A region named here is retired."),
    },
    examples=(
        ("branch-371802", "清源市生态环境局清源区分局", "分局", "", "371802", "", "", "大气、水、噪声"),
        ("housing-371802", "清源区住房和城乡建设局", "责任部门", "住建", "371802", "", "371802001000", "大气"),
    ),
)


@dataclass(frozen=True)
class OrganisationRow:
    code: str
    name: str
    kind: OrgKind
    department_type: DepartmentType | None
    region_code: str
    parent_code: str | None
    covered: tuple[str, ...]
    duties: tuple[Category, ...]


def _parse(cells: Cells) -> OrganisationRow | None:
    code = cells.code("code", 64, required=True)
    name = cells.text("name", 200, required=True)
    kind = cells.choice("kind", KIND_WORDS, required=True)
    department_type = cells.choice("department_type", DEPARTMENT_WORDS)
    region = cells.digits("region", required=True)
    parent = cells.code("parent", 64)
    covered = cells.codes("covered")
    for covered_code in covered:
        if not covered_code.isdigit():
            cells.problem("covered", "region_unknown", covered_code)
    duties = cells.choices("duties", DUTY_WORDS)
    if kind is not None and (kind is OrgKind.DEPARTMENT) != (department_type is not None):
        cells.problem("department_type", "department_needs_type")
    if not cells.ok or code is None or name is None or kind is None or region is None:
        return None
    lowered = code.lower()
    if parent is not None and parent.lower() == lowered:
        cells.problem("parent", "parent_is_self")
        return None
    return OrganisationRow(
        lowered,
        name.strip(),
        kind,
        department_type,
        region,
        parent.lower() if parent else None,
        tuple(dict.fromkeys(covered)),
        tuple(duties),
    )


def _write(session: Session, principal: Any, rows: Parsed[OrganisationRow], report: ImportReport) -> None:
    require(principal, Action.MANAGE_ORGANISATIONS)
    assert isinstance(principal, Principal)
    region_codes = {row.region_code for _n, row in rows} | {c for _n, row in rows for c in row.covered}
    regions = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(region_codes)))}
    orgs = {o.code: o for o in session.scalars(select(Organisation))}
    bureau = next((o for o in orgs.values() if o.kind is OrgKind.BUREAU), None)
    written: list[tuple[int, OrganisationRow, Organisation, tuple[object, ...] | None]] = []
    for number, row in unique_rows(report, rows, lambda row: row.code, "code"):
        region = _region(report, number, "region", row.region_code, regions, principal)
        covered = [_region(report, number, "covered", code, regions, principal) for code in row.covered]
        existing = orgs.get(row.code)
        if row.kind is OrgKind.BUREAU and (existing is None or existing.kind is not OrgKind.BUREAU):
            report.problem(number, "kind", "bureau_by_init")
            continue
        if existing is not None and existing.kind is not row.kind:
            report.problem(number, "kind", "kind_changed", row.code)
            continue
        if row.kind is OrgKind.BRANCH and region is not None and region.level is not RegionLevel.COUNTY:
            report.problem(number, "region", "branch_in_county")
            continue
        if region is None or None in covered:
            continue
        org = existing or Organisation(code=row.code, kind=row.kind, name=row.name, region_id=region.id)
        if existing is not None and not existing.region.path.startswith(principal.region_path):
            report.problem(number, "region", "outside_area", existing.region.code)
            continue
        before = _state(org) if existing is not None else None
        org.name, org.department_type, org.region_id, org.active = row.name, row.department_type, region.id, True
        if existing is None:
            session.add(org)
            session.flush()
            orgs[row.code] = org
        try:
            set_coverage(session, org, [r.id for r in covered if r is not None])
        except IdentityError:  # a covered region is retired
            report.problem(number, "covered", "covered_retired")
            continue
        set_duties(session, org, row.duties)
        written.append((number, row, org, before))
    session.flush()
    for number, row, org, before in written:  # parents last: they may be rows of this sheet
        # Without a parent in the sheet a new organisation sits under the bureau and a registered one keeps its own.
        parent = orgs.get(row.parent_code) if row.parent_code else (bureau if org.parent_id is None else None)
        if row.parent_code and parent is None:
            report.problem(number, "parent", "parent_unknown", row.parent_code)
        elif org.kind is not OrgKind.BUREAU and parent is not None and org.parent_id != parent.id:
            if org.id in _ancestors(parent, orgs):
                report.problem(number, "parent", "parent_is_self")
            else:
                org.parent_id = parent.id
        if before is None:
            report.added += 1
        elif before != _state(org):
            report.updated += 1
        else:
            report.unchanged += 1


def _region(
    report: ImportReport, number: int, key: str, code: str, regions: dict[str, Region], principal: Principal
) -> Region | None:
    region = regions.get(code)
    if region is None:
        report.problem(number, key, "region_unknown", code)
    elif not region.path.startswith(principal.region_path):
        report.problem(number, key, "outside_area", code)
        return None
    return region


def _state(org: Organisation) -> tuple[object, ...]:
    return (
        org.name,
        org.parent_id,
        org.department_type,
        org.region_id,
        org.active,
        sorted(c.region_id for c in org.covered),
        sorted(d.category for d in org.duties),
    )


def _ancestors(org: Organisation, orgs: dict[str, Organisation]) -> set[int]:
    """The ids of `org` and of the organisations above it."""
    by_id = {o.id: o for o in orgs.values()}
    seen: set[int] = set()
    current: Organisation | None = org
    while current is not None and current.id not in seen:
        seen.add(current.id)
        current = by_id.get(current.parent_id) if current.parent_id is not None else None
    return seen


REGISTRY = Registry(LAYOUT, _parse, _write)


def import_organisations(
    session: Session, principal: Principal, data: bytes, limits: SheetLimits | None = None
) -> ImportReport:
    """Import an organisation sheet as `principal` (who needs `manage_organisations`): all rows or none."""
    require(principal, Action.MANAGE_ORGANISATIONS)
    return import_sheet(session, principal, REGISTRY, data, limits)


def template() -> bytes:
    """The organisation sheet's template with example rows and its notes."""
    from ecoloop.sheets.table import template_workbook

    notes = {"kind": KIND_WORDS.shown, "department_type": DEPARTMENT_WORDS.shown, "duties": DUTY_WORDS.shown}
    return template_workbook(LAYOUT, notes)
