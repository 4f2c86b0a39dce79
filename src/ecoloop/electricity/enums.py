"""The vocabulary of the electricity checks: what a meter measures, how often, where its readings came from, and
the kinds of flag a warning's check raises."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class MeterTarget(StrEnum):
    """What a meter measures (分表计电): one production line, one treatment facility, or the whole enterprise."""

    PRODUCTION = "production"  # a production line or process (生产设施)
    TREATMENT = "treatment"  # a treatment facility (治污设施)
    ENTERPRISE = "enterprise"  # the whole enterprise (总表)

    @property
    def label(self) -> str:
        return _TARGET_LABELS[self]


_TARGET_LABELS = {
    MeterTarget.PRODUCTION: N_("Production facility"),
    MeterTarget.TREATMENT: N_("Treatment facility"),
    MeterTarget.ENTERPRISE: N_("Whole enterprise"),
}


class MeterInterval(StrEnum):
    """How often a meter reports its energy: every 15 minutes (the grid's 用电信息采集系统, 96 a day) or hourly."""

    QUARTER_HOUR = "15min"
    HOUR = "1h"

    @property
    def minutes(self) -> int:
        return 15 if self is MeterInterval.QUARTER_HOUR else 60

    @property
    def label(self) -> str:
        return _INTERVAL_LABELS[self]


_INTERVAL_LABELS = {MeterInterval.QUARTER_HOUR: N_("15 minutes"), MeterInterval.HOUR: N_("Hourly")}


class ReadingOrigin(StrEnum):
    """How a reading came in."""

    UPLOAD = "upload"  # a CSV or Excel file on the imports page
    API = "api"  # POST /api/v1/electricity/readings
    DEMO = "demo"  # the demo city's feed

    @property
    def label(self) -> str:
        return _ORIGIN_LABELS[self]


_ORIGIN_LABELS = {ReadingOrigin.UPLOAD: N_("File upload"), ReadingOrigin.API: N_("API"), ReadingOrigin.DEMO: N_("Demo")}


class FlagKind(StrEnum):
    """What a warning's electricity check found; three kinds apart, as the Hefei platform separates its alarms
    (memo §4): production above the allowance, treatment not running while production runs, and no data (a
    silent meter is never counted as compliant)."""

    OVER_ALLOWANCE = "over_allowance"  # 未按要求落实停限产
    TREATMENT_OFF = "treatment_off"  # 治污设施未运行
    MISSING_DATA = "missing_data"  # 数据缺失

    @property
    def label(self) -> str:
        return _FLAG_LABELS[self]


_FLAG_LABELS = {
    FlagKind.OVER_ALLOWANCE: N_("Production above the allowance"),
    FlagKind.TREATMENT_OFF: N_("Treatment facility not running"),
    FlagKind.MISSING_DATA: N_("Electricity data missing"),
}
