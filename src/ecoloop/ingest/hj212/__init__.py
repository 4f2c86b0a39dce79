"""HJ 212 data transmission (2005, 2017 and 2025 loggers): CRC, parse and encode, stream framing, reassembly.

Pure code: bytes in, packets or reasons out. The asyncio receiver lives in `ecoloop.ingest.server`.
"""

from ecoloop.ingest.hj212.codec import (
    CP,
    FLAG_ACK,
    FLAG_SPLIT,
    MAX_LENGTH,
    UPLOADS,
    Command,
    CrcMode,
    ExeRtn,
    FrameError,
    Packet,
    PollutantValues,
    ProtocolVersion,
    QnRtn,
    Tolerance,
    parse,
)
from ecoloop.ingest.hj212.crc import crc16, crc16_modbus
from ecoloop.ingest.hj212.encode import (
    ack_frame,
    answer_frame,
    encode,
    encode_segment,
    heartbeat_reply,
    notice_reply,
    packet_from_fields,
    qn_at,
    reply_flag,
    result_frame,
)
from ecoloop.ingest.hj212.framer import MAX_FRAME, FrameEvent, Framer, Garbage
from ecoloop.ingest.hj212.reassembly import Incomplete, Reassembler, combine, group_key
from ecoloop.readings.reasons import Reason

__all__ = [
    "CP",
    "FLAG_ACK",
    "FLAG_SPLIT",
    "MAX_FRAME",
    "MAX_LENGTH",
    "UPLOADS",
    "Command",
    "CrcMode",
    "ExeRtn",
    "FrameError",
    "FrameEvent",
    "Framer",
    "Garbage",
    "Incomplete",
    "Packet",
    "PollutantValues",
    "ProtocolVersion",
    "QnRtn",
    "Reason",
    "Reassembler",
    "Tolerance",
    "ack_frame",
    "answer_frame",
    "combine",
    "crc16",
    "crc16_modbus",
    "encode",
    "encode_segment",
    "group_key",
    "heartbeat_reply",
    "notice_reply",
    "packet_from_fields",
    "parse",
    "qn_at",
    "reply_flag",
    "result_frame",
]
