"""A group stage on the live board in a real Chromium (#18): the group tables re-order
after the host advances a round, without a reload; on a phone the tables scroll inside
their own box, never the page; axe finds nothing on the staged board."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, PHONE_OPTIONS, PROJECTOR, Event

pytestmark = pytest.mark.browser


def _group_stage(event: Event) -> tuple[str, dict[str, Any]]:
    api = event.api
    cid = api.post("/api/competitions", json={"title": "Gruppen-Cup"}).json()["id"]
    for n in range(12):
        company = api.post(f"/api/competitions/{cid}/companies", json={"name": f"Firma {n}"})
        api.post(
            f"/api/competitions/{cid}/teams",
            json={"company_id": company.json()["id"], "name": f"Team {n}", "trade": "Koch/Köchin"},
        ).raise_for_status()
    body = {"format": "groups", "groups": 3, "advance": 2, "best_placed": 2, "seed": 7}
    drawn = api.post(f"/api/competitions/{cid}/bracket", json=body)
    assert drawn.status_code == 201, drawn.text
    return cid, drawn.json()


def _rows(page: Page, group: str) -> list[str | None]:
    rows = page.locator(f'[data-group="{group}"] tbody tr')
    return [rows.nth(i).get_attribute("data-team") for i in range(rows.count())]


def test_group_table_reorders_after_the_host_advances_without_a_reload(event: Event) -> None:
    cid, view = _group_stage(event)
    before = {g["name"]: [row["team"]["id"] for row in g["rows"]] for g in view["groups"]}
    page = event.context(PHONE, **PHONE_OPTIONS).new_page()
    page.goto(f"/live/{cid}")
    expect(page.locator("[data-stage-tables] .stage-table-block")).to_have_count(3)
    assert _rows(page, "A") == before["A"]
    expect(page.locator('[data-group="A"] tbody tr[data-qualifying]')).to_have_count(2)
    expect(page.locator('[data-group="A"] tbody tr').nth(0)).to_contain_text("weiter")
    # 360 px: the tables scroll inside their own box; the page never scrolls sideways.
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    page.evaluate("window.stillTheSamePage = true")

    # Round 1: in every duel the team listed lower in the table wins (a walkover: this
    # event wants approved videos before voting opens).
    for duel in (d for r in view["rounds"] for d in r["duels"] if d["away"]):
        home, away = duel["home"]["id"], duel["away"]["id"]
        group = next(name for name, ids in before.items() if home in ids)
        lower = max(home, away, key=before[group].index)
        decided = event.api.post(
            f"/api/duels/{duel['id']}/walkover", json={"winner": lower, "reason": "Test"}
        )
        assert decided.status_code == 200, decided.text
    advanced = event.api.post(f"/api/competitions/{cid}/advance", json={"round": 1})
    assert advanced.status_code == 200, advanced.text
    after = {g["name"]: [row["team"]["id"] for row in g["rows"]] for g in advanced.json()["groups"]}
    assert after["A"] != before["A"]

    leader = page.locator('[data-group="A"] tbody tr').nth(0)
    expect(leader).to_have_attribute("data-team", after["A"][0])
    for name in after:
        expect(page.locator(f'[data-group="{name}"] tbody tr').nth(1)).to_have_attribute(
            "data-team", after[name][1]
        )
    assert _rows(page, "A") == after["A"]
    assert page.evaluate("window.stillTheSamePage === true")  # no reload
    duels = page.locator('.group-block:has([data-group="A"]) .group-duels [data-duel]')
    expect(duels).to_have_count(2)
    page.context.close()


def test_staged_board_has_no_axe_violations(
    event: Event, axe: Callable[[Page], list[dict[str, Any]]], screenshots: Path
) -> None:
    cid, _ = _group_stage(event)
    for name, viewport, options, path in (
        ("phone", PHONE, PHONE_OPTIONS, f"/live/{cid}"),
        ("projector", PROJECTOR, {}, f"/live/{cid}?mode=projector"),
        ("embed", PHONE, PHONE_OPTIONS, f"/embed/{cid}?view=standings"),
    ):
        page = event.context(viewport, **options).new_page()
        page.goto(path)
        expect(page.locator("[data-stage-tables]")).to_be_visible()
        page.screenshot(path=screenshots / f"stage-board-{name}.png", full_page=True)
        found = axe(page)
        assert not found, (path, [(v["id"], [n["target"] for n in v["nodes"]]) for v in found])
        page.context.close()
