"""HJ 212 frames: CRC, parse and encode (HJ 212-2017 §6.3 and Appendix A; HJ/T 212-2005 and HJ 212-2025 notes).

A frame is `##` + 4-digit length + data segment + 4 hex CRC + CRLF (HJ 212-2017 §6.3.1, Table 2). Parsing turns
bytes into a `Packet` or raises `FrameError(reason)`. It is tolerant about what it can still understand (lowercase
CRC hex, a length counted in characters, a 17-digit DataTime, stray spaces, the standard's own typos) and records
each such deviation in `Packet.tolerances`; it is strict about everything it returns (numbers are finite
`Decimal`s, times are real dates). Pure: no I/O, clock, settings or logging; callers pass `now`.
See `../shared/standards/hj212.md` for the sources behind each rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Literal

from ecoloop.ingest.hj212.crc import crc16, crc16_modbus, swap_bytes
from ecoloop.readings.reasons import Reason

CrcMode = Literal["hj212", "modbus_le", "any"]
ProtocolVersion = Literal["2005", "2017", "2025", "unknown"]
FieldValue = str | int | Decimal | datetime | None

# The length field has 4 decimal digits; the standard caps the segment at 1024, real traffic exceeds it.
MAX_LENGTH = 9999
FLAG_ACK = 0b01  # A: the receiver must acknowledge (HJ 212-2017 Table 3, Flag)
FLAG_SPLIT = 0b10  # D: PNUM and PNO are present
_VERSION_BITS: dict[int, ProtocolVersion] = {0: "2005", 1: "2017", 2: "2025"}


class Tolerance(StrEnum):
    """A deviation from HJ 212-2017 that parsing accepted; recorded per packet so it can be counted per device."""

    LENGTH_IN_CHARS = "length_in_chars"  # length field counts characters, not UTF-8 bytes
    CRC_LOWERCASE = "crc_lowercase"  # CRC hex in lowercase
    CRC_UNPADDED = "crc_unpadded"  # CRC hex without leading zeros (Java Integer.toHexString)
    CRC_MODBUS_LE = "crc_modbus_le"  # CRC-16/MODBUS printed low byte first
    HEADER_COMMA = "header_comma"  # `,` between header fields (standard C.49 typo "QN=…534,ST=32")
    MISSING_SEPARATOR = "missing_separator"  # no `;` before `CP=` (standard typo "Flag=5CP=")
    WHITESPACE = "whitespace"  # spaces around keys or values
    DATA_TIME_MS = "data_time_ms"  # 17-digit DataTime with milliseconds
    DUPLICATE_KEY = "duplicate_key"  # the same CP key twice with the same value
    EMPTY_VALUE = "empty_value"  # a numeric field with no value
    SPLIT_FLAG_MISMATCH = "split_flag_mismatch"  # Flag D bit disagrees with the presence of PNUM/PNO


class QnRtn(IntEnum):
    """Request answer codes carried by CN=9011 (HJ 212-2017 Table 7)."""

    READY = 1
    REJECTED = 2
    PW_ERROR = 3
    MN_ERROR = 4
    ST_ERROR = 5
    FLAG_ERROR = 6
    QN_ERROR = 7
    CN_ERROR = 8
    CRC_ERROR = 9
    UNKNOWN = 100


class ExeRtn(IntEnum):
    """Execution result codes carried by CN=9012 (HJ 212-2017 Table 6)."""

    SUCCESS = 1
    FAILED = 2
    CONDITION_ERROR = 3
    TIMEOUT = 4
    BUSY = 5
    FAULT = 6
    NO_DATA = 100


class Command(StrEnum):
    """Command codes (CN) the receiver acts on (HJ 212-2017 Table 9; 9015 from HJ 212-2025, unverified)."""

    TIME_CALIBRATION_REQUEST = "1013"
    REALTIME_DATA = "2011"
    RUN_STATUS = "2021"
    DAY_DATA = "2031"
    DAY_RUN_TIME = "2041"
    MINUTE_DATA = "2051"
    HOUR_DATA = "2061"
    RESTART_TIME = "2081"
    INSTRUMENT_SN = "3019"
    DEVICE_INFO = "3020"
    REQUEST_ANSWER = "9011"
    EXECUTION_RESULT = "9012"
    NOTICE_ANSWER = "9013"
    DATA_ANSWER = "9014"
    HEARTBEAT = "9015"


# Device uploads that are acknowledged with 9014 when Flag A=1 (HJ 212-2017 §6.2, Appendix C).
UPLOADS: frozenset[str] = frozenset(
    {"2011", "2021", "2031", "2041", "2051", "2061", "2081", "3019", "3020"},
)


class FrameError(ValueError):
    """Bytes that are not an acceptable HJ 212 frame, with a stable `reason` and a human `detail`."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# --- the data model -----------------------------------------------------------------------------------------------

# Per-pollutant suffixes with numeric values (HJ 212-2017 Table 4); others stay text in `PollutantValues.extra`.
_DECIMAL_SUFFIXES: dict[str, str] = {
    "Rtd": "rtd",
    "Avg": "avg",
    "Min": "min",
    "Max": "max",
    "Cou": "cou",
    "ZsRtd": "zs_rtd",
    "ZsAvg": "zs_avg",
    "ZsMin": "zs_min",
    "ZsMax": "zs_max",
    # noise quantities of minute, hourly and daily uploads (HJ 212-2017 Table 4, Appendix C: `Leq-Data=50.0`), and
    # a daily upload's day and night values (`Ld-DayData=52.5`, `Ln-NightData=52.5`, `LMx-NightData=54.0`)
    "Data": "data",
    "DayData": "day_data",
    "NightData": "night_data",
}
# ASCII digits only: Decimal() would also take full-width and other Unicode digits.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,4}")


@dataclass(frozen=True)
class PollutantValues:
    """The values of one pollutant code in a CP (HJ 212-2017 Table 4): `code-Rtd`, `code-Avg`, … and `code-Flag`.

    `data` is the value of a noise quantity (`Leq-Data`), sent instead of `Avg`; `day_data` and `night_data` its
    value over the day and the night of a daily upload (`Ld-DayData`, `LMx-NightData`). Other suffixes (EFlag,
    SampleTime, SN, Info, RS, RT, vendor ones such as ValidNum) are kept as text in `extra`, keyed by suffix.
    """

    rtd: Decimal | None = None
    avg: Decimal | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    cou: Decimal | None = None
    zs_rtd: Decimal | None = None
    zs_avg: Decimal | None = None
    zs_min: Decimal | None = None
    zs_max: Decimal | None = None
    data: Decimal | None = None
    day_data: Decimal | None = None
    night_data: Decimal | None = None
    flag: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


_NO_VALUES: dict[str, None] = {name: None for name in (*_DECIMAL_SUFFIXES.values(), "flag")}


def _pollutant_values(values: dict[str, Decimal | str | None], extra: dict[str, str]) -> PollutantValues:
    # Fills the instance dict directly: the frozen __init__ (one object.__setattr__ per field) costs four times
    # as much, and the receiver builds one per pollutant of every packet. `values` holds field names only.
    result = object.__new__(PollutantValues)
    result.__dict__.update(_NO_VALUES, **values, extra=extra)
    return result


@dataclass(frozen=True)
class CP:
    """The command parameters `CP=&&…&&` (HJ 212-2017 §6.3.3), parsed by key.

    `fields` is every `key=value` pair in received order (spaces stripped) and is what `encode` writes back.
    The views are derived from it: `data_time` (naive local device time; the caller applies the device's time
    zone), `items` for keys without a hyphen (`RtdInterval`, `QnRtn`, vendor `FANSTATUS`) and `pollutants` for
    `code-Suffix` keys, in order of first appearance. Building a CP raises `FrameError(bad_field)` for a value
    that cannot be read (not a number, not a date) or one key with two different values.
    """

    fields: tuple[tuple[str, str], ...] = ()
    data_time: datetime | None = field(init=False, default=None)
    items: dict[str, str] = field(init=False, default_factory=dict)
    pollutants: dict[str, PollutantValues] = field(init=False, default_factory=dict)
    tolerances: tuple[str, ...] = field(init=False, default=(), compare=False)

    def __post_init__(self) -> None:
        # One pass, no helper calls per pair: this runs for every packet the receiver takes.
        tolerances: list[str] = []
        seen: dict[str, str] = {}
        groups: dict[str, dict[str, Decimal | str | None]] = {}
        extras: dict[str, dict[str, str]] = {}
        items = self.items
        number = _NUMBER.fullmatch
        for key, value in self.fields:
            if key in seen:
                if seen[key] != value:
                    raise FrameError(Reason.BAD_FIELD, f"CP key {key} has two values: {seen[key]!r} and {value!r}")
                tolerances.append(Tolerance.DUPLICATE_KEY)
                continue
            seen[key] = value
            code, dash, suffix = key.rpartition("-")
            if not dash:
                if key == "DataTime":
                    object.__setattr__(self, "data_time", _parse_time(value, tolerances))
                else:
                    items[key] = value
                continue
            if not code or not suffix:
                raise FrameError(Reason.BAD_FIELD, f"CP key {key!r} has an empty pollutant code or suffix")
            group = groups.get(code)
            if group is None:
                group = groups[code] = {}
                extras[code] = {}
            name = _DECIMAL_SUFFIXES.get(suffix)
            if name is not None:
                if value:
                    if not number(value):
                        raise FrameError(Reason.BAD_FIELD, f"{key}={value!r} is not a number")
                    group[name] = Decimal(value)
                else:
                    tolerances.append(Tolerance.EMPTY_VALUE)
            elif suffix == "Flag":
                group["flag"] = value or None
            else:
                extras[code][suffix] = value
        pollutants = self.pollutants
        for code, group in groups.items():
            pollutants[code] = _pollutant_values(group, extras[code])
        object.__setattr__(self, "tolerances", tuple(tolerances))

    @classmethod
    def from_values(cls, values: Mapping[str, FieldValue]) -> CP:
        """A CP from `key → value` in order (Decimal written in fixed point, datetime as `YYYYMMDDhhmmss`)."""
        return cls(tuple((key, field_text(value)) for key, value in values.items() if value is not None))


def _parse_time(value: str, tolerances: list[str]) -> datetime:
    """`YYYYMMDDhhmmss` (HJ 212-2017 Table 3, DataTime), or 17 digits with milliseconds as devices send them."""
    if not value.isascii() or not value.isdigit() or len(value) not in (14, 17):
        raise FrameError(Reason.BAD_FIELD, f"DataTime {value!r} is not 14 or 17 digits")
    if len(value) == 17:
        tolerances.append(Tolerance.DATA_TIME_MS)
    try:
        # HJ 212 times are the logger's local wall-clock time; the receiver attaches the device's time zone.
        return datetime(  # noqa: DTZ001
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[8:10]),
            int(value[10:12]),
            int(value[12:14]),
            int(value[14:17] or 0) * 1000,
        )
    except ValueError:
        raise FrameError(Reason.BAD_FIELD, f"DataTime {value!r} is not a valid time") from None


def field_text(value: FieldValue) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d%H%M%S")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@dataclass(frozen=True)
class Packet:
    """One HJ 212 data segment (HJ 212-2017 §6.3.2, Table 3), header parsed by key in any order.

    Unknown header keys are kept in `extra`; `raw_segment` is the data segment exactly as received and
    `tolerances` lists the deviations parsing accepted (see `Tolerance`).
    """

    qn: str | None
    st: str | None
    cn: str
    pw: str | None
    mn: str
    flag: int | None
    pnum: int | None
    pno: int | None
    cp: CP
    extra: dict[str, str] = field(default_factory=dict)
    raw_segment: bytes = b""
    tolerances: tuple[str, ...] = ()

    @property
    def needs_ack(self) -> bool:
        """Flag bit A: the receiver must answer (9014 for uploads) (HJ 212-2017 Table 3, Flag)."""
        return self.flag is not None and bool(self.flag & FLAG_ACK)

    @property
    def protocol_version(self) -> ProtocolVersion:
        """The edition from the Flag version bits V5-V0: 0 = 2005, 1 = 2017, 2 = 2025 (the last unverified).

        A segment without Flag is taken as 2005-style (HJ/T 212-2005 loggers often omit it)."""
        if self.flag is None:
            return "2005"
        return _VERSION_BITS.get(self.flag >> 2, "unknown")

    @property
    def is_split(self) -> bool:
        """Part of a message split over several packets (PNUM > 1; HJ 212-2017 C.49/C.50).

        The Flag D bit only says that PNUM/PNO are present; without them there is nothing to reassemble, and
        a disagreement between the two is recorded as `Tolerance.SPLIT_FLAG_MISMATCH`."""
        return self.pnum is not None and self.pnum > 1


# --- parse ---------------------------------------------------------------------------------------------------------

HEADER_KEYS = frozenset({"QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO"})


def parse(frame: bytes, *, crc_mode: CrcMode = "hj212", max_length: int = MAX_LENGTH) -> Packet:
    """One frame, with or without its CRLF, into a Packet (HJ 212-2017 §6.3.1 Table 2, §6.3.2 Table 3, §6.3.3).

    The length is the UTF-8 byte count of the data segment; a character count is accepted when only it matches.
    The CRC covers the data segment's bytes and is compared case-insensitively; `crc_mode` chooses the HJ 212 CRC,
    CRC-16/MODBUS printed low byte first, or either (the variant used is recorded in `tolerances`).
    Raises FrameError with the reason of the first check that fails.
    """
    if crc_mode not in ("hj212", "modbus_le", "any"):
        raise ValueError(f"unknown crc_mode {crc_mode!r}")
    tolerances: list[str] = []
    body = _strip_crlf(bytes(frame))
    segment, crc_text = _split(body, crc_mode, max_length, tolerances)
    variant = _crc_variant(segment, crc_text, crc_mode)
    if variant is None:
        raise FrameError(Reason.CRC_MISMATCH, _crc_detail(segment, crc_text, crc_mode))
    if variant == "modbus_le":
        tolerances.append(Tolerance.CRC_MODBUS_LE)
    if crc_text != crc_text.upper():
        tolerances.append(Tolerance.CRC_LOWERCASE)
    try:
        text = segment.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FrameError(Reason.BAD_ENCODING, f"data segment is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    control = _CONTROL.search(text)
    if control:
        raise FrameError(Reason.BAD_ENCODING, f"control character {control.group()!r} in the data segment")
    return _parse_segment(text, segment, tolerances)


def _strip_crlf(frame: bytes) -> bytes:
    body = frame[:-2] if frame.endswith(b"\r\n") else frame
    if b"\n" in body or b"\r" in body:
        where = "at the end" if body.endswith((b"\r", b"\n")) else "inside the frame"
        raise FrameError(Reason.MISSING_CRLF, f"CR or LF {where} instead of one final CRLF")
    return body


def _split(body: bytes, crc_mode: CrcMode, max_length: int, tolerances: list[str]) -> tuple[bytes, bytes]:
    """The data segment and CRC text of a frame body `##LLLL…CCCC`, after the header and length checks."""
    if not body.startswith(b"##"):
        raise FrameError(Reason.BAD_HEADER, f"frame starts with {body[:2]!r}, not '##'")
    digits = body[2:6]
    if len(digits) < 4 or not digits.isdigit():
        raise FrameError(Reason.BAD_LENGTH, f"length field {digits!r} is not 4 decimal digits")
    declared = int(digits)
    if declared > max_length:
        raise FrameError(Reason.TOO_LARGE, f"length {declared} is above the limit {max_length}")
    if len(body) < 10:
        raise FrameError(Reason.BAD_HEADER, "frame is shorter than header, length and CRC")
    segment, crc_text = body[6:-4], body[-4:]
    if len(segment) == declared:
        return segment, crc_text
    # Java Integer.toHexString drops leading zeros (xiaoyao9184/hj-t212-parser #18): accept only if the CRC agrees.
    short_segment, short_crc = body[6 : 6 + declared], body[6 + declared :]
    if 1 <= len(short_crc) <= 3 and _HEX.fullmatch(short_crc) and _crc_variant(short_segment, short_crc, crc_mode):
        tolerances.append(Tolerance.CRC_UNPADDED)
        return short_segment, short_crc
    try:
        chars = len(segment.decode("utf-8"))
    except UnicodeDecodeError:
        chars = -1
    if chars == declared:
        tolerances.append(Tolerance.LENGTH_IN_CHARS)
        return segment, crc_text
    raise FrameError(Reason.LENGTH_MISMATCH, f"length field says {declared}, the data segment has {len(segment)} bytes")


def _crc_variant(segment: bytes, crc_text: bytes, crc_mode: CrcMode) -> str | None:
    if not _HEX.fullmatch(crc_text):
        raise FrameError(Reason.BAD_CRC_FORMAT, f"CRC {crc_text!r} is not 4 hexadecimal digits")
    value = int(crc_text, 16)
    if crc_mode != "modbus_le" and value == crc16(segment):
        return "hj212"
    if crc_mode != "hj212" and value == swap_bytes(crc16_modbus(segment)):
        return "modbus_le"
    return None


def _crc_detail(segment: bytes, crc_text: bytes, crc_mode: CrcMode) -> str:
    expected = []
    if crc_mode != "modbus_le":
        expected.append(f"{crc16(segment):04X} (HJ 212)")
    if crc_mode != "hj212":
        expected.append(f"{swap_bytes(crc16_modbus(segment)):04X} (MODBUS, low byte first)")
    return f"CRC {crc_text.decode('ascii')} does not match {' or '.join(expected)}"


def _parse_segment(text: str, segment: bytes, tolerances: list[str]) -> Packet:
    cp_at = text.find("CP=&&")
    if cp_at < 0:
        if "CP=" in text:
            raise FrameError(Reason.BAD_FIELD, "CP is not enclosed in &&…&&")
        raise FrameError(Reason.MISSING_FIELD, "no CP field")
    cp_rest = text[cp_at + 5 :]
    if not cp_rest.endswith("&&"):
        raise FrameError(Reason.BAD_FIELD, "CP does not end with && at the end of the data segment")
    header_text = text[:cp_at]
    if header_text and header_text[-1] not in ";,":
        tolerances.append(Tolerance.MISSING_SEPARATOR)
    if "," in header_text:
        tolerances.append(Tolerance.HEADER_COMMA)
    header = _pairs(header_text, "header", tolerances)
    fields: dict[str, str] = {}
    for key, value in header:
        if key in fields or key == "CP":
            raise FrameError(Reason.BAD_FIELD, f"header field {key} appears twice")
        fields[key] = value
    cn, mn = fields.get("CN"), fields.get("MN")
    if not cn:
        raise FrameError(Reason.MISSING_FIELD, "no CN (command code)")
    if not mn:
        raise FrameError(Reason.MISSING_FIELD, "no MN (device number)")
    flag = _int_field(fields, "Flag", 0, 255)
    pnum = _int_field(fields, "PNUM", 1, 9999)
    pno = _int_field(fields, "PNO", 1, 9999)
    if (pnum is None) != (pno is None):
        raise FrameError(Reason.BAD_FIELD, "PNUM and PNO must come together")
    if pnum is not None and pno is not None and pno > pnum:
        raise FrameError(Reason.BAD_FIELD, f"PNO {pno} is above PNUM {pnum}")
    if flag is not None and bool(flag & FLAG_SPLIT) != (pnum is not None):
        tolerances.append(Tolerance.SPLIT_FLAG_MISMATCH)
    cp = CP(tuple(_pairs(cp_rest[:-2], "CP", tolerances)))
    tolerances.extend(cp.tolerances)
    return Packet(
        qn=fields.get("QN"),
        st=fields.get("ST"),
        cn=cn,
        pw=fields.get("PW"),
        mn=mn,
        flag=flag,
        pnum=pnum,
        pno=pno,
        cp=cp,
        extra={k: v for k, v in fields.items() if k not in HEADER_KEYS},
        raw_segment=segment,
        tolerances=tuple(dict.fromkeys(tolerances)),
    )


def _pairs(text: str, where: str, tolerances: list[str]) -> list[tuple[str, str]]:
    """The `key=value` items of text separated by `;` or `,`, skipping empty items; spaces around keys and
    values are stripped and recorded."""
    pairs = []
    # Control characters are already refused, so an ASCII text without a space has nothing to strip.
    spaced = " " in text or not text.isascii()
    for token in text.replace(",", ";").split(";"):
        key, sep, value = token.partition("=")
        if spaced:
            stripped_key, stripped_value = key.strip(), value.strip()
            if (stripped_key, stripped_value) != (key, value):
                tolerances.append(Tolerance.WHITESPACE)
                key, value = stripped_key, stripped_value
        if not sep:
            if key:
                raise FrameError(Reason.BAD_FIELD, f"{where} item {token.strip()!r} is not key=value")
            continue
        if not key:
            raise FrameError(Reason.BAD_FIELD, f"{where} item {token.strip()!r} has no key")
        pairs.append((key, value))
    return pairs


def _int_field(fields: Mapping[str, str], key: str, low: int, high: int) -> int | None:
    text = fields.get(key)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise FrameError(Reason.BAD_FIELD, f"{key}={text!r} is not an integer from {low} to {high}")
    return int(text)
