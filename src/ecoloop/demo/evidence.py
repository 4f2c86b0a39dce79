"""Evidence files of the demo cases: a site photo stand-in (PNG) and a rectification report (PDF), written without
an imaging or PDF library, the same bytes for the same case and day."""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Sequence
from datetime import date

from ecoloop.cases.models import Case


def evidence_png(seed: str, width: int = 160, height: int = 120) -> bytes:
    """A small site photo stand-in: sky, ground and a building, in colours drawn from `seed` (PNG, RGB)."""
    rng = random.Random(seed)
    sky = bytes((rng.randint(140, 200), rng.randint(180, 225), rng.randint(225, 250)))
    ground = bytes((rng.randint(80, 140), rng.randint(110, 160), rng.randint(50, 90)))
    wall = bytes((rng.randint(150, 210),) * 3)
    horizon, left, top = rng.randint(60, 80), rng.randint(20, 80), rng.randint(20, 45)
    raw = bytearray()
    for y in range(height):
        row = bytearray((sky if y < horizon else ground) * width)
        if top <= y < horizon + 10:
            row[3 * left : 3 * (left + 60)] = wall * 60
        raw += b"\x00" + row  # filter type 0 (none)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


def evidence_pdf(lines: Sequence[str]) -> bytes:
    """A one-page report with `lines` in the Adobe-GB1 font readers supply themselves (STSong-Light)."""
    text = ["BT", "/F1 16 Tf", "24 TL", "72 760 Td"]
    for number, line in enumerate(lines):
        if number == 1:
            text.append("/F1 11 Tf")
        text.append(f"<{line.encode('utf-16-be').hex().upper()}> Tj T*")
    stream = "\n".join([*text, "ET"]).encode("ascii")
    objects = (
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%b\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R /DW 1000 >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 "
        b"/Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%b\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n" % (len(objects) + 1, xref) + b"%%EOF\n"
    return bytes(out)


def evidence_files(case: Case, day: date) -> list[tuple[str, bytes]]:
    """Rectification evidence of a case reported on `day`: a site photo and the rectification report."""
    report = evidence_pdf(
        ["整改情况报告", f"案件编号：{case.number}", f"问题：{case.title[:36]}", f"整改完成日期：{day.isoformat()}",
         "整改措施已落实到位，现场照片见附件。"]
    )  # fmt: skip
    return [("现场照片（整改后）.png", evidence_png(f"{case.number}-{day}")), ("整改情况报告.pdf", report)]
