"""Media jobs (queue ``media``): probe an uploaded video with ffprobe, convert it to
its web rendition (workers/transcode.py) and make the poster from that, then mark the
submission ready or rejected with a reason the company can act on (in German, the
portal's language). The original stays for the host."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from duels import videos
from workers import context, sandbox, transcode
from workers.sandbox import DEFAULT_LIMITS, Limits

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 60
POSTER_TIMEOUT = 120
POSTER_WIDTH = 640

REASON_UNREADABLE = (
    "Die Datei lässt sich nicht als Video lesen (unvollständig oder beschädigt). "
    "Bitte lade eine vollständige MP4-, MOV- oder WebM-Datei hoch."
)
REASON_NO_POSTER = (
    "Aus dem Video ließ sich kein Vorschaubild erzeugen; die Datei ist vermutlich beschädigt. "
    "Bitte lade sie erneut hoch."
)
REASON_TOO_LONG = (
    "Das Video ist {seconds:.0f} Sekunden lang; erlaubt sind höchstens {limit:.0f} Sekunden. "
    "Bitte kürze es und lade es erneut hoch."
)
REASON_TIMEOUT = "Die Verarbeitung hat zu lange gedauert. Bitte lade eine kleinere Datei hoch."
REASON_DISGUISED = (
    "Die Datei gibt sich als MP4-, MOV- oder WebM-Video aus, ist aber keines. "
    "Bitte lade das Video so hoch, wie es aus der Kamera oder dem Schnittprogramm kommt."
)


class Unusable(Exception):
    """The upload is not a video we can show; the message is the company's reason."""


@dataclass(frozen=True, slots=True)
class Probe:
    duration: float
    width: int
    height: int
    codec: str
    fps: float = 0.0
    has_audio: bool = False


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        # A broken installation, not the company's fault: fail the job loudly.
        raise RuntimeError(f"{name} is not installed (scripts/setup installs ffmpeg)")
    return found


def container_of(path: Path, expected: str | None = None) -> str:
    """The container the file's magic bytes announce (mp4, mov, webm), re-read here
    rather than trusted; :class:`Unusable` if none, or not the ``expected`` one."""
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except OSError as exc:
        raise Unusable(REASON_UNREADABLE) from exc
    found = videos.detect_container(head)
    if found is None or (
        expected is not None and sandbox.DEMUXERS.get(expected) != sandbox.DEMUXERS[found]
    ):
        raise Unusable(REASON_DISGUISED)
    return found


def probe(path: Path, container: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Probe:
    """Duration, size and codec of the first video stream, or :class:`Unusable`."""
    found = container_of(path, container)
    result = sandbox.run(
        [_tool("ffprobe"), "-v", "error", *sandbox.input_arguments(found),
         "-print_format", "json", "-show_format", "-show_streams", str(path)],
        limits, timeout=PROBE_TIMEOUT, writes=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise Unusable(REASON_TIMEOUT if sandbox.out_of_cpu(result) else REASON_UNREADABLE)
    try:
        data = json.loads(result.stdout or b"{}")
    except ValueError as exc:
        raise Unusable(REASON_UNREADABLE) from exc
    format_name = data.get("format", {}).get("format_name")
    if format_name != sandbox.FORMAT_NAMES[sandbox.DEMUXERS[found]]:
        raise Unusable(REASON_DISGUISED)
    streams = [
        stream
        for stream in data.get("streams", [])
        if stream.get("codec_type") == "video"
        and not stream.get("disposition", {}).get("attached_pic")
    ]
    if not streams:
        raise Unusable(REASON_UNREADABLE)
    stream = streams[0]
    try:
        duration = float(data.get("format", {}).get("duration") or stream.get("duration") or 0)
        width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    except (TypeError, ValueError) as exc:
        raise Unusable(REASON_UNREADABLE) from exc
    if duration <= 0 or width <= 0 or height <= 0:
        raise Unusable(REASON_UNREADABLE)
    audio = any(s.get("codec_type") == "audio" for s in data.get("streams", []))
    return Probe(duration, width, height, str(stream.get("codec_name", "")), _rate(stream), audio)


def _rate(stream: dict[str, object]) -> float:
    numerator, _, denominator = str(stream.get("avg_frame_rate") or "0/0").partition("/")
    try:
        rate = float(numerator) / float(denominator or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0
    return rate if 0 < rate < 1000 else 0.0


def make_poster(
    path: Path,
    poster: Path,
    duration: float,
    container: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """A JPEG from a second into the video (or its middle, if shorter), landed atomically."""
    found = container_of(path, container)
    temp = poster.with_name(f".{poster.stem}.tmp.jpg")
    at = min(1.0, duration / 2)
    try:
        result = sandbox.run(
            [_tool("ffmpeg"), "-v", "error", "-nostdin", "-y", *sandbox.input_arguments(found),
             "-ss", f"{at:.2f}", "-i", str(path), "-frames:v", "1",
             "-vf", f"scale='min({POSTER_WIDTH},iw)':-2", "-q:v", "4",
             "-f", "image2", "-update", "1", str(temp)],
            limits, timeout=POSTER_TIMEOUT, writes=True,
        )  # fmt: skip
        if sandbox.out_of_cpu(result):
            raise Unusable(REASON_TIMEOUT)
        if result.returncode != 0 or not temp.exists() or temp.stat().st_size == 0:
            raise Unusable(REASON_NO_POSTER)
        os.replace(temp, poster)
    finally:
        temp.unlink(missing_ok=True)


def process_video(did: str, team_id: str, file: str) -> str:
    """RQ job: probe, rendition, poster, verdict. Returns ready, rejected or stale
    (replaced meanwhile)."""
    settings = context.settings()
    client = context.redis_client()
    if videos.start_processing(client, did, team_id, file) is None:
        return "stale"
    directory = videos.media_dir(settings)
    path = directory / file
    # A fixed name per upload: a job run again after a crash overwrites, never piles up.
    stem = path.stem
    rendition = directory / f"{stem[:-12]}{_rendition_hex(stem)}.mp4"
    poster = rendition.with_suffix(".jpg")
    # The name's extension is the container the upload check detected; the file must agree.
    container = file.rpartition(".")[2]
    limits = Limits.for_settings(settings)
    try:
        found = probe(path, container, limits)
        if found.duration > settings.max_video_seconds:
            raise Unusable(
                REASON_TOO_LONG.format(seconds=found.duration, limit=settings.max_video_seconds)
            )
        source = transcode.Source(container, found.duration, found.fps, found.has_audio)
        transcode.transcode(
            path, source, rendition, settings,
            lambda percent: videos.set_progress(client, did, team_id, file, percent),
        )  # fmt: skip
        played = probe(rendition, "mp4", limits)
        make_poster(rendition, poster, played.duration, "mp4", limits)
    except transcode.Replaced:
        return "stale"
    except (Unusable, transcode.Failed, subprocess.TimeoutExpired) as exc:
        reason = REASON_TIMEOUT if isinstance(exc, subprocess.TimeoutExpired) else str(exc)
        log.info("video %s of duel %s rejected: %s", file, did, reason)
        if videos.fail_processing(client, did, team_id, file, reason):
            # A rejected upload is not kept: the company uploads a new one.
            path.unlink(missing_ok=True)
        rendition.unlink(missing_ok=True)
        poster.unlink(missing_ok=True)
        return "rejected"
    if not videos.finish_processing(
        client, did, team_id, file, poster=poster.name, duration=found.duration,
        width=played.width, height=played.height, codec=found.codec, rendition=rendition.name,
    ):  # fmt: skip
        rendition.unlink(missing_ok=True)
        poster.unlink(missing_ok=True)
        return "stale"
    return "ready"


def _rendition_hex(stem: str) -> str:
    """Another 12 hex digits derived from the upload's, so the name fits the media pattern."""
    return hashlib.sha256(f"rendition:{stem}".encode()).hexdigest()[:12]
