"""Vertical video in a real browser: a portrait and a landscape clip of one duel play on a
phone's vote page and side by side on the projector, each in its own shape."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PROJECTOR, Event
from tests.browser.test_event import COMPANIES, approve_by_api, current_duels, upload_by_api

pytestmark = pytest.mark.browser


def make_clip(directory: Path, name: str, size: str) -> Path:
    path = directory / f"{name}.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=10",
         "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip
    return path


def boxes_when_playable(page: Page) -> dict[str, dict[str, float]]:
    """Wait until every <video> has decoded a frame; their rendered boxes by orientation."""
    videos = page.locator("video")
    expect(videos).to_have_count(2)
    videos.evaluate_all("vs => vs.forEach(v => { if (v.readyState < 2) v.load(); })")
    page.wait_for_function(
        "() => [...document.querySelectorAll('video')]"
        ".every(v => v.readyState >= 2 && v.videoWidth > 0)"
    )
    boxes: list[dict[str, Any]] = videos.evaluate_all(
        """vs => vs.map(v => { const r = v.getBoundingClientRect();
            return {cls: v.className, w: r.width, h: r.height,
                    vw: v.videoWidth, vh: v.videoHeight}; })"""
    )
    out = {}
    for box in boxes:
        kind = "portrait" if "video-portrait" in box["cls"] else "landscape"
        out[kind] = box
    assert set(out) == {"portrait", "landscape"}, boxes
    assert (out["portrait"]["vw"], out["portrait"]["vh"]) == (360, 640)
    assert (out["landscape"]["vw"], out["landscape"]["vh"]) == (640, 360)
    return out


def test_portrait_and_landscape_clips_on_phone_and_projector(
    event: Event, tmp_path: Path, screenshots: Path
) -> None:
    portrait_clip = make_clip(tmp_path, "portrait", "360x640")
    landscape_clip = make_clip(tmp_path, "landscape", "640x360")
    cid = event.api.post(
        "/api/competitions", json={"title": "Hochkant-Cup", "admission": "open"}
    ).json()["id"]
    tokens = {}
    for company, team, trade, _ in COMPANIES[:2]:
        created = event.api.post(f"/api/competitions/{cid}/companies", json={"name": company})
        tokens[company] = created.json()["invite_token"]
        body = {"company_id": created.json()["id"], "name": team, "trade": trade}
        assert event.api.post(f"/api/competitions/{cid}/teams", json=body).status_code == 201
    assert event.api.post(f"/api/competitions/{cid}/bracket", json={"seed": 1}).status_code == 201
    (duel,) = current_duels(event, cid)
    upload_by_api(event, duel.id, tokens[duel.home.company], portrait_clip)
    upload_by_api(event, duel.id, tokens[duel.away.company], landscape_clip)
    approve_by_api(event, cid, duel)
    assert event.api.post(f"/api/duels/{duel.id}/open").status_code == 200

    phone = event.phone().new_page()
    phone.goto(f"/vote/{duel.id}")
    boxes = boxes_when_playable(phone)
    portrait, landscape = boxes["portrait"], boxes["landscape"]
    viewport = phone.viewport_size
    assert viewport is not None
    assert portrait["h"] > portrait["w"]
    assert portrait["h"] <= 0.71 * viewport["height"]  # never taller than ~70 % of the screen
    assert portrait["w"] >= 0.7 * viewport["width"]  # stacked, not squeezed side by side
    assert landscape["w"] > landscape["h"] and landscape["w"] >= 0.8 * viewport["width"]
    phone.screenshot(path=screenshots / "portrait-duel-phone.png", full_page=True)

    projector = event.context(PROJECTOR).new_page()
    projector.goto(f"/live/{cid}?mode=projector&duel={duel.id}")
    boxes = boxes_when_playable(projector)
    projector.screenshot(path=screenshots / "portrait-duel-projector.png")
    portrait, landscape = boxes["portrait"], boxes["landscape"]
    assert portrait["h"] > portrait["w"] and portrait["h"] >= 0.5 * PROJECTOR["height"]
    assert landscape["w"] > landscape["h"] and landscape["w"] >= 0.35 * PROJECTOR["width"]
    # Side by side and the whole of both on the one screen.
    tops = projector.locator("video").evaluate_all(
        "vs => vs.map(v => { const r = v.getBoundingClientRect(); return [r.left, r.bottom]; })"
    )
    assert tops[0][0] < tops[1][0]
    assert all(bottom <= PROJECTOR["height"] for _, bottom in tops)

    for name in ("portrait-duel-phone", "portrait-duel-projector"):
        assert (screenshots / f"{name}.png").stat().st_size > 0
