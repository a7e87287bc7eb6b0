"""Vertical video is first-class: the pages lay a clip out by its own frame size."""

from __future__ import annotations

import re

import redis
from starlette.testclient import TestClient

from duels import keys, videos
from duels.records import Duel
from tests.accounts import log_in
from tests.videos.conftest import League

SIZES = {"home": (360, 640), "away": (640, 360)}  # portrait home, landscape away


def approve_with_size(
    client: redis.Redis, duel: Duel, team: str, company: str, size: tuple[int, int]
) -> None:
    stem = videos.new_media_stem(duel.id, team)
    target = videos.Target(duel, team, company)
    videos.record_upload(client, target, f"{stem}.mp4", 1000)
    assert videos.start_processing(client, duel.id, team, f"{stem}.mp4")
    assert videos.finish_processing(
        client, duel.id, team, f"{stem}.mp4",
        poster=f"{stem}.jpg", duration=1.0, width=size[0], height=size[1], codec="h264",
    )  # fmt: skip
    videos.approve(client, duel.id, team)


def video_tags(html: str) -> list[str]:
    return re.findall(r"<video[^>]*>", html)


def sized_duel(league: League, redis_client: redis.Redis) -> Duel:
    duel = league.duels[0]
    for side in ("home", "away"):
        team, company = getattr(duel, side), getattr(duel, f"{side}_company")
        approve_with_size(redis_client, duel, team, company, SIZES[side])
    return duel


def assert_oriented(tags: list[str]) -> None:
    portrait, landscape = tags
    assert "video-portrait" in portrait and 'width="360" height="640"' in portrait
    assert "video-landscape" in landscape and 'width="640" height="360"' in landscape
    assert all("style=" not in tag for tag in tags)  # the CSP forbids inline styles


def test_vote_page_marks_portrait_and_landscape_with_their_size(
    league: League, app_client: TestClient, redis_client: redis.Redis
) -> None:
    duel = sized_duel(league, redis_client)
    assert_oriented(video_tags(app_client.get(f"/vote/{duel.id}").text))

    # Records made before the duel hash carried the size: the video record's probe counts.
    redis_client.hdel(keys.duel(duel.id), "home_video_width", "home_video_height")
    redis_client.hdel(keys.duel(duel.id), "away_video_width", "away_video_height")
    assert_oriented(video_tags(app_client.get(f"/vote/{duel.id}").text))


def test_projector_duel_view_shows_both_videos_by_their_shape(
    league: League, app_client: TestClient, redis_client: redis.Redis
) -> None:
    duel = sized_duel(league, redis_client)
    page = app_client.get(f"/live/{league.cid}?mode=projector&duel={duel.id}")
    assert page.status_code == 200
    assert "projector" in page.text
    assert_oriented(video_tags(page.text))
    # A duel of another competition, or none at all, is not shown under this one.
    assert app_client.get(f"/live/other?mode=projector&duel={duel.id}").status_code == 404
    assert app_client.get(f"/live/{league.cid}?duel=nope").status_code == 404


def test_host_watches_a_video_in_the_page_instead_of_downloading_it(
    league: League, app_client: TestClient, redis_client: redis.Redis
) -> None:
    duel = sized_duel(league, redis_client)
    preview = f"/host/duels/{duel.id}/videos/{duel.home}/preview"
    assert app_client.get(preview, follow_redirects=False).status_code == 303  # login first
    log_in(app_client)
    console = app_client.get(f"/host/c/{league.cid}").text
    assert f'href="{preview}"' in console
    page = app_client.get(preview)
    assert page.status_code == 200
    (tag,) = video_tags(page.text)
    record = videos.get_video(redis_client, duel.id, duel.home)
    assert record is not None
    assert f'src="{record.media_url}"' in tag and "video-portrait" in tag and "controls" in tag
    missing = app_client.get(f"/host/duels/{duel.id}/videos/nobody/preview")
    assert missing.status_code == 404
