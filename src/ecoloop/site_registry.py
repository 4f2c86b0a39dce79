"""The monitoring-site registry sheet (监测点位), imported on /monitoring/sites/import and by `ecoloop import sites`:
each site with its kind, station level (国控/省控/市控/县控/乡镇/村), region, coordinates in the datum they were taken
in (WGS-84, GCJ-02 or BD-09; stored as WGS-84), water target class, acoustic zone and, for a source outlet, its
enterprise and the permit outlet it measures (issue 15).

It sits above the capabilities, beside the start page: a site names its enterprise and outlet, and the enterprise
files already read the monitoring tables, so monitoring itself cannot read the enterprise files' tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, require
from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.enterprises.models import Enterprise, Outlet, Permit
from ecoloop.i18n import N_
from ecoloop.monitoring.enums import NoiseZone, SiteKind, StationLevel
from ecoloop.monitoring.location import locate_sites
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.rules import ERROR_TEXT, SOURCE_KINDS, MonitoringError
from ecoloop.monitoring.service import add_site, reactivate_site, update_site
from ecoloop.regions.datum import to_wgs84
from ecoloop.regions.enums import Datum
from ecoloop.regions.models import Region
from ecoloop.sheets import SheetLimits
from ecoloop.sheets.registry import Parsed, Registry, import_sheet, unique_rows
from ecoloop.sheets.table import Cells, Column, ImportReport, Layout, Words
from ecoloop.standards.water import WaterGrade
from ecoloop.web.imports import add_import_page

KIND_WORDS = Words.of(
    SiteKind,
    {
        "环境空气站": SiteKind.AIR_STATION,
        "水质自动站": SiteKind.WATER_STATION,
        "废气排放口": SiteKind.AIR_SOURCE,
        "废水排放口": SiteKind.WATER_SOURCE,
        "噪声监测点": SiteKind.NOISE,
        "机动车遥感点": SiteKind.VEHICLE_REMOTE_SENSING,
    },
    also={
        "空气站": SiteKind.AIR_STATION,
        "空气自动站": SiteKind.AIR_STATION,
        "大气站": SiteKind.AIR_STATION,
        "微站": SiteKind.AIR_STATION,
        "水站": SiteKind.WATER_STATION,
        "水质站": SiteKind.WATER_STATION,
        "废气": SiteKind.AIR_SOURCE,
        "废水": SiteKind.WATER_SOURCE,
        "噪声": SiteKind.NOISE,
        "噪声站": SiteKind.NOISE,
        "遥感": SiteKind.VEHICLE_REMOTE_SENSING,
    },
)
LEVEL_WORDS = Words.of(
    StationLevel,
    {
        "国控": StationLevel.NATIONAL,
        "省控": StationLevel.PROVINCIAL,
        "市控": StationLevel.CITY,
        "县控": StationLevel.COUNTY,
        "乡镇": StationLevel.TOWN,
        "村": StationLevel.VILLAGE,
    },
    also={
        "国控站": StationLevel.NATIONAL,
        "省控站": StationLevel.PROVINCIAL,
        "市控站": StationLevel.CITY,
        "县控站": StationLevel.COUNTY,
        "区控": StationLevel.COUNTY,
        "乡镇站": StationLevel.TOWN,
        "街道": StationLevel.TOWN,
        "村级": StationLevel.VILLAGE,
        "村级站": StationLevel.VILLAGE,
    },
)
DATUM_WORDS = Words.of(
    Datum,
    {"WGS-84": Datum.WGS84, "GCJ-02": Datum.GCJ02, "BD-09": Datum.BD09},
    also={"GPS": Datum.WGS84, "高德": Datum.GCJ02, "腾讯": Datum.GCJ02, "火星坐标": Datum.GCJ02, "百度": Datum.BD09},
)
TARGET_WORDS = Words.of(
    WaterGrade,
    {"Ⅰ类": WaterGrade.CLASS_I, "Ⅱ类": WaterGrade.CLASS_II, "Ⅲ类": WaterGrade.CLASS_III, "Ⅳ类": WaterGrade.CLASS_IV}
    | {"Ⅴ类": WaterGrade.CLASS_V},
    also={"1": WaterGrade.CLASS_I, "2": WaterGrade.CLASS_II, "3": WaterGrade.CLASS_III, "4": WaterGrade.CLASS_IV}
    | {"5": WaterGrade.CLASS_V},
)
ZONE_WORDS = Words.of(
    NoiseZone,
    {f"{zone.value}类": zone for zone in NoiseZone},
)

LAYOUT = Layout(
    sheet="监测点位",
    columns=(
        Column(
            "code",
            "点位编码",
            True,
            ("站点编码", "监测点位编码", "编码"),
            N_("Unique; data loggers name it"),
            text=True,
        ),
        Column("name", "点位名称", True, ("站点名称", "名称")),
        Column("kind", "点位类型", True, ("类型", "站点类型")),
        Column("station_level", "控制级别", aliases=("站点级别", "级别")),
        Column(
            "region",
            "所属区划代码",
            aliases=("区划代码", "所在区划代码"),
            note=N_("Required, except for an outlet, which lies in its enterprise's region"),
            text=True,
        ),
        Column("longitude", "经度", note=N_("Decimal degrees, e.g. 113.926")),
        Column("latitude", "纬度", note=N_("Decimal degrees, e.g. 35.303")),
        Column("datum", "坐标系", aliases=("坐标类型",)),
        Column("water_target", "水质目标", aliases=("目标水质", "水质目标类别")),
        Column("noise_zone", "声环境功能区", aliases=("功能区类别", "声功能区")),
        Column("enterprise", "企业统一社会信用代码", aliases=("统一社会信用代码", "信用代码"), text=True),
        Column("outlet", "排放口编号", aliases=("排污口编号",), note=N_("The permit's outlet this site measures")),
    ),
    messages={
        **ERROR_TEXT,
        "region_unknown": N_("There is no region with the code %(value)s."),
        "region_retired": N_("The region %(value)s is retired."),
        "outside_area": N_("The region %(value)s is outside your area."),
        "needs_enterprise": N_("An outlet names its enterprise."),
        "enterprise_unknown": N_("No enterprise with the credit code %(value)s in your area."),
        "outlet_unknown": N_("The enterprise's permits have no outlet %(value)s."),
        "outlet_taken": N_("The outlet %(value)s is measured by another site."),
        "not_a_target": N_("A target is one of the classes I to V."),
        "kind_changed": N_("The site %(value)s is registered as another kind."),
        "site_outside_area": N_("A site with this code is registered outside your area."),
        "datum_without_point": N_("A coordinate system is given without coordinates."),
    },
    examples=(
        (
            "371802-TOWN-01",
            "湖滨街道站",
            "环境空气站",
            "乡镇",
            "371802001000",
            "116.4521",
            "36.5012",
            "WGS-84",
            "",
            "",
            "",
            "",
        ),
        (
            "371821-W-01",
            "清河大桥断面",
            "水质自动站",
            "市控",
            "371821",
            "116.6012",
            "36.4521",
            "GCJ-02",
            "Ⅲ类",
            "",
            "",
            "",
        ),
        (
            "371802-N-01",
            "湖滨花园噪声点",
            "噪声监测点",
            "市控",
            "371802",
            "116.4488",
            "36.5077",
            "BD-09",
            "",
            "1类",
            "",
            "",
        ),
    ),
)


@dataclass(frozen=True)
class SiteRow:
    code: str
    name: str
    kind: SiteKind
    station_level: StationLevel | None
    region_code: str | None
    point: tuple[Decimal, Decimal] | None  # WGS-84, six places
    water_target: WaterGrade | None
    noise_zone: NoiseZone | None
    credit_code: str | None
    outlet_code: str | None


def _parse(cells: Cells) -> SiteRow | None:
    code = cells.code("code", 64, required=True)
    name = cells.text("name", 200, required=True)
    kind = cells.choice("kind", KIND_WORDS, required=True)
    level = cells.choice("station_level", LEVEL_WORDS)
    region = cells.digits("region")
    point = cells.point()
    datum = cells.choice("datum", DATUM_WORDS)
    target = cells.choice("water_target", TARGET_WORDS)
    zone = cells.choice("noise_zone", ZONE_WORDS)
    credit = cells.code("enterprise", 18, pattern=r"[0-9A-Za-z]{18}")
    outlet = cells.code("outlet", 16)
    if target is WaterGrade.WORSE_THAN_V:
        cells.problem("water_target", "not_a_target")
    if datum is not None and point is None and cells.ok:
        cells.problem("datum", "datum_without_point")
    if kind in SOURCE_KINDS and credit is None and not cells.given("enterprise"):
        cells.problem("enterprise", "needs_enterprise")
    elif outlet is not None and credit is None and not cells.given("enterprise"):
        cells.problem("outlet", "needs_enterprise")
    if kind not in SOURCE_KINDS and region is None and not cells.given("region"):
        cells.problem("region", "required")
    if not cells.ok or code is None or name is None or kind is None:
        return None
    stored = to_wgs84(point[0], point[1], datum or Datum.WGS84) if point is not None else None
    return SiteRow(code, name.strip(), kind, level, region, stored, target, zone, credit and credit.upper(), outlet)


def _write(session: Session, principal: Any, rows: Parsed[SiteRow], report: ImportReport) -> None:
    require(principal, Action.MANAGE_MONITORING)
    assert isinstance(principal, Principal)
    region_codes = {row.region_code for _n, row in rows if row.region_code}
    regions = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(region_codes)))}
    credits = {row.credit_code for _n, row in rows if row.credit_code}
    enterprises = {
        e.credit_code: e
        for e in session.scalars(
            scoped(select(Enterprise).where(Enterprise.credit_code.in_(credits)), principal, Enterprise)
        )
    }
    regions_by_id = {
        r.id: r
        for r in session.scalars(select(Region).where(Region.id.in_([e.region_id for e in enterprises.values()])))
    }
    codes = [row.code for _n, row in rows]
    existing = {s.code: s for s in session.scalars(select(Site).where(Site.code.in_(codes)))}
    visible = set(session.scalars(scoped(select(Site.code).where(Site.code.in_(codes)), principal, Site)))
    placed: list[int] = []
    for number, row in unique_rows(report, rows, lambda row: row.code, "code"):
        enterprise = enterprises.get(row.credit_code) if row.credit_code else None
        if row.credit_code and enterprise is None:
            report.problem(number, "enterprise", "enterprise_unknown", row.credit_code)
            continue
        region = _region(report, number, row, regions, enterprise, regions_by_id, principal)
        if region is None:
            continue
        site = existing.get(row.code)
        if site is not None and row.code not in visible:
            report.problem(number, "code", "site_outside_area")
            continue
        if site is not None and site.kind is not row.kind:
            report.problem(number, "kind", "kind_changed", row.code)
            continue
        before = _state(site) if site is not None else None
        fields = {
            "code": row.code,
            "name": row.name,
            "kind": row.kind,
            "region": region,
            "enterprise_id": enterprise.id if enterprise else None,
            "station_level": row.station_level,
            "longitude": row.point[0] if row.point else site.longitude if site else None,
            "latitude": row.point[1] if row.point else site.latitude if site else None,
            "water_target": row.water_target,
            "noise_zone": row.noise_zone,
        }
        try:
            if site is None:
                site = add_site(session, **fields)  # type: ignore[arg-type]  # the keywords of add_site
            else:
                if not site.active:
                    reactivate_site(session, site)
                update_site(session, site, **fields)  # type: ignore[arg-type]  # and of update_site
        except MonitoringError as exc:
            report.problem(number, PROBLEM_COLUMNS.get(exc.code, ""), exc.code)
            continue
        placed.append(site.id)
        if row.outlet_code is not None and enterprise is not None:
            _link_outlet(session, report, number, row.outlet_code, enterprise, site)
        if before is None:
            report.added += 1
        elif before != _state(site):
            report.updated += 1
        else:
            report.unchanged += 1
    locate_sites(session, placed)


def _region(
    report: ImportReport,
    number: int,
    row: SiteRow,
    regions: dict[str, Region],
    enterprise: Enterprise | None,
    regions_by_id: dict[int, Region],
    principal: Principal,
) -> Region | None:
    """The row's region (an outlet's, when not written, its enterprise's), checked against the area and level."""
    if row.region_code is None:
        return regions_by_id[enterprise.region_id] if enterprise is not None else None
    region = regions.get(row.region_code)
    if region is None:
        report.problem(number, "region", "region_unknown", row.region_code)
    elif not region.path.startswith(principal.region_path):
        report.problem(number, "region", "outside_area", row.region_code)
    elif not region.active:
        report.problem(number, "region", "region_retired", row.region_code)
    else:
        return region
    return None


def _state(site: Site) -> tuple[object, ...]:
    return (
        site.name,
        site.station_level,
        site.level,
        site.region_id,
        site.enterprise_id,
        site.longitude,
        site.latitude,
        site.water_target,
        site.noise_zone,
        site.active,
    )


def _link_outlet(
    session: Session, report: ImportReport, number: int, code: str, enterprise: Enterprise, site: Site
) -> None:
    outlets = list(
        session.scalars(
            select(Outlet).join(Permit).where(Permit.enterprise_id == enterprise.id, Outlet.code == code.upper())
        )
    )
    if not outlets:
        report.problem(number, "outlet", "outlet_unknown", code)
    for outlet in outlets:  # the same outlet under each of the enterprise's permits
        if outlet.site_id not in (None, site.id):
            report.problem(number, "outlet", "outlet_taken", code)
            return
        outlet.site_id = site.id


# The column a refusal of the monitoring rules names.
PROBLEM_COLUMNS = {
    "site_code_taken": "code",
    "station_region": "region",
    "region_retired": "region",
    "station_level_not_station": "station_level",
    "water_target_not_water": "water_target",
    "water_target_invalid": "water_target",
    "noise_zone_not_noise": "noise_zone",
    "enterprise_not_source": "enterprise",
    "coordinates_incomplete": "longitude",
    "coordinates_out_of_range": "longitude",
}

REGISTRY = Registry(LAYOUT, _parse, _write)


def import_sites(
    session: Session, principal: Principal, data: bytes, limits: SheetLimits | None = None
) -> ImportReport:
    """Import a monitoring-site sheet as `principal` (who needs `manage_monitoring`): all rows or none."""
    require(principal, Action.MANAGE_MONITORING)
    return import_sheet(session, principal, REGISTRY, data, limits)


def template() -> bytes:
    """The site sheet's template with example rows and its notes."""
    from ecoloop.sheets.table import template_workbook

    notes = {
        "kind": KIND_WORDS.shown,
        "station_level": LEVEL_WORDS.shown,
        "datum": DATUM_WORDS.shown,
        "water_target": TARGET_WORDS.shown,
        "noise_zone": ZONE_WORDS.shown,
    }
    return template_workbook(LAYOUT, notes)


router = APIRouter()
add_import_page(
    router,
    "/monitoring/sites/import",
    action=Action.MANAGE_MONITORING,
    title=N_("Import monitoring sites"),
    back=("/monitoring/sites", N_("Monitoring sites")),
    importer=import_sites,
    template=template,
    filename="监测点位导入模板.xlsx",
)
