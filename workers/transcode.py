"""The web rendition of an upload: H.264 (High, yuv420p) and AAC in an MP4 with the
index up front, longest side at most 1280 px, constant frame rate, loudness to EBU
R128, rotation applied. Bounded in threads, CPU, bytes written and wall-clock time;
progress is reported as percent from ffmpeg's ``-progress`` stream."""

from __future__ import annotations

import logging
import math
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from duels.settings import Settings
from workers import sandbox
from workers.sandbox import GIB, MIB, Limits

log = logging.getLogger(__name__)

MAX_SIDE = 1280
MAX_FPS = 30.0
VIDEO_RATE, VIDEO_BUFFER, AUDIO_RATE = "2500k", "5000k", "128k"
LOUDNESS = "loudnorm=I=-16:TP=-1.5:LRA=11"
PROGRESS_EVERY = 1.0  # seconds between two progress reports
OUT_OF_CPU = (-signal.SIGXCPU, -signal.SIGKILL)
# Longest side at most MAX_SIDE, aspect kept, never upscaled, both sides even.
SCALE = (
    f"scale='trunc(if(gte(iw,ih),min({MAX_SIDE},iw),min({MAX_SIDE},ih)*iw/ih)/2)*2'"
    f":'trunc(if(gte(iw,ih),min({MAX_SIDE},iw)*ih/iw,min({MAX_SIDE},ih))/2)*2',setsar=1"
)

REASON_FAILED = (
    "Das Video ließ sich nicht in ein abspielbares Format umwandeln; die Datei ist vermutlich "
    "beschädigt oder nutzt ein ungewöhnliches Format. Bitte exportiere es als MP4 (H.264) "
    "und lade es erneut hoch."
)
REASON_TIMEOUT = (
    "Die Umwandlung hat zu lange gedauert. Bitte lade eine kürzere oder kleinere Datei hoch."
)


class Failed(Exception):
    """The conversion did not produce a rendition; the message is the company's reason."""


class Replaced(Exception):
    """The upload was replaced while it was converted: the work is thrown away."""


@dataclass(frozen=True, slots=True)
class Source:
    container: str
    duration: float
    fps: float
    has_audio: bool


def timeout_for(duration: float) -> float:
    return 60.0 + 4.0 * duration


def limits_for(settings: Settings, duration: float) -> Limits:
    """Decoder, filters and encoder share the CPU budget of the wall-clock timeout."""
    bytes_per_second = (2_500_000 + 128_000) / 8
    return Limits(
        cpu_seconds=math.ceil(timeout_for(duration) * (settings.media_threads + 2)),
        memory_bytes=3 * GIB,
        output_bytes=16 * MIB + math.ceil(duration * bytes_per_second * 2),
    )


def arguments(path: Path, source: Source, output: Path, threads: int) -> list[str]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is not installed (scripts/setup installs ffmpeg)")
    rate = min(source.fps, MAX_FPS) if source.fps > 0 else MAX_FPS
    audio = (
        ["-map", "0:a:0", "-af", LOUDNESS, "-ar", "48000", "-ac", "2",
         "-c:a", "aac", "-b:a", AUDIO_RATE]
        if source.has_audio
        else ["-an"]
    )  # fmt: skip
    return [
        ffmpeg, "-v", "error", "-nostdin", "-nostats", "-y",
        *sandbox.input_arguments(source.container), "-i", str(path),
        "-map", "0:v:0", "-vf", SCALE, "-fps_mode", "cfr", "-r", f"{rate:.3f}",
        "-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-preset", "veryfast",
        "-crf", "23", "-maxrate", VIDEO_RATE, "-bufsize", VIDEO_BUFFER,
        *audio, "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1",
        "-threads", str(threads), "-movflags", "+faststart",
        "-progress", "pipe:1", "-f", "mp4", str(output),
    ]  # fmt: skip


def transcode(
    path: Path,
    source: Source,
    output: Path,
    settings: Settings,
    report: Callable[[int], bool],
) -> None:
    """Write the rendition of ``path`` to ``output`` (atomically). ``report(percent)`` is
    called at most every second; it returns False when the upload was replaced."""
    temp = output.with_name(f".{output.stem}.part.mp4")
    timeout = timeout_for(source.duration)
    argv = arguments(path, source, temp, settings.media_threads)
    with tempfile.TemporaryFile() as errors:
        process = sandbox.start(argv, limits_for(settings, source.duration), stderr=errors)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        started, last, replaced = time.monotonic(), 0.0, False
        try:
            assert process.stdout is not None
            for line in process.stdout:
                key, _, value = line.decode("ascii", "replace").strip().partition("=")
                if key != "out_time_us" or not value.lstrip("-").isdigit():
                    continue
                now = time.monotonic()
                if now - last >= PROGRESS_EVERY:
                    last = now
                    done = int(value) / 1_000_000 / source.duration * 100
                    if not report(min(99, max(0, int(done)))):
                        replaced = True
                        process.kill()
                        break
            returncode = process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
        try:
            if replaced:
                raise Replaced(str(path))
            if time.monotonic() - started >= timeout or returncode in OUT_OF_CPU:
                raise Failed(REASON_TIMEOUT)
            if returncode != 0 or not temp.exists() or temp.stat().st_size == 0:
                errors.seek(0)
                log.warning(
                    "ffmpeg failed on %s (%s): %s", path.name, returncode, errors.read()[-2000:]
                )
                raise Failed(REASON_FAILED)
            os.replace(temp, output)
        finally:
            temp.unlink(missing_ok=True)
