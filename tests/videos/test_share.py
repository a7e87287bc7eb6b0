"""Sharing: link previews (Open Graph), the share button, share cards and media caching."""

from __future__ import annotations

import html as html_lib
import io
import re
from pathlib import Path

import redis
from PIL import Image, ImageDraw
from starlette.testclient import TestClient

from duels import keys, videos
from duels.records import Duel
from duels.settings import Settings
from tests.accounts import log_in
from tests.videos.conftest import League
from voting import cards


def approve_with_size(
    client: redis.Redis, duel: Duel, team: str, company: str, size: tuple[int, int]
) -> None:
    """An approved upload as the media worker leaves it (the file itself is not needed)."""
    stem = videos.new_media_stem(duel.id, team)
    videos.record_upload(client, videos.Target(duel, team, company), f"{stem}.mp4", 1000)
    assert videos.start_processing(client, duel.id, team, f"{stem}.mp4")
    assert videos.finish_processing(
        client, duel.id, team, f"{stem}.mp4",
        poster=f"{stem}.jpg", duration=1.0, width=size[0], height=size[1], codec="h264",
    )  # fmt: skip
    videos.approve(client, duel.id, team)


LONG_NAME = "Spänefänger-Lehrlingsgemeinschaft Oberschwaben"
META = re.compile(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">')


def meta(html: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in META.findall(html):
        found.setdefault(key, []).append(html_lib.unescape(value))
    return found


def open_duel(
    client: TestClient, host: dict[str, str], rc: redis.Redis, duel: Duel, **body: object
) -> None:
    for side in ("home", "away"):
        approve_with_size(
            rc, duel, getattr(duel, side), getattr(duel, f"{side}_company"), (320, 240)
        )
    response = client.post(f"/api/duels/{duel.id}/open", json=body, headers=host)
    assert response.status_code == 200, response.text


def test_vote_page_and_live_board_carry_absolute_link_previews(
    app_client: TestClient, league: League, host_headers: dict[str, str],
    redis_client: redis.Redis, video_settings: Settings,
) -> None:  # fmt: skip
    duel = league.duels[0]
    open_duel(app_client, host_headers, redis_client, duel)
    base = video_settings.public_url
    page = app_client.get(f"/vote/{duel.id}")
    tags = meta(page.text)
    assert tags["og:title"] == [f"{duel.home_name} gegen {duel.away_name} – Mach mal"]
    assert "Jetzt abstimmen!" in tags["og:description"][0]
    assert tags["og:url"] == [f"{base}/vote/{duel.id}"]
    assert tags["og:image"] == [f"{base}/cards/duels/{duel.id}/post.png"]
    assert (tags["og:image:width"], tags["og:image:height"]) == (["1200"], ["630"])
    assert tags["og:type"] == ["website"] and tags["og:locale"] == ["de_DE"]
    assert tags["twitter:card"] == ["summary_large_image"]
    # Approved MP4s are previewed as og:video, absolute.
    assert len(tags["og:video"]) == 2
    assert all(v.startswith(f"{base}/media/") and v.endswith(".mp4") for v in tags["og:video"])
    # A presence scan never leaks its token into the preview or the shared link.
    scanned = app_client.get(f"/vote/{duel.id}?p=secret-token", follow_redirects=True)
    for html in (page.text, scanned.text):
        values = [value for found in meta(html).values() for value in found]
        assert not any("?p=" in value or "secret-token" in value for value in values)
        assert f'data-share-url="{base}/vote/{duel.id}"' in html
        assert '<script src="/static/share.js" defer></script>' in html

    board = app_client.get(f"/live/{league.cid}")
    live = meta(board.text)
    assert live["og:url"] == [f"{base}/live/{league.cid}"]
    assert live["og:image"] == [f"{base}/cards/duels/{duel.id}/post.png"]
    assert all(v[0].startswith(base) for k, v in live.items() if k in ("og:url", "og:image"))
    assert '<script src="/static/share.js" defer></script>' in board.text
    script = app_client.get("/static/share.js")
    assert script.status_code == 200 and "navigator.share" in script.text
    assert "navigator.clipboard.writeText" in script.text


def test_share_cards_have_the_sizes_and_are_cached_by_content(
    app_client: TestClient, league: League, host_headers: dict[str, str],
    redis_client: redis.Redis, video_settings: Settings,
) -> None:  # fmt: skip
    duel = league.duels[0]
    open_duel(app_client, host_headers, redis_client, duel)
    hashes = {}
    for variant, size in (("story", (1080, 1920)), ("post", (1200, 630))):
        response = app_client.get(f"/cards/duels/{duel.id}/{variant}.png")
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(response.content)).size == size
        assert response.headers["cache-control"] == "public, max-age=300"
        etag = response.headers["etag"]
        hashes[variant] = etag.strip('"')
        again = app_client.get(
            f"/cards/duels/{duel.id}/{variant}.png", headers={"If-None-Match": etag}
        )
        assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
        hashed = app_client.get(f"/cards/duels/{duel.id}/{variant}-{hashes[variant]}.png")
        assert hashed.status_code == 200 and hashed.content == response.content
        assert hashed.headers["cache-control"] == "public, max-age=31536000, immutable"
    cached = sorted(p.name for p in (video_settings.data_dir / "cards" / duel.id).iterdir())
    assert cached == [f"post-{hashes['post']}.png", f"story-{hashes['story']}.png"]

    # A new name draws a new card under a new hash; the old hashed URL sends to the new one.
    redis_client.hset(keys.duel(duel.id), "home_name", LONG_NAME)
    renamed = app_client.get(f"/cards/duels/{duel.id}/post.png")
    assert renamed.headers["etag"].strip('"') != hashes["post"]
    old = app_client.get(
        f"/cards/duels/{duel.id}/post-{hashes['post']}.png", follow_redirects=False
    )
    assert old.status_code == 302 and old.headers["location"] == f"/cards/duels/{duel.id}/post.png"
    assert len(list((video_settings.data_dir / "cards" / duel.id).glob("post-*.png"))) == 1
    for bad in ("post-zz.png", "square.png", "post-0123456789abcdef01234567.png"):
        assert app_client.get(
            f"/cards/duels/{duel.id}/{bad}", follow_redirects=False
        ).status_code in (302, 404)
    assert app_client.get("/cards/duels/nope/post.png").status_code == 404


def test_long_german_names_wrap_inside_the_card() -> None:
    for variant in ("story", "post"):
        for headline in ("Jetzt abstimmen:", f"{LONG_NAME} gewinnt das Duell"):
            inputs = cards.CardInputs(
                variant=variant, headline=headline, home=LONG_NAME, away=LONG_NAME * 2,
                versus="gegen", trade="Zimmerer/in", competition="Azubi-Duell " * 8,
                vote_url="https://example.org/vote/d1", url_label="example.org/vote/d1",
            )  # fmt: skip
            image = Image.open(io.BytesIO(cards.render(inputs)))
            assert image.size == cards.SIZES[variant]
    width = 500
    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    face, lines = cards.fit(draw, LONG_NAME, width, size=96, max_lines=2)
    assert len(lines) <= 2
    assert all(draw.textlength(line, font=face) <= width for line in lines)
    # Without the font package, Pillow's own font still draws the card.
    missing = Path("/nonexistent/font.ttf")
    fallback = cards.render(inputs, path=missing)
    assert Image.open(io.BytesIO(fallback)).size == cards.SIZES["post"]


def test_the_score_shows_only_while_the_counts_are_public(
    app_client: TestClient, league: League, host_headers: dict[str, str],
    redis_client: redis.Redis, video_settings: Settings,
) -> None:  # fmt: skip
    from voting import share
    from web.i18n import translator

    hidden, shown = league.duels
    open_duel(app_client, host_headers, redis_client, hidden, show_results=False)
    open_duel(app_client, host_headers, redis_client, shown)
    t = translator("de")
    for duel in (hidden, shown):
        assert (
            app_client.post(f"/api/duels/{duel.id}/close", headers=host_headers).status_code == 200
        )
        redis_client.hset(keys.official(duel.id), mapping={duel.home: 7, duel.away: 3})

    def inputs(duel: Duel) -> cards.CardInputs:
        return share.card_inputs(redis_client, duel.id, "post", video_settings.public_url, t)

    assert inputs(hidden).score == "" and inputs(shown).score == "7 : 3"
    assert inputs(hidden).vote_url == ""  # no QR code once voting is over
    before = app_client.get(f"/cards/duels/{hidden.id}/post.png").headers["etag"]
    response = app_client.post(
        f"/api/duels/{hidden.id}/override", json={"winner": hidden.home, "reason": "Test"},
        headers=host_headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    decided = inputs(hidden)
    assert decided.headline == f"{hidden.home_name} gewinnt das Duell"
    assert decided.score == "7 : 3"  # decided: the counts are public now
    assert app_client.get(f"/cards/duels/{hidden.id}/post.png").headers["etag"] != before


def test_media_has_strong_etags_ranges_and_long_caching_once_approved(
    app_client: TestClient,
    league: League,
    redis_client: redis.Redis,
    video_settings: Settings,
) -> None:
    duel = league.duels[0]
    approve_with_size(redis_client, duel, duel.home, duel.home_company, (320, 240))
    video = videos.get_video(redis_client, duel.id, duel.home)
    assert video is not None
    folder = videos.media_dir(video_settings)
    folder.mkdir(parents=True, exist_ok=True)
    body = bytes(range(256)) * 8
    (folder / video.file).write_bytes(body)
    url = f"/media/{video.file}"

    full = app_client.get(url)
    assert full.status_code == 200 and full.content == body
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    etag = full.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert full.headers["accept-ranges"] == "bytes"

    first = app_client.get(url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206 and first.content == body[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{len(body)}"
    assert first.headers["etag"] == etag
    last = app_client.get(url, headers={"Range": "bytes=-100"})
    assert last.status_code == 206 and last.content == body[-100:]
    beyond = app_client.get(url, headers={"Range": f"bytes={len(body)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(body)}"
    # If-Range with the current ETag keeps the range; with another one, the whole file.
    assert app_client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag}).status_code == 206
    stale = app_client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.content == body
    cached = app_client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.headers["etag"] == etag and not cached.content

    videos.reject(redis_client, duel.id, duel.home, "zu dunkel")
    assert app_client.get(url).status_code == 404


def test_console_and_portal_link_to_the_cards(
    app_client: TestClient, league: League, host_headers: dict[str, str]
) -> None:
    duel = league.duels[0]
    log_in(app_client)
    console = app_client.get(f"/host/c/{league.cid}").text
    portal_company = next(c for c in league.companies if c.id == duel.home_company)
    portal = app_client.get(f"/company/{portal_company.token}").text
    for html in (console, portal):
        assert f'href="/cards/duels/{duel.id}/story.png"' in html
        assert f'href="/cards/duels/{duel.id}/post.png"' in html
    other = league.duels[1]
    assert f"/cards/duels/{other.id}/" not in portal
