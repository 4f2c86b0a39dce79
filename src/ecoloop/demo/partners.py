"""The demo city's duties of its departments and a partner platform (issue 18): the departments are responsible for
categories of problem, so that complaints and partner warnings are routed to them; the black-smoke camera system
(黑烟车辆抓拍系统) is registered, has sent three warnings — one checked and pushed to two departments, one of whom
has handled it, one checked and handed over, one waiting for 核查 — so that /alerts, /push-tasks and the report per
platform show them live."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts import service as alerts
from ecoloop.identity.enums import Category
from ecoloop.identity.models import Organisation, OrganisationDuty, User
from ecoloop.identity.service import principal_for
from ecoloop.intake import events, partners, push
from ecoloop.intake.models import Partner
from ecoloop.intake.partner_schemas import EventIn

# The categories each demo department is responsible for (职责), by organisation code.
DUTIES = {
    "dept-housing": (Category.NOISE, Category.SOLID_WASTE, Category.AIR),  # building sites: noise, waste, dust
    "dept-transport": (Category.AIR,),  # vehicles and roads
    "dept-agriculture": (Category.SOIL, Category.AIR),  # straw burning, farmland
    "dept-urban_management": (Category.AIR, Category.SOLID_WASTE, Category.NOISE),  # catering fumes, dumping
    "dept-water_resources": (Category.WATER,),
    "dept-natural_resources": (Category.ECOLOGY, Category.SOIL),
    "dept-police": (Category.SOLID_WASTE, Category.OTHER),  # hazardous-goods transport, illegal dumping
}
CODE = "smoke-camera"


def add_duties(session: Session) -> int:
    """Give the demo departments their duties, unless they have some."""
    orgs = {o.code: o for o in session.scalars(select(Organisation).where(Organisation.code.in_(list(DUTIES))))}
    added = 0
    for code, categories in DUTIES.items():
        org = orgs.get(code)
        if org is None or session.scalar(select(OrganisationDuty.id).where(OrganisationDuty.organisation_id == org.id)):
            continue
        for category in categories:
            session.add(OrganisationDuty(organisation_id=org.id, category=category))
            added += 1
    session.flush()
    return added


def add_demo_partner(session: Session, now: datetime, zone: tzinfo) -> int:
    """Register the demo's partner platform and its warnings, unless it is there."""
    if session.scalar(select(Partner.id).where(Partner.code == CODE)) is not None:
        return 0
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(["admin", "analyst"])))}
    admin, analyst = users["admin"], users["analyst"]
    partner, _key = partners.register(
        session,
        admin,
        principal_for(admin, session),
        code=CODE,
        name="黑烟车辆抓拍系统",
        region_id=None,
        now=now - timedelta(days=20),
    )
    sites = [
        (114.30, 35.36, "渣土车冒黑烟", "抓拍到重型柴油货车冒黑烟，车牌鲁P·***12，林格曼黑度3级。"),
        (114.45, 35.30, "工地非道路机械冒黑烟", "施工工地挖掘机冒黑烟，持续约5分钟。"),
        (114.38, 35.42, "货车冒黑烟", "抓拍到中型货车冒黑烟，林格曼黑度2级。"),
    ]
    accepted = []
    for n, (lon, lat, title, text) in enumerate(sites):
        event = EventIn(
            id=f"HY-{now:%Y%m}-{n + 1:04d}",
            type="black_smoke",
            title=title,
            description=text,
            occurred_at=now - timedelta(days=6 - 2 * n, hours=3),
            longitude=lon,
            latitude=lat,
            category=Category.AIR,
        )
        accepted.append(events.accept(session, partner, event, now - timedelta(days=6 - 2 * n)))
    checker = principal_for(analyst, session)
    first, second = accepted[0].alert, accepted[1].alert
    alerts.confirm(session, first, analyst, checker, now - timedelta(days=5), zone, note="经核查属实")
    chosen = [c.organisation for c in push.candidates(session, first) if c.matches][:2]
    orders = [push.Order(o.id, "请核实车辆并依法处罚，督促整改。", now + timedelta(days=3)) for o in chosen]
    tasks = push.push(session, first, analyst, checker, orders, now - timedelta(days=5))
    if tasks:
        handler = session.scalars(select(User).where(User.organisation_id == tasks[0].organisation_id)).first()
        if handler is not None:
            push.record_outcome(
                session,
                tasks[0],
                principal_for(handler, session),
                "已查处该车辆并处罚款",
                True,
                now - timedelta(days=2),
            )
    alerts.confirm(session, second, analyst, checker, now - timedelta(days=3), zone, note="核查属实，交办处理")
    session.flush()
    return len(accepted)
