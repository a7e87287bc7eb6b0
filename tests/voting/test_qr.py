"""QR codes decode to the absolute vote URL; the poster carries everything a venue needs."""

from __future__ import annotations

import io
import re
from pathlib import Path

import redis
import zxingcpp
from PIL import Image, ImageDraw

from tests.conftest import ClientFactory
from tests.voting.factories import make_duel

PUBLIC_URL = "https://duell.example.org"


def _decode(image: Image.Image) -> str:
    results = zxingcpp.read_barcodes(image.convert("L"))
    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(results[0].text)


def _rasterize_svg(svg: str, scale: int = 10) -> Image.Image:
    """Draw the module squares of qrcode's SVG path (``M x,y H.. V.. H.. z``) to pixels."""
    view_box = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert view_box
    width, height = int(view_box.group(1)), int(view_box.group(2))
    image = Image.new("L", (width * scale, height * scale), 255)
    draw = ImageDraw.Draw(image)
    squares = re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z", svg)
    assert squares
    for x0, y0, x1, y1 in squares:
        box = (int(x0) * scale, int(y0) * scale, int(x1) * scale - 1, int(y1) * scale - 1)
        draw.rectangle(box, fill=0)
    return image


def test_png_decodes_to_the_absolute_vote_url(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    duel = make_duel(redis_client)
    response = make_client(public_url=PUBLIC_URL + "/").get(f"/qr/duels/{duel['id']}.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert _decode(Image.open(io.BytesIO(response.content))) == f"{PUBLIC_URL}/vote/{duel['id']}"


def test_svg_decodes_to_the_absolute_vote_url(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    duel = make_duel(redis_client)
    response = make_client(public_url=PUBLIC_URL).get(f"/qr/duels/{duel['id']}.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.startswith("<svg") and "<script" not in response.text
    assert _decode(_rasterize_svg(response.text)) == f"{PUBLIC_URL}/vote/{duel['id']}"


def test_qr_of_unknown_duel(make_client: ClientFactory) -> None:
    client = make_client()
    for suffix in ("svg", "png"):
        response = client.get(f"/qr/duels/nosuchd1.{suffix}")
        assert response.status_code == 404
        assert response.json()["detail"]["code"] == "unknown_duel"


def test_poster_page(make_client: ClientFactory, redis_client: redis.Redis) -> None:
    duel = make_duel(redis_client, home_name="Team <Funke>")
    client = make_client(public_url=PUBLIC_URL)
    response = client.get(f"/poster/duels/{duel['id']}")
    assert response.status_code == 200
    html = response.text
    assert f'src="/qr/duels/{duel["id"]}.svg"' in html
    assert "Team &lt;Funke&gt;" in html and "Team Welle" in html
    assert "Elektroniker/in" in html and "Lichtschalter verdrahten" in html
    assert f"duell.example.org/vote/{duel['id']}" in html  # short URL, no scheme
    assert 'class="poster-page"' in html
    assert client.get("/poster/duels/nosuchd1").status_code == 404
    css = (Path(__file__).parents[2] / "web" / "static" / "style.css").read_text()
    assert re.search(r"@page\s*\{\s*size:\s*A4", css)
