"""The briefs' settings (pure): the document-number prefix of each kind, the addressees, which kinds the bureau
keeps internal, the monthly assessment's weights and the ecological-compensation rates. Kept by version as JSON
(`models.ReportConfig`); `from_json` reads a stored version, `check` refuses what cannot be used, with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ecoloop.i18n import N_
from ecoloop.reports.enums import ReportKind

# What a county's monthly score is made of (`assessment`), in the order the brief lists them.
COMPONENTS = ("air_quality", "improvement", "water", "cases_on_time", "data_quality", "complaints")
COMPONENT_LABELS = {
    "air_quality": N_("Air quality"),
    "improvement": N_("Improvement"),
    "water": N_("Water sections meeting target"),
    "cases_on_time": N_("Cases closed on time"),
    "data_quality": N_("Data quality"),
    "complaints": N_("Complaints"),
}
DEFAULT_WEIGHTS = {
    "air_quality": Decimal(30),
    "improvement": Decimal(20),
    "water": Decimal(15),
    "cases_on_time": Decimal(15),
    "data_quality": Decimal(10),
    "complaints": Decimal(10),
}
MAX_RATE = Decimal(100_000_000)  # yuan; anything larger is a typing error
MAX_TEXT = 200


class ConfigError(ValueError):
    """A setting that cannot be used; `code` says which (`ERRORS` of the settings page)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Config:
    """One version of the settings. Rates are yuan: `pm25_penalty` per µg/m³ of a county's monthly PM2.5 above
    its target (the county pays), `pm25_reward` per µg/m³ below (it receives), `water_level` per class a water
    section improved (receives) or worsened (pays) against the same month last year."""

    prefixes: Mapping[ReportKind, str] = field(default_factory=dict)  # empty: the catalog's default
    addressees: str = ""  # empty: the catalog's default
    internal: frozenset[ReportKind] = frozenset({ReportKind.MONTHLY})
    weights: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    pm25_penalty: Decimal = Decimal(100_000)
    pm25_reward: Decimal = Decimal(100_000)
    water_level: Decimal = Decimal(200_000)

    def to_json(self) -> dict[str, Any]:
        return {
            "prefixes": {kind.value: text for kind, text in self.prefixes.items()},
            "addressees": self.addressees,
            "internal": sorted(kind.value for kind in self.internal),
            "weights": {key: str(value) for key, value in self.weights.items()},
            "pm25_penalty": str(self.pm25_penalty),
            "pm25_reward": str(self.pm25_reward),
            "water_level": str(self.water_level),
        }


def _decimal(value: Any, code: str, ceiling: Decimal) -> Decimal:
    try:
        found = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ConfigError(code) from exc
    if not found.is_finite() or found < 0 or found > ceiling or found != found.quantize(Decimal("0.01")):
        raise ConfigError(code)
    return found


def _text(value: Any) -> str:
    found = str(value or "").strip()
    if len(found) > MAX_TEXT or any(c in found for c in "\r\n\t"):
        raise ConfigError("text")
    return found


def check(parameters: Mapping[str, Any]) -> Config:
    """The settings from their JSON form, or ConfigError: weights 0 to 100 summing to more than 0, rates from 0 to
    MAX_RATE yuan in fen, texts of one line."""
    try:
        prefixes = {ReportKind(k): _text(v) for k, v in dict(parameters.get("prefixes", {})).items() if _text(v)}
        internal = frozenset(ReportKind(k) for k in parameters.get("internal", [ReportKind.MONTHLY.value]))
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError("kind") from exc
    given = dict(parameters.get("weights", {}))
    if set(given) - set(COMPONENTS):
        raise ConfigError("weights")
    weights = {key: _decimal(given.get(key, DEFAULT_WEIGHTS[key]), "weights", Decimal(100)) for key in COMPONENTS}
    if sum(weights.values()) <= 0:
        raise ConfigError("weights")
    return Config(
        prefixes=prefixes,
        addressees=_text(parameters.get("addressees", "")),
        internal=internal,
        weights=weights,
        pm25_penalty=_decimal(parameters.get("pm25_penalty", Config.pm25_penalty), "rate", MAX_RATE),
        pm25_reward=_decimal(parameters.get("pm25_reward", Config.pm25_reward), "rate", MAX_RATE),
        water_level=_decimal(parameters.get("water_level", Config.water_level), "rate", MAX_RATE),
    )
