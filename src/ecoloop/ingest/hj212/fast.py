"""A strict fast path for well-formed data uploads: one frame straight to reading values, no Packet objects.

Almost every frame a receiver sees is a standard HJ 212-2017/2025 data upload (CN 2011, 2051, 2061 or 2031):
`##`, the byte length, an ASCII data segment with `;`-separated header fields, `CP=&&…&&`, the uppercase HJ 212
CRC and CRLF. `upload()` reads exactly that case and nothing else: whenever a frame deviates in any way the
general parser would record as a tolerance or refuse (lowercase or MODBUS CRC, length in characters, spaces,
commas in the header, 17-digit DataTime, duplicate keys, empty values, split packets, extra header fields, any
error), it returns None and the caller uses `codec.parse`, which judges and records the deviation. So the fast
path never accepts what `parse` refuses and never decides a rejection; a test checks that both give the same
values for every frame the fast path takes.

How it stays fast: the header in the order `codec.encode` writes it is read by one regular expression (any other
order by a loop), the separators of the whole segment are checked in one `bytes.translate`, and the CP is split
with `str` methods into keys and values. The keys, which a logger repeats from one upload to the next, are looked
up in a cache of layouts that say where each reading's value and flag are, so only the values are read per frame;
DataTime texts, which repeat too, are parsed once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter

from ecoloop.ingest.hj212.codec import _NUMBER, FLAG_ACK, FLAG_SPLIT, MAX_LENGTH
from ecoloop.ingest.hj212.crc import crc16

# CN → reading interval name, as `ecoloop.ingest.convert.DATA_UPLOADS` (HJ 212-2017 Table 9).
_INTERVALS: dict[str | None, str] = {"2011": "realtime", "2051": "minute", "2061": "hour", "2031": "day"}
# Statistics besides the main value, in the order `convert.readings_of` emits them (HJ 212-2017 Table 4).
_EXTRA_SUFFIXES = ("Min", "Max", "Cou", "ZsMin", "ZsMax", "DayData", "NightData")
_NUMERIC = frozenset({"Rtd", "Avg", "ZsRtd", "ZsAvg", "Data", *_EXTRA_SUFFIXES})
# Numbers as the general parser takes them (`codec._NUMBER`: ASCII digits, optional sign, point and exponent),
# several at once separated by `;`.
_NUMBERS = re.compile(f"(?:{_NUMBER.pattern})(?:;(?:{_NUMBER.pattern}))*")
_HEADER = frozenset({"QN", "ST", "CN", "PW", "MN", "Flag"})
# Bytes that send a frame to the general parser: control characters, space, DEL, and anything non-ASCII.
_IRREGULAR = bytes([*range(0x00, 0x21), 0x7F, *range(0x80, 0x100)])
# The header as `codec.encode` writes it. Values hold no separator, `&` or `=`, so the segment's separators are
# known (six `=;`, then `=` of `CP=`), the first `CP=&&` is the one matched and no value has a comma.
_STANDARD_HEADER = re.compile(
    r"QN=([^;,&=]*);ST=([^;,&=]*);CN=([^;,&=]*);PW=([^;,&=]*);MN=([^;,&=]*);Flag=([^;,&=]*);CP=&&"
)
# `segment.translate(_COMMA_AS_SEMICOLON, _PLAIN)` keeps the separators `;` and `=` (`,` read as `;`) and the
# irregular bytes, so comparing it with a pattern checks both at once.
_PLAIN = bytes(byte for byte in range(0x21, 0x7F) if byte not in b";,=")
_COMMA_AS_SEMICOLON = bytes.maketrans(b",", b";")
# The separators of CP items that are each one `key=value` (none empty, no second `=`), and of a whole segment with
# the standard header; a 4-digit length field keeps a segment under 10,000 bytes.
_ALTERNATING = b"=;" * 5000
_STANDARD_SEPARATORS = b"=;" * 6 + b"=" + _ALTERNATING
# The CRC as `encode` writes it (uppercase hex), for each of the 256 values `crc16` takes on non-empty data.
_CRC_TEXT: dict[int, bytes] = {crc: b"%04X" % crc for crc in (crc16(bytes([byte])) for byte in range(256))}
# The Flag of the acknowledgement (A=0, D=0) for each Flag that asks for one in the 2017/2025 way: A=1 and
# version bits above 0 (HJ 212-2017 Table 3, C.14).
_REPLY_FLAGS: dict[int | None, str] = {
    flag: str(flag & ~(FLAG_ACK | FLAG_SPLIT)) for flag in range(256) if flag & FLAG_ACK and flag >> 2
}
# Flag texts without the D bit (split packet) as `codec.encode` writes them; others take the slower check.
_FLAGS = {str(flag): flag for flag in range(256) if not flag & FLAG_SPLIT}

_Values = list[tuple[str, float | None, str | None]]
_Pick = Callable[[Sequence[str]], tuple[str, ...]]


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
    values: _Values
    segment: bytes


def upload(frame: bytes, max_length: int = MAX_LENGTH) -> Upload | None:
    """The upload in `frame` (with its CRLF) when it is a strictly standard data upload, else None."""
    if not frame.endswith(b"\r\n") or not frame.startswith(b"##"):
        return None
    digits = frame[2:6]
    segment = frame[6:-6]
    if not digits.isdigit() or int(digits) != len(segment) or len(segment) > max_length:
        return None
    if frame[-6:-2] != _CRC_TEXT.get(crc16(segment)):
        return None
    try:
        text = segment.decode("ascii")
    except UnicodeDecodeError:
        return None
    header = _STANDARD_HEADER.match(text)
    if header is not None:
        separators = segment.translate(_COMMA_AS_SEMICOLON, _PLAIN)
        if len(separators) & 1 or not _STANDARD_SEPARATORS.startswith(separators):
            return None  # an irregular byte, or a CP item that is not one key=value
        qn, st, cn, pw, mn, flag_text = header.groups()
        cp_at = header.end() - 6
    else:
        fields = _other_header(segment, text)
        if fields is None:
            return None
        cp_at, qn, st, cn, pw, mn, flag_text = fields
    interval = _INTERVALS.get(cn)
    if interval is None or cn is None or not mn or not text.endswith("&&") or len(text) < cp_at + 8:
        return None
    flag: int | None = None
    if flag_text is not None:
        flag = _FLAGS.get(flag_text)
        if flag is None:  # leading zeros, the D bit (split packet), or not a number
            if not flag_text.isdigit() or int(flag_text) > 255 or int(flag_text) & FLAG_SPLIT:
                return None
            flag = int(flag_text)
    # The separators are checked, so splitting at all of them gives keys at even and values at odd positions.
    items = text[cp_at + 6 : -2].replace(",", ";").replace("=", ";").split(";")
    keys = tuple(items[0::2])
    layout = _LAYOUTS.get(keys) or _new_layout(keys)
    if layout is None:
        return None
    data_time = _data_time(items[layout.time])
    if data_time is None:
        return None
    readings = _readings(layout.realtime if interval == "realtime" else layout.period, items)
    if readings is None:
        return None
    return Upload(qn, st, cn, pw, mn, flag, interval, data_time, readings, segment)


def _other_header(
    segment: bytes, text: str
) -> tuple[int, str | None, str | None, str | None, str | None, str | None, str | None] | None:
    """Where CP starts and the header fields of a segment whose header is not in `encode`'s order, or None."""
    if len(segment.translate(None, _IRREGULAR)) != len(segment):
        return None
    cp_at = text.find(";CP=&&")
    if cp_at < 0 or text.find("CP=&&") != cp_at + 1:
        return None
    separators = segment[cp_at + 6 : -2].translate(_COMMA_AS_SEMICOLON, _PLAIN)
    if not len(separators) & 1 or not _ALTERNATING.startswith(separators):
        return None
    header: dict[str, str] = {}
    for item in text[:cp_at].split(";"):
        key, sep, value = item.partition("=")
        if not sep or key not in _HEADER or key in header or "," in value:
            return None
        header[key] = value
    get = header.get
    return cp_at, get("QN"), get("ST"), get("CN"), get("PW"), get("MN"), get("Flag")


@lru_cache(maxsize=4096)
def _data_time(value: str) -> datetime | None:
    # Loggers of one site send the same few DataTimes (the current minute and hour) over and over.
    if len(value) != 14 or not value.isdigit():
        return None
    try:
        return datetime(  # noqa: DTZ001  # device wall-clock time; the caller adds the zone
            int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]), int(value[10:12]), int(value[12:14])
        )
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to read the readings of one CP layout for one kind of upload (real-time, or minute/hour/day)."""

    names: tuple[str, ...]  # the parameter of each reading
    numbers: _Pick  # the value text of each reading that has one
    flags: _Pick  # the flag text of each reading ("" after the last item when the code has no Flag)
    unread: _Pick | None  # numeric values not stored (an Rtd beside an Avg), checked all the same
    # (parameter, value position or None, flag position) when a reading has a flag but no value: it is stored
    # only when the flag is not empty.
    gaps: tuple[tuple[str, int | None, int], ...] | None


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where DataTime and the readings are in a split CP with given keys (keys at even, values at odd positions)."""

    time: int
    realtime: _Plan
    period: _Plan


def _readings(plan: _Plan, items: list[str]) -> _Values | None:
    """The readings of a split CP as `plan` says, or None when a numeric value is not a number `parse` takes."""
    numbers = plan.numbers(items)
    # `float` takes more than `_NUMBER` ("inf", "1_0", long exponents), but over digits and points alone both
    # refuse exactly the same texts ("", ".", "1.2.3"). Such values are checked by converting them below, which
    # reads every one; values with signs or exponents by the regular expression.
    if numbers and not "".join(numbers).replace(".", "").isdigit() and not _NUMBERS.fullmatch(";".join(numbers)):
        return None
    if plan.unread is not None and not _NUMBERS.fullmatch(";".join(plan.unread(items))):
        return None
    items.append("")  # the flag of a code without Flag
    try:
        if plan.gaps is not None:
            found = [
                (name, None if value is None else float(items[value]), items[flag] or None)
                for name, value, flag in plan.gaps
                if value is not None or items[flag]
            ]
            # A number too large for a float (`1e999`, 400 digits) reads as infinity: the general path refuses it
            # (`rules.value_refusal`). A sum is finite when every value is (or, rarely, overflows: parsed again).
            return found if math.isfinite(sum(value for _, value, _ in found if value is not None)) else None
        flags: Sequence[str | None] = plan.flags(items)
        if "" in flags:
            flags = [flag or None for flag in flags]
        values = list(map(float, numbers))
        if not math.isfinite(sum(values)):
            return None
        return list(zip(plan.names, values, flags, strict=False))
    except ValueError:
        return None


# Layouts by CP keys: a logger repeats its keys from one upload to the next, and a fleet has few distinct sets. A
# plain dict, emptied when full, is faster to look up than `lru_cache`; frames that are refused are not kept.
_LAYOUTS: dict[tuple[str, ...], _Layout] = {}
_MAX_LAYOUTS = 1024


def _new_layout(keys: tuple[str, ...]) -> _Layout | None:
    """The layout of a CP with these keys, remembered in `_LAYOUTS`, or None as `_layout` says."""
    layout = _layout(keys)
    if layout is not None:
        if len(_LAYOUTS) >= _MAX_LAYOUTS:
            _LAYOUTS.clear()
        _LAYOUTS[keys] = layout
    return layout


def _layout(keys: tuple[str, ...]) -> _Layout | None:
    """How to read a CP with these keys in this order, or None when `parse` would refuse it or record a tolerance
    (a repeated or empty key, a pollutant key with an empty code or suffix) or it has no DataTime."""
    if len(set(keys)) != len(keys) or "" in keys or "DataTime" not in keys:
        return None
    groups: dict[str, dict[str, int]] = {}  # code → suffix → position of its value
    numeric: list[int] = []
    for index, key in enumerate(keys):
        value = 2 * index + 1
        code, dash, suffix = key.rpartition("-")
        if not dash:
            continue  # RtdInterval, vendor items: kept by the general parser, not readings
        if not code or not suffix:
            return None
        group = groups.setdefault(code, {})  # pollutants in order of first appearance, as the parser keeps them
        if suffix in _NUMERIC:
            numeric.append(value)
        elif suffix != "Flag":
            continue  # EFlag, SampleTime, vendor suffixes: kept by the general parser, not readings
        group[suffix] = value
    time = 2 * keys.index("DataTime") + 1
    no_flag = 2 * len(keys)  # where `_readings` appends ""
    return _Layout(time, _plan(groups, numeric, no_flag, realtime=True), _plan(groups, numeric, no_flag))


def _plan(groups: dict[str, dict[str, int]], numeric: list[int], no_flag: int, *, realtime: bool = False) -> _Plan:
    """The readings of `convert.readings_of`, in its order: per pollutant the main value (Rtd for real-time
    uploads, else Avg, failing that Rtd, failing that a noise quantity's Data) with its flag, the converted value,
    then the other statistics."""
    main_key, zs_key = ("Rtd", "ZsRtd") if realtime else ("Avg", "ZsAvg")
    entries: list[tuple[str, int | None, int]] = []
    for code, group in groups.items():
        flag = group.get("Flag", no_flag)
        main = group.get(main_key)
        if main is None and not realtime:
            main = group.get("Rtd", group.get("Data"))
        if main is not None or flag != no_flag:
            entries.append((code, main, flag))
        if zs_key in group:
            entries.append((f"{code}-Zs", group[zs_key], flag))
        entries.extend((f"{code}-{suffix}", group[suffix], flag) for suffix in _EXTRA_SUFFIXES if suffix in group)
    read = [value for _, value, _ in entries if value is not None]
    unread = [value for value in numeric if value not in read]
    return _Plan(
        names=tuple(name for name, _, _ in entries),
        numbers=_picker(read),
        flags=_picker([flag for _, _, flag in entries]),
        unread=_picker(unread) if unread else None,
        gaps=None if len(read) == len(entries) else tuple(entries),
    )


def _picker(indices: Sequence[int]) -> _Pick:
    """The items at `indices` as a tuple, taken in C (`itemgetter` returns a bare item for a single index)."""
    if len(indices) > 1:
        return itemgetter(*indices)
    if indices:
        index = indices[0]
        return lambda items: (items[index],)
    return lambda items: ()


def ack(upload: Upload) -> bytes | None:
    """The 9014 acknowledgement `codec.ack_frame` writes for this upload (HJ 212-2017 §6.2, C.14: its QN, ST=91,
    its PW and MN, its Flag with A=0 and D=0, empty CP), or None when the upload asks for none (Flag A=0), has
    no QN, or is 2005-style (Flag version bits 0), which `ack_frame` answers in its own way."""
    reply_flag = _REPLY_FLAGS.get(upload.flag)
    qn = upload.qn
    if reply_flag is None or qn is None:
        return None
    if upload.pw is None:
        data = f"QN={qn};ST=91;CN=9014;MN={upload.mn};Flag={reply_flag};CP=&&&&".encode("ascii")
    else:
        data = f"QN={qn};ST=91;CN=9014;PW={upload.pw};MN={upload.mn};Flag={reply_flag};CP=&&&&".encode("ascii")
    return b"##%04d%s%s\r\n" % (len(data), data, _CRC_TEXT[crc16(data)])
