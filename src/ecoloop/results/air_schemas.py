"""API shapes of the air results (`GET /api/v1/air/stations/{id}/hours|days`, `/api/v1/air/areas/{id}/hours|days`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from ecoloop.results import air_queries as q


class AirHourOut(BaseModel):
    """One hour of a station or an area: its start in local time, the six 1-hour concentrations (µg/m³, CO in
    mg/m³), each IAQI, the AQI, its level (1-6) and primary pollutants, and whether all six were measured."""

    hour_start: datetime
    stations: int | None = None
    concentrations: dict[str, float | None]
    iaqi: dict[str, int | None]
    aqi: int | None
    level: int | None
    primary: list[str]
    complete: bool | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> AirHourOut:
        return cls(
            hour_start=row["hour_start"],
            stations=row.get("stations"),
            concentrations={p.key: row[p.key] for p in q.HOURLY},
            iaqi={k.removeprefix("iaqi_"): v for k, v in row.items() if k.startswith("iaqi_")},
            aqi=row["aqi"],
            level=row["level"],
            primary=q.primary(row, "hourly"),
            complete=row["complete"],
        )


class AirDayOut(BaseModel):
    """One day of a station or an area: the daily values (24-hour means, O3 MDA8 and daily maximum 1-hour), each
    IAQI, the AQI, its level and primary pollutants as HJ 633 item keys (edition of the day)."""

    day: date
    stations: int | None = None
    values: dict[str, float | None]
    iaqi: dict[str, int | None]
    aqi: int | None
    level: int | None
    primary: list[str]
    complete: bool | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> AirDayOut:
        return cls(
            day=row["day"],
            stations=row.get("stations"),
            values={k: row[k] for k in ("SO2_24h", "NO2_24h", "CO_24h", "PM10_24h", "PM2_5_24h", "O3_8h", "O3_1h")},
            iaqi={k.removeprefix("iaqi_"): v for k, v in row.items() if k.startswith("iaqi_")},
            aqi=row["aqi"],
            level=row["level"],
            primary=q.primary(row, "daily"),
            complete=row["complete"],
        )
