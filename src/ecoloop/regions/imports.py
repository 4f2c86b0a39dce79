"""The region registry sheet (区划): counties, towns/streets and villages/communities by their official codes, below
the city that `ecoloop init` created. A row's level and parent follow from its code (GB/T 2260 for counties, the
12-digit statistical division codes for towns and villages); a level or parent written in the sheet must agree.
Parents may stand in the same sheet, in any order. A region already registered keeps its code; its name is
updated, and a retired one is brought back (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, require
from ecoloop.access.principal import Principal
from ecoloop.i18n import N_
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.rules import RegionCodeError
from ecoloop.regions.service import add_region
from ecoloop.sheets import SheetLimits
from ecoloop.sheets.registry import Parsed, Registry, import_sheet, unique_rows
from ecoloop.sheets.table import Cells, Column, ImportReport, Layout, Words

LEVEL_WORDS = Words.of(
    RegionLevel,
    {"区县": RegionLevel.COUNTY, "乡镇街道": RegionLevel.TOWN, "村社区": RegionLevel.VILLAGE},
    also={
        "县": RegionLevel.COUNTY,
        "区": RegionLevel.COUNTY,
        "县级市": RegionLevel.COUNTY,
        "县区": RegionLevel.COUNTY,
        "乡镇": RegionLevel.TOWN,
        "乡": RegionLevel.TOWN,
        "镇": RegionLevel.TOWN,
        "街道": RegionLevel.TOWN,
        "村": RegionLevel.VILLAGE,
        "社区": RegionLevel.VILLAGE,
        "村居": RegionLevel.VILLAGE,
        "市": RegionLevel.CITY,
    },
)

LAYOUT = Layout(
    sheet="区划",
    columns=(
        Column(
            "code",
            "区划代码",
            True,
            ("行政区划代码", "统计用区划代码", "代码"),
            N_("County: 6-digit GB/T 2260 code; town/street and village/community: 12-digit statistical code"),
            text=True,
        ),
        Column("name", "名称", True, ("区划名称",), N_("The region's name")),
        Column("level", "级别", aliases=("层级",)),
        Column(
            "parent",
            "上级区划代码",
            aliases=("上级代码",),
            note=N_("Optional: follows from the code; when given it must agree"),
            text=True,
        ),
    ),
    messages={
        "region_code_digits": N_("A code of this level has %(value)s digits."),
        "region_code": N_("%(value)s is not a county, town or village code of this city."),
        "level_mismatch": N_("The code %(value)s is not of this level."),
        "parent_mismatch": N_("The region with the code %(value)s is not the parent of this code."),
        "parent_unknown": N_("The parent region %(value)s is neither registered nor in this sheet."),
        "outside_area": N_("The region %(value)s is outside your area."),
        "city_by_init": N_("The city itself is registered by ecoloop init, not imported."),
        "no_city": N_("No city is registered yet: run ecoloop init first."),
    },
    examples=(
        ("371802", "清源区", "区县", ""),
        ("371802001000", "湖滨街道", "乡镇街道", "371802"),
        ("371802001001", "花园社区居委会", "村社区", "371802001000"),
    ),
)


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None  # None: the city (found when written)
    parent_written: bool  # the parent code came from the sheet's column (else from the code)


def level_of(code: str) -> RegionLevel | None:
    """The level a code has by its form: 6 digits PPCC00 a city, other 6 digits a county, 12 digits ending 000 a
    town or street, other 12 digits a village or community (GB/T 2260; 统计用区划代码)."""
    if not code.isdigit():
        return None
    if len(code) == 6:
        return RegionLevel.CITY if code.endswith("00") else RegionLevel.COUNTY
    if len(code) == 12:
        return RegionLevel.TOWN if code.endswith("000") else RegionLevel.VILLAGE
    return None


def parent_code_of(code: str, level: RegionLevel) -> str | None:
    """The parent's code as the code's structure gives it (None for a county: its city is the registered one)."""
    if level is RegionLevel.TOWN:
        return code[:6]
    if level is RegionLevel.VILLAGE:
        return code[:9] + "000"
    return None


def _parse(cells: Cells) -> RegionRow | None:
    code = cells.digits("code", required=True)
    name = cells.text("name", 100, required=True)
    written = cells.choice("level", LEVEL_WORDS)
    parent = cells.digits("parent")
    if code is None:
        return None
    level = level_of(code)
    if level is None:
        cells.problem("code", "region_code", code)
        return None
    if level is RegionLevel.CITY:
        cells.problem("code", "city_by_init")
        return None
    if written is not None and written is not level:
        cells.problem("level", "level_mismatch", code)
    structural = parent_code_of(code, level)
    if parent is not None and structural is not None and parent != structural:
        cells.problem("parent", "parent_mismatch", parent)
    if name is None or not cells.ok:
        return None
    return RegionRow(code, name.strip(), level, structural or parent, parent is not None)


def _write(session: Session, principal: Any, rows: Parsed[RegionRow], report: ImportReport) -> None:
    require(principal, Action.MANAGE_REGIONS)
    assert isinstance(principal, Principal)
    city = session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)).first()
    if city is None:
        report.problem(0, "", "no_city")
        return
    rows = unique_rows(report, rows, lambda row: row.code, "code")
    codes = {row.code for _n, row in rows} | {row.parent_code for _n, row in rows if row.parent_code}
    known = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(codes)))} | {city.code: city}
    for number, row in sorted(rows, key=lambda item: (item[1].level.depth, item[0])):
        parent = known.get(row.parent_code or city.code)
        if parent is None:
            report.problem(number, "parent" if row.parent_written else "code", "parent_unknown", row.parent_code)
            continue
        if not parent.path.startswith(principal.region_path):
            report.problem(number, "code", "outside_area", row.code)
            continue
        existing = known.get(row.code)
        if existing is not None:
            # Below the importer's own region only: a branch keeps its county's towns and villages, not the county.
            if not existing.path.startswith(principal.region_path) or existing.path == principal.region_path:
                report.problem(number, "code", "outside_area", row.code)
            elif existing.name != row.name or not existing.active:
                existing.name, existing.active = row.name, True
                report.updated += 1
            else:
                report.unchanged += 1
            continue
        try:
            known[row.code] = add_region(session, code=row.code, name=row.name, level=row.level, parent=parent)
        except RegionCodeError as exc:
            if exc.reason == "digits":
                report.problem(number, "code", "region_code_digits", exc.digits)
            else:
                report.problem(number, "code", "region_code", row.code)
            continue
        report.added += 1


REGISTRY = Registry(LAYOUT, _parse, _write)


def import_regions(
    session: Session, principal: Principal, data: bytes, limits: SheetLimits | None = None
) -> ImportReport:
    """Import a region sheet as `principal` (who needs `manage_regions`: the administrator for the city, a branch
    for the towns and villages of its county): all rows or none."""
    require(principal, Action.MANAGE_REGIONS)
    return import_sheet(session, principal, REGISTRY, data, limits)


def template() -> bytes:
    """The region sheet's template with example rows and its notes."""
    from ecoloop.sheets.table import template_workbook

    return template_workbook(LAYOUT, {"level": LEVEL_WORDS.shown})
