"""Real reverse proxies in front of a real web server: the project's own deploy/nginx.conf
and deploy/Caddyfile, moved onto free local ports and temporary directories."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from duels.redis_server import free_port
from tests.support import wait_for

DEPLOY = Path(__file__).parents[2] / "deploy"


def binary(name: str) -> str:
    path = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )
    if path is None:
        pytest.skip(f"{name} is not installed (scripts/setup --test installs it)")
    return path


def nginx_conf(upstream: str, port: int, workdir: Path) -> str:
    """deploy/nginx.conf with the upstream and the listener local, files in ``workdir``."""
    conf = (DEPLOY / "nginx.conf").read_text()
    conf = re.sub(r"^\s*resolver .*;$", "", conf, flags=re.M)  # Docker's DNS
    conf = re.sub(r"server web-scaled:8000[^;]*;", f"server {upstream};", conf)
    conf = re.sub(r"listen 80;", f"listen 127.0.0.1:{port};", conf)
    conf = re.sub(r"worker_processes \w+;", "worker_processes 1;", conf)
    paths = "\n".join(
        f"    {kind}_temp_path {workdir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = conf.replace("http {", f"http {{\n    access_log off;\n{paths}", 1)
    # As root, nginx's workers would become "nobody", which cannot enter the tmp dir.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"{user}pid {workdir / 'nginx.pid'};\nerror_log {workdir / 'error.log'};\n{conf}"


def caddyfile(upstream: str) -> str:
    """deploy/Caddyfile for a plain-HTTP site on a local port (no certificate to obtain),
    without the admin endpoint (a fixed port that parallel runs would share)."""
    text = (DEPLOY / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in text
    text = text.replace("reverse_proxy web:8000", f"reverse_proxy {upstream}")
    return "{\n\tadmin off\n}\n" + text


def caddy_env(workdir: Path, site: str) -> dict[str, str]:
    return {
        **os.environ,
        "MACHMAL_SITE": site,
        "XDG_DATA_HOME": str(workdir / "data"),
        "XDG_CONFIG_HOME": str(workdir / "config"),
        "HOME": str(workdir),
    }


@contextmanager
def running(command: list[str], url: str, workdir: Path, **env: str) -> Iterator[str]:
    """Run a proxy in the foreground until it answers at ``url``; stop it afterwards."""
    log = (workdir / "proxy.out").open("wb")
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        env=env or None, cwd=workdir,
    )  # fmt: skip

    def answers() -> bool:
        if process.poll() is not None:
            output = (workdir / "proxy.out").read_text(errors="replace")
            raise AssertionError(f"{command[0]} exited with {process.returncode}: {output}")
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(answers, timeout=20)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def nginx_in_front_of(app_url: str, workdir: Path) -> Iterator[str]:
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_conf(app_url.removeprefix("http://"), port, workdir))
    command = [binary("nginx"), "-p", str(workdir), "-e", str(workdir / "error.log"),
               "-c", str(conf), "-g", "daemon off;"]  # fmt: skip
    with running(command, f"http://127.0.0.1:{port}", workdir) as url:
        yield url


@contextmanager
def caddy_in_front_of(app_url: str, workdir: Path) -> Iterator[str]:
    port = free_port()
    config = workdir / "Caddyfile"
    config.write_text(caddyfile(app_url.removeprefix("http://")))
    command = [binary("caddy"), "run", "--config", str(config), "--adapter", "caddyfile"]
    site = f"http://127.0.0.1:{port}"
    with running(command, site, workdir, **caddy_env(workdir, site)) as url:
        yield url
