"""What the web rendition costs on this machine.

    .venv/bin/python bench/transcode_bench.py

Makes the clips of tests/videos/test_transcode.py (HEVC .mov, rotated phone MP4, VFR
MP4, VP9/Opus WebM, 1920x1080) plus a 10 s 1080x1920 phone-like clip with ffmpeg's
test sources, runs the media job's conversion (workers/transcode.py, default settings:
``media_threads`` 2) on each and prints input codec/size/bytes -> output
codec/size/bytes and the seconds it took.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from duels.settings import Settings  # noqa: E402
from workers import media, transcode  # noqa: E402

SINE = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
H264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"]
CLIPS: list[tuple[str, list[str]]] = [
    ("hevc.mov", ["-i", "testsrc=size=640x360:rate=30", *SINE, "-t", "1", "-c:v", "libx265",
                  "-x265-params", "log-level=error", "-tag:v", "hvc1", "-pix_fmt", "yuv420p",
                  "-c:a", "aac"]),
    ("landscape.mp4", ["-i", "testsrc=size=568x320:rate=30", *SINE, "-t", "1", *H264]),
    ("vfr.mp4", ["-i", "testsrc=size=320x568:rate=30", *SINE, "-t", "1",
                 "-vf", "setpts='(N/30+0.01*random(0))/TB'", "-fps_mode", "vfr", *H264]),
    ("vp9.webm", ["-i", "testsrc=size=640x360:rate=30", *SINE, "-t", "1",
                  "-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus"]),
    ("fullhd.mp4", ["-i", "testsrc2=size=1920x1080:rate=30", *SINE, "-t", "1", *H264]),
    ("phone10s.mp4", ["-i", "testsrc2=size=1080x1920:rate=30", *SINE, "-t", "10",
                      "-b:v", "12M", *H264]),
]  # fmt: skip


def make_clips(folder: Path) -> list[Path]:
    made = []
    for name, argv in CLIPS:
        out = folder / name
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", *argv, str(out)], check=True)
        made.append(out)
    # The phone's portrait: a landscape frame with a 90 degree display matrix.
    rotated = folder / "rotated.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(folder / "landscape.mp4"), "-c", "copy",
         "-metadata:s:v", "rotate=90", str(rotated)],
        check=True,
    )  # fmt: skip
    made[1] = rotated
    return made


def describe(path: Path, container: str) -> str:
    found = media.probe(path, container)
    return f"{found.codec} {found.width}x{found.height} {path.stat().st_size:,} B"


def main() -> None:
    settings = Settings()
    print(f"media_threads={settings.media_threads}")
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        for clip in make_clips(folder):
            container = clip.suffix.lstrip(".")
            found = media.probe(clip, container)
            source = transcode.Source(container, found.duration, found.fps, found.has_audio)
            output = folder / f"{clip.stem}.web.mp4"
            started = time.monotonic()
            transcode.transcode(clip, source, output, settings, lambda _percent: True)
            seconds = time.monotonic() - started
            print(
                f"{clip.name:14} {found.duration:5.1f} s  {describe(clip, container):32} -> "
                f"{describe(output, 'mp4'):32} {seconds:6.2f} s"
            )


if __name__ == "__main__":
    main()
