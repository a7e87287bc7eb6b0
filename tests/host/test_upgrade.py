"""A store written by main before accounts existed (one shared host token) upgrades in
place (#15): its competitions join the default organisation, the first ``machmal admin
create`` makes that organisation's owner, who then runs them in the console; the host
token keeps working for automation, and sessions opened with the old token login end.

``tests/fixtures/store-2026-11-30.json`` holds every key of such a store (two
competitions, one played into its final with votes, an invite, the audit log, a console
session of the host token), dumped with duels.backup's per-key format."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import redis
from starlette.testclient import TestClient

from duels import backup, host_sessions, keys, organisations, store
from duels.settings import Settings
from tests.accounts import csrf_of, log_in_form
from tests.support import child_env
from web.app import create_app

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store-2026-11-30.json"
OLD_SESSION = "A" * 43  # a console cookie of the host-token login


@pytest.fixture
def old_store(redis_client: redis.Redis, settings: Settings) -> dict[str, object]:
    data = orjson.loads(FIXTURE.read_bytes())
    for key, item in data["keys"].items():
        backup._restore(redis_client, key, item)
    redis_client.hset(
        keys.host_session(host_sessions.session_hash(OLD_SESSION)),
        mapping={"created": "1.0", "seen": "1.0", "address": "x", "token": "fingerprint"},
    )
    assert not redis_client.hexists(keys.competition(data["competitions"][0]), "organisation")
    return data  # type: ignore[no-any-return]


def test_old_store_upgrades_and_the_first_admin_owns_it(
    old_store: dict[str, object], settings: Settings, redis_client: redis.Redis
) -> None:
    cids: list[str] = old_store["competitions"]  # type: ignore[assignment]
    made = subprocess.run(
        [sys.executable, "-m", "web.cli", "admin", "create", "chef@example.org"],
        env=child_env(settings), capture_output=True, text=True, check=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    password = made.stdout.split("Password (shown once): ")[1].split()[0]
    for cid in cids:
        assert organisations.organisation_of(redis_client, cid) == organisations.DEFAULT
    assert set(organisations.competitions_of(redis_client, organisations.DEFAULT)) == set(cids)

    with TestClient(create_app(settings), follow_redirects=False) as browser:
        browser.cookies.set("mm_host", OLD_SESSION)
        assert browser.get("/host").headers["location"] == "/host/login"  # old session ended
        assert log_in_form(browser, "chef@example.org", password).status_code == 303
        index = browser.get("/host").text
        for cid in cids:
            assert f"/host/c/{cid}" in index
        played = cids[0]
        page = browser.get(f"/host/c/{played}")
        assert page.status_code == 200
        csrf = csrf_of(page.text)
        final = store.duels_of_competition(redis_client, played)[-1]
        closed = browser.post(f"/host/duels/{final.id}/close", data={"csrf": csrf})
        assert "ok=voting_closed" in closed.headers["location"]
        audit = store.audit_log(redis_client, played)
        assert audit[-1]["who"] == "chef@example.org" and audit[-1]["what"] == "close_voting"
        assert any(entry["who"] == "host" for entry in audit)  # the old entries stay

        api = browser.get(
            f"/api/competitions/{played}/audit",
            headers={"Authorization": f"Bearer {settings.host_token_value()}"},
        )
        assert api.status_code == 200 and len(api.json()) == len(audit)
    # Running the upgrade again changes nothing.
    assert organisations.upgrade(redis_client) == 0
