"""Photos sent by the public with a complaint (issue 18, part 8): checked by what they are, not by what they say
they are, and stripped of what identifies the sender before they are kept.

A phone's photo carries EXIF: the GPS position where it was taken (often the complainant's home), the camera's
serial number and owner name, the time. Pillow (already installed for the charts) decodes the picture and encodes
it again with no EXIF, XMP, IPTC or text chunks (the colour profile is kept; the EXIF orientation is applied to the
pixels first, so the photo stands as it was taken). Re-encoding also removes whatever a polyglot file hid after or
around the image. The decoder is bounded: a file declaring more than MAX_PIXELS pixels (a decompression bomb: a
few kilobytes that expand to gigabytes) is refused before its pixels are decoded."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from ecoloop.i18n import N_

MAX_PHOTOS = 3  # photos per complaint
MAX_PHOTO_BYTES = 5 * 1024 * 1024  # per photo, as sent
MAX_PIXELS = 40_000_000  # e.g. 7,744 x 5,164: more than a phone's full-resolution photo, 120 MB decoded at most
JPEG_QUALITY = 90

# The formats taken, by their signature, with Pillow's name and the type they are served as.
_KINDS: tuple[tuple[bytes, int, bytes, str, str], ...] = (
    # signature at 0, offset of a second signature, second signature, Pillow format, content type
    (b"\xff\xd8\xff", 0, b"", "JPEG", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, b"", "PNG", "image/png"),
    (b"RIFF", 8, b"WEBP", "WEBP", "image/webp"),
)
CONTENT_TYPES = frozenset(kind[4] for kind in _KINDS)
# What a browser or app may declare for a photo; the content decides which of ours it is.
_DECLARED = frozenset({"", "application/octet-stream"})
_KEPT_INFO = frozenset({"transparency"})  # of the decoded image's info, what the encoder may write back

PHOTO_MESSAGES = {
    "type": N_("Only JPEG, PNG and WebP photos are accepted."),
    "size": N_("A photo may be at most 5 MB and 40 megapixels."),
    "corrupt": N_("The photo could not be read. Please take or choose it again."),
    "count": N_("At most 3 photos may be sent with a complaint."),
}


class PhotoError(ValueError):
    """A photo refused; `code` is stable (PHOTO_MESSAGES): `type`, `size`, `corrupt`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Photo:
    """A photo as it is kept: re-encoded without metadata, its served type and the SHA-256 of its bytes."""

    content: bytes
    content_type: str
    sha256: str


def sniffed(content: bytes) -> tuple[str, str] | None:
    """The Pillow format and content type that the bytes' signature shows, or None for anything else."""
    for signature, offset, second, pillow_format, content_type in _KINDS:
        if content.startswith(signature) and content[offset : offset + len(second)] == second:
            return pillow_format, content_type
    return None


def accept(content: bytes, declared_type: str, max_bytes: int = MAX_PHOTO_BYTES) -> Photo:
    """The photo to keep: a JPEG, PNG or WebP by its content (PhotoError `type` otherwise, or when it was declared
    as something that is no image), at most `max_bytes` as sent and MAX_PIXELS (`size`), decodable (`corrupt`),
    re-encoded without its metadata."""
    declared = declared_type.split(";")[0].strip().lower()
    if declared not in _DECLARED and not declared.startswith("image/"):
        raise PhotoError("type")
    if len(content) > max_bytes:
        raise PhotoError("size")
    kind = sniffed(content)
    if kind is None:
        raise PhotoError("type")
    pillow_format, content_type = kind
    clean = _reencoded(content, pillow_format)
    return Photo(clean, content_type, hashlib.sha256(clean).hexdigest())


def _reencoded(content: bytes, pillow_format: str) -> bytes:
    with warnings.catch_warnings():
        # Pillow warns about damaged metadata (which is dropped anyway); a bomb's warning refuses the photo.
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=[pillow_format]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise PhotoError("size")
                icc = image.info.get("icc_profile")
                image.load()
                upright = ImageOps.exif_transpose(image)
                return _encoded(upright, pillow_format, icc if isinstance(icc, bytes) else None)
        except PhotoError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoError("size") from exc
        except Exception as exc:  # a hostile file reaches decoder paths that raise anything (struct.error, …)
            raise PhotoError("corrupt") from exc


def _encoded(image: Image.Image, pillow_format: str, icc: bytes | None) -> bytes:
    """The pixels alone in `pillow_format` (and the colour profile): no EXIF, XMP, comments or text chunks."""
    # Pillow writes some of what it read back by default (a JPEG's comment and XMP, a PNG's text): only what the
    # picture needs to look the same stays.
    image.info = {key: value for key, value in image.info.items() if key in _KEPT_INFO}
    out = io.BytesIO()
    extra: dict[str, object] = {"icc_profile": icc} if icc else {}
    if pillow_format == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=JPEG_QUALITY, **extra)
    elif pillow_format == "PNG":
        image.save(out, format="PNG", **extra)
    else:
        image.save(out, format="WEBP", quality=JPEG_QUALITY, **extra)
    return out.getvalue()


def photos_root(data_dir: Path) -> Path:
    """Where complaints' photos are kept: DATA_DIR/complaints."""
    return data_dir / "complaints"


def path_of(data_dir: Path, sha256: str) -> Path:
    """The file of the photo with this SHA-256."""
    return photos_root(data_dir) / sha256[:2] / sha256


def store(data_dir: Path, photo: Photo) -> Path:
    """Keep the photo once per content under DATA_DIR/complaints/<sha256[:2]>/<sha256> (written whole, then
    renamed into place); its path."""
    path = path_of(data_dir, photo.sha256)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{photo.sha256}.{os.getpid()}.{secrets.token_hex(4)}")
    with partial.open("wb") as out:
        out.write(photo.content)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)
    return path
