"""HJ 212 data uploads into readings (pure)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from functools import lru_cache

from ecoloop.ingest.hj212 import FrameError, Packet, PollutantValues, Reason
from ecoloop.ingest.hj212.fast import Upload
from ecoloop.readings.vocabulary import Interval, Reading, ReadingRow

# Data uploads and their interval (HJ 212-2017 Table 9 / Appendix C: 2011 real-time, 2051 minute, 2061 hourly,
# 2031 daily data).
DATA_UPLOADS: dict[str, Interval] = {
    "2011": Interval.REALTIME,
    "2051": Interval.MINUTE,
    "2061": Interval.HOUR,
    "2031": Interval.DAY,
}
# Statistics besides the main value, stored as parameters of their own (`a34013-Min` …), and a noise quantity's
# day and night values of a daily upload (`Ld-DayData`, `LMx-NightData`: HJ 212-2017 Appendix C, CN=2031).
_EXTRA = (
    ("min", "Min"),
    ("max", "Max"),
    ("cou", "Cou"),
    ("zs_min", "ZsMin"),
    ("zs_max", "ZsMax"),
    ("day_data", "DayData"),
    ("night_data", "NightData"),
)


def readings_of(packet: Packet, site_id: int, tz: tzinfo, source: str = "hj212") -> list[Reading]:
    """The readings of a data upload: per pollutant the real-time value (2011) or the average (2051/2061/2031; a
    noise quantity's `Data`, HJ 212-2017 Appendix C), the converted value (`-ZsRtd`/`-ZsAvg`, as `code-Zs`) and
    min/max/cumulative values (and a noise quantity's DayData and NightData), each with the pollutant's data flag
    (HJ 212-2017 Table 4, §6.6). DataTime is the device's local time in `tz`."""
    interval = DATA_UPLOADS.get(packet.cn)
    if interval is None:
        return []
    if packet.cp.data_time is None:
        raise FrameError(Reason.MISSING_FIELD, f"CN={packet.cn} upload without DataTime")
    moment = packet.cp.data_time.replace(tzinfo=tz)
    realtime = interval is Interval.REALTIME
    out: list[Reading] = []
    for code, values in packet.cp.pollutants.items():
        main = values.rtd if realtime else _period_value(values)
        converted = values.zs_rtd if realtime else values.zs_avg
        if main is not None or values.flag is not None:
            out.append(Reading(site_id, code, interval, moment, _float(main), values.flag, source))
        if converted is not None:
            out.append(Reading(site_id, f"{code}-Zs", interval, moment, float(converted), values.flag, source))
        for attribute, suffix in _EXTRA:
            value = getattr(values, attribute)
            if value is not None:
                out.append(Reading(site_id, f"{code}-{suffix}", interval, moment, float(value), values.flag, source))
    return out


def _period_value(values: PollutantValues) -> Decimal | None:
    """The value of a minute, hourly or daily upload: Avg, failing that Rtd, failing that a noise quantity's Data."""
    if values.avg is not None:
        return values.avg
    return values.rtd if values.rtd is not None else values.data


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]  # Decimal or None


def upload_rows(upload: Upload, site_id: int, tz: tzinfo, received_ms: int, source: str = "hj212") -> list[ReadingRow]:
    """The stored readings of a standard upload read by the fast path: the same rows as `readings_of` gives for
    the parsed packet (a test holds the two paths equal)."""
    ts = _epoch_seconds(upload.data_time, tz)
    interval = upload.interval
    return [
        (site_id, parameter, interval, ts, value, flag, source, received_ms) for parameter, value, flag in upload.values
    ]


@lru_cache(maxsize=4096)
def _epoch_seconds(local: datetime, tz: tzinfo) -> int:
    # Loggers of one site send the same few DataTimes (the current minute and hour) over and over.
    return int(local.replace(tzinfo=tz).timestamp())
