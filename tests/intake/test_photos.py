"""Photos from the public: the type by content, size and pixel limits, metadata removed (EXIF GPS, the camera's
serial number, comments, XMP, PNG text), the photo upright, kept once per content."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from ecoloop.intake import photos
from ecoloop.intake.photos import MAX_PHOTO_BYTES, PhotoError

SERIAL = "SN-4C0FFEE-7781"
OWNER = "Zhang San 13812345678"
GPS_IFD, EXIF_IFD = 0x8825, 0x8769


def _exif() -> Image.Exif:
    """EXIF as a phone writes it: position, camera make and model, its serial number and owner, orientation."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned; the pixels must be turned 90° clockwise to stand
    exif[0x010F] = "Acme"
    exif[0x0110] = "Phone X"
    exif[0x013B] = OWNER  # Artist
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (39.0, 54.0, 27.0), "E", (116.0, 23.0, 50.0)
    exif.get_ifd(EXIF_IFD)[0xA431] = SERIAL  # BodySerialNumber
    exif.get_ifd(EXIF_IFD)[0xA430] = OWNER  # CameraOwnerName
    return exif


def _picture() -> Image.Image:
    """64 x 32, left half red, right half blue, so that turning it shows."""
    image = Image.new("RGB", (64, 32), (220, 20, 20))
    image.paste((20, 20, 220), (32, 0, 64, 32))
    return image


def jpeg() -> bytes:
    out = io.BytesIO()
    xmp = f"<x:xmpmeta><rdf:Description dc:creator='{OWNER}'/></x:xmpmeta>".encode()
    _picture().save(out, "JPEG", exif=_exif().tobytes(), comment=OWNER.encode(), xmp=xmp, quality=95)
    return out.getvalue()


def png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", OWNER)
    info.add_itxt("Comment", OWNER)
    out = io.BytesIO()
    _picture().save(out, "PNG", pnginfo=info, exif=_exif().tobytes())
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    _picture().save(out, "WEBP", exif=_exif().tobytes(), xmp=OWNER.encode())
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "declared", "content_type"),
    [(jpeg, "image/jpeg", "image/jpeg"), (png, "image/png", "image/png"), (webp, "image/webp", "image/webp")],
)
def test_metadata_that_identifies_the_sender_is_removed(make: object, declared: str, content_type: str) -> None:
    sent = make()  # type: ignore[operator]
    assert SERIAL.encode() in sent and OWNER.encode() in sent  # the planted metadata is there to be removed

    photo = photos.accept(sent, declared, MAX_PHOTO_BYTES)

    assert photo.content_type == content_type
    for planted in (SERIAL.encode(), OWNER.encode(), b"Acme", b"Phone X", b"Exif\x00\x00", b"eXIf", b"tEXt", b"iTXt"):
        assert planted not in photo.content
    with Image.open(io.BytesIO(photo.content)) as kept:
        assert dict(kept.getexif()) == {}
        assert kept.getexif().get_ifd(GPS_IFD) == {}
        assert not {"exif", "xmp", "comment", "Author", "Comment"} & set(kept.info)
        # Standing as taken: orientation 6 turned the 64 x 32 picture into 32 x 64, red on top.
        assert kept.size == (32, 64)
        top, bottom = kept.convert("RGB").getpixel((16, 8)), kept.convert("RGB").getpixel((16, 56))
        assert isinstance(top, tuple) and isinstance(bottom, tuple)
        assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]
    assert photo.sha256 == __import__("hashlib").sha256(photo.content).hexdigest()


@pytest.mark.parametrize(
    ("content", "declared"),
    [
        (b"GIF89a" + b"\x00" * 100, "image/gif"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"),
        (b"<html><body>hi</body></html>", "image/jpeg"),  # declared a photo, is a page
        (b"%PDF-1.7\n", "application/pdf"),
        (b"BM" + b"\x00" * 100, "image/bmp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "image/webp"),  # a RIFF that is not WebP
        (b"", "image/jpeg"),
    ],
)
def test_other_types_are_refused_by_their_content(content: bytes, declared: str) -> None:
    with pytest.raises(PhotoError) as caught:
        photos.accept(content, declared, MAX_PHOTO_BYTES)
    assert caught.value.code == "type"


def test_a_photo_declared_as_something_else_than_an_image_is_refused() -> None:
    with pytest.raises(PhotoError) as caught:
        photos.accept(jpeg(), "text/html", MAX_PHOTO_BYTES)
    assert caught.value.code == "type"
    # A client that does not know the type may say so; the content decides.
    assert photos.accept(png(), "application/octet-stream", MAX_PHOTO_BYTES).content_type == "image/png"
    assert photos.accept(jpeg(), "", MAX_PHOTO_BYTES).content_type == "image/jpeg"
    assert photos.accept(jpeg(), "image/png", MAX_PHOTO_BYTES).content_type == "image/jpeg"


def test_a_photo_over_the_size_is_refused_before_it_is_decoded() -> None:
    sent = jpeg()
    with pytest.raises(PhotoError) as caught:
        photos.accept(sent, "image/jpeg", len(sent) - 1)
    assert caught.value.code == "size"
    assert photos.accept(sent, "image/jpeg", len(sent)).content_type == "image/jpeg"
    assert photos.MAX_PHOTO_BYTES == 5 * 1024 * 1024 and photos.MAX_PHOTOS == 3


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@pytest.mark.parametrize(("width", "height"), [(50_000, 50_000), (7_000, 6_000), (100_000, 1)])
def test_a_decompression_bomb_is_refused_by_its_declared_pixels(width: int, height: int) -> None:
    """A PNG declaring more than MAX_PIXELS (40 M) pixels: 2.5 G pixels would decode to 7.5 GB; 42 M is just over."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 10_000)
    bomb = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    assert len(bomb) < 1_000
    with pytest.raises(PhotoError) as caught:
        photos.accept(bomb, "image/png", MAX_PHOTO_BYTES)
    assert caught.value.code == "size" if width * height > photos.MAX_PIXELS else "corrupt"


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_broken_photo_is_refused_as_corrupt(cut: float) -> None:
    for sent, declared in ((jpeg(), "image/jpeg"), (png(), "image/png")):
        broken = sent[: int(len(sent) * cut)]
        with pytest.raises(PhotoError) as caught:
            photos.accept(broken, declared, MAX_PHOTO_BYTES)
        assert caught.value.code == "corrupt"
    with pytest.raises(PhotoError) as caught:
        photos.accept(b"\xff\xd8\xff" + b"\x00" * 500, "image/jpeg", MAX_PHOTO_BYTES)
    assert caught.value.code == "corrupt"


def test_a_photo_is_stored_once_by_its_content(tmp_path: Path) -> None:
    photo = photos.accept(jpeg(), "image/jpeg", MAX_PHOTO_BYTES)
    path = photos.store(tmp_path, photo)

    assert path == tmp_path / "complaints" / photo.sha256[:2] / photo.sha256
    assert path.read_bytes() == photo.content
    assert photos.store(tmp_path, photo) == path
    assert [p.name for p in path.parent.iterdir()] == [photo.sha256]  # no partial file left beside it


def test_every_refusal_has_its_reason() -> None:
    assert {"type", "size", "corrupt"} <= set(photos.PHOTO_MESSAGES)


@pytest.mark.parametrize("make", [jpeg, png, webp])
def test_a_damaged_photo_is_accepted_or_refused_never_an_error(make: object) -> None:
    """Bytes of a real photo overwritten at random places (EXIF, headers, pixel data): each outcome is a clean
    photo or a PhotoError, never another exception (a 500 on the public form)."""
    sent = make()  # type: ignore[operator]
    chaos = random.Random(18)
    for _ in range(400):
        damaged = bytearray(sent)
        for _ in range(chaos.randint(1, 8)):
            damaged[chaos.randrange(3, len(damaged))] = chaos.randrange(256)  # the signature itself is kept
        try:
            photo = photos.accept(bytes(damaged), "image/jpeg", MAX_PHOTO_BYTES)
        except PhotoError as refused:
            assert refused.code in {"type", "size", "corrupt"}
        else:
            assert SERIAL.encode() not in photo.content
