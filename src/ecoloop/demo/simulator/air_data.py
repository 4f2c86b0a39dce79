"""The real air data the simulated air stations replay: the Beijing multi-site hourly series (CC BY 4.0,
`ecoloop/demo/beijing/`), read from its committed Parquet copy (`load_air_data`, the only I/O of the simulator's
profiles)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ecoloop.demo.simulator.profiles import SimDevice


# Columns of the committed Parquet copy → HJ 212 code and factor to the code's unit (CO: µg/m³ → mg/m³).
_AIR_COLUMNS = {
    "pm2_5": ("a34004", 1.0),
    "pm10": ("a34002", 1.0),
    "so2": ("a21026", 1.0),
    "no2": ("a21004", 1.0),
    "co_ug": ("a21005", 0.001),
    "o3": ("a05024", 1.0),
}


@dataclass(frozen=True)
class AirData:
    """Hourly series of the Beijing stations on one grid of local hours from `first_hour` (in HJ 212 units)."""

    first_hour: datetime
    hours: int
    series: Mapping[str, Mapping[str, Sequence[float | None]]]  # station (lower case) → code → values

    @property
    def stations(self) -> list[str]:
        """Station names, lower case, sorted."""
        return sorted(self.series)

    def station_for(self, device: SimDevice) -> str:
        """The station a device replays: its own when known, else one picked by its MN."""
        if device.station and device.station.lower() in self.series:
            return device.station.lower()
        digest = hashlib.blake2b(device.mn.encode(), digest_size=4).digest()
        return self.stations[int.from_bytes(digest, "big") % len(self.stations)]

    def hour_values(self, station: str, hour: datetime, seed: int) -> dict[str, float]:
        """The station's real values for the local `hour` shifted into the data by whole years: the same month, day
        and hour in the data year the seed picks (seed 0 the latest that has the day, which is the year the demo's
        history ends with, `ecoloop.ingest.files.years_to_present`; seed 1 the one before …; the same for every
        station). 29 February replays the data's own 29 February, never another day. A value missing there is
        taken from the nearest hour within 3 hours; a longer gap leaves it out, as an instrument that is down
        sends nothing."""
        years = self._data_years(hour)
        if not years:
            return {}
        index = self._index(hour, years[seed % len(years)])
        values: dict[str, float] = {}
        for code, column in self.series[station].items():
            for step in (0, -1, 1, -2, 2, -3, 3):
                if 0 <= index + step < self.hours and (value := column[index + step]) is not None:
                    values[code] = value
                    break
        return values

    def _data_years(self, hour: datetime) -> list[int]:
        """The years in which the data has `hour`'s month, day and hour, latest first."""
        last = self.first_hour + timedelta(hours=self.hours - 1)
        years = []
        for year in range(last.year, self.first_hour.year - 1, -1):
            try:
                moment = hour.replace(year=year, minute=0, second=0, microsecond=0)
            except ValueError:  # 29 February of a year that has none
                continue
            if self.first_hour <= moment <= last:
                years.append(year)
        return years

    def _index(self, hour: datetime, year: int) -> int:
        moment = hour.replace(year=year, minute=0, second=0, microsecond=0)
        return int((moment - self.first_hour).total_seconds() // 3600)


def load_air_data(path: Path | None = None, stations: Iterable[str] | None = None) -> AirData:
    """The Beijing multi-site hourly data (default: the demo's committed copy), for some or all stations."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if path is None:
        from ecoloop.demo.service import demo_readings_file

        path = demo_readings_file()
    table = pq.read_table(path, columns=["station", "hour_start", *_AIR_COLUMNS])
    names = pc.utf8_lower(table["station"])
    table = table.set_column(0, "station", names)
    if stations is not None:
        table = table.filter(pc.is_in(table["station"], value_set=pa.array([s.lower() for s in stations], pa.string())))
    if table.num_rows == 0:
        raise ValueError(f"no air data for stations {sorted(stations or [])} in {path}")
    times = table["hour_start"]
    first, last = (scalar.as_py() for scalar in pc.min_max(times).values())
    hours = int((last - first).total_seconds() // 3600) + 1
    ticks = pc.cast(times, pa.int64())
    per_hour = {"s": 3600, "ms": 3_600_000, "us": 3_600_000_000, "ns": 3_600_000_000_000}[times.type.unit]
    table = table.append_column("offset", pc.divide(pc.subtract(ticks, pc.min(ticks)), per_hour))
    table = table.sort_by([("station", "ascending"), ("offset", "ascending")])
    series: dict[str, dict[str, list[float | None]]] = {}
    begin = 0
    for counted in pc.value_counts(table["station"]).to_pylist():  # in order of appearance, so sorted
        part = table.slice(begin, counted["counts"])
        begin += counted["counts"]
        columns = {
            code: pc.round(pc.multiply(part[c], factor), 6).to_pylist() for c, (code, factor) in _AIR_COLUMNS.items()
        }
        offsets = part["offset"].to_pylist()
        if offsets != list(range(hours)):  # not a complete hourly grid: place each row at its hour
            grid: dict[str, list[float | None]] = {code: [None] * hours for code in columns}
            for code, values in columns.items():
                for offset, value in zip(offsets, values, strict=True):
                    grid[code][offset] = value
            columns = grid
        series[counted["values"]] = columns
    return AirData(first, hours, series)
