"""The shapes of the briefs' forms: the settings form (`/reports/settings`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from ecoloop.reports.config import COMPONENTS, Config
from ecoloop.reports.enums import ReportKind


class ConfigForm(BaseModel):
    """The settings form: one field per weight, rate and prefix, the addressees, the kinds kept internal (check
    boxes) and the day the version applies from."""

    valid_from: str = Field("", max_length=20)
    weight_air_quality: str = Field("", max_length=20)
    weight_improvement: str = Field("", max_length=20)
    weight_water: str = Field("", max_length=20)
    weight_cases_on_time: str = Field("", max_length=20)
    weight_data_quality: str = Field("", max_length=20)
    weight_complaints: str = Field("", max_length=20)
    pm25_penalty: str = Field("", max_length=20)
    pm25_reward: str = Field("", max_length=20)
    water_level: str = Field("", max_length=20)
    prefix_daily: str = Field("", max_length=400)
    prefix_weekly: str = Field("", max_length=400)
    prefix_monthly: str = Field("", max_length=400)
    prefix_annual: str = Field("", max_length=400)
    addressees: str = Field("", max_length=400)
    internal: list[str] = Field(default_factory=list, max_length=len(ReportKind))

    def parameters(self) -> dict[str, Any]:
        """The settings as `config.check` reads them."""
        return {
            "weights": {key: getattr(self, f"weight_{key}") for key in COMPONENTS},
            "pm25_penalty": self.pm25_penalty,
            "pm25_reward": self.pm25_reward,
            "water_level": self.water_level,
            "prefixes": {kind.value: getattr(self, f"prefix_{kind.value}") for kind in ReportKind},
            "addressees": self.addressees,
            "internal": self.internal,
        }

    @classmethod
    def of(cls, config: Config, valid_from: date) -> ConfigForm:
        """The form filled in with `config`."""
        return cls(
            valid_from=valid_from.isoformat(),
            **{f"weight_{key}": str(config.weights[key]) for key in COMPONENTS},
            pm25_penalty=str(config.pm25_penalty),
            pm25_reward=str(config.pm25_reward),
            water_level=str(config.water_level),
            **{f"prefix_{kind.value}": config.prefixes.get(kind, "") for kind in ReportKind},
            addressees=config.addressees,
            internal=sorted(kind.value for kind in config.internal),
        )
