"""Child processes of the CLI: the embedded Redis, web servers and workers.

Children die with us (PDEATHSIG) and are stopped in reverse order of start,
so Ctrl-C or SIGTERM leaves no redis-server or worker behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from pydantic import SecretStr

from duels.redis_server import EmbeddedRedis, RedisServerError, die_with_parent, free_port
from duels.settings import Settings
from web import redis_port


def settings_environment(settings: Settings) -> dict[str, str]:
    """The MACHMAL_* variables a child needs to see the same settings as we do."""
    environment: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        if name in ("secret_key", "host_token"):
            value = getattr(settings, f"{name}_value")()
        elif isinstance(getattr(settings, name), SecretStr):
            value = getattr(settings, name).get_secret_value()  # smtp_url
        text = str(value).lower() if isinstance(value, bool) else str(value)
        environment[f"MACHMAL_{name.upper()}"] = text
    return environment


@contextlib.contextmanager
def redis_for(settings: Settings) -> Iterator[Settings]:
    """Yield settings with a Redis URL: the configured one, a running embedded
    one of the same data dir, or a new embedded child stopped on exit."""
    if settings.redis_url:
        yield settings
        return
    port = redis_port.running_port(settings)
    if port:
        yield settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
        return
    server = _start_embedded(settings)
    if not settings.redis_port:
        redis_port.record_port(settings, server.port)
    try:
        yield settings.model_copy(update={"redis_url": server.url})
    finally:
        server.stop()
        redis_port.forget_port(settings, server.port)


def _start_embedded(settings: Settings) -> EmbeddedRedis:
    port = redis_port.port_to_start(settings)
    if settings.redis_port and not redis_port.port_free(port):
        raise RedisServerError(
            f"Port {port} (MACHMAL_REDIS_PORT) is taken by another program. "
            "Stop it, choose a free port, or unset MACHMAL_REDIS_PORT to let Mach mal pick one."
        )
    for attempt in range(3):
        server = EmbeddedRedis(
            redis_port.redis_dir(settings), port=port, fsync_always=settings.redis_fsync_always
        )
        try:
            server.start()
        except RedisServerError:
            # Another program took the port between our check and the start.
            if settings.redis_port or attempt == 2:
                raise
            port = free_port()
        else:
            return server
    raise AssertionError("unreachable")


@dataclass
class Supervisor:
    """Starts children with our settings and stops them all, newest first."""

    settings: Settings
    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def spawn(self, name: str, argv: list[str], extra_env: Mapping[str, str] = ()) -> None:  # type: ignore[assignment]
        env = {**os.environ, **settings_environment(self.settings), **dict(extra_env)}
        process = subprocess.Popen(
            [sys.executable, "-m", "web.cli", *argv],
            env=env,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        self.children.append((name, process))

    def wait_any(self) -> str:
        """Block until a child exits; return its name."""
        while True:
            for name, process in self.children:
                if process.poll() is not None:
                    return name
            time.sleep(0.2)

    def stop_all(self, timeout: float = 10.0) -> None:
        for _, process in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _, process in reversed(self.children):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.children.clear()
