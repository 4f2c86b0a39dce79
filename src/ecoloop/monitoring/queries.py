"""Read-side queries on sites and devices (always scoped)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.monitoring.models import Device, Site


def list_sites(session: Session, principal: Principal) -> list[Site]:
    """Sites the principal may see, by code."""
    return list(session.scalars(scoped(select(Site), principal, Site).order_by(Site.code)))


def list_devices(session: Session, principal: Principal) -> list[Device]:
    """Devices of the sites the principal may see, by MN."""
    return list(session.scalars(scoped(select(Device), principal, Device).order_by(Device.mn)))
