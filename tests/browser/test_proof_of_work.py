"""A phone solves the proof-of-work challenge in the background and its vote counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import Browser, expect

from duels import keys
from duels.redis_server import free_port
from duels.settings import Settings
from tests.browser.conftest import PHONE, PHONE_AGENT
from tests.conftest import HOST_TOKEN
from tests.support import Process, start_web

pytestmark = pytest.mark.browser
DIFFICULTY = 12  # 4,096 hashes on average: well under a second in our own SHA-256


@pytest.fixture
def pow_server(settings: Settings, tmp_path: Path) -> Iterator[tuple[Process, Settings]]:
    port = free_port()
    strict = settings.model_copy(
        update={
            "public_url": f"http://127.0.0.1:{port}",
            "pow_difficulty": DIFFICULTY,
            "data_dir": tmp_path,
        }
    )
    web = start_web(strict, port=port)
    yield web, strict
    web.stop()


def test_the_vote_page_solves_the_challenge_and_votes(
    pow_server: tuple[Process, Settings], browser: Browser, redis_client: redis.Redis
) -> None:
    web, _ = pow_server
    with httpx.Client(
        base_url=web.url, headers={"Authorization": f"Bearer {HOST_TOKEN}"}, timeout=10
    ) as api:
        cid = api.post("/api/competitions", json={"title": "PoW-Cup"}).json()["id"]
        for n in range(2):
            company = api.post(f"/api/competitions/{cid}/companies", json={"name": f"F{n}"}).json()
            api.post(
                f"/api/competitions/{cid}/teams",
                json={"company_id": company["id"], "name": f"Team {n}", "trade": "Koch/Köchin"},
            )
        duel = api.post(f"/api/competitions/{cid}/bracket", json={"seed": 1}).json()["rounds"][0][
            "duels"
        ][0]
        assert api.post(f"/api/duels/{duel['id']}/open").status_code == 200
        # Without a solved challenge the API refuses, and says how hard the puzzle is.
        page_cookie = api.get(f"/vote/{duel['id']}").cookies["mm_voter"]
        bare = api.post(
            f"/api/duels/{duel['id']}/votes",
            json={"team_id": duel["home"]["id"]},
            headers={"Cookie": f"mm_voter={page_cookie}"},
        )
        assert bare.status_code == 403
        assert bare.json()["detail"]["code"] == "pow_required"

    context = browser.new_context(
        viewport=PHONE,  # type: ignore[arg-type]
        user_agent=PHONE_AGENT,
        is_mobile=True,
        locale="de-DE",
        base_url=web.url,
    )
    try:
        page = context.new_page()
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        page.goto(f"/vote/{duel['id']}")
        page.locator(f'button.vote-button[value="{duel["away"]["id"]}"]').click()
        expect(page.locator("#vote-status")).to_contain_text("Gezählt", timeout=30_000)
        # The page brought its challenge: no extra request before the vote.
        assert not [url for url in asked if url.endswith("/challenge")], asked
    finally:
        context.close()
    with httpx.Client(base_url=web.url) as public:
        counts = public.get(f"/api/duels/{duel['id']}").json()["provisional"]
    assert counts[duel["away"]["id"]] == 1
    assert redis_client.xlen(keys.votes(duel["id"])) == 1
