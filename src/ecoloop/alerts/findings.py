"""An alert's findings as sentences in the current language: the one wording of the triggering data that the alert
page, the case handed over from an alert and its title use.

A finding is read as the alert keeps it (`alert.detail["findings"]`, written by `service._detail`): stored JSON, so
every value is checked and a finding that cannot be read in full still gets the general sentence. Parameters are
named through the HJ 212 code table (`ecoloop.readings.parameters`), water indicators through their HJ 212 codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from ecoloop.alerts.evaluate import WATER_CODES
from ecoloop.alerts.rules import LMAX, RuleKind
from ecoloop.i18n import N_, gettext
from ecoloop.monitoring.enums import NoiseZone
from ecoloop.readings import parameters
from ecoloop.standards.aqi import AqiCategory
from ecoloop.standards.noise import NoisePeriod
from ecoloop.standards.water import WaterGrade

# Water findings name GB 3838 indicators (`NH3_N`); the code table knows their HJ 212 codes.
_WATER_CODE_OF = {indicator: code for code, indicator in WATER_CODES.items()}
_AVERAGING = {"hour": N_("hourly mean"), "day": N_("daily mean")}
_AQI_PERIOD = {"hour": N_("hourly"), "day": N_("daily")}
_SENTENCES = {
    RuleKind.SOURCE_EXCEEDANCE: N_(
        "%(time)s %(where)s %(parameter)s %(averaging)s %(observed)s %(unit)s, above the permit limit of "
        "%(reference)s %(unit)s (%(multiple)s times over)"
    ),
    RuleKind.AIR_HOTSPOT: N_(
        "%(time)s %(where)s %(parameter)s %(observed)s %(unit)s, %(difference)s above the median %(reference)s "
        "of %(neighbours)s stations within %(radius)s km"
    ),
    RuleKind.AIR_SUDDEN_RISE: N_(
        "%(time)s %(where)s %(parameter)s %(observed)s %(unit)s, %(rise)s above the mean %(reference)s of the "
        "previous %(hours)s hours"
    ),
    RuleKind.WATER_BELOW_TARGET: N_(
        "%(time)s %(where)s water quality %(grade)s, short of the target %(target)s; indicators over the target: "
        "%(indicators)s (%(parameter)s %(observed)s %(unit)s, target limit %(reference)s)"
    ),
    RuleKind.DEVICE_SILENT: N_(
        "%(time)s %(where)s no data for %(minutes)s minutes (%(allowed)s minutes allowed); last data %(last_seen)s"
    ),
    RuleKind.DEVICE_FLAT_LINE: N_(
        "%(time)s %(where)s %(parameter)s the same value %(value)s %(unit)s %(observed)s times in a row since %(start)s"
    ),
    RuleKind.DEVICE_IDENTICAL_VALUES: N_(
        "%(time)s %(where)s %(observed)s pollutants carry the same value %(value)s: %(parameters)s"
    ),
    RuleKind.DEVICE_HIDDEN_EXCEEDANCE: N_(
        "%(time)s %(where)s %(parameter)s %(observed)s %(unit)s above the limit of %(reference)s %(unit)s while "
        "flagged %(flag)s; %(count)s such values within %(hours)s hours"
    ),
    RuleKind.AQI_LEVEL: N_(
        "%(time)s %(where)s %(period)s AQI %(observed)s, level %(level)s (%(category)s), at or above the alert "
        "threshold %(reference)s"
    ),
    RuleKind.NOISE_EXCEEDANCE: N_(
        "%(time)s %(where)s %(period)s %(parameter)s %(observed)s %(unit)s, above the %(period)s limit of "
        "%(reference)s %(unit)s of a %(zone)s by %(excess)s dB"
    ),
    RuleKind.PARTNER: N_("%(time)s %(where)s %(source)s reported: %(title)s. %(description)s"),
    RuleKind.ELECTRICITY: N_(
        "%(time)s %(where)s %(enterprise)s, meter %(meter)s (%(line)s): %(flag)s in %(found)s of the %(checked)s "
        "slots checked, longest from %(first)s to %(last)s"
    ),
}
_PARTNER_BARE = N_("%(time)s %(where)s %(source)s reported: %(title)s")
_NOISE_MAX = N_(
    "%(time)s %(where)s %(period)s %(parameter)s %(observed)s %(unit)s, above %(reference)s %(unit)s (the night "
    "limit of a %(zone)s plus 15 dB for sudden noise) by %(excess)s dB"
)
_SILENT_NEVER = N_("%(time)s %(where)s no data received yet")
_WATER_PH = N_(
    "%(time)s %(where)s water quality %(grade)s, short of the target %(target)s; indicators over the target: "
    "%(indicators)s (pH %(observed)s, outside %(range)s)"
)
_GENERAL = N_("%(time)s %(where)s %(parameter)s %(observed)s %(unit)s (reference %(reference)s)")
_GENERAL_BARE = N_("%(time)s %(where)s %(parameter)s %(observed)s %(unit)s")


def number(value: Any) -> str:
    """A stored number as shown: without trailing zeros (`123.40` → 123.4); other text as it is."""
    if value is None:
        return ""
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{exact.normalize():f}" if exact.is_finite() else str(value)


def _round(value: Any, places: int = 2) -> str:
    try:
        return number(Decimal(str(value)).quantize(Decimal(1).scaleb(-places)))
    except InvalidOperation:
        return str(value)


def _moment(value: Any, zone: tzinfo) -> str:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return ""
    if moment is None or moment.tzinfo is None:
        return ""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def parameter_name(code: Any) -> str:
    """A finding's parameter by its name: an HJ 212 code, a GB 3838 indicator or AQI."""
    if not isinstance(code, str) or not code:
        return ""
    return parameters.name(_WATER_CODE_OF.get(code, code))


def _unit(code: Any, ambient: bool) -> str:
    if not isinstance(code, str):
        return ""
    return parameters.unit(_WATER_CODE_OF.get(code, code), ambient=ambient)


def _grade(value: Any) -> str:
    return gettext(WaterGrade(value).label) if value in WaterGrade._value2member_map_ else str(value or "")


def describe(kind: RuleKind | str, finding: Mapping[str, Any], *, where: str, zone: tzinfo) -> str:
    """One finding as a sentence: when, where, what was observed against what, and why it counts, e.g.
    "2026-12-06 08:00 <outlet> sulphur dioxide hourly mean 123.4 mg/m³, above the permit limit of 100 mg/m³ (0.23
    times over)" in the catalog's Chinese."""
    known = RuleKind(kind) if kind in RuleKind._value2member_map_ else None
    code = finding.get("parameter")
    ambient = known in (RuleKind.AIR_HOTSPOT, RuleKind.AIR_SUDDEN_RISE)
    values: dict[str, Any] = {
        "time": _moment(finding.get("time"), zone),
        "where": where,
        "parameter": parameter_name(code),
        "observed": number(finding.get("observed")),
        "reference": number(finding.get("reference")),
        "unit": str(finding.get("unit") or _unit(code, ambient)),
    }
    try:
        text = _specific(known, finding, values, zone)
    except (KeyError, ValueError, TypeError, InvalidOperation):
        text = None
    if text is None:
        general = _GENERAL if values["reference"] else _GENERAL_BARE
        text = gettext(general) % values
    return " ".join(text.split())


def _specific(kind: RuleKind | None, f: Mapping[str, Any], values: dict[str, Any], zone: tzinfo) -> str | None:
    """The kind's own sentence; None when the kind is unknown. Missing keys raise and fall back to the general."""
    if kind is None:
        return None
    extra: dict[str, Any] = {}
    message = _SENTENCES[kind]
    if kind is RuleKind.SOURCE_EXCEEDANCE:
        averaging = _AVERAGING[f["averaging"]]
        extra = {"averaging": gettext(averaging), "multiple": _round(f["multiple"])}
    elif kind is RuleKind.AIR_HOTSPOT:
        extra = {
            "difference": _round(f["difference"], 1),
            "neighbours": int(f["neighbours"]),
            "radius": number(f["radius_km"]),
        }
    elif kind is RuleKind.AIR_SUDDEN_RISE:
        extra = {"rise": _round(f["rise"], 1), "hours": int(f["previous_hours"])}
    elif kind is RuleKind.WATER_BELOW_TARGET:
        extra = {
            "grade": _grade(f["grade"]),
            "target": _grade(f["target"]),
            "indicators": "\u3001".join(parameter_name(i) for i in f["indicators"]),
        }
        if f.get("reference") is None:
            message, extra["range"] = _WATER_PH, str(f.get("range") or "6-9")
    elif kind is RuleKind.DEVICE_SILENT:
        if f.get("observed") is None:
            message = _SILENT_NEVER
        extra = {
            "minutes": int(Decimal(str(f.get("observed") or 0)) // 60),
            "allowed": int(Decimal(str(f["reference"])) // 60),
            "last_seen": _moment(f.get("last_seen"), zone),
        }
    elif kind is RuleKind.DEVICE_FLAT_LINE:
        extra = {"value": number(f["value"]), "start": _moment(f["start"], zone)}
    elif kind is RuleKind.DEVICE_IDENTICAL_VALUES:
        extra = {"value": number(f["value"]), "parameters": "\u3001".join(parameter_name(p) for p in f["parameters"])}
    elif kind is RuleKind.DEVICE_HIDDEN_EXCEEDANCE:
        extra = {"flag": _flag(f["flag"]), "count": int(f["count"]), "hours": number(f["window_h"])}
    elif kind is RuleKind.AQI_LEVEL:
        period = _AQI_PERIOD[f["period"]]
        extra = {
            "period": gettext(period),
            "level": int(f["level"]),
            "category": AqiCategory[str(f["category"]).upper()].value,
        }
    elif kind is RuleKind.NOISE_EXCEEDANCE:
        if f.get("parameter") == LMAX:
            message = _NOISE_MAX
        extra = {
            "period": gettext(NoisePeriod(f["period"]).label),
            "zone": gettext(NoiseZone(f["zone"]).label),
            "excess": number(f["excess"]),
        }
    elif kind is RuleKind.ELECTRICITY:
        # the flag's label, a message id of `electricity.enums.FlagKind` kept with the finding (the alerts do not
        # import the electricity package, which raises its alerts through `alerts.service`)
        flag = str(f["flag_label"])
        extra = {
            "enterprise": str(f["enterprise"]),
            "meter": str(f["meter"]),
            "line": str(f["line"]),
            "flag": gettext(flag),
            "found": int(f["found"]),
            "checked": int(f["checked"]),
            "first": _moment(f["first"], zone),
            "last": _moment(f["last"], zone),
        }
    elif kind is RuleKind.PARTNER:
        # the platform's own words, stored with personal numbers masked (`ecoloop.intake.events`)
        extra = {"source": str(f["source"]), "title": str(f["title"]), "description": str(f.get("description") or "")}
        if not extra["description"]:
            message = _PARTNER_BARE
    return gettext(message) % {**values, **extra}


# HJ 212-2017 Table 8 data flags, as the hidden-exceedance sentence names them.
FLAGS = {
    "F": N_("Stopped"),
    "M": N_("Maintenance"),
    "S": N_("Manual input"),
    "D": N_("Fault"),
    "C": N_("Calibration"),
    "T": N_("Over range"),
    "B": N_("Transmission fault"),
}


def _flag(value: Any) -> str:
    flag = str(value or "").upper()
    return gettext(FLAGS[flag]) if flag in FLAGS else flag
