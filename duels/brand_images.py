"""Logos and sponsor logos: an upload is decoded by Pillow under strict limits and only a
fresh PNG drawn from its pixels is kept, so no metadata (EXIF, GPS, ICC, comments) and no
crafted bytes of the original ever reach a visitor.

Limits: at most ``MAX_BYTES`` and ``MAX_SIDE`` x ``MAX_SIDE`` pixels (checked from the
header, before any pixel is decoded: a PNG claiming 30000x30000 never allocates), PNG,
JPEG or WebP only; stored at most ``STORED_SIDE`` on the longest side, RGBA.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from duels.errors import Invalid, TooLarge

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 2000
STORED_SIDE = 512
FORMATS = ("PNG", "JPEG", "WEBP")
_NAME = re.compile(r"^brand-[0-9a-f]{24}\.png$")


def clean_png(data: bytes) -> bytes:
    """The upload re-encoded as a metadata-free RGBA PNG; Invalid/TooLarge with a code."""
    if len(data) > MAX_BYTES:
        raise TooLarge("The image is larger than 2 MB.", code="image_too_large")
    if not data:
        raise Invalid("No image was sent.", code="image_missing")
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make it an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
                _check_size(probe.size)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                _check_size(image.size)
                image.load()
                upright = ImageOps.exif_transpose(image) or image
                pixels = upright.convert("RGBA")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise Invalid(
                f"The image has more than {MAX_SIDE}x{MAX_SIDE} pixels.",
                code="image_too_many_pixels",
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise Invalid(
                "This is not a PNG, JPEG or WebP image.", code="image_unsupported"
            ) from exc
    pixels.thumbnail((STORED_SIDE, STORED_SIDE), Image.Resampling.LANCZOS)
    fresh = Image.new("RGBA", pixels.size)
    fresh.paste(pixels)
    buffer = io.BytesIO()
    fresh.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _check_size(size: tuple[int, int]) -> None:
    width, height = size
    if width < 1 or height < 1 or width > MAX_SIDE or height > MAX_SIDE:
        raise Invalid(
            f"The image may have at most {MAX_SIDE}x{MAX_SIDE} pixels.",
            code="image_too_many_pixels",
        )


def save(folder: Path, data: bytes) -> str:
    """Clean ``data`` and store it under a random name in ``folder``; returns the name."""
    png = clean_png(data)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"brand-{secrets.token_hex(12)}.png"
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
        handle.write(png)
    os.replace(handle.name, folder / name)
    return name


def path_of(folder: Path, name: str) -> Path | None:
    """The stored file of ``name`` (only names this module made), else None."""
    if not _NAME.match(name):
        return None
    path = folder / name
    return path if path.is_file() else None


def remove(folder: Path, name: str) -> None:
    if _NAME.match(name):
        (folder / name).unlink(missing_ok=True)
