"""Photos taken on site: checked by what they are, re-encoded without metadata, kept by content hash.

The same defences as the complaints' photos (`intake/photos.py`, which other capabilities may not import): the
type comes from the content's signature, never the declared type; the size and the pixel count are bounded before
the pixels are decoded (a decompression bomb is refused); the picture is decoded and encoded again as JPEG, so no
EXIF (the phone's serial number, the owner), XMP or anything hidden around the image is kept. When and where the
photo was taken is recorded from what the browser sent with it (its clock and geolocation), as columns of the
photo's row, not inside the file."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # per photo, as sent: a phone's full-resolution JPEG
MAX_PIXELS = 40_000_000
MAX_PHOTOS = 20  # per inspection
JPEG_QUALITY = 88
CONTENT_TYPE = "image/jpeg"
_SIGNATURES = ((b"\xff\xd8\xff", 0, b"", "JPEG"), (b"\x89PNG\r\n\x1a\n", 0, b"", "PNG"), (b"RIFF", 8, b"WEBP", "WEBP"))


class PhotoError(ValueError):
    """A photo refused; `code` is stable: `photo_type`, `photo_size`, `photo_corrupt` (rules.MESSAGES)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Photo:
    """A photo as kept: JPEG bytes without metadata and their SHA-256."""

    content: bytes
    sha256: str


def accept(content: bytes) -> Photo:
    """The photo to keep from the bytes sent: a JPEG, PNG or WebP by its signature, at most MAX_PHOTO_BYTES and
    MAX_PIXELS, decodable, re-encoded as JPEG without its metadata (upright as taken)."""
    if len(content) > MAX_PHOTO_BYTES:
        raise PhotoError("photo_size")
    kind = next((f for sig, off, second, f in _SIGNATURES if content.startswith(sig) and
                 content[off : off + len(second)] == second), None)  # fmt: skip
    if kind is None:
        raise PhotoError("photo_type")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=[kind]) as image:
                if image.size[0] * image.size[1] > MAX_PIXELS:
                    raise PhotoError("photo_size")
                image.load()
                upright = ImageOps.exif_transpose(image).convert("RGB")
        except PhotoError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoError("photo_size") from exc
        except Exception as exc:  # a hostile file reaches decoder paths that raise anything
            raise PhotoError("photo_corrupt") from exc
    upright.info = {}
    out = io.BytesIO()
    upright.save(out, format="JPEG", quality=JPEG_QUALITY)
    clean = out.getvalue()
    return Photo(clean, hashlib.sha256(clean).hexdigest())


def path_of(data_dir: Path, sha256: str) -> Path:
    """The file of the photo with this SHA-256: DATA_DIR/inspections/<sha256[:2]>/<sha256>."""
    return data_dir / "inspections" / sha256[:2] / sha256


def store(data_dir: Path, photo: Photo) -> Path:
    """Keep the photo once per content (written whole, then renamed into place); its path."""
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
