"""The strict fast path: it takes standard uploads, and whatever it takes it reads exactly as the general parser
and `convert.readings_of` do; everything else it leaves to them."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecoloop.demo.simulator.profiles import Profile, SimDevice, Uploads
from ecoloop.ingest.convert import readings_of, upload_rows
from ecoloop.ingest.hj212 import FrameError, Tolerance, ack_frame, encode, parse
from ecoloop.ingest.hj212.fast import ack, upload
from ecoloop.readings.vocabulary import reading_row
from tests.ingest.hj212.test_codec import FRAMES, SAMPLES, SEGMENTS, frame, shared

TZ = ZoneInfo("Asia/Shanghai")
RECEIVED = 1_795_000_000_000
NOW = datetime(2026, 11, 22, 8, 30, tzinfo=TZ)


def general_rows(data: bytes) -> list[tuple[object, ...]] | None:
    """What the receiver's general path stores for a frame, or None when it stores nothing."""
    try:
        packet = parse(data, crc_mode="any")
        return [reading_row(r, RECEIVED) for r in readings_of(packet, 7, TZ)]
    except FrameError:
        return None


def assert_same_as_general(data: bytes) -> bool:
    """If the fast path takes `data`, the general path reads the same header and readings; whether it took it."""
    fast = upload(data)
    if fast is None:
        return False
    packet = parse(data, crc_mode="any")
    assert packet.tolerances == ()
    assert (fast.qn, fast.st, fast.cn, fast.pw, fast.mn, fast.flag) == (
        packet.qn,
        packet.st,
        packet.cn,
        packet.pw,
        packet.mn,
        packet.flag,
    )
    assert fast.segment == packet.raw_segment
    assert upload_rows(fast, 7, TZ, RECEIVED) == general_rows(data)
    reply = ack(fast)
    if reply is not None:
        assert reply == ack_frame(packet, NOW)
    return True


def upload_frame(cn: str = "2061", flag: int | None = 5, cp: dict[str, str] | None = None) -> bytes:
    values = cp or {"a34004-Avg": "35.2", "a34004-Flag": "N", "a21026-Min": "6.0", "a21026-Avg": "8.5"}
    header = {"QN": "20261122080000123", "ST": "22", "CN": cn, "PW": "100000", "MN": "010000A8900016F000169DC0"}
    return encode({**header, "Flag": flag, "CP": {"DataTime": "20261122080000", **values}})


@pytest.mark.parametrize("cn", ["2011", "2051", "2061", "2031"])
def test_standard_uploads_take_the_fast_path(cn: str) -> None:
    cp = {
        "a34004-Rtd": "36",
        "a34004-Avg": "35.2",
        "a34004-ZsAvg": "40.1",
        "a34004-ZsRtd": "41",
        "a34004-Min": "30",
        "a34004-Max": "41.5",
        "a34004-Cou": "1.2e3",
        "a34004-Flag": "N",
        "w01018-SampleTime": "20261122075500",
        "w01018-Avg": "-.5",
        "w01018-Flag": "",
        "a01011-Rtd": "12",
        "RtdInterval": "30",
    }
    data = upload_frame(cn, cp=cp)
    assert assert_same_as_general(data)
    assert [p for p, _, _ in upload(data).values] == (  # type: ignore[union-attr]
        ["a34004", "a34004-Zs", "a34004-Min", "a34004-Max", "a34004-Cou"]
        + (["a01011"] if cn == "2011" else ["w01018", "a01011"])
    )


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (upload_frame().replace(b"\r\n", b""), "no CRLF"),
        (upload_frame()[:-6] + upload_frame()[-6:-2].lower() + b"\r\n", "lowercase CRC"),
        (upload_frame(flag=7), "split bit without PNUM/PNO"),
        (upload_frame(cn="9015"), "not a data upload"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000000;a-Avg=1&&"), "17-digit time"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;PNUM=2;PNO=1;Flag=7;CP=&&DataTime=20261122080000;a-Avg=1&&"), "split"),
        (frame("QN=1,ST=22,CN=2061,PW=1,MN=M,Flag=5;CP=&&DataTime=20261122080000;a-Avg=1&&"), "commas in header"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg= 1&&"), "space"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=&&"), "empty value"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=1;a-Avg=1&&"), "repeated"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=1x&&"), "not a number"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=١&&"), "non-ASCII"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;X=1;CP=&&DataTime=20261122080000;a-Avg=1&&"), "extra header"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261131080000;a-Avg=1&&"), "no such day"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&a-Avg=1&&"), "no DataTime"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;-Avg=1&&"), "no code"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=1&&", length=99), "length"),
        (frame("QN=1,ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=1&&"), "comma in a field"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M\x01;Flag=5;CP=&&DataTime=20261122080000;a-Avg=1&&"), "control char"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=1.2.3&&"), "two points"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=inf&&"), "infinity"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=1e1234&&"), "long exponent"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=1,a-Rtd=x&&"), "unread Rtd"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=1=2&&"), "two = in an item"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;;a-Avg=1&&"), "empty CP item"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=1;a-Avg=1&&"), "repeated key"),
        (frame("QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&&"), "CP without items"),
        (b"##0000FFFF\r\n", "empty data segment"),
    ],
)
def test_anything_irregular_goes_to_the_general_parser(data: bytes, why: str) -> None:
    assert upload(data) is None, why


def test_a_comma_in_one_header_field_is_left_to_the_general_parser() -> None:
    """`QN=1,ST=22` is two fields to `parse`, which records the comma; it is not a QN of "1,ST=22"."""
    data = frame("QN=1,ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;a-Avg=1&&")
    assert upload(data) is None
    assert (parse(data).qn, parse(data).st, parse(data).tolerances) == ("1", "22", (Tolerance.HEADER_COMMA,))


@pytest.mark.parametrize(
    "header",
    [
        "ST=22;MN=M;CN=2061;QN=1;Flag=5;PW=1",  # any order
        "QN=1;ST=22;CN=2061;MN=M;Flag=5",  # no PW
        "QN=1;ST=22;CN=2061;PW=1;MN=M",  # no Flag
        "QN=1;ST=22;CN=2061;PW=a=b;MN=M;Flag=005",  # `=` in a value, Flag with leading zeros
    ],
)
def test_other_standard_headers_take_the_fast_path(header: str) -> None:
    data = frame(f"{header};CP=&&DataTime=20261122080000;a-Avg=1.5,a-Flag=N;b-Avg=-2e1&&")
    assert assert_same_as_general(data)
    assert upload(data).values == [("a", 1.5, "N"), ("b", -20.0, None)]  # type: ignore[union-attr]


@pytest.mark.parametrize("profile", [Profile.GAS_OUTLET, Profile.WATER_OUTLET, Profile.WATER_STATION, Profile.NOISE])
def test_simulator_uploads_take_the_fast_path(profile: Profile) -> None:
    """Real-time, minute, hourly and daily uploads of the simulated loggers, around midnight."""
    uploads = Uploads(SimDevice("SIM0000000001", "123456", profile), datetime(2026, 3, 1, 23, 50))  # noqa: DTZ001
    sent = list(itertools.islice(uploads, 60))
    assert {data[:60].split(b"CN=")[1][:4] for _, _, data in sent} == {b"2011", b"2051", b"2061", b"2031"}
    assert all(assert_same_as_general(data) for _, _, data in sent)


def test_more_cp_layouts_than_are_remembered() -> None:
    """Layouts are remembered by CP keys up to a bound; past it they are read afresh, with the same result."""
    for n in range(5000):
        data = frame(f"QN=1;ST=22;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20261122080000;p{n}-Avg={n}&&")
        assert upload(data).values == [(f"p{n}", float(n), None)]  # type: ignore[union-attr]


def test_ack_matches_ack_frame_and_is_left_to_it_for_2005_loggers() -> None:
    for flag in (5, 9, 4 | 1, 0b11111101):
        fast = upload(upload_frame(flag=flag))
        assert fast is not None
        assert ack(fast) == ack_frame(parse(upload_frame(flag=flag)), NOW)
    assert ack(upload(upload_frame(flag=4))) is None  # type: ignore[arg-type]  # A=0: no acknowledgement
    assert ack(upload(upload_frame(flag=1))) is None  # type: ignore[arg-type]  # 2005 version bits
    assert ack(upload(upload_frame(flag=None))) is None  # type: ignore[arg-type]


def test_repository_frames_agree_with_the_general_path() -> None:
    taken = [assert_same_as_general(path.read_bytes()) for path in sorted(FRAMES.glob("*.hj212"))]
    assert any(taken)


def test_public_sample_packets_agree_with_the_general_path() -> None:
    shared("hj212_packets.txt")
    taken = [assert_same_as_general(sample.frame + b"\r\n") for sample in SAMPLES]
    assert sum(taken) >= 5


def test_appendix_c_segments_agree_with_the_general_path() -> None:
    shared("hj212_std2017_segments.txt")
    taken = [assert_same_as_general(frame(segment.text)) for segment in SEGMENTS if not segment.ellipsis]
    assert sum(taken) >= 2  # most of Appendix C are requests and answers, not data uploads


_KEYS = st.sampled_from(["a34004", "a21026", "w01018", "a01011", "x-y", "DataTime", "RtdInterval", ""])
_SUFFIXES = st.sampled_from(
    ["Rtd", "Avg", "Min", "Max", "Cou", "ZsRtd", "ZsAvg", "ZsMin", "ZsMax", "Data", "Flag", "EFlag"]
)
_VALUES = st.sampled_from(["1", "35.2", "-0.5", ".5", "1e3", "N", "", "20261122080000", "x", "1 ", "D"])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    cn=st.sampled_from(["2011", "2051", "2061", "2031", "2081"]),
    flag=st.sampled_from([None, 0, 1, 4, 5, 7, 9]),
    items=st.lists(st.tuples(_KEYS, st.one_of(st.none(), _SUFFIXES), _VALUES), max_size=10),
    separators=st.lists(st.sampled_from([";", ","]), min_size=10, max_size=10),
)
def test_generated_uploads_agree_with_the_general_path(
    cn: str, flag: int | None, items: list[tuple[str, str | None, str]], separators: list[str]
) -> None:
    cp = "DataTime=20261122080000"
    for (key, suffix, value), separator in zip(items, separators, strict=False):
        cp += separator + (key if suffix is None else f"{key}-{suffix}") + "=" + value
    flag_text = "" if flag is None else f";Flag={flag}"
    assert_same_as_general(frame(f"QN=20261122080000123;ST=22;CN={cn};PW=1;MN=M{flag_text};CP=&&{cp}&&"))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(position=st.integers(min_value=0, max_value=400), byte=st.integers(min_value=0, max_value=255))
def test_mutated_frames_are_taken_only_when_the_general_path_agrees(position: int, byte: int) -> None:
    original = upload_frame()
    data = bytearray(original)
    data[position % len(data)] = byte
    assert_same_as_general(bytes(data))


def test_noise_quantities_are_read_from_their_data_fields_on_both_paths() -> None:
    """HJ 212-2017 Appendix C: a noise station's hourly upload carries `Leq-Data=…` (no Avg, no Flag); each
    quantity is stored as its hourly value, by the fast path as by the general one."""
    raw = (FRAMES / "hourly_2061_noise.hj212").read_bytes()
    assert assert_same_as_general(raw)
    rows = general_rows(raw)
    assert rows is not None
    values = {row[1]: row[4] for row in rows}
    assert values == {
        "L5": 52.3,
        "L10": 50.1,
        "L50": 46.2,
        "L90": 42.0,
        "L95": 41.3,
        "Leq": 47.6,
        "LMx": 63.9,
        "LMn": 39.8,
    }
    assert {row[2] for row in rows} == {"hour"}


def test_the_standards_own_noise_uploads_are_stored() -> None:
    """The minute, hourly and daily noise examples of HJ 212-2017 Appendix C; the daily one's DayData and NightData
    are stored as statistics of their quantity (`Ld-DayData`, `LMx-NightData`), by the fast path as by the general
    one."""
    shared("hj212_std2017_segments.txt")
    noise = [s for s in SEGMENTS if ";ST=23;" in s.text and "-Data=" in s.text and not s.ellipsis]
    assert len(noise) == 3
    for segment in noise:
        rows = general_rows(frame(segment.text))
        assert rows is not None
        values = {row[1]: row[4] for row in rows}
        assert values["LMx"] == 54.0 and values["LMn"] == 42.0
        assert values.get("Leq", values.get("Ldn")) == 50.0
        if ";CN=2031;" in segment.text:
            assert (values["Ld-DayData"], values["Ln-NightData"], values["LMx-NightData"]) == (52.5, 52.5, 54.0)
            assert (values["L90-DayData"], values["L95-NightData"]) == (51.0, 49.0)
            assert {row[2] for row in rows} == {"day"}


def test_a_noise_stations_data_values_are_its_readings() -> None:
    """Noise stations send their period values as `X-Data` (HJ 212-2017 Table B.3): stored like an average; a day
    value `X-DayData` as the statistic `X-DayData`."""
    data = frame(
        "QN=20261122080000123;ST=23;CN=2061;PW=1;MN=M;Flag=5;"
        "CP=&&DataTime=20261122070000;Leq-Data=47.3;L90-Data=41.0;Ld-DayData=55.1&&"
    )
    assert assert_same_as_general(data)
    expected = [("Leq", 47.3, None), ("L90", 41.0, None), ("Ld-DayData", 55.1, None)]
    assert upload(data).values == expected  # type: ignore[union-attr]
    rows = general_rows(data)
    assert rows is not None
    assert [(r[1], r[2], r[4]) for r in rows] == [
        ("Leq", "hour", 47.3),
        ("L90", "hour", 41.0),
        ("Ld-DayData", "hour", 55.1),
    ]
