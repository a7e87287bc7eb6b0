"""The show in real Chromium: the host drives every scene from the remote on a phone while
the stage page on a 1920x1080 projector follows over SSE; reloaded mid-show it comes back
into the scene; at 1280x720 and 3840x2160 no scene overflows. Screenshots of each scene:
artifacts/screenshots/stage-<scene>.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page, expect

from duels import keys, store
from duels.redis_server import free_port
from duels.settings import Settings
from tests.accounts import account
from tests.browser.conftest import PHONE_OPTIONS, PROJECTOR, log_in
from tests.browser.conftest import new_context as context
from tests.browser.test_jury import drawn_cup
from tests.conftest import HOST_TOKEN
from tests.support import Process, start_web

pytestmark = pytest.mark.browser

SMALL = {"width": 1280, "height": 720}
LARGE = {"width": 3840, "height": 2160}
LAPTOP = {"width": 1280, "height": 800}
NO_OVERFLOW = """() => {
  const root = document.querySelector('.stage-scene');
  const page = document.scrollingElement;
  return root !== null && root.scrollWidth <= root.clientWidth
    && root.scrollHeight <= root.clientHeight
    && page.scrollWidth <= page.clientWidth && page.scrollHeight <= page.clientHeight;
}"""
BARS_GROWN = """() => Array.from(document.querySelectorAll('[data-bar]')).every(bar => {
  const want = parseFloat(bar.dataset.share) / 100 * bar.parentElement.clientWidth;
  return Math.abs(bar.getBoundingClientRect().width - want) < 2;
})"""


@pytest.fixture
def server(settings: Settings) -> Iterator[Process]:
    port = free_port()
    shown = settings.model_copy(
        update={"public_url": f"http://127.0.0.1:{port}", "require_approved_videos": False}
    )
    web = start_web(shown, port=port)
    try:
        yield web
    finally:
        web.stop()


def pick(remote: Page, cid: str, scene: str, duel: str = "") -> None:
    """The host taps a scene on the remote (with ``duel`` chosen in the picker)."""
    remote.goto(f"/host/c/{cid}/show")
    if duel:
        remote.select_option("[data-show-duel]", duel)
    remote.click(f'button[data-scene="{scene}"]')
    expect(remote.locator(".notice.ok")).to_be_visible()
    expect(remote.locator(f'button[data-scene="{scene}"]')).to_have_attribute(
        "aria-pressed", "true"
    )


def shows(stage: Page, scene: str) -> None:
    expect(stage.locator(f'.stage-scene[data-scene="{scene}"]')).to_be_visible()


def fits(pages: list[Page], cid: str, scene: str) -> None:
    for page in pages:
        page.goto(f"/stage/{cid}")
        shows(page, scene)
        assert page.evaluate(NO_OVERFLOW), f"{scene} overflows at {page.viewport_size}"


def test_host_drives_every_scene_from_the_phone(
    server: Process, redis_client: redis.Redis, browser: Browser, screenshots: Path
) -> None:
    cid, (first, second) = drawn_cup(server.url)
    account(redis_client)
    api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {HOST_TOKEN}"})
    duel = store.get_duel(redis_client, first)

    phone = context(browser, server.url, {"width": 390, "height": 844}, **PHONE_OPTIONS)
    projector = context(browser, server.url, PROJECTOR)
    others = [context(browser, server.url, SMALL), context(browser, server.url, LARGE)]
    try:
        remote = phone.new_page()
        log_in(remote)
        stage = projector.new_page()
        stage.goto(f"/stage/{cid}")
        checks = [c.new_page() for c in others]

        def step(scene: str, duel: str = "") -> None:
            pick(remote, cid, scene, duel)
            shows(stage, scene)
            if scene == "reveal":
                stage.wait_for_function(BARS_GROWN)
            stage.screenshot(path=str(screenshots / f"stage-{scene}.png"), animations="disabled")
            fits(checks, cid, scene)

        shows(stage, "welcome")
        step("welcome")
        expect(stage.locator(".stage-steps li")).to_have_count(3)
        step("duel_intro", first)
        expect(stage.locator(".stage-intro-side")).to_have_count(2)

        # Counts hidden until the reveal; the QR code stays large on the projector.
        api.post(f"/api/duels/{first}/open", json={"show_results": False}).raise_for_status()
        redis_client.hset(keys.provisional(first), mapping={duel.home: 34, duel.away: 13})
        step("voting", first)
        expect(stage.locator("[data-hidden]")).to_have_text("Stimmen verdeckt")
        qr = stage.locator(".stage-qr img").bounding_box()
        assert qr and qr["height"] >= 0.6 * PROJECTOR["height"], qr
        stage.reload()  # a reload mid-show comes back into the scene
        shows(stage, "voting")

        redis_client.hset(keys.official(first), mapping={duel.home: 34, duel.away: 13})
        api.post(f"/api/duels/{first}/close").raise_for_status()
        step("reveal", first)
        expect(stage.locator('[data-count="home"]')).to_have_text("34")
        step("winner", first)
        expect(stage.locator(".stage-big-name")).to_have_text(duel.home_name)
        step("bracket")
        step("leaderboard")

        play_out(api, redis_client, cid, second)
        step("champion")
        expect(stage.locator("[data-champion]")).to_be_visible()

        laptop_shortcuts(browser, server.url, cid, stage)
    finally:
        for made in (phone, projector, *others):
            made.close()
        api.close()


def play_out(api: httpx.Client, client: redis.Redis, cid: str, second: str) -> None:
    """Decide the rest of the cup through the host API: round 1's other duel, the final."""
    for did in (second, None):
        if did is None:
            api.post(f"/api/competitions/{cid}/advance").raise_for_status()
            view = api.get(f"/api/competitions/{cid}/bracket").json()
            did = view["rounds"][-1]["duels"][0]["id"]
        api.post(f"/api/duels/{did}/open").raise_for_status()
        client.hset(keys.official(did), mapping={store.get_duel(client, did).home: 5})
        api.post(f"/api/duels/{did}/close").raise_for_status()
    api.post(f"/api/competitions/{cid}/advance").raise_for_status()


def laptop_shortcuts(browser: Browser, url: str, cid: str, projector: Page) -> None:
    """A host at the desk opens the stage page on a laptop: 6 shows the bracket, 1 the
    welcome again, on the projector too."""
    laptop = context(browser, url, LAPTOP)
    try:
        page = laptop.new_page()
        log_in(page)
        page.goto(f"/stage/{cid}")
        expect(page.locator(".stage-help")).to_contain_text("Tastenkürzel")
        page.keyboard.press("6")
        shows(page, "bracket")
        shows(projector, "bracket")
        page.keyboard.press("1")
        shows(projector, "welcome")
    finally:
        laptop.close()
