"""Accessibility in a real browser: axe-core finds no violation of any impact on every
public page and console page, in German and English; the vote page works with the
keyboard alone; reduced motion stops the animations."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from duels import show
from tests.browser.conftest import DESKTOP, PROJECTOR, Event, log_in
from tests.browser.test_branding import _brand_in_console
from tests.browser.test_event import (
    COMPANIES,
    Duel,
    approve_by_api,
    current_duels,
    screen_target,
    upload_by_api,
)
from tests.support import store_client

pytestmark = pytest.mark.browser

Audit = Callable[[Page], list[dict[str, Any]]]
LANGUAGES = ("de", "en")
COUNTED = {"de": "Gezählt", "en": "Counted"}


def _competition(
    event: Event, clip: Path, teams: int, admission: str = "open"
) -> tuple[str, list[Duel], dict[str, str]]:
    """A competition of ``teams`` teams, drawn; every duel's videos are approved."""
    api = event.api
    title = {"title": "Azubi-Duell Barrierefrei", "admission": admission}
    cid = api.post("/api/competitions", json=title).json()["id"]
    tokens: dict[str, str] = {}
    for company, team, trade, _ in COMPANIES[:teams]:
        created = api.post(f"/api/competitions/{cid}/companies", json={"name": company}).json()
        tokens[company] = created["invite_token"]
        body = {"company_id": created["id"], "name": team, "trade": trade}
        assert api.post(f"/api/competitions/{cid}/teams", json=body).status_code == 201
    assert api.post(f"/api/competitions/{cid}/bracket", json={"seed": 3}).status_code == 201
    duels = current_duels(event, cid)
    for duel in duels:
        for side in (duel.home, duel.away):
            upload_by_api(event, duel.id, tokens[side.company], clip)
    for duel in duels:
        approve_by_api(event, cid, duel)
    return cid, duels, tokens


def _context(event: Event, viewport: dict[str, int], lang: str, **options: Any) -> BrowserContext:
    context = event.context(viewport, **options)
    context.add_cookies([{"name": "mm_lang", "value": lang, "url": event.url}])
    return context


def _describe(violations: list[dict[str, Any]]) -> list[str]:
    lines = []
    for v in violations:
        for node in v["nodes"][:5]:
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"{v['id']} [{v['impact']}] {node['target']}: {v['help']} – {summary}")
        if len(v["nodes"]) > 5:
            lines.append(f"{v['id']}: … and {len(v['nodes']) - 5} more")
    return lines


class Auditor:
    """Collects the violations of every page so one run reports all of them."""

    def __init__(self, axe: Audit) -> None:
        self.axe = axe
        self.found: dict[str, list[str]] = {}

    def check(self, page: Page, name: str, url: str | None = None) -> None:
        if url is not None:
            response = page.goto(url)
            if response is None or not response.ok:
                status = response.status if response else "no response"
                self.found[name] = [f"{url} answered {status}"]
                return
        page.wait_for_load_state("load")
        lines = _describe(self.axe(page))
        if lines:
            self.found[name] = lines

    def report(self) -> str:
        return "\n".join(
            f"{name}:\n  " + "\n  ".join(lines) for name, lines in sorted(self.found.items())
        )


def test_no_axe_violations_on_any_page(
    event: Event, clip: Path, axe: Audit, tmp_path: Path
) -> None:
    cid, duels, tokens = _competition(event, clip, teams=4, admission="venue")
    running, other = duels
    for duel in duels:
        assert event.api.post(f"/api/duels/{duel.id}/open").status_code == 200
    screen = event.api.post(f"/api/competitions/{cid}/screens", json={"name": "Bühne"}).json()
    auditor = Auditor(axe)
    host: dict[str, Page] = {}
    phone: dict[str, Page] = {}
    board: dict[str, Page] = {}

    for lang in LANGUAGES:
        host[lang] = _context(event, DESKTOP, lang).new_page()
        auditor.check(host[lang], f"{lang} login", "/host/login")
        log_in(host[lang])
        for name, path in (
            ("start", "/host"),
            ("competition", f"/host/c/{cid}"),
            ("codes", f"/host/c/{cid}/codes"),
            ("account", "/host/account"),
            ("members", "/host/members"),
            ("jury", "/host/jury"),
        ):
            auditor.check(host[lang], f"{lang} console {name}", path)
        portal = _context(event, DESKTOP, lang).new_page()
        auditor.check(portal, f"{lang} portal", f"/company/{tokens[running.home.company]}")
        board[lang] = _context(event, PROJECTOR, lang).new_page()
        auditor.check(board[lang], f"{lang} projector", f"/live/{cid}?mode=projector")
        stage = _context(event, PROJECTOR, lang).new_page()
        auditor.check(stage, f"{lang} stage screen", f"/screen/{screen['key']}")
        auditor.check(board[lang], f"{lang} live board (voting)", f"/live/{cid}")

        phone[lang] = _context(event, DESKTOP, lang).new_page()
        auditor.check(phone[lang], f"{lang} vote page (scan first)", f"/vote/{running.id}")
        auditor.check(phone[lang], f"{lang} vote page (open)", screen_target(stage, running.id))
        team = running.home.team if lang == "de" else running.away.team
        phone[lang].click(f'button.vote-button[value="{team}"]')
        expect(phone[lang].locator("#vote-status")).to_contain_text(COUNTED[lang])
        auditor.check(phone[lang], f"{lang} vote page (voted)")
        auditor.check(host[lang], f"{lang} console show remote", f"/host/c/{cid}/show")

    def scenes(*names: str) -> None:
        """Every stage scene, on the public stage page and on the venue screen."""
        for name in names:
            with store_client(event.settings) as store:
                show.set_scene(store, cid, name, running.id if name in show.DUEL_SCENES else "")
            for lang in LANGUAGES:
                auditor.check(board[lang], f"{lang} stage {name}", f"/stage/{cid}")
                if name == "voting":
                    auditor.check(
                        board[lang], f"{lang} venue screen {name}", f"/screen/{screen['key']}"
                    )

    scenes("welcome", "duel_intro", "voting", "bracket", "leaderboard")
    for duel in duels:
        assert event.api.post(f"/api/duels/{duel.id}/close").status_code == 200
    walkover = {"winner": other.home.team, "reason": "Zurückgezogen"}
    assert event.api.post(f"/api/duels/{other.id}/walkover", json=walkover).status_code == 200
    scenes("reveal", "winner")
    for lang in LANGUAGES:
        auditor.check(phone[lang], f"{lang} vote page (closed)", f"/vote/{running.id}")
        auditor.check(host[lang], f"{lang} console advance", f"/host/c/{cid}/advance")
    advanced = event.api.post(f"/api/competitions/{cid}/advance")
    assert advanced.status_code == 200, advanced.text
    for lang in LANGUAGES:
        auditor.check(phone[lang], f"{lang} vote page (decided)", f"/vote/{running.id}")
        auditor.check(board[lang], f"{lang} live board (decided)", f"/live/{cid}")
        auditor.check(board[lang], f"{lang} projector (decided)", f"/live/{cid}?mode=projector")
    (final,) = [d for d in current_duels(event, cid) if d.away]
    won = {"winner": final.home.team, "reason": "Test"}
    assert event.api.post(f"/api/duels/{final.id}/walkover", json=won).status_code == 200
    scenes("champion")  # a decided final crowns the champion

    # The same pages in a competition's brand colours, with its logo and sponsors.
    _brand_in_console(event.context(DESKTOP).new_page(), cid, tmp_path)
    for lang in LANGUAGES:
        auditor.check(host[lang], f"{lang} console branding", f"/host/c/{cid}/branding")
        auditor.check(phone[lang], f"{lang} branded vote page", f"/vote/{running.id}")
        auditor.check(board[lang], f"{lang} branded live board", f"/live/{cid}")
        auditor.check(board[lang], f"{lang} branded projector", f"/live/{cid}?mode=projector")

    assert not auditor.found, "axe-core violations:\n" + auditor.report()


def test_axe_reports_what_it_finds(browser: Browser, axe: Audit) -> None:
    """The audit itself works: a page with known faults yields their violations."""
    page = browser.new_page()
    page.set_content(
        '<html><body><main><p style="color:#bbb">grau</p><img src="x.png"></main></body></html>'
    )
    found = {v["id"] for v in axe(page)}
    page.close()
    assert {"color-contrast", "html-has-lang", "image-alt"} <= found, found


def test_vote_with_the_keyboard_only(event: Event, clip: Path) -> None:
    _, (duel,), _ = _competition(event, clip, teams=2)
    assert event.api.post(f"/api/duels/{duel.id}/open").status_code == 200
    page = _context(event, DESKTOP, "de").new_page()
    page.goto(f"/vote/{duel.id}")

    page.keyboard.press("Tab")  # the first stop skips to the content
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"

    target = f'button.vote-button[value="{duel.away.team}"]'
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches('{target}')"):
            break
    else:
        pytest.fail("Tab never reached the vote button")
    focused = page.locator(target)
    assert focused.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("Space")
    expect(page.locator("#vote-status")).to_contain_text("Gezählt")
    assert page.locator("[tabindex]").evaluate_all(
        "nodes => nodes.filter(n => n.tabIndex > 0).length"
    ) == 0  # fmt: skip


def test_reduced_motion_stops_animations(event: Event, clip: Path) -> None:
    cid, (duel,), _ = _competition(event, clip, teams=2)
    assert event.api.post(f"/api/duels/{duel.id}/open").status_code == 200
    durations = (
        "e => [getComputedStyle(e).animationDuration, getComputedStyle(e).transitionDuration]"
    )
    moving = _context(event, PROJECTOR, "de").new_page()
    moving.goto(f"/live/{cid}")
    bar = moving.locator(".bar-fill").first
    assert bar.evaluate(durations) != ["0s", "0s"]  # the bars move normally

    still = _context(event, PROJECTOR, "de", reduced_motion="reduce").new_page()
    still.goto(f"/live/{cid}")
    for element in still.locator(".bar-fill").all():
        values = element.evaluate(durations)
        assert max(_seconds(value) for value in values) < 0.001, values


def _seconds(value: str) -> float:
    """The longest of a computed duration list ("0.6s, 0s" or "10ms")."""
    parts = [part.strip() for part in value.split(",")]
    return max(float(p[:-2]) / 1000 if p.endswith("ms") else float(p[:-1]) for p in parts)


def test_templates_use_only_the_basic_multilingual_plane() -> None:
    """Emoji and other astral symbols render as empty boxes without their fonts."""
    web = Path(__file__).resolve().parents[2] / "web"
    found = [
        f"{path.relative_to(web)}:{number}: {line.strip()}"
        for folder in ("templates", "static", "locales")
        for path in sorted((web / folder).rglob("*"))
        if path.is_file() and path.suffix in (".html", ".css", ".js", ".json", ".svg")
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if any(ord(char) > 0xFFFF for char in line)
    ]
    assert found == []


def test_no_positive_tabindex_in_templates() -> None:
    """A positive tabindex breaks the reading order for keyboard users."""
    templates = Path(__file__).resolve().parents[2] / "web" / "templates"
    found = [
        str(path.relative_to(templates))
        for path in sorted(templates.rglob("*.html"))
        if re.search(r'tabindex="?\s*[1-9]', path.read_text("utf-8"))
    ]
    assert found == []
