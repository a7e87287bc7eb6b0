"""Run ffprobe/ffmpeg on an untrusted upload: a fixed demuxer, local files only,
and kernel resource limits on the child on top of the wall-clock timeout."""

from __future__ import annotations

import math
import resource
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from duels.settings import Settings

GIB = 1 << 30
MIB = 1 << 20

# The demuxer each detected container is opened with, and the format_name ffprobe
# reports for it. Never auto-detection: a file that merely starts like an MP4 could
# otherwise be read as a DASH/HLS manifest or concat list that opens other files.
DEMUXERS = {"mp4": "mov", "mov": "mov", "webm": "matroska"}
FORMAT_NAMES = {"mov": "mov,mp4,m4a,3gp,3g2,mj2", "matroska": "matroska,webm"}
# Only a plain local file, and nothing the demuxer may open next (no http, concat,
# subfile, crypto, data ...); MOV external references stay off as well.
INPUT_OPTIONS = {
    "mov": ["-protocol_whitelist", "file", "-enable_drefs", "0"],
    "matroska": ["-protocol_whitelist", "file"],
}


@dataclass(frozen=True, slots=True)
class Limits:
    """What one ffprobe/ffmpeg child may use: CPU seconds, address space, written bytes."""

    cpu_seconds: int
    memory_bytes: int = 2 * GIB
    output_bytes: int = 16 * MIB
    open_files: int = 64

    @classmethod
    def for_settings(cls, settings: Settings) -> Limits:
        # Probing and one poster frame take a second of CPU; longer videos a bit more.
        return cls(cpu_seconds=20 + math.ceil(settings.max_video_seconds / 4))


DEFAULT_LIMITS = Limits(cpu_seconds=65)


def input_arguments(container: str) -> list[str]:
    """``-f <demuxer>``, the protocol options and two decoder threads (so the memory
    cap holds on a machine with many cores), placed before the input path."""
    demuxer = DEMUXERS[container]
    return ["-f", demuxer, *INPUT_OPTIONS[demuxer], "-threads", "2"]


def _apply(limits: Limits, output_bytes: int) -> Callable[[], None]:
    def apply() -> None:  # runs in the child between fork and exec
        for which, value in (
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_AS, limits.memory_bytes),
            (resource.RLIMIT_FSIZE, output_bytes),
            (resource.RLIMIT_NOFILE, limits.open_files),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(which, (value, value))

    return apply


def out_of_cpu(result: subprocess.CompletedProcess[bytes]) -> bool:
    """The kernel stopped the child at its CPU limit (SIGXCPU, then SIGKILL)."""
    return result.returncode in (-signal.SIGXCPU, -signal.SIGKILL)


def run(
    argv: list[str], limits: Limits, *, timeout: float, writes: bool
) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` under ``limits``; ``writes=False`` forbids creating any file."""
    return subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
        preexec_fn=_apply(limits, limits.output_bytes if writes else 0),
    )


def start(argv: list[str], limits: Limits, *, stderr: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start ``argv`` under ``limits`` with stdout piped (ffmpeg's ``-progress pipe:1``)."""
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        preexec_fn=_apply(limits, limits.output_bytes),
    )
