"""Show control: the host picks the stage's scene (duels.show) on the remote; the stage
pages (/stage/<cid>, the venue screen /screen/<key>) render it from public data only."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import redis
from starlette.testclient import TestClient

from duels import errors, keys, screens, show, store
from duels.access import Role
from tests.accounts import account, csrf_of, log_in, log_in_form
from tests.conftest import ClientFactory
from tests.host.conftest import HTML
from tests.host.helpers import Host, play_round, record_official_counts


def scene_events(client: redis.Redis, cid: str) -> list[dict[str, Any]]:
    entries = client.xrange(keys.event_log(cid))
    found = [orjson.loads(fields["e"]) for _, fields in entries]  # type: ignore[union-attr]
    return [event for event in found if event["type"] == "scene"]


def test_the_scene_starts_at_welcome_and_is_public(
    client: TestClient, cup: tuple[str, list[dict[str, Any]]]
) -> None:
    cid, _ = cup
    answer = client.get(f"/stage/{cid}/scene.json")
    assert answer.status_code == 200
    assert answer.json() == {"scene": "welcome", "duel": "", "version": 0}
    page = client.get(f"/stage/{cid}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'data-scene="welcome"' in page.text and "So stimmst du ab" in page.text
    assert '<html lang="de">' in page.text
    assert "data-host" not in page.text and 'name="csrf"' not in page.text
    assert client.get("/stage/cunknown1/scene.json").status_code == 404


def test_set_scene_audits_publishes_and_counts_up(
    client: TestClient, redis_client: redis.Redis, cup: tuple[str, list[dict[str, Any]]]
) -> None:
    cid, duels = cup
    first = show.set_scene(redis_client, cid, "duel_intro", duels[0]["id"], actor="anna")
    second = show.set_scene(redis_client, cid, "bracket", duels[0]["id"], actor="anna")
    assert (first.scene, first.duel, first.version) == ("duel_intro", duels[0]["id"], 1)
    assert (second.scene, second.duel, second.version) == ("bracket", "", 2)
    assert scene_events(redis_client, cid) == [
        {"type": "scene", "scene": "duel_intro", "duel": duels[0]["id"], "version": 1},
        {"type": "scene", "scene": "bracket", "duel": "", "version": 2},
    ]
    audit = [e for e in store.audit_log(redis_client, cid) if e["what"] == "scene"]
    assert [(e["who"], e["scene"], e["version"]) for e in audit] == [
        ("anna", "duel_intro", "1"),
        ("anna", "bracket", "2"),
    ]
    assert client.get(f"/stage/{cid}/scene.json").json() == second.public()


@pytest.mark.parametrize(
    ("scene", "duel", "error", "code"),
    [
        ("karaoke", "", errors.Invalid, "invalid_scene"),
        ("voting", "", errors.Invalid, "duel_required"),
        ("voting", "dnosuch22", errors.NotFound, "unknown_duel"),
        ("winner", "first", errors.Conflict, "not_decided"),
        ("champion", "", errors.Conflict, "no_champion"),
        ("reveal", "first", errors.Conflict, "nothing_to_reveal"),
    ],
)
def test_set_scene_refuses(
    redis_client: redis.Redis,
    cup: tuple[str, list[dict[str, Any]]],
    scene: str,
    duel: str,
    error: type[errors.DomainError],
    code: str,
) -> None:
    cid, duels = cup
    with pytest.raises(error) as raised:
        show.set_scene(redis_client, cid, scene, duels[0]["id"] if duel == "first" else duel)
    assert raised.value.code == code
    assert show.current(redis_client, cid).version == 0
    assert scene_events(redis_client, cid) == []


def test_a_duel_of_another_competition_is_unknown(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = Host(client, host_headers)
    cids = []
    for _ in range(2):
        cid, _ = host.competition(2)
        host.post(f"/api/competitions/{cid}/bracket", {"seed": 1}, 201)
        cids.append(cid)
    other = host.current_duels(cids[1])[0]["id"]
    with pytest.raises(errors.NotFound) as raised:
        show.set_scene(redis_client, cids[0], "duel_intro", other)
    assert raised.value.code == "unknown_duel"


def test_reveal_scene_makes_hidden_counts_public(
    client: TestClient,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    cup: tuple[str, list[dict[str, Any]]],
) -> None:
    cid, duels = cup
    host = Host(client, host_headers)
    duel = duels[0]
    did, home, away = duel["id"], duel["home"]["id"], duel["away"]["id"]
    host.post(f"/api/duels/{did}/open", {"show_results": False})
    redis_client.hset(keys.provisional(did), mapping={home: 41, away: 17})
    show.set_scene(redis_client, cid, "voting", did)
    voting = client.get(f"/stage/{cid}/scene").text
    assert 'data-scene="voting"' in voting and "Stimmen verdeckt" in voting
    assert ">41<" not in voting and ">17<" not in voting
    assert f"/qr/duels/{did}.svg" in voting
    record_official_counts(redis_client, did, {home: 41, away: 17})
    host.post(f"/api/duels/{did}/close")
    assert "Stimmen verdeckt" in client.get(f"/stage/{cid}/scene").text
    with pytest.raises(errors.Conflict, match="Reveal"):
        show.set_scene(redis_client, cid, "winner", did)

    show.set_scene(redis_client, cid, "reveal", did, actor="anna")
    assert store.get_duel(redis_client, did).counts_public
    revealed = client.get(f"/stage/{cid}/scene").text
    assert "Stimmen verdeckt" not in revealed and 'class="stage-bars stage-animate"' in revealed
    assert '<span data-count="home">41</span>' in revealed
    assert "reveal" in [e["what"] for e in store.audit_log(redis_client, cid)]

    show.set_scene(redis_client, cid, "winner", did)
    winner = client.get(f"/stage/{cid}/scene").text
    assert f'data-winner="{home}"' in winner and "41 : 17" in winner
    assert "/static/trophy.svg" in winner and "🏆" not in winner


def test_bracket_leaderboard_and_champion_scenes(
    client: TestClient,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    cup: tuple[str, list[dict[str, Any]]],
) -> None:
    cid, _ = cup
    host = Host(client, host_headers)
    for scene in ("bracket", "leaderboard"):
        show.set_scene(redis_client, cid, scene)
        assert f'data-scene="{scene}"' in client.get(f"/stage/{cid}/scene").text
    for _ in range(2):
        play_round(host, redis_client, cid)
        host.post(f"/api/competitions/{cid}/advance")
    champion = host.bracket(cid)["champion"]
    assert champion
    show.set_scene(redis_client, cid, "champion")
    page = client.get(f"/stage/{cid}").text
    assert f'data-champion="{champion["id"]}"' in page and champion["company"] in page


def test_remote_page_and_form(
    client: TestClient, redis_client: redis.Redis, cup: tuple[str, list[dict[str, Any]]]
) -> None:
    cid, duels = cup
    assert client.get(f"/host/c/{cid}/show", follow_redirects=False).status_code in (303, 401)
    log_in(client)
    assert 'href="/host/c/' + cid + '/show"' in client.get(f"/host/c/{cid}", headers=HTML).text
    page = client.get(f"/host/c/{cid}/show", headers=HTML)
    assert page.status_code == 200
    for number, scene in enumerate(show.SCENES, start=1):
        assert f'value="{scene}" data-scene="{scene}" data-key="{number}"' in page.text
    assert f'<option value="{duels[0]["id"]}"' in page.text
    csrf = csrf_of(page.text)
    form = {"csrf": csrf, "scene": "duel_intro", "duel": duels[1]["id"]}
    sent = client.post(f"/host/c/{cid}/show", data=form, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].endswith("?ok=scene_set")
    assert show.current(redis_client, cid).duel == duels[1]["id"]
    live = client.get(f"/host/c/{cid}/show", headers=HTML).text
    assert 'data-scene="duel_intro"' in live and "is-live" in live
    bad = client.post(f"/host/c/{cid}/show", data={**form, "scene": "x"}, follow_redirects=False)
    assert bad.headers["location"].endswith("?error=invalid_scene")
    forged = {**form, "csrf": "0" * 64}
    refused = client.post(f"/host/c/{cid}/show", data=forged, follow_redirects=False)
    assert refused.headers["location"].endswith("?error=csrf_failed")
    assert show.current(redis_client, cid).version == 1

    stage = client.get(f"/stage/{cid}").text  # a logged-in host: the shortcuts too
    assert "data-host" in stage and "show_keys.js" in stage and 'name="csrf"' in stage


def test_only_runners_drive_the_show(
    make_client: ClientFactory, redis_client: redis.Redis, cup: tuple[str, list[dict[str, Any]]]
) -> None:
    cid, _ = cup
    account(redis_client, "jule.jury@example.org", Role.JURY, f"c:{cid}")
    phone = make_client("198.51.100.21")
    assert log_in_form(phone, "jule.jury@example.org").status_code == 303
    assert phone.get(f"/host/c/{cid}/show", headers=HTML).status_code == 403
    csrf = csrf_of(phone.get("/host/jury").text)
    form = {"csrf": csrf, "scene": "bracket", "duel": ""}
    assert phone.post(f"/host/c/{cid}/show", data=form).status_code == 403
    assert show.current(redis_client, cid).version == 0
    stage = phone.get(f"/stage/{cid}").text
    assert "data-host" not in stage and 'name="csrf"' not in stage


def test_venue_screen_follows_the_scenes(
    client: TestClient,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    cup: tuple[str, list[dict[str, Any]]],
) -> None:
    cid, duels = cup
    host = Host(client, host_headers)
    host.post(f"/api/competitions/{cid}/admission", {"mode": "venue"})
    did = duels[0]["id"]
    host.post(f"/api/duels/{did}/open")
    _, key = screens.issue_screen(redis_client, cid, "Halle")
    before = client.get(f"/screen/{key}").text
    assert "data-legacy" in before and 'class="screen-duels' in before
    show.set_scene(redis_client, cid, "voting", did)
    page = client.get(f"/screen/{key}").text
    assert "data-legacy" not in page and 'data-scene="voting"' in page
    assert f'src="/screen/{key}/qr/{did}.svg?slot=' in page and f'data-qr="{did}"' in page
    fragment = client.get(f"/screen/{key}/scene").text
    assert f"/screen/{key}/qr/{did}.svg?slot=" in fragment
    assert client.get(f"/screen/{key}/scene.json").json()["scene"] == "voting"
    # The public stage never shows the rotating code.
    assert f"/qr/duels/{did}.svg" in client.get(f"/stage/{cid}/scene").text
    assert "/screen/" not in client.get(f"/stage/{cid}").text
    assert client.get("/screen/not-a-key/scene.json").status_code == 404
