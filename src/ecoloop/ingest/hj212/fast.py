"""A strict fast path for well-formed data uploads: one frame straight to reading values, no Packet objects.

Almost every frame a receiver sees is a standard HJ 212-2017/2025 data upload (CN 2011, 2051, 2061 or 2031):
`##`, the byte length, an ASCII data segment with `;`-separated header fields, `CP=&&…&&`, the uppercase HJ 212
CRC and CRLF. `upload()` reads exactly that case and nothing else: whenever a frame deviates in any way the
general parser would record as a tolerance or refuse (lowercase or MODBUS CRC, length in characters, spaces,
commas in the header, 17-digit DataTime, duplicate keys, empty values, split packets, extra header fields, any
error), it returns None and the caller uses `codec.parse`, which judges and records the deviation. So the fast
path never accepts what `parse` refuses and never decides a rejection; a test checks that both give the same
values for every frame the fast path takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ecoloop.ingest.hj212.codec import _NUMBER, FLAG_ACK, FLAG_SPLIT, MAX_LENGTH, crc16

# CN → reading interval name, as `ecoloop.ingest.convert.DATA_UPLOADS` (HJ 212-2017 Table 9).
_INTERVALS = {"2011": "realtime", "2051": "minute", "2061": "hour", "2031": "day"}
# Statistics besides the main value, in the order `convert.readings_of` emits them (HJ 212-2017 Table 4).
_EXTRA_SUFFIXES = ("Min", "Max", "Cou", "ZsMin", "ZsMax")
_NUMERIC = frozenset({"Rtd", "Avg", "ZsRtd", "ZsAvg", *_EXTRA_SUFFIXES})
# Numbers as the general parser takes them (`codec._NUMBER`: ASCII digits, optional sign, point and exponent),
# several at once separated by `;`.
_NUMBERS = re.compile(f"(?:{_NUMBER.pattern})(?:;(?:{_NUMBER.pattern}))*")
_HEADER = frozenset({"QN", "ST", "CN", "PW", "MN", "Flag"})
# Bytes that send a frame to the general parser: control characters, space, DEL, and anything non-ASCII.
_IRREGULAR = bytes([*range(0x00, 0x21), 0x7F, *range(0x80, 0x100)])


@dataclass(slots=True)
class Upload:
    """A standard data upload: its header fields, its interval, DataTime (naive device time) and, in the order
    `convert.readings_of` produces them, the (parameter, value, flag) of each reading."""

    qn: str | None
    st: str | None
    cn: str
    pw: str | None
    mn: str
    flag: int | None
    interval: str
    data_time: datetime
    values: list[tuple[str, float | None, str | None]]
    segment: bytes


def upload(frame: bytes, max_length: int = MAX_LENGTH) -> Upload | None:
    """The upload in `frame` (with its CRLF) when it is a strictly standard data upload, else None."""
    if not frame.endswith(b"\r\n") or not frame.startswith(b"##"):
        return None
    digits = frame[2:6]
    segment = frame[6:-6]
    if not digits.isdigit() or int(digits) != len(segment) or len(segment) > max_length:
        return None
    if frame[-6:-2] != b"%04X" % crc16(segment) or len(segment.translate(None, _IRREGULAR)) != len(segment):
        return None
    text = segment.decode("ascii")
    cp_at = text.find(";CP=&&")
    if cp_at < 0 or text.find("CP=&&") != cp_at + 1 or not text.endswith("&&") or len(text) < cp_at + 8:
        return None
    header: dict[str, str] = {}
    for item in text[:cp_at].split(";"):
        key, sep, value = item.partition("=")
        if not sep or key not in _HEADER or key in header:
            return None
        header[key] = value
    cn, mn = header.get("CN"), header.get("MN")
    interval = _INTERVALS.get(cn) if cn else None
    if interval is None or not mn or cn is None:
        return None
    flag_text = header.get("Flag")
    flag: int | None = None
    if flag_text is not None:
        if not flag_text.isdigit() or int(flag_text) > 255 or int(flag_text) & 0b10:  # D bit: split packet
            return None
        flag = int(flag_text)
    values = _values(text[cp_at + 6 : -2], realtime=interval == "realtime")
    if values is None:
        return None
    data_time, readings = values
    return Upload(
        header.get("QN"), header.get("ST"), cn, header.get("PW"), mn, flag, interval, data_time, readings, segment
    )


def _values(cp: str, *, realtime: bool) -> tuple[datetime, list[tuple[str, float | None, str | None]]] | None:
    pairs = [item.split("=") for item in cp.replace(",", ";").split(";")]
    try:
        fields = dict(pairs)  # ValueError unless every item is one key=value
    except ValueError:
        return None
    if len(fields) != len(pairs) or "" in fields:  # a repeated key or an empty item or key
        return None
    value = fields.pop("DataTime", "")
    if len(value) != 14 or not value.isdigit():
        return None
    try:
        data_time = datetime(  # noqa: DTZ001  # device wall-clock time; the caller adds the zone
            int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]), int(value[10:12]), int(value[12:14])
        )
    except ValueError:
        return None
    groups: dict[str, dict[str, str]] = {}
    numbers: list[str] = []
    for key, value in fields.items():
        code, dash, suffix = key.rpartition("-")
        if not dash:
            continue  # RtdInterval, vendor items: kept by the general parser, not readings
        if not code or not suffix:
            return None
        group = groups.get(code)
        if group is None:  # pollutants in order of first appearance, as the general parser keeps them
            group = groups[code] = {}
        if suffix in _NUMERIC:
            numbers.append(value)
        elif suffix != "Flag":
            continue  # EFlag, SampleTime, vendor suffixes: kept by the general parser, not readings
        group[suffix] = value
    if numbers and not _NUMBERS.fullmatch(";".join(numbers)):
        return None
    out: list[tuple[str, float | None, str | None]] = []
    main_key, zs_key = ("Rtd", "ZsRtd") if realtime else ("Avg", "ZsAvg")
    for code, group in groups.items():
        flag = group.pop("Flag", None) or None
        main = group.pop(main_key, None)
        if main is None and not realtime:
            main = group.pop("Rtd", None)
        if main is not None or flag is not None:
            out.append((code, None if main is None else float(main), flag))
        converted = group.pop(zs_key, None)
        if converted is not None:
            out.append((f"{code}-Zs", float(converted), flag))
        if group:  # statistics besides the main value (or an Rtd beside an Avg, which is not stored)
            for suffix in _EXTRA_SUFFIXES:
                extra = group.get(suffix)
                if extra is not None:
                    out.append((f"{code}-{suffix}", float(extra), flag))
    return data_time, out


def ack(upload: Upload) -> bytes | None:
    """The 9014 acknowledgement `codec.ack_frame` writes for this upload (HJ 212-2017 §6.2, C.14: its QN, ST=91,
    its PW and MN, its Flag with A=0 and D=0, empty CP), or None when the upload asks for none (Flag A=0), has
    no QN, or is 2005-style (Flag version bits 0), which `ack_frame` answers in its own way."""
    flag = upload.flag
    if flag is None or not flag & FLAG_ACK or flag >> 2 == 0 or upload.qn is None:
        return None
    pw = "" if upload.pw is None else f"PW={upload.pw};"
    segment = f"QN={upload.qn};ST=91;CN=9014;{pw}MN={upload.mn};Flag={flag & ~(FLAG_ACK | FLAG_SPLIT)};CP=&&&&"
    data = segment.encode("ascii")
    return b"##%04d%s%04X\r\n" % (len(data), data, crc16(data))
