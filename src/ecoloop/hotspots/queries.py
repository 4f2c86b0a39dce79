"""Reads of hotspot orders for the pages and the export: the orders of the user's area by tab and filter, one order
with its timeline, the registered sources, the choices of the forms, and the statistics per unit and per station
(all scoped: a branch its county's, a department the orders it leads or helps with)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.alerts.models import Alert
from ecoloop.hotspots import rules
from ecoloop.hotspots.enums import OPEN_STATUSES, OrderStatus, OrderTab, SourceKind
from ecoloop.hotspots.models import HotspotEvent, HotspotOrder, PollutionSource
from ecoloop.identity.enums import OrgKind
from ecoloop.identity.models import Organisation, User
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site

WAITING = (OrderStatus.DISPATCHED, OrderStatus.RESPONDED, OrderStatus.ON_SITE)


@dataclass(frozen=True)
class Filter:
    """The list's filter: a tab, a station, a lead unit, a day range of dispatch (local days) and a number."""

    tab: OrderTab | None = None
    site_id: int | None = None
    unit_id: int | None = None
    start: date | None = None
    end: date | None = None
    text: str = ""


def _tab(tab: OrderTab | None) -> ColumnElement[bool] | None:
    if tab is OrderTab.OPEN:
        return HotspotOrder.status.in_(WAITING)
    if tab is OrderTab.OVERDUE:
        return and_(HotspotOrder.overdue.is_(True), HotspotOrder.status.in_(OPEN_STATUSES))
    if tab is OrderTab.REPLIED:
        return HotspotOrder.status == OrderStatus.REPLIED
    if tab is OrderTab.CLOSED:
        return HotspotOrder.status == OrderStatus.CLOSED
    return None


def _local_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def _filtered(principal: Principal, f: Filter, zone: tzinfo, *, tab: bool = True) -> Select[HotspotOrder]:
    stmt = scoped(select(HotspotOrder), principal, HotspotOrder)
    if tab and (cond := _tab(f.tab)) is not None:
        stmt = stmt.where(cond)
    if f.site_id is not None:
        stmt = stmt.where(HotspotOrder.site_id == f.site_id)
    if f.unit_id is not None:
        stmt = stmt.where(HotspotOrder.lead_unit_id == f.unit_id)
    if f.start is not None:
        stmt = stmt.where(HotspotOrder.dispatched_at >= _local_start(f.start, zone))
    if f.end is not None:
        stmt = stmt.where(HotspotOrder.dispatched_at < _local_start(f.end + timedelta(days=1), zone))
    if f.text.strip():
        stmt = stmt.where(HotspotOrder.number.contains(f.text.strip(), autoescape=True))
    return stmt


@dataclass(frozen=True)
class OrderRow:
    """An order as the list shows it: with its station's name and the next time limit."""

    order: HotspotOrder
    site: str
    next_due: tuple[rules.Stage, datetime] | None


def search(
    session: Session, principal: Principal, f: Filter, zone: tzinfo, *, limit: int, offset: int
) -> tuple[list[OrderRow], int]:
    """The orders of the filter, newest first, one page of them, and how many there are."""
    stmt = _filtered(principal, f, zone)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.add_columns(Site.name)
        .join(Site, Site.id == HotspotOrder.site_id)
        .order_by(HotspotOrder.dispatched_at.desc(), HotspotOrder.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [OrderRow(order, site, rules.next_due(clock_of(order))) for order, site in rows], int(total)


def tab_counts(session: Session, principal: Principal, f: Filter, zone: tzinfo) -> dict[OrderTab | None, int]:
    """How many orders each tab holds under the rest of the filter (None: all)."""
    base = _filtered(principal, f, zone, tab=False).subquery()
    out: dict[OrderTab | None, int] = {}
    for tab in OrderTab:
        cond = _tab(tab)
        assert cond is not None
        stmt = _filtered(principal, f, zone, tab=False).where(cond)
        out[tab] = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    out[None] = int(session.scalar(select(func.count()).select_from(base)) or 0)
    return out


def get(session: Session, principal: Principal, order_id: int) -> HotspotOrder | None:
    """One order, if the principal sees it."""
    return get_visible(session, principal, HotspotOrder, order_id)


def timeline(session: Session, order: HotspotOrder) -> list[HotspotEvent]:
    """The order's timeline, oldest first."""
    return list(
        session.scalars(select(HotspotEvent).where(HotspotEvent.order_id == order.id).order_by(HotspotEvent.id))
    )


def names(session: Session, user_ids: Sequence[int | None]) -> dict[int, str]:
    """Users' display names by id."""
    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return {user_id: name for user_id, name in rows}


def clock_of(order: HotspotOrder) -> rules.Clock:
    """The order's clock as the rules see it."""
    return rules.Clock(
        aware(order.dispatched_at),
        aware(order.respond_due),
        aware(order.on_site_due),
        aware(order.reply_due),
        _maybe(order.responded_at),
        _maybe(order.on_site_at),
        _maybe(order.replied_at),
    )


def aware(moment: datetime) -> datetime:
    """The moment as an aware UTC datetime."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def _maybe(moment: datetime | None) -> datetime | None:
    return None if moment is None else aware(moment)


# --- form choices -----------------------------------------------------------------------------------------------------


def stations(session: Session, principal: Principal) -> list[Site]:
    """The active air stations of the principal's area with coordinates, by name."""
    stmt = select(Site).where(Site.kind == SiteKind.AIR_STATION, Site.active, Site.longitude.is_not(None))
    return list(session.scalars(scoped(stmt, principal, Site).order_by(Site.name)))


def units(session: Session) -> list[Organisation]:
    """The active units an order may go to or ask for help: branches, departments, the bureau."""
    return list(
        session.scalars(select(Organisation).where(Organisation.active).order_by(Organisation.kind, Organisation.name))
    )


def departments(session: Session) -> list[Organisation]:
    """The active departments (and branches) that may be responsible for a registered source."""
    return [u for u in units(session) if u.kind in (OrgKind.DEPARTMENT, OrgKind.BRANCH)]


def alert_of(session: Session, principal: Principal, alert_id: int) -> Alert | None:
    """The alert an order comes from, if the principal sees it."""
    return get_visible(session, principal, Alert, alert_id)


def order_of_alert(session: Session, principal: Principal, alert_id: int) -> HotspotOrder | None:
    """The newest visible order dispatched from an alert (for the alert's page)."""
    stmt = scoped(select(HotspotOrder), principal, HotspotOrder).where(HotspotOrder.alert_id == alert_id)
    return session.scalars(stmt.order_by(HotspotOrder.id.desc()).limit(1)).first()


# --- registered sources -------------------------------------------------------------------------------------------


def sources(
    session: Session, principal: Principal, kind: SourceKind | None = None, text: str = ""
) -> list[PollutionSource]:
    """The registered sources the principal sees, by kind and name."""
    stmt = scoped(select(PollutionSource), principal, PollutionSource)
    if kind is not None:
        stmt = stmt.where(PollutionSource.kind == kind)
    if text.strip():
        like = text.strip()
        stmt = stmt.where(
            or_(
                PollutionSource.name.contains(like, autoescape=True),
                PollutionSource.address.contains(like, autoescape=True),
            )
        )
    return list(session.scalars(stmt.order_by(PollutionSource.kind, PollutionSource.name).limit(2000)))


def source(session: Session, principal: Principal, source_id: int) -> PollutionSource | None:
    """One registered source, if the principal sees it."""
    return get_visible(session, principal, PollutionSource, source_id)


# --- statistics -----------------------------------------------------------------------------------------------------

TENTH = Decimal("0.1")


def _mean(values: Sequence[Decimal | int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(TENTH, ROUND_HALF_UP)


def _share(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(100 * part) / whole).quantize(TENTH, ROUND_HALF_UP)


@dataclass(frozen=True)
class UnitStats:
    """A lead unit's orders: how many, replied (反馈率), mean response time in minutes, overdue share, and the
    mean effect (Δµg/m³ and Δ net of the neighbours) over the orders with one."""

    unit: str
    orders: int
    replied: int
    reply_rate: Decimal | None
    mean_response_minutes: Decimal | None
    overdue: int
    overdue_share: Decimal | None
    found: int  # replies naming a source (the share of alarms that found a problem, memo §5)
    mean_delta: Decimal | None
    mean_net_delta: Decimal | None


@dataclass(frozen=True)
class StationStats:
    """A station's orders: how many (repeats) and the most recent dispatch; and its mean effect."""

    site: str
    orders: int
    last: datetime
    mean_delta: Decimal | None


@dataclass(frozen=True)
class Stats:
    """The statistics of the orders of a filter."""

    units: list[UnitStats]
    stations: list[StationStats]
    total: int


def _effect(order: HotspotOrder, key: str) -> Decimal | None:
    value: Any = (order.effect or {}).get(key)
    return Decimal(value) if isinstance(value, str) else None


def stats(session: Session, principal: Principal, f: Filter, zone: tzinfo) -> Stats:
    """Per lead unit and per station, over the visible orders of the filter (tab ignored)."""
    rows = session.execute(
        _filtered(principal, f, zone, tab=False)
        .add_columns(Organisation.name, Site.name)
        .join(Organisation, Organisation.id == HotspotOrder.lead_unit_id)
        .join(Site, Site.id == HotspotOrder.site_id)
    ).all()
    by_unit: dict[str, list[HotspotOrder]] = defaultdict(list)
    by_site: dict[str, list[HotspotOrder]] = defaultdict(list)
    for order, unit, site in rows:
        by_unit[unit].append(order)
        by_site[site].append(order)
    unit_rows = []
    for unit, orders in sorted(by_unit.items()):
        replied = [o for o in orders if o.status in (OrderStatus.REPLIED, OrderStatus.CLOSED)]
        minutes = [
            m
            for o in orders
            if (m := rules.minutes_between(clock_of(o).dispatched_at, clock_of(o).responded_at)) is not None
        ]
        overdue = sum(o.overdue for o in orders)
        deltas = [d for o in orders if (d := _effect(o, "delta")) is not None]
        nets = [d for o in orders if (d := _effect(o, "net_delta")) is not None]
        unit_rows.append(
            UnitStats(
                unit,
                len(orders),
                len(replied),
                _share(len(replied), len(orders)),
                _mean(minutes),
                overdue,
                _share(overdue, len(orders)),
                sum(bool(o.source_name) for o in replied),
                _mean(deltas),
                _mean(nets),
            )
        )
    station_rows = [
        StationStats(
            site,
            len(orders),
            max(clock_of(o).dispatched_at for o in orders),
            _mean([d for o in orders if (d := _effect(o, "delta")) is not None]),
        )
        for site, orders in by_site.items()
    ]
    station_rows.sort(key=lambda s: (-s.orders, s.site))
    return Stats(unit_rows, station_rows, len(rows))
