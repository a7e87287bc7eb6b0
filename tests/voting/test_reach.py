"""Reach figures without tracking (voting/reach.py): vote page views, video plays and ends,
clicks through /go; each once per voter and day, bots not counted, the redirect only to
stored places."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from duels import apprenticeships, keys, privacy
from tests.conftest import ClientFactory
from tests.host.helpers import Host
from voting import reach

DAY1, DAY2 = "2026-03-02", "2026-03-03"
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/124.0.0.0 Safari/537.36"
)
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
BOTS = (
    "WhatsApp/2.23.20.0 A",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "ExampleCrawler/1.0",
    "some-spider",
    "",
)


class Today:
    """The day the app counts on, set by the test (no sleeping over midnight)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.day = DAY1
        monkeypatch.setattr(reach, "today", self)

    def __call__(self, now: float | None = None) -> str:
        return self.day


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    return Today(monkeypatch)


@pytest.fixture
def world(
    make_client: ClientFactory, host_headers: dict[str, str], redis_client: redis.Redis
) -> dict[str, Any]:
    return make_world(make_client, host_headers, redis_client)


def make_world(
    make_client: ClientFactory, host_headers: dict[str, str], redis_client: redis.Redis
) -> dict[str, Any]:
    """A competition with two companies, their duel open, and one place of each company."""
    api = make_client()
    host = Host(api, host_headers)
    cid, teams = host.competition(2)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 1}, 201)
    (duel,) = host.current_duels(cid)
    host.post(f"/api/duels/{duel['id']}/open")
    companies = [team["company_id"] for team in teams]
    places = [
        apprenticeships.add_place(
            redis_client, cid, company, trade="Bäcker/in", starts="2026-08",
            apply_url=f"https://firma{n}.example/bewerben", actor="test",
        )
        for n, company in enumerate(companies)
    ]  # fmt: skip
    return {
        "cid": cid, "duel": duel["id"], "home": duel["home"]["id"], "away": duel["away"]["id"],
        "companies": companies,
        "team_company": {team["id"]: team["company_id"] for team in teams},
        "places": places, "host": host,
    }  # fmt: skip


def _phone(
    make_client: ClientFactory, address: str = "198.51.100.7", agent: str = PHONE
) -> TestClient:
    client = make_client(address)
    client.headers["user-agent"] = agent
    return client


def _views(redis_client: redis.Redis, did: str, day: str = DAY1) -> int:
    return int(redis_client.hget(keys.reach(did), f"{day}:views") or 0)


# Views ------------------------------------------------------------------------------------


def test_a_view_counts_once_per_voter_and_day(
    make_client: ClientFactory, redis_client: redis.Redis, world: dict[str, Any], today: Today
) -> None:
    did = world["duel"]
    first = _phone(make_client)
    for _ in range(3):  # the same phone, three times (its cookie minted on the first view)
        assert first.get(f"/vote/{did}").status_code == 200
    assert _views(redis_client, did) == 1
    second = _phone(make_client)  # another phone, same network
    second.get(f"/vote/{did}")
    assert _views(redis_client, did) == 2
    today.day = DAY2  # next day: the same phones count again, once
    first.get(f"/vote/{did}")
    first.get(f"/vote/{did}")
    assert _views(redis_client, did, DAY2) == 1
    assert _views(redis_client, did, DAY1) == 2
    # What the "seen" set holds expires after two days; the counters stay.
    seen = keys.reach_seen(did, DAY2)
    assert 0 < redis_client.ttl(seen) <= reach.SEEN_TTL_SECONDS
    assert redis_client.ttl(keys.reach(did)) == -1


def test_the_view_of_a_new_phone_counts_under_the_cookie_it_gets(
    make_client: ClientFactory, redis_client: redis.Redis, world: dict[str, Any], today: Today
) -> None:
    did = world["duel"]
    phone = _phone(make_client)
    page = phone.get(f"/vote/{did}")
    assert page.headers["set-cookie"].startswith("mm_voter=")
    members = redis_client.smembers(keys.reach_seen(did, DAY1))
    assert len(members) == 1
    (member,) = members
    cookie = phone.cookies["mm_voter"]
    assert member == f"view:{cookie.split('.')[0]}"  # the signed cookie's voter id


@pytest.mark.parametrize("agent", BOTS)
def test_link_previews_and_crawlers_are_not_counted(
    make_client: ClientFactory,
    redis_client: redis.Redis,
    world: dict[str, Any],
    today: Today,
    agent: str,
) -> None:
    did = world["duel"]
    bot = _phone(make_client, agent=agent)
    assert bot.get(f"/vote/{did}").status_code == 200  # the preview still gets the page
    assert _views(redis_client, did) == 0
    assert not redis_client.exists(keys.reach_seen(did, DAY1))


def test_headless_chrome_counts(
    make_client: ClientFactory, redis_client: redis.Redis, world: dict[str, Any], today: Today
) -> None:
    assert not reach.is_bot(HEADLESS)
    assert not reach.is_bot("Mozilla/5.0 (Linux; Android 10; Cubot P40) Chrome/100 Mobile")
    _phone(make_client, agent=HEADLESS).get(f"/vote/{world['duel']}")
    assert _views(redis_client, world["duel"]) == 1


def test_an_unknown_duel_counts_nothing(
    make_client: ClientFactory, redis_client: redis.Redis, today: Today
) -> None:
    assert _phone(make_client).get("/vote/dnothere").status_code == 404
    assert not list(redis_client.scan_iter("*reach*"))


# Plays and ends -----------------------------------------------------------------------------


def _beacon(phone: TestClient, did: str, body: Any, **headers: str) -> Any:
    return phone.post(f"/api/duels/{did}/reach", json=body, headers=headers)


def _video(redis_client: redis.Redis, did: str, kind: str, team: str, day: str = DAY1) -> int:
    return int(redis_client.hget(keys.reach(did), f"{day}:{kind}:{team}") or 0)


def test_plays_and_ends_count_once_per_voter_team_event_and_day(
    make_client: ClientFactory, redis_client: redis.Redis, world: dict[str, Any], today: Today
) -> None:
    did, home, away = world["duel"], world["home"], world["away"]
    phone = _phone(make_client)
    phone.get(f"/vote/{did}")
    for _ in range(3):
        answer = _beacon(phone, did, {"event": "play", "team": home})
        assert answer.status_code == 204 and answer.content == b""
    _beacon(phone, did, {"event": "end", "team": home})
    _beacon(phone, did, {"event": "end", "team": home})
    _beacon(phone, did, {"event": "play", "team": away})
    assert _video(redis_client, did, "plays", home) == 1
    assert _video(redis_client, did, "ends", home) == 1
    assert _video(redis_client, did, "plays", away) == 1
    assert _video(redis_client, did, "ends", away) == 0
    other = _phone(make_client)
    other.get(f"/vote/{did}")
    _beacon(other, did, {"event": "play", "team": home})
    assert _video(redis_client, did, "plays", home) == 2
    today.day = DAY2
    _beacon(phone, did, {"event": "play", "team": home})
    _beacon(phone, did, {"event": "play", "team": home})
    assert _video(redis_client, did, "plays", home, DAY2) == 1
    assert _video(redis_client, did, "plays", home, DAY1) == 2


def test_a_beacon_sent_as_text_plain_counts(
    make_client: ClientFactory, redis_client: redis.Redis, world: dict[str, Any], today: Today
) -> None:
    """``navigator.sendBeacon(url, string)`` sends text/plain."""
    phone = _phone(make_client)
    phone.get(f"/vote/{world['duel']}")
    answer = phone.post(
        f"/api/duels/{world['duel']}/reach",
        content=b'{"event":"end","team":"%s"}' % world["away"].encode(),
        headers={"content-type": "text/plain;charset=UTF-8", "origin": "http://testserver",
                 "sec-fetch-site": "same-origin"},
    )  # fmt: skip
    assert answer.status_code == 204
    assert _video(redis_client, world["duel"], "ends", world["away"]) == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"event": "pause", "team": "HOME"}, 422, "reach_event_invalid"),
        ({"event": "play", "team": "tNotInIt"}, 422, "team_not_in_duel"),
        ({"event": "play"}, 422, "team_not_in_duel"),
        ({"event": "play", "team": "HOME", "voter": "x"}, 422, "invalid_body"),
        (["play"], 422, "invalid_body"),
    ],
)
def test_bad_beacons_get_codes(
    make_client: ClientFactory,
    redis_client: redis.Redis,
    world: dict[str, Any],
    today: Today,
    body: Any,
    status: int,
    code: str,
) -> None:
    phone = _phone(make_client)
    phone.get(f"/vote/{world['duel']}")
    if isinstance(body, dict) and body.get("team") == "HOME":
        body["team"] = world["home"]
    answer = _beacon(phone, world["duel"], body)
    assert answer.status_code == status and answer.json()["detail"]["code"] == code
    assert not redis_client.hgetall(keys.reach(world["duel"])).keys() - {f"{DAY1}:views"}


def test_beacon_refusals(
    make_client: ClientFactory, redis_client: redis.Redis, world: dict[str, Any], today: Today
) -> None:
    did, home = world["duel"], world["home"]
    stranger = _phone(make_client)  # no voter cookie: nothing to count it by
    answer = _beacon(stranger, did, {"event": "play", "team": home})
    assert answer.status_code == 401 and answer.json()["detail"]["code"] == "voter_token_missing"
    phone = _phone(make_client)
    phone.get(f"/vote/{did}")
    unknown = _beacon(phone, "dnothere", {"event": "play", "team": home})
    assert unknown.status_code == 404 and unknown.json()["detail"]["code"] == "unknown_duel"
    for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}):
        refused = _beacon(phone, did, {"event": "play", "team": home}, **headers)
        assert refused.status_code == 403 and refused.json()["detail"]["code"] == "cross_origin"
    assert _video(redis_client, did, "plays", home) == 0
    same = _beacon(phone, did, {"event": "play", "team": home}, origin="http://testserver")
    assert same.status_code == 204
    assert _video(redis_client, did, "plays", home) == 1


def test_bots_beacons_are_not_counted(
    make_client: ClientFactory, redis_client: redis.Redis, world: dict[str, Any], today: Today
) -> None:
    phone = _phone(make_client)
    phone.get(f"/vote/{world['duel']}")
    phone.headers["user-agent"] = "Mozilla/5.0 (compatible; Googlebot/2.1)"
    assert (
        _beacon(phone, world["duel"], {"event": "play", "team": world["home"]}).status_code == 204
    )
    assert _video(redis_client, world["duel"], "plays", world["home"]) == 0


# The /go redirect -------------------------------------------------------------------------


def _clicks(redis_client: redis.Redis, world: dict[str, Any], n: int = 0, day: str = DAY1) -> int:
    place = world["places"][n]
    field = f"{day}:place:{place.company_id}:{place.id}"
    return int(redis_client.hget(keys.clicks(world["cid"]), field) or 0)


def _from(redis_client: redis.Redis, world: dict[str, Any], did: str, n: int = 0) -> int:
    field = f"{DAY1}:from:{did}:{world['companies'][n]}"
    return int(redis_client.hget(keys.clicks(world["cid"]), field) or 0)


def test_go_redirects_to_the_stored_place_and_counts_once_per_voter_and_day(
    make_client: ClientFactory, redis_client: redis.Redis, world: dict[str, Any], today: Today
) -> None:
    cid, place, did = world["cid"], world["places"][0], world["duel"]
    phone = _phone(make_client)
    phone.get(f"/vote/{did}")
    for _ in range(3):
        answer = phone.get(f"/go/{cid}/{place.id}?d={did}")
        assert answer.status_code == 302
        assert answer.headers["location"] == "https://firma0.example/bewerben"
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert "set-cookie" not in answer.headers  # no new cookie
    assert _clicks(redis_client, world) == 1
    assert _from(redis_client, world, did) == 1
    other = _phone(make_client)
    other.get(f"/vote/{did}")
    other.get(f"/go/{cid}/{place.id}")  # from no duel page
    assert _clicks(redis_client, world) == 2 and _from(redis_client, world, did) == 1
    today.day = DAY2
    phone.get(f"/go/{cid}/{place.id}")
    phone.get(f"/go/{cid}/{place.id}")
    assert _clicks(redis_client, world, day=DAY2) == 1
    assert _clicks(redis_client, world) == 2
    seen = keys.clicks_seen(cid, DAY2)
    assert 0 < redis_client.ttl(seen) <= reach.SEEN_TTL_SECONDS


def test_a_visitor_without_a_voter_cookie_counts_once_by_address_and_agent(
    make_client: ClientFactory, redis_client: redis.Redis, world: dict[str, Any], today: Today
) -> None:
    cid, place = world["cid"], world["places"][1]
    path = f"/go/{cid}/{place.id}"
    visitor = _phone(make_client, "192.0.2.10")
    for _ in range(2):
        answer = visitor.get(path)
        assert answer.status_code == 302 and "set-cookie" not in answer.headers
    assert _clicks(redis_client, world, 1) == 1
    _phone(make_client, "192.0.2.10", agent=HEADLESS).get(path)  # another browser there
    _phone(make_client, "192.0.2.11").get(path)  # another address
    assert _clicks(redis_client, world, 1) == 3
    members = redis_client.smembers(keys.clicks_seen(cid, DAY1))
    assert all("192.0.2" not in member for member in members)  # keyed hashes only
    assert all(member.startswith(f"{place.id}:h:") for member in members)


def test_go_counts_the_duel_only_when_it_is_one_of_the_competition(
    make_client: ClientFactory,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    world: dict[str, Any],
    today: Today,
) -> None:
    host = world["host"]
    other_cid, _ = host.competition(2)
    host.post(f"/api/competitions/{other_cid}/bracket", {"seed": 1}, 201)
    (foreign,) = host.current_duels(other_cid)
    phone = _phone(make_client)
    answer = phone.get(f"/go/{world['cid']}/{world['places'][0].id}?d={foreign['id']}")
    assert answer.status_code == 302
    assert _clicks(redis_client, world) == 1
    assert _from(redis_client, world, foreign["id"]) == 0
    fields = redis_client.hkeys(keys.clicks(world["cid"]))
    assert not any(":from:" in field for field in fields)


def test_go_to_a_mail_address(
    make_client: ClientFactory, redis_client: redis.Redis, world: dict[str, Any], today: Today
) -> None:
    place = apprenticeships.add_place(
        redis_client, world["cid"], world["companies"][0], trade="Koch/Köchin",
        apply_email="Ausbildung@Firma0.example", actor="test",
    )  # fmt: skip
    phone = _phone(make_client)
    # httpx cannot make a next request of a mailto: location: ask the transport itself.
    answer = phone._transport.handle_request(
        phone.build_request("GET", f"/go/{world['cid']}/{place.id}")
    )
    assert answer.status_code == 302
    assert answer.headers["location"].lower() == "mailto:ausbildung@firma0.example"
    assert _clicks(redis_client, world) == 0  # another place


def _not_found(answer: Any) -> None:
    assert answer.status_code == 404
    assert "location" not in answer.headers
    assert "text/html" in answer.headers["content-type"]
    assert 'data-code="unknown_place"' in answer.text


def test_go_only_ever_leads_to_a_stored_place(
    make_client: ClientFactory,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    world: dict[str, Any],
    today: Today,
) -> None:
    cid, places = world["cid"], world["places"]
    phone = _phone(make_client)
    # A made-up id, a place of another competition (right id, wrong competition).
    _not_found(phone.get(f"/go/{cid}/pNotThere"))
    other_cid, other_teams = world["host"].competition(2)
    foreign = apprenticeships.add_place(
        redis_client, other_cid, other_teams[0]["company_id"], trade="Maler/in",
        apply_url="https://other.example/apply", actor="test",
    )  # fmt: skip
    _not_found(phone.get(f"/go/{cid}/{foreign.id}"))
    assert phone.get(f"/go/{other_cid}/{foreign.id}").headers["location"] == (
        "https://other.example/apply"
    )
    _not_found(phone.get(f"/go/cNotThere/{places[0].id}"))
    # A hidden profile's places are gone from /go too.
    apprenticeships.set_hidden(redis_client, cid, places[0].company_id, True, "Spam", "host")
    _not_found(phone.get(f"/go/{cid}/{places[0].id}"))
    # No parameter, header or path trick leads anywhere else.
    stored = "https://firma1.example/bewerben"
    for path in (
        f"/go/{cid}/{places[1].id}?url=https://evil.example",
        f"/go/{cid}/{places[1].id}?next=//evil.example&to=https://evil.example",
        f"/go/{cid}/{places[1].id}?d=https://evil.example",
        f"/go/{cid}/{places[1].id}?d=//evil.example%2F",
    ):
        answer = phone.get(path, headers={"referer": "https://evil.example/"})
        assert answer.status_code == 302 and answer.headers["location"] == stored
    for path in (
        f"/go/{cid}/https:%2F%2Fevil.example",
        f"/go/{cid}/%2F%2Fevil.example",
        f"/go/{cid}/{places[1].id}/https://evil.example",
    ):
        answer = phone.get(path)
        assert answer.status_code == 404, path
        assert "evil" not in answer.headers.get("location", "")
    assert _clicks(redis_client, world) == 0  # the hidden place was never counted


def test_bots_are_redirected_but_not_counted(
    make_client: ClientFactory, redis_client: redis.Redis, world: dict[str, Any], today: Today
) -> None:
    for agent in BOTS:
        answer = _phone(make_client, agent=agent).get(f"/go/{world['cid']}/{world['places'][0].id}")
        assert answer.status_code == 302
    assert _clicks(redis_client, world) == 0
    assert not redis_client.exists(keys.clicks_seen(world["cid"], DAY1))


# Privacy ------------------------------------------------------------------------------------


def test_purge_removes_who_was_counted_and_keeps_the_figures(
    make_client: ClientFactory, redis_client: redis.Redis, world: dict[str, Any], today: Today
) -> None:
    cid, did = world["cid"], world["duel"]
    phone = _phone(make_client)
    phone.get(f"/vote/{did}")
    _beacon(phone, did, {"event": "play", "team": world["home"]})
    phone.get(f"/go/{cid}/{world['places'][0].id}?d={did}")
    seen: Callable[[], list[str]] = lambda: [  # noqa: E731
        *redis_client.scan_iter(f"{keys.duel(did)}:reach-seen:*"),
        *redis_client.scan_iter(match=keys.clicks_seen_pattern(cid)),
    ]
    assert len(seen()) == 2
    before = redis_client.hgetall(keys.reach(did)), redis_client.hgetall(keys.clicks(cid))
    privacy.purge(redis_client, cid, force=True)
    assert seen() == []
    assert (redis_client.hgetall(keys.reach(did)), redis_client.hgetall(keys.clicks(cid))) == before
    assert before[0][f"{DAY1}:views"] == "1" and before[0][f"{DAY1}:plays:{world['home']}"] == "1"


def test_the_day_is_berlin_s() -> None:
    # 2026-03-02 23:30 UTC is already 3 March in Berlin (UTC+1); summer time is UTC+2.
    assert reach.today(1772494200.0) == "2026-03-03"
    assert reach.today(1782858600.0) == "2026-07-01"  # 2026-06-30 22:30 UTC
