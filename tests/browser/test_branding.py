"""A branded competition in a real browser: the host sets colours, logo and sponsors in
the console (a colour too light is refused in German), then the phone's vote page and the
projector show them; screenshots go to artifacts/screenshots/branded-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PROJECTOR, Event, log_in

pytestmark = pytest.mark.browser

PRIMARY = "#00566b"  # rgb(0, 86, 107)
ACCENT = "#8a2be2"
IMPRINT = "https://owl-azubi.example/impressum"
PRIVACY = "https://owl-azubi.example/datenschutz"


def _image(path: Path, text: str, colour: tuple[int, int, int], size: tuple[int, int]) -> Path:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), radius=size[1] // 4, fill=colour)
    draw.text((size[0] // 10, size[1] // 3), text, fill=(255, 255, 255), font_size=size[1] // 3)
    image.save(path)
    return path


def _competition(event: Event) -> tuple[str, str]:
    api = event.api
    cid = api.post("/api/competitions", json={"title": "Azubi-Duell OWL"}).json()["id"]
    for company, team, trade in (("Bäckerei Korn", "Teigtruppe", "Bäcker/in"),
                                 ("Tischlerei Span", "Hobelbande", "Tischler/in")):  # fmt: skip
        company_id = api.post(f"/api/competitions/{cid}/companies", json={"name": company})
        api.post(
            f"/api/competitions/{cid}/teams",
            json={"company_id": company_id.json()["id"], "name": team, "trade": trade},
        )
    drawn = api.post(f"/api/competitions/{cid}/bracket", json={"seed": 1}).json()
    return cid, drawn["rounds"][0]["duels"][0]["id"]


def _brand_in_console(page: Page, cid: str, tmp_path: Path) -> None:
    log_in(page)
    page.goto(f"/host/c/{cid}")
    page.click('a[data-action="branding"]')
    page.fill("#brand-region", "Ostwestfalen-Lippe")
    page.fill("#brand-primary", "#777777")
    page.click('button[data-action="save-branding"]')
    expect(page.locator('[data-error="contrast_too_low"]')).to_contain_text("4,48:1")
    page.fill("#brand-primary", PRIMARY)
    page.fill("#brand-accent", ACCENT)
    page.fill("#brand-imprint", IMPRINT)
    page.fill("#brand-privacy", PRIVACY)
    page.click('button[data-action="save-branding"]')
    expect(page.locator(".notice.ok")).to_be_visible()
    logo = _image(tmp_path / "logo.png", "OWL", (0, 86, 107), (600, 200))
    page.set_input_files("#logo-file", logo)
    page.click('button[data-action="upload-logo"]')
    expect(page.locator(".notice.ok")).to_be_visible()
    sponsors = (("Sparkasse", (200, 0, 0)), ("Stadtwerke", (0, 100, 0)), ("IHK", (30, 30, 120)))
    for name, colour in sponsors:
        page.fill("#sponsor-name", name)
        page.fill("#sponsor-link", f"https://{name.lower()}.example")
        page.set_input_files(
            "#sponsor-file", _image(tmp_path / f"{name}.png", name, colour, (420, 140))
        )
        page.click('button[data-action="add-sponsor"]')
        expect(page.locator(".notice.ok")).to_be_visible()
    expect(page.locator("[data-sponsor]")).to_have_count(3)


def test_branded_vote_page_and_projector(event: Event, tmp_path: Path, screenshots: Path) -> None:
    cid, did = _competition(event)
    _brand_in_console(event.context(DESKTOP).new_page(), cid, tmp_path)

    phone = event.phone().new_page()
    phone.goto(f"/vote/{did}")
    expect(phone.locator(".brand-logo")).to_be_visible()
    expect(phone.locator(".brand-region")).to_have_text("Ostwestfalen-Lippe")
    button = phone.locator("button.vote-button").first
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 86, 107)"
    expect(phone.locator('footer a[data-legal="imprint"]')).to_have_attribute("href", IMPRINT)
    expect(phone.locator('footer a[data-legal="privacy"]')).to_have_attribute("href", PRIVACY)
    assert phone.locator(".brand-logo").evaluate("e => e.naturalWidth") > 0
    phone.screenshot(path=screenshots / "branded-vote.png", full_page=True)

    projector = event.context(PROJECTOR).new_page()
    projector.goto(f"/live/{cid}?mode=projector")
    expect(projector.locator(".brand-logo")).to_be_visible()
    expect(projector.locator(".sponsor-strip img")).to_have_count(3)
    for image in projector.locator(".sponsor-strip img").all():
        assert image.evaluate("e => e.naturalWidth") > 0
    projector.screenshot(path=screenshots / "branded-projector.png")
    assert event.requests.foreign(event.url) == []
