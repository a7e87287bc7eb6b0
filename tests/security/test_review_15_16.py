"""Attack review of accounts, organisations and the stage (#15, #16).

The owner of another organisation walks every organiser route against the first
organisation's competition, duel, companies, screens and members: each call is refused
and the store is unchanged. Then single attacks found in the review, one test each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyotp
import pytest
import redis
from starlette.testclient import TestClient

from duels import (
    accounts,
    api_keys,
    errors,
    keys,
    login_brake,
    member_admin,
    organisations,
    screens,
    show,
    store,
)
from duels.access import Principal, Role
from duels.settings import Settings
from tests.accounts import PASSWORD, account, csrf_of, log_in_form
from tests.host.helpers import Host, record_official_counts
from tests.security.conftest import database
from tests.security.test_roles import SIGNED_IN, Rule, rules_of
from web.app import create_app

INTRUDER = "intruder@example.net"


@dataclass
class Victim:
    cid: str
    did: str
    company: str
    screen: str
    member: str  # a jury member of the first organisation


@pytest.fixture
def victim(client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis) -> Victim:
    host = Host(client, host_headers)
    cid, teams = host.competition(teams=4)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 3}, 201)
    did = host.current_duels(cid)[0]["id"]
    juror = account(redis_client, "juror@example.org", Role.JURY, scope=f"c:{cid}")
    organisations.assign_jury(redis_client, cid, juror.id, [])
    screen, _ = screens.issue_screen(redis_client, cid, "Bühne")
    return Victim(cid, did, teams[0]["company_id"], screen.id, juror.id)


@pytest.fixture
def intruder(redis_client: redis.Redis) -> tuple[str, str]:
    """The owner of a second organisation: its id and an owner API key."""
    other = organisations.create_organisation(redis_client, "Andere Initiative", "andere")
    user = account(redis_client, INTRUDER, Role.OWNER, scope=f"o:{other.id}")
    _, secret = api_keys.create(redis_client, user.id, "intrude", Role.OWNER)
    return other.id, secret


def _path(rule: Rule, victim: Victim) -> str:
    filled = {
        "cid": victim.cid, "did": victim.did, "oid": organisations.DEFAULT,
        "company_id": victim.company, "screen_id": victim.screen, "uid": victim.member,
        "verdict": "include", "action": "include",
    }  # fmt: skip
    return re.sub(r"\{(\w+)\}", lambda m: filled.get(m[1], "x1"), rule.path)


def _form(rule: Rule, csrf: str, victim: Victim, other: str) -> dict[str, str]:
    return {
        "csrf": csrf, "user_id": victim.member, "scope": f"c:{victim.cid}", "role": "owner",
        "email": INTRUDER, "name": "x", "competition": victim.cid, "organisation":
        organisations.DEFAULT, "home": "10", "away": "0", "mode": "all", "title": "x",
    }  # fmt: skip


def test_another_organisations_owner_is_refused_everywhere(
    client: TestClient, victim: Victim, intruder: tuple[str, str], redis_client: redis.Redis,
    settings: Settings,
) -> None:  # fmt: skip
    other, secret = intruder
    browser = TestClient(client.app, follow_redirects=False)
    assert log_in_form(browser, INTRUDER, PASSWORD).status_code == 303
    csrf = csrf_of(browser.get("/host/account").text)
    ruled, _ = rules_of(create_app(settings))
    before = database(redis_client)
    let_through = []
    for rule in ruled:
        own = rule.path.startswith("/host/account/") and rule.path != "/host/account/keys"
        if (rule.method == "GET" and rule.need == SIGNED_IN) or own:
            continue  # the intruder's own pages and account (password, second factor)
        path = _path(rule, victim)
        if rule.path.startswith("/api/"):
            headers = {"Authorization": f"Bearer {secret}"}
            body = {**_form(rule, "", victim, other), "home": 10, "away": 0}
            response = browser.request(rule.method, path, headers=headers, json=body)
        else:
            data = _form(rule, csrf, victim, other) if rule.method == "POST" else None
            response = browser.request(rule.method, path, data=data)
        refused = response.status_code in (403, 404, 422) or (
            response.status_code == 303 and "error=" in response.headers.get("location", "")
        )
        if not refused:
            let_through.append(f"{rule.method} {path} -> {response.status_code}")
    assert not let_through, let_through
    after = database(redis_client)
    changed = {
        key for key in before.keys() | after.keys()
        if before.get(key) != after.get(key) and not key.startswith(("session", "{u"))
    }  # fmt: skip
    assert not {key for key in changed if victim.cid in key or victim.did in key}, changed
    assert store.get_competition(redis_client, victim.cid).title == "Testcup"


def _browser(client: TestClient, email: str) -> TestClient:
    browser = TestClient(client.app, follow_redirects=False)
    assert log_in_form(browser, email, PASSWORD).status_code == 303
    return browser


def test_an_owner_cannot_reach_into_another_organisation_through_the_scope_field(
    client: TestClient, victim: Victim, intruder: tuple[str, str], redis_client: redis.Redis
) -> None:
    other, _ = intruder
    browser = _browser(client, INTRUDER)
    csrf = csrf_of(browser.get("/host/members").text)
    me = organisations.scopes_of(redis_client, account(redis_client, INTRUDER, Role.OWNER,
                                                       scope=f"o:{other}").id)  # fmt: skip
    intruder_id = accounts.find_user(redis_client, INTRUDER).id  # type: ignore[union-attr]
    for route, form in (
        ("role", {"user_id": intruder_id, "scope": f"c:{victim.cid}", "role": "owner"}),
        ("role", {"user_id": victim.member, "scope": f"c:{victim.cid}", "role": "viewer"}),
        ("remove", {"user_id": victim.member, "scope": f"c:{victim.cid}"}),
        ("invite", {"email": "friend@example.net", "scope": f"c:{victim.cid}", "role": "owner"}),
        ("invite", {"email": "friend@example.net", "scope": "o:default", "role": "owner"}),
    ):
        response = browser.post(f"/host/members/{other}/{route}", data={"csrf": csrf, **form})
        assert response.status_code == 303
        assert "error=invalid_scope" in response.headers["location"], (route, form)
    assert organisations.scopes_of(redis_client, intruder_id) == me
    assert organisations.scopes_of(redis_client, victim.member) == {f"c:{victim.cid}": Role.JURY}


def test_invitation_and_reset_links_work_once_and_only_for_their_person(
    client: TestClient, redis_client: redis.Redis
) -> None:
    owner = account(redis_client)
    token, _ = member_admin.invite(
        redis_client, "default", _principal(owner), "new@example.org", "o", "viewer"
    )
    stranger = _browser(client, account(redis_client, "other@example.org", Role.VIEWER).email)
    page = stranger.get(f"/host/invitation/{token}")
    taken = stranger.post(f"/host/invitation/{token}", data={"csrf": csrf_of(page.text)})
    assert taken.status_code == 403  # logged in as someone else
    assert "viewer" not in organisations.scopes_of(redis_client, owner.id).values()
    fresh = TestClient(client.app, follow_redirects=False)
    form = {"password": "a fresh long password", "password2": "a fresh long password"}
    no_csrf = fresh.post(f"/host/invitation/{token}", data={"csrf": "x", **form})
    assert no_csrf.status_code == 403 and "mm_host" not in no_csrf.cookies
    csrf = csrf_of(fresh.get(f"/host/invitation/{token}").text)
    assert fresh.post(f"/host/invitation/{token}", data={"csrf": csrf, **form}).status_code == 303
    again = TestClient(client.app, follow_redirects=False)
    csrf = csrf_of(again.get("/host/password-reset").text)
    assert again.post(f"/host/invitation/{token}", data={"csrf": csrf, **form}).status_code == 404
    # A reset link dies with a password change, and a used one stays dead.
    _, reset = accounts.request_reset(redis_client, owner.email)  # type: ignore[misc]
    accounts.set_password(redis_client, owner.id, "changed meanwhile!!")
    with pytest.raises(errors.NotFound):
        accounts.reset_password(redis_client, reset, "another long password")
    _, reset = accounts.request_reset(redis_client, owner.email)  # type: ignore[misc]
    accounts.reset_password(redis_client, reset, "another long password")
    with pytest.raises(errors.NotFound):
        accounts.reset_password(redis_client, reset, "a third long password")


def test_an_invitation_opens_no_session_for_an_existing_totp_account(
    client: TestClient, redis_client: redis.Redis
) -> None:
    owner = account(redis_client)
    guarded = account(redis_client, "guarded@example.org", Role.VIEWER)
    redis_client.hset(keys.user(guarded.id), "totp", pyotp.random_base32())
    token, _ = member_admin.invite(
        redis_client, "default", _principal(owner), guarded.email, "o", "host"
    )
    browser = TestClient(client.app, follow_redirects=False)
    assert "csrf" not in browser.get(f"/host/invitation/{token}").text  # "log in first"
    csrf = csrf_of(browser.get("/host/password-reset").text)
    form = {"csrf": csrf, "password": "a fresh long password", "password2": "a fresh long password"}
    response = browser.post(f"/host/invitation/{token}", data=form)
    assert response.status_code == 409 and "mm_host" not in response.cookies
    assert organisations.scopes_of(redis_client, guarded.id)["o:default"] == Role.VIEWER


def test_a_viewer_cannot_make_a_stronger_key_nor_change_their_own_role(
    client: TestClient, redis_client: redis.Redis
) -> None:
    viewer = account(redis_client, "viewer@example.org", Role.VIEWER)
    browser = _browser(client, viewer.email)
    csrf = csrf_of(browser.get("/host/account").text)
    for role in ("owner", "host", "moderator", "jury"):
        made = browser.post("/host/account/keys", data={"csrf": csrf, "name": "k", "role": role})
        assert "error=role_forbidden" in made.headers["location"], role
    assert api_keys.list_keys(redis_client, viewer.id) == []
    form = {"csrf": csrf, "user_id": viewer.id, "scope": "o", "role": "owner"}
    assert browser.post("/host/members/default/role", data=form).status_code == 403
    assert browser.post("/host/members/host-token", data={"csrf": csrf}).status_code == 403
    assert organisations.scopes_of(redis_client, viewer.id) == {"o:default": Role.VIEWER}


def _principal(user: accounts.User) -> Principal:
    return Principal("user", user_id=user.id, label=user.email)


def test_no_console_form_acts_without_its_csrf_token(
    client: TestClient, victim: Victim, redis_client: redis.Redis, settings: Settings
) -> None:
    owner = _browser(client, account(redis_client).email)
    foreign = csrf_of(_browser(client, _other_owner(redis_client)).get("/host/account").text)
    ruled, _ = rules_of(create_app(settings))
    before = database(redis_client)
    for rule in ruled:
        if rule.method != "POST" or rule.path.startswith("/api/"):
            continue
        for csrf in ("", "0" * 64, foreign):
            data = {**_form(rule, csrf, victim, "default"), "role": "viewer"}
            response = owner.post(_path(rule, victim), data=data)
            location = response.headers.get("location", "")
            assert response.status_code in (303, 403, 422), (rule, response.status_code)
            assert response.status_code != 303 or "error=" in location, (rule, location)
    after = database(redis_client)
    assert {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)
            and not key.startswith(("session", "{s"))} == set()  # fmt: skip


def _other_owner(client: redis.Redis) -> str:
    other = organisations.create_organisation(client, "Dritte", "dritte")
    return account(client, INTRUDER, Role.OWNER, scope=f"o:{other.id}").email


def test_guessing_the_second_factor_to_turn_it_off_is_braked(
    client: TestClient, redis_client: redis.Redis
) -> None:
    """A stolen session must not try all million codes to drop the second factor."""
    user = account(redis_client, "guarded@example.org", Role.VIEWER)
    browser = _browser(client, user.email)
    secret = pyotp.random_base32()
    redis_client.hset(keys.user(user.id), "totp", secret)
    csrf = csrf_of(browser.get("/host/account").text)
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 500_000) % 1_000_000:06d}"
    answers = [
        browser.post("/host/account/totp/off", data={"csrf": csrf, "code": wrong}).headers[
            "location"
        ]
        for _ in range(login_brake.ADDRESS_ATTEMPTS + 1)
    ]
    assert all("error=totp_invalid" in a for a in answers[: login_brake.ADDRESS_ATTEMPTS])
    assert "error=login_throttled" in answers[-1]
    right = browser.post(
        "/host/account/totp/off", data={"csrf": csrf, "code": pyotp.TOTP(secret).now()}
    )
    assert "error=login_throttled" in right.headers["location"]
    assert accounts.get_user(redis_client, user.id).has_totp


def test_closed_on_reveal_counts_stay_off_every_stage_surface(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = Host(client, host_headers)
    cid, _ = host.competition(teams=2)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 3}, 201)
    duel = host.current_duels(cid)[0]
    did = duel["id"]
    host.post(f"/api/duels/{did}/results-mode", {"mode": "on_reveal"})
    host.post(f"/api/duels/{did}/open")
    record_official_counts(redis_client, did, {duel["home"]["id"]: 4711, duel["away"]["id"]: 815})
    host.post(f"/api/duels/{did}/close")
    show.set_scene(redis_client, cid, "voting", did)
    _, key = screens.issue_screen(redis_client, cid, "Halle")
    slug = organisations.get_organisation(redis_client, "default").slug
    public = client  # no session, no token: the audience
    for path in (
        f"/stage/{cid}", f"/stage/{cid}/scene", f"/stage/{cid}/scene.json", f"/screen/{key}",
        f"/screen/{key}/scene", f"/screen/{key}/scene.json", f"/vote/{did}", f"/vote/{did}/result",
        f"/live/{cid}", f"/live/{cid}/board", f"/live/{cid}?mode=projector", f"/o/{slug}",
        f"/api/duels/{did}", f"/api/competitions/{cid}/leaderboard", f"/brand/{cid}.css",
    ):  # fmt: skip
        response = public.get(path)
        assert response.status_code == 200, path
        assert "4711" not in response.text and "815" not in response.text, path
