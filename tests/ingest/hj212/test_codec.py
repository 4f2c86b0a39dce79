"""HJ 212 codec: CRC vectors, the public sample packets, the standard's Appendix C segments, field parsing,
rejection reasons, tolerances, encoding and replies, and a fuzz test."""

from __future__ import annotations

import contextlib
import itertools
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecoloop.ingest.hj212 import (
    CP,
    CrcMode,
    FrameError,
    Packet,
    PollutantValues,
    QnRtn,
    Reason,
    Tolerance,
    ack_frame,
    answer_frame,
    crc16,
    crc16_modbus,
    encode,
    heartbeat_reply,
    notice_reply,
    parse,
    result_frame,
)

SHARED = Path(__file__).resolve().parents[4] / "shared" / "standards"
FRAMES = Path(__file__).resolve().parents[1] / "frames"
APPENDIX_A = (FRAMES / "appendix_a_1062.hj212").read_bytes()
MN = "010000A8900016F000169DC0"
MODES: tuple[CrcMode, ...] = ("hj212", "modbus_le", "any")


def frame(segment: str | bytes, *, length: int | None = None, crc: str | None = None, end: bytes = b"\r\n") -> bytes:
    """A frame around `segment` with its byte length and HJ 212 CRC unless told otherwise."""
    data = segment.encode() if isinstance(segment, str) else segment
    size = len(data) if length is None else length
    check = f"{crc16(data):04X}" if crc is None else crc
    return b"##%04d" % size + data + check.encode() + end


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    """A naive time: HJ 212 carries the logger's local wall-clock time without a zone."""
    return datetime(year, month, day, hour, minute, second, micro)  # noqa: DTZ001


def modbus_le(data: bytes) -> str:
    value = crc16_modbus(data)
    return f"{value & 0xFF:02X}{value >> 8:02X}"


def reference_crc16(data: bytes) -> int:
    """The bit-by-bit algorithm of HJ 212-2017 Appendix A, as written in the notes."""
    reg = 0xFFFF
    for byte in data:
        reg = (reg >> 8) ^ byte
        for _ in range(8):
            lsb = reg & 1
            reg >>= 1
            if lsb:
                reg ^= 0xA001
    return reg


def reference_modbus(data: bytes) -> int:
    reg = 0xFFFF
    for byte in data:
        reg ^= byte
        for _ in range(8):
            reg = (reg >> 1) ^ 0xA001 if reg & 1 else reg >> 1
    return reg


def shared(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} is not available (the shared HJ 212 notes live outside the repository)")
    return path


# --- CRC --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"123456789", 0x2F80),
        (APPENDIX_A[6:-6], 0x1C80),
        # HJ 212-2017 C.14 reply as built in the notes.
        (f"QN=20160801085857223;ST=91;CN=9014;PW=123456;MN={MN};Flag=4;CP=&&&&".encode(), 0x3240),
        # Appendix C noise segment with its stray space; hutool's CRC16Ansi test agrees.
        (
            f"QN=20160801085857223;ST=23;CN=2011;PW=123456;MN={MN};Flag=5;"
            "CP=&&DataTime=20160801085857; LA-Rtd=50.1&&".encode(),
            0x1E00,
        ),
        (b"", 0xFFFF),
    ],
)
def test_crc16_vectors(data: bytes, expected: int) -> None:
    """The HJ 212 CRC of the notes' verified vectors (HJ 212-2017 Appendix A)."""
    assert crc16(data) == expected


def test_crc16_is_not_modbus() -> None:
    assert crc16_modbus(b"123456789") == 0x4B37
    assert crc16(b"123456789") != crc16_modbus(b"123456789")


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("##0137QN=20231008130452757", "3AC0"),
        ("##0285QN=20190925181031464", "C181"),
        ("##0136ST=32;CN=2011;PW=000000", "1dc0"),
    ],
)
def test_crc16_vectors_from_the_sample_packets(prefix: str, expected: str) -> None:
    """The notes' vectors that are public sample packets, read from the shared file."""
    line = next(x for x in shared("hj212_packets.txt").read_text("utf-8").splitlines() if x.startswith(prefix))
    data = line.encode()
    assert data.endswith(expected.encode())
    assert crc16(data[6:-4]) == int(expected, 16)


@settings(max_examples=300)
@given(st.binary(max_size=700))
def test_crc16_matches_the_bitwise_algorithm(data: bytes) -> None:
    """The table and translate shortcuts compute exactly Appendix A's algorithm, at every length."""
    assert crc16(data) == reference_crc16(data)
    assert crc16_modbus(data) == reference_modbus(data)


@pytest.mark.parametrize("size", [*range(0, 80), 127, 128, 129, 1024, 1025, 4095, 4096, 4097, 16383, 16384, 16385])
def test_crc16_at_every_folding_depth_and_beyond_the_folded_range(size: int) -> None:
    # The folded computation covers 1 to 16,384 bytes (one more halving at each power of two of 8-byte words);
    # empty and longer data take the byte loop.
    data = bytes((i * 37 + 11) % 256 for i in range(size))
    assert crc16(data) == reference_crc16(data)


def test_crc16_takes_only_256_values() -> None:
    """The register's low byte is dropped at every step, so only 256 results exist (notes §1)."""
    assert len({crc16(bytes([a, b])) for a in range(256) for b in range(256)}) == 256


# --- the public sample packets --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    line_no: int
    frame: bytes
    status: str


def samples() -> list[Sample]:
    path = SHARED / "hj212_packets.txt"
    if not path.exists():
        return []
    result: list[Sample] = []
    statuses: list[str] = []
    for line_no, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if line.startswith("# status:"):
            statuses = [s.strip() for s in line.removeprefix("# status:").split("|")]
        elif line.startswith("##"):
            result.append(Sample(line_no, line.encode(), statuses.pop(0)))
    return result


SAMPLES = samples()


def test_sample_packets_are_there() -> None:
    shared("hj212_packets.txt")
    assert len(SAMPLES) == 47


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"line{s.line_no}" for s in SAMPLES])
@pytest.mark.parametrize("crlf", [b"\r\n", b""], ids=["crlf", "bare"])
def test_sample_packet_outcome(sample: Sample, crlf: bytes) -> None:
    """Each public packet gets the outcome its status line implies, in each CRC mode."""
    raw = sample.frame + crlf
    tokens = sample.status.split()
    if "len_ok" not in tokens:
        with pytest.raises(FrameError) as error:
            parse(raw, crc_mode="any")
        assert error.value.reason is Reason.LENGTH_MISMATCH
        return
    bad = re.search(r"crc_bad\(calc=([0-9A-F]{4})\)", sample.status)
    if bad:
        assert crc16(raw[6 : len(sample.frame) - 4]) == int(bad.group(1), 16)
        for mode in MODES:
            with pytest.raises(FrameError) as error:
                parse(raw, crc_mode=mode)
            assert error.value.reason is Reason.CRC_MISMATCH
        return
    if "crc=MODBUS_LE" in tokens:
        with pytest.raises(FrameError) as error:
            parse(raw)
        assert error.value.reason is Reason.CRC_MISMATCH
        for mode in MODES[1:]:
            packet = parse(raw, crc_mode=mode)
            assert Tolerance.CRC_MODBUS_LE in packet.tolerances
        return
    assert "crc_ok" in tokens
    packet = parse(raw)
    assert parse(raw, crc_mode="any") == packet
    assert (Tolerance.CRC_LOWERCASE in packet.tolerances) == ("lowercase" in tokens)
    assert packet.raw_segment == sample.frame[6:-4]
    assert packet.cn and packet.mn
    again = parse(encode(packet))
    assert (again.qn, again.cn, again.mn, again.flag, again.cp) == (
        packet.qn,
        packet.cn,
        packet.mn,
        packet.flag,
        packet.cp,
    )


def test_sample_packets_cover_every_status() -> None:
    shared("hj212_packets.txt")
    statuses = " ".join(s.status for s in SAMPLES)
    for token in ("crc_ok", "crc_bad", "crc=MODBUS_LE", "lowercase"):
        assert token in statuses


# --- the standard's Appendix C segments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    line_no: int
    text: str
    ellipsis: bool
    crc: int
    length: int


def segments() -> list[Segment]:
    path = SHARED / "hj212_std2017_segments.txt"
    if not path.exists():
        return []
    result = []
    for line_no, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        ellipsis = line.startswith("# ELLIPSIS ")
        if not line or (line.startswith("#") and not ellipsis):
            continue
        text, _, note = line.removeprefix("# ELLIPSIS ").partition("\t")
        found = re.fullmatch(r"#crc=([0-9A-F]{4}) len=(\d+)", note)
        assert found, line
        result.append(Segment(line_no, text, ellipsis, int(found.group(1), 16), int(found.group(2))))
    return result


SEGMENTS = segments()


def same_content(a: Packet, b: Packet) -> bool:
    fields = ("qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "extra", "cp")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def test_segments_are_there() -> None:
    shared("hj212_std2017_segments.txt")
    assert len(SEGMENTS) == 78
    assert sum(s.ellipsis for s in SEGMENTS) == 16


@pytest.mark.parametrize("segment", SEGMENTS, ids=[f"line{s.line_no}" for s in SEGMENTS])
def test_appendix_c_segment_round_trips(segment: Segment) -> None:
    """Every example of the standard frames with the file's length (UTF-8 bytes) and CRC, parses, and survives
    encode → parse. Segments with the standard's `…` placeholder either parse or are refused as bad_field, and
    parse once the placeholder is removed."""
    data = segment.text.encode()
    assert (len(data), crc16(data)) == (segment.length, segment.crc)
    text = segment.text
    if segment.ellipsis:
        try:
            parse(frame(text))
        except FrameError as refused:
            assert refused.reason is Reason.BAD_FIELD
        text = text.replace(";…", "").replace("…", "")
        if "e01001-Rtd=1.1;e01001-Rtd=2.2" in text:
            # One process value given twice with different values: ambiguous, so refused.
            with pytest.raises(FrameError) as error:
                parse(frame(text))
            assert error.value.reason is Reason.BAD_FIELD
            return
    packet = parse(frame(text))
    assert packet.raw_segment == text.encode()
    assert packet.protocol_version == "2017"
    again = parse(encode(packet))
    assert same_content(again, packet)
    assert encode(again) == encode(packet)


def test_appendix_c_acknowledgements_match_ack_frame() -> None:
    """Each 9014 of Appendix C is what `ack_frame` answers to the upload just before it (C.14)."""
    shared("hj212_std2017_segments.txt")
    checked = 0
    for previous, current in itertools.pairwise(SEGMENTS):
        if ";CN=9014;" not in current.text or "CN=90" in previous.text:
            continue
        header = previous.text.split("CP=&&")[0].replace(",", ";")
        upload = parse(frame(header + "CP=&&&&"))
        assert same_content(parse(ack_frame(upload, local(2016, 8, 1))), parse(frame(current.text)))
        checked += 1
    assert checked >= 5


# --- field parsing -------------------------------------------------------------------------------------------------


def read(name: str, **kwargs: object) -> Packet:
    return parse((FRAMES / name).read_bytes(), **kwargs)  # type: ignore[arg-type]


def test_realtime_2011() -> None:
    """Real-time data (CN=2011): -Rtd, -ZsRtd, -Flag and -EFlag per pollutant (HJ 212-2017 Table 4, C.20)."""
    packet = read("realtime_2011_air_source.hj212")
    assert (packet.qn, packet.st, packet.cn, packet.pw, packet.mn) == ("20240315103000123", "31", "2011", "123456", MN)
    assert (packet.flag, packet.needs_ack, packet.protocol_version, packet.is_split) == (5, True, "2017", False)
    assert packet.cp.data_time == local(2024, 3, 15, 10, 30)
    assert list(packet.cp.pollutants) == ["a21026", "a21002", "a34013", "a19001", "a00000", "a01012"]
    assert packet.cp.pollutants["a21026"] == PollutantValues(rtd=Decimal("35.2"), zs_rtd=Decimal("41.8"), flag="N")
    assert packet.cp.pollutants["a34013"].extra == {"EFlag": "A01"}
    assert packet.cp.pollutants["a01012"].flag == "M"
    assert packet.tolerances == ()


def test_minute_2051() -> None:
    """Minute data (CN=2051): -Cou, -Min, -Avg, -Max, -Flag (HJ 212-2017 C.24)."""
    packet = read("minute_2051_water.hj212")
    water = packet.cp.pollutants["w00000"]
    assert (water.cou, water.min, water.avg, water.max, water.flag) == (
        Decimal("12.6"),
        Decimal("18.2"),
        Decimal("21.0"),
        Decimal("23.9"),
        "N",
    )
    assert packet.cp.pollutants["w21003"].flag == "C"
    assert packet.cp.pollutants["w01001"].cou is None
    assert packet.cp.data_time == local(2024, 3, 15, 10, 10)


def test_hourly_2061() -> None:
    """Hourly data (CN=2061) of an air station; Flag=4 asks for no acknowledgement."""
    packet = read("hourly_2061_air_station.hj212")
    assert not packet.needs_ack
    assert packet.mn == "AQ3201020001"
    assert packet.cp.pollutants["a34004"] == PollutantValues(
        avg=Decimal(38), min=Decimal(21), max=Decimal(55), flag="N"
    )
    assert packet.cp.pollutants["a21004"].flag == "T"
    assert len(packet.cp.pollutants) == 7


def test_daily_2031() -> None:
    """Daily data (CN=2031) with -ZsAvg (HJ 212-2017 C.28)."""
    packet = read("daily_2031_flue_gas.hj212")
    so2 = packet.cp.pollutants["a21026"]
    assert (so2.cou, so2.avg, so2.zs_avg) == (Decimal("12.345"), Decimal("28.4"), Decimal("33.0"))
    assert packet.cp.pollutants["a00000"].cou == Decimal(4519800)


def test_info_3020_counts_bytes() -> None:
    """Chinese text is UTF-8 and the length counts bytes (HJ 212-2017 §6.3; notes §1)."""
    packet = read("info_3020_utf8.hj212")
    assert packet.cp.pollutants["i11001"].extra == {"Info": "//清洗管路//"}
    assert packet.cp.items == {"PolId": "w01018"}
    assert packet.tolerances == ()
    lenient = read("info_3020_char_length.hj212")
    assert lenient.tolerances == (Tolerance.LENGTH_IN_CHARS,)
    assert lenient.cp == packet.cp


def test_2005_style_modbus_frame() -> None:
    packet = read("realtime_2011_2005_modbus_le.hj212", crc_mode="modbus_le")
    assert (packet.qn, packet.flag, packet.protocol_version, packet.needs_ack) == (None, None, "2005", False)
    assert packet.cp.pollutants["011"] == PollutantValues(rtd=Decimal("231.0"), flag="N")
    assert packet.tolerances == (Tolerance.CRC_MODBUS_LE,)
    with pytest.raises(FrameError) as error:
        read("realtime_2011_2005_modbus_le.hj212")
    assert error.value.reason is Reason.CRC_MISMATCH


def test_lowercase_crc_and_17_digit_time() -> None:
    packet = read("realtime_2011_lowercase_17digit.hj212")
    assert packet.cp.data_time == local(2024, 3, 15, 10, 31)
    assert set(packet.tolerances) == {Tolerance.CRC_LOWERCASE, Tolerance.DATA_TIME_MS}


def test_17_digit_time_keeps_milliseconds() -> None:
    packet = parse(frame(f"ST=32;CN=2011;MN={MN};CP=&&DataTime=20160824003817250&&"))
    assert packet.cp.data_time == local(2016, 8, 24, 0, 38, 17, 250_000)


def test_header_by_key_in_any_order_with_unknown_keys() -> None:
    """Fields are read by key (notes §2: PNO before PNUM happens); unknown header keys are kept."""
    packet = parse(frame(f"MN={MN};PNO=0002;CN=2051;PNUM=0002;Vendor=x;ST=31;CP=&&FANSTATUS=1;831-Rtd=3.1&&"))
    assert (packet.pnum, packet.pno, packet.is_split, packet.qn, packet.pw) == (2, 2, True, None, None)
    assert packet.extra == {"Vendor": "x"}
    assert packet.cp.items == {"FANSTATUS": "1"}
    assert packet.cp.pollutants["831"].rtd == Decimal("3.1")
    assert packet.cp.fields == (("FANSTATUS", "1"), ("831-Rtd", "3.1"))


@pytest.mark.parametrize(
    ("flag", "ack", "version", "split_bit"),
    [
        (None, False, "2005", False),
        (0, False, "2005", False),
        (1, True, "2005", False),
        (4, False, "2017", False),
        (5, True, "2017", False),
        (6, False, "2017", True),
        (7, True, "2017", True),
        (8, False, "2025", False),
        (9, True, "2025", False),
        (12, False, "unknown", False),
        (255, True, "unknown", True),
    ],
)
def test_flag_bits(flag: int | None, ack: bool, version: str, split_bit: bool) -> None:
    """Flag = V5..V0 D A (HJ 212-2017 Table 3; version 2 = 2025 per third-party code)."""
    numbers = "PNUM=2;PNO=1;" if split_bit else ""
    flag_field = "" if flag is None else f"Flag={flag};"
    packet = parse(frame(f"QN=1;ST=31;CN=2011;MN=X;{flag_field}{numbers}CP=&&&&"))
    assert (packet.needs_ack, packet.protocol_version, packet.is_split) == (ack, version, split_bit)
    assert Tolerance.SPLIT_FLAG_MISMATCH not in packet.tolerances


def test_heartbeat_2025() -> None:
    packet = read("heartbeat_9015_2025.hj212")
    assert (packet.cn, packet.protocol_version, packet.needs_ack) == ("9015", "2025", True)


def test_frame_with_or_without_crlf() -> None:
    assert parse(APPENDIX_A) == parse(APPENDIX_A[:-2])


# --- rejections ----------------------------------------------------------------------------------------------------

GOOD = f"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN={MN};Flag=5;CP=&&DataTime=20160801085857;a01-Rtd=1.5&&"


def replaced(old: str, new: str) -> bytes:
    return frame(GOOD.replace(old, new))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", Reason.BAD_HEADER),
        (b"\r\n", Reason.BAD_HEADER),
        (frame(GOOD)[1:], Reason.BAD_HEADER),
        (b"$$" + frame(GOOD)[2:], Reason.BAD_HEADER),
        (b"##0000", Reason.BAD_HEADER),
        (b"##01a1" + frame(GOOD)[6:], Reason.BAD_LENGTH),
        (b"## 101" + frame(GOOD)[6:], Reason.BAD_LENGTH),
        (b"##12", Reason.BAD_LENGTH),
        (frame(GOOD, length=len(GOOD) + 1), Reason.LENGTH_MISMATCH),
        (frame(GOOD, length=len(GOOD) - 3), Reason.LENGTH_MISMATCH),
        (frame(GOOD, crc="1C8G"), Reason.BAD_CRC_FORMAT),
        (frame(GOOD, crc=" 1C8"), Reason.BAD_CRC_FORMAT),
        (frame(GOOD, crc="0x1C"), Reason.BAD_CRC_FORMAT),
        (frame(GOOD, crc=f"{crc16(GOOD.encode()) ^ 1:04X}"), Reason.CRC_MISMATCH),
        (frame(GOOD, crc=modbus_le(GOOD.encode())), Reason.CRC_MISMATCH),
        (frame(GOOD, end=b"\n"), Reason.MISSING_CRLF),
        (frame(GOOD, end=b"\r"), Reason.MISSING_CRLF),
        (frame(GOOD, end=b"\r\n\r\n"), Reason.MISSING_CRLF),
        (frame(GOOD) + frame(GOOD), Reason.MISSING_CRLF),
        (frame(GOOD.encode() + b"\xff"), Reason.BAD_ENCODING),
        (frame(GOOD.replace("PW=123456", "PW=12\x003456")), Reason.BAD_ENCODING),
        (frame(GOOD.replace("PW=123456", "PW=12\t3456")), Reason.BAD_ENCODING),
        (replaced("CN=2011;", ""), Reason.MISSING_FIELD),
        (replaced("CN=2011", "CN="), Reason.MISSING_FIELD),
        (replaced(f"MN={MN};", ""), Reason.MISSING_FIELD),
        (replaced("CP=&&", "XP=&&"), Reason.MISSING_FIELD),
        (replaced("CP=&&", "CP="), Reason.BAD_FIELD),
        (frame(GOOD[:-1]), Reason.BAD_FIELD),
        (frame(GOOD + "x"), Reason.BAD_FIELD),
        (replaced("Flag=5", "Flag=x"), Reason.BAD_FIELD),
        (replaced("Flag=5", "Flag=256"), Reason.BAD_FIELD),
        (replaced("Flag=5", "Flag=-1"), Reason.BAD_FIELD),
        (replaced("Flag=5", "Flag=５"), Reason.BAD_FIELD),
        (replaced("Flag=5", "Flag=5;PNUM=a;PNO=1"), Reason.BAD_FIELD),
        (replaced("Flag=5", "Flag=7;PNUM=2;PNO=x"), Reason.BAD_FIELD),
        (replaced("Flag=5", "Flag=7;PNO=1"), Reason.BAD_FIELD),
        (replaced("Flag=5", "Flag=7;PNUM=2;PNO=3"), Reason.BAD_FIELD),
        (replaced("Flag=5", "Flag=7;PNUM=0;PNO=0"), Reason.BAD_FIELD),
        (replaced("ST=32", "ST=32;ST=31"), Reason.BAD_FIELD),
        (replaced("ST=32", "ST"), Reason.BAD_FIELD),
        (replaced("ST=32", "=32"), Reason.BAD_FIELD),
        (replaced("1.5", "abc"), Reason.BAD_FIELD),
        (replaced("1.5", "NaN"), Reason.BAD_FIELD),
        (replaced("1.5", "Infinity"), Reason.BAD_FIELD),
        (replaced("1.5", "1_5"), Reason.BAD_FIELD),
        (replaced("1.5", "１.5"), Reason.BAD_FIELD),
        (replaced("1.5", "1e9999"), Reason.BAD_FIELD),
        (replaced("a01-Rtd", "-Rtd"), Reason.BAD_FIELD),
        (replaced("a01-Rtd", "a01-"), Reason.BAD_FIELD),
        (replaced("a01-Rtd=1.5", "a01-Rtd=1.5;a01-Rtd=1.6"), Reason.BAD_FIELD),
        (replaced("a01-Rtd=1.5", "a01"), Reason.BAD_FIELD),
        (replaced("DataTime=20160801085857", "DataTime=2016080108585"), Reason.BAD_FIELD),
        (replaced("DataTime=20160801085857", "DataTime=20161301085857"), Reason.BAD_FIELD),
        (replaced("DataTime=20160801085857", "DataTime=20160801246000"), Reason.BAD_FIELD),
        (replaced("DataTime=20160801085857", "DataTime="), Reason.BAD_FIELD),
    ],
)
def test_rejection_reason(raw: bytes, reason: Reason) -> None:
    """Each way a frame can be wrong gives its own stable reason."""
    with pytest.raises(FrameError) as error:
        parse(raw)
    assert error.value.reason is reason
    assert error.value.detail
    assert str(error.value).startswith(reason.value)


def test_length_limit() -> None:
    """Lengths above 1024 occur in real traffic and pass by default; a receiver may set a lower cap."""
    segment = GOOD.replace("a01-Rtd=1.5", ";".join(f"a{i:05d}-Rtd=1.5" for i in range(100)))
    assert len(segment) > 1024
    assert parse(frame(segment)).cp.pollutants["a00099"].rtd == Decimal("1.5")
    with pytest.raises(FrameError) as error:
        parse(frame(segment), max_length=1024)
    assert error.value.reason is Reason.TOO_LARGE


def test_unknown_crc_mode() -> None:
    with pytest.raises(ValueError, match="crc_mode"):
        parse(APPENDIX_A, crc_mode="crc32")  # type: ignore[arg-type]


# --- tolerances ----------------------------------------------------------------------------------------------------


def unpadded_segment() -> str:
    """A segment whose CRC is below 0x1000, so Java's toHexString writes fewer than 4 digits."""
    for n in range(1000):
        segment = GOOD.replace("1.5", f"{n}")
        if crc16(segment.encode()) < 0x1000:
            return segment
    raise AssertionError("no short CRC found")


@pytest.mark.parametrize(
    ("raw", "tolerances"),
    [
        (frame(GOOD, crc=f"{crc16(GOOD.encode()):04x}"), {Tolerance.CRC_LOWERCASE}),
        (frame(GOOD.replace(";ST=", ",ST=")), {Tolerance.HEADER_COMMA}),
        (frame(GOOD.replace("Flag=5;CP=", "Flag=5CP=")), {Tolerance.MISSING_SEPARATOR}),
        (frame(GOOD.replace("CP=&&", "CP=&& ").replace(";MN", "; MN")), {Tolerance.WHITESPACE}),
        (frame(GOOD.replace("a01-Rtd=1.5", "a01-Rtd =1.5 ")), {Tolerance.WHITESPACE}),
        (frame(GOOD.replace("a01-Rtd=1.5", "a01-Rtd=1.5;a01-Rtd=1.5")), {Tolerance.DUPLICATE_KEY}),
        (frame(GOOD.replace("a01-Rtd=1.5", "a01-Rtd=,a01-Flag=N")), {Tolerance.EMPTY_VALUE}),
        (frame(GOOD.replace("Flag=5", "Flag=7")), {Tolerance.SPLIT_FLAG_MISMATCH}),
        (frame(GOOD.replace("Flag=5", "Flag=5;PNUM=1;PNO=1")), {Tolerance.SPLIT_FLAG_MISMATCH}),
        (frame(GOOD.replace("1.5", "1.5;;")), set()),
        (
            frame(
                unpadded_segment(),
                crc=f"{crc16(unpadded_segment().encode()):x}",
            ),
            {Tolerance.CRC_UNPADDED},
        ),
    ],
)
def test_tolerance(raw: bytes, tolerances: set[Tolerance]) -> None:
    """What parsing still understands is accepted and recorded (notes §1, §2, §5)."""
    packet = parse(raw)
    assert set(packet.tolerances) == tolerances
    assert packet.cn == "2011"


def test_modbus_crc_in_any_mode() -> None:
    raw = frame(GOOD, crc=modbus_le(GOOD.encode()))
    assert parse(raw, crc_mode="any").tolerances == (Tolerance.CRC_MODBUS_LE,)
    assert parse(raw, crc_mode="modbus_le").tolerances == (Tolerance.CRC_MODBUS_LE,)
    with pytest.raises(FrameError):
        parse(frame(GOOD), crc_mode="modbus_le")
    assert parse(frame(GOOD), crc_mode="any").tolerances == ()


def test_unpadded_crc_needs_a_matching_crc() -> None:
    segment = unpadded_segment()
    wrong = (crc16(segment.encode()) + 1) & 0xFFF
    with pytest.raises(FrameError) as error:
        parse(frame(segment, crc=f"{wrong:x}"))
    assert error.value.reason is Reason.LENGTH_MISMATCH


# --- encode and replies -----------------------------------------------------------------------------------------


def test_encode_reproduces_a_standard_frame() -> None:
    assert encode(parse(APPENDIX_A)) == APPENDIX_A
    for name in ("realtime_2011_air_source.hj212", "minute_2051_water.hj212", "split_2061_part1.hj212"):
        raw = (FRAMES / name).read_bytes()
        assert encode(parse(raw)) == raw


def test_encode_normalises() -> None:
    """Uppercase CRC, byte length, standard header order, `;` between items and `,` inside one pollutant."""
    raw = frame(f"MN={MN};CN=2011;Flag=004;QN=1;CP=&&DataTime=20240101000000; a-Rtd=1;a-Flag=N;b-Rtd=2&&", crc=None)
    assert encode(parse(raw)) == frame(
        f"QN=1;CN=2011;MN={MN};Flag=4;CP=&&DataTime=20240101000000;a-Rtd=1,a-Flag=N;b-Rtd=2&&"
    )
    info = (FRAMES / "info_3020_char_length.hj212").read_bytes()
    assert encode(parse(info)) == (FRAMES / "info_3020_utf8.hj212").read_bytes()


def test_encode_from_fields() -> None:
    """A simulator or a test builds frames from plain values."""
    raw = encode(
        {
            "QN": "20240101000000000",
            "ST": "22",
            "CN": "2061",
            "PW": "123456",
            "MN": "AQ1",
            "Flag": 5,
            "CP": {
                "DataTime": local(2024, 1, 1),
                "a34004-Avg": Decimal("35.0"),
                "a34004-Flag": "N",
                "a21005-Avg": Decimal("1E-1"),
                "a21005-Flag": None,
            },
        }
    )
    assert raw == frame(
        "QN=20240101000000000;ST=22;CN=2061;PW=123456;MN=AQ1;Flag=5;"
        "CP=&&DataTime=20240101000000;a34004-Avg=35.0,a34004-Flag=N;a21005-Avg=0.1&&"
    )
    assert parse(raw).cp.pollutants["a21005"].avg == Decimal("0.1")
    assert encode({"CN": "2011", "MN": "M", "CP": CP((("x", "1"),))}) == frame("CN=2011;MN=M;CP=&&x=1&&")


@pytest.mark.parametrize(
    "fields",
    [
        {"CN": "2011"},
        {"MN": "M"},
        {"CN": "2011", "MN": "A;B"},
        {"CN": "2011", "MN": "A\r\n"},
        {"CN": "2011", "MN": " A"},
        {"CN": "2011", "MN": "M", "CP": {"a-Rtd": "1,2"}},
        {"CN": "2011", "MN": "M", "CP": {"a=b": "1"}},
        {"CN": "2011", "MN": "M", "CP": {"": "1"}},
        {"CN": "2011", "MN": "M", "XCP": "&&1"},
        {"CN": "2011", "MN": "M", "CP": "x"},
        {"CN": "2011", "MN": "M", "ST": {"a": "b"}},
        {"CN": "2011", "MN": "M", "CP": {"a-Rtd": "x" * 10_000}},
    ],
)
def test_encode_refuses_what_cannot_be_framed(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        encode(fields)  # type: ignore[arg-type]


def test_ack_frame_matches_the_standard_reply() -> None:
    """9014: the upload's QN, ST=91, same PW and MN, Flag=4, empty CP (HJ 212-2017 C.14; notes §3)."""
    upload = parse(frame(f"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN={MN};Flag=5;CP=&&&&"))
    expected = f"##0087QN=20160801085857223;ST=91;CN=9014;PW=123456;MN={MN};Flag=4;CP=&&&&3240\r\n".encode()
    assert ack_frame(upload, local(2024, 1, 1)) == expected


def test_ack_frame_for_split_parts_and_2025() -> None:
    part = read("split_2061_part2.hj212")
    assert ack_frame(part, local(2024, 1, 1)) == frame(
        f"QN=20240315090000535;ST=91;CN=9014;PW=123456;MN={MN};Flag=4;CP=&&&&"
    )
    heartbeat = read("heartbeat_9015_2025.hj212")
    assert parse(ack_frame(heartbeat, local(2026, 1, 5))).flag == 8


def test_ack_frame_without_qn_and_in_2005_style() -> None:
    """A 2005-style upload has no QN: the reply gets one from `now`; the 2005 style names QN and CN in CP."""
    legacy = parse(frame(f"ST=32;CN=2051;PW=123456;MN={MN};Flag=1;CP=&&&&"))
    now = local(2024, 3, 15, 10, 30, 5, 123_456)
    assert parse(ack_frame(legacy, now)).qn == "20240315103005123"
    upload = parse(frame(f"QN=20040516010101001;ST=32;CN=2051;PW=123456;MN={MN};Flag=1;CP=&&&&"))
    reply = parse(ack_frame(upload, now, style="2005"))
    assert (reply.qn, reply.st, reply.cn, reply.flag) == ("20240315103005123", "91", "9014", 0)
    assert reply.cp.items == {"QN": "20040516010101001", "CN": "2051"}


def test_heartbeat_and_notice_replies() -> None:
    """9015 (2025, unverified) and 1013 are answered with 9013 echoing the QN."""
    now = local(2026, 1, 5, 12)
    reply = parse(heartbeat_reply(read("heartbeat_9015_2025.hj212"), now))
    assert (reply.qn, reply.st, reply.cn, reply.flag, reply.cp.fields) == ("20260105120000001", "91", "9013", 8, ())
    notice = parse(frame(f"QN=20160801085857223;ST=32;CN=1013;PW=123456;MN={MN};Flag=5;CP=&&PolId=w01018&&"))
    assert parse(notice_reply(notice, now)).cn == "9013"


def test_answer_and_result_frames() -> None:
    """9011 with QnRtn and 9012 with ExeRtn (HJ 212-2017 Tables 6 and 7, C.2/C.3)."""
    request = parse(frame(f"QN=20160801085857223;ST=32;CN=1000;PW=123456;MN={MN};Flag=5;CP=&&OverTime=5;ReCount=3&&"))
    assert answer_frame(request, QnRtn.READY) == frame(
        f"QN=20160801085857223;ST=91;CN=9011;PW=123456;MN={MN};Flag=4;CP=&&QnRtn=1&&"
    )
    assert parse(answer_frame(request, QnRtn.PW_ERROR)).cp.items == {"QnRtn": "3"}
    assert result_frame(request, 1) == frame(
        f"QN=20160801085857223;ST=91;CN=9012;PW=123456;MN={MN};Flag=4;CP=&&ExeRtn=1&&"
    )


# --- fuzz ------------------------------------------------------------------------------------------------------------

SEEDS = [
    APPENDIX_A,
    *(p.read_bytes() for p in sorted(FRAMES.glob("*.hj212"))),
    frame(GOOD),
]
ALPHABET = b"#;,=&-.0123456789CPNQMSTFlagRtdAvg \r\n\xe6\xb8\x85\xff\x00"


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "duplicate"]))
        if action == "flip" and where < len(data):
            data[where] = draw(st.sampled_from(ALPHABET))
        elif action == "insert":
            data[where:where] = draw(st.binary(max_size=4)) + bytes([draw(st.sampled_from(ALPHABET))])
        elif action == "delete":
            del data[where : where + draw(st.integers(1, 8))]
        else:
            data[where:where] = data[max(0, where - 10) : where]
    return bytes(data)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=300), mutated()))
def test_fuzz_parse_raises_only_frame_error(raw: bytes) -> None:
    """Random and mutated frames: parse returns a Packet or raises FrameError, nothing else."""
    for mode in MODES:
        with contextlib.suppress(FrameError):
            parse(raw, crc_mode=mode)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fuzz_reframed_segments_round_trip(raw: bytes) -> None:
    """Mutated segments re-framed with a correct length and CRC reach the field parser: a FrameError, or a
    packet that survives encode → parse unchanged."""
    body = raw.removesuffix(b"\r\n")
    reframed = frame(body[6:-4])
    try:
        packet = parse(reframed)
    except FrameError:
        return
    assert same_content(parse(encode(packet)), packet)
