"""Virtual HJ 212 data loggers (数采仪): `profiles` makes what they send (pure), `loggers` sends it to a receiver."""

from ecoloop.demo.simulator.air_data import AirData, load_air_data
from ecoloop.demo.simulator.loggers import SimConfig, devices_from_db, run_simulation
from ecoloop.demo.simulator.profiles import (
    Profile,
    SimDevice,
    Uploads,
    day_stats,
    hour_stats,
    hour_values,
    minute_stats,
    schedule,
)

__all__ = [
    "AirData",
    "Profile",
    "SimConfig",
    "SimDevice",
    "Uploads",
    "day_stats",
    "devices_from_db",
    "hour_stats",
    "hour_values",
    "load_air_data",
    "minute_stats",
    "run_simulation",
    "schedule",
]
