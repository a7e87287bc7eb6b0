"""The media worker (a real `machmal worker` process) probes uploads and makes posters."""

from __future__ import annotations

import pytest
import redis
from starlette.testclient import TestClient

from duels import keys, videos
from duels.settings import Settings
from tests.support import Process, start_worker, wait_for
from tests.videos.conftest import Clips, Company, League, media_files


def submit(client: TestClient, company: Company, did: str, data: bytes, name: str) -> str:
    response = client.post(
        f"/api/duels/{did}/videos", files={"file": (name, data)}, headers=company.auth
    )
    assert response.status_code == 202, response.text
    return str(response.json()["file"])


def settled(redis_client: redis.Redis, did: str, team: str) -> videos.Video:
    found: list[videos.Video] = []

    def done() -> bool:
        video = videos.get_video(redis_client, did, team)
        if video is not None and video.status in ("ready", "rejected"):
            found.append(video)
            return True
        return False

    wait_for(done, timeout=30)
    return found[-1]


def test_a_valid_upload_becomes_ready_with_a_poster_and_can_be_approved(
    app_client: TestClient,
    league: League,
    clips: Clips,
    media_worker: Process,
    redis_client: redis.Redis,
    host_headers: dict[str, str],
    video_settings: Settings,
) -> None:
    home = next(c for c in league.companies if c.id == league.duels[0].home_company)
    away = next(c for c in league.companies if c.id == league.duels[0].away_company)
    duel = league.duels[0]
    home_file = submit(app_client, home, duel.id, clips.valid, "clip.mp4")
    away_file = submit(app_client, away, duel.id, clips.webm, "clip.webm")

    ready = settled(redis_client, duel.id, duel.home)
    assert ready.status == "ready", ready.reason
    assert ready.file == home_file
    assert ready.duration == pytest.approx(2.0, abs=0.2)
    assert (ready.width, ready.height, ready.codec) == (320, 240, "h264")
    # Pages play the web rendition (an MP4 of its own name); its poster is made from it.
    assert ready.rendition.endswith(".mp4") and ready.rendition != home_file
    assert ready.poster == ready.rendition.replace(".mp4", ".jpg")
    poster = app_client.get(f"/media/{ready.poster}")
    assert poster.status_code == 200
    assert poster.headers["content-type"] == "image/jpeg"
    assert poster.content[:3] == b"\xff\xd8\xff"  # a JPEG

    webm = settled(redis_client, duel.id, duel.away)
    assert (webm.status, webm.file, webm.codec) == ("ready", away_file, "vp8")
    assert webm.rendition.endswith(".mp4")

    for team in (duel.home, duel.away):
        approved = app_client.post(
            f"/api/duels/{duel.id}/videos/{team}/approve", headers=host_headers
        )
        assert approved.status_code == 200, approved.text
    record = redis_client.hgetall(keys.duel(duel.id))
    assert record["home_video"] == f"/media/{ready.rendition}"
    assert (record["home_video_width"], record["home_video_height"]) == ("320", "240")
    assert record["home_poster"] == f"/media/{ready.poster}"
    assert record["home_video_type"] == "video/mp4"
    assert record["away_video"] == f"/media/{webm.rendition}"
    assert record["away_video_type"] == "video/mp4"
    assert app_client.post(f"/api/duels/{duel.id}/open", headers=host_headers).status_code == 200

    ranged = app_client.get(record["away_video"], headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206
    assert ranged.headers["content-type"] == "video/mp4"
    # The originals stay for the host, but are not served to anyone else.
    assert sorted(media_files(video_settings)) == sorted(
        [home_file, ready.rendition, ready.poster, away_file, webm.rendition, webm.poster]
    )
    assert app_client.get(f"/media/{away_file}").status_code == 404


def test_a_truncated_upload_is_rejected_with_a_reason_and_removed(
    app_client: TestClient,
    league: League,
    clips: Clips,
    media_worker: Process,
    redis_client: redis.Redis,
    video_settings: Settings,
) -> None:
    company = league.companies[0]
    duel = league.duel_of(company)
    name = submit(app_client, company, duel.id, clips.truncated, "cut.mp4")
    video = settled(redis_client, duel.id, league.team_of(company))
    assert video.status == "rejected"
    assert video.file == name
    assert "nicht als Video lesen" in video.reason
    assert media_files(video_settings) == []
    assert app_client.get(f"/media/{name}").status_code == 404
    page = app_client.get(f"/company/{company.token}")
    assert "nicht als Video lesen" in page.text


def test_a_too_long_video_is_rejected(
    app_client: TestClient,
    league: League,
    clips: Clips,
    redis_client: redis.Redis,
    video_settings: Settings,
) -> None:
    # The worker gets its own settings: a one-second limit for the 2 s clip.
    worker = start_worker(video_settings.model_copy(update={"max_video_seconds": 1}))
    try:
        company = league.companies[0]
        duel = league.duel_of(company)
        submit(app_client, company, duel.id, clips.valid, "long.mp4")
        video = settled(redis_client, duel.id, league.team_of(company))
    finally:
        worker.stop()
    assert video.status == "rejected"
    assert "höchstens 1 Sekunden" in video.reason
    assert video.duration is None
    assert media_files(video_settings) == []


def test_a_job_for_a_replaced_upload_changes_nothing(
    app_client: TestClient,
    league: League,
    clips: Clips,
    redis_client: redis.Redis,
    media_worker: Process,
) -> None:
    company = league.companies[0]
    duel = league.duel_of(company)
    team = league.team_of(company)
    first = submit(app_client, company, duel.id, clips.valid, "a.mp4")
    second = submit(app_client, company, duel.id, clips.truncated, "b.mp4")
    video = settled(redis_client, duel.id, team)
    # Whatever order the jobs ran in, the record describes the second upload only.
    assert video.file == second
    assert video.status == "rejected"
    assert first != second
    assert videos.start_processing(redis_client, duel.id, team, first) is None
