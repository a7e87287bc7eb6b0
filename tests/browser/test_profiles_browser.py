"""Profiles and places in a real browser (#19): a company adds a place through its portal's
form (month picker, trade suggestions), and axe-core finds no violation on the portal's
profile section and on the console's "Ausbildung" page (German and English, a hidden
profile included)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from duels import apprenticeships
from tests.browser.conftest import DESKTOP, Event, log_in
from tests.browser.test_accessibility import LANGUAGES, Audit, Auditor, _context
from tests.support import store_client

pytestmark = pytest.mark.browser


def test_profile_forms_and_console_in_the_browser(event: Event, axe: Audit) -> None:
    api = event.api
    cid = api.post("/api/competitions", json={"title": "Azubi-Duell Profile"}).json()["id"]
    firms = []
    for name, trade in (("Holzwerk Nord", "Tischler/in"), ("Backstube Süd", "Bäcker/in")):
        created = api.post(f"/api/competitions/{cid}/companies", json={"name": name}).json()
        firms.append(created)
        body = {"company_id": created["id"], "name": f"Team {name}", "trade": trade}
        assert api.post(f"/api/competitions/{cid}/teams", json=body).status_code == 201
    holz, back = firms
    with store_client(event.settings) as client:
        apprenticeships.update_profile(
            client, cid, back["id"], about="Frisch.", location="Ulm", website="", actor="t"
        )
        apprenticeships.add_place(
            client, cid, back["id"], trade="Bäcker/in", apply_email="azubi@back.example",
            actor="t",
        )  # fmt: skip
        apprenticeships.set_hidden(client, cid, back["id"], True, "Bitte Link prüfen", "t")

    portal = _context(event, DESKTOP, "de").new_page()
    portal.goto(f"/company/{holz['invite_token']}")
    portal.fill("#profile-about", "Wir bauen Treppen.")
    portal.fill("#profile-website", "www.holzwerk.example")
    portal.click('button[data-action="save-profile"]')
    expect(portal.locator("#profile .notice.ok")).to_contain_text("Das Profil ist gespeichert.")
    expect(portal.locator("#profile-website")).to_have_value("https://www.holzwerk.example/")
    portal.fill("#place-new-trade", "Tischler/in")
    portal.fill("#place-new-starts", "2027-08")
    portal.fill("#place-new-count", "2")
    portal.fill("#place-new-url", "http://holzwerk.example/jobs")
    portal.click('button[data-action="add-place"]')
    expect(portal.locator("#place-new .notice.bad")).to_contain_text("https://")
    portal.fill("#place-new-trade", "Tischler/in")
    portal.fill("#place-new-starts", "2027-08")
    portal.fill("#place-new-url", "https://holzwerk.example/jobs")
    portal.click('button[data-action="add-place"]')
    expect(portal.locator("#profile .notice.ok")).to_contain_text("eingetragen")
    with store_client(event.settings) as client:
        (place,) = apprenticeships.get_profile(client, cid, holz["id"]).places
    assert (place.trade, place.starts, place.apply_url) == (
        "Tischler/in", "2027-08", "https://holzwerk.example/jobs",
    )  # fmt: skip

    auditor = Auditor(axe)
    for lang in LANGUAGES:
        company = _context(event, DESKTOP, lang).new_page()
        auditor.check(company, f"{lang} portal with places", f"/company/{holz['invite_token']}")
        auditor.check(company, f"{lang} portal hidden", f"/company/{back['invite_token']}")
        host = _context(event, DESKTOP, lang).new_page()
        log_in(host)
        auditor.check(host, f"{lang} console apprenticeships", f"/host/c/{cid}/ausbildung")
    assert not auditor.found, "axe-core violations:\n" + auditor.report()
