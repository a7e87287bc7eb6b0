"""A jury member scores on their phone in real Chromium: login, their duels, points saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import Browser, expect

from duels import organisations, store, videos
from duels.access import Role
from duels.redis_server import free_port
from duels.settings import Settings
from tests.accounts import PASSWORD, account
from tests.browser.conftest import PHONE_OPTIONS, new_context
from tests.conftest import HOST_TOKEN
from tests.support import Process, start_web

pytestmark = pytest.mark.browser

JUROR = "jana.jury@example.org"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def server(settings: Settings) -> Iterator[Process]:
    web = start_web(settings, port=free_port())
    try:
        yield web
    finally:
        web.stop()


def drawn_cup(url: str) -> tuple[str, list[str]]:
    """Four teams of four companies, drawn through the host API: (cid, round-1 duel ids)."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {HOST_TOKEN}"}) as api:
        cid = api.post("/api/competitions", json={"title": "Handwerkscup"}).json()["id"]
        for n, (company, team, trade) in enumerate(
            (("Bäckerei Korn", "Teigtruppe", "Bäcker/in"),
             ("Tischlerei Span", "Hobelbande", "Tischler/in"),
             ("Autohaus Kolben", "Schraubfix", "Kfz-Mechatroniker/in"),
             ("Elektro Funke", "Kabelsalat", "Elektroniker/in"))
        ):  # fmt: skip
            company_id = api.post(f"/api/competitions/{cid}/companies", json={"name": company})
            body = {"company_id": company_id.json()["id"], "name": team, "trade": trade}
            assert api.post(f"/api/competitions/{cid}/teams", json=body).status_code == 201, n
        view = api.post(f"/api/competitions/{cid}/bracket", json={"seed": 4}).json()
    return cid, [d["id"] for d in view["rounds"][0]["duels"] if d["away"]]


def approve_links(client: redis.Redis, cid: str, did: str) -> None:
    duel = store.get_duel(client, did)
    for team, company, video in (
        (duel.home, duel.home_company, "dQw4w9WgXcQ"),
        (duel.away, duel.away_company, "9bZkp7q19f0"),
    ):
        owner = store.get_company(client, cid, company)
        target = videos.submission_target(client, owner, did, team)
        videos.submit_link(client, target, f"https://youtu.be/{video}")
        videos.approve(client, did, team)


def test_jury_member_scores_on_the_phone(
    server: Process, redis_client: redis.Redis, browser: Browser, screenshots: Path
) -> None:
    cid, (first, second) = drawn_cup(server.url)
    user = account(redis_client, JUROR, Role.JURY, f"c:{cid}")
    organisations.assign_jury(redis_client, cid, user.id, [first])
    approve_links(redis_client, cid, first)

    context = new_context(browser, server.url, PHONE, **PHONE_OPTIONS)
    page = context.new_page()
    page.goto("/host/login")
    page.fill("#email", JUROR)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    # Someone who is only on a jury lands on their duels, not on the console.
    expect(page).to_have_url(re.compile(r"/host/jury$"))

    card = page.locator(f'section[data-duel="{first}"]')
    expect(card).to_be_visible()
    expect(page.locator(f'section[data-duel="{second}"]')).to_have_count(0)
    expect(card.locator("a.jury-video")).to_have_count(2)
    card.locator('input[name="home"]').fill("8")
    card.locator('input[name="away"]').fill("6")
    card.locator('button[data-action="jury-save"]').tap()
    expect(page.locator(".notice.ok")).to_have_text("Deine Punkte sind gespeichert.")
    expect(card.locator("[data-entry]")).to_have_text("Deine Wertung: 8 : 6")
    expect(card.locator('input[name="home"]')).to_have_value("8")

    # Readable at phone width: nothing wider than the screen, touch targets of 48 px or more.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    save = card.locator('button[data-action="jury-save"]').bounding_box()
    points = card.locator('input[name="home"]').bounding_box()
    assert save and points and save["height"] >= 48 and points["height"] >= 48
    page.screenshot(path=screenshots / "jury-phone.png", full_page=True)

    duel = store.get_duel(redis_client, first)
    assert (duel.jury_home, duel.jury_away) == (8.0, 6.0)
    assert store.audit_log(redis_client, cid)[-1]["who"] == JUROR

    page.goto(f"/host/c/{cid}")  # the rest of the console is closed to the jury
    expect(page.locator("[data-error]")).to_contain_text("Kein Zugriff")
    context.close()
