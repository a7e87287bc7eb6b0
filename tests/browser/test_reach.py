"""Reach figures in a real browser: a phone (Chromium's own HeadlessChrome user agent, which
must count) plays a team's approved video to the end on the vote page; the company then
sees the view, the play and the completion in its portal figures."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, Event, log_in
from tests.browser.test_event import COMPANIES, approve_by_api, current_duels, upload_by_api
from tests.browser.test_vertical_video import make_clip

pytestmark = pytest.mark.browser


def _totals(page: Page, company: str) -> dict[str, str]:
    section = page.locator(f'section[data-company="{company}"] dl[data-total]')
    return {
        name: section.locator(f"dd[data-{name}]").inner_text()
        for name in ("views", "plays", "ends", "completion")
    }


def test_a_video_watched_to_the_end_is_counted_in_the_company_s_figures(
    event: Event, tmp_path: Path, axe: Callable[[Page], list[dict[str, Any]]]
) -> None:
    clip = make_clip(tmp_path, "clip", "320x240")
    cid = event.api.post(
        "/api/competitions", json={"title": "Reichweiten-Cup", "admission": "open"}
    ).json()["id"]
    tokens, company_ids = {}, {}
    for company, team, trade, _ in COMPANIES[:2]:
        created = event.api.post(f"/api/competitions/{cid}/companies", json={"name": company})
        tokens[company] = created.json()["invite_token"]
        company_ids[company] = created.json()["id"]
        body = {"company_id": created.json()["id"], "name": team, "trade": trade}
        assert event.api.post(f"/api/competitions/{cid}/teams", json=body).status_code == 201
    assert event.api.post(f"/api/competitions/{cid}/bracket", json={"seed": 1}).status_code == 201
    (duel,) = current_duels(event, cid)
    for side in (duel.home, duel.away):
        upload_by_api(event, duel.id, tokens[side.company], clip)
    approve_by_api(event, cid, duel)
    assert event.api.post(f"/api/duels/{duel.id}/open").status_code == 200

    phone = event.context(PHONE).new_page()  # Chromium's own user agent
    assert "HeadlessChrome" in phone.evaluate("navigator.userAgent")
    beacons: list[str] = []
    phone.on(
        "request",
        lambda r: beacons.append(r.post_data or "") if r.url.endswith("/reach") else None,
    )
    phone.goto(f"/vote/{duel.id}")
    video = phone.locator(f'video[data-team="{duel.home.team}"]')
    expect(video).to_have_count(1)
    # Muted, so the browser lets the script start it; the page's reach.js listens.
    video.evaluate("v => { v.muted = true; return v.play(); }")
    phone.wait_for_function(
        "team => document.querySelector(`video[data-team='${team}']`).ended",
        arg=duel.home.team,
        timeout=15_000,
    )
    video.evaluate("v => { v.currentTime = 0; return v.play(); }")  # again: sent once only
    phone.wait_for_function(
        "team => document.querySelector(`video[data-team='${team}']`).ended",
        arg=duel.home.team,
    )

    portal = event.context(PHONE).new_page()
    company = company_ids[duel.home.company]
    deadline = time.monotonic() + 15
    while True:  # the beacons are sent in the background: wait until they arrived
        portal.goto(f"/company/{tokens[duel.home.company]}/reichweite")
        totals = _totals(portal, company)
        if totals["ends"] == "1" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert totals == {"views": "1", "plays": "1", "ends": "1", "completion": "100 %"}
    assert len(beacons) == 2  # one play, one end: once per page view and video
    assert '"play"' in beacons[0] and '"end"' in beacons[1]
    # The other company's video was not played; its page shows nothing of the home company.
    other = event.context(PHONE).new_page()
    other.goto(f"/company/{tokens[duel.away.company]}/reichweite")
    assert _totals(other, company_ids[duel.away.company])["plays"] == "0"
    expect(other.locator(f'section[data-company="{company}"]')).to_have_count(0)
    assert event.requests.foreign(event.url) == []  # no third party was asked anything
    # Both figures pages pass the accessibility audit (chart, tables, legend).
    assert [v["id"] for v in axe(portal)] == []
    console = event.context(DESKTOP).new_page()
    log_in(console)
    console.goto(f"/host/c/{cid}/reichweite")
    expect(console.locator(f'section[data-company="{company}"] svg[role="img"]')).to_have_count(1)
    assert [v["id"] for v in axe(console)] == []
