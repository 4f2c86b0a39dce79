"""Rules as data: each kind's thresholds (the dataclasses of `ecoloop.alerts.rules`) to and from the JSON that
`AlertRule.parameters` stores and the rule editor edits, with the options the engine adds per kind, and the
built-in rules a new installation starts with. Pure: no database."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from ecoloop.alerts.device_rules import (
    FlatLineThresholds,
    HiddenExceedanceThresholds,
    IdenticalValuesThresholds,
    SilenceThresholds,
)
from ecoloop.alerts.enums import Escalation
from ecoloop.alerts.rules import (
    AqiThresholds,
    HotspotThresholds,
    NoiseThresholds,
    RuleKind,
    Severity,
    SourceExceedanceThresholds,
    SuddenRiseThresholds,
    WaterTargetThresholds,
)
from ecoloop.i18n import DEFAULT_LOCALE, N_, gettext, use_locale
from ecoloop.standards.noise import NoisePeriod


@dataclass(frozen=True)
class ElectricityThresholds:
    """The electricity checks during a warning (issue 20, `ecoloop.electricity`): judged by their own parameters
    (`/electricity/settings`), not by the engine; the rule's name, escalation and case deadline still apply."""


@dataclass(frozen=True)
class PartnerThresholds:
    """A partner platform's warnings (issue 18, `ecoloop.intake.events`): the platform judged, the engine does not
    evaluate the rule, and it has nothing to set; its name, region, escalation and case deadline still apply."""


Thresholds = (
    SourceExceedanceThresholds
    | HotspotThresholds
    | SuddenRiseThresholds
    | WaterTargetThresholds
    | SilenceThresholds
    | FlatLineThresholds
    | IdenticalValuesThresholds
    | HiddenExceedanceThresholds
    | AqiThresholds
    | NoiseThresholds
    | PartnerThresholds
    | ElectricityThresholds
)

THRESHOLDS: Final[dict[RuleKind, type[Thresholds]]] = {
    RuleKind.SOURCE_EXCEEDANCE: SourceExceedanceThresholds,
    RuleKind.AIR_HOTSPOT: HotspotThresholds,
    RuleKind.AIR_SUDDEN_RISE: SuddenRiseThresholds,
    RuleKind.WATER_BELOW_TARGET: WaterTargetThresholds,
    RuleKind.DEVICE_SILENT: SilenceThresholds,
    RuleKind.DEVICE_FLAT_LINE: FlatLineThresholds,
    RuleKind.DEVICE_IDENTICAL_VALUES: IdenticalValuesThresholds,
    RuleKind.DEVICE_HIDDEN_EXCEEDANCE: HiddenExceedanceThresholds,
    RuleKind.AQI_LEVEL: AqiThresholds,
    RuleKind.NOISE_EXCEEDANCE: NoiseThresholds,
    RuleKind.PARTNER: PartnerThresholds,
    RuleKind.ELECTRICITY: ElectricityThresholds,
}

# Options the engine reads besides the thresholds: which sites an AQI rule judges (stations, or the mean of the
# stations of each town or county), and whom a hotspot is compared with (the stations within the radius, or the
# other stations of its town or county).
AREA_LEVELS: Final = ("", "town", "county")
OPTIONS: Final[dict[RuleKind, dict[str, Any]]] = {
    RuleKind.AQI_LEVEL: {"area_level": ""},
    RuleKind.AIR_HOTSPOT: {"area_level": ""},
}
# The labels (message ids) of the parameters of every kind and of the area levels: the rule editor and the audit
# log name them so (`ecoloop.alerts.rules` documents each threshold and its source).
FIELD_LABELS = {
    "high_multiple": N_("Times over the limit for a severe finding"),
    "min_valid_hours": N_("Valid hours a daily mean needs"),
    "severity": N_("Severity"),
    "radius_km": N_("Neighbour radius (km)"),
    "min_neighbours": N_("Fewest neighbouring stations"),
    "ratio": N_("Ratio to the neighbours' median"),
    "min_difference": N_("Least difference from the median (µg/m³)"),
    "parameters": N_("Pollutants judged (HJ 212 codes, comma-separated)"),
    "previous_hours": N_("Previous hours compared"),
    "jump": N_("Rise over their mean (µg/m³)"),
    "interval": N_("Data interval (hours)"),
    "classes_below": N_("Classes below the target"),
    "missed": N_("Missed reporting intervals"),
    "min_points": N_("Identical values in a row"),
    "min_parameters": N_("Pollutants sharing one value"),
    "min_count": N_("Hidden exceedances"),
    "window": N_("Within the last hours"),
    "flags": N_("Data flags that hide (comma-separated)"),
    "threshold": N_("AQI at or above"),
    "area_level": N_("Judged for"),
    "margin": N_("Decibels above the limit before an alert"),
    "periods": N_("Periods judged"),
    "quantities": N_("Noise quantities judged (HJ 212 codes, comma-separated)"),
    "day_start": N_("Day begins at (hour)"),
    "night_start": N_("Night begins at (hour)"),
    "high_excess": N_("Decibels above the limit for a severe finding"),
}
AREA_LEVEL_LABELS = {
    "": N_("Each station"),
    "town": N_("Each town (mean of its stations)"),
    "county": N_("Each county (mean of its stations)"),
}

# The choices of the periods a noise rule judges, as the editor stores them (`periods`, comma-separated).
PERIOD_CHOICES: Final = (
    (f"{NoisePeriod.DAY}, {NoisePeriod.NIGHT}", N_("Day and night")),
    (NoisePeriod.DAY.value, NoisePeriod.DAY.label),
    (NoisePeriod.NIGHT.value, NoisePeriod.NIGHT.label),
)
PERIOD_LABELS: Final = {p.value: p.label for p in NoisePeriod}

# Durations are edited in hours.
_HOUR = timedelta(hours=1)


class RuleConfigError(ValueError):
    """A parameter that is missing, of the wrong type or out of range; `field` names it, `reason` says which
    (`type`: not a value of `expected`, the type's name; `refused`: the thresholds refuse the values; `choice`:
    not one of the choices), for the editor to say it in the user's language."""

    def __init__(self, field: str, message: str, reason: str = "refused", expected: str = "") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.reason = reason
        self.expected = expected


def _hints(cls: type[Thresholds]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, timedelta):
        return value / _HOUR
    if isinstance(value, Severity):
        return value.value
    if isinstance(value, tuple | frozenset):
        return sorted(value) if isinstance(value, frozenset) else list(value)
    return value


def _decode(field: str, hint: Any, raw: Any) -> Any:
    origin = typing.get_origin(hint)
    try:
        if hint is Decimal:
            return Decimal(str(raw).strip())
        if hint is int:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(str(raw).strip()) if isinstance(raw, str) else int(raw)
        if hint is float:
            return float(raw)
        if hint is timedelta:
            return timedelta(hours=float(raw))
        if hint is Severity:
            return Severity(raw)
        if origin in (tuple, frozenset):
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            cleaned = [str(item).strip() for item in items if str(item).strip()]
            return tuple(cleaned) if origin is tuple else frozenset(cleaned)
    except (ValueError, TypeError, InvalidOperation):
        name = getattr(hint, "__name__", str(hint))
        raise RuleConfigError(field, f"not a valid {name}: {raw!r}", "type", name) from None
    raise RuleConfigError(field, f"unsupported type {hint!r}")


def to_json(thresholds: Thresholds) -> dict[str, Any]:
    """The thresholds as JSON-ready values: decimals as strings, durations in hours, sets as sorted lists."""
    return {f.name: _encode(getattr(thresholds, f.name)) for f in dataclasses.fields(thresholds)}


def fields_of(kind: RuleKind) -> list[tuple[str, Any]]:
    """The editable parameters of a kind with their defaults (JSON form), thresholds first, then options."""
    defaults = to_json(THRESHOLDS[kind]())
    return [*defaults.items(), *OPTIONS.get(kind, {}).items()]


def thresholds_from(kind: RuleKind, parameters: dict[str, Any]) -> Thresholds:
    """The kind's thresholds from stored or submitted parameters; missing ones take their defaults. Raises
    `RuleConfigError` for a value of the wrong type or one the thresholds refuse."""
    cls = THRESHOLDS[kind]
    hints = _hints(cls)
    values = {
        f.name: _decode(f.name, hints[f.name], parameters[f.name])
        for f in dataclasses.fields(cls)
        if f.name in parameters and parameters[f.name] not in (None, "")
    }
    try:
        return cls(**values)
    except ValueError as exc:
        raise RuleConfigError("parameters", str(exc)) from None


def options_from(kind: RuleKind, parameters: dict[str, Any]) -> dict[str, Any]:
    """The kind's engine options from the parameters (defaults where missing), checked."""
    options = dict(OPTIONS.get(kind, {}))
    for name in options:
        if name in parameters and parameters[name] is not None:
            options[name] = parameters[name]
    if "area_level" in options and options["area_level"] not in AREA_LEVELS:
        raise RuleConfigError("area_level", f"one of {', '.join(repr(a) for a in AREA_LEVELS)}", "choice")
    return options


def normalised(kind: RuleKind, parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters as they are stored: every threshold and option, checked, in JSON form."""
    return {**to_json(thresholds_from(kind, parameters)), **options_from(kind, parameters)}


@dataclass(frozen=True)
class BuiltinRule:
    """A rule every installation starts with (the analysts edit or disable it, they do not lose it)."""

    code: str
    name: str
    kind: RuleKind
    escalation: Escalation = Escalation.MANUAL
    case_deadline_days: int = 7
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)


# The built-in set: the kinds with the thresholds of `ecoloop.alerts.rules` (their sources are cited
# there). A permit exceedance is a violation the bureau must act on, so it becomes a case at once; the others
# are checked (核查) first. Names are catalog messages: stored in the bureau's language, shown by `shown_name`.
BUILTIN_RULES: Final = (
    BuiltinRule(
        "source-exceedance",
        N_("Outlet above its permit limit"),
        RuleKind.SOURCE_EXCEEDANCE,
        Escalation.AUTOMATIC,
        case_deadline_days=3,
    ),
    BuiltinRule("air-hotspot", N_("Air hotspot against neighbouring stations"), RuleKind.AIR_HOTSPOT),
    BuiltinRule("air-sudden-rise", N_("Sudden rise at an air station"), RuleKind.AIR_SUDDEN_RISE),
    BuiltinRule("water-below-target", N_("Water station below its target class"), RuleKind.WATER_BELOW_TARGET),
    BuiltinRule("device-silent", N_("Data logger silent"), RuleKind.DEVICE_SILENT),
    BuiltinRule("device-flat-line", N_("Flat-lined values"), RuleKind.DEVICE_FLAT_LINE),
    BuiltinRule("device-identical-values", N_("Identical values across pollutants"), RuleKind.DEVICE_IDENTICAL_VALUES),
    BuiltinRule(
        "device-hidden-exceedance",
        N_("Flags hiding exceedances"),
        RuleKind.DEVICE_HIDDEN_EXCEEDANCE,
        case_deadline_days=5,
    ),
    BuiltinRule("aqi-station-200", N_("Station AQI at or above 200"), RuleKind.AQI_LEVEL),
    BuiltinRule("aqi-town-200", N_("Town AQI at or above 200"), RuleKind.AQI_LEVEL, parameters={"area_level": "town"}),
    BuiltinRule("noise-exceedance", N_("Noise point above its acoustic zone's limit"), RuleKind.NOISE_EXCEEDANCE),
    # Raised by the electricity checks during a heavy-pollution warning (issue 20), checked (核查) before a case.
    BuiltinRule("electricity-check", N_("Electricity check during a warning"), RuleKind.ELECTRICITY),
)
BUILTIN_NAMES: Final = {b.code: b.name for b in BUILTIN_RULES}


def shown_name(code: str, name: str) -> str:
    """The name a rule is shown by: a built-in rule still under its first name (stored in the bureau's language)
    shows its catalog name, looked up by its code, in the reader's language; any other name is text, shown as
    stored and never passed through the catalog (issue 13: a name is data and may hold anything)."""
    if code not in BUILTIN_NAMES:
        return name
    with use_locale(DEFAULT_LOCALE):
        first = gettext(BUILTIN_NAMES[code])
    return gettext(BUILTIN_NAMES[code]) if name == first else name
