"""Enumerations of the enterprise file (一企一档), each with its display label."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class EnterpriseStatus(StrEnum):
    """Operating state of an enterprise."""

    OPERATING = "operating"  # 正常生产
    STOPPED = "stopped"  # 停产 (including seasonal stops and 停产整治)
    CLOSED = "closed"  # 关闭 (注销, 关停取缔)

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    EnterpriseStatus.OPERATING: N_("Operating"),
    EnterpriseStatus.STOPPED: N_("Production stopped"),
    EnterpriseStatus.CLOSED: N_("Closed down"),
}


class PermitClass(StrEnum):
    """Management class of a discharge permit (排污许可管理条例 (2021) 第六条: 重点管理、简化管理; 登记管理 is the
    registration of units below both)."""

    KEY = "key"  # 重点管理
    SIMPLIFIED = "simplified"  # 简化管理
    REGISTRATION = "registration"  # 登记管理

    @property
    def label(self) -> str:
        return _PERMIT_CLASS_LABELS[self]


_PERMIT_CLASS_LABELS = {
    PermitClass.KEY: N_("Key management"),
    PermitClass.SIMPLIFIED: N_("Simplified management"),
    PermitClass.REGISTRATION: N_("Registration"),
}


class OutletKind(StrEnum):
    """Kind of discharge outlet (排放口): flue gas (DA…) or wastewater (DW…), as numbered in permits."""

    GAS = "gas"
    WATER = "water"

    @property
    def label(self) -> str:
        return _OUTLET_KIND_LABELS[self]


_OUTLET_KIND_LABELS = {OutletKind.GAS: N_("Flue gas"), OutletKind.WATER: N_("Wastewater")}


class LineKind(StrEnum):
    """What an enterprise's line (生产线/工序/设施) is, for the control list's measures and the electricity checks
    (分表计电: production and treatment facilities metered apart)."""

    PRODUCTION = "production"  # 生产设施 (a production line or process)
    TREATMENT = "treatment"  # 治污设施 (a pollution-treatment facility)

    @property
    def label(self) -> str:
        return _LINE_KIND_LABELS[self]


_LINE_KIND_LABELS = {LineKind.PRODUCTION: N_("Production facility"), LineKind.TREATMENT: N_("Treatment facility")}


class Averaging(StrEnum):
    """Averaging period a concentration limit applies to (`standards.emission`)."""

    HOUR = "hour"
    DAY = "day"

    @property
    def label(self) -> str:
        return _AVERAGING_LABELS[self]


_AVERAGING_LABELS = {Averaging.HOUR: N_("Hourly mean"), Averaging.DAY: N_("Daily mean")}


class PerformanceGrade(StrEnum):
    """Environmental performance grade for heavy-pollution-weather response (重污染天气重点行业绩效分级):
    A, B, C, D, or 引领性 for industries graded only as leading or not."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    LEADING = "leading"  # 引领性

    @property
    def label(self) -> str:
        return _GRADE_LABELS[self]


_GRADE_LABELS = {
    PerformanceGrade.A: N_("Grade A"),
    PerformanceGrade.B: N_("Grade B"),
    PerformanceGrade.C: N_("Grade C"),
    PerformanceGrade.D: N_("Grade D"),
    PerformanceGrade.LEADING: N_("Leading"),
}


class CorrectionStatus(StrEnum):
    """State of an enterprise's request to correct its own monitoring data."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return _CORRECTION_STATUS_LABELS[self]


_CORRECTION_STATUS_LABELS = {
    CorrectionStatus.PENDING: N_("Pending review"),
    CorrectionStatus.APPROVED: N_("Approved"),
    CorrectionStatus.REJECTED: N_("Rejected"),
}
