"""Which port the embedded Redis of a data dir listens on.

Without ``MACHMAL_REDIS_PORT`` the first process of a data dir takes 6390, or any free
port when another data dir's Redis (a second checkout's ``machmal demo``) holds it, and
records it in ``DATA_DIR/redis/port``; the other processes of the same data dir read it
there. An explicit port is used as given and nothing else.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from pathlib import Path

import redis

from duels.redis_server import free_port
from duels.settings import Settings

EMBEDDED_DEFAULT_PORT = 6390


def redis_dir(settings: Settings) -> Path:
    return settings.data_dir / "redis"


def port_file(settings: Settings) -> Path:
    return redis_dir(settings) / "port"


def recorded_port(settings: Settings) -> int | None:
    try:
        port = int(port_file(settings).read_text("ascii").strip())
    except (OSError, ValueError):
        return None
    return port if 0 < port < 65536 else None


def record_port(settings: Settings, port: int) -> None:
    path = port_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(f"{port}\n", "ascii")
    temporary.replace(path)


def forget_port(settings: Settings, port: int) -> None:
    """Remove the record when it still names ``port`` (our Redis stopped)."""
    if recorded_port(settings) == port:
        with contextlib.suppress(OSError):
            port_file(settings).unlink()


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``host:port`` now (as Redis and uvicorn bind it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def serves_data_dir(settings: Settings, port: int) -> bool:
    """True when the Redis answering on ``port`` is the embedded one of our data dir."""
    client = redis.Redis(port=port, socket_connect_timeout=0.2, socket_timeout=0.5)
    try:
        directory = client.config_get("dir").get("dir", b"")
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()
    expected = str(redis_dir(settings).resolve())
    return str(directory.decode() if isinstance(directory, bytes) else directory) == expected


def running_port(settings: Settings) -> int | None:
    """The port of this data dir's embedded Redis when one runs already."""
    if settings.redis_port:
        return settings.redis_port if serves_data_dir(settings, settings.redis_port) else None
    for port in dict.fromkeys((recorded_port(settings), EMBEDDED_DEFAULT_PORT)):
        if port and serves_data_dir(settings, port):
            return port
    return None


def port_to_start(settings: Settings) -> int:
    """The port a new embedded Redis takes: the explicit one, else 6390 while it is free,
    else any free port."""
    if settings.redis_port:
        return settings.redis_port
    return EMBEDDED_DEFAULT_PORT if port_free(EMBEDDED_DEFAULT_PORT) else free_port()
