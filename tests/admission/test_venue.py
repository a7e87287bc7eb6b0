"""Venue admission through the stage screen: the rotating code on the screen admits the
phones in the hall (all behind one address), a bot off the hall gets nothing, a relayed
code is held back for review, and the code never shows anywhere without the screen key."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from typing import Any, cast

import redis
import zxingcpp
from PIL import Image, ImageDraw
from starlette.testclient import TestClient

from duels import keys, screens, store
from duels.settings import Settings
from tests.accounts import csrf_of, log_in
from tests.conftest import ClientFactory
from tests.host.helpers import Host
from tests.security.test_headers import assert_no_inline_code
from tests.support import start_worker, wait_for
from voting.admission import AdmissionSecrets
from web import demo
from web.i18n import translator

HALL = ("203.0.113.7", 5000)  # the venue's Wi-Fi: every phone behind one address
REMOTE = ("198.51.100.66", 40000)
AGENTS = tuple(
    f"Mozilla/5.0 (Linux; Android 1{n % 5}; Phone {n}) AppleWebKit/537.36 Chrome/12{n}.0 Mobile"
    for n in range(20)
)
PUBLIC = "http://testserver"
TEXT = translator("de")


def _venue_duels(
    client: TestClient, headers: dict[str, str], teams: int = 2, **duel_modes: str
) -> tuple[str, list[dict[str, Any]]]:
    """A venue competition drawn via the host API, its first-round duels opened."""
    host = Host(client, headers)
    cid, _ = host.competition(teams, admission="venue")
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 7}, 201)
    duels = [d for d in host.current_duels(cid) if d["away"]]
    for n, duel in enumerate(duels):
        if str(n) in duel_modes:
            host.post(f"/api/duels/{duel['id']}/admission", {"mode": duel_modes[str(n)]})
        host.post(f"/api/duels/{duel['id']}/open")
    return cid, duels


def _issue_screen(client: TestClient, headers: dict[str, str], cid: str) -> dict[str, Any]:
    response = client.post(
        f"/api/competitions/{cid}/screens", json={"name": "Bühne links"}, headers=headers
    )
    assert response.status_code == 201, response.text
    screen: dict[str, Any] = response.json()
    assert screen["url"] == f"{PUBLIC}/screen/{screen['key']}"
    return screen


def _code_url(screen: TestClient, key: str, did: str) -> str:
    """The vote URL of ``did`` as the stage screen shows it right now."""
    codes = screen.get(f"/screen/{key}/codes.json")
    assert codes.status_code == 200
    assert codes.headers["cache-control"] == "no-store"
    (duel,) = [d for d in codes.json()["duels"] if d["duel"] == did]
    assert duel["admission"] == "venue"
    return str(duel["url"])


def _token(url: str) -> str:
    return url.partition("?p=")[2]


def _scan_and_vote(phone: TestClient, url: str, did: str, team: str, agent: str) -> int:
    """A fresh phone scans ``url``, sees the vote page, votes; returns the vote's status."""
    phone.cookies.clear()
    ua = {"User-Agent": agent}
    scanned = phone.get(url.removeprefix(PUBLIC), headers=ua)
    assert scanned.status_code == 303, scanned.text
    assert scanned.headers["location"] == f"/vote/{did}?status=present"
    page = phone.get(scanned.headers["location"], headers=ua)
    assert 'data-can-vote="1"' in page.text
    vote = phone.post(f"/api/duels/{did}/votes", json={"team_id": team}, headers=ua)
    return int(vote.status_code)


def _wait_for_next_code(screen: TestClient, key: str, did: str) -> None:
    shown = _code_url(screen, key, did)
    wait_for(lambda: _code_url(screen, key, did) != shown, timeout=20, interval=0.5)


def _official(client: redis.Redis, did: str) -> dict[str, int]:
    raw = cast(dict[str, str], client.hgetall(keys.official(did)))
    return {team: int(votes) for team, votes in raw.items()}


def _decode_svg(svg: str) -> str:
    """Draw qrcode's SVG path squares to pixels and read the code."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))  # type: ignore[union-attr]
    image = Image.new("L", (size * 10, size * 10), 255)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z", svg):
        box = (int(x0) * 10, int(y0) * 10, int(x1) * 10 - 1, int(y1) * 10 - 1)
        draw.rectangle(box, fill=0)
    (found,) = zxingcpp.read_barcodes(image)
    return str(found.text)


def test_an_honest_hall_votes_through_the_screen_and_the_majority_wins(
    make_client: ClientFactory,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    worker: object,
) -> None:
    hall = make_client(presence_rotate_seconds=5)
    screen_client = make_client(presence_rotate_seconds=5)
    cid, (duel,) = _venue_duels(hall, host_headers)
    did, home, away = duel["id"], duel["home"]["id"], duel["away"]["id"]
    key = _issue_screen(hall, host_headers, cid)["key"]

    statuses = []
    tokens_used = set()
    for n in range(300):
        if n == 150:  # the screen moves on to its next code halfway through
            _wait_for_next_code(screen_client, key, did)
        url = _code_url(screen_client, key, did)
        tokens_used.add(_token(url))
        team = home if n % 20 < 11 else away  # 165 : 135
        statuses.append(_scan_and_vote(hall, url, did, team, AGENTS[n % len(AGENTS)]))

    assert statuses.count(202) == 300
    assert len(tokens_used) >= 2
    assert redis_client.hgetall(keys.refused(did)) == {}
    wait_for(lambda: sum(_official(redis_client, did).values()) == 300, timeout=60)
    official = _official(redis_client, did)
    assert official.get(home, 0) + official.get(away, 0) >= 0.95 * 300
    assert official.get(home, 0) > official.get(away, 0)
    assert (official.get(home, 0), official.get(away, 0)) == (165, 135)


def test_a_remote_bot_clearing_cookies_gets_no_vote_in(
    make_client: ClientFactory, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    bot = make_client(REMOTE)
    _, (duel,) = _venue_duels(bot, host_headers)
    did = duel["id"]
    refused = []
    for n in range(200):
        bot.cookies.clear()
        page = bot.get(f"/vote/{did}", headers={"User-Agent": AGENTS[n % len(AGENTS)]})
        assert page.status_code == 200 and 'data-can-vote="0"' in page.text
        vote = bot.post(f"/api/duels/{did}/votes", json={"team_id": duel["home"]["id"]})
        refused.append((vote.status_code, vote.json()["detail"]["code"]))

    assert set(refused) == {(403, "presence_required")}
    assert redis_client.xlen(keys.votes(did)) == 0
    assert redis_client.hgetall(keys.refused(did)) == {"presence_required": "200"}
    assert redis_client.hgetall(keys.provisional(did)) == {}


def test_a_relayed_code_is_held_back_until_a_host_includes_it(
    make_client: ClientFactory,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    settings: Settings,
) -> None:
    relay = make_client(REMOTE)
    cid, (duel,) = _venue_duels(relay, host_headers)
    did, home, away = duel["id"], duel["home"]["id"], duel["away"]["id"]
    key = _issue_screen(relay, host_headers, cid)["key"]
    url = _code_url(relay, key, did)  # one photo of the screen, passed around
    statuses = [
        _scan_and_vote(relay, url, did, home if n < 50 else away, AGENTS[n % len(AGENTS)])
        for n in range(80)
    ]
    assert statuses.count(202) == 80

    worker = start_worker(settings.model_copy(update={"presence_phones_per_code": 50}))
    try:
        wait_for(lambda: sum(_official(redis_client, did).values()) == 80, timeout=60)
    finally:
        worker.stop()
    official = _official(redis_client, did)
    assert official.get(home, 0) == official.get(away, 0) == 0
    assert (official[f"q:{home}"], official[f"q:{away}"]) == (50, 30)
    group = f"relay-p-{_token(url).partition('.')[0]}"
    listed = relay.get(f"/api/duels/{did}/quarantine", headers=host_headers).json()
    assert [g["group"] for g in listed["groups"]] == [group]

    included = relay.post(
        f"/api/duels/{did}/quarantine/{group}/include",
        json={"reason": "Die Halle war voll, der Code hing an der Wand"},
        headers=host_headers,
    )
    assert included.status_code == 200, included.text
    official = _official(redis_client, did)
    assert (official[home], official[away]) == (50, 30)


def test_stale_forged_and_foreign_codes_and_revoked_screens_admit_nobody(
    make_client: ClientFactory,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    settings: Settings,
) -> None:
    phone = make_client()
    cid, (venue, other) = _venue_duels(phone, host_headers, teams=4, **{"1": "open"})
    did = venue["id"]
    screen = _issue_screen(phone, host_headers, cid)
    key = screen["key"]
    presence = AdmissionSecrets(
        settings.secret_key_value(),
        rotate_seconds=settings.presence_rotate_seconds,
        grace_seconds=settings.presence_grace_seconds,
    )
    too_old = time.time() - settings.presence_rotate_seconds * 3 - settings.presence_grace_seconds

    def scanned(token: str) -> tuple[int, str]:
        phone.cookies.clear()
        response = phone.get(f"/vote/{did}?p={token}")
        return response.status_code, response.text

    for token, status in (
        (presence.presence_token(did, too_old).token, "presence_stale"),
        (presence.presence_token(other["id"]).token, "presence_invalid"),
        ("1a2b3c4d.AAAAAAAAAAAAAAAA", "presence_invalid"),
    ):
        code, page = scanned(token)
        assert code == 403
        assert html.escape(TEXT(f"vote.status.{status}"), quote=False) in page
        vote = phone.post(f"/api/duels/{did}/votes", json={"team_id": venue["home"]["id"]})
        assert vote.json()["detail"]["code"] == "presence_required"
    assert redis_client.xlen(keys.votes(did)) == 0

    # The screen: a large code for the venue duel, the normal QR for the open one.
    codes = phone.get(f"/screen/{key}/codes.json").json()
    by_duel = {d["duel"]: d for d in codes["duels"]}
    assert by_duel[other["id"]]["qr_svg_path"] == f"/qr/duels/{other['id']}.svg"
    assert "?p=" not in by_duel[other["id"]]["url"]
    page = phone.get(f"/screen/{key}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert '<meta http-equiv="refresh"' in page.text  # without JavaScript
    assert_no_inline_code(page.text, "the stage screen")
    assert html.escape(TEXT("screen.scan_rotating", seconds=codes["rotate_seconds"])) in page.text
    image = phone.get(f"/screen/{key}/qr/{did}.svg?slot=1")
    assert image.status_code == 200 and image.headers["cache-control"] == "no-store"
    decoded = _decode_svg(image.text)
    assert decoded.startswith(f"{PUBLIC}/vote/{did}?p=")
    presence.check_presence(did, _token(decoded))  # a valid, current code of this duel
    assert phone.get(f"/screen/{key}/qr/{other['id']}.svg").status_code == 404

    # Nowhere without the key: live board (normal, projector, fragment), posters, API.
    token = _token(by_duel[did]["url"])
    for path in (
        f"/live/{cid}",
        f"/live/{cid}?mode=projector",
        f"/live/{cid}/board?mode=projector",
        f"/poster/duels/{did}",
        f"/api/competitions/{cid}/bracket",
        f"/api/duels/{did}",
        f"/api/competitions/{cid}/screens",
    ):
        body = phone.get(path, headers=host_headers).text
        assert "?p=" not in body and token.partition(".")[2] not in body, path
        assert key not in body, path
    projector = phone.get(f"/live/{cid}?mode=projector").text
    assert f"/qr/duels/{did}.svg" not in projector
    assert f"/qr/duels/{other['id']}.svg" in projector
    assert TEXT("live.venue_hint") in projector
    poster = phone.get(f"/poster/duels/{did}").text
    assert f"/qr/duels/{did}.svg" in poster and TEXT("poster.venue") in poster
    assert TEXT("poster.venue") not in phone.get(f"/poster/duels/{other['id']}").text

    # Guessed keys and the revoked key answer alike: 404, no hint which.
    guessed = phone.get("/screen/not-a-screen-key-at-all")
    assert guessed.status_code == 404
    assert phone.get("/screen/not-a-screen-key-at-all/codes.json").status_code == 404
    revoked = phone.delete(f"/api/competitions/{cid}/screens/{screen['id']}", headers=host_headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    gone = phone.get(f"/screen/{key}")
    assert gone.status_code == 404 and gone.text == guessed.text
    assert phone.get(f"/screen/{key}/codes.json").status_code == 404
    assert phone.get(f"/screen/{key}/qr/{did}.svg").status_code == 404
    listed = phone.get(f"/api/competitions/{cid}/screens", headers=host_headers).json()
    assert [(s["id"], s["active"]) for s in listed] == [(screen["id"], False)]
    assert all("key" not in s for s in listed)
    entries = cast(list[tuple[str, dict[str, str]]], redis_client.xrange(keys.audit(cid)))
    whats = [fields["what"] for _, fields in entries]
    assert whats.count("screen_issued") == 1 and whats.count("screen_revoked") == 1


def test_screen_keys_need_the_host_token(
    make_client: ClientFactory, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    client = make_client()
    cid, _ = _venue_duels(client, host_headers)
    path = f"/api/competitions/{cid}/screens"
    wrong = {"Authorization": "Bearer " + "x" * 40}
    assert client.post(path, json={"name": "Bühne"}).status_code == 401
    assert client.post(path, json={"name": "Bühne"}, headers=wrong).status_code == 403
    assert client.get(path).status_code == 401
    assert client.delete(f"{path}/s1").status_code == 401
    assert redis_client.hlen(keys.SCREEN_KEYS) == 0
    unknown = client.delete(f"{path}/s1", headers=host_headers)
    assert unknown.status_code == 404 and unknown.json()["detail"]["code"] == "unknown_screen"


def test_host_issues_and_revokes_a_screen_in_the_console(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    cid, _ = _venue_duels(client, host_headers)
    csrf = log_in(client)
    page = client.get(f"/host/c/{cid}").text
    assert TEXT("host.screens.title") in page
    forged = client.post(f"/host/c/{cid}/screens", data={"name": "Fremd", "csrf": "0" * 64})
    assert "error=csrf_failed" in str(forged.url) and 'id="screen-url"' not in forged.text
    assert redis_client.hlen(keys.SCREEN_KEYS) == 0
    issued = client.post(f"/host/c/{cid}/screens", data={"name": "Bühne links", "csrf": csrf})
    assert issued.status_code == 200  # followed to the competition page
    found = re.search(r'id="screen-url" readonly value="([^"]+)"', issued.text)
    assert found, "the screen URL is shown once"
    url = found.group(1)
    assert url.startswith(f"{PUBLIC}/screen/")
    codes = client.get(url.removeprefix(PUBLIC) + "/codes.json").json()
    assert "?p=" in codes["duels"][0]["url"]
    again = client.get(f"/host/c/{cid}").text
    assert url not in again and "Bühne links" in again

    (screen_id,) = re.findall(r'data-screen="([^"]+)"', again)
    forged = client.post(f"/host/c/{cid}/screens/{screen_id}/revoke", data={"csrf": "0" * 64})
    assert "error=csrf_failed" in str(forged.url)
    assert client.get(url.removeprefix(PUBLIC)).status_code == 200
    revoked = client.post(
        f"/host/c/{cid}/screens/{screen_id}/revoke", data={"csrf": csrf_of(again)}
    )
    assert "ok=screen_revoked" in str(revoked.url)
    assert client.get(url.removeprefix(PUBLIC)).status_code == 404


def test_the_demo_keeps_its_screen_key_across_restarts(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    competition = store.create_competition(redis_client, "Demo", "demo-x", admission="venue")
    path = tmp_path / demo.DEMO_SCREEN_FILE
    key = demo.demo_screen_key(redis_client, path, competition.id)
    assert path.stat().st_mode & 0o777 == 0o600
    assert demo.demo_screen_key(redis_client, path, competition.id) == key

    path.unlink()  # the key is lost: a new screen, the old one revoked
    fresh = demo.demo_screen_key(redis_client, path, competition.id)
    assert fresh != key
    assert screens.screen_for_key(redis_client, key) is None
    assert screens.screen_for_key(redis_client, fresh) is not None
    assert [s.active for s in screens.list_screens(redis_client, competition.id)] == [False, True]
