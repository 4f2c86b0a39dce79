"""The registered sources sheet (污染源): construction sites, yards, roads, restaurants and other sources with their
region, place (WGS 84 decimal degrees), responsible organisation (by its code), operator and active period. A source
already registered under the same name in the same region is updated; all rows or none (`sheets.registry`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, require
from ecoloop.access.principal import Principal
from ecoloop.hotspots.enums import SourceKind
from ecoloop.hotspots.models import PollutionSource
from ecoloop.hotspots.service import HotspotError, SourceFields, save_source
from ecoloop.i18n import N_
from ecoloop.identity.models import Organisation
from ecoloop.regions.models import Region
from ecoloop.sheets import SheetLimits, cell_text
from ecoloop.sheets.registry import Parsed, Registry, import_sheet, unique_rows
from ecoloop.sheets.table import Cells, Column, ImportReport, Layout, Words

KIND_WORDS = Words.of(
    SourceKind,
    {
        "工地": SourceKind.CONSTRUCTION,
        "堆场": SourceKind.YARD,
        "道路": SourceKind.ROAD,
        "餐饮": SourceKind.RESTAURANT,
        "其他": SourceKind.OTHER,
    },
    also={"建筑工地": SourceKind.CONSTRUCTION, "物料堆场": SourceKind.YARD, "料场": SourceKind.YARD},
)
_SITE = ("东湖花园三期工地", "工地", "371802001000", "117.0021", "36.0064", "东湖路 18 号")
_YARD = ("北郊物料堆场", "堆场", "371802001000", "117.0003", "36.0101", "")
EXAMPLES = (
    (*_SITE, "dept-housing", "清源建工", "2026-03-01", "2027-06-30", ""),
    (*_YARD, "", "", "", "", "砂石"),
)
LAYOUT = Layout(
    sheet="污染源",
    columns=(
        Column("name", "名称", True, ("污染源名称",)),
        Column("kind", "类型", True, ("污染源类型",)),
        Column("region", "所在区划代码", True, ("区划代码",), text=True),
        Column("longitude", "经度", True, note=N_("WGS 84 decimal degrees")),
        Column("latitude", "纬度", True),
        Column("address", "地址"),
        Column(
            "organisation",
            "责任单位编码",
            aliases=("责任部门编码",),
            note=N_("The code of a registered unit"),
            text=True,
        ),
        Column("operator", "经营或施工单位", aliases=("施工单位", "经营者")),
        Column("start", "启用日期", aliases=("开工日期",), note=N_("Write the day as 2026-03-02")),
        Column("end", "停用日期", aliases=("完工日期",)),
        Column("note", "备注"),
    ),
    messages={
        "region_unknown": N_("There is no region with the code %(value)s."),
        "outside_area": N_("The region %(value)s is outside your area."),
        "unit_unknown": N_("No active unit has the code %(value)s."),
        "bad_day": N_("%(value)s is not a day (write 2026-03-02)."),
        "period": N_("The end of the active period is before its start."),
    },
    examples=EXAMPLES,
)


@dataclass(frozen=True)
class SourceRow:
    name: str
    kind: SourceKind
    region_code: str
    longitude: Decimal
    latitude: Decimal
    address: str
    organisation_code: str | None
    operator: str
    start: date | None
    end: date | None
    note: str


def _day(cells: Cells, key: str) -> date | None:
    raw: Any = cells.values.get(key)
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = cell_text(raw)
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        cells.problem(key, "bad_day", text)
        return None


def _parse(cells: Cells) -> SourceRow | None:
    name = cells.text("name", 200, required=True)
    kind = cells.choice("kind", KIND_WORDS, required=True)
    region = cells.digits("region", required=True)
    point = cells.point()
    if point is None and not (cells.given("longitude") or cells.given("latitude")):
        cells.problem("longitude", "required")
    organisation = cells.code("organisation", 64)
    start, end = _day(cells, "start"), _day(cells, "end")
    if start and end and end < start:
        cells.problem("end", "period")
    if not cells.ok or name is None or kind is None or region is None or point is None:
        return None
    return SourceRow(
        name.strip(),
        kind,
        region,
        point[0].quantize(Decimal("0.000001")),
        point[1].quantize(Decimal("0.000001")),
        cells.text("address", 300) or "",
        organisation.lower() if organisation else None,
        cells.text("operator", 200) or "",
        start,
        end,
        cells.text("note", 2000) or "",
    )


def _write(session: Session, principal: Any, rows: Parsed[SourceRow], report: ImportReport) -> None:
    require(principal, Action.DISPATCH_HOTSPOT_ORDERS)
    assert isinstance(principal, Principal)
    codes = {row.region_code for _n, row in rows}
    regions = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(codes)))}
    units = {o.code.lower(): o for o in session.scalars(select(Organisation).where(Organisation.active))}
    for number, row in unique_rows(report, rows, lambda row: f"{row.region_code}/{row.name}", "name"):
        region = regions.get(row.region_code)
        if region is None:
            report.problem(number, "region", "region_unknown", row.region_code)
            continue
        if not region.path.startswith(principal.region_path):
            report.problem(number, "region", "outside_area", row.region_code)
            continue
        unit = units.get(row.organisation_code) if row.organisation_code else None
        if row.organisation_code and unit is None:
            report.problem(number, "organisation", "unit_unknown", row.organisation_code)
            continue
        existing = session.scalars(
            select(PollutionSource).where(PollutionSource.region_id == region.id, PollutionSource.name == row.name)
        ).first()
        fields = SourceFields(
            name=row.name,
            kind=row.kind,
            region_id=region.id,
            longitude=row.longitude,
            latitude=row.latitude,
            address=row.address,
            organisation_id=unit.id if unit else None,
            operator=row.operator,
            active_from=row.start,
            active_to=row.end,
            note=row.note,
        )
        before = _state(existing) if existing is not None else None
        try:
            saved = save_source(session, principal, fields, existing)
        except HotspotError as exc:
            report.problem(number, "name", exc.code)
            continue
        if before is None:
            report.added += 1
        elif before != _state(saved):
            report.updated += 1
        else:
            report.unchanged += 1


def _state(source: PollutionSource) -> tuple[object, ...]:
    return (
        source.kind,
        source.longitude,
        source.latitude,
        source.address,
        source.organisation_id,
        source.operator,
        source.active_from,
        source.active_to,
        source.note,
    )


REGISTRY = Registry(LAYOUT, _parse, _write)


def import_sources(
    session: Session, principal: Principal, data: bytes, limits: SheetLimits | None = None
) -> ImportReport:
    """Import a sources sheet as `principal` (who needs `dispatch_hotspot_orders`): all rows or none."""
    require(principal, Action.DISPATCH_HOTSPOT_ORDERS)
    return import_sheet(session, principal, REGISTRY, data, limits)


def template() -> bytes:
    """The sources sheet's template with example rows and its notes."""
    from ecoloop.sheets.table import template_workbook

    return template_workbook(LAYOUT, {"kind": KIND_WORDS.shown})
