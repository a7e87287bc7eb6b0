"""The mobile vote page and its form post without JavaScript."""

from __future__ import annotations

import html
import json
import re

import httpx
import pytest
import redis
from starlette.testclient import TestClient

from duels import keys
from tests.cluster.embedded import CLUSTER_MODE
from tests.conftest import ClientFactory
from tests.voting.factories import make_duel
from voting.tokens import solve

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _csrf(page: httpx.Response) -> str:
    match = CSRF.search(page.text)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def _open_page(client: TestClient, did: str) -> httpx.Response:
    page = client.get(f"/vote/{did}")
    assert page.status_code == 200
    return page


def test_page_shows_both_teams_and_sets_the_voter_cookie(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    client = make_client()
    duel = make_duel(redis_client, extra={"home_video": "/media/home.mp4"})
    page = _open_page(client, duel["id"])
    html = page.text
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "Team Funke" in html and "Team Welle" in html
    assert "Elektro Ohm GmbH" in html and "Stadtwerke" in html
    assert "Elektroniker/in" in html and "Lichtschalter verdrahten" in html
    assert '<source src="/media/home.mp4"' in html
    assert "Video folgt" in html  # the away team has no video yet
    assert html.count('class="vote-button"') == 2
    assert 'src="/static/vote.js"' in html and 'src="/static/sha256.js"' in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline script/style
    assert "http://" not in html.replace("http://testserver", "")  # no third-party assets
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("mm_voter=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie
    assert "Secure" not in cookie  # plain-http public URL
    # The cookie is kept: a second visit issues none.
    assert "mm_voter" not in client.get(f"/vote/{duel['id']}").headers.get("set-cookie", "")


def test_secure_cookie_behind_https(make_client: ClientFactory, redis_client: redis.Redis) -> None:
    client = make_client(public_url="https://duell.example")
    duel = make_duel(redis_client)
    assert "Secure" in _open_page(client, duel["id"]).headers["set-cookie"]


def test_team_names_are_escaped(make_client: ClientFactory, redis_client: redis.Redis) -> None:
    evil = '<script>alert("x")</script>'
    duel = make_duel(redis_client, home_name=evil, away_name='"><img src=x onerror=alert(1)>')
    html = _open_page(make_client(), duel["id"]).text
    assert evil not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_english_with_lang_parameter(make_client: ClientFactory, redis_client: redis.Redis) -> None:
    duel = make_duel(redis_client)
    client = make_client()
    assert "Video folgt" in client.get(f"/vote/{duel['id']}").text
    english = client.get(f"/vote/{duel['id']}?lang=en").text
    assert "Video coming soon" in english and 'lang="en"' in english


def test_unknown_duel_page(make_client: ClientFactory) -> None:
    assert make_client().get("/vote/nosuchd1").status_code == 404


def test_form_post_without_javascript(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    client = make_client()
    duel = make_duel(redis_client)
    did = duel["id"]
    token = _csrf(_open_page(client, did))

    posted = client.post(f"/vote/{did}", data={"csrf": token, "team_id": duel["away"]})
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/vote/{did}?status=counted"
    after = client.get(posted.headers["location"]).text
    assert "Gezählt" in after
    assert "1 Stimme<" in after  # running result, the duel shows it
    results = re.findall(r'<div class="vote-result"[^>]*>', after)
    assert len(results) == 2 and not any("hidden" in tag for tag in results)
    assert after.count("disabled") >= 2  # no second vote from this page
    assert redis_client.hgetall(keys.provisional(did)) == {duel["away"]: "1"}

    again = client.post(f"/vote/{did}", data={"csrf": token, "team_id": duel["home"]})
    assert again.headers["location"] == f"/vote/{did}?status=already_voted"
    assert "schon abgestimmt" in client.get(again.headers["location"]).text


def test_form_post_shows_throttling_with_retry_time(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    client = make_client(votes_per_ip_per_minute=1)
    duel = make_duel(redis_client)
    did = duel["id"]
    first = make_client(votes_per_ip_per_minute=1)
    first_token = _csrf(_open_page(first, did))
    first_post = first.post(f"/vote/{did}", data={"csrf": first_token, "team_id": duel["home"]})
    assert "counted" in first_post.headers["location"]
    token = _csrf(_open_page(client, did))
    posted = client.post(f"/vote/{did}", data={"csrf": token, "team_id": duel["home"]})
    assert posted.status_code == 303
    location = posted.headers["location"]
    assert re.fullmatch(rf"/vote/{did}\?status=throttled&retry=\d+", location)
    seconds = location.rsplit("=", 1)[1]
    assert f"in {seconds} Sekunden" in client.get(location).text


def test_form_post_needs_the_csrf_token(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    client = make_client()
    duel = make_duel(redis_client)
    did = duel["id"]
    token = _csrf(_open_page(client, did))
    wrong = token[:-1] + ("1" if token.endswith("0") else "0")
    for csrf in (None, wrong, ""):
        data = (
            {"team_id": duel["home"]} if csrf is None else {"csrf": csrf, "team_id": duel["home"]}
        )
        response = client.post(f"/vote/{did}", data=data)
        assert response.status_code == 403
        assert "Formular ist abgelaufen" in response.text
    # A token of another voter does not work either.
    other = make_client()
    other_token = _csrf(_open_page(other, did))
    response = client.post(f"/vote/{did}", data={"csrf": other_token, "team_id": duel["home"]})
    assert response.status_code == 403
    assert redis_client.xlen(keys.votes(did)) == 0


def test_form_post_without_cookie_sends_back_to_the_page(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    duel = make_duel(redis_client)
    response = make_client().post(f"/vote/{duel['id']}", data={"team_id": duel["home"]})
    assert response.status_code == 303
    assert response.headers["location"].endswith("status=voter_token_missing")


def test_closed_duel_page(make_client: ClientFactory, redis_client: redis.Redis) -> None:
    duel = make_duel(redis_client, status="closed")
    html = _open_page(make_client(), duel["id"]).text
    assert "nicht geöffnet" in html
    assert html.count("disabled") >= 2


def test_hidden_results_stay_hidden(make_client: ClientFactory, redis_client: redis.Redis) -> None:
    client = make_client()
    duel = make_duel(redis_client, show_results=False)
    token = _csrf(_open_page(client, duel["id"]))
    posted = client.post(f"/vote/{duel['id']}", data={"csrf": token, "team_id": duel["home"]})
    after = client.get(posted.headers["location"]).text
    assert "Gezählt" in after
    results = re.findall(r'<div class="vote-result"[^>]*>', after)
    assert len(results) == 2 and all("hidden" in tag for tag in results)


def _commands(redis_client: redis.Redis) -> dict[str, int]:
    """Calls per command since the last CONFIG RESETSTAT (the statistics calls left out)."""
    stats = redis_client.info("commandstats")
    calls = {name.removeprefix("cmdstat_"): int(s["calls"]) for name, s in stats.items()}
    return {name: n for name, n in calls.items() if not name.startswith(("info", "config"))}


@pytest.mark.skipif(CLUSTER_MODE, reason="counts the commands of one Redis server")
def test_a_phone_s_page_costs_one_redis_step_and_counts_a_new_voter_once(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    """The burst path: each phone's page is one script call (duel, voter state, the new
    voter counted for its network), the names and branding kept in the process."""
    client = make_client()
    duel = make_duel(redis_client)
    _open_page(client, duel["id"])  # the first phone; warms the names and branding
    minted = list(redis_client.scan_iter(f"{keys.duel(duel['id'])}:rate:mint:*"))
    assert len(minted) == 1 and _new_voters(redis_client, minted[0]) == 1
    client.cookies.clear()
    redis_client.config_resetstat()
    _open_page(client, duel["id"])  # a second phone of the same network
    # The script's own commands are counted too: the duel, the counts, the new voter, and
    # the view for the reach figures (voting/reach.py: once per voter and day).
    assert _commands(redis_client) == {
        "evalsha": 1, "hgetall": 2, "time": 1, "get": 1, "set": 1, "expire": 1, "sadd": 1,
        "hincrby": 1,
    }  # fmt: skip
    assert _new_voters(redis_client, minted[0]) == 2
    redis_client.config_resetstat()
    _open_page(client, duel["id"])  # the second phone again: not a new voter
    assert _commands(redis_client) == {
        "evalsha": 1,
        "hgetall": 2,
        "sismember": 1,
        "hget": 1,
        "time": 1,
        "get": 1,
        "sadd": 1,  # the view: already counted today
    }
    assert _new_voters(redis_client, minted[0]) == 2


def _new_voters(redis_client: redis.Redis, key: str) -> int:
    """The new voters a network's leaky count still holds (default allowance: 30 a minute)."""
    seconds, micros = redis_client.time()
    pending = int(str(redis_client.get(key))) - (seconds * 1_000_000 + micros)
    return -(-pending // 2_000_000)


CHALLENGE = re.compile(r'data-challenge="([^"]*)"')


def test_the_page_brings_the_proof_of_work_its_network_needs(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    """Open mode: nothing to solve for a quiet network; once it mints more new voters
    than the burst rule allows, the page carries a challenge of the burst difficulty."""
    duel = make_duel(redis_client)
    phones = [
        make_client(pow_burst_new_voters_per_minute=2, pow_burst_difficulty=10) for _ in range(4)
    ]
    given = []
    for phone in phones:  # four new voters behind the same venue address
        found = CHALLENGE.search(_open_page(phone, duel["id"]).text)
        assert found is not None
        given.append(html.unescape(found.group(1)))
    assert given[:2] == ["", ""]
    for text in given[2:]:
        challenge = json.loads(text)
        assert challenge["difficulty"] == 10 and challenge["challenge"]
    # The inline challenge is a real one: solved, the vote counts.
    solved = json.loads(given[3])
    nonce = solve(solved["challenge"], solved["difficulty"])
    vote = phones[3].post(
        f"/api/duels/{duel['id']}/votes",
        json={"team_id": duel["home"], "pow": {"challenge": solved["challenge"], "nonce": nonce}},
    )
    assert vote.status_code == 202, vote.text


@pytest.mark.skipif(CLUSTER_MODE, reason="finds the network's count among one server's keys")
def test_a_networks_new_voters_leak_away_instead_of_resetting_with_the_clock_minute(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    """The burst rule counts the same at any second: each new voter of a network counts for a
    minute divided by the allowance, so a burst that starts at 0:59 is asked as much as one
    that starts at 0:00, and an earlier burst is forgiven steadily, not all at once."""
    duel = make_duel(redis_client)
    did = duel["id"]

    def challenge_for_a_new_phone() -> str:
        phone = make_client(pow_burst_new_voters_per_minute=2, pow_burst_difficulty=10)
        found = CHALLENGE.search(_open_page(phone, did).text)
        assert found is not None
        return found.group(1)

    assert [challenge_for_a_new_phone() for _ in range(2)] == ["", ""]
    (count,) = redis_client.keys(keys.rate(did, "mint", "*"))
    # Two new voters, 30 s each: forgotten over the next minute, not when the minute turns.
    assert 30_000 < redis_client.pttl(count) <= 60_000
    assert challenge_for_a_new_phone() != ""
    # As if the three had come a minute ago: one still counts, so one more is no burst ...
    arrival = int(str(redis_client.get(count)))
    redis_client.set(count, arrival - 60_000_000, keepttl=True)
    assert challenge_for_a_new_phone() == ""
    # ... and the next one is.
    assert challenge_for_a_new_phone() != ""
