"""The embeddable live board (#18): ``/embed/{cid}`` and its views, and that it is the only
page other websites may frame (its CSP ``frame-ancestors``; every other page 'none')."""

from __future__ import annotations

import re

import httpx
import pytest
import redis
from starlette.testclient import TestClient

from duels import admission, embedding, tournament
from tests.live.factories import make_competition
from tests.security.test_headers import assert_no_inline_code, assert_security_headers

XSS = '<script>alert("x")</script>'


def frame_ancestors(response: httpx.Response) -> list[str]:
    csp = response.headers["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ") if part}
    return directives["frame-ancestors"]


def test_without_origins_only_this_site_may_frame_it(
    client: TestClient, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    page = client.get(f"/embed/{competition.cid}")
    assert page.status_code == 200
    assert frame_ancestors(page) == ["'self'"]
    assert "x-frame-options" not in page.headers
    assert "x-machmal-frame-ancestors" not in page.headers  # the marker stays inside
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"


def test_allowed_origins_go_into_frame_ancestors_and_nowhere_else(
    client: TestClient, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    other = make_competition(redis_client)
    origins = ["https://kampagne.example", "http://127.0.0.1:8765"]
    embedding.set_allowed_origins(redis_client, competition.cid, origins, actor="test")

    page = client.get(f"/embed/{competition.cid}")
    assert frame_ancestors(page) == ["'self'", *origins]
    assert "x-frame-options" not in page.headers
    # Another competition's board is not opened up by this one's origins.
    assert frame_ancestors(client.get(f"/embed/{other.cid}")) == ["'self'"]
    # Every other page of this competition stays unframeable.
    did = competition.duel_ids[0]
    for url in (
        f"/live/{competition.cid}",
        f"/embed/{competition.cid}/board",
        f"/vote/{did}",
        f"/api/competitions/{competition.cid}/bracket",
        f"/brand/{competition.cid}.css",
        "/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response, url)


def test_a_tampered_store_value_never_reaches_the_header(
    client: TestClient, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    redis_client.hset(
        f"mm:c:{{c:{competition.cid}}}:embed",
        "origins",
        '["https://ok.example", "https://x.example; script-src *", "*"]',
    )
    assert frame_ancestors(client.get(f"/embed/{competition.cid}")) == [
        "'self'",
        "https://ok.example",
    ]


def test_board_view_shows_bracket_leaderboard_and_votes_out_of_the_frame(
    client: TestClient, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client, [XSS, "Team Teig", "Team Kelle", "Team Zange"])
    running = competition.duel_ids[0]
    tournament.open_voting(redis_client, running)
    page = client.get(f"/embed/{competition.cid}?lang=en")
    html = page.text
    assert XSS not in html
    assert_no_inline_code(html, "/embed")
    assert 'class="site-header"' not in html and 'class="site-footer"' not in html
    assert 'data-embed="bracket"' in html and "data-leaderboard" in html
    assert html.count(f'data-duel="{running}"') == 1  # the bracket's card; no second card
    vote_links = re.findall(r"<a [^>]*data-vote-out[^>]*>", html)
    assert vote_links == [
        f'<a class="button" data-vote-out href="/vote/{running}" target="_blank" rel="noopener">'
    ]
    # Every link leaves the frame (but the skip link within the page).
    for tag in re.findall(r'<a (?![^>]*href="#)[^>]*>', html):
        assert 'target="_blank"' in tag and "noopener" in tag, tag
    assert '<script src="/static/live.js" defer></script>' in html
    assert f'data-board="/embed/{competition.cid}/board?view=board&amp;lang=en"' in html
    assert "/static/embed.css" in html

    fragment = client.get(f"/embed/{competition.cid}/board?view=board&lang=en")
    assert fragment.status_code == 200
    assert fragment.headers["cache-control"] == "no-store"
    assert f'data-duel="{running}"' in fragment.text and "<html" not in fragment.text


def test_duel_view_shows_one_duel_with_a_vote_link(
    client: TestClient, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    running, other = competition.duel_ids[0], competition.duel_ids[1]
    tournament.open_voting(redis_client, running)
    html = client.get(f"/embed/{competition.cid}?view=duel&duel={running}").text
    assert 'data-embed="duel"' in html and 'data-embed="bracket"' not in html
    assert re.findall(r'data-duel="([^"]+)"', html) == [running]
    assert f'href="/vote/{running}" target="_blank" rel="noopener"' in html
    assert f"/embed/{competition.cid}/board?view=duel&amp;duel={running}" in html
    # A duel that is not voting: its card, no vote button.
    waiting = client.get(f"/embed/{competition.cid}?view=duel&duel={other}").text
    assert f'data-duel="{other}"' in waiting and "data-vote-out" not in waiting


def test_venue_duels_are_voted_through_the_stage_screen_only(
    client: TestClient, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    did = competition.duel_ids[0]
    admission.set_duel_mode(redis_client, did, "venue", mail_ready=True)
    tournament.open_voting(redis_client, did)
    html = client.get(f"/embed/{competition.cid}?view=duel&duel={did}").text
    assert "data-vote-out" not in html and 'class="venue-hint"' in html


@pytest.mark.parametrize(
    "url",
    [
        "/embed/no-such-competition",
        "/embed/bad%20id",
        "/embed/{cid}?view=duel&duel=no-such-duel",
        "/embed/{cid}?view=duel",
        "/embed/{cid}?view=duel&duel={foreign}",
    ],
)
def test_unknown_competition_or_duel_is_a_404_page(
    client: TestClient, redis_client: redis.Redis, url: str
) -> None:
    competition = make_competition(redis_client)
    foreign = make_competition(redis_client).duel_ids[0]
    page = client.get(url.format(cid=competition.cid, foreign=foreign))
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert "data-embed-missing" in page.text and "Wettbewerb nicht gefunden" in page.text
    assert_security_headers(page, url)  # nothing to frame: the default headers


def test_branding_is_honoured(client: TestClient, redis_client: redis.Redis) -> None:
    competition = make_competition(redis_client)
    html = client.get(f"/embed/{competition.cid}").text
    assert f'<link rel="stylesheet" href="/brand/{competition.cid}.css?v=' in html
