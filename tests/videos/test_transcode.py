"""Every upload becomes a web rendition (H.264 High/yuv420p + AAC MP4, <= 1280 px, CFR,
rotation applied) made by the real media worker with the real ffmpeg."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Worker
from starlette.testclient import TestClient

from duels import keys, videos
from duels.settings import Settings
from tests.support import Process, child_env, queue_connection, start_worker, wait_for
from tests.videos.conftest import Clips, League, media_files
from tests.videos.test_processing import settled, submit

LAVFI = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi"]
SINE = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]


def make(folder: Path, name: str, *argv: str) -> Path:
    out = folder / name
    subprocess.run([*LAVFI, *argv, str(out)], check=True)
    return out


def hevc_mov(folder: Path) -> Path:
    return make(
        folder, "hevc.mov", "-i", "testsrc=size=640x360:rate=30", *SINE, "-t", "1",
        "-c:v", "libx265", "-x265-params", "log-level=error", "-tag:v", "hvc1",
        "-pix_fmt", "yuv420p", "-c:a", "aac",
    )  # fmt: skip


def rotated_mp4(folder: Path) -> Path:
    # ffmpeg 5.1 has no -display_rotation: the rotate tag sets the display matrix on a copy.
    landscape = make(
        folder, "landscape.mp4", "-i", "testsrc=size=568x320:rate=30", *SINE, "-t", "1",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
    )  # fmt: skip
    out = folder / "rotated.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(landscape), "-c", "copy",
         "-metadata:s:v", "rotate=90", str(out)],
        check=True,
    )  # fmt: skip
    rotation = ffprobe(out)["streams"][0]["side_data_list"][0]["rotation"]
    assert abs(rotation) == 90
    return out


def vfr_mp4(folder: Path) -> Path:
    return make(
        folder, "vfr.mp4", "-i", "testsrc=size=320x568:rate=30", *SINE, "-t", "1",
        "-vf", "setpts='(N/30+0.01*random(0))/TB'", "-fps_mode", "vfr",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
    )  # fmt: skip


def vp9_webm(folder: Path) -> Path:
    return make(
        folder, "vp9.webm", "-i", "testsrc=size=640x360:rate=30", *SINE, "-t", "1",
        "-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus",
    )  # fmt: skip


def full_hd(folder: Path, seconds: int = 1) -> Path:
    return make(
        folder, f"fullhd{seconds}.mp4", "-i", "testsrc2=size=1920x1080:rate=30", *SINE,
        "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac",
    )  # fmt: skip


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
         str(path)],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return json.loads(out)  # type: ignore[no-any-return]


def assert_web_rendition(path: Path, width: int, height: int, audio: bool = True) -> None:
    data = ffprobe(path)
    assert data["format"]["format_name"].startswith("mov,mp4")
    video = [s for s in data["streams"] if s["codec_type"] == "video"]
    sound = [s for s in data["streams"] if s["codec_type"] == "audio"]
    assert len(video) == 1
    stream = video[0]
    assert (stream["codec_name"], stream["profile"], stream["pix_fmt"]) == (
        "h264", "High", "yuv420p",
    )  # fmt: skip
    assert (stream["width"], stream["height"]) == (width, height)
    assert max(width, height) <= 1280 and width % 2 == 0 and height % 2 == 0
    assert not stream.get("side_data_list"), stream.get("side_data_list")  # no rotation left
    assert stream["r_frame_rate"] == stream["avg_frame_rate"] == "30/1"  # constant frame rate
    if audio:
        assert [s["codec_name"] for s in sound] == ["aac"]
    else:
        assert sound == []
    # faststart: the index (moov) comes before the media data (mdat).
    head = path.read_bytes()
    assert head.index(b"moov") < head.index(b"mdat")


CASES = [
    ("hevc.mov", hevc_mov, (640, 360), "hevc"),
    ("rotated.mp4", rotated_mp4, (320, 568), "h264"),
    ("vfr.mp4", vfr_mp4, (320, 568), "h264"),
    ("vp9.webm", vp9_webm, (640, 360), "vp9"),
    ("fullhd.mp4", full_hd, (1280, 720), "h264"),
]


@pytest.mark.parametrize(("name", "maker", "size", "codec"), CASES, ids=[c[0] for c in CASES])
def test_an_upload_becomes_an_h264_web_rendition(
    name: str,
    maker: Any,
    size: tuple[int, int],
    codec: str,
    app_client: TestClient,
    league: League,
    media_worker: Process,
    redis_client: redis.Redis,
    video_settings: Settings,
    tmp_path: Path,
) -> None:
    company = league.companies[0]
    duel = league.duel_of(company)
    source = maker(tmp_path)
    original = submit(app_client, company, duel.id, source.read_bytes(), name)
    video = settled(redis_client, duel.id, league.team_of(company))
    assert video.status == "ready", video.reason
    assert (video.file, video.codec, video.progress) == (original, codec, 100)
    assert (video.width, video.height) == size
    folder = videos.media_dir(video_settings)
    assert_web_rendition(folder / video.rendition, *size)
    assert sorted(media_files(video_settings)) == sorted([original, video.rendition, video.poster])
    # The portal previews the rendition, never the original.
    page = app_client.get(f"/company/{company.token}").text
    assert f'src="/media/{video.rendition}"' in page
    assert app_client.get(f"/media/{video.rendition}").headers["content-type"] == "video/mp4"
    assert app_client.get(f"/media/{original}").status_code == 404


def test_a_clip_without_sound_gets_no_audio_track(
    app_client: TestClient,
    league: League,
    clips: Clips,
    media_worker: Process,
    redis_client: redis.Redis,
    video_settings: Settings,
) -> None:
    company = league.companies[0]
    duel = league.duel_of(company)
    submit(app_client, company, duel.id, clips.valid, "silent.mp4")
    video = settled(redis_client, duel.id, league.team_of(company))
    assert video.status == "ready", video.reason
    # 10 fps source: kept (only faster sources are capped at 30).
    data = ffprobe(videos.media_dir(video_settings) / video.rendition)
    assert [s["codec_type"] for s in data["streams"]] == ["video"]
    assert data["streams"][0]["r_frame_rate"] == "10/1"


def test_the_approved_video_plays_until_its_replacement_is_approved(
    app_client: TestClient,
    league: League,
    clips: Clips,
    media_worker: Process,
    redis_client: redis.Redis,
    host_headers: dict[str, str],
    video_settings: Settings,
) -> None:
    company = league.companies[0]
    duel = league.duel_of(company)
    team = league.team_of(company)
    side = "home" if team == duel.home else "away"
    submit(app_client, company, duel.id, clips.valid, "first.mp4")
    first = settled(redis_client, duel.id, team)
    approve = f"/api/duels/{duel.id}/videos/{team}/approve"
    assert app_client.post(approve, headers=host_headers).status_code == 200
    playing = f"/media/{first.rendition}"
    assert redis_client.hget(keys.duel(duel.id), f"{side}_video") == playing

    submit(app_client, company, duel.id, clips.truncated, "broken.mp4")
    assert settled(redis_client, duel.id, team).status == "rejected"
    assert redis_client.hget(keys.duel(duel.id), f"{side}_video") == playing
    assert app_client.get(playing).status_code == 200

    submit(app_client, company, duel.id, clips.webm, "second.webm")
    second = settled(redis_client, duel.id, team)
    assert second.status == "ready", second.reason
    assert redis_client.hget(keys.duel(duel.id), f"{side}_video") == playing
    assert app_client.post(approve, headers=host_headers).status_code == 200
    fields = redis_client.hgetall(keys.duel(duel.id))
    assert fields[f"{side}_video"] == f"/media/{second.rendition}"
    assert (fields[f"{side}_video_width"], fields[f"{side}_video_height"]) == ("320", "240")
    # The first approved video's files go once the new one is approved.
    assert first.rendition not in media_files(video_settings)
    assert app_client.get(playing).status_code == 404


def test_the_host_downloads_the_original_and_nobody_else_does(
    app_client: TestClient,
    league: League,
    clips: Clips,
    media_worker: Process,
    redis_client: redis.Redis,
    host_headers: dict[str, str],
) -> None:
    company = league.companies[0]
    duel = league.duel_of(company)
    team = league.team_of(company)
    submit(app_client, company, duel.id, clips.webm, "original.webm")
    settled(redis_client, duel.id, team)
    url = f"/api/duels/{duel.id}/videos/{team}/original"
    assert app_client.get(url).status_code == 401
    assert app_client.get(url, headers=company.auth).status_code in (401, 403)
    response = app_client.get(url, headers=host_headers)
    assert response.status_code == 200
    assert response.content == clips.webm


def test_a_killed_worker_s_transcode_is_finished_by_the_next_worker(
    app_client: TestClient,
    league: League,
    redis_client: redis.Redis,
    video_settings: Settings,
    tmp_path: Path,
) -> None:
    settings = video_settings.model_copy(update={"media_stale_seconds": 3.0, "media_threads": 1})
    connection = queue_connection(settings)
    before = {w.name for w in Worker.all(connection=connection)}
    # Its own session, so SIGKILL takes the work-horse and ffmpeg along, as a crash would.
    first = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "worker"],
        env=child_env(settings), stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: bool({w.name for w in Worker.all(connection=connection)} - before), 20)
        company = league.companies[0]
        duel = league.duel_of(company)
        team = league.team_of(company)
        clip = full_hd(tmp_path, seconds=6)
        submit(app_client, company, duel.id, clip.read_bytes(), "long.mp4")

        def transcoding() -> bool:
            video = videos.get_video(redis_client, duel.id, team)
            return video is not None and video.status == "processing" and video.progress > 0

        wait_for(transcoding, timeout=60)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    killed = videos.get_video(redis_client, duel.id, team)
    assert killed is not None and killed.status == "processing"  # it really died mid-job
    assert 0 < killed.progress < 100

    second = start_worker(settings)
    try:
        video = settled_long(redis_client, duel.id, team)
    finally:
        second.stop()
        connection.close()
    assert video.status == "ready", video.reason
    assert video.file == killed.file
    assert_web_rendition(videos.media_dir(settings) / video.rendition, 1280, 720)


def settled_long(redis_client: redis.Redis, did: str, team: str) -> videos.Video:
    found: list[videos.Video] = []

    def done() -> bool:
        video = videos.get_video(redis_client, did, team)
        if video is not None and video.status in ("ready", "rejected"):
            found.append(video)
            return True
        return False

    wait_for(done, timeout=120)
    return found[-1]
