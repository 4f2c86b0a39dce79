"""Enumerations of hotspot orders (高值热点消除指令): registered sources, the order's status and timeline, the check."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class SourceKind(StrEnum):
    """A registered non-enterprise source that the suspect search lists besides the enterprises."""

    CONSTRUCTION = "construction"  # 工地
    YARD = "yard"  # 堆场
    ROAD = "road"  # 道路
    RESTAURANT = "restaurant"  # 餐饮
    OTHER = "other"  # 其他

    @property
    def label(self) -> str:
        return SOURCE_KIND_LABELS[self]


SOURCE_KIND_LABELS = {
    SourceKind.CONSTRUCTION: N_("Construction site"),
    SourceKind.YARD: N_("Material yard"),
    SourceKind.ROAD: N_("Road"),
    SourceKind.RESTAURANT: N_("Restaurant"),
    SourceKind.OTHER: N_("Other source"),
}


class SuspectKind(StrEnum):
    """What a suspect of an order is: an enterprise (with its outlets' latest values) or a registered source."""

    ENTERPRISE = "enterprise"
    SOURCE = "source"

    @property
    def label(self) -> str:
        return SUSPECT_KIND_LABELS[self]


SUSPECT_KIND_LABELS = {SuspectKind.ENTERPRISE: N_("Enterprise"), SuspectKind.SOURCE: N_("Registered source")}


class OrderStatus(StrEnum):
    """Where an order stands: sent and waiting for the lead unit's response (签收), responded, on site, replied
    (反馈) and waiting for the dispatching side's check (核查), or closed after a check found it effective."""

    DISPATCHED = "dispatched"
    RESPONDED = "responded"
    ON_SITE = "on_site"
    REPLIED = "replied"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    OrderStatus.DISPATCHED: N_("Waiting for response"),
    OrderStatus.RESPONDED: N_("Responded"),
    OrderStatus.ON_SITE: N_("On site"),
    OrderStatus.REPLIED: N_("Replied, to be checked"),
    OrderStatus.CLOSED: N_("Checked and closed"),
}
OPEN_STATUSES = frozenset(s for s in OrderStatus if s is not OrderStatus.CLOSED)


class CheckResult(StrEnum):
    """The dispatching side's on-site check (核查) of a reply."""

    EFFECTIVE = "effective"  # 核查属实, 措施有效
    NOT_EFFECTIVE = "not_effective"  # 措施无效: the unit replies again

    @property
    def label(self) -> str:
        return CHECK_LABELS[self]


CHECK_LABELS = {
    CheckResult.EFFECTIVE: N_("Confirmed effective"),
    CheckResult.NOT_EFFECTIVE: N_("Not effective"),
}


class OrderEventKind(StrEnum):
    """A line of an order's timeline."""

    DISPATCHED = "dispatched"
    RESPONDED = "responded"
    ARRIVED = "arrived"
    REPLIED = "replied"
    CHECKED = "checked"
    OVERDUE = "overdue"
    SUPERVISED = "supervised"
    INTERVIEW_PROPOSED = "interview_proposed"
    EFFECT = "effect"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS = {
    OrderEventKind.DISPATCHED: N_("Order dispatched"),
    OrderEventKind.RESPONDED: N_("Responded"),
    OrderEventKind.ARRIVED: N_("Arrived on site"),
    OrderEventKind.REPLIED: N_("Replied"),
    OrderEventKind.CHECKED: N_("Checked on site"),
    OrderEventKind.OVERDUE: N_("Overdue"),
    OrderEventKind.SUPERVISED: N_("Supervision notice"),
    OrderEventKind.INTERVIEW_PROPOSED: N_("Interview proposed"),
    OrderEventKind.EFFECT: N_("Effect on the station computed"),
}


class OrderTab(StrEnum):
    """A tab of the order list: waiting for the lead unit, overdue (not closed), replied and to be checked, closed."""

    OPEN = "open"
    OVERDUE = "overdue"
    REPLIED = "replied"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return TAB_LABELS[self]


TAB_LABELS = {
    OrderTab.OPEN: N_("Open"),
    OrderTab.OVERDUE: N_("Overdue"),
    OrderTab.REPLIED: N_("Replied, to be checked"),
    OrderTab.CLOSED: N_("Checked and closed"),
}
