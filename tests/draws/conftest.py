"""Fixtures of the random checks: certified officers in three units, enterprises on lists, pools, and a draw taken
through its three steps on a controllable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.draws import service
from ecoloop.draws.models import Draw, EnterprisePool, OfficerCertificate, OfficerPool
from ecoloop.enterprises.models import Enterprise, ListMembership, SupervisionList
from ecoloop.identity.enums import OrgKind, Role
from ecoloop.identity.models import Organisation, User
from ecoloop.regions.models import Region
from tests.factories import World, add_user, credit_code

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 on 7 December, local time
SEED_DAY = date(2026, 12, 8)
DRAW_DAY = date(2026, 12, 9)
LATER = datetime(2026, 12, 9, 1, 0, tzinfo=UTC)  # 9:00 on the draw day


def certify(
    session: Session, user: User, number: str, start: date = date(2025, 1, 1), end: date = date(2030, 12, 31)
) -> OfficerCertificate:
    """Give `user` an enforcement certificate valid from `start` to `end`."""
    certificate = OfficerCertificate(
        user_id=user.id, number=number, valid_from=start, valid_to=end, issued_by="省司法厅"
    )
    session.add(certificate)
    session.flush()
    return certificate


def on_list(
    session: Session, enterprise: Enterprise, code: str, start: date = date(2026, 1, 1), end: date | None = None
) -> None:
    """Put `enterprise` on the supervision list `code` from `start` to `end`."""
    listed = session.scalars(select(SupervisionList).where(SupervisionList.code == code)).one()
    session.add(ListMembership(list_id=listed.id, enterprise_id=enterprise.id, start=start, end=end))
    session.flush()


def add_enterprise(session: Session, seed: int, region: Region, industry: str = "C3011") -> Enterprise:
    """One more operating enterprise in `region`."""
    e = Enterprise(
        credit_code=credit_code(seed, region.code[:6]),
        name=f"测试企业{seed}号",
        region_id=region.id,
        industry_code=industry,
    )
    session.add(e)
    session.flush()
    return e


@dataclass
class Enforcement:
    """The test city with a second unit in county A (a 执法支队 of the bureau), officers and enterprises."""

    world: World
    brigade: Organisation
    officers: dict[str, User] = field(default_factory=dict)
    enterprises: list[Enterprise] = field(default_factory=list)

    def principal(self, session: Session, name: str) -> Principal:
        return self.world.principal(session, name)


def build_enforcement(session: Session, world: World, *, per_unit: int = 3, enterprises: int = 8) -> Enforcement:
    """Officers (`per_unit` in each of the bureau, branch A, branch B and the brigade, all certified) and
    `enterprises` enterprises in county A (industries C30xx and D44xx alternately)."""
    brigade = Organisation(
        code="brigade-a", name="清源市生态环境保护综合执法支队一大队", kind=OrgKind.BRANCH, region_id=world.county_a.id
    )
    session.add(brigade)
    session.flush()
    found = Enforcement(world, brigade)
    n = 0
    for unit, key in ((world.bureau, "bu"), (world.branch_a, "ba"), (world.branch_b, "bb"), (brigade, "br")):
        for i in range(per_unit):
            n += 1
            user = add_user(session, f"officer_{key}{i}", Role.INSPECTOR, unit)
            certify(session, user, f"37180000{n:04d}")
            found.officers[f"{key}{i}"] = user
    certify(session, world.users["branch_a"], "371800009901")
    for i in range(enterprises):
        found.enterprises.append(add_enterprise(session, 100 + i, world.town_a, "C3011" if i % 2 == 0 else "D4411"))
    return found


@pytest.fixture
def enforcement(db: Session, world: World) -> Enforcement:
    return build_enforcement(db, world)


def pools(
    session: Session,
    principal: Principal,
    region: Region,
    *,
    ratio: Decimal | None = None,
    count: int | None = None,
    **filters: object,
) -> tuple[EnterprisePool, OfficerPool]:
    """An enterprise pool over `region` and an officer pool over the city's units (a branch's: its county's)."""
    if ratio is None and count is None:
        ratio = Decimal(100)
    form = service.EnterprisePoolForm(
        name="日常监管对象", region_id=region.id, ratio_percent=ratio, count=count, **filters
    )  # type: ignore[arg-type]
    enterprise_pool = service.save_enterprise_pool(session, principal, form)
    officer_pool = service.save_officer_pool(
        session,
        principal,
        name="执法人员",
        region_id=region.id if principal.role is Role.BRANCH else region_id_of_city(session, region),
    )
    return enterprise_pool, officer_pool


def region_id_of_city(session: Session, region: Region) -> int:
    city_code = region.path.split(".", 1)[0]
    return session.scalars(select(Region.id).where(Region.code == city_code)).one()


def announcement(
    enterprise_pools: list[EnterprisePool],
    officer_pools: list[OfficerPool],
    region: Region,
    *,
    seed_date: date = SEED_DAY,
    draw_on: date = DRAW_DAY,
    **rules: object,
) -> service.Announcement:
    """An announcement of a draw over the pools, seed on SEED_DAY, drawn on DRAW_DAY."""
    return service.Announcement(
        title="2026年第四季度双随机抽查",
        region_id=region.id,
        period_label="2026年第四季度",
        period_start=date(2026, 12, 1),
        period_end=date(2026, 12, 31),
        draw_on=draw_on,
        seed_source=f"上海证券交易所 上证指数 {seed_date.isoformat()} 收盘价",
        seed_date=seed_date,
        enterprise_pool_ids=[p.id for p in enterprise_pools],
        officer_pool_ids=[p.id for p in officer_pools],
        **rules,  # type: ignore[arg-type]
    )


def draw_through(
    session: Session,
    principal: Principal,
    a: service.Announcement,
    value: str = "3412.56",
    *,
    now: datetime = NOW,
    later: datetime = LATER,
) -> Draw:
    """Announce at `now`, enter the public value at `later` (the draw day), draw five minutes after."""
    draw = service.announce(session, principal, a, now=now, zone=ZONE)
    service.enter_public_value(session, principal, draw.id, value, now=later, zone=ZONE)
    return service.perform(session, principal, draw.id, now=later + timedelta(minutes=5))


def plant_draw(session: Session, world: World) -> Draw:
    """A drawn draw today over county A (both its enterprises on site), the analyst drawing, two certified
    inspectors of the bureau (the exports' test plants hostile text in the enterprise it draws)."""
    from ecoloop.db.base import utcnow

    for i in range(2):
        certify(session, add_user(session, f"planted_officer_{i}", Role.INSPECTOR, world.bureau), f"PLANTED{i}")
    p = world.principal(session, "analyst")
    enterprise_pool, officer_pool = pools(session, p, world.county_a, count=2)
    now = utcnow()
    today = now.astimezone(ZONE).date()
    a = announcement([enterprise_pool], [officer_pool], world.county_a, seed_date=today, draw_on=today)
    draw = service.announce(session, p, a, now=now, zone=ZONE)
    service.enter_public_value(session, p, draw.id, "1", now=now, zone=ZONE)
    return service.perform(session, p, draw.id, now=now)
