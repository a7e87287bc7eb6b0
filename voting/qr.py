"""QR codes of a duel's absolute vote URL, as SVG (posters, projector) and PNG."""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
import qrcode.image.svg


def vote_url(public_url: str, did: str) -> str:
    return f"{public_url.rstrip('/')}/vote/{did}"


def short_url(public_url: str, did: str) -> str:
    """The vote URL without the scheme, for people typing it off a poster."""
    return vote_url(public_url, did).split("://", 1)[-1]


@lru_cache(maxsize=256)
def svg(content: str) -> bytes:
    return make_svg(content)


def make_svg(content: str) -> bytes:
    """The QR code as SVG, not cached (for content that carries a secret)."""
    # White background rect so the code also reads on a dark projector theme.
    image = qrcode.make(
        content,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    data: bytes = image.to_string(encoding="unicode").encode()
    return data


@lru_cache(maxsize=256)
def png(content: str, box_size: int = 12) -> bytes:
    image = qrcode.make(
        content, border=4, box_size=box_size, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
