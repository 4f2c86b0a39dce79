"""The data-logger registry sheet (数采仪): each logger by its MN with the access password it sends, the site it
feeds, its CRC and its reporting interval. A logger already registered is updated (moved, new password, other
interval) and a retired one brought back; the site must be registered and in the importer's area (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, require
from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.i18n import N_
from ecoloop.monitoring.enums import CrcMode
from ecoloop.monitoring.models import Device, Site
from ecoloop.monitoring.service import MN_PATTERN, MonitoringError, add_device
from ecoloop.sheets import SheetLimits
from ecoloop.sheets.registry import Parsed, Registry, import_sheet, unique_rows
from ecoloop.sheets.table import Cells, Column, ImportReport, Layout, Words

CRC_WORDS = Words.of(
    CrcMode,
    {"HJ212": CrcMode.HJ212, "MODBUS": CrcMode.MODBUS_LE, "任意": CrcMode.ANY},
    also={"HJ 212": CrcMode.HJ212, "CRC16/MODBUS": CrcMode.MODBUS_LE, "MODBUS低字节在前": CrcMode.MODBUS_LE},
)

LAYOUT = Layout(
    sheet="数采仪",
    columns=(
        Column(
            "mn",
            "MN号",
            True,
            ("数采仪MN号", "MN", "设备唯一标识", "数采仪编号"),
            N_("The logger's MN as it sends it: 1 to 64 letters, digits, '_' or '-'"),
            text=True,
        ),
        Column(
            "password",
            "访问密码",
            True,
            ("密码", "PW"),
            N_("The access password (PW) the logger sends"),
            text=True,
        ),
        Column("site", "监测点位编码", True, ("点位编码",), N_("The code of a registered monitoring site"), text=True),
        Column("crc", "校验方式", aliases=("CRC",)),
        Column(
            "interval",
            "数据间隔(分钟)",
            aliases=("上报间隔", "数据间隔", "上报间隔(分钟)"),
            note=N_("Minutes between the logger's data records (1 to 1440; default 60)"),
        ),
    ),
    messages={
        "bad_mn": N_("An MN has 1 to 64 letters, digits, '_' or '-'."),
        "site_unknown": N_("No monitoring site with the code %(value)s in your area."),
        "site_retired": N_("The monitoring site %(value)s is retired."),
        "mn_outside_area": N_("A logger with this MN is registered for a site outside your area."),
    },
    examples=(
        ("371822EC0000000000000101", "123456", "371802-TOWN-01", "HJ212", "60"),
        ("371831EC0000000000000101", "654321", "91371802MA0000001X-DA001", "MODBUS", "10"),
    ),
)


@dataclass(frozen=True)
class DeviceRow:
    mn: str
    password: str
    site_code: str
    crc: CrcMode | None
    interval: int | None


def _parse(cells: Cells) -> DeviceRow | None:
    mn = cells.text("mn", 64, required=True)
    if mn is not None and not MN_PATTERN.match(mn.strip()):
        cells.problem("mn", "bad_mn")
    password = cells.text("password", 64, required=True)
    site = cells.text("site", 64, required=True)
    crc = cells.choice("crc", CRC_WORDS)
    interval = cells.whole("interval", 1, 1440)
    if not cells.ok or mn is None or password is None or site is None:
        return None
    return DeviceRow(mn.strip(), password, site.strip(), crc, interval)


def _write(session: Session, principal: Any, rows: Parsed[DeviceRow], report: ImportReport) -> None:
    require(principal, Action.MANAGE_MONITORING)
    assert isinstance(principal, Principal)
    site_codes = {row.site_code for _n, row in rows}
    sites = {s.code: s for s in session.scalars(scoped(select(Site).where(Site.code.in_(site_codes)), principal, Site))}
    mns = [row.mn for _n, row in rows]
    existing = {d.mn: d for d in session.scalars(select(Device).where(Device.mn.in_(mns)))}
    visible = set(session.scalars(scoped(select(Device.mn).where(Device.mn.in_(mns)), principal, Device)))
    for number, row in unique_rows(report, rows, lambda row: row.mn, "mn"):
        site = sites.get(row.site_code)
        if site is None:
            report.problem(number, "site", "site_unknown", row.site_code)
            continue
        if not site.active:
            report.problem(number, "site", "site_retired", row.site_code)
            continue
        device = existing.get(row.mn)
        if device is None:
            try:
                add_device(
                    session,
                    mn=row.mn,
                    password=row.password,
                    site=site,
                    crc_mode=row.crc or CrcMode.HJ212,
                    interval_minutes=row.interval or 60,
                )
            except MonitoringError as exc:  # the checks above leave none; kept for the service's own rules
                report.problem(number, "mn", exc.code)
                continue
            report.added += 1
        elif row.mn not in visible:
            report.problem(number, "mn", "mn_outside_area")
        else:
            wanted = {
                "password": row.password,
                "site_id": site.id,
                "crc_mode": row.crc or device.crc_mode,
                "interval_minutes": row.interval or device.interval_minutes,
                "active": True,
            }
            changed = {key: value for key, value in wanted.items() if getattr(device, key) != value}
            for key, value in changed.items():
                setattr(device, key, value)
            if changed:
                report.updated += 1
            else:
                report.unchanged += 1


REGISTRY = Registry(LAYOUT, _parse, _write)


def import_devices(
    session: Session, principal: Principal, data: bytes, limits: SheetLimits | None = None
) -> ImportReport:
    """Import a data-logger sheet as `principal` (who needs `manage_monitoring`): all rows or none."""
    require(principal, Action.MANAGE_MONITORING)
    return import_sheet(session, principal, REGISTRY, data, limits)


def template() -> bytes:
    """The data-logger sheet's template with example rows and its notes."""
    from ecoloop.sheets.table import template_workbook

    return template_workbook(LAYOUT, {"crc": CRC_WORDS.shown})
