"""Encoding HJ 212 frames and the platform's replies (HJ 212-2017 §6.3, §6.6 and Table 3: acknowledgements,
notices, heartbeats, answers and results). Pure: callers pass `now`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from ecoloop.ingest.hj212.codec import (
    CP,
    FLAG_ACK,
    FLAG_SPLIT,
    HEADER_KEYS,
    MAX_LENGTH,
    Command,
    ExeRtn,
    FieldValue,
    Packet,
    QnRtn,
    field_text,
)
from ecoloop.ingest.hj212.crc import crc16

_FORBIDDEN = re.compile(r"[;,\x00-\x1f\x7f]")


def encode(packet: Packet | Mapping[str, FieldValue | CP | Mapping[str, FieldValue]]) -> bytes:
    """A standard frame: `##`, byte length, data segment, uppercase HJ 212 CRC, CRLF (HJ 212-2017 §6.3.1).

    Takes a Packet, or header fields by name (`QN`, `ST`, `CN`, `PW`, `MN`, `Flag`, `PNUM`, `PNO`, others kept)
    with `CP` as a CP or a mapping of CP keys to values. The header is written in the standard's order; CP
    pairs of the same pollutant code in a row are joined with `,`, everything else with `;`.
    Raises ValueError for values that cannot be framed (separators, control characters, over 9999 bytes).
    """
    if not isinstance(packet, Packet):
        packet = packet_from_fields(packet)
    segment = encode_segment(packet).encode("utf-8")
    if len(segment) > MAX_LENGTH:
        raise ValueError(f"data segment of {len(segment)} bytes does not fit the 4-digit length field")
    return b"##%04d%s%04X\r\n" % (len(segment), segment, crc16(segment))


def packet_from_fields(fields: Mapping[str, FieldValue | CP | Mapping[str, FieldValue]]) -> Packet:
    """A Packet from header fields by name and `CP` (a CP or a mapping), as `encode` accepts them."""
    header: dict[str, str] = {}
    cp = CP()
    for key, value in fields.items():
        if key == "CP":
            if isinstance(value, CP):
                cp = value
            elif isinstance(value, Mapping):
                cp = CP.from_values(value)
            elif value is not None:
                raise ValueError("CP must be a CP or a mapping of CP keys to values")
        elif isinstance(value, CP | Mapping):
            raise ValueError(f"header field {key} must be a single value")
        elif value is not None:
            header[key] = field_text(value)
    for required in ("CN", "MN"):
        if not header.get(required):
            raise ValueError(f"{required} is required")
    numbers = {key: int(header[key]) if key in header else None for key in ("Flag", "PNUM", "PNO")}
    return Packet(
        qn=header.get("QN"),
        st=header.get("ST"),
        cn=header["CN"],
        pw=header.get("PW"),
        mn=header["MN"],
        flag=numbers["Flag"],
        pnum=numbers["PNUM"],
        pno=numbers["PNO"],
        cp=cp,
        extra={k: v for k, v in header.items() if k not in HEADER_KEYS},
    )


def encode_segment(packet: Packet) -> str:
    """The data segment text of a packet: header fields, then `CP=&&…&&` (HJ 212-2017 §6.3.2, §6.3.3)."""
    header = [
        ("QN", packet.qn),
        ("ST", packet.st),
        ("CN", packet.cn),
        ("PW", packet.pw),
        ("MN", packet.mn),
        ("Flag", None if packet.flag is None else str(packet.flag)),
        ("PNUM", None if packet.pnum is None else str(packet.pnum)),
        ("PNO", None if packet.pno is None else str(packet.pno)),
        *packet.extra.items(),
    ]
    parts = [f"{_checked(key, value)}={value}" for key, value in header if value is not None]
    if "CP" in packet.extra or "CP=&&" in ";".join(parts):
        raise ValueError("a header field would be read as the start of CP=&&")
    groups: list[list[str]] = []
    previous_code: str | None = None
    for key, value in packet.cp.fields:
        code = key.rpartition("-")[0] or None
        pair = f"{_checked(key, value)}={value}"
        if code is not None and code == previous_code:
            groups[-1].append(pair)
        else:
            groups.append([pair])
        previous_code = code
    parts.append("CP=&&" + ";".join(",".join(group) for group in groups) + "&&")
    return ";".join(parts)


def _checked(key: str, value: str) -> str:
    if not key or "=" in key or _FORBIDDEN.search(key) or _FORBIDDEN.search(value):
        raise ValueError(f"{key}={value!r} cannot be written in an HJ 212 data segment")
    if key.strip() != key or value.strip() != value:
        raise ValueError(f"{key}={value!r} has leading or trailing spaces, which parsing strips")
    return key


def qn_at(now: datetime) -> str:
    """A request number `YYYYMMDDhhmmsszzz` for `now`, in the device's local time (HJ 212-2017 Table 3, QN)."""
    return now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"


def reply_flag(packet: Packet) -> int | None:
    """The Flag of a reply: the peer's version bits with A=0 and D=0, so 4 for 2017 (HJ 212-2017 C.14)."""
    return None if packet.flag is None else packet.flag & ~(FLAG_ACK | FLAG_SPLIT) & 0xFF


def _reply(packet: Packet, cn: str, cp: CP, now: datetime | None, *, own_qn: bool = False) -> bytes:
    qn = packet.qn
    if own_qn or qn is None:
        qn = None if now is None else qn_at(now)
    reply = Packet(
        qn=qn, st="91", cn=cn, pw=packet.pw, mn=packet.mn, flag=reply_flag(packet), pnum=None, pno=None, cp=cp
    )
    return encode(reply)


def ack_frame(packet: Packet, now: datetime, *, style: Literal["2017", "2005"] = "2017") -> bytes:
    """Data acknowledgement CN=9014 for an upload (HJ 212-2017 §6.2, C.14): the upload's QN, ST=91, its PW and
    MN, Flag with A=0 (4 for 2017) and an empty CP. Each part of a split upload is acknowledged with its own QN.

    `now` gives a QN when the upload has none. `style="2005"` puts the acknowledged QN and CN inside CP under a
    new QN from `now`, as HJ/T 212-2005 code bases do (unverified against the 2005 text).
    """
    if style == "2005":
        acked = CP.from_values({"QN": packet.qn, "CN": packet.cn})
        return _reply(packet, Command.DATA_ANSWER, acked, now, own_qn=True)
    return _reply(packet, Command.DATA_ANSWER, CP(), now)


def notice_reply(packet: Packet, now: datetime) -> bytes:
    """Notice answer CN=9013 for a device notice such as 1013 (HJ 212-2017 §6.2, Table 9, C.8): the notice's QN,
    ST=91, empty CP."""
    return _reply(packet, Command.NOTICE_ANSWER, CP(), now)


def heartbeat_reply(packet: Packet, now: datetime) -> bytes:
    """Answer to an HJ 212-2025 heartbeat CN=9015: a 9013 notice answer echoing its QN.

    Unverified: taken from third-party code (caoyiliang/HJ212), the 2025 text was not available.
    """
    return notice_reply(packet, now)


def answer_frame(packet: Packet, qn_rtn: QnRtn | int, now: datetime | None = None) -> bytes:
    """Request answer CN=9011 with `QnRtn` (HJ 212-2017 §6.2, Table 7, C.2): the request's QN, ST=91. Used to
    answer a request, or to refuse a packet (3 = PW error, 4 = MN error, 9 = CRC error)."""
    return _reply(packet, Command.REQUEST_ANSWER, CP.from_values({"QnRtn": int(qn_rtn)}), now)


def result_frame(packet: Packet, exe_rtn: ExeRtn | int, now: datetime | None = None) -> bytes:
    """Execution result CN=9012 with `ExeRtn` after carrying out a request (HJ 212-2017 §6.2, Table 6, C.3)."""
    return _reply(packet, Command.EXECUTION_RESULT, CP.from_values({"ExeRtn": int(exe_rtn)}), now)
