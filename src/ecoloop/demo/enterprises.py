"""The demo city's enterprise files (issue 5): about three hundred generated enterprises across the industries of a
Shandong-like prefecture city, discharge permits with outlets and limits (the twelve fixture enterprises' outlets
linked to their monitoring sites), supervision-list memberships over 2023-2026 and performance-grade histories.

`plan_enterprise_files` is pure and deterministic (seeded `random.Random`, no network, no clock); `demo.service`
adds whatever of the plan is missing.

Everything here is invented: names, credit codes (valid GB 32100 check characters, region part = the county code),
people and telephone numbers (area code 0549 and the mobile prefix 13x-0549 stand for the fictional city).

The industries, their outlets and limits are in `industries`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from shapely import Point
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ecoloop.demo.industries import (
    HW_OPERATOR,
    HW_PRODUCER,
    INDUSTRIES,
    INDUSTRY_BY_DIGITS,
    METALS,
    SOIL,
    Industry,
    LimitPlan,
    words,
)
from ecoloop.demo.network import demo_boundaries
from ecoloop.enterprises.enums import Averaging, EnterpriseStatus, OutletKind, PerformanceGrade, PermitClass
from ecoloop.enterprises.rules import CREDIT_CODE_CHARS, credit_code_check_char

SEED = "ecoloop-demo-371800"
HOUR, DAY = Averaging.HOUR, Averaging.DAY
GAS, WATER = OutletKind.GAS, OutletKind.WATER
KEY, SIMPLIFIED, REGISTRATION = PermitClass.KEY, PermitClass.SIMPLIFIED, PermitClass.REGISTRATION


# --- names, places, people -------------------------------------------------------------------------------------------

TRADE_NAMES = words("""
    鑫源 宏达 华盛 瑞丰 金泰 海晟 恒通 泰和 永兴 德润 隆盛 汇丰 新华 东方 鲁源 昌盛 顺达 兴业 正泰 天宇 博远 中兴 弘润
    华泰 金海 远航 泉润 清河 盛源 富源 恒信 佳美 联合 万通 嘉禾 和顺 同德 圣源 润丰 祥瑞 宝丰 晨光 明达 金鼎 宏盛 泰丰
    益康 康源 神龙 亿达 福瑞 安泰 金诚 鼎盛 华宇 三联 四方 长城 黄河 泰山 齐林 聚丰 永盛 瑞康 金桥 华源 荣昌 利民 鸿运
    振华 锦程 新河 恒丰 宇通 凯达 鲁星 天元 众诚 旭日 国泰 金阳 银河 龙腾 久隆 丰源 海川 润泽 东岳 济世 仁和 百川 嘉祥
    乾元 新星 信达 诚信
""")
ROADS = words("建设路 人民路 工业路 经一路 经二路 纬一路 纬二路 黄河路 泰山路 兴业大道 开发区大道")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎潘杜"
GIVEN = words(
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 建华 志强 海燕 建国 立新 春梅 文静 国庆"
)
AREA_CODE = "0549"  # the fictional city's telephone area code
# The county seats (invented), longitude and latitude: where `scripts/demo_geography.py` builds the city around.
COUNTY_CENTRES = {
    "371802": (116.98, 36.65),
    "371803": (117.10, 36.66),
    "371804": (117.00, 36.75),
    "371821": (116.60, 36.95),
    "371822": (117.45, 36.30),
    "371823": (116.70, 36.20),
    "371881": (117.75, 36.85),
    "371882": (117.35, 37.20),
}
URBAN = ("371802", "371803", "371804")
MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class Place:
    """A village (the enterprise's region) with its county and town."""

    county_code: str
    county_name: str
    town_name: str
    village_code: str
    village_name: str


def _places(fixture: dict[str, Any]) -> dict[str, list[list[Place]]]:
    """Per county code, per town, its villages as places."""
    return {
        county["code"]: [
            [Place(county["code"], county["name"], town["name"], v["code"], v["name"]) for v in town["villages"]]
            for town in county["towns"]
        ]
        for county in fixture["city"]["counties"]
    }


def org_code_check_char(body: str) -> str:
    """The check character of an eight-character organisation code body (GB 11714-1997: weights 3 7 9 10 5 8 4 2,
    letters count 10-35, 11 - sum mod 11 with 10 → X and 11 → 0)."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _org_code(rng: random.Random, new_style: bool) -> str:
    """A nine-character organisation code: the old numeric kind, or the MA… kind assigned since 2015."""
    if new_style:
        body = "MA" + "".join(rng.choice(CREDIT_CODE_CHARS) for _ in range(6))
    else:
        body = str(rng.randint(1, 7)) + "".join(rng.choice("0123456789") for _ in range(7))
    return body + org_code_check_char(body)


def _credit_code(rng: random.Random, category: str, county: str) -> str:
    """A unified social credit code: 9 (market regulation), the category (1 company, 2 individual business, 3 farmers'
    cooperative), the county code, an organisation code and the GB 32100-2015 check character."""
    body = "9" + category + county + _org_code(rng, new_style=category != "1" or rng.random() < 0.4)
    return body + credit_code_check_char(body)


def _contact(rng: random.Random, mobile: bool) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    if mobile:
        return name, f"13{rng.randint(5, 9)}{AREA_CODE}{rng.randint(0, 9999):04d}"
    return name, f"{AREA_CODE}-{rng.randint(2, 8)}{rng.randint(0, 999999):06d}"


def _coordinates(rng: random.Random, place: Place) -> tuple[Decimal, Decimal]:
    """A point inside the place's village (its committed boundary), drawn with two numbers of `rng`."""
    village = _village_shapes()[place.village_code]
    inner = village.representative_point()
    west, south, east, north = village.bounds
    lon, lat = west + rng.random() * (east - west), south + rng.random() * (north - south)
    while not village.contains(Point(lon, lat)):  # halfway towards a point inside, until inside
        lon, lat = (lon + inner.x) / 2, (lat + inner.y) / 2
    return Decimal(str(lon)).quantize(MICRO), Decimal(str(lat)).quantize(MICRO)


@cache
def _village_shapes() -> dict[str, BaseGeometry]:
    """The demo's region boundaries as shapes, by region code."""
    return {code: shape(json.loads(text)) for code, text in demo_boundaries().items()}


def _village_label(name: str) -> str:
    """新马屯村委会 → 新马屯村, 花园社区居委会 → 花园社区."""
    return name.removesuffix("居委会").removesuffix("委会")


# --- plans -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutletPlan:
    """An outlet of a permit; `site_code` names the monitoring site that measures it, if any."""

    code: str
    name: str
    kind: OutletKind
    limits: tuple[LimitPlan, ...]
    site_code: str | None = None


@dataclass(frozen=True)
class PermitPlan:
    """A discharge permit (or, for 登记管理, the registration) of the enterprise with `credit_code`."""

    credit_code: str
    number: str
    permit_class: PermitClass
    valid_from: date
    valid_to: date
    outlets: tuple[OutletPlan, ...]


@dataclass(frozen=True)
class EnterprisePlan:
    """A generated enterprise (the fixture's twelve only get `details`)."""

    credit_code: str
    name: str
    industry_code: str
    region_code: str
    address: str
    status: EnterpriseStatus
    longitude: Decimal
    latitude: Decimal
    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class MembershipPlan:
    """An enterprise on a supervision list for [start, end]."""

    list_code: str
    credit_code: str
    start: date
    end: date | None
    reason: str
    document: str


@dataclass(frozen=True)
class GradePlan:
    """A performance grade of an enterprise for [start, end]."""

    credit_code: str
    grade: PerformanceGrade
    start: date
    end: date | None
    document: str


@dataclass
class EnterpriseFiles:
    """The whole plan: generated enterprises, details for the fixture's, permits, memberships and grades."""

    enterprises: list[EnterprisePlan] = field(default_factory=list)
    details: dict[str, EnterprisePlan] = field(default_factory=dict)  # the fixture's enterprises, by credit code
    permits: list[PermitPlan] = field(default_factory=list)
    memberships: list[MembershipPlan] = field(default_factory=list)
    grades: list[GradePlan] = field(default_factory=list)


@dataclass(frozen=True)
class _Facts:
    """What lists and grades depend on."""

    credit_code: str
    industry: Industry
    status: EnterpriseStatus
    permit: PermitPlan
    since: date  # first permitted: most current permits renew an earlier one


def plan_enterprise_files(fixture: dict[str, Any]) -> EnterpriseFiles:
    """The demo city's enterprise files, the same for the same fixture (pure)."""
    places = _places(fixture)
    plan = EnterpriseFiles()
    facts = _plan_fixture_enterprises(fixture, places, plan)
    facts += _plan_generated(places, plan, taken={e["credit_code"] for e in fixture["enterprises"]})
    plan.memberships = _plan_memberships(facts, random.Random(f"{SEED}-lists"))
    plan.grades = _plan_grades(facts, random.Random(f"{SEED}-grades"))
    return plan


ESTABLISHED = date(2019, 12, 31)  # "permitted before the first list" (the national permit rollout, 2017-2020)
# The fixture enterprises' permits: class and first day of validity (their outlets are their sites).
FIXTURE_PERMITS = {
    "913718021075828722": (KEY, date(2023, 6, 20)),
    "91371802378707112T": (KEY, date(2022, 9, 15)),
    "91371821683814002E": (KEY, date(2023, 3, 10)),
    "913718223659127159": (KEY, date(2024, 5, 28)),
    "91371823104730892Y": (KEY, date(2022, 11, 30)),
    "91371881292113268L": (KEY, date(2023, 12, 18)),
    "9137188247301738XY": (KEY, date(2025, 4, 22)),
    "913718028388296216": (KEY, date(2022, 7, 1)),
    "91371803728981147N": (KEY, date(2024, 1, 16)),
    "91371821492401002U": (SIMPLIFIED, date(2023, 8, 8)),
    "933718225108744297": (KEY, date(2024, 9, 3)),
    "913718022014288987": (SIMPLIFIED, date(2025, 2, 26)),
}


def _permit(credit_code: str, permit_class: PermitClass, start: date, outlets: tuple[OutletPlan, ...]) -> PermitPlan:
    """Permits run five years (排污许可管理条例 第十四条); registrations (登记) are numbered …W, permits …P."""
    suffix = "001W" if permit_class is REGISTRATION else "001P"
    end = date(start.year + 5, start.month, min(start.day, 28 if start.month == 2 else 31)) - timedelta(days=1)
    return PermitPlan(credit_code, credit_code + suffix, permit_class, start, end, outlets)


def _plan_fixture_enterprises(
    fixture: dict[str, Any], places: dict[str, list[list[Place]]], plan: EnterpriseFiles
) -> list[_Facts]:
    """Details, permits and outlets (one per monitoring site, limits by industry) for the fixture's enterprises."""
    rng = random.Random(f"{SEED}-fixture")
    by_village = {p.village_code: p for towns in places.values() for town in towns for p in town}
    facts = []
    for ent in fixture["enterprises"]:
        code, industry = ent["credit_code"], INDUSTRY_BY_DIGITS[ent["industry_code"]]
        lon, lat = _coordinates(rng, by_village[ent["region"]])
        person, phone = _contact(rng, mobile=code[1] != "1")
        plan.details[code] = EnterprisePlan(
            code, ent["name"], ent["industry_code"], ent["region"], ent["address"], EnterpriseStatus.OPERATING,
            lon, lat, person, phone,
        )  # fmt: skip
        templates = [t for v in industry.variants for t in v.outlets]
        outlets = []
        for site in fixture["sites"]:
            if site.get("enterprise") != code:
                continue
            outlet_code = site["code"].removeprefix(code + "-")
            kind = GAS if site["kind"] == "air_source" else WATER
            template = next((t for t in templates if t.code == outlet_code and t.kind is kind), None)
            template = template or next(t for t in templates if t.kind is kind)
            outlets.append(OutletPlan(outlet_code, site["name"], kind, template.limits, site["code"]))
        permit_class, start = FIXTURE_PERMITS[code]
        permit = _permit(code, permit_class, start, tuple(outlets))
        plan.permits.append(permit)
        facts.append(_Facts(code, industry, EnterpriseStatus.OPERATING, permit, ESTABLISHED))
    return facts


def _plan_generated(places: dict[str, list[list[Place]]], plan: EnterpriseFiles, taken: set[str]) -> list[_Facts]:
    """The generated enterprises, industry by industry, spread over the counties and their towns."""
    rng = random.Random(f"{SEED}-enterprises")
    names: set[str] = set()
    parks = {
        county: rng.choice([t for t in towns if not t[0].town_name.endswith("街道")])
        for county, towns in places.items()
    }
    facts = []
    for industry in INDUSTRIES:
        # Industries that may sit in the urban districts are twice as likely there (people, traffic, services).
        weights = [(2 if c in URBAN else 1) if industry.urban else (0 if c in URBAN else 1) for c in places]
        for _ in range(industry.count):
            county = rng.choices(list(places), weights)[0]
            town = parks[county] if industry.park else rng.choice(places[county])
            place = rng.choice(town)
            name = _unique_name(rng, industry, place, names)
            category = "3" if name.endswith("合作社") else "2" if name.endswith(("修理厂", "砖厂")) else "1"
            code = _credit_code(rng, category, county)
            while code in taken:
                code = _credit_code(rng, category, county)
            taken.add(code)
            roll = rng.random()
            status = (
                EnterpriseStatus.CLOSED
                if roll < 0.04
                else EnterpriseStatus.STOPPED
                if roll < 0.1
                else EnterpriseStatus.OPERATING
            )
            lon, lat = _coordinates(rng, place)
            person, phone = _contact(rng, mobile=category != "1")
            address = _address(rng, industry, place)
            plan.enterprises.append(
                EnterprisePlan(code, name, industry.code, place.village_code, address, status, lon, lat, person, phone)
            )
            variant = rng.choices(industry.variants, [v.weight for v in industry.variants])[0]
            start = date(2020, 7, 1) + timedelta(days=rng.randrange((date(2025, 12, 31) - date(2020, 7, 1)).days))
            outlets = tuple(OutletPlan(t.code, t.name, t.kind, t.limits) for t in variant.outlets)
            permit = _permit(code, variant.permit_class, start, outlets)
            plan.permits.append(permit)
            facts.append(_Facts(code, industry, status, permit, ESTABLISHED if rng.random() < 0.7 else start))
    return facts


def _unique_name(rng: random.Random, industry: Industry, place: Place, names: set[str]) -> str:
    while True:
        template = rng.choice(industry.names)
        # Companies in the urban districts carry the city's name; a name with its town carries the county's.
        prefix = "清源市" if place.county_code in URBAN and "{town}" not in template else place.county_name
        name = template.format(p=prefix, w=rng.choice(TRADE_NAMES), town=place.town_name)
        if name not in names:
            names.add(name)
            return name


def _address(rng: random.Random, industry: Industry, place: Place) -> str:
    where = place.county_name + place.town_name
    if industry.park:
        return f"{where}化工产业园{rng.choice(ROADS)}{rng.randint(1, 99)}号"
    if place.town_name.endswith("街道"):
        return f"{where}{rng.choice(ROADS)}{rng.randint(1, 299)}号"
    return f"{where}{_village_label(place.village_name)}{rng.choice('东南西北')}{rng.randint(1, 9) * 100}米"


# --- lists -----------------------------------------------------------------------------------------------------------

# Yearly 环境监管重点单位名录 (its water, air and soil categories), published each spring.
KEY_LIST_DATES = {2023: date(2023, 3, 28), 2024: date(2024, 3, 26), 2025: date(2025, 3, 25), 2026: date(2026, 3, 24)}
KEY_LIST_DOCS = {
    y: f"清环发〔{y}〕{n}号《清源市{y}年环境监管重点单位名录》"
    for y, n in ((2023, 9), (2024, 11), (2025, 8), (2026, 10))
}
VIOLATIONS = (
    "自动监测数据超标排放",
    "危险废物贮存不规范",
    "未按规定开展自行监测",
    "挥发性有机物无组织排放收集不到位",
    "治污设施未正常运行",
)


def _plan_memberships(facts: Sequence[_Facts], rng: random.Random) -> list[MembershipPlan]:
    out: list[MembershipPlan] = []
    for f in facts:
        out += _yearly_lists(f, rng)
        out += _other_lists(f, rng)
    out += _positive_list(facts, rng)
    out += _green_factories(facts, rng)
    return out


def _yearly_lists(f: _Facts, rng: random.Random) -> list[MembershipPlan]:
    """The key-discharge list follows the key-management permit (环境监管重点单位名录管理办法, 2022), the soil list the
    industry; an enterprise joins with the first yearly list after it was first permitted and leaves when a later list
    drops it (closed, or no longer meeting the criteria)."""
    years = [y for y, day in KEY_LIST_DATES.items() if day >= f.since]
    if not years or f.permit.permit_class is REGISTRATION:
        return []
    first = years[0] + (1 if rng.random() < 0.08 and years[0] < 2026 else 0)
    last_year = None
    if f.status is EnterpriseStatus.CLOSED:
        if first == 2026:
            return []  # closed before it was first listed
        last_year = first
    elif rng.random() < 0.06 and first < 2025:
        last_year = rng.randint(first, 2025)
    end = KEY_LIST_DATES[last_year + 1] - timedelta(days=1) if last_year else None
    dropped = (
        ("; 企业关闭, " if f.status is EnterpriseStatus.CLOSED else "; ") + f"{last_year + 1}年名录不再纳入"
        if last_year
        else ""
    )
    out = []
    if f.permit.permit_class is KEY:
        kinds = {o.kind for o in f.permit.outlets}
        reason = "、".join(
            label for kind, label in ((WATER, "水环境重点排污单位"), (GAS, "大气环境重点排污单位")) if kind in kinds
        )
        out.append(
            MembershipPlan(
                "key_discharge_units", f.credit_code, KEY_LIST_DATES[first], end, reason + dropped, KEY_LIST_DOCS[first]
            )
        )
    if SOIL in f.industry.lists:
        out.append(
            MembershipPlan(
                SOIL, f.credit_code, KEY_LIST_DATES[first], end, "土壤污染重点监管单位" + dropped, KEY_LIST_DOCS[first]
            )
        )
    return out


def _other_lists(f: _Facts, rng: random.Random) -> list[MembershipPlan]:
    """Heavy-metal enterprises, hazardous-waste producers (yearly updates) and licensed operators."""
    out = []
    closed = f.status is EnterpriseStatus.CLOSED
    if METALS in f.industry.lists:
        reason = "皮革鞣制 (铬)" if f.industry.code == "C1910" else "电镀 (镉、铬、镍)"
        out.append(
            MembershipPlan(
                METALS,
                f.credit_code,
                date(2023, 6, 30),
                date(2024, 6, 27) if closed else None,
                reason + ("; 企业关闭, 2024年清单更新时移出" if closed else ""),
                "《清源市涉重金属重点行业企业全口径清单 (2023年)》",
            )
        )
    if HW_PRODUCER in f.industry.lists and f.permit.permit_class is not REGISTRATION and rng.random() < 0.8:
        year = 2023 if rng.random() < 0.75 else 2024
        start = date(2023, 4, 20) if year == 2023 else date(2024, 4, 18)
        out.append(
            MembershipPlan(
                HW_PRODUCER,
                f.credit_code,
                start,
                date(2025, 4, 16) if closed else None,
                "危险废物年产生量 10 吨以上" + ("; 企业关闭, 2025年清单移出" if closed else ""),
                f"《清源市{year}年危险废物重点监管单位清单》",
            )
        )
    if HW_OPERATOR in f.industry.lists:
        start = date(2021, 3, 1) + timedelta(days=rng.randrange(1200))
        out.append(
            MembershipPlan(
                HW_OPERATOR,
                f.credit_code,
                start,
                None,
                "危险废物经营许可证: 收集、贮存、处置 (综合经营)",
                f"危险废物经营许可证 清危证〔{start.year}〕{rng.randint(1, 30)}号",
            )
        )
    return out


def _positive_list(facts: Sequence[_Facts], rng: random.Random) -> list[MembershipPlan]:
    """Three batches of the enforcement positive list; some members are taken off after a violation."""
    eligible = [
        f for f in facts if f.status is EnterpriseStatus.OPERATING and f.permit.permit_class is not REGISTRATION
    ]
    chosen = rng.sample(eligible, 45)
    batches = ((date(2023, 7, 1), 1, 25), (date(2024, 6, 14), 2, 12), (date(2025, 6, 20), 3, 8))
    out, i = [], 0
    for start, batch, size in batches:
        for f in chosen[i : i + size]:
            end, reason = None, "守法记录良好, 自动监测数据稳定达标"
            if rng.random() < 0.2:
                end = start + timedelta(days=rng.randint(90, (date(2026, 10, 31) - start).days))
                reason += f"; 因{rng.choice(VIOLATIONS)}被立案查处, 移出正面清单"
            document = f"清环执法〔{start.year}〕{batch + 3}号《清源市生态环境监督执法正面清单 (第{batch}批)》"
            out.append(MembershipPlan("enforcement_positive_list", f.credit_code, start, end, reason, document))
        i += size
    return out


def _green_factories(facts: Sequence[_Facts], rng: random.Random) -> list[MembershipPlan]:
    manufacturers = [f for f in facts if f.industry.code.startswith("C") and f.status is EnterpriseStatus.OPERATING]
    out = []
    for n, f in enumerate(rng.sample(manufacturers, 22)):
        year = 2024 if n < 15 else 2025
        start = date(2024, 5, 20) if year == 2024 else date(2025, 5, 16)
        promoted = year == 2024 and rng.random() < 0.2
        out.append(
            MembershipPlan(
                "green_factory_pool",
                f.credit_code,
                start,
                date(2025, 12, 31) if promoted else None,
                "绿色工厂培育对象" + ("; 认定为省级绿色工厂, 出库" if promoted else ""),
                f"清源市工业和信息化局《清源市绿色工厂培育库 ({year}年)》",
            )
        )
    return out


# --- grades ----------------------------------------------------------------------------------------------------------

GRADE_ORDER = (PerformanceGrade.A, PerformanceGrade.B, PerformanceGrade.C, PerformanceGrade.D)
FIRST_GRADING = date(2023, 10, 1)
FIRST_GRADING_DOC = "《清源市2023年重污染天气重点行业绩效分级结果》"
# Fixed histories for fixture enterprises (the cement works is the example: B, then A from 2025-03-01).
FIXTURE_GRADES = {
    "91371802378707112T": ((PerformanceGrade.B, FIRST_GRADING), (PerformanceGrade.A, date(2025, 3, 1))),
    "913718223659127159": ((PerformanceGrade.C, FIRST_GRADING), (PerformanceGrade.B, date(2024, 10, 1))),
    "91371881292113268L": ((PerformanceGrade.B, FIRST_GRADING),),
    "9137188247301738XY": ((PerformanceGrade.C, FIRST_GRADING), (PerformanceGrade.B, date(2025, 3, 1))),
}


def _grade_document(start: date, old: PerformanceGrade | None, new: PerformanceGrade) -> str:
    if old is None:
        return FIRST_GRADING_DOC if start == FIRST_GRADING else f"《清源市{start.year}年绩效引领性企业名单》"
    change = "升级" if GRADE_ORDER.index(new) < GRADE_ORDER.index(old) else "降级"
    return f"《清源市重点行业绩效等级{change}结果 ({start.isoformat()})》"


def _plan_grades(facts: Sequence[_Facts], rng: random.Random) -> list[GradePlan]:
    """Histories of 重污染天气重点行业绩效分级: A-D industries graded in October 2023, some raised or lowered later;
    industries graded only as 引领性 get it for a few enterprises from October 2024."""
    out = []
    for f in facts:
        if f.status is EnterpriseStatus.CLOSED or f.industry.grading is None:
            continue
        steps: list[tuple[PerformanceGrade, date]]
        if f.credit_code in FIXTURE_GRADES:
            steps = list(FIXTURE_GRADES[f.credit_code])
        elif f.industry.grading == "leading":
            if rng.random() >= 0.25:
                continue
            steps = [(PerformanceGrade.LEADING, date(2024, 10, 1))]
        else:
            first = rng.choices(GRADE_ORDER, (8, 30, 42, 20))[0]
            steps = [(first, FIRST_GRADING)]
            level, roll = GRADE_ORDER.index(first), rng.random()
            if roll < 0.3 and level > 0:
                steps.append((GRADE_ORDER[level - 1], rng.choice((date(2024, 10, 1), date(2025, 3, 1)))))
            elif roll > 0.9 and level < 3:
                steps.append((GRADE_ORDER[level + 1], date(2025, 1, 1) + timedelta(days=rng.randrange(300))))
        for i, (grade, start) in enumerate(steps):
            end = steps[i + 1][1] - timedelta(days=1) if i + 1 < len(steps) else None
            previous = steps[i - 1][0] if i else None
            out.append(GradePlan(f.credit_code, grade, start, end, _grade_document(start, previous, grade)))
    return out
