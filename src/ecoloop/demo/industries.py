"""The industries of the demo city (issue 5): each with its outlets, the permit classes it may hold and the
emission limits of its standard.

Limits. 清源市 is treated as outside the key regions (重点地区), so permits carry the general limits of each standard,
not the special limits (特别排放限值). Flue-gas limits are hourly, wastewater limits daily
(docs/standards/emission.md, open question 3). pH (6-9) is a range and `OutletLimit` holds ceilings, so no pH limits.
Each set below says how its values were checked: *read* (a page quoting the table was read for this module),
*secondary* (third-party code or articles agree with the recalled value) or *recalled* (commonly quoted, the table
itself not found). Glass furnaces (GB 26453-2022), brick kilns (GB 29620-2013, limits stated at a reference excess-air
coefficient) and hazardous-waste incinerators (GB 18484-2020) get outlets without limits: their tables were not read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ecoloop.enterprises.enums import Averaging, OutletKind, PermitClass

HOUR, DAY = Averaging.HOUR, Averaging.DAY
GAS, WATER = OutletKind.GAS, OutletKind.WATER
KEY, SIMPLIFIED, REGISTRATION = PermitClass.KEY, PermitClass.SIMPLIFIED, PermitClass.REGISTRATION


# --- limits ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LimitPlan:
    """One permitted limit: HJ 212 code, value, unit, source, averaging and reference O2."""

    pollutant: str
    value: Decimal
    unit: str
    source: str
    averaging: Averaging = HOUR
    reference_o2: Decimal | None = None


def _gas(source: str, o2: str | None, averaging: Averaging = HOUR, **values: str) -> tuple[LimitPlan, ...]:
    codes = {"dust": "a34013", "so2": "a21026", "nox": "a21002", "hcl": "a21024", "co": "a21005", "nmhc": "a24088"}
    reference_o2 = Decimal(o2) if o2 else None
    return tuple(LimitPlan(codes[k], Decimal(v), "mg/m³", source, averaging, reference_o2) for k, v in values.items())


def _water(source: str, **values: str) -> tuple[LimitPlan, ...]:
    codes = {"cod": "w01018", "nh3n": "w21003", "tn": "w21001", "tp": "w21011", "cr6": "w20117", "cd": "w20115"}
    return tuple(LimitPlan(codes[k], Decimal(v), "mg/L", source, DAY) for k, v in values.items())


# GB 13223-2011 表1 (read: coal SO2 100 new / 200 existing, NOx 100); dust 30 and 6 % O2 (表3) secondary.
COAL_POWER = _gas("GB 13223-2011 表1 燃煤锅炉", "6", dust="30", so2="100", nox="100")
# GB 13271-2014 表2 new boilers, reference O2 9 % coal, 3.5 % gas (secondary; 表1 coal dust 80 / SO2 400 read).
COAL_BOILER = _gas("GB 13271-2014 表2 燃煤锅炉", "9", dust="50", so2="300", nox="300")
GAS_BOILER = _gas("GB 13271-2014 表2 燃气锅炉", "3.5", dust="20", so2="50", nox="200")
# GB 4915-2013 表1 kiln 30/200/400 at 10 % O2 (secondary; 表2 is the special limits 20/100/320). Its 修改单 in force
# from 2026-04-01 (read) tightens dryers with their own heat source and adds NH3; kiln changes, if any, were not read.
CEMENT_KILN = _gas("GB 4915-2013 表1 水泥窑及窑尾余热利用系统", "10", dust="30", so2="200", nox="400")
# 窑头 (cooler) and mills: dust only, measured concentration (recalled).
CEMENT_COOLER = _gas("GB 4915-2013 表1 烘干机、烘干磨、煤磨及冷却机", None, dust="30")
CEMENT_MILL = _gas("GB 4915-2013 表1 破碎机、磨机、包装机及其他通风生产设备", None, dust="20")
# GB 28662-2012 表2 sinter head (recalled); 16 % O2 from its 修改单 §4.9 (read).
SINTER = _gas("GB 28662-2012 表2 烧结机机头", "16", dust="50", so2="200", nox="300")
# GB 16171-2012 表5 coke-oven chimney, 机焦 (secondary); 8 % O2 as the simulator assumes (recalled, not re-read).
COKE_OVEN = _gas("GB 16171-2012 表5 焦炉烟囱", "8", dust="30", so2="50", nox="500")
COKE_WATER = _water("GB 16171-2012 表2 直接排放", cod="80", nh3n="10", tn="20", tp="1.0")  # recalled
# GB 31570-2015 表3 process heater at 3 % O2, 表1 direct discharge (recalled).
REFINERY_HEATER = _gas("GB 31570-2015 表3 工艺加热炉", "3", dust="20", so2="100", nox="150")
REFINERY_WATER = _water("GB 31570-2015 表1 直接排放", cod="60", nh3n="8.0", tn="40", tp="1.0")
CHEMICAL_WATER = _water("GB 31571-2015 表1 直接排放", cod="60", nh3n="8.0", tn="40", tp="1.0")  # recalled
# GB 18485-2014 表4 at 11 % O2: 1 h and 24 h means (secondary).
INCINERATOR = _gas("GB 18485-2014 表4 1小时均值", "11", dust="30", so2="100", nox="300", hcl="60", co="100") + _gas(
    "GB 18485-2014 表4 24小时均值", "11", DAY, dust="20", so2="80", nox="250", hcl="50", co="80"
)
# GB 18918-2002 表1 一级A, daily means (read); NH3-N 5 applies above 12 °C water temperature (8 below).
SEWAGE = _water("GB 18918-2002 表1 一级A标准", cod="50", nh3n="5", tn="15", tp="0.5")
PAPER = _water("GB 3544-2008 表2 造纸企业", cod="80", nh3n="8", tn="12", tp="0.8")  # read
DYEING = _water("GB 4287-2012 表2 直接排放", cod="80", nh3n="10", tn="15", tp="0.5")  # recalled, 2015 修改单 read
LEATHER = _water("GB 30486-2013 表2 直接排放", cod="100", nh3n="25", tn="50", tp="1.0")  # recalled
LEATHER_CR = _water("GB 30486-2013 表2 车间或生产设施废水排放口", cr6="0.1")  # recalled
# GB 21900-2008 表2 (recalled; 表1 100/25/30/1.5 and 表3 read, 表2 lies between them).
PLATING = _water("GB 21900-2008 表2", cod="80", nh3n="15", tn="20", tp="1.0")
PLATING_METALS = _water("GB 21900-2008 表2 车间或生产设施废水排放口", cr6="0.2", cd="0.05")
PHARMA = _water("GB 21904-2008 表2", cod="120", nh3n="25", tn="35", tp="1.0")  # recalled
# Pesticides: GB 21523-2008 covers heterocyclic pesticides only; others follow GB 8978-1996 表4 一级 (read).
INTEGRATED_WATER = _water("GB 8978-1996 表4 一级标准", cod="100", nh3n="15")
LIVESTOCK = _water("GB 18596-2001 表5", cod="400", nh3n="80", tp="8.0")  # recalled
# Car washes discharge to the town sewer: GB/T 31962-2015 表1 B级 (recalled; GB 26877-2011 not read).
SEWER_B = _water("GB/T 31962-2015 表1 B级", cod="500", nh3n="45", tn="70", tp="8")
COATING_VOC = _gas("GB 16297-1996 表2 二级", None, nmhc="120", dust="120")  # recalled
FOUNDRY = _gas("GB 39726-2020 表1", None, dust="30")  # recalled


# --- industries ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutletTemplate:
    """An outlet the permits of an industry list: code, name, kind and limits."""

    code: str
    name: str
    kind: OutletKind
    limits: tuple[LimitPlan, ...] = ()


@dataclass(frozen=True)
class Variant:
    """A kind of enterprise within an industry: its permit class and outlets, with a relative weight."""

    weight: int
    permit_class: PermitClass
    outlets: tuple[OutletTemplate, ...] = ()


Grading = Literal["abcd", "leading"] | None


@dataclass(frozen=True)
class Industry:
    """A GB/T 4754-2017 class the demo city has enterprises in, and how they are generated."""

    code: str
    count: int
    names: tuple[str, ...]  # templates: {p} county or city prefix, {w} trade name, {town} town name
    variants: tuple[Variant, ...]
    urban: bool = False  # may be in the three urban districts (and is more likely there than elsewhere)
    park: bool = False  # sits in its county's chemical park
    grading: Grading = None
    lists: tuple[str, ...] = ()  # supervision lists (besides the key-discharge list, which follows the permit)


def _o(code: str, name: str, limits: tuple[LimitPlan, ...] = ()) -> OutletTemplate:
    return OutletTemplate(code, name, GAS if code.startswith("DA") else WATER, limits)


def _v(weight: int, permit_class: PermitClass, *outlets: OutletTemplate) -> Variant:
    return Variant(weight, permit_class, outlets)


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SOIL, METALS = "soil_key_supervision", "heavy_metal_enterprises"
HW_PRODUCER, HW_OPERATOR = "hazardous_waste_producers", "hazardous_waste_operators"
HW, CHEM_LISTS = (HW_PRODUCER,), (SOIL, HW_PRODUCER)
COAL_BOILER_OUT = _o("DA001", "1号燃煤锅炉废气排放口", COAL_BOILER)
GAS_BOILER_OUT = _o("DA001", "燃气锅炉废气排放口", GAS_BOILER)
POWER_OUTS = (_o("DA001", "1号机组烟囱排放口", COAL_POWER), _o("DA002", "2号机组烟囱排放口", COAL_POWER))
KILN_OUTS = (_o("DA001", "水泥窑窑尾废气排放口", CEMENT_KILN), _o("DA002", "窑头废气排放口", CEMENT_COOLER))
COKE_OUTS = (_o("DA001", "焦炉烟囱排放口", COKE_OVEN), _o("DW001", "废水总排放口", COKE_WATER))
REFINERY_OUTS = (_o("DA001", "加热炉废气排放口", REFINERY_HEATER), _o("DW001", "废水总排放口", REFINERY_WATER))
LEATHER_OUTS = (_o("DW001", "废水总排放口", LEATHER), _o("DW002", "含铬废水车间排放口", LEATHER_CR))
PLATING_OUTS = (_o("DW001", "废水总排放口", PLATING), _o("DW002", "电镀废水车间排放口", PLATING_METALS))
REPAIR_OUTS = (_o("DA001", "喷漆房废气排放口", COATING_VOC), _o("DW001", "洗车废水排放口", SEWER_B))
FURNACE_OUTS = (_o("DA001", "1号焚烧炉烟囱排放口", INCINERATOR), _o("DA002", "2号焚烧炉烟囱排放口", INCINERATOR))
FARM_OUT = _o("DW001", "养殖废水排放口", LIVESTOCK)


def _water_out(limits: tuple[LimitPlan, ...]) -> OutletTemplate:
    return _o("DW001", "废水总排放口", limits)


# Name templates: {p} the county (or, in the urban districts, the city), {w} a trade name, {town} the town.
_i = Industry
INDUSTRIES: tuple[Industry, ...] = (
    _i("D4411", 8, words("{p}{w}热电有限公司 清源{w}热电有限公司"), (_v(1, KEY, *POWER_OUTS),), urban=True),
    _i(
        "D4430", 16, words("{p}{w}热力有限公司 {p}{w}供热有限公司"),
        (_v(1, KEY, COAL_BOILER_OUT), _v(1, SIMPLIFIED, GAS_BOILER_OUT)), urban=True,
    ),
    _i(
        "C3011", 7, words("{p}{w}水泥有限公司 {p}{w}建材有限公司"),
        (_v(4, KEY, *KILN_OUTS), _v(3, SIMPLIFIED, _o("DA001", "水泥磨废气排放口", CEMENT_MILL))), grading="abcd",
    ),
    _i("C3041", 3, words("{p}{w}玻璃有限公司"), (_v(1, KEY, _o("DA001", "玻璃熔窑废气排放口")),), grading="abcd"),
    _i(
        "C2521", 4, words("{p}{w}焦化有限公司 {p}{w}煤化工有限公司"), (_v(1, KEY, *COKE_OUTS),),
        grading="abcd", lists=CHEM_LISTS,
    ),
    _i(
        "C3120", 4, words("{p}{w}钢铁有限公司 {p}{w}特钢有限公司"),
        (_v(1, KEY, _o("DA001", "烧结机机头废气排放口", SINTER)),), grading="abcd", lists=(SOIL,),
    ),
    _i(
        "C2511", 1, words("{p}{w}石化有限公司"), (_v(1, KEY, *REFINERY_OUTS),), park=True, grading="abcd",
        lists=CHEM_LISTS,
    ),
    _i(
        "C2614", 18, words("{p}{w}化工有限公司 {p}{w}化学有限公司 {p}{w}新材料科技有限公司"),
        (_v(3, KEY, COAL_BOILER_OUT, _water_out(CHEMICAL_WATER)), _v(1, SIMPLIFIED, _water_out(CHEMICAL_WATER))),
        park=True, grading="leading", lists=CHEM_LISTS,
    ),
    _i(
        "C2631", 6, words("{p}{w}农药有限公司 {p}{w}生物化学有限公司"),
        (_v(1, KEY, GAS_BOILER_OUT, _water_out(INTEGRATED_WATER)),), park=True, grading="abcd", lists=CHEM_LISTS,
    ),
    _i(
        "C2710", 8, words("{p}{w}制药有限公司 {p}{w}药业有限公司"), (_v(1, KEY, GAS_BOILER_OUT, _water_out(PHARMA)),),
        park=True, grading="abcd", lists=CHEM_LISTS,
    ),
    _i("C2720", 4, words("{p}{w}药业有限公司"), (_v(1, SIMPLIFIED, GAS_BOILER_OUT),), lists=HW),
    _i(
        "C2221", 8, words("{p}{w}纸业有限公司"),
        (_v(1, KEY, COAL_BOILER_OUT, _water_out(PAPER)), _v(1, SIMPLIFIED, _water_out(PAPER))),
    ),
    _i(
        "C1713", 14, words("{p}{w}印染有限公司 {p}{w}纺织印染有限公司"),
        (_v(1, KEY, GAS_BOILER_OUT, _water_out(DYEING)),),
    ),
    _i(
        "C1910", 5, words("{p}{w}皮革有限公司 {p}{w}制革有限公司"), (_v(1, KEY, *LEATHER_OUTS),),
        lists=(SOIL, METALS, *HW),
    ),
    _i(
        "C3360", 12, words("{p}{w}电镀有限公司 {p}{w}表面处理有限公司"), (_v(1, KEY, *PLATING_OUTS),),
        lists=(SOIL, METALS, *HW),
    ),
    _i(
        "C3391", 15, words("{p}{w}铸造有限公司 {p}{w}机械铸造有限公司"),
        (_v(1, SIMPLIFIED, _o("DA001", "熔炼炉废气排放口", FOUNDRY)),), grading="abcd",
    ),
    _i(
        "C2110", 30, words("{p}{w}家具有限公司 {p}{w}木业有限公司"),
        (_v(2, SIMPLIFIED, _o("DA001", "喷涂废气排放口", COATING_VOC)), _v(1, REGISTRATION)), grading="abcd", lists=HW,
    ),
    _i("C2929", 10, words("{p}{w}塑业有限公司 {p}{w}塑料制品有限公司"), (_v(1, REGISTRATION),), urban=True),
    _i("C1320", 4, words("{p}{w}饲料有限公司"), (_v(1, SIMPLIFIED, COAL_BOILER_OUT), _v(1, REGISTRATION))),
    _i(
        "O8111", 55, words("{p}{town}{w}汽车修理厂 {p}{w}汽车维修服务有限公司"),
        (_v(1, SIMPLIFIED, *REPAIR_OUTS), _v(4, REGISTRATION)), urban=True, lists=HW,
    ),
    _i(
        "D4620", 16, words("{p}{town}污水处理有限公司 {p}{w}水务有限公司"),
        (_v(1, KEY, _o("DW001", "污水处理厂出水排放口", SEWAGE)),), urban=True,
    ),
    _i(
        "D4417", 3, words("清源市{w}环保能源有限公司 {p}{w}生物质能源有限公司"), (_v(1, KEY, *FURNACE_OUTS),),
        lists=(SOIL,),
    ),
    _i(
        "N7724", 3, words("清源市{w}环境科技有限公司 {p}{w}环保科技有限公司"),
        (_v(1, KEY, _o("DA001", "危险废物焚烧炉废气排放口")),), lists=(SOIL, HW_OPERATOR),
    ),
    _i("A0313", 24, words("{p}{w}生猪养殖专业合作社 {p}{w}牧业有限公司"), (_v(1, KEY, FARM_OUT), _v(1, REGISTRATION))),
    _i("A0321", 10, words("{p}{w}禽业有限公司 {p}{w}蛋鸡养殖专业合作社"), (_v(1, KEY, FARM_OUT), _v(2, REGISTRATION))),
    _i("A0311", 6, words("{p}{w}牧业有限公司 {p}{w}奶牛养殖专业合作社"), (_v(1, KEY, FARM_OUT), _v(1, REGISTRATION))),
    _i(
        "C3031", 12, words("{p}{w}新型建材有限公司 {p}{town}{w}砖厂"),
        (_v(1, SIMPLIFIED, _o("DA001", "隧道窑焙烧废气排放口")),), grading="abcd",
    ),
)  # fmt: skip
INDUSTRY_BY_DIGITS = {i.code[1:]: i for i in INDUSTRIES}
