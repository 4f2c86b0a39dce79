"""The suspect search of a hotspot order: the enterprises (with their air outlets' latest values, read as the
monitoring pages read them, `monitoring.assess.latest_values`) and the registered sources within the radius of a
station, with distance, bearing and direction (`rules.suspects`), upwind first when the station reports its wind."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.analytics.sites import StoredReadings
from ecoloop.enterprises.enums import EnterpriseStatus
from ecoloop.enterprises.models import Enterprise
from ecoloop.hotspots import rules
from ecoloop.hotspots.enums import SuspectKind
from ecoloop.hotspots.models import PollutionSource
from ecoloop.monitoring import assess
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.quality import INVALID_FLAGS
from ecoloop.readings import parameters
from ecoloop.readings.vocabulary import Interval

WIND_DIRECTION = "a01008"  # HJ 212: wind direction in degrees, where the wind comes from
WIND_FRESH = timedelta(hours=3)  # a wind direction older than this is not used to order the suspects
MAX_OUTLETS = 10  # outlets per enterprise whose latest values are frozen with the order
MAX_SUSPECTS = 100
_KM_PER_DEGREE = 111.2


class NoPlaceError(ValueError):
    """The station has no coordinates."""


def candidates_near(
    session: Session, lon: float, lat: float, radius_km: float, on: date
) -> tuple[list[rules.Candidate], dict[str, Any]]:
    """The enterprises (not closed) and the registered sources active on `on` within `radius_km`'s box around the
    point, as candidates of the search, with the rows by key."""
    d_lat = radius_km / _KM_PER_DEGREE
    d_lon = radius_km / (_KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    box = (Decimal(str(round(lon - d_lon, 6))), Decimal(str(round(lon + d_lon, 6))))
    boy = (Decimal(str(round(lat - d_lat, 6))), Decimal(str(round(lat + d_lat, 6))))
    found: list[rules.Candidate] = []
    rows: dict[str, Any] = {}
    enterprises = session.scalars(
        select(Enterprise).where(
            Enterprise.status != EnterpriseStatus.CLOSED,
            Enterprise.longitude.between(*box),
            Enterprise.latitude.between(*boy),
        )
    )
    for e in enterprises:
        assert e.longitude is not None and e.latitude is not None
        key = f"{SuspectKind.ENTERPRISE.value}:{e.id}"
        found.append(rules.Candidate(key, e.name, float(e.longitude), float(e.latitude)))
        rows[key] = e
    sources = session.scalars(
        select(PollutionSource).where(
            PollutionSource.longitude.between(*box),
            PollutionSource.latitude.between(*boy),
            (PollutionSource.active_from.is_(None)) | (PollutionSource.active_from <= on),
            (PollutionSource.active_to.is_(None)) | (PollutionSource.active_to >= on),
        )
    )
    for s in sources:
        key = f"{SuspectKind.SOURCE.value}:{s.id}"
        found.append(rules.Candidate(key, s.name, float(s.longitude), float(s.latitude)))
        rows[key] = s
    return found, rows


def _number_text(value: float | None) -> str | None:
    return None if value is None or not math.isfinite(value) else f"{value:.6g}"


def _outlets(session: Session, enterprise_id: int, readings: StoredReadings | None, now: datetime) -> list[Any]:
    """An enterprise's air outlets with their latest hourly values (`monitoring.assess.latest_values`)."""
    outlets = session.scalars(
        select(Site)
        .where(Site.enterprise_id == enterprise_id, Site.kind == SiteKind.AIR_SOURCE, Site.active)
        .order_by(Site.code)
        .limit(MAX_OUTLETS)
    ).all()
    out = []
    for site in outlets:
        values = []
        if readings is not None:
            for v in assess.latest_values(readings, site.id, Interval.HOUR, now):
                if parameters.split(v.parameter)[1] or (v.flag or "N").upper() in INVALID_FLAGS:
                    continue
                values.append({"parameter": v.parameter, "value": _number_text(v.value), "time": v.time.isoformat()})
        out.append({"site_id": site.id, "name": site.name, "values": values[:12]})
    return out


def wind_from(readings: StoredReadings | None, site_id: int, now: datetime) -> float | None:
    """The station's latest wind direction (HJ 212 a01008, degrees) if it is fresher than WIND_FRESH."""
    if readings is None:
        return None
    for v in assess.latest_values(readings, site_id, Interval.HOUR, now):
        fresh = v.parameter == WIND_DIRECTION and v.value is not None and now - v.time <= WIND_FRESH
        if fresh and v.value is not None and math.isfinite(v.value) and 0 <= v.value <= 360:
            return float(v.value) % 360.0
    return None


def search(
    session: Session,
    site: Site,
    radius_km: float,
    now: datetime,
    zone: tzinfo,
    readings: StoredReadings | None = None,
) -> tuple[list[dict[str, Any]], float | None]:
    """The suspects around a station as they are frozen with an order (nearest first, upwind first when the
    station reports its wind), each with its distance, bearing and direction, an enterprise with its air outlets'
    latest values and a registered source with its kind and responsible department; and the wind direction."""
    if site.longitude is None or site.latitude is None:
        raise NoPlaceError(site.code)
    lon, lat = float(site.longitude), float(site.latitude)
    candidates, rows = candidates_near(session, lon, lat, radius_km, now.astimezone(zone).date())
    wind = wind_from(readings, site.id, now)
    found = []
    for s in rules.suspects(lon, lat, candidates, radius_km, wind)[:MAX_SUSPECTS]:
        row = rows[s.candidate.key]
        entry: dict[str, Any] = {
            "key": s.candidate.key,
            "name": s.candidate.name,
            "distance_km": round(s.distance_km, 2),
            "bearing": round(s.bearing, 1),
            "direction": s.direction.value,
            "upwind": s.upwind,
            "longitude": s.candidate.lon,
            "latitude": s.candidate.lat,
        }
        if isinstance(row, Enterprise):
            entry |= {"kind": SuspectKind.ENTERPRISE.value, "enterprise_id": row.id}
            entry["outlets"] = _outlets(session, row.id, readings, now)
        else:
            entry |= {
                "kind": SuspectKind.SOURCE.value,
                "source_id": row.id,
                "source_kind": row.kind.value,
                "organisation_id": row.organisation_id,
                "organisation": row.organisation.name if row.organisation else "",
            }
        found.append(entry)
    return found, wind
