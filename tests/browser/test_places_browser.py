"""The apprenticeship pages in a real browser (#19): a vote sent by script brings the
teams' "Ausbildung bei <Firma>" cards without a page load, and axe-core finds no violation
on the places page, the trade page and the vote page with its cards (German and English)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from duels import apprenticeships, store
from duels.trades import slug
from tests.browser.conftest import DESKTOP, Event
from tests.browser.test_accessibility import LANGUAGES, Audit, Auditor, _competition, _context
from tests.support import store_client

pytestmark = pytest.mark.browser


def test_places_pages_and_cards_in_the_browser(event: Event, clip: Path, axe: Audit) -> None:
    cid, duels, _ = _competition(event, clip, teams=4, admission="open")
    running = duels[0]
    with store_client(event.settings) as client:
        teams = {team.id: team for team in store.list_teams(client, cid)}
        home = teams[running.home.team]
        apprenticeships.update_profile(
            client, cid, home.company_id, about="Wir bilden seit 30 Jahren aus.",
            location="Bielefeld", website="https://firma.example/", actor="test",
        )  # fmt: skip
        place = apprenticeships.add_place(
            client, cid, home.company_id, trade=home.trade, starts="2027-08",
            apply_url="https://karriere.firma.example/azubi", count=2, actor="test",
        )  # fmt: skip
    assert event.api.post(f"/api/duels/{running.id}/open").status_code == 200
    auditor = Auditor(axe)
    for lang in LANGUAGES:
        browser = _context(event, DESKTOP, lang).new_page()
        auditor.check(browser, f"{lang} places page", f"/c/{cid}/ausbildung")
        auditor.check(browser, f"{lang} places page (filtered)", f"/c/{cid}/ausbildung?ort=x")
        auditor.check(browser, f"{lang} trade page", f"/berufe/{slug(home.trade)}")
        phone = _context(event, DESKTOP, lang).new_page()
        phone.goto(f"/vote/{running.id}")
        expect(phone.locator(".apprentice-card")).to_have_count(0)
        team = running.home.team if lang == "de" else running.away.team
        phone.click(f'button.vote-button[value="{team}"]')
        # vote.js sent the vote; apprentice.js brings the cards in without a page load
        cards = phone.locator(".apprentice-card")
        expect(cards).to_have_count(2)
        link = phone.locator(f'a[href="/go/{cid}/{place.id}?d={running.id}"]')
        expect(link).to_have_count(1)
        expect(link).to_contain_text("karriere.firma.example")
        auditor.check(phone, f"{lang} vote page with cards")
    assert not auditor.found, "axe-core violations:\n" + auditor.report()
