"""Hostile uploads: a file that starts like an MP4 but is an MPEG-DASH manifest.

ffmpeg's format guess reads ``<!--ftypjp2 --><MPD ...>`` as DASH (the JPEG 2000
brand makes the MOV demuxer bid low), and the manifest's segment URL makes
ffprobe/ffmpeg open any local file with a video extension: the upload then
"is" that other video (its duration, its poster). The canary here is a real
clip in the test's tmp dir; its access time shows whether anything read it.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from rq import Queue
from starlette.testclient import TestClient

from duels import store, videos
from duels.settings import Settings
from tests.support import Process, queue_connection
from tests.videos.conftest import Clips, League, media_files
from tests.videos.test_processing import settled
from workers import media, queues, sandbox
from workers.sandbox import DEFAULT_LIMITS, MIB, Limits

_MPD = (
    '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"'
    ' profiles="urn:mpeg:dash:profile:isoff-on-demand:2011"'
    ' mediaPresentationDuration="PT2S" minBufferTime="PT1S"><Period>'
    '<AdaptationSet mimeType="video/mp4"><Representation id="1" bandwidth="1000"'
    ' width="320" height="240" codecs="avc1.42c00d"><BaseURL>file://{target}</BaseURL>'
    "</Representation></AdaptationSet></Period></MPD>\n"
)


def disguised_manifest(target: Path) -> bytes:
    # The comment holds the "ftyp" the magic-byte check looks for at offset 4.
    return b"<!--ftypjp2 -->" + _MPD.format(target=target).encode()


class Canary:
    """A real clip somewhere else on disk; ``read`` tells whether anyone opened it."""

    def __init__(self, folder: Path, data: bytes) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "canary.mp4"
        self.path.write_bytes(data)
        # relatime updates the access time of a file read after its last change.
        mtime = self.path.stat().st_mtime
        os.utime(self.path, (mtime - 3600, mtime))
        self.atime = self.path.stat().st_atime
        self.records_reads = _records_reads(folder)

    @property
    def read(self) -> bool:
        return self.path.stat().st_atime != self.atime


def _records_reads(folder: Path) -> bool:
    probe = folder / "atime-probe"
    probe.write_bytes(b"x")
    mtime = probe.stat().st_mtime
    os.utime(probe, (mtime - 3600, mtime))
    before = probe.stat().st_atime
    probe.read_bytes()
    return probe.stat().st_atime != before


@pytest.fixture
def canary(tmp_path: Path, clips: Clips) -> Canary:
    return Canary(tmp_path / "elsewhere", clips.valid)


def test_ffmpeg_s_format_guess_follows_the_manifest(canary: Canary, tmp_path: Path) -> None:
    """The attack is real on this ffmpeg: plain auto-detection (what the worker used
    to run) reads the manifest as DASH and opens the canary."""
    demuxers = subprocess.run(["ffprobe", "-v", "error", "-demuxers"], capture_output=True)
    if b" dash " not in demuxers.stdout:
        pytest.skip("this ffmpeg has no DASH demuxer (built without libxml2)")
    hostile = tmp_path / "hostile.mp4"
    hostile.write_bytes(disguised_manifest(canary.path))
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=format_name", str(hostile)],
        capture_output=True, check=False, timeout=60,
    )  # fmt: skip
    assert b"format_name=dash" in result.stdout
    assert canary.read or not canary.records_reads


def test_the_upload_check_refuses_a_manifest_dressed_as_mp4(
    app_client: TestClient, league: League, canary: Canary, video_settings: Settings
) -> None:
    company = league.companies[0]
    duel = league.duel_of(company)
    response = app_client.post(
        f"/api/duels/{duel.id}/videos",
        files={"file": ("clip.mp4", disguised_manifest(canary.path))},
        headers=company.auth,
    )
    assert response.status_code == 415, response.text
    assert response.json()["detail"]["code"] == "not_a_video"
    assert media_files(video_settings) == []
    assert not canary.read


def test_the_media_job_does_not_follow_the_manifest_to_other_files(
    league: League,
    canary: Canary,
    media_worker: Process,
    redis_client: redis.Redis,
    video_settings: Settings,
) -> None:
    # As if the bytes had slipped past the upload check: the worker is the last line.
    company = league.companies[0]
    duel = store.get_duel(redis_client, league.duel_of(company).id)
    team = league.team_of(company)
    name = f"{videos.new_media_stem(duel.id, team)}.mp4"
    directory = videos.media_dir(video_settings)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(disguised_manifest(canary.path))
    target = videos.Target(duel=duel, team_id=team, company_id=company.id)
    videos.record_upload(redis_client, target, name, (directory / name).stat().st_size)
    connection = queue_connection(video_settings)
    try:
        Queue(queues.MEDIA, connection=connection).enqueue(
            "workers.media.process_video", duel.id, team, name
        )
    finally:
        connection.close()

    video = settled(redis_client, duel.id, team)
    assert video.status == "rejected"
    assert video.reason == media.REASON_DISGUISED
    assert video.duration is None and video.poster == ""
    assert media_files(video_settings) == []
    assert not canary.read


def test_probe_and_poster_refuse_the_manifest_without_opening_anything(
    canary: Canary, tmp_path: Path
) -> None:
    hostile = tmp_path / "hostile.mp4"
    hostile.write_bytes(disguised_manifest(canary.path))
    with pytest.raises(media.Unusable, match="gibt sich als"):
        media.probe(hostile)
    with pytest.raises(media.Unusable, match="gibt sich als"):
        media.make_poster(hostile, tmp_path / "poster.jpg", 2.0)
    assert not (tmp_path / "poster.jpg").exists()
    assert not canary.read


def test_the_fixed_demuxer_alone_does_not_follow_the_manifest(
    canary: Canary, tmp_path: Path
) -> None:
    # Past every magic-byte check, ffprobe itself must still not read the file as DASH.
    hostile = tmp_path / "hostile.mp4"
    hostile.write_bytes(disguised_manifest(canary.path))
    argv = ["ffprobe", "-v", "error", *sandbox.input_arguments("mp4"),
            "-show_entries", "format=format_name", str(hostile)]  # fmt: skip
    result = sandbox.run(argv, DEFAULT_LIMITS, timeout=60, writes=False)
    assert result.returncode != 0
    assert b"dash" not in result.stdout
    assert not canary.read


def test_a_file_whose_bytes_contradict_its_container_is_refused(
    clips: Clips, tmp_path: Path
) -> None:
    webm_named_mp4 = tmp_path / "clip.mp4"
    webm_named_mp4.write_bytes(clips.webm)
    with pytest.raises(media.Unusable, match="gibt sich als"):
        media.probe(webm_named_mp4, "mp4")


@pytest.mark.parametrize("kind", ["mp4", "mov", "webm"])
def test_genuine_videos_still_probe_and_get_a_poster(
    kind: str, clips: Clips, tmp_path: Path
) -> None:
    path = tmp_path / f"clip.{kind}"
    if kind == "mov":
        source = tmp_path / "source.mp4"
        source.write_bytes(clips.valid)
        copy = ["-c", "copy", "-f", "mov", str(path)]
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), *copy], check=True)
        assert media.container_of(path) == "mov"
    else:
        path.write_bytes(clips.valid if kind == "mp4" else clips.webm)
    found = media.probe(path, kind, DEFAULT_LIMITS)
    assert (found.width, found.height) == (320, 240)
    assert found.duration == pytest.approx(2.0, abs=0.2)
    poster = tmp_path / f"clip-{kind}.jpg"
    media.make_poster(path, poster, found.duration, kind, DEFAULT_LIMITS)
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"


# ffprobe/ffmpeg as they are started: arguments and the kernel limits of the child -----


def _spy(folder: Path, tool: str) -> Path:
    """A wrapper on PATH that reports argv and its rlimits through a FIFO, then runs the tool."""
    real = next(
        Path(directory) / tool
        for directory in os.environ["PATH"].split(os.pathsep)
        if (Path(directory) / tool).is_file()
    )
    fifo = folder / f"{tool}.fifo"
    os.mkfifo(fifo)
    script = folder / tool
    report = f'{{ echo "ARGS $*"; cat /proc/$$/limits; }} > "{fifo}"'
    script.write_text(f'#!/bin/sh\n{report}\nexec "{real}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return fifo


def _limits(report: str) -> dict[str, str]:
    rows = [line for line in report.splitlines() if line.startswith("Max ")]
    return {line[:26].strip(): line[26:].split()[0] for line in rows}


def test_ffprobe_and_ffmpeg_run_with_a_fixed_demuxer_local_files_only_and_limits(
    clips: Clips, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spies = tmp_path / "bin"
    spies.mkdir()
    fifos = {tool: _spy(spies, tool) for tool in ("ffprobe", "ffmpeg")}
    readers = {tool: os.open(fifo, os.O_RDONLY | os.O_NONBLOCK) for tool, fifo in fifos.items()}
    monkeypatch.setenv("PATH", f"{spies}{os.pathsep}{os.environ['PATH']}")
    limits = Limits(cpu_seconds=41, memory_bytes=1536 * MIB, output_bytes=8 * MIB)
    try:
        for kind, data in (("mp4", clips.valid), ("webm", clips.webm)):
            path = tmp_path / f"clip.{kind}"
            path.write_bytes(data)
            found = media.probe(path, kind, limits)
            media.make_poster(path, tmp_path / f"{kind}.jpg", found.duration, kind, limits)
        reports = {tool: os.read(fd, 1 << 16).decode() for tool, fd in readers.items()}
    finally:
        for fd in readers.values():
            os.close(fd)

    for tool, report in reports.items():
        calls = report.split("ARGS ")[1:]
        assert len(calls) == 2, report
        for call, demuxer in zip(calls, ("mov", "matroska"), strict=True):
            args = call.splitlines()[0].split()
            source = args.index("-i") if tool == "ffmpeg" else len(args) - 1
            assert args[args.index("-f") + 1] == demuxer
            assert args[args.index("-protocol_whitelist") + 1] == "file"
            assert args.index("-f") < source and args.index("-protocol_whitelist") < source
            found_limits = _limits(call)
            assert found_limits["Max cpu time"] == "41"
            assert found_limits["Max address space"] == str(1536 * MIB)
            assert found_limits["Max core file size"] == "0"
            written = "0" if tool == "ffprobe" else str(8 * MIB)
            assert found_limits["Max file size"] == written


def test_the_worker_scales_the_cpu_limit_with_the_video_length(settings: Settings) -> None:
    short = Limits.for_settings(settings.model_copy(update={"max_video_seconds": 60}))
    long = Limits.for_settings(settings.model_copy(update={"max_video_seconds": 600}))
    assert 0 < short.cpu_seconds < long.cpu_seconds
    assert long.memory_bytes <= 4 << 30


def test_a_child_that_spins_or_hoards_memory_is_stopped_by_its_limits(tmp_path: Path) -> None:
    tight = Limits(cpu_seconds=1, memory_bytes=512 * MIB, output_bytes=MIB)
    spin = sandbox.run(["sh", "-c", "while :; do :; done"], tight, timeout=60, writes=False)
    assert sandbox.out_of_cpu(spin)
    hoard = [sys.executable, "-c", "bytearray(1 << 30)"]
    assert b"MemoryError" in sandbox.run(hoard, tight, timeout=60, writes=False).stderr
    big = tmp_path / "big"
    write = [sys.executable, "-c", f"open({str(big)!r}, 'wb').write(bytes(2 << 20))"]
    assert sandbox.run(write, tight, timeout=60, writes=True).returncode != 0
    assert big.stat().st_size <= MIB
