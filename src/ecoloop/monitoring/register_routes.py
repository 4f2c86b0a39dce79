"""Keeping the register of monitoring sites and data loggers on pages: add, edit, retire and reactivate, with each
row's change history from the audit trail (`manage_monitoring`: the administrator for the city, a branch for its
county). Every row, region, site and enterprise a form names is looked up within what the user sees, so a branch
can neither reach nor choose anything outside its county (404). Refusals show the form again with the reason and
the values entered (422)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible
from ecoloop.audit import labels
from ecoloop.audit.queries import history_of
from ecoloop.db.base import DbInt, RowId
from ecoloop.i18n import gettext
from ecoloop.monitoring import queries, service
from ecoloop.monitoring.enums import CrcMode, NoiseZone, SiteKind, StationLevel
from ecoloop.monitoring.location import locate_sites
from ecoloop.monitoring.models import Device, Site
from ecoloop.monitoring.rules import ERROR_TEXT, WATER_TARGETS, MonitoringError, water_target_of
from ecoloop.regions.enums import Datum
from ecoloop.regions.models import Region
from ecoloop.regions.queries import list_regions
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import parse_decimal
from ecoloop.web.templating import render

router = APIRouter()


def _number(text: str) -> Decimal | None:
    return parse_decimal(text, refuse=MonitoringError)


Manager = Annotated[CurrentUser, Depends(requires(Action.MANAGE_MONITORING))]
E = TypeVar("E", bound=StrEnum)


def error_text(code: str) -> str:
    """The message of a refusal in the current language."""
    return gettext(ERROR_TEXT[code]) if code in ERROR_TEXT else code


# --- reading the forms ----------------------------------------------------------------------------------------------


def _choice(enum: type[E], text: str) -> E | None:
    """An optional choice: None when blank, refused when it names no member."""
    if not text:
        return None
    if text not in enum._value2member_map_:
        raise MonitoringError("choice_invalid")
    return enum(text)


def _required(enum: type[E], text: str) -> E:
    chosen = _choice(enum, text)
    if chosen is None:
        raise MonitoringError("choice_invalid")
    return chosen


@dataclass(frozen=True)
class SiteForm:
    """The site form's fields as entered."""

    code: str
    name: str
    kind: str
    region_id: str
    station_level: str = ""
    longitude: str = ""
    latitude: str = ""
    datum: str = Datum.WGS84.value
    water_target: str = ""
    noise_zone: str = ""
    enterprise: str = ""

    @classmethod
    def of(cls, site: Site, credit_code: str | None) -> SiteForm:
        """The form filled with a site's record."""
        return cls(
            code=site.code,
            name=site.name,
            kind=site.kind.value,
            region_id=str(site.region_id),
            station_level=site.station_level.value if site.station_level else "",
            longitude="" if site.longitude is None else str(site.longitude),
            latitude="" if site.latitude is None else str(site.latitude),
            water_target=site.water_target or "",
            noise_zone=site.noise_zone.value if site.noise_zone else "",
            enterprise=credit_code or "",
        )

    def fields(self, db: Session, p: Principal) -> dict[str, Any]:
        """The keyword arguments of `service.add_site`/`update_site`; the region and the enterprise are looked up
        within the user's area (a region outside it answers 404, an enterprise outside it is refused)."""
        region = get_visible(db, p, Region, int(self.region_id)) if self.region_id.isdigit() else None
        if region is None:
            raise HTTPException(404)
        enterprise_id = None
        if self.enterprise.strip():
            enterprise_id = queries.enterprise_in_area(db, p, self.enterprise.strip().upper())
            if enterprise_id is None:
                raise MonitoringError("enterprise_unknown")
        return {
            "code": self.code,
            "name": self.name,
            "kind": _required(SiteKind, self.kind),
            "region": region,
            "enterprise_id": enterprise_id,
            "station_level": _choice(StationLevel, self.station_level),
            "longitude": _number(self.longitude),
            "latitude": _number(self.latitude),
            "datum": _required(Datum, self.datum),
            "water_target": water_target_of(self.water_target),
            "noise_zone": _choice(NoiseZone, self.noise_zone),
        }


def site_form(
    code: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    region_id: Annotated[str, Form(max_length=20)] = "",
    station_level: Annotated[str, Form(max_length=16)] = "",
    longitude: Annotated[str, Form(max_length=20)] = "",
    latitude: Annotated[str, Form(max_length=20)] = "",
    datum: Annotated[str, Form(max_length=8)] = Datum.WGS84.value,
    water_target: Annotated[str, Form(max_length=8)] = "",
    noise_zone: Annotated[str, Form(max_length=4)] = "",
    enterprise: Annotated[str, Form(max_length=18)] = "",
) -> SiteForm:
    """The site form of a request."""
    return SiteForm(
        code, name, kind, region_id, station_level, longitude, latitude, datum, water_target, noise_zone, enterprise
    )


SiteFormDep = Annotated[SiteForm, Depends(site_form)]


def form_choices(db: Session, p: Principal) -> dict[str, Any]:
    """What the site form offers: the user's active regions, the kinds, levels, datums, target classes, acoustic
    zones, and the enterprises of the user's area."""
    return {
        "form_regions": [r for r in list_regions(db, p) if r.active],
        "kinds": list(SiteKind),
        "station_levels": list(StationLevel),
        "datums": list(Datum),
        "water_targets": WATER_TARGETS,
        "noise_zones": list(NoiseZone),
        "enterprises": queries.enterprise_choices(db, p),
    }


def history(db: Session, entity_type: str, entity_id: int, settings: Settings) -> list[labels.AuditEntry]:
    """A row's change history in words, newest first."""
    return [labels.entry(r, settings.tz) for r in history_of(db, entity_type, entity_id)]


def may_see_history(p: Principal) -> bool:
    """Who reads a site's or logger's history: who keeps the register, and who reads the audit log."""
    return allowed(p, Action.MANAGE_MONITORING) or allowed(p, Action.VIEW_AUDIT)


# --- sites ----------------------------------------------------------------------------------------------------------


def _site_form_page(
    request: Request, db: Session, user: CurrentUser, site: Site | None, form: SiteForm, error: str | None
) -> Response:
    context = {"site": site, "form": form, "error": error, **form_choices(db, user.principal)}
    return render(request, "monitoring/site_edit.html", context, user=user, status_code=422 if error else 200)


def _visible_site(db: Session, p: Principal, site_id: int) -> Site:
    site = get_visible(db, p, Site, site_id)
    if site is None:
        raise HTTPException(404)
    return site


@router.post("/monitoring/sites", include_in_schema=False)
def site_create(request: Request, db: UnitOfWork, user: Manager, form: SiteFormDep) -> Response:
    """Add a site (新增点位); its coordinates are stored in WGS-84 whatever datum they were given in."""
    try:
        site = service.add_site(db, **form.fields(db, user.principal))
        locate_sites(db, [site.id])
    except MonitoringError as exc:
        db.rollback()
        return _site_form_page(request, db, user, None, form, error_text(exc.code))
    return RedirectResponse(f"/monitoring/sites/{site.id}?saved=1", status_code=303)


@router.get("/monitoring/sites/{site_id:id}/edit", include_in_schema=False)
def site_edit(request: Request, db: DbSession, user: Manager, site_id: RowId) -> Response:
    """The form that changes a site's record."""
    site = _visible_site(db, user.principal, site_id)
    form = SiteForm.of(site, queries.credit_code_of(db, site.enterprise_id))
    return _site_form_page(request, db, user, site, form, None)


@router.post("/monitoring/sites/{site_id:id}", include_in_schema=False)
def site_update(request: Request, db: UnitOfWork, user: Manager, site_id: RowId, form: SiteFormDep) -> Response:
    """Change a site's record (code, name, kind, region, level, coordinates, target, zone, enterprise)."""
    site = _visible_site(db, user.principal, site_id)
    try:
        service.update_site(db, site, **form.fields(db, user.principal))
        locate_sites(db, [site.id])
    except MonitoringError as exc:
        db.rollback()
        return _site_form_page(
            request, db, user, _visible_site(db, user.principal, site_id), form, error_text(exc.code)
        )
    return RedirectResponse(f"/monitoring/sites/{site.id}?saved=1", status_code=303)


@router.post("/monitoring/sites/{site_id:id}/retire", include_in_schema=False)
def site_retire(db: UnitOfWork, user: Manager, site_id: RowId) -> Response:
    """Retire a site and its active data loggers."""
    service.retire_site(db, _visible_site(db, user.principal, site_id))
    return RedirectResponse(f"/monitoring/sites/{site_id}?saved=1", status_code=303)


@router.post("/monitoring/sites/{site_id:id}/reactivate", include_in_schema=False)
def site_reactivate(db: UnitOfWork, user: Manager, site_id: RowId) -> Response:
    """Bring a retired site back (its loggers stay retired until each is reactivated)."""
    service.reactivate_site(db, _visible_site(db, user.principal, site_id))
    return RedirectResponse(f"/monitoring/sites/{site_id}?saved=1", status_code=303)


# --- data loggers ---------------------------------------------------------------------------------------------------


def _visible_device(db: Session, p: Principal, device_id: int) -> Device:
    device = get_visible(db, p, Device, device_id)
    if device is None:
        raise HTTPException(404)
    return device


def active_sites(db: Session, p: Principal) -> list[Site]:
    """The active sites a logger may be registered for or moved to."""
    return [s for s in queries.list_sites(db, p) if s.active]


def _new_device_page(
    request: Request, db: Session, user: CurrentUser, values: dict[str, str], error: str | None = None
) -> Response:
    context = {"sites": active_sites(db, user.principal), "crc_modes": list(CrcMode), "values": values, "error": error}
    return render(request, "monitoring/device_new.html", context, user=user, status_code=422 if error else 200)


@router.get("/monitoring/devices/new", include_in_schema=False)
def device_new(request: Request, db: DbSession, user: Manager, site: str = "") -> Response:
    """The form that registers a data logger, for a chosen site when one is given."""
    return _new_device_page(request, db, user, {"site_id": site})


@router.post("/monitoring/devices", include_in_schema=False)
def device_create(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    site_id: Annotated[RowId, Form()],
    mn: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=64)],
    crc_mode: Annotated[CrcMode, Form()] = CrcMode.HJ212,
    interval_minutes: Annotated[DbInt, Form()] = 60,
) -> Response:
    """Register a data logger for a site of the user's area; a refusal shows the form again (never the
    password)."""
    site = _visible_site(db, user.principal, site_id)
    try:
        device = service.add_device(
            db, mn=mn.strip(), password=password, site=site, crc_mode=crc_mode, interval_minutes=interval_minutes
        )
    except MonitoringError as exc:
        db.rollback()
        values = {
            "site_id": str(site_id),
            "mn": mn,
            "crc_mode": crc_mode.value,
            "interval_minutes": str(interval_minutes),
        }
        return _new_device_page(request, db, user, values, error_text(exc.code))
    return RedirectResponse(f"/monitoring/devices/{device.id}?saved=1", status_code=303)


def _device_page(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    device: Device,
    error: tuple[str, str] | None = None,
    saved: bool = False,
) -> Response:
    p = user.principal
    context = {
        "device": device,
        "sites": active_sites(db, p),
        "crc_modes": list(CrcMode),
        "history": history(db, "devices", device.id, settings) if may_see_history(p) else None,
        "errors": {error[0]: error_text(error[1])} if error else {},
        "saved": saved,
    }
    return render(request, "monitoring/device.html", context, user=user, status_code=422 if error else 200)


@router.get("/monitoring/devices/{device_id:id}", include_in_schema=False)
def device_page(
    request: Request, db: DbSession, user: Manager, settings: SettingsDep, device_id: RowId, saved: str = ""
) -> Response:
    """One data logger: its settings, its site, forms to change them, its password (never shown) and history."""
    return _device_page(request, db, user, settings, _visible_device(db, user.principal, device_id), saved=bool(saved))


def _device_step(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    device_id: int,
    section: str,
    step: Callable[[Device], object],
) -> Response:
    """Apply one change to a visible logger and go back to its page; a refusal shows the page with the reason."""
    device = _visible_device(db, user.principal, device_id)
    try:
        step(device)
    except MonitoringError as exc:
        db.rollback()
        device = _visible_device(db, user.principal, device_id)
        return _device_page(request, db, user, settings, device, error=(section, exc.code))
    return RedirectResponse(f"/monitoring/devices/{device_id}?saved=1", status_code=303)


@router.post("/monitoring/devices/{device_id:id}", include_in_schema=False)
def device_update(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    settings: SettingsDep,
    device_id: RowId,
    site_id: Annotated[RowId, Form()],
    crc_mode: Annotated[CrcMode, Form()],
    interval_minutes: Annotated[DbInt, Form()],
) -> Response:
    """Change a logger's settings or move it to another site of the user's area."""

    def step(device: Device) -> None:
        site = _visible_site(db, user.principal, site_id)
        service.update_device(db, device, site=site, crc_mode=crc_mode, interval_minutes=interval_minutes)

    return _device_step(request, db, user, settings, device_id, "settings", step)


@router.post("/monitoring/devices/{device_id:id}/password", include_in_schema=False)
def device_password(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    settings: SettingsDep,
    device_id: RowId,
    password: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Set a logger's access password (PW); the page never shows it back."""
    return _device_step(
        request, db, user, settings, device_id, "password", lambda d: service.set_device_password(db, d, password)
    )


@router.post("/monitoring/devices/{device_id:id}/retire", include_in_schema=False)
def device_retire(request: Request, db: UnitOfWork, user: Manager, settings: SettingsDep, device_id: RowId) -> Response:
    """Retire a logger: its packets are no longer accepted."""
    return _device_step(request, db, user, settings, device_id, "status", lambda d: service.retire_device(db, d))


@router.post("/monitoring/devices/{device_id:id}/reactivate", include_in_schema=False)
def device_reactivate(
    request: Request, db: UnitOfWork, user: Manager, settings: SettingsDep, device_id: RowId
) -> Response:
    """Bring a retired logger back (its site must be active)."""
    return _device_step(request, db, user, settings, device_id, "status", lambda d: service.reactivate_device(db, d))
