"""The Beijing air data of the two stations the simulator tests replay, loaded once."""

from __future__ import annotations

import pytest

from ecoloop.demo.simulator.air_data import AirData, load_air_data


@pytest.fixture(scope="package")
def air() -> AirData:
    return load_air_data(stations=["Dongsi", "Tiantan"])
