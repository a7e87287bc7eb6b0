"""The live board embedded in a campaign's website (#18), in a real Chromium: a page served
from an allowed origin shows the board in its iframe, 320 px wide, kept live; a page
from another origin gets no board (the browser refuses the frame: frame-ancestors)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Event

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 900}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def campaign_site(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """``site(html)``: a new small web server on 127.0.0.1 serving ``html`` as its
    index page; returns its origin (each call: another port, another origin)."""
    servers: list[ThreadingHTTPServer] = []

    def start(page: str) -> str:
        folder = tmp_path / f"site{len(servers)}"
        folder.mkdir()
        (folder / "index.html").write_text(page, "utf-8")
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _parent_page(src: str) -> str:
    return (
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Azubi-Kampagne</title></head><body><h1>Unsere Kampagne</h1>"
        f'<iframe id="board" src="{src}" title="Live-Tafel" width="100%" height="800">'
        "</iframe></body></html>"
    )


def _competition(event: Event) -> tuple[str, str, str]:
    api = event.api
    cid = api.post("/api/competitions", json={"title": "Azubi-Duell Lippe"}).json()["id"]
    teams = []
    for company, team in (("Bäckerei Korn", "Teigtruppe"), ("Tischlerei Span", "Hobelbande")):
        company_id = api.post(f"/api/competitions/{cid}/companies", json={"name": company})
        created = api.post(
            f"/api/competitions/{cid}/teams",
            json={"company_id": company_id.json()["id"], "name": team, "trade": "Tischler/in"},
        )
        teams.append(created.json()["id"])
    drawn = api.post(f"/api/competitions/{cid}/bracket", json={"seed": 1}).json()
    return cid, drawn["rounds"][0]["duels"][0]["id"], teams[0]


def test_allowed_site_shows_the_live_board_and_another_is_refused(
    event: Event, campaign_site: Callable[[str], str], screenshots: Path
) -> None:
    cid, did, winner = _competition(event)
    embed = f"{event.url}/embed/{cid}"
    allowed = campaign_site(_parent_page(embed))
    refused = campaign_site(_parent_page(embed))
    answer = event.api.put(f"/api/competitions/{cid}/embed", json={"origins": [allowed]})
    assert answer.status_code == 200, answer.text

    context = event.context(NARROW)
    page = context.new_page()
    page.goto(allowed)
    board = page.frame_locator("#board")
    expect(board.locator('[data-embed="bracket"]')).to_be_visible()
    expect(board.locator("[data-leaderboard] tr")).to_have_count(2)
    expect(board.locator(".embed-title")).to_have_text("Azubi-Duell Lippe")
    frame = next(f for f in page.frames if "/embed/" in f.url)
    # 320 px: the board fits the frame (the bracket scrolls inside its own box).
    assert frame.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    # Live: a walkover decided elsewhere reaches the embedded board without a reload.
    decided = event.api.post(
        f"/api/duels/{did}/walkover", json={"winner": winner, "reason": "Rückzug"}
    )
    assert decided.status_code == 200, decided.text
    expect(board.locator(f'[data-duel="{did}"] .winner-mark')).to_be_visible()
    expect(board.locator(".champion")).to_contain_text("Teigtruppe")

    page.screenshot(path=screenshots / "embed-320.png", full_page=True)

    stranger = context.new_page()
    with stranger.expect_console_message(lambda m: "frame-ancestors" in m.text) as refusal:
        stranger.goto(refused)  # waits for the load event, the iframe's included
    assert f"frame-ancestors 'self' {allowed}" in refusal.value.text
    expect(stranger.locator("h1")).to_have_text("Unsere Kampagne")
    assert stranger.frame_locator("#board").locator("#live-board").count() == 0
    (blocked,) = stranger.main_frame.child_frames
    assert blocked.locator("#live-board").count() == 0 and "/embed/" not in blocked.url
    context.close()
