"""A phone on the vote page turns into the result by itself when the host closes the
duel and reveals its counts (through the API), without a reload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from duels.redis_server import free_port
from duels.settings import Settings
from tests.browser.conftest import PHONE, phone_context
from tests.conftest import HOST_TOKEN
from tests.support import Process, start_web

pytestmark = pytest.mark.browser


@pytest.fixture
def web(settings: Settings, tmp_path: Path) -> Iterator[Process]:
    port = free_port()
    update = {"public_url": f"http://127.0.0.1:{port}", "data_dir": tmp_path}
    server = start_web(settings.model_copy(update=update), port=port)
    yield server
    server.stop()


def test_the_phone_switches_to_the_result_by_itself(
    web: Process, browser: Browser, screenshots: Path
) -> None:
    with httpx.Client(
        base_url=web.url, headers={"Authorization": f"Bearer {HOST_TOKEN}"}, timeout=10
    ) as api:
        cid = api.post("/api/competitions", json={"title": "Enthüllungs-Cup"}).json()["id"]
        for n, name in enumerate(("Team Hobel", "Team Kelle")):
            company = api.post(f"/api/competitions/{cid}/companies", json={"name": f"F{n}"})
            body = {"company_id": company.json()["id"], "name": name, "trade": "Tischler/in"}
            assert api.post(f"/api/competitions/{cid}/teams", json=body).status_code == 201
        view = api.post(f"/api/competitions/{cid}/bracket", json={"seed": 3}).json()
        duel = view["rounds"][0]["duels"][0]
        did = duel["id"]
        hidden = api.post(f"/api/duels/{did}/results-mode", json={"mode": "on_reveal"})
        assert hidden.status_code == 200
        assert api.post(f"/api/duels/{did}/open").status_code == 200

        context = phone_context(browser)
        page = context.new_page()
        page.goto(f"{web.url}/vote/{did}")
        home = duel["home"]["name"]
        page.get_by_role("button", name=f"Stimme für {home}").click()
        expect(page.locator("#vote-status")).to_contain_text("Gezählt")
        outcome = page.locator("#vote-outcome")
        expect(outcome).to_be_hidden()

        assert api.post(f"/api/duels/{did}/close").status_code == 200
        expect(outcome).to_contain_text("Abstimmung beendet – Ergebnis folgt")
        expect(outcome).not_to_contain_text("%")
        expect(page.get_by_role("button", name=f"Stimme für {home}")).to_be_disabled()

        assert api.post(f"/api/duels/{did}/reveal").status_code == 200
        expect(outcome).not_to_contain_text("Ergebnis folgt")
        expect(outcome.locator(f'li[data-team="{duel["home"]["id"]}"]')).to_contain_text(
            "1 Stimme · 100 %"
        )
        expect(outcome.locator(f'li[data-team="{duel["away"]["id"]}"]')).to_contain_text(
            "0 Stimmen · 0 %"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        outcome.scroll_into_view_if_needed()
        page.screenshot(path=screenshots / "vote-result-phone.png", full_page=True)
        context.close()
