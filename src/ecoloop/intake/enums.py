"""Enumerations of intake: channels, topics (what a citizen reports, mapped to case categories), statuses."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_
from ecoloop.identity.enums import Category, DepartmentType


class Channel(StrEnum):
    """How a complaint came in."""

    WEB = "web"  # the public page
    WECHAT = "wechat"  # a WeChat mini-program through the JSON API
    HOTLINE = "hotline"  # a 12369 call registered at the hotline desk
    LETTER = "letter"  # a letter or a visit, registered at the desk
    OPEN311 = "open311"  # an Open311 GeoReport v2 client
    PARTNER = "partner"  # another platform with a registered key

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


class Topic(StrEnum):
    """What a citizen reports (the public form's choices and the Open311 service codes); each belongs to a case
    category, which decides the responsible units by their duties."""

    SMOKE = "air.smoke"  # 冒黑烟、焚烧
    ODOUR = "air.odour"  # 异味、臭气
    DUST = "air.dust"  # 扬尘
    CATERING = "air.catering"  # 餐饮油烟
    WASTEWATER = "water.discharge"  # 偷排、直排废水
    RIVER = "water.river"  # 河道黑臭、水体异常
    CONSTRUCTION_NOISE = "noise.construction"  # 施工噪声
    BUSINESS_NOISE = "noise.business"  # 工业、商业噪声
    DUMPING = "waste.dumping"  # 倾倒、堆放固体废物
    HAZARDOUS = "waste.hazardous"  # 危险废物
    SOIL = "soil.pollution"  # 土壤污染
    ECOLOGY = "ecology.damage"  # 生态破坏
    RADIATION = "radiation.source"  # 辐射
    OTHER = "other"  # 其他

    @property
    def label(self) -> str:
        return TOPIC_LABELS[self]

    @property
    def category(self) -> Category:
        return TOPIC_CATEGORIES[self]

    @property
    def description(self) -> str:
        return TOPIC_DESCRIPTIONS[self]

    @property
    def departments(self) -> frozenset[DepartmentType]:
        """The sectors that help with such a problem (配合), among the departments with the category's duty; none:
        the bureau's own enforcement (a chimney, wastewater, hazardous waste)."""
        return TOPIC_DEPARTMENTS[self]


class Status(StrEnum):
    """Where a complaint stands, as the citizen's lookup shows it."""

    RECEIVED = "received"  # 已收到, acceptance to be decided
    ACCEPTED = "accepted"  # 已受理, being handled (its case)
    NOT_ACCEPTED = "not_accepted"  # 不予受理, with the reason told
    REPLIED = "replied"  # 已答复, awaiting the citizen's rating
    REVIEW = "review"  # 复查, the citizen was not satisfied
    CLOSED = "closed"  # 已办结

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


OPEN_STATUSES = frozenset({Status.RECEIVED, Status.ACCEPTED, Status.REVIEW})


class Satisfaction(StrEnum):
    """The citizen's rating of the reply (回访)."""

    SATISFIED = "satisfied"
    BASICALLY = "basically"
    NOT_SATISFIED = "not_satisfied"

    @property
    def label(self) -> str:
        return SATISFACTION_LABELS[self]


class RewardStatus(StrEnum):
    """A reward for a report (有奖举报)."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REFUSED = "refused"
    PAID = "paid"

    @property
    def label(self) -> str:
        return REWARD_LABELS[self]


CHANNEL_LABELS = {
    Channel.WEB: N_("Public web page"),
    Channel.WECHAT: N_("WeChat"),
    Channel.HOTLINE: N_("12369 hotline"),
    Channel.LETTER: N_("Letter or visit"),
    Channel.OPEN311: N_("Open311 client"),
    Channel.PARTNER: N_("Partner platform"),
}

TOPIC_LABELS = {
    Topic.SMOKE: N_("Black smoke or open burning"),
    Topic.ODOUR: N_("Odour"),
    Topic.DUST: N_("Dust"),
    Topic.CATERING: N_("Cooking fumes"),
    Topic.WASTEWATER: N_("Wastewater discharge"),
    Topic.RIVER: N_("Black or smelly water"),
    Topic.CONSTRUCTION_NOISE: N_("Construction noise"),
    Topic.BUSINESS_NOISE: N_("Industrial or commercial noise"),
    Topic.DUMPING: N_("Dumped waste"),
    Topic.HAZARDOUS: N_("Hazardous waste"),
    Topic.SOIL: N_("Soil pollution"),
    Topic.ECOLOGY: N_("Ecological damage"),
    Topic.RADIATION: N_("Radiation"),
    Topic.OTHER: N_("Other problem"),
}

TOPIC_DESCRIPTIONS = {
    Topic.SMOKE: N_("A chimney, vehicle or fire giving off black smoke; burning straw or rubbish"),
    Topic.ODOUR: N_("A chemical, rotten or other strong smell"),
    Topic.DUST: N_("Dust from a building site, a yard or a road"),
    Topic.CATERING: N_("Fumes from a restaurant's kitchen"),
    Topic.WASTEWATER: N_("Wastewater let out into a river, a drain or the ground"),
    Topic.RIVER: N_("A river, pond or ditch that is black, smelly or has dead fish"),
    Topic.CONSTRUCTION_NOISE: N_("Building work at night or too loud"),
    Topic.BUSINESS_NOISE: N_("Noise from a factory, shop or entertainment place"),
    Topic.DUMPING: N_("Rubbish, construction waste or industrial waste dumped or piled up"),
    Topic.HAZARDOUS: N_("Waste oil, chemicals, medical waste or other hazardous waste"),
    Topic.SOIL: N_("Polluted land"),
    Topic.ECOLOGY: N_("Damage to nature reserves, wetlands, rivers or mountains"),
    Topic.RADIATION: N_("A radiation source or electromagnetic equipment"),
    Topic.OTHER: N_("Any other environmental problem"),
}

TOPIC_CATEGORIES = {
    Topic.SMOKE: Category.AIR,
    Topic.ODOUR: Category.AIR,
    Topic.DUST: Category.AIR,
    Topic.CATERING: Category.AIR,
    Topic.WASTEWATER: Category.WATER,
    Topic.RIVER: Category.WATER,
    Topic.CONSTRUCTION_NOISE: Category.NOISE,
    Topic.BUSINESS_NOISE: Category.NOISE,
    Topic.DUMPING: Category.SOLID_WASTE,
    Topic.HAZARDOUS: Category.SOLID_WASTE,
    Topic.SOIL: Category.SOIL,
    Topic.ECOLOGY: Category.ECOLOGY,
    Topic.RADIATION: Category.RADIATION,
    Topic.OTHER: Category.OTHER,
}

_D = DepartmentType
TOPIC_DEPARTMENTS: dict[Topic, frozenset[DepartmentType]] = {
    Topic.SMOKE: frozenset({_D.TRANSPORT, _D.AGRICULTURE}),  # vehicles; straw burning
    Topic.ODOUR: frozenset(),
    Topic.DUST: frozenset({_D.HOUSING, _D.URBAN_MANAGEMENT, _D.TRANSPORT}),  # sites, yards, roads
    Topic.CATERING: frozenset({_D.URBAN_MANAGEMENT}),
    Topic.WASTEWATER: frozenset(),
    Topic.RIVER: frozenset({_D.WATER_RESOURCES, _D.URBAN_MANAGEMENT}),
    Topic.CONSTRUCTION_NOISE: frozenset({_D.HOUSING, _D.URBAN_MANAGEMENT}),
    Topic.BUSINESS_NOISE: frozenset({_D.URBAN_MANAGEMENT, _D.POLICE, _D.MARKET_REGULATION}),
    Topic.DUMPING: frozenset({_D.URBAN_MANAGEMENT, _D.HOUSING, _D.POLICE}),
    Topic.HAZARDOUS: frozenset({_D.POLICE, _D.TRANSPORT}),
    Topic.SOIL: frozenset({_D.NATURAL_RESOURCES, _D.AGRICULTURE}),
    Topic.ECOLOGY: frozenset({_D.NATURAL_RESOURCES, _D.WATER_RESOURCES, _D.AGRICULTURE}),
    Topic.RADIATION: frozenset(),
    Topic.OTHER: frozenset(set(DepartmentType)),
}

STATUS_LABELS = {
    Status.RECEIVED: N_("Received, acceptance pending"),
    Status.ACCEPTED: N_("Accepted, being handled"),
    Status.NOT_ACCEPTED: N_("Not accepted"),
    Status.REPLIED: N_("Replied"),
    Status.REVIEW: N_("Under review"),
    Status.CLOSED: N_("Concluded"),
}

SATISFACTION_LABELS = {
    Satisfaction.SATISFIED: N_("Satisfied"),
    Satisfaction.BASICALLY: N_("Basically satisfied"),
    Satisfaction.NOT_SATISFIED: N_("Not satisfied"),
}

REWARD_LABELS = {
    RewardStatus.PROPOSED: N_("Proposed"),
    RewardStatus.APPROVED: N_("Approved"),
    RewardStatus.REFUSED: N_("Refused"),
    RewardStatus.PAID: N_("Paid"),
}
