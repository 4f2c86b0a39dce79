"""Reassembly of split HJ 212 messages (PNUM/PNO; HJ 212-2017 C.49/C.50)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ecoloop.ingest.hj212 import Packet, Reassembler, Tolerance, combine, crc16, parse

FRAMES = Path(__file__).resolve().parents[1] / "frames"
PART1 = parse((FRAMES / "split_2061_part1.hj212").read_bytes())
PART2 = parse((FRAMES / "split_2061_part2.hj212").read_bytes())
T0 = datetime(2024, 3, 15, 9)  # noqa: DTZ001 - the reassembler compares times only with each other


def packet(segment: str) -> Packet:
    data = segment.encode()
    return parse(b"##%04d%s%04X\r\n" % (len(data), data, crc16(data)))


def part(pno: int, pnum: int, cp: str, *, mn: str = "M1", data_time: str = "20240315080000") -> Packet:
    return packet(
        f"QN=2024031509000{pno:04d};ST=32;CN=2061;MN={mn};Flag=7;PNUM={pnum};PNO={pno};CP=&&DataTime={data_time};{cp}&&"
    )


def test_two_parts_in_either_order() -> None:
    """Parts with their own QN and a repeated DataTime combine into one packet, CP in PNO order."""
    for first, second in ((PART1, PART2), (PART2, PART1)):
        parts = Reassembler()
        assert parts.add(first, T0) is None
        assert len(parts) == 1
        whole = parts.add(second, T0 + timedelta(seconds=1))
        assert whole is not None
        assert len(parts) == 0
        assert (whole.qn, whole.pnum, whole.pno, whole.flag, whole.is_split, whole.needs_ack) == (
            PART1.qn,
            None,
            None,
            5,
            False,
            True,
        )
        assert list(whole.cp.pollutants) == ["w00000", "w01001", "w01018"]
        assert whole.cp.pollutants["w01018"].cou == Decimal("63.0")
        assert [k for k, _ in whole.cp.fields].count("DataTime") == 1
        assert whole.cp.data_time == PART1.cp.data_time
        assert whole.raw_segment == PART1.raw_segment + b"\n" + PART2.raw_segment


def test_unsplit_packets_pass_through() -> None:
    parts = Reassembler()
    single = parse((FRAMES / "appendix_a_1062.hj212").read_bytes())
    assert parts.add(single, T0) is single
    one_of_one = part(1, 1, "a-Rtd=1")
    assert parts.add(one_of_one, T0) is one_of_one
    assert len(parts) == 0


def test_repeated_part_is_ignored() -> None:
    """A retransmitted part (the ack was late) does not complete or corrupt the message."""
    parts = Reassembler()
    first = part(1, 3, "a-Rtd=1")
    assert parts.add(first, T0) is None
    assert parts.add(first, T0) is None
    assert parts.add(part(2, 3, "b-Rtd=2"), T0) is None
    whole = parts.add(part(3, 3, "c-Rtd=3"), T0)
    assert whole is not None
    assert [k for k, _ in whole.cp.fields] == ["DataTime", "a-Rtd", "b-Rtd", "c-Rtd"]


def test_groups_are_kept_apart_by_device_and_data_time() -> None:
    parts = Reassembler()
    assert parts.add(part(1, 2, "a-Rtd=1"), T0) is None
    assert parts.add(part(2, 2, "b-Rtd=2", mn="M2"), T0) is None
    assert parts.add(part(2, 2, "b-Rtd=2", data_time="20240315090000"), T0) is None
    assert len(parts) == 3
    whole = parts.add(part(2, 2, "b-Rtd=9"), T0)
    assert whole is not None
    assert whole.cp.pollutants["b"].rtd == Decimal(9)


def test_timeout() -> None:
    parts = Reassembler(timeout=timedelta(minutes=2))
    parts.add(part(1, 3, "a-Rtd=1"), T0)
    parts.add(part(3, 3, "c-Rtd=3"), T0 + timedelta(minutes=1))
    assert parts.expire(T0 + timedelta(seconds=119)) == []
    (given_up,) = parts.expire(T0 + timedelta(minutes=2))
    assert (given_up.reason, given_up.missing, [p.pno for p in given_up.parts]) == ("timeout", (2,), [1, 3])
    assert given_up.key == ("M1", "2061", 3, "20240315080000")
    assert len(parts) == 0
    assert parts.expire(T0 + timedelta(hours=1)) == []


def test_bounded_number_of_groups() -> None:
    """The oldest groups are evicted; at most max_groups reports wait for `expire`."""
    parts = Reassembler(max_groups=3)
    for i in range(10):
        assert parts.add(part(1, 2, "a-Rtd=1", mn=f"M{i}"), T0) is None
        assert len(parts) <= 3
    given_up = parts.expire(T0)
    assert [(g.key[0], g.reason, g.missing) for g in given_up] == [(f"M{i}", "evicted", (2,)) for i in (4, 5, 6)]
    assert parts.add(part(2, 2, "b-Rtd=2", mn="M9"), T0) is not None


def test_bounded_bytes_and_parts() -> None:
    one = part(1, 2, "a-Rtd=1", mn="A")
    parts = Reassembler(max_bytes=2 * len(one.raw_segment), max_parts=4)
    parts.add(one, T0)
    parts.add(part(1, 2, "a-Rtd=1", mn="B"), T0)
    parts.add(part(1, 2, "a-Rtd=1", mn="C"), T0)
    assert len(parts) == 2
    assert parts.add(part(1, 5, "a-Rtd=1", mn="D"), T0) is None
    reasons = [g.reason for g in parts.expire(T0)]
    assert "evicted" in reasons
    assert "too_many_parts" in reasons


def test_conflicting_parts_are_given_up() -> None:
    parts = Reassembler()
    parts.add(part(1, 2, "a-Rtd=1"), T0)
    assert parts.add(part(2, 2, "a-Rtd=2"), T0) is None
    (given_up,) = parts.expire(T0)
    assert given_up.reason == "conflict"
    assert given_up.missing == ()


def test_combine_keeps_tolerances() -> None:
    spaced = part(2, 2, " b-Rtd=2")
    whole = combine([spaced, part(1, 2, "a-Rtd=1")])
    assert [k for k, _ in whole.cp.fields] == ["DataTime", "a-Rtd", "b-Rtd"]
    assert Tolerance.WHITESPACE in whole.tolerances
