"""Enumerations of the enterprise file (一企一档)."""

from __future__ import annotations

from enum import StrEnum


class EnterpriseStatus(StrEnum):
    """Operating state of an enterprise."""

    OPERATING = "operating"  # 正常生产
    STOPPED = "stopped"  # 停产 (including seasonal stops and 停产整治)
    CLOSED = "closed"  # 关闭 (注销, 关停取缔)


class PermitClass(StrEnum):
    """Management class of a discharge permit (排污许可管理条例 (2021) 第六条: 重点管理、简化管理; 登记管理 is the
    registration of units below both)."""

    KEY = "key"  # 重点管理
    SIMPLIFIED = "simplified"  # 简化管理
    REGISTRATION = "registration"  # 登记管理


class OutletKind(StrEnum):
    """Kind of discharge outlet (排放口): flue gas (DA…) or wastewater (DW…), as numbered in permits."""

    GAS = "gas"
    WATER = "water"


class Averaging(StrEnum):
    """Averaging period a concentration limit applies to (`standards.emission`)."""

    HOUR = "hour"
    DAY = "day"


class PerformanceGrade(StrEnum):
    """Environmental performance grade for heavy-pollution-weather response (重污染天气重点行业绩效分级):
    A, B, C, D, or 引领性 for industries graded only as leading or not."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    LEADING = "leading"  # 引领性


class CorrectionStatus(StrEnum):
    """State of an enterprise's request to correct its own monitoring data."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
