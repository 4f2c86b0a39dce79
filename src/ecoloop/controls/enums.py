"""The control list's vocabulary (应急减排清单, issue 20 part 3), each value with its display label."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class GuideIndustry(StrEnum):
    """The industry of an enterprise as the technical guide groups them (指南行业), which decides its measures
    (《重污染天气重点行业应急减排措施制定技术指南 (2020年修订版)》, 环办大气函 [2020] 340 号; the industries a
    city meets most; `OTHER` is every enterprise outside the guide's key industries (非重点行业), whose measures the
    city sets itself (一厂一策))."""

    STEEL = "steel"  # 钢铁 (长流程联合钢铁、短流程钢铁)
    COKING = "coking"  # 焦化
    CEMENT_CLINKER = "cement_clinker"  # 水泥熟料
    CEMENT_GRINDING = "cement_grinding"  # 水泥粉磨站
    GLASS = "glass"  # 玻璃
    CERAMICS = "ceramics"  # 陶瓷
    BRICK = "brick"  # 砖瓦窑
    LIME = "lime"  # 石灰窑
    FOUNDRY = "foundry"  # 铸造
    COATING = "coating"  # 工业涂装
    PRINTING = "printing"  # 包装印刷
    CHEMICAL = "chemical"  # 化工 (涉 VOCs 化学原料和化学制品制造)
    POWER = "power"  # 火电、热电 (燃煤锅炉)
    OTHER = "other"  # 非重点行业

    @property
    def label(self) -> str:
        return _INDUSTRY_LABELS[self]


_INDUSTRY_LABELS = {
    GuideIndustry.STEEL: N_("Iron and steel"),
    GuideIndustry.COKING: N_("Coking"),
    GuideIndustry.CEMENT_CLINKER: N_("Cement clinker"),
    GuideIndustry.CEMENT_GRINDING: N_("Cement grinding"),
    GuideIndustry.GLASS: N_("Glass"),
    GuideIndustry.CERAMICS: N_("Ceramics"),
    GuideIndustry.BRICK: N_("Bricks and tiles"),
    GuideIndustry.LIME: N_("Lime kilns"),
    GuideIndustry.FOUNDRY: N_("Foundry"),
    GuideIndustry.COATING: N_("Industrial coating"),
    GuideIndustry.PRINTING: N_("Packaging and printing"),
    GuideIndustry.CHEMICAL: N_("Chemicals"),
    GuideIndustry.POWER: N_("Thermal power"),
    GuideIndustry.OTHER: N_("Other industries"),
}


class MeasureKind(StrEnum):
    """What a measure asks of production during a warning."""

    SELF = "self"  # 自主减排: the enterprise decides its own cuts (grade A, 引领性)
    NONE = "none"  # 不限产 (only the transport rule applies)
    LIMIT = "limit"  # 限产 N %: production cut by `percent` of its base
    CAP = "cap"  # 以热定产 / 以量定产: at most `percent` of the normal load
    STOP_LINES = "stop_lines"  # 停止指定工序: the named production lines stop
    STOP = "stop"  # 停产

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    MeasureKind.SELF: N_("Self-determined reduction"),
    MeasureKind.NONE: N_("No production limit"),
    MeasureKind.LIMIT: N_("Cut production by a share"),
    MeasureKind.CAP: N_("Load at most a share"),
    MeasureKind.STOP_LINES: N_("Stop named processes"),
    MeasureKind.STOP: N_("Stop production"),
}


class TruckRule(StrEnum):
    """Which heavy trucks may carry an enterprise's goods during a warning (the guide's transport measures: B and C
    stop 国四及以下 heavy trucks, D stops road transport; some plans admit only 国六)."""

    ANY = "any"  # 不限
    GUO5 = "guo5"  # 停止使用国四及以下重型载货车辆
    GUO6 = "guo6"  # 仅国六及新能源重型载货车辆
    NO_ROAD = "no_road"  # 停止公路运输

    @property
    def label(self) -> str:
        return _TRUCK_LABELS[self]


_TRUCK_LABELS = {
    TruckRule.ANY: N_("No transport limit"),
    TruckRule.GUO5: N_("No heavy trucks of China IV or below"),
    TruckRule.GUO6: N_("Only China VI or new-energy heavy trucks"),
    TruckRule.NO_ROAD: N_("No road transport"),
}


class Livelihood(StrEnum):
    """Why an enterprise is protected as a livelihood or strategic producer (民生保障类、战略/出口类), whose load the
    list may set by demand instead of by grade (以热定产, 以量定产)."""

    NONE = "none"
    HEATING = "heating"  # 供暖
    WASTE = "waste"  # 垃圾、危废、污泥处置
    PUBLIC = "public"  # 供水、供气、医疗、粮食等民生保障
    STRATEGIC = "strategic"  # 战略性、出口型

    @property
    def label(self) -> str:
        return _LIVELIHOOD_LABELS[self]


_LIVELIHOOD_LABELS = {
    Livelihood.NONE: N_("Not protected"),
    Livelihood.HEATING: N_("Heating supply"),
    Livelihood.WASTE: N_("Waste disposal"),
    Livelihood.PUBLIC: N_("Public supply"),
    Livelihood.STRATEGIC: N_("Strategic or export production"),
}


class Pollutant(StrEnum):
    """The four pollutants whose reductions the list sums (SO2, NOx, 颗粒物, VOCs), in kg per day."""

    SO2 = "so2"
    NOX = "nox"
    PM = "pm"
    VOCS = "vocs"

    @property
    def label(self) -> str:
        return _POLLUTANT_LABELS[self]


_POLLUTANT_LABELS = {
    Pollutant.SO2: N_("SO2"),
    Pollutant.NOX: N_("NOx"),
    Pollutant.PM: N_("Particulate matter"),
    Pollutant.VOCS: N_("VOCs"),
}
