"""Branding per competition: readable colours, cleaned logos, the brand stylesheet, legal
links in every footer and the organisation's public index."""

from __future__ import annotations

import io
import os
import struct
import zlib
from typing import Any

import pytest
import redis
from PIL import Image
from starlette.testclient import TestClient

from duels import branding, errors, organisations, store
from tests.accounts import csrf_of, log_in
from tests.host.helpers import Host

IMPRINT = "https://example.org/impressum"
PRIVACY = "https://example.org/datenschutz"


def _competition(client: TestClient, host_headers: dict[str, str]) -> tuple[str, str]:
    """A competition with one drawn duel: (competition id, duel id)."""
    host = Host(client, host_headers)
    cid, _ = host.competition(2)
    duel = host.post(f"/api/competitions/{cid}/bracket", {"seed": 1}, 201)["rounds"][0]["duels"][0]
    return cid, duel["id"]


def _page_csrf(client: TestClient, cid: str) -> str:
    page = client.get(f"/host/c/{cid}/branding")
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def _form(csrf: str, **fields: str) -> dict[str, str]:
    base = {"csrf": csrf, "region": "", "primary": "", "accent": "", "imprint": "", "privacy": ""}
    return {**base, **fields}


def _jpeg_with_metadata() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x013B] = "Secret Photographer"  # Artist
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(
        buffer, format="JPEG", exif=exif.tobytes(), comment=b"secret comment"
    )
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def _png(size: tuple[int, int] = (40, 20), colour: tuple[int, int, int] = (0, 90, 160)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


# Domain ---------------------------------------------------------------------------------


def test_contrast_of_known_pairs() -> None:
    assert round(branding.contrast_ratio("#777777", "#ffffff"), 2) == 4.48
    assert round(branding.contrast_ratio("#767676", "#ffffff"), 2) == 4.54
    assert round(branding.contrast_ratio("#000000", "#ffffff"), 2) == 21.0
    with pytest.raises(branding.ContrastTooLow) as refused:
        branding.check_colour("#777777", "primary")
    assert refused.value.code == "contrast_too_low"
    assert "4.48" in refused.value.message
    assert branding.check_colour("#767676") == "#767676"
    assert branding.check_colour("767676") == "#767676"
    with pytest.raises(errors.Invalid) as bad:
        branding.check_colour("red")
    assert bad.value.code == "invalid_colour"


def test_domain_refuses_low_contrast_and_bad_links(redis_client: redis.Redis) -> None:
    organisations.upgrade(redis_client)
    cid = store.create_competition(redis_client, "Cup", actor="test").id
    with pytest.raises(branding.ContrastTooLow):
        branding.update(redis_client, f"c:{cid}", accent="#777777")
    for link in ("http://example.org/impressum", "javascript:alert(1)", "//evil.example"):
        with pytest.raises(errors.Invalid) as bad:
            branding.update(redis_client, f"c:{cid}", imprint=link)
        assert bad.value.code == "invalid_link"
    saved = branding.update(
        redis_client, f"c:{cid}", primary="#767676", imprint="/impressum", privacy=PRIVACY
    )
    assert (saved.primary, saved.imprint, saved.privacy) == ("#767676", "/impressum", PRIVACY)


def test_competition_falls_back_to_its_organisation(redis_client: redis.Redis) -> None:
    organisations.upgrade(redis_client)
    cid = store.create_competition(redis_client, "Cup", actor="test").id
    branding.update(redis_client, f"o:{organisations.DEFAULT}", imprint=IMPRINT, privacy=PRIVACY)
    branding.update(redis_client, f"c:{cid}", privacy="https://cup.example/privacy")
    shown = branding.effective(redis_client, cid)
    assert (shown.imprint, shown.privacy) == (IMPRINT, "https://cup.example/privacy")


def test_images_are_refused_with_clear_codes(tmp_path: Any) -> None:
    cases = {
        b"not an image at all": "image_unsupported",
        _png_claiming(30000, 30000): "image_too_many_pixels",
        _png_claiming(2001, 10): "image_too_many_pixels",
        b"": "image_missing",
    }
    for data, code in cases.items():
        with pytest.raises(errors.DomainError) as refused:
            branding.brand_images.save(tmp_path, data)
        assert refused.value.code == code
    with pytest.raises(errors.TooLarge) as large:
        branding.brand_images.save(tmp_path, b"\x89PNG" + b"\0" * (2 * 1024 * 1024))
    assert large.value.code == "image_too_large"
    assert list(tmp_path.iterdir()) == []


# Console --------------------------------------------------------------------------------


def test_console_refuses_low_contrast_and_saves_readable_colours(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    cid, _ = _competition(client, host_headers)
    log_in(client)
    assert f'href="/host/c/{cid}/branding"' in client.get(f"/host/c/{cid}").text
    csrf = _page_csrf(client, cid)
    refused = client.post(
        f"/host/c/{cid}/branding", data=_form(csrf, primary="#777777"), follow_redirects=False
    )
    assert refused.status_code == 422
    assert 'data-error="contrast_too_low"' in refused.text
    assert "4,48:1" in refused.text  # German, with the ratio
    assert branding.get(client.app.state.store, f"c:{cid}").primary == ""  # type: ignore[attr-defined]
    saved = client.post(
        f"/host/c/{cid}/branding",
        data=_form(csrf, primary="#767676", accent="#1a5fb4", region="Ostwestfalen",
                   imprint=IMPRINT, privacy=PRIVACY),
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("?ok=branding_saved")
    css = client.get(f"/brand/{cid}.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "--accent: #767676;" in css.text and "--accent-2: #1a5fb4;" in css.text
    again = client.get(f"/brand/{cid}.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304


def test_console_picker_is_used_when_the_text_field_is_untouched(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    cid, _ = _competition(client, host_headers)
    log_in(client)
    csrf = _page_csrf(client, cid)
    form = _form(csrf, primary_pick="#004c99", accent_pick="#1f6f8f")  # the default
    assert client.post(f"/host/c/{cid}/branding", data=form).status_code == 200
    assert branding.get(client.app.state.store, f"c:{cid}").primary == "#004c99"  # type: ignore[attr-defined]


def test_logo_is_reencoded_without_metadata(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    cid, did = _competition(client, host_headers)
    log_in(client)
    csrf = _page_csrf(client, cid)
    uploaded = client.post(
        f"/host/c/{cid}/branding/logo",
        data={"csrf": csrf},
        files={"file": ("logo.jpg", _jpeg_with_metadata(), "image/jpeg")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    assert uploaded.headers["location"].endswith("?ok=branding_saved"), uploaded.headers
    logo = client.get(f"/brand/{cid}/logo.png")
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/png"
    assert b"SpyCam" not in logo.content and b"secret" not in logo.content
    image = Image.open(io.BytesIO(logo.content))
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.size == (512, 384)
    assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
    # The vote page shows it; the share card is drawn in the brand.
    assert f'src="/brand/{cid}/logo.png?v=' in client.get(f"/vote/{did}").text
    card = client.get(f"/cards/duels/{did}/post.png")
    assert card.status_code == 200


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"plain text, no image", "image_unsupported"),
        (_png_claiming(30000, 30000), "image_too_many_pixels"),
    ],
)
def test_console_refuses_bad_images(
    client: TestClient, host_headers: dict[str, str], data: bytes, code: str
) -> None:
    cid, _ = _competition(client, host_headers)
    log_in(client)
    csrf = _page_csrf(client, cid)
    refused = client.post(
        f"/host/c/{cid}/branding/logo",
        data={"csrf": csrf},
        files={"file": ("logo.png", data, "image/png")},
        follow_redirects=False,
    )
    assert refused.status_code == 303
    assert refused.headers["location"].endswith(f"?error={code}")
    assert client.get(f"/brand/{cid}/logo.png").status_code == 404


def test_sponsors_are_added_shown_and_removed(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    cid, _ = _competition(client, host_headers)
    log_in(client)
    csrf = _page_csrf(client, cid)
    added = client.post(
        f"/host/c/{cid}/branding/sponsors",
        data={"csrf": csrf, "name": "Sparkasse", "link": "https://sparkasse.example"},
        files={"file": ("s.png", _png(), "image/png")},
        follow_redirects=False,
    )
    assert added.headers["location"].endswith("?ok=branding_saved")
    board = client.get(f"/live/{cid}?mode=projector").text
    assert 'class="sponsor-strip"' in board and 'alt="Sparkasse"' in board
    assert client.get(f"/brand/{cid}/sponsor/0.png").status_code == 200
    client.post(f"/host/c/{cid}/branding/sponsors/0/remove", data={"csrf": csrf})
    assert client.get(f"/brand/{cid}/sponsor/0.png").status_code == 404


# Public pages ---------------------------------------------------------------------------


def test_vote_page_links_the_brand_css_and_shows_the_legal_links(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    cid, did = _competition(client, host_headers)
    scope = f"c:{cid}"
    branding.update(client.app.state.store, scope, primary="#004c99", region="Lippe",  # type: ignore[attr-defined]
                    imprint=IMPRINT, privacy=PRIVACY)  # fmt: skip
    page = client.get(f"/vote/{did}").text
    assert f'<link rel="stylesheet" href="/brand/{cid}.css?v=' in page
    assert f'href="{IMPRINT}" data-legal="imprint">Impressum<' in page
    assert f'href="{PRIVACY}" data-legal="privacy">Datenschutz<' in page
    assert 'class="brand-region">Lippe<' in page
    assert "#004c99" in client.get(f"/brand/{cid}.css").text
    for path in (f"/live/{cid}", f"/poster/duels/{did}"):
        assert f"/brand/{cid}.css?v=" in client.get(path).text


def test_pages_without_a_competition_use_the_settings_links(
    make_client: Any, host_headers: dict[str, str]
) -> None:
    client = make_client(imprint_url="https://operator.example/imprint", privacy_url="/privacy")
    page = client.get("/").text
    assert 'href="https://operator.example/imprint" data-legal="imprint"' in page
    assert 'href="/privacy" data-legal="privacy"' in page


def test_organisation_index_lists_its_competitions(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    cid, _ = _competition(client, host_headers)
    default = organisations.get_organisation(client.app.state.store, organisations.DEFAULT)  # type: ignore[attr-defined]
    assert f'href="/o/{default.slug}"' in client.get("/").text
    page = client.get(f"/o/{default.slug}")
    assert page.status_code == 200
    assert f'data-competition="{cid}"' in page.text
    assert f'href="/live/{cid}"' in page.text
    assert client.get("/o/no-such-organisation").status_code == 404


def test_logo_upload_limits_beyond_the_usual_body_size(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    cid, _ = _competition(client, host_headers)
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    assert 64 * 1024 < len(buffer.getvalue()) < 2 * 1024 * 1024
    stranger = client.post(
        f"/host/c/{cid}/branding/logo",
        files={"file": ("logo.png", buffer.getvalue(), "image/png")},
        follow_redirects=False,
    )
    assert stranger.status_code == 413  # no console session: the usual body limit
    forged = client.post(
        f"/host/c/{cid}/branding/logo",
        files={"file": ("logo.png", buffer.getvalue(), "image/png")},
        cookies={"mm_host": "A" * 43},
        follow_redirects=False,
    )
    assert forged.status_code == 413  # a made-up session id buys no bigger body
    client.cookies.clear()
    log_in(client)
    csrf = _page_csrf(client, cid)

    def upload(data: bytes) -> str:
        response = client.post(
            f"/host/c/{cid}/branding/logo",
            data={"csrf": csrf},
            files={"file": ("logo.png", data, "image/png")},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return str(response.headers["location"])

    assert upload(buffer.getvalue()).endswith("?ok=branding_saved")
    assert upload(b"\x89PNG" + b"\0" * (2 * 1024 * 1024)).endswith("?error=image_too_large")
