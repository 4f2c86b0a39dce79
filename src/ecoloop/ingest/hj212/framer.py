"""Incremental HJ 212 framing of a TCP byte stream (HJ 212-2017 §6.3.1 Table 2): frames split across reads (半包),
several frames in one read (粘包), and whatever else arrives on the port.

A frame starts at `##` followed by 4 digits and ends at its CRLF. The length field finds the end when it is right;
otherwise the first LF does, so a frame with a wrong length is still delivered and `parse` rejects it with
`length_mismatch`. Bytes that cannot be a frame (text or binary noise such as Modbus/TCP, fragments that lost their
`##`, a frame cut short by the next `##`, a line longer than `max_frame`) come out as `Garbage` with a reason, and
framing resynchronises on the next `##`. Pure: no I/O; never holds more than `max_frame` bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecoloop.ingest.hj212.codec import MAX_LENGTH
from ecoloop.readings.reasons import Reason

# `##` + 4-digit length + the longest data segment + CRC + CRLF.
MAX_FRAME = 6 + MAX_LENGTH + 4 + 2
_LF = 0x0A
_CR = 0x0D


@dataclass(frozen=True)
class Garbage:
    """Received bytes that are not a frame, and why (`bad_header`, `bad_length`, `missing_crlf`, `too_large`).

    `data` keeps at most `max_frame` bytes as evidence; `dropped` counts further bytes of the same run that
    were discarded unseen, so `len(data) + dropped` is the number of bytes this event stands for.
    """

    data: bytes
    reason: Reason
    dropped: int = 0


FrameEvent = bytes | Garbage


def _is_digits(chunk: bytes | bytearray) -> bool:
    return all(0x30 <= b <= 0x39 for b in chunk)


def _find_start(buf: bytearray, pos: int, end: int, *, partial: bool) -> int:
    """The first `##dddd` in buf[pos:end]; with `partial`, also a prefix of one cut off by `end`; else -1."""
    while True:
        i = buf.find(b"##", pos, end)
        if i < 0:
            if partial and end > pos and buf[end - 1] == 0x23:  # a lone `#` may begin the next frame
                return end - 1
            return -1
        head = buf[i + 2 : min(i + 6, end)]
        if _is_digits(head) and (len(head) == 4 or (partial and i + 2 + len(head) == end)):
            return i
        pos = i + 1


def _reason(buf: bytearray, pos: int) -> Reason:
    """Why the bytes at buf[pos:] are not a frame, judged by how they start."""
    if not buf.startswith(b"##", pos):
        return Reason.BAD_HEADER
    if _is_digits(buf[pos + 2 : pos + 6]):
        return Reason.MISSING_CRLF  # a frame start whose end never came
    return Reason.BAD_LENGTH  # `##` without 4 digits after it


class Framer:
    """Cuts one connection's byte stream into frames and `Garbage` (HJ 212-2017 §6.3.1).

    `feed` returns the events completed by the new bytes, in stream order; `flush` reports whatever is left
    when the connection closes. Every byte fed is accounted for exactly once: in a frame, in a Garbage event,
    or in `pending`.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        if max_frame < 12:
            raise ValueError("max_frame must hold at least an empty frame (12 bytes)")
        self.max_frame = max_frame
        self._buf = bytearray()
        self._discarding = False
        self._dropped = 0

    @property
    def pending(self) -> int:
        """Bytes held while waiting for the rest of a frame or garbage run (always below `max_frame`)."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[FrameEvent]:
        """The frames and Garbage completed by `data`, which may hold any part of any number of frames."""
        if (  # the usual read: one whole frame, as a logger sends one and waits for its answer
            not self._buf
            and not self._discarding
            and len(data) <= self.max_frame
            and data.startswith(b"##")
            and data.find(b"\n", 6) == len(data) - 1
            and data[-2] == _CR
            and data[2:6].isdigit()  # ASCII digits only, for bytes
            and int(data[2:6]) + 12 == len(data)
        ):
            return [bytes(data)]  # what `_frame` delivers for it, without the buffer's copies
        events: list[FrameEvent] = []
        view = memoryview(data)
        offset = 0
        while offset < len(view):
            # Top up to max_frame bytes at most, so a huge read never makes the buffer grow beyond it. `_drain`
            # always leaves fewer than max_frame bytes, so `take` is positive.
            take = self.max_frame - len(self._buf)
            self._buf += view[offset : offset + take]
            offset += take
            self._drain(events)
        self._report_dropped(events)
        return events

    def flush(self) -> list[FrameEvent]:
        """Report the bytes still held (a frame without its CRLF, or garbage) at the end of the stream."""
        events: list[FrameEvent] = []
        self._report_dropped(events)
        if self._buf:
            if self._discarding:
                events.append(Garbage(b"", Reason.TOO_LARGE, len(self._buf)))
            else:
                events.append(Garbage(bytes(self._buf), _reason(self._buf, 0)))
        self._buf.clear()
        self._discarding = False
        return events

    def _drain(self, events: list[FrameEvent]) -> None:
        buf = self._buf
        pos = 0
        while pos < len(buf):
            if self._discarding:
                start = _find_start(buf, pos, len(buf), partial=True)
                if start < 0:
                    self._dropped += len(buf) - pos
                    pos = len(buf)
                    break
                self._dropped += start - pos
                pos = start
                if len(buf) - pos < 6:
                    break  # perhaps a frame start: keep discarding until its length field confirms it
                self._discarding = False
                self._report_dropped(events)
            start = _find_start(buf, pos, len(buf), partial=True)
            if start == pos:
                if len(buf) - pos < 6:
                    break  # the length field is still to come
                advanced = self._frame(buf, pos, events)
            else:
                advanced = self._garbage(buf, pos, start, events)
            if advanced == pos:
                break  # waiting for more bytes
            pos = advanced
        del buf[:pos]

    def _frame(self, buf: bytearray, pos: int, events: list[FrameEvent]) -> int:
        """Handle the candidate frame at buf[pos:] (it starts with `##dddd`); the position after it, or `pos`."""
        expected = int(buf[pos + 2 : pos + 6]) + 12
        limit = min(len(buf), pos + self.max_frame)
        lf = buf.find(b"\n", pos + 6, limit)
        if lf >= 0:
            end = lf + 1
            if end - pos == expected and buf[lf - 1] == _CR:
                events.append(bytes(buf[pos:end]))  # length and CRLF agree
                return end
            inner = _find_start(buf, pos + 2, lf, partial=False)
            if inner >= 0:
                # A frame cut short (its CRLF never came) and the next one began.
                events.append(Garbage(bytes(buf[pos:inner]), Reason.MISSING_CRLF))
                return inner
            if buf[lf - 1] == _CR:
                events.append(bytes(buf[pos:end]))  # wrong length: `parse` says length_mismatch
            else:
                events.append(Garbage(bytes(buf[pos:end]), Reason.MISSING_CRLF))
            return end
        full = limit - pos >= self.max_frame
        inner = _find_start(buf, pos + 2, limit, partial=False)
        if inner >= 0 and (pos + expected - 2 <= inner or full):
            # The length says the frame (without CRLF) ended before the next `##`: its CRLF is missing.
            events.append(Garbage(bytes(buf[pos:inner]), Reason.MISSING_CRLF))
            return inner
        if full:
            return self._overflow(buf, pos, events)
        return pos

    def _garbage(self, buf: bytearray, pos: int, start: int, events: list[FrameEvent]) -> int:
        """Report bytes at buf[pos:] that cannot begin a frame, up to a LF or the next frame start."""
        end = start if start >= 0 else len(buf)
        lf = buf.find(b"\n", pos, end)
        if lf >= 0:
            events.append(Garbage(bytes(buf[pos : lf + 1]), _reason(buf, pos)))
            return lf + 1
        if start >= 0:
            events.append(Garbage(bytes(buf[pos:start]), _reason(buf, pos)))
            return start
        if len(buf) - pos >= self.max_frame:
            return self._overflow(buf, pos, events)
        return pos

    def _overflow(self, buf: bytearray, pos: int, events: list[FrameEvent]) -> int:
        """More than max_frame bytes without an end: report them and discard until the next `##`."""
        end = pos + self.max_frame
        events.append(Garbage(bytes(buf[pos:end]), Reason.TOO_LARGE))
        self._discarding = True
        return end

    def _report_dropped(self, events: list[FrameEvent]) -> None:
        if self._dropped:
            events.append(Garbage(b"", Reason.TOO_LARGE, self._dropped))
            self._dropped = 0
