"""Share cards: PNG images of a duel for stories (1080x1920) and posts (1200x630).

Pure: the caller gathers the texts (already translated) and gets PNG bytes back.
Long names are measured, shrunk and wrapped so they never run off the card.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import orjson
from PIL import Image, ImageDraw, ImageFont

from voting import qr

Variant = Literal["story", "post"]
SIZES: dict[str, tuple[int, int]] = {"story": (1080, 1920), "post": (1200, 630)}
FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
# Bumped when the drawing changes, so cached cards of the old look are not served again.
LAYOUT_VERSION = "2"

BACKGROUND = (20, 33, 61)
ACCENT = (252, 163, 17)
TEXT = (255, 255, 255)
MUTED = (190, 200, 220)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True, slots=True)
class CardInputs:
    """Everything a card shows; its hash names the cached file."""

    variant: Variant
    headline: str  # "Jetzt abstimmen:" or "Team A gewinnt das Duell"
    home: str
    away: str
    versus: str  # "gegen"
    trade: str
    competition: str
    score: str = ""  # "123 : 98", only when the counts are public
    vote_url: str = ""  # a QR code while voting is open
    url_label: str = ""  # the vote URL without its scheme, under the QR code
    primary: str = ""  # the competition's brand colour (#rrggbb): the card's background
    logo: str = ""  # path of the competition's logo (a cleaned PNG; its name is unique)
    places_label: str = ""  # "Ausbildungsplätze: <host>/c/<cid>/ausbildung" (#19), or ""

    def content_hash(self) -> str:
        data = orjson.dumps({"v": LAYOUT_VERSION, **asdict(self)}, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(data).hexdigest()[:24]


@lru_cache(maxsize=64)
def font(size: int, path: Path = FONT_PATH) -> Font:
    """The shipped font, or Pillow's built-in one when the font package is missing."""
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default(size=size)


def _width(draw: ImageDraw.ImageDraw, text: str, face: Font) -> float:
    return draw.textlength(text, font=face)


def _wrap(draw: ImageDraw.ImageDraw, text: str, face: Font, width: int) -> list[str]:
    """Greedy word wrap; a single word wider than the line is cut into pieces."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while _width(draw, word, face) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and _width(draw, word[:cut] + "-", face) > width:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut] + "-")
            word = word[cut:]
        candidate = f"{current} {word}".strip()
        if current and _width(draw, candidate, face) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


def fit(
    draw: ImageDraw.ImageDraw,
    text: str,
    width: int,
    *,
    size: int,
    max_lines: int,
    min_size: int = 18,
    path: Path = FONT_PATH,
) -> tuple[Font, list[str]]:
    """The largest font (from ``size`` down) at which ``text`` takes at most ``max_lines``
    lines of ``width``; at ``min_size`` the lines are kept whatever their number."""
    while True:
        face = font(size, path)
        lines = _wrap(draw, text, face, width)
        if len(lines) <= max_lines or size <= min_size:
            return face, lines
        size = max(min_size, int(size * 0.88))


class _Column:
    """Draws centred blocks of text top-down in a column of the card."""

    def __init__(self, draw: ImageDraw.ImageDraw, left: int, width: int, top: int, path: Path):
        self.draw, self.left, self.width, self.y, self.path = draw, left, width, top, path

    def text(
        self, text: str, *, size: int, max_lines: int, color: tuple[int, int, int], gap: int
    ) -> None:
        if not text:
            return
        face, lines = fit(
            self.draw, text, self.width, size=size, max_lines=max_lines, path=self.path
        )
        line_height = int(getattr(face, "size", size) * 1.2)
        for line in lines:
            x = self.left + (self.width - _width(self.draw, line, face)) / 2
            self.draw.text((x, self.y), line, font=face, fill=color)
            self.y += line_height
        self.y += gap


def render(inputs: CardInputs, *, path: Path = FONT_PATH) -> bytes:
    """The card; text shrinks step by step until it ends above the QR code or the edge."""
    scale = 1.0
    while True:
        image, bottom, limit = _draw(inputs, path, scale)
        if bottom <= limit or scale < 0.3:
            break
        scale *= 0.88
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _draw(inputs: CardInputs, path: Path, scale: float) -> tuple[Image.Image, int, int]:
    width, height = SIZES[inputs.variant]
    background = _rgb(inputs.primary) if inputs.primary else BACKGROUND
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    story = inputs.variant == "story"
    margin, band, side = (80, 24, 520) if story else (48, 14, 380)
    draw.rectangle((0, 0, width, band), fill=ACCENT)
    draw.rectangle((0, height - band, width, height), fill=ACCENT)
    with_code = bool(inputs.vote_url)
    text_width = width - 2 * margin if story or not with_code else width - 3 * margin - side
    logo_bottom = _paste_logo(image, inputs, band, margin, side)
    top = band + (90 if story else 30)
    if story and logo_bottom:
        top = logo_bottom + 40
    column = _Column(draw, margin, text_width, top, path)
    size = scale * (1.0 if story else 0.62)
    gap = 1.0 if story else 0.4
    for text, base, lines, color, space in (
        (inputs.competition, 48, 2, MUTED, 40),
        (inputs.headline, 84, 3, ACCENT, 30),
        (inputs.home, 96, 2, TEXT, 10),
        (inputs.versus, 52, 1, MUTED, 10),
        (inputs.away, 96, 2, TEXT, 30),
        (inputs.score, 120, 1, ACCENT, 20),
        (inputs.trade, 52, 2, MUTED, 24 if inputs.places_label else 0),
        (inputs.places_label, 36, 2, ACCENT, 0),
    ):
        column.text(
            text, size=max(12, int(base * size)), max_lines=lines, color=color, gap=int(space * gap)
        )
    limit = height - band - 20
    if logo_bottom and not story and not with_code:
        limit = height - band - 20 - _LOGO_HEIGHT["post"] - 10
    if with_code:
        code = Image.open(io.BytesIO(qr.png(inputs.vote_url))).convert("RGB")
        code = code.resize((side, side), Image.Resampling.NEAREST)
        if story:
            left, top = (width - side) // 2, height - band - 70 - side - 80
            limit = top - 30
        else:
            left, top = width - margin - side, (height - side) // 2 - 20
        image.paste(code, (left, top))
        below = _Column(draw, left - 40, side + 80, top + side + 12, path)
        below.text(inputs.url_label, size=36 if story else 22, max_lines=2, color=TEXT, gap=0)
    return image, column.y, limit


_LOGO_HEIGHT = {"story": 110, "post": 80}


def _rgb(colour: str) -> tuple[int, int, int]:
    digits = colour.lstrip("#")
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def _paste_logo(image: Image.Image, inputs: CardInputs, band: int, margin: int, side: int) -> int:
    """The logo on a white plate: story at the top centre, post at the top of the QR
    column (or the bottom right without one); returns the plate's bottom (0: no logo)."""
    if not inputs.logo:
        return 0
    try:
        with Image.open(inputs.logo, formats=("PNG",)) as opened:
            logo = opened.convert("RGBA")
    except OSError:
        return 0
    width, height = image.size
    tall = _LOGO_HEIGHT[inputs.variant]
    logo.thumbnail((side, tall - 16))
    plate = (logo.width + 16, logo.height + 16)
    if inputs.variant == "story":
        left, top = (width - plate[0]) // 2, band + 30
    elif inputs.vote_url:
        left, top = width - margin - (side + plate[0]) // 2, band + 6
    else:
        left, top = width - margin - plate[0], height - band - 10 - plate[1]
    ImageDraw.Draw(image).rounded_rectangle(
        (left, top, left + plate[0], top + plate[1]), radius=10, fill=(255, 255, 255)
    )
    image.paste(logo, (left + 8, top + 8), logo)
    return top + plate[1]
