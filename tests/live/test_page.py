"""The live board page, rendered on the server."""

from __future__ import annotations

import re

import redis
from starlette.testclient import TestClient

from duels import keys, tournament
from tests.live.factories import make_competition

XSS = '<script>alert("x")</script>'


def test_board_shows_bracket_running_duel_and_leaderboard(
    client: TestClient, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client, [XSS, "Team Teig", "Team Kelle", "Team Zange"])
    running = competition.duel_ids[0]
    tournament.open_voting(redis_client, running)
    redis_client.hset(
        keys.provisional(running),
        mapping={competition.team_ids[0]: 30, competition.team_ids[-1]: 10},
    )

    page = client.get(f"/live/{competition.cid}")

    assert page.status_code == 200
    html = page.text
    assert XSS not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Turnierbaum" in html and "Runde 1" in html and "Firmenwertung" in html
    assert html.count(f'data-duel="{running}"') == 2  # running list and bracket
    assert 'data-home-votes="30"' in html and 'data-away-votes="10"' in html
    assert 'class="bar-fill w-75"' in html and 'class="bar-fill w-25"' in html
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in html
    assert '<script src="/static/live.js" defer></script>' in html
    assert not re.search(r"<script>(?!alert)", html)  # no inline script
    assert " style=" not in html  # the CSP allows no inline styles
    assert f'data-events="/api/competitions/{competition.cid}/events"' in html
    latest = redis_client.xrevrange(keys.event_log(competition.cid))[0][0]
    assert f'data-last-event-id="{latest}"' in html
    assert "theme-dark" not in html


def test_winner_is_marked_and_counted_on_the_leaderboard(
    client: TestClient, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    did = competition.duel_ids[0]
    tournament.override(redis_client, did, competition.team_ids[0], reason="Test")

    html = client.get(f"/live/{competition.cid}").text

    card = html[html.index(f'data-duel="{did}"') :]
    card = card[: card.index("</article>")]
    assert re.search(r'class="team team-home winner"', card)
    assert "✓ Sieger" in card
    rows = re.findall(r'<tr data-company="([^"]+)" data-wins="(\d+)"', html)
    assert rows[0] == (competition.company_ids[0], "1")


def test_projector_mode_is_dark_and_shows_the_qr_of_the_running_duel(
    client: TestClient, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    running = competition.duel_ids[1]
    tournament.open_voting(redis_client, running)

    html = client.get(f"/live/{competition.cid}?mode=projector").text

    assert re.search(r'<body class="live-page projector theme-dark">', html)
    assert f'<img src="/qr/duels/{running}.svg"' in html
    assert f"http://testserver/vote/{running}" in html
    assert 'class="site-header"' not in html
    assert "mode=projector" in html  # the fragment JS refetches is the projector one too


def test_hidden_results_show_no_counts(client: TestClient, redis_client: redis.Redis) -> None:
    competition = make_competition(redis_client)
    did = competition.duel_ids[0]
    tournament.open_voting(redis_client, did, show_results=False)
    redis_client.hset(keys.provisional(did), competition.team_ids[0], 987654321)

    html = client.get(f"/live/{competition.cid}").text

    # A count nowhere in the text (ids and event ids carry digits of their own, so the
    # count is one that cannot stand in them by chance).
    assert "987654321" not in html
    assert "Zwischenstand wird nach der Abstimmung gezeigt." in html


def test_english_and_fragment(client: TestClient, redis_client: redis.Redis) -> None:
    competition = make_competition(redis_client)

    page = client.get(f"/live/{competition.cid}?lang=en")
    fragment = client.get(f"/live/{competition.cid}/board?lang=en")

    assert "Bracket" in page.text and "Company ranking" in page.text
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "Company ranking" in fragment.text
    assert fragment.headers["cache-control"] == "no-store"


def test_unknown_competition_is_404(client: TestClient) -> None:
    assert client.get("/live/unknown").status_code == 404
    assert client.get("/live/unknown/board").status_code == 404
    assert client.get("/live/bad%7Bid%7D").status_code == 404


def test_a_duel_without_votes_shows_no_made_up_split(
    client: TestClient, redis_client: redis.Redis
) -> None:
    """At 0 votes both teams show 0 % and empty bars, not 50 : 50 (live board and stage)."""
    competition = make_competition(redis_client, ["Team Teig", "Team Kelle"])
    running = competition.duel_ids[0]
    tournament.open_voting(redis_client, running)
    for page in (f"/live/{competition.cid}", f"/stage/{competition.cid}"):
        html = client.get(page).text
        assert "50&nbsp;%" not in html and ">50<" not in html, page
    board = client.get(f"/live/{competition.cid}").text
    assert 'class="bar-fill w-0"' in board and "bar-fill w-50" not in board
