"""The HJ 212 parameter codes readings carry: each code's name (a catalog message id) and unit.

Codes and units are those of HJ 212-2017 Appendix B (Table B.1 air and flue gas, B.2 water, B.3 noise); O3 is not
in Appendix B and travels as `a05024` in practice. A pollutant measured both in ambient air and in flue gas keeps
one code but is stated in µg/m³ at an air-quality station and in mg/m³ at an outlet (CO in mg/m³ at both).
Statistics stored as parameters of their own (`a21026-Min`, `w00000-Cou`, `a21026-Zs`) are named after their
pollutant. Unknown codes (vendor codes are common) are shown as they came.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ecoloop.i18n import N_, gettext
from ecoloop.readings.vocabulary import Interval


class Medium(StrEnum):
    """Where a parameter is measured (HJ 212-2017 Appendix B's tables)."""

    AIR = "air"
    FLUE_GAS = "flue_gas"
    WATER = "water"
    NOISE = "noise"


@dataclass(frozen=True)
class Parameter:
    """One HJ 212 code: its name (a message id), its unit (in flue gas or water), and its unit in ambient air
    when that differs."""

    code: str
    name: str
    unit: str
    medium: Medium
    ambient_unit: str | None = None


UG = "µg/m³"
MG = "mg/m³"
MG_L = "mg/L"
DB = "dB(A)"

_TABLE = (
    # air quality (ambient) and meteorology
    Parameter("a34004", N_("PM2.5"), UG, Medium.AIR),
    Parameter("a34002", N_("PM10"), UG, Medium.AIR),
    Parameter("a05024", N_("Ozone"), UG, Medium.AIR),
    Parameter("a21004", N_("Nitrogen dioxide"), MG, Medium.AIR, UG),
    Parameter("a21026", N_("Sulphur dioxide"), MG, Medium.FLUE_GAS, UG),
    Parameter("a21005", N_("Carbon monoxide"), MG, Medium.FLUE_GAS),
    Parameter("a01001", N_("Air temperature"), "℃", Medium.AIR),
    Parameter("a01002", N_("Relative humidity"), "%", Medium.AIR),
    Parameter("a01006", N_("Air pressure"), "kPa", Medium.AIR),
    Parameter("a01007", N_("Wind speed"), "m/s", Medium.AIR),
    Parameter("a01008", N_("Wind direction"), "°", Medium.AIR),
    # flue gas pollutants
    Parameter("a21002", N_("Nitrogen oxides"), MG, Medium.FLUE_GAS),
    Parameter("a21003", N_("Nitric oxide"), MG, Medium.FLUE_GAS),
    Parameter("a34013", N_("Particulate matter"), MG, Medium.FLUE_GAS),
    Parameter("a24088", N_("Non-methane hydrocarbons"), MG, Medium.FLUE_GAS),
    Parameter("a21024", N_("Hydrogen chloride"), MG, Medium.FLUE_GAS),
    Parameter("a21028", N_("Hydrogen sulphide"), MG, Medium.FLUE_GAS),
    Parameter("a21001", N_("Ammonia"), MG, Medium.FLUE_GAS),
    Parameter("a21018", N_("Fluoride"), MG, Medium.FLUE_GAS),
    Parameter("a20057", N_("Mercury and its compounds"), MG, Medium.FLUE_GAS),
    Parameter("a25002", N_("Benzene"), MG, Medium.FLUE_GAS),
    Parameter("a25003", N_("Toluene"), MG, Medium.FLUE_GAS),
    Parameter("a25005", N_("Xylene"), MG, Medium.FLUE_GAS),
    Parameter("a05001", N_("Carbon dioxide"), MG, Medium.FLUE_GAS),
    # flue gas parameters
    Parameter("a00000", N_("Flue gas flow"), "m³/s", Medium.FLUE_GAS),
    Parameter("a19001", N_("Oxygen"), "%", Medium.FLUE_GAS),
    Parameter("a01011", N_("Flue gas velocity"), "m/s", Medium.FLUE_GAS),
    Parameter("a01012", N_("Flue gas temperature"), "℃", Medium.FLUE_GAS),
    Parameter("a01013", N_("Flue gas pressure"), "kPa", Medium.FLUE_GAS),
    Parameter("a01014", N_("Flue gas humidity"), "%", Medium.FLUE_GAS),
    Parameter("a01017", N_("Flue gas dynamic pressure"), "kPa", Medium.FLUE_GAS),
    Parameter("a01016", N_("Duct cross-section"), "m²", Medium.FLUE_GAS),
    # water
    Parameter("w00000", N_("Wastewater flow"), "L/s", Medium.WATER),
    Parameter("w01018", N_("Chemical oxygen demand"), MG_L, Medium.WATER),
    Parameter("w01019", N_("Permanganate index"), MG_L, Medium.WATER),
    Parameter("w01009", N_("Dissolved oxygen"), MG_L, Medium.WATER),
    Parameter("w21003", N_("Ammonia nitrogen"), MG_L, Medium.WATER),
    Parameter("w21011", N_("Total phosphorus"), MG_L, Medium.WATER),
    Parameter("w21001", N_("Total nitrogen"), MG_L, Medium.WATER),
    Parameter("w01001", N_("pH value"), "", Medium.WATER),
    Parameter("w01012", N_("Suspended solids"), MG_L, Medium.WATER),
    Parameter("w01017", N_("Five-day biochemical oxygen demand"), MG_L, Medium.WATER),
    Parameter("w22001", N_("Petroleum oils"), MG_L, Medium.WATER),
    Parameter("w23002", N_("Volatile phenols"), MG_L, Medium.WATER),
    Parameter("w21017", N_("Fluoride"), MG_L, Medium.WATER),
    Parameter("w20111", N_("Total mercury"), MG_L, Medium.WATER),
    Parameter("w20115", N_("Total cadmium"), MG_L, Medium.WATER),
    Parameter("w20116", N_("Total chromium"), MG_L, Medium.WATER),
    Parameter("w20117", N_("Hexavalent chromium"), MG_L, Medium.WATER),
    Parameter("w20119", N_("Total arsenic"), MG_L, Medium.WATER),
    Parameter("w20120", N_("Total lead"), MG_L, Medium.WATER),
    Parameter("w20121", N_("Total nickel"), MG_L, Medium.WATER),
    # noise (Table B.3, all in dB(A))
    Parameter("LA", N_("A-weighted sound level"), DB, Medium.NOISE),
    Parameter("Leq", N_("Equivalent sound level"), DB, Medium.NOISE),
    Parameter("L5", N_("Percentile sound level L5"), DB, Medium.NOISE),
    Parameter("L10", N_("Percentile sound level L10"), DB, Medium.NOISE),
    Parameter("L50", N_("Percentile sound level L50"), DB, Medium.NOISE),
    Parameter("L90", N_("Percentile sound level L90"), DB, Medium.NOISE),
    Parameter("L95", N_("Percentile sound level L95"), DB, Medium.NOISE),
    Parameter("Ld", N_("Daytime equivalent sound level"), DB, Medium.NOISE),
    Parameter("Ln", N_("Night-time equivalent sound level"), DB, Medium.NOISE),
    Parameter("Ldn", N_("Day-night equivalent sound level"), DB, Medium.NOISE),
    Parameter("LMx", N_("Maximum sound level"), DB, Medium.NOISE),
    Parameter("LMn", N_("Minimum sound level"), DB, Medium.NOISE),
)
PARAMETERS: dict[str, Parameter] = {p.code: p for p in _TABLE}

# Statistics stored as parameters of their own (`ecoloop.ingest.convert`), by their suffix.
# Data flags (HJ 212-2017 Table 8), as pages name them.
FLAG_LABELS = {
    "N": N_("Normal"),
    "F": N_("Stopped"),
    "M": N_("Maintenance"),
    "S": N_("Manual input"),
    "D": N_("Fault"),
    "C": N_("Calibration"),
    "T": N_("Over range"),
    "B": N_("Transmission fault"),
}
STATISTICS = {
    "Min": N_("%(name)s minimum"),
    "Max": N_("%(name)s maximum"),
    "Cou": N_("%(name)s cumulative"),
    "Zs": N_("%(name)s converted"),
    "ZsMin": N_("%(name)s converted minimum"),
    "ZsMax": N_("%(name)s converted maximum"),
    "DayData": N_("%(name)s, daytime"),
    "NightData": N_("%(name)s, night-time"),
}
# Cumulative values are amounts: flows add up to volumes, concentrations to masses (HJ 212-2017 Table 4 `Cou`).
_AMOUNT_UNITS = {"m³/s": "m³", "L/s": "m³"}


def interval_name(interval: str) -> str:
    """The name of a kind of stored value (`hour` → 小时数据, `Interval.label`), or the value itself when unknown."""
    return gettext(Interval(interval).label) if interval in Interval._value2member_map_ else interval


def split(code: str) -> tuple[str, str]:
    """A stored parameter as its HJ 212 code and statistic suffix (`a21026-Min` → `a21026`, `Min`)."""
    base, _, suffix = code.partition("-")
    return (base, suffix) if suffix in STATISTICS else (code, "")


def name(code: str) -> str:
    """The parameter's name in the current language (`w21003` → 氨氮), or the code itself when unknown."""
    base, suffix = split(code)
    known = PARAMETERS.get(base)
    if known is None:
        return code
    text = gettext(known.name)
    return gettext(STATISTICS[suffix]) % {"name": text} if suffix else text


def unit(code: str, *, ambient: bool = False) -> str:
    """The parameter's unit (`ambient`: as an air-quality station states it), or "" when it has none or is
    unknown; a cumulative flow is a volume and a cumulative concentration has no unit of its own here."""
    base, suffix = split(code)
    known = PARAMETERS.get(base)
    if known is None:
        return ""
    stated = known.ambient_unit if ambient and known.ambient_unit else known.unit
    if suffix == "Cou":
        return _AMOUNT_UNITS.get(stated, "")
    return stated


def label(code: str, *, ambient: bool = False) -> str:
    """The parameter's name with its unit, as tables and export headers show it (化学需氧量 (mg/L))."""
    stated = unit(code, ambient=ambient)
    return f"{name(code)} ({stated})" if stated else name(code)


class Labels(Mapping[str, str]):
    """The labels of parameter codes as a page's `labels.parameters`: every known code (with or without a
    statistic suffix) maps to its name and unit (`ambient`: as an air-quality station states them; None: the
    name alone, where a list mixes stations and outlets); `aliases` are other names of codes (GB 3838 indicators).
    Iterating gives `codes` (e.g. the pollutants a form offers), or every code of the table."""

    def __init__(
        self,
        *,
        ambient: bool | None = False,
        codes: Iterable[str] | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.ambient = ambient
        self.codes = tuple(codes) if codes is not None else tuple(PARAMETERS)
        self.aliases = dict(aliases or {})

    def __getitem__(self, key: str) -> str:
        code = self.aliases.get(key, key)
        if split(code)[0] not in PARAMETERS:
            raise KeyError(key)
        return name(code) if self.ambient is None else label(code, ambient=self.ambient)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and split(self.aliases.get(key, key))[0] in PARAMETERS

    def __iter__(self) -> Iterator[str]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)
