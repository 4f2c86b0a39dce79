"""The demo city's air control operations (issue 20): the emergency control list (应急减排清单) of the graded
enterprises in the guide's industries with their emissions and the counties' baseline inventories, a staggered
schedule (错时生产) and a heating plant's override (以热定产); electricity meters on twenty of them with nine
weeks of readings (production every 15 minutes, treatment hourly); last week's orange warning, issued, upgraded
and lifted, whose electricity check found one enterprise producing through its stop order and one whose treatment
facility stopped while it produced; a warning for tomorrow awaiting the leader's signature (审签), to be signed and
issued from its page; registered sources around the planted hotspot (仁和镇) and its hotspot orders — one
dispatched today with its clock running, one from last week answered, checked on site and closed.

Dates are counted back from the day the demo is loaded. `add_demo_aircontrol` adds nothing when the demo's warnings
are there already; `add_demo_hotspot_orders` nothing when its orders are.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.alerts.models import Alert
from ecoloop.alerts.service import confirm
from ecoloop.audit.service import Actor, set_actor
from ecoloop.controls import service as controls
from ecoloop.controls.enums import GuideIndustry, Livelihood, MeasureKind, Pollutant
from ecoloop.controls.rules import Measure, RequiredShares, Window, guide_industry_of
from ecoloop.controls.views import county_summaries, list_rows
from ecoloop.demo.enforcement import People
from ecoloop.electricity import service as electricity
from ecoloop.electricity.enums import MeterInterval, MeterTarget
from ecoloop.electricity.models import ElectricityFlag
from ecoloop.enterprises.enums import LineKind
from ecoloop.enterprises.models import Enterprise, GradeRecord, ProductionLine
from ecoloop.episodes import service as warnings
from ecoloop.episodes.enums import PrimaryPollutant, WarningLevel
from ecoloop.episodes.models import PollutionWarning
from ecoloop.hotspots import service as hotspots
from ecoloop.hotspots.enums import CheckResult, SourceKind
from ecoloop.hotspots.models import HotspotOrder
from ecoloop.identity.models import User
from ecoloop.monitoring.models import Site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.settings import Settings

SEED = "ecoloop-demo-aircontrol"

# The GB/T 4754 classes of the demo's graded enterprises that go on its list (their guide industries by
# `controls.rules.guide_industry_of`).
CLASSES = ("C3011", "C3041", "C3120", "C3391", "C2521", "C2614", "C2631", "C2110")
# Typical normal daily emissions (kg/d) of one enterprise of each industry: SO2, NOx, PM, VOCs (the demo's own
# round figures, of the order a city's inventory gives such plants).
EMISSIONS = {
    GuideIndustry.CEMENT_CLINKER: (180, 950, 160, 20),
    GuideIndustry.GLASS: (260, 720, 90, 15),
    GuideIndustry.STEEL: (900, 1600, 700, 60),
    GuideIndustry.FOUNDRY: (12, 20, 45, 30),
    GuideIndustry.COKING: (320, 580, 210, 260),
    GuideIndustry.CHEMICAL: (40, 60, 20, 180),
    GuideIndustry.COATING: (0, 0, 8, 95),
    GuideIndustry.POWER: (420, 900, 70, 10),
}
COATING_ON_LIST = 12  # the furniture makers with coating lines on the list (the largest first by id)
HEATING_PLANT = "清源聚丰热电有限公司"  # a 供暖 plant: 以热定产 at orange and red
STAGGERED = "泉阳市黄河家具有限公司"  # produces only 20:00-06:00 at orange (错时生产)
METERED = 20  # enterprises with electricity meters
# The planted findings of last week's warning: production through a stop order, treatment stopped while producing.
OVER = "临河县海川机械铸造有限公司"  # grade D foundry: stops at orange
TREATMENT_OFF = "平山县鑫源玻璃有限公司"  # grade B glass: produces at orange, its denitration must run
HOTSPOT_STATION = "air-371802101000"  # 仁和镇空气自动站, the demo's planted hotspot (demo/city.json "boost")


def _local(day: date, hour: int, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(hour, 0), zone).astimezone(UTC)


def _by_name(session: Session, name: str) -> Enterprise:
    return session.scalars(select(Enterprise).where(Enterprise.name == name)).one()


def _listed(session: Session, on: date) -> list[tuple[Enterprise, GuideIndustry]]:
    """The enterprises the demo puts on the list: graded in the guide's industries on `on` (the coating makers cut to
    COATING_ON_LIST), the heating plants, and the demo enterprise account's own chemical works."""
    graded = session.execute(
        select(Enterprise)
        .join(GradeRecord, GradeRecord.enterprise_id == Enterprise.id)
        .where(
            Enterprise.industry_code.in_(CLASSES),
            GradeRecord.start <= on,
            (GradeRecord.end.is_(None)) | (GradeRecord.end >= on),
        )
        .order_by(Enterprise.id)
    ).scalars()
    out: list[tuple[Enterprise, GuideIndustry]] = []
    coating = 0
    for enterprise in dict.fromkeys(graded):
        industry = guide_industry_of(enterprise.industry_code) or GuideIndustry.OTHER
        if industry is GuideIndustry.COATING:
            coating += 1
            if coating > COATING_ON_LIST:
                continue
        out.append((enterprise, industry))
    heating = session.scalars(select(Enterprise).where(Enterprise.industry_code == "D4411").order_by(Enterprise.id))
    out += [(plant, GuideIndustry.POWER) for plant in list(heating)[:3]]
    own = session.scalars(select(User.enterprise_id).where(User.username == "enterprise")).one()
    if own is not None and all(e.id != own for e, _ in out):
        out.append((session.get_one(Enterprise, own), GuideIndustry.CHEMICAL))
    return out


def _lines(session: Session, enterprise: Enterprise, industry: GuideIndustry) -> tuple[int, int]:
    """The enterprise's main production line and the treatment facility that serves it (added when missing)."""
    names = {
        GuideIndustry.STEEL: ("烧结", "烧结机头脱硫脱硝设施"),
        GuideIndustry.CEMENT_CLINKER: ("熟料生产线", "窑尾脱硝除尘设施"),
        GuideIndustry.GLASS: ("浮法玻璃熔窑", "熔窑烟气脱硫脱硝除尘设施"),
        GuideIndustry.FOUNDRY: ("熔炼浇注工序", "熔炼除尘设施"),
        GuideIndustry.COATING: ("喷涂线", "活性炭吸附催化燃烧装置"),
        GuideIndustry.COKING: ("焦炉", "焦炉烟气脱硫脱硝设施"),
        GuideIndustry.POWER: ("燃煤锅炉", "锅炉烟气脱硫脱硝除尘设施"),
    }
    production_name, treatment_name = names.get(industry, ("主生产线", "废气处理设施"))
    lines = {
        line.name: line
        for line in session.scalars(select(ProductionLine).where(ProductionLine.enterprise_id == enterprise.id))
    }
    production = lines.get(production_name)
    if production is None:
        production = ProductionLine(enterprise_id=enterprise.id, name=production_name, kind=LineKind.PRODUCTION)
        session.add(production)
        session.flush()
    if industry is GuideIndustry.STEEL and "球团" not in lines:
        session.add(ProductionLine(enterprise_id=enterprise.id, name="球团", kind=LineKind.PRODUCTION))
    treatment = lines.get(treatment_name)
    if treatment is None:
        treatment = ProductionLine(
            enterprise_id=enterprise.id, name=treatment_name, kind=LineKind.TREATMENT, serves_id=production.id
        )
        session.add(treatment)
        session.flush()
    return production.id, treatment.id


def _control_list(session: Session, people: People, today: date) -> list[tuple[Enterprise, GuideIndustry]]:
    admin = people.acting("admin").principal
    rng = random.Random(SEED)
    listed = _listed(session, today)
    county_sums: dict[int, dict[Pollutant, Decimal]] = {}
    for enterprise, industry in listed:
        livelihood = Livelihood.HEATING if industry is GuideIndustry.POWER else Livelihood.NONE
        trucks = rng.randint(5, 60) if industry is not GuideIndustry.COATING else rng.randint(0, 4)
        transport = "铁路、国五及以上重型货车" if trucks > 20 else "国五及以上重型货车、新能源车辆"
        controls.add_to_list(
            session, admin, enterprise.id, industry=industry, since=date(today.year - 1, 10, 1),
            livelihood=livelihood, transport=transport, heavy_trucks=trucks,
            document=f"清源市{today.year - 1}年重污染天气应急减排清单",
        )  # fmt: skip
        production_id, _ = _lines(session, enterprise, industry)
        figures = EMISSIONS[industry]
        scale = Decimal(rng.randint(60, 140)) / 100
        emissions: dict[tuple[int | None, Pollutant], Decimal | None] = {
            (production_id, pollutant): (Decimal(base) * scale).quantize(Decimal("0.1"))
            for pollutant, base in zip(Pollutant, figures, strict=True)
            if base
        }
        controls.set_emissions(session, admin, enterprise.id, emissions)
        county = _county_of(session, enterprise)
        sums = county_sums.setdefault(county, {})
        for (_, pollutant), value in emissions.items():
            sums[pollutant] = sums.get(pollutant, Decimal(0)) + (value or Decimal(0))
    heating = _by_name(session, HEATING_PLANT)
    for level in (WarningLevel.ORANGE, WarningLevel.RED):
        controls.set_override(
            session, admin, heating.id, level=level, measure=Measure(MeasureKind.CAP, 60),
            reason="冬季供暖保障，以热定产，负荷不超过正常负荷的60%",
        )  # fmt: skip
    staggered = _by_name(session, STAGGERED)
    controls.set_windows(
        session, admin, staggered.id, level=WarningLevel.ORANGE, windows=[Window("1111111", 20 * 60, 6 * 60)]
    )
    _baselines(session, admin, today, county_sums)
    return listed


def _baselines(session: Session, admin: Principal, today: date, normal: dict[int, dict[Pollutant, Decimal]]) -> None:
    """The counties' whole-society inventories, sized so that each county's list reaches its required shares with
    some margin at every level where it cuts a pollutant, except 平山县 (371822), whose inventory is larger than its
    list can cut a fifth of: it shows red at orange on the list page. (A real city imports its inventory.)"""
    required = RequiredShares()
    rows = list_rows(session, admin, today)
    for summary in county_summaries(session, admin, rows, required):
        if summary.county.id not in normal:
            continue
        baselines: dict[Pollutant, Decimal | None] = {}
        for pollutant in Pollutant:
            cuts = [
                check.reduction / check.required
                for level, checks in summary.checks.items()
                for check in checks
                if check.pollutant is pollutant and check.reduction > 0
            ]
            base = min(cuts) / Decimal("1.1") if cuts else normal[summary.county.id].get(pollutant, Decimal(0)) * 3
            if summary.county.code == "371822":
                orange = [c.reduction for c in summary.checks[WarningLevel.ORANGE] if c.pollutant is pollutant]
                base = max([base, *(r / Decimal("0.17") for r in orange)])
            if base > 0:
                baselines[pollutant] = base.quantize(Decimal("1"))
        controls.set_baselines(
            session, admin, summary.county.id, baselines,
            year=today.year - 1, source=f"{summary.county.name}{today.year - 1}年大气污染源排放清单",
        )  # fmt: skip


def _county_of(session: Session, enterprise: Enterprise) -> int:
    """The county whose subtree holds the enterprise (its path's first two codes: city, county)."""
    path = ".".join(enterprise.region.path.split(".")[:2]) + "."
    county = session.scalars(select(Region).where(Region.path == path, Region.level == RegionLevel.COUNTY)).first()
    return county.id if county is not None else enterprise.region_id


def _meters(session: Session, listed: list[tuple[Enterprise, GuideIndustry]]) -> None:
    """Meters on the production line and the treatment facility of twenty listed enterprises (the planted ones and
    the demo enterprise account's among them)."""
    chosen = [pair for pair in listed if pair[0].name in (OVER, TREATMENT_OFF)]
    own = session.scalars(select(User.enterprise_id).where(User.username == "enterprise")).one()
    chosen += [pair for pair in listed if pair[0].id == own and pair not in chosen]
    for pair in listed:
        if len(chosen) >= METERED:
            break
        if pair not in chosen and pair[1] is not GuideIndustry.COATING:
            chosen.append(pair)
    for enterprise, industry in chosen:
        production_id, treatment_id = _lines(session, enterprise, industry)
        code = enterprise.credit_code[-8:]
        electricity.save_meter(
            session, number=f"3718{code}01", enterprise_id=enterprise.id, target=MeterTarget.PRODUCTION,
            line_id=production_id, source="国网清源供电公司用电信息采集系统",
        )  # fmt: skip
        electricity.save_meter(
            session, number=f"3718{code}02", enterprise_id=enterprise.id, target=MeterTarget.TREATMENT,
            line_id=treatment_id, interval=MeterInterval.HOUR, source="分表计电监控终端",
        )  # fmt: skip


def _warnings(session: Session, people: People, now: datetime, zone: tzinfo) -> PollutionWarning:
    """Last week's warning (yellow, upgraded to orange, lifted) and tomorrow's awaiting the leader's signature."""
    analyst, leader = people.user("analyst"), people.user("leader")
    today = now.astimezone(zone).date()
    start_day = today - timedelta(days=8)
    prepared = _local(start_day - timedelta(days=1), 15, zone)
    past = warnings.prepare(
        session, analyst,
        warnings.Draft(
            level=WarningLevel.YELLOW, pollutant=PrimaryPollutant.PM25,
            planned_start=_local(start_day, 12, zone), planned_end=_local(start_day + timedelta(days=3), 12, zone),
            forecast="受静稳天气和区域传输影响，预计未来3天全市PM2.5日均浓度持续上升，日AQI将超过150，局部时段超过200。",
            peak_aqi=235,
            measures="启动Ⅲ级应急响应：应急减排清单企业按黄色预警措施减排；施工工地停止土石方作业；国四及以下重型货车绕行。",
        ),
        now=prepared,
    )  # fmt: skip
    warnings.submit(session, analyst, past.id, now=prepared + timedelta(minutes=20))
    warnings.approve(session, leader, past.id, note="同意发布。", now=prepared + timedelta(hours=1))
    warnings.issue(session, analyst, past.id, now=prepared + timedelta(hours=2))
    warnings.change_level(
        session, analyst, past.id, level=WarningLevel.ORANGE,
        effective_at=_local(start_day + timedelta(days=1), 8, zone),
        reason="污染持续加重，预计日AQI>200持续48小时，升级为橙色预警。", approver_id=leader.id,
        now=_local(start_day + timedelta(days=1), 7, zone),
    )  # fmt: skip
    warnings.lift(
        session, analyst, past.id, effective_at=_local(start_day + timedelta(days=3), 12, zone),
        reason="冷空气过境，空气质量明显好转，预计未来36小时以上不再达到预警条件。", approver_id=leader.id,
        now=_local(start_day + timedelta(days=3), 11, zone),
    )  # fmt: skip
    coming = warnings.prepare(
        session, analyst,
        warnings.Draft(
            level=WarningLevel.YELLOW, pollutant=PrimaryPollutant.PM25,
            planned_start=_local(today + timedelta(days=1), 12, zone),
            planned_end=_local(today + timedelta(days=3), 12, zone),
            forecast="预计明日起全市出现一次重污染天气过程，日AQI超过150将持续48小时以上。",
            peak_aqi=210,
            measures="启动Ⅲ级应急响应：应急减排清单企业按黄色预警措施减排。",
        ),
        now=now - timedelta(hours=1),
    )  # fmt: skip
    warnings.submit(session, analyst, coming.id, now=now - timedelta(minutes=30))
    return past


def add_demo_aircontrol(session: Session, now: datetime, zone: tzinfo, *, feed: bool = True) -> dict[str, int]:
    """The control list, the meters with their readings, the warnings and last week's check (see the module);
    without `feed`, the meters have no readings and no check is run (`ecoloop demo --no-readings`)."""
    if session.scalar(select(func.count()).select_from(PollutionWarning)):
        return {}
    people = People(session)
    set_actor(session, Actor(label="demo-loader"))
    today = now.astimezone(zone).date()
    listed = _control_list(session, people, today)
    _meters(session, listed)
    past = _warnings(session, people, now, zone)
    if not feed:
        return {"control list entries": len(listed), "warnings": 2}
    over, off = _by_name(session, OVER), _by_name(session, TREATMENT_OFF)
    readings = electricity.feed_demo(
        session, now=now, zone=zone, warning_id=past.id, over={over.id}, treatment_off={off.id}
    )
    lifted = past.lifted_at or now
    checked = electricity.run_checks(session, lifted + timedelta(hours=1), zone)
    # The analyst checked (核查) the foundry's flag and handed it over as a case; the glass works' waits on the page.
    flag = session.scalars(
        select(ElectricityFlag).where(ElectricityFlag.enterprise_id == over.id, ElectricityFlag.warning_id == past.id)
    ).first()
    alert = session.get(Alert, flag.alert_id) if flag is not None and flag.alert_id is not None else None
    if alert is not None:
        analyst = people.acting("analyst")
        confirm(
            session, alert, analyst.user, analyst.principal, lifted + timedelta(hours=3), zone,
            "用电曲线显示橙色预警期间生产线负荷与平日相当，未按要求停产，转交分局立案调查。",
        )  # fmt: skip
    return {
        "control list entries": len(listed),
        "electricity readings": readings,
        "warnings": 2,
        "electricity checks": len(checked),
    }


# --- hotspot orders -------------------------------------------------------------------------------------------------

# Registered sources around the 仁和镇 station: (kind, name, east km, north km, responsible department).
SOURCES: tuple[tuple[SourceKind, str, float, float, str], ...] = (
    (SourceKind.CONSTRUCTION, "仁和镇安置房二期工地", 0.6, 0.4, "department"),
    (SourceKind.CONSTRUCTION, "清源大道改造工程三标段", -0.9, 0.2, "department"),
    (SourceKind.CONSTRUCTION, "仁和中学教学楼工地", 0.3, -1.1, "department"),
    (SourceKind.YARD, "仁和砂石料堆场", 1.2, 0.8, "dept-urban"),
    (SourceKind.YARD, "北关煤场", -0.4, 1.5, "dept-urban"),
    (SourceKind.ROAD, "仁和镇府前街", 0.1, 0.2, "dept-urban"),
    (SourceKind.ROAD, "G308国道仁和段", -1.4, -0.6, "dept-urban"),
    (SourceKind.RESTAURANT, "仁和镇美食街", 0.2, -0.3, "dept-urban"),
    (SourceKind.RESTAURANT, "老街烧烤一条街", -0.5, -0.2, "dept-urban"),
    (SourceKind.OTHER, "仁和镇秸秆收储点", 1.6, -1.2, "dept-agriculture"),
    (SourceKind.CONSTRUCTION, "城东污水管网工程", 2.6, 1.9, "department"),  # outside the 2 km radius
)


def _km(lon: Decimal, lat: Decimal, east: float, north: float) -> tuple[Decimal, Decimal]:
    """A point `east`/`north` km from (lon, lat): 1° of latitude ≈ 111.2 km, of longitude × cos(latitude)."""
    from math import cos, radians

    dlat = north / 111.2
    dlon = east / (111.2 * cos(radians(float(lat))))
    return (lon + Decimal(str(round(dlon, 6)))).quantize(Decimal("0.000001")), (
        lat + Decimal(str(round(dlat, 6)))
    ).quantize(Decimal("0.000001"))


def add_demo_hotspot_orders(
    session: Session, now: datetime, settings: Settings, readings: Any = None
) -> dict[str, int]:
    """Registered sources around the planted hotspot and its two orders (see the module). `readings`
    (`analytics.sites.StoredReadings`) gives the outlets' latest values and the station's wind where loaded."""
    if session.scalar(select(func.count()).select_from(HotspotOrder)):
        return {}
    people = People(session)
    set_actor(session, Actor(label="demo-loader"))
    analyst = people.acting("analyst")
    site = session.scalars(select(Site).where(Site.code == HOTSPOT_STATION)).one()
    assert site.longitude is not None and site.latitude is not None
    unit_of = {u.username: u.organisation_id for u in session.scalars(select(User))}
    for kind, name, east, north, unit in SOURCES:
        lon, lat = _km(site.longitude, site.latitude, east, north)
        hotspots.save_source(
            session, analyst.principal,
            hotspots.SourceFields(
                name=name, kind=kind, region_id=site.region_id, longitude=lon, latitude=lat,
                organisation_id=unit_of.get(unit),
                active_from=now.astimezone(settings.tz).date() - timedelta(days=200),
            ),
        )  # fmt: skip
    policy = hotspots.policy_of(settings)
    branch = people.acting("branch-371802")
    # Last week's order, by hand: responded, replied naming the yard, checked effective on site.
    sent = now - timedelta(days=6, hours=3)
    earlier = hotspots.dispatch(
        session, analyst, hotspots.Dispatch(site_id=site.id, parameter="a34004",
                                            instructions="仁和镇站PM2.5小时浓度明显高于周边站点，请立即排查。"),
        now=sent, policy=policy, readings=readings,
    )  # fmt: skip
    hotspots.respond(session, branch, earlier, sent + timedelta(minutes=18), "已签收，立即组织排查。")
    hotspots.arrive(session, branch, earlier, sent + timedelta(minutes=75), "执法人员已到达现场。")
    yard = next((s for s in earlier.suspects if "堆场" in str(s.get("name", ""))), None)
    hotspots.reply(
        session, branch, earlier,
        hotspots.Reply(
            finding="仁和砂石料堆场物料未苫盖，装卸作业未采取喷淋抑尘措施，现场扬尘明显。",
            measures="责令立即停止装卸作业，全部物料苫盖，增设2台雾炮；已立案调查。",
            source_key=str(yard["key"]) if yard else "",
        ),
        sent + timedelta(hours=5),
    )  # fmt: skip
    hotspots.check(
        session, analyst, earlier, CheckResult.EFFECTIVE, sent + timedelta(days=1), "复核现场整改到位，站点浓度回落。"
    )
    # Today's order, by hand from the station's PM2.5 of the last hours (the alert engine raises the hotspot itself
    # from the simulated loggers once the demo runs, and an order can be dispatched from that alert's page too).
    hotspots.dispatch(
        session, analyst,
        hotspots.Dispatch(site_id=site.id, parameter="a34004", observed=Decimal("168"),
                          instructions="仁和镇站PM2.5小时浓度达168微克/立方米，明显高于周边站点，请按时限签收、到场并反馈排查处置情况。"),
        now=now - timedelta(minutes=10), policy=policy, readings=readings,
    )  # fmt: skip
    return {"pollution sources": len(SOURCES), "hotspot orders": 2}
