"""Abuse: each attack gets its answer, and nothing is stored or changed by it.

Voting attacks run against a real duel open for voting; host and portal attacks against
a drawn competition whose duels a successful attack could open, close or decide."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.routing import APIRoute
from starlette.testclient import TestClient

from duels import keys, store, tournament, videos
from duels.settings import Settings
from tests.accounts import log_in
from tests.conftest import ClientFactory
from tests.security.conftest import database
from voting.tokens import VOTER_COOKIE, VoteSecrets, new_voter_id, solve
from web.app import create_app

COMPANY_LINK = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


@dataclass
class Arena:
    cid: str
    duel: str  # open for voting
    home: str
    away: str
    other_duel: str  # pending
    other_team: str  # a team of the other duel
    company_id: str  # the home team's company
    token: str  # its invite token
    portal_team: str  # the company's team in the pending duel (videos go in before voting)


@pytest.fixture
def arena(redis_client: redis.Redis) -> Arena:
    cid = store.create_competition(redis_client, "Missbrauch").id
    first, first_token = store.add_company(redis_client, cid, "Firma Eins")
    second, _ = store.add_company(redis_client, cid, "Firma Zwei")
    teams = [
        store.add_team(redis_client, cid, (first, second)[n % 2].id, f"Team {n}", "Koch/Köchin")
        for n in range(4)
    ]
    tournament.draw(redis_client, cid, seeding="manual", order=[t.id for t in teams])
    duel, other = sorted(store.duels_of_competition(redis_client, cid), key=lambda d: d.match)
    tournament.open_voting(redis_client, duel.id)
    company = first if duel.home_company == first.id else second
    assert company.id == first.id
    portal_team = next(team for team in other.teams if team in {t.id for t in teams[::2]})
    return Arena(
        cid, duel.id, duel.home, duel.away, other.id, other.home, first.id, first_token, portal_team
    )


def stored_votes(client: redis.Redis, did: str) -> int:
    return int(client.xlen(keys.votes(did)))


def secrets_of(settings: Settings) -> VoteSecrets:
    return VoteSecrets(settings.secret_key_value())


def vote(http: TestClient, did: str, team: str, cookie: str | None, **body: Any) -> httpx.Response:
    http.cookies.clear()
    if cookie is not None:
        http.cookies.set(VOTER_COOKIE, cookie)
    return http.post(f"/api/duels/{did}/votes", json={"team_id": team, **body})


# Voting ---------------------------------------------------------------------------------


def flood_without_cookie(http: TestClient, arena: Arena, settings: Settings) -> list[Any]:
    return [vote(http, arena.duel, arena.home, None) for _ in range(200)]


def forged_signatures(http: TestClient, arena: Arena, settings: Settings) -> list[Any]:
    genuine = secrets_of(settings).sign_voter(new_voter_id())
    voter_id, _, signature = genuine.rpartition(".")
    forged = [
        VoteSecrets("another-secret-key-" + "z" * 24).sign_voter(new_voter_id()),
        f"{voter_id}.{signature[:-2]}AA",  # tampered signature
        f"{new_voter_id()}.{signature}",  # signature of another voter id
        new_voter_id(),  # no signature at all
        "",
    ]
    return [vote(http, arena.duel, arena.home, cookie) for cookie in forged]


def replayed_cookie(http: TestClient, arena: Arena, settings: Settings) -> list[Any]:
    cookie = secrets_of(settings).sign_voter(new_voter_id())
    return [vote(http, arena.duel, team, cookie) for team in (arena.home, arena.home, arena.away)]


def team_of_another_duel(http: TestClient, arena: Arena, settings: Settings) -> list[Any]:
    secrets = secrets_of(settings)
    return [
        vote(http, arena.duel, team, secrets.sign_voter(new_voter_id()))
        for team in (arena.other_team, "t-nonexistent", arena.duel)
    ]


def reused_proof_of_work(http: TestClient, arena: Arena, settings: Settings) -> list[Any]:
    secrets = secrets_of(settings)
    challenge = http.get(f"/api/duels/{arena.duel}/challenge").json()
    assert challenge["difficulty"] == 4
    proof = {"challenge": challenge["challenge"], "nonce": solve(challenge["challenge"], 4)}
    return [
        vote(http, arena.duel, arena.home, secrets.sign_voter(new_voter_id()), pow=proof)
        for _ in range(3)
    ]


Attack = Callable[[TestClient, Arena, Settings], list[Any]]
# attack, settings overrides, expected (status, code) per request (None: accepted), votes kept
VOTING_ATTACKS: list[tuple[Attack, dict[str, Any], list[tuple[int, str | None]], int]] = [
    (flood_without_cookie, {}, [(401, "voter_token_missing")] * 200, 0),
    (forged_signatures, {}, [(403, "voter_token_invalid")] * 4 + [(401, "voter_token_missing")], 0),
    (replayed_cookie, {}, [(202, None), (409, "already_voted"), (409, "already_voted")], 1),
    (team_of_another_duel, {}, [(422, "team_not_in_duel")] * 3, 0),
    (reused_proof_of_work, {"pow_difficulty": 4}, [(202, None)] + [(403, "pow_invalid")] * 2, 1),
]


@pytest.mark.parametrize(
    ("attack", "overrides", "expected", "kept"),
    VOTING_ATTACKS,
    ids=[attack.__name__ for attack, *_ in VOTING_ATTACKS],
)
def test_voting_attacks_are_refused_and_store_nothing_extra(
    client_from: ClientFactory,
    settings: Settings,
    redis_client: redis.Redis,
    arena: Arena,
    attack: Attack,
    overrides: dict[str, Any],
    expected: list[tuple[int, str | None]],
    kept: int,
) -> None:
    http = client_from("203.0.113.66", **overrides)
    before = database(redis_client)
    responses = attack(http, arena, settings)
    answers = [
        (r.status_code, None if r.status_code == 202 else r.json()["detail"]["code"])
        for r in responses
    ]
    assert answers == expected
    assert stored_votes(redis_client, arena.duel) == kept
    assert redis_client.scard(keys.voters(arena.duel)) == kept
    assert sum(int(v) for v in redis_client.hvals(keys.provisional(arena.duel))) == kept
    assert stored_votes(redis_client, arena.other_duel) == 0
    if kept == 0:
        # Refusals are counted per code for the hosts' integrity summary; nothing else.
        refused = keys.refused(arena.duel)
        after = database(redis_client)
        counted = after.pop(refused, None)
        before.pop(refused, None)
        assert after == before, "a refused vote changed the store"
        if answers[0][1] in ("team_not_in_duel",):
            assert counted is not None and "team_not_in_duel" in str(counted)


# Host endpoints with a company's token -----------------------------------------------------


def host_operations(app_schema: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path)
        for path, methods in app_schema["paths"].items()
        for method, operation in methods.items()
        if "host" in operation.get("tags", ())
    )


def test_a_company_token_opens_no_host_endpoint(
    client: TestClient, redis_client: redis.Redis, arena: Arena
) -> None:
    values = {
        "cid": arena.cid, "did": arena.other_duel, "company_id": arena.company_id,
        "team_id": arena.home, "group": "burst-n-0123456789ab", "action": "include",
    }  # fmt: skip
    body = {
        "title": "Übernahme", "name": "Fremdfirma", "company_id": arena.company_id,
        "trade": "Koch/Köchin", "seeding": "random", "home": 1, "away": 2,
        "winner": arena.home, "reason": "weil", "submit_until": None,
    }  # fmt: skip
    operations = host_operations(client.get("/openapi.json").json())
    assert len(operations) >= 20
    company = {"Authorization": f"Bearer {arena.token}"}
    before = database(redis_client)
    for method, path in operations:
        url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x1"), path)
        response = client.request(method, url, json=body, headers=company)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["detail"]["code"] == "host_token_invalid"
    assert database(redis_client) == before


# CSRF ---------------------------------------------------------------------------------------


# Every field any console form asks for; a form ignores the ones it does not use.
CONSOLE_FIELDS = {
    "title": "Gefälscht", "name": "Fremdfirma", "trade": "Koch/Köchin", "members": "",
    "format": "single_elimination", "seeding": "random", "seed": "1", "order": "",
    "closes_at": "", "reason": "gefälscht", "round": "1", "audience_weight": "1",
}  # fmt: skip


def console_forms(arena: Arena) -> list[str]:
    """Every form of the host console (but the login), with real ids in its path."""
    from web.routes import host_console

    values = {
        "cid": arena.cid, "did": arena.other_duel, "team_id": arena.home,
        "group": "burst-n-0123456789ab", "verdict": "include",
    }  # fmt: skip
    paths = [
        route.path
        for route in host_console.router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods and route.path != "/host/login"
    ]
    return [re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), p) for p in paths]


@pytest.mark.parametrize("csrf", ["missing", "wrong", "no_cookie"])
def test_console_forms_without_a_valid_csrf_token_change_nothing(
    client: TestClient, redis_client: redis.Redis, arena: Arena, csrf: str
) -> None:
    right = log_in(client)
    forms = console_forms(arena)
    assert len(forms) >= 12
    data = dict(CONSOLE_FIELDS, company_id=arena.company_id, winner=arena.home)
    if csrf == "wrong":
        data["csrf"] = "0" * len(right)
    elif csrf == "no_cookie":
        # A cross-site form post: SameSite=Strict keeps the CSRF cookie at home.
        data["csrf"] = right
        client.cookies.delete("mm_csrf")
    before = database(redis_client)
    for path in forms:
        response = client.post(path, data=data, follow_redirects=False)
        location = response.headers.get("location", "")
        refused = response.status_code in (403, 422) or "error=csrf_failed" in location
        assert refused, (path, response.status_code, location)
    assert database(redis_client) == before


def test_the_same_console_form_with_its_token_does_act(
    client: TestClient, redis_client: redis.Redis, arena: Arena
) -> None:
    """The control for the test above: with the right token the form changes the duel."""
    right = log_in(client)
    response = client.post(f"/host/duels/{arena.other_duel}/open", data={"csrf": right})
    assert response.status_code == 200
    assert store.get_duel(redis_client, arena.other_duel).status == "voting"


@pytest.mark.parametrize("csrf", ["missing", "wrong", "of_another_invite"])
@pytest.mark.parametrize("kind", ["link", "upload"])
def test_portal_forms_without_a_valid_csrf_token_change_nothing(
    client: TestClient,
    settings: Settings,
    redis_client: redis.Redis,
    arena: Arena,
    csrf: str,
    kind: str,
) -> None:
    from web.routes.portal import csrf_token

    fields = {"team_id": arena.portal_team}
    if csrf == "wrong":
        fields["csrf"] = "0" * 40
    elif csrf == "of_another_invite":
        fields["csrf"] = csrf_token(settings, "another-invite-token")
    url = f"/company/{arena.token}/upload/{arena.other_duel}"
    media = videos.media_dir(settings)
    files_before = sorted(media.rglob("*")) if media.exists() else []
    before = database(redis_client)
    if kind == "link":
        response = client.post(url, data={**fields, "url": COMPANY_LINK})
    else:
        upload = {"file": ("clip.mp4", mp4_bytes(), "video/mp4")}
        response = client.post(url, data=fields, files=upload)
    assert response.status_code == 403
    assert database(redis_client) == before
    assert (sorted(media.rglob("*")) if media.exists() else []) == files_before
    assert videos.get_video(redis_client, arena.other_duel, arena.portal_team) is None


def test_the_portal_link_form_with_its_token_does_act(
    client: TestClient, settings: Settings, redis_client: redis.Redis, arena: Arena
) -> None:
    from web.routes.portal import csrf_token

    data = {"team_id": arena.portal_team, "url": COMPANY_LINK}
    data["csrf"] = csrf_token(settings, arena.token)
    response = client.post(f"/company/{arena.token}/upload/{arena.other_duel}", data=data)
    assert response.status_code == 200, response.text
    assert videos.get_video(redis_client, arena.other_duel, arena.portal_team) is not None


def mp4_bytes() -> bytes:
    """The start of an MP4 (ftyp box): enough for the magic-byte check."""
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 1024


def test_a_fresh_app_never_trusts_a_cookie_signed_with_another_secret(
    settings: Settings, redis_client: redis.Redis, arena: Arena, tmp_path: Path
) -> None:
    """A leaked development secret does not open production: a cookie signed with
    another secret key is refused by an app with its own key."""
    other = settings.model_copy(update={"data_dir": tmp_path})
    cookie = VoteSecrets("development-secret-" + "d" * 24).sign_voter(new_voter_id())
    with TestClient(create_app(other)) as http:
        response = vote(http, arena.duel, arena.home, cookie)
    assert response.status_code == 403
    assert stored_votes(redis_client, arena.duel) == 0
