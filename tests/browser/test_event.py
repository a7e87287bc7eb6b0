"""The whole event in a real browser: host console, company portal, a phone that
scans the QR code and votes, the live board on a projector, up to the champion."""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import DESKTOP, PROJECTOR, Event, log_in
from tests.support import wait_for

pytestmark = pytest.mark.browser

COMPANIES = (  # company, team, trade, members
    ("Bäckerei Korn", "Teigtruppe", "Bäcker/in", "Lena, Murat"),
    ("Tischlerei Span", "Hobelbande", "Tischler/in", "Jonas, Aylin"),
    ("Autohaus Kolben", "Schraubfix", "Kfz-Mechatroniker/in", "Tim, Sofia"),
    ("Elektro Funke", "Kabelsalat", "Elektroniker/in", "Mia, Deniz"),
)
WAIT = 30.0  # seconds for the worker (video processing, tally) to catch up


@dataclass(frozen=True)
class Side:
    team: str
    name: str
    company: str  # company name


@dataclass(frozen=True)
class Duel:
    id: str
    home: Side
    away: Side


# Host console ---------------------------------------------------------------------------


def submit(page: Page, form: str) -> None:
    """Send one console form and expect its success notice."""
    page.click(f"{form} button[type=submit]")
    expect(page.locator(".notice.ok").first).to_be_visible()
    expect(page.locator(".notice.bad")).to_have_count(0)


def duel_row(page: Page, did: str) -> Locator:
    return page.locator(f'tr[data-duel="{did}"]')


def approve_in_console(page: Page, cid: str, duel: Duel) -> None:
    """Approve both videos once the worker has made them ready (the button shows up then)."""
    for side in (duel.home, duel.away):
        button = duel_row(page, duel.id).locator(
            f'button[data-action="approve-video"][data-team="{side.team}"]'
        )
        deadline = time.monotonic() + WAIT
        while not button.count():
            assert time.monotonic() < deadline, f"video of {side.name} never became ready"
            time.sleep(0.5)
            page.goto(f"/host/c/{cid}")
        button.click()
        expect(page.locator(".notice.ok").first).to_be_visible()


def open_in_console(page: Page, cid: str, did: str) -> None:
    page.goto(f"/host/c/{cid}")
    duel_row(page, did).locator('button[data-action="open"]').click()
    expect(page.locator(".notice.ok").first).to_be_visible()
    expect(duel_row(page, did)).to_have_attribute("data-status", "voting")


def close_in_console(page: Page, cid: str, did: str) -> None:
    page.goto(f"/host/c/{cid}")
    duel_row(page, did).locator('button[data-action="close"]').click()
    expect(page.locator(".notice.ok").first).to_be_visible()
    expect(duel_row(page, did)).to_have_attribute("data-status", "closed")


def advance_in_console(page: Page, cid: str) -> None:
    """Finish the round; while the last votes are being tallied, try again like a host."""
    deadline = time.monotonic() + WAIT
    while True:
        page.goto(f"/host/c/{cid}")
        page.click('a[data-action="advance"]')
        if page.url.split("?")[0].endswith("/advance"):
            page.click('button[data-action="confirm-advance"]')
        if "ok=advanced" in page.url:
            expect(page.locator(".notice.ok").first).to_be_visible()
            return
        assert "error=tally_pending" in page.url, page.url
        assert time.monotonic() < deadline, "the tally never caught up"
        time.sleep(0.5)


# API side (what the other companies and the host do outside the browser) -----------------


def current_duels(event: Event, cid: str) -> list[Duel]:
    view = event.api.get(f"/api/competitions/{cid}/bracket").json()
    return [
        Duel(
            d["id"],
            Side(d["home"]["id"], d["home"]["name"], d["home"]["company"]),
            Side(d["away"]["id"], d["away"]["name"], d["away"]["company"]),
        )
        for r in view["rounds"]
        if r["number"] == view["round"]
        for d in r["duels"]
        if d["away"]
    ]


def upload_by_api(event: Event, did: str, invite_token: str, clip: Path) -> None:
    with clip.open("rb") as file:
        response = event.api.post(
            f"/api/duels/{did}/videos",
            files={"file": ("clip.mp4", file, "video/mp4")},
            headers={"Authorization": f"Bearer {invite_token}"},
        )
    assert response.status_code in (201, 202), response.text


def video_status(event: Event, cid: str, did: str, team: str) -> str:
    rows = event.api.get(f"/api/competitions/{cid}/videos").json()
    return str(next(r["status"] for r in rows if r["duel"] == did and r["team"] == team))


def approve_by_api(event: Event, cid: str, duel: Duel) -> None:
    for side in (duel.home, duel.away):
        wait_for(lambda s=side: video_status(event, cid, duel.id, s.team) == "ready", WAIT, 0.3)
        response = event.api.post(f"/api/duels/{duel.id}/videos/{side.team}/approve")
        assert response.status_code == 200, response.text


def screen_target(stage: Page, did: str) -> str:
    """The URL a phone camera reads off the stage screen's rotating code of a duel."""
    image = stage.locator(f'img[data-qr="{did}"]')
    expect(image).to_be_visible(timeout=WAIT * 1000)
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.screenshot())).convert("L"))
    assert len(found) == 1
    return str(found[0].text)


def qr_target(event: Event, did: str) -> str:
    """The URL a phone camera reads from the duel's QR code."""
    response = event.api.get(f"/qr/duels/{did}.png")
    assert response.status_code == 200
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)).convert("L"))
    assert len(found) == 1
    return str(found[0].text)


# Audience ---------------------------------------------------------------------------------


def vote(page: Page, url: str, team: str) -> None:
    page.goto(url)
    button = page.locator(f'button.vote-button[value="{team}"]')
    expect(button).to_be_enabled()
    button.click()
    expect(page.locator("#vote-status")).to_contain_text("Gezählt")


def count_on_board(board: Page, did: str, side: str) -> Locator:
    return board.locator(f'.running-duels [data-duel="{did}"] [data-count="{side}"]')


def mark_page(page: Page) -> None:
    """A value that only survives as long as the page is never reloaded."""
    page.evaluate("window.__marker = 'still-the-same-page'")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__marker") == "still-the-same-page"


# The event --------------------------------------------------------------------------------


def test_the_whole_event_from_setup_to_champion(
    event: Event, clip: Path, screenshots: Path
) -> None:
    host = event.context(DESKTOP).new_page()

    # 1. The host sets up a competition of four companies (voting at the venue, the
    #    console's default), issues a stage screen and draws the bracket.
    log_in(host)
    host.fill("#title", "Azubi-Duell Nordstadt")
    expect(host.locator('input[name="admission"][value="venue"]')).to_be_checked()
    submit(host, 'form[action="/host/competitions"]')
    match = re.search(r"/host/c/([^/?#]+)", host.url)
    assert match, host.url
    cid = match.group(1)
    host.fill("#screen-name", "Bühne")
    submit(host, 'form[action$="/screens"]')
    screen_url = host.input_value("#screen-url")
    assert screen_url.startswith(f"{event.url}/screen/")
    invites: dict[str, str] = {}  # company name -> invite URL
    for company, *_ in COMPANIES:
        host.fill("#company-name", company)
        submit(host, 'form[action$="/companies"]')
        invites[company] = host.input_value("#invite-url")
        assert invites[company].startswith(f"{event.url}/company/")
    for company, team, trade, members in COMPANIES:
        host.select_option("#team-company", label=company)
        host.fill("#team-name", team)
        host.fill("#team-trade", trade)
        host.fill("#team-members", members)
        submit(host, 'form[action$="/teams"]')
    host.select_option("#format", "single_elimination")
    host.select_option("#seeding", "random")
    host.fill("#seed", "7")
    submit(host, 'form[action$="/draw"]')
    semifinals = current_duels(event, cid)
    assert len(semifinals) == 2
    for duel in semifinals:
        expect(duel_row(host, duel.id)).to_have_attribute("data-status", "pending")
    tokens = {company: url.rsplit("/", 1)[1] for company, url in invites.items()}

    # 2. One company uploads through its portal, the other three through the API.
    portal_duel, portal_side = semifinals[0], semifinals[0].home
    portal = event.context(DESKTOP).new_page()
    portal.goto(invites[portal_side.company])
    expect(portal.locator("h1")).to_have_text(portal_side.company)
    form = portal.locator(f"#duel-{portal_duel.id} form[data-upload]")
    form.locator("input[type=file]").set_input_files(clip)
    form.locator("button[type=submit]").click()
    status = portal.locator(f"#duel-{portal_duel.id} .video-status")
    expect(status).not_to_have_class(re.compile(r"status-missing"))  # the page reloaded
    for duel in semifinals:
        for side in (duel.home, duel.away):
            if side != portal_side:
                upload_by_api(event, duel.id, tokens[side.company], clip)

    # 3. The host approves every video once the worker has processed it, and opens voting.
    for duel in semifinals:
        approve_in_console(host, cid, duel)
    portal.reload()
    expect(status).to_have_class(re.compile(r"status-approved"))
    expect(portal.locator(f"#duel-{portal_duel.id} video.portal-preview")).to_be_visible()
    portal.screenshot(path=screenshots / "portal.png", full_page=True)
    for duel in semifinals:
        open_in_console(host, cid, duel.id)
    host.screenshot(path=screenshots / "host-console.png", full_page=True)

    # 5. The live board (normal and projector mode) is up before the first vote and is never
    #    reloaded from here on.
    board = event.context(PROJECTOR).new_page()
    board.goto(f"/live/{cid}")
    projector = event.context(PROJECTOR).new_page()
    projector.goto(f"/live/{cid}?mode=projector")
    for page in (board, projector):
        expect(count_on_board(page, semifinals[0].id, "home")).to_have_text("0")
        mark_page(page)

    # 4. The poster's QR code leads to the vote page, which asks for the code on the stage
    #    screen; a phone scans the screen's rotating code and votes; both boards follow
    #    without a reload.
    phone = event.phone().new_page()
    poster_url = qr_target(event, semifinals[0].id)
    assert poster_url == f"{event.url}/vote/{semifinals[0].id}"
    phone.goto(poster_url)
    expect(phone.locator("#vote-status")).to_contain_text("Bildschirm")
    expect(phone.locator("button.vote-button").first).to_be_disabled()
    stage = event.context(PROJECTOR).new_page()
    stage.goto(screen_url)
    for duel, side in ((semifinals[0], "home"), (semifinals[1], "away")):
        url = screen_target(stage, duel.id)
        assert url.startswith(f"{event.url}/vote/{duel.id}?p=")
        vote(phone, url, getattr(duel, side).team)
        for page in (board, projector):
            expect(count_on_board(page, duel.id, side)).to_have_text("1")
    phone.screenshot(path=screenshots / "vote-phone.png", full_page=True)
    stage.screenshot(path=screenshots / "stage-screen.png")
    projector.screenshot(path=screenshots / "live-projector.png")
    for page in (board, projector):
        assert_not_reloaded(page)

    # 6. Close, advance, and play the final the same way.
    for duel in semifinals:
        close_in_console(host, cid, duel.id)
    advance_in_console(host, cid)
    (final,) = current_duels(event, cid)
    assert {final.home.team, final.away.team} == {semifinals[0].home.team, semifinals[1].away.team}
    for side in (final.home, final.away):
        upload_by_api(event, final.id, tokens[side.company], clip)
    approve_by_api(event, cid, final)
    open_in_console(host, cid, final.id)
    fans = [event.phone().new_page() for _ in range(2)]
    for fan in (phone, *fans):
        vote(fan, screen_target(stage, final.id), final.away.team)
    expect(count_on_board(board, final.id, "away")).to_have_text("3")
    close_in_console(host, cid, final.id)
    advance_in_console(host, cid)

    champion = board.locator(".live-head .champion")
    expect(champion).to_have_attribute("data-champion", final.away.team)
    expect(champion.locator("strong")).to_have_text(final.away.name)
    expect(projector.locator(".live-head .champion strong")).to_have_text(final.away.name)
    assert_not_reloaded(board)
    assert_not_reloaded(projector)
    board.screenshot(path=screenshots / "live-board.png", full_page=True)

    # Every request of every page went to our own server.
    assert event.requests.foreign(event.url) == []
    for name in (
        "vote-phone",
        "stage-screen",
        "live-projector",
        "live-board",
        "host-console",
        "portal",
    ):
        assert (screenshots / f"{name}.png").stat().st_size > 0


def test_pages_load_nothing_from_other_origins(event: Event, clip: Path) -> None:
    """Every page kind, with videos, QR images and the event stream: one origin only."""
    cid = event.api.post("/api/competitions", json={"title": "Ursprungstest"}).json()["id"]
    tokens = {}
    for company, team, trade, _ in COMPANIES[:2]:
        created = event.api.post(f"/api/competitions/{cid}/companies", json={"name": company})
        tokens[company] = created.json()["invite_token"]
        body: dict[str, Any] = {"company_id": created.json()["id"], "name": team, "trade": trade}
        assert event.api.post(f"/api/competitions/{cid}/teams", json=body).status_code == 201
    assert event.api.post(f"/api/competitions/{cid}/bracket", json={"seed": 1}).status_code == 201
    (duel,) = current_duels(event, cid)
    for side in (duel.home, duel.away):
        upload_by_api(event, duel.id, tokens[side.company], clip)
    approve_by_api(event, cid, duel)
    assert event.api.post(f"/api/duels/{duel.id}/open").status_code == 200

    host = event.context(DESKTOP).new_page()
    log_in(host)
    host.goto(f"/host/c/{cid}")
    portal = event.context(DESKTOP).new_page()
    portal.goto(f"/company/{tokens[duel.home.company]}")
    expect(portal.locator("h1")).to_have_text(duel.home.company)
    projector = event.context(PROJECTOR).new_page()
    projector.goto(f"/live/{cid}?mode=projector")
    expect(projector.locator(f'.running-duels img[src="/qr/duels/{duel.id}.svg"]')).to_be_visible()
    phone = event.phone().new_page()
    vote(phone, f"/vote/{duel.id}", duel.home.team)
    expect(count_on_board(projector, duel.id, "home")).to_have_text("1")
    phone.locator("video").first.evaluate("video => video.load()")  # fetch the media too
    wait_for(lambda: any(p.startswith("/media/") for p in event.requests.paths()), 10)

    paths = event.requests.paths()
    expected = {
        "/static/style.css", "/static/live.css", "/static/vote.js", "/static/live.js",
        "/static/portal.js", f"/qr/duels/{duel.id}.svg", f"/api/competitions/{cid}/events",
        f"/api/duels/{duel.id}/votes",
    }  # fmt: skip
    assert expected <= paths, expected - paths
    assert event.requests.foreign(event.url) == []
