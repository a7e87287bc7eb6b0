"""The command line: the demo comes up, answers, and leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import psutil
import pytest

from duels.redis_server import free_port
from tests.support import wait_for


def _children(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_demo_starts_everything_and_stops_cleanly(tmp_path: Path, stop_signal: int) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MACHMAL_")},
        "MACHMAL_DATA_DIR": str(tmp_path),
        "MACHMAL_REDIS_PORT": str(free_port()),
        "MACHMAL_HOST_TOKEN": "demo-token-given-by-the-operator",
    }
    demo = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "demo", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        # First start: seeds the demo and makes its clips with ffmpeg (slow on a busy box).
        wait_for(lambda: _answers(f"{base}/healthz") or demo.poll() is not None, timeout=90)
        assert demo.poll() is None, demo.stdout.read() if demo.stdout else ""
        children = _children(demo.pid)
        names = " ".join(" ".join(child.cmdline()) for child in children)
        assert "redis-server" in names
        assert "worker" in names
        assert "serve" in names
        assert httpx.get(f"{base}/").status_code == 200
        # The demo votes at the venue: its stage screen shows the rotating code.
        key = orjson.loads((tmp_path / "demo-screen.json").read_bytes())["key"]
        codes = httpx.get(f"{base}/screen/{key}/codes.json").json()
        assert any(d["admission"] == "venue" and "?p=" in d["url"] for d in codes["duels"])
        assert httpx.get(f"{base}/screen/{key}").status_code == 200
        # The demo's companies list open apprenticeship places (#19).
        page = httpx.get(f"{base}/c/demo/ausbildung", follow_redirects=True)  # by its slug
        assert page.status_code == 200 and "Bäckerei Sonnenkorn" in page.text
        cid = page.url.path.split("/")[2]
        places = httpx.get(f"{base}/api/competitions/{cid}/places").json()
        assert len(places["places"]) == 8
        assert all(place["apply"]["url"].startswith(f"{base}/go/") for place in places["places"])
    finally:
        demo.send_signal(stop_signal)
        output, _ = demo.communicate(timeout=30)
    assert demo.returncode in (0, 130, -signal.SIGINT)
    assert f"{base}/live/" in output
    assert f"{base}/screen/{key}\n" in output
    assert "demo-token-given-by-the-operator" in output  # used as given
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, child.cmdline()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
