"""The effect of a hotspot order on its station (`rules.effect`): the stored hourly values of the N hours before
the hotspot against the N hours after the reply, for the station and for its neighbouring air stations, read from
both tiers of the readings store through the analytics engine (`analytics.sites.period_readings`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts.rules import distance_km
from ecoloop.analytics import sites as site_readings
from ecoloop.analytics.sites import StoredReadings
from ecoloop.hotspots import rules
from ecoloop.hotspots.enums import OrderEventKind
from ecoloop.hotspots.models import HotspotOrder
from ecoloop.hotspots.queries import aware
from ecoloop.hotspots.service import Policy, timeline_event
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.quality import INVALID_FLAGS
from ecoloop.readings.vocabulary import Interval

EFFECT_GIVE_UP = timedelta(days=3)  # after the hours after the reply, late data is waited for this long


def neighbours(session: Session, site: Site, radius_km: float) -> list[int]:
    """The other active air stations within `radius_km` of the station."""
    if site.longitude is None or site.latitude is None:
        return []
    lon, lat = float(site.longitude), float(site.latitude)
    others = session.execute(
        select(Site.id, Site.longitude, Site.latitude).where(
            Site.kind == SiteKind.AIR_STATION, Site.active, Site.id != site.id, Site.longitude.is_not(None)
        )
    ).all()
    return [
        i
        for i, x, y in others
        if x is not None and y is not None and distance_km(lon, lat, float(x), float(y)) <= radius_km
    ]


def _values(
    readings: StoredReadings, site_ids: Sequence[int], parameter: str, start: datetime, end: datetime
) -> list[Decimal]:
    if not site_ids:
        return []
    with readings.backend() as con:
        t = site_readings.period_readings(con, readings, list(site_ids), [Interval.HOUR], start, end)
        rows = site_readings.rows(con, t.filter(t.parameter == parameter).select("value", "flag"))
    return [
        Decimal(str(r["value"]))
        for r in rows
        if r["value"] is not None and (r["flag"] or "N").upper() not in INVALID_FLAGS
    ]


def compute_effect(
    session: Session, order: HotspotOrder, readings: StoredReadings, now: datetime, policy: Policy | None = None
) -> rules.Effect | None:
    """The order's effect on its station (`rules.effect`) from the stored hourly values: the N hours before the
    hotspot against the N hours after the reply, for the station and its neighbours; stored on the order once the
    N hours have passed (None, nothing stored, before then or without values)."""
    policy = policy or Policy()
    if order.replied_at is None:
        return None
    hours = timedelta(hours=policy.effect_hours)
    replied, began = aware(order.replied_at), aware(order.hotspot_at)
    if now < replied + hours:
        return None
    site = session.get_one(Site, order.site_id)
    others = neighbours(session, site, policy.neighbour_km)
    before = (began - hours, began)
    after = (replied, replied + hours)
    found = rules.effect(
        _values(readings, [site.id], order.parameter, *before),
        _values(readings, [site.id], order.parameter, *after),
        _values(readings, others, order.parameter, *before),
        _values(readings, others, order.parameter, *after),
        min_values=max(1, policy.effect_hours // 2),
    )
    if found is None:
        return None
    order.effect = {k: None if v is None else str(v) for k, v in found.__dict__.items()} | {
        "hours": policy.effect_hours,
        "neighbours": len(others),
    }
    order.effect_at = now
    timeline_event(session, order, None, OrderEventKind.EFFECT, now, data=order.effect)
    return found


def compute_effects(session: Session, readings: StoredReadings, now: datetime, policy: Policy | None = None) -> int:
    """Compute the effect of every replied order whose hours after the reply have passed (the scheduler's job);
    an order without values is tried again until EFFECT_GIVE_UP after them. Returns how many were computed."""
    policy = policy or Policy()
    hours = timedelta(hours=policy.effect_hours)
    due = session.scalars(
        select(HotspotOrder).where(
            HotspotOrder.effect_at.is_(None),
            HotspotOrder.replied_at.is_not(None),
            HotspotOrder.replied_at <= now - hours,
            HotspotOrder.replied_at >= now - hours - EFFECT_GIVE_UP,
        )
    ).all()
    done = sum(compute_effect(session, order, readings, now, policy) is not None for order in due)
    session.flush()
    return done
