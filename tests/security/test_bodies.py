"""Request bodies are bounded everywhere, and host routes refuse strangers before reading one.

Was: the streamed-upload exemption matched any path starting with
``/api/duels/{did}/videos``, so the host moderation routes below it took a body of any
size with no timeout; and host routes parsed the body before checking the token, so a
150 MB JSON body without a token grew the web process by 440 MB before its 401.
"""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Iterator

import httpx
import psutil
import pytest
from fastapi.routing import iter_route_contexts
from starlette.testclient import TestClient

from duels.settings import Settings
from tests.conftest import HOST_TOKEN
from tests.support import Process, start_web
from web.app import create_app

BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# The two upload endpoints stream their bodies through their own limit and auth.
UPLOADS = {("POST", "/api/duels/{did}/videos"), ("POST", "/company/{token}/upload/{did}")}
HUGE = 150 * 1024 * 1024
MAX_GROWTH_MB = 30
_PARAM = re.compile(r"\{[^}]+\}")


def _routes(settings: Settings) -> tuple[list[tuple[str, str]], set[tuple[str, str]]]:
    """Every (method, path) with a body method, and the host ones (OpenAPI tag "host")."""
    app = create_app(settings)
    found = {
        (method, str(route.path))
        for route in iter_route_contexts(app.routes)
        for method in route.methods or ()
        if method in BODY_METHODS
    }
    host = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if "host" in operation.get("tags", ())
    }
    return sorted(found - UPLOADS), host


def _concrete(path: str) -> str:
    return _PARAM.sub("x", path)


def _body(size: int) -> bytes:
    return b'{"title": "' + b"x" * (size - 13) + b'"}'


def _chunks(total: int, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    block = b"y" * chunk
    sent = 0
    while sent < total:
        piece = block[: min(chunk, total - sent)]
        sent += len(piece)
        yield piece


def _code(response: httpx.Response) -> tuple[int, str]:
    if not response.headers.get("content-type", "").startswith("application/json"):
        return response.status_code, response.headers.get("content-type", "")
    return response.status_code, response.json()["detail"]["code"]


def test_the_route_list_covers_host_and_other_routes(settings: Settings) -> None:
    routes, host = _routes(settings)
    assert len(routes) > 40
    assert ("POST", "/api/duels/{did}/videos/{team_id}/reject") in host
    assert ("POST", "/api/competitions") in host
    assert ("POST", "/host/login") in routes
    assert ("POST", "/api/duels/{did}/votes") in routes
    assert not UPLOADS & set(routes)


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_every_body_route_refuses_an_oversized_body(settings: Settings, streamed: bool) -> None:
    routes, host = _routes(settings)
    size = settings.max_body_bytes + 1
    wrong = []
    with TestClient(create_app(settings)) as client:
        for method, path in routes:
            content = _chunks(size, 4096) if streamed else _body(size)
            headers = {"content-type": "application/json"}
            response = client.request(method, _concrete(path), content=content, headers=headers)
            expected = (
                (401, "host_token_required") if (method, path) in host else (413, "too_large")
            )
            if _code(response) != expected:
                wrong.append((method, path, _code(response), expected))
    assert wrong == [], "\n".join(map(str, wrong))


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_host_routes_refuse_an_oversized_body_with_any_token(
    settings: Settings, streamed: bool
) -> None:
    routes, host = _routes(settings)
    size = settings.max_body_bytes + 1
    wrong = []
    with TestClient(create_app(settings)) as client:
        for method, path in sorted(host & set(routes)):
            for token, expected in (
                ("not-the-host-token", (403, "host_token_invalid")),
                (HOST_TOKEN, (413, "too_large")),
            ):
                response = client.request(
                    method,
                    _concrete(path),
                    content=_chunks(size, 4096) if streamed else _body(size),
                    headers={
                        "content-type": "application/json",
                        "authorization": f"Bearer {token}",
                    },
                )
                if _code(response) != expected:
                    wrong.append((method, path, token[:3], _code(response), expected))
    assert wrong == [], "\n".join(map(str, wrong))


def test_the_moderation_routes_below_the_upload_path_are_limited(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    megabyte = _body(1024 * 1024)
    for action in ("reject", "approve"):
        path = f"/api/duels/x/videos/y/{action}"
        headers = {"content-type": "application/json"}
        assert _code(client.post(path, content=megabyte, headers=headers)) == (
            401,
            "host_token_required",
        )
        with_token = client.post(path, content=megabyte, headers={**headers, **host_headers})
        assert _code(with_token) == (413, "too_large")
        chunked = client.post(
            path, content=_chunks(1024 * 1024), headers={**headers, **host_headers}
        )
        assert _code(chunked) == (413, "too_large")


# A real server: the body must not even be read ----------------------------------------


@pytest.fixture
def server(settings: Settings) -> Iterator[Process]:
    process = start_web(settings)
    yield process
    process.stop()


def _rss(process: Process) -> int:
    return int(psutil.Process(process.popen.pid).memory_info().rss)


def _send_huge(server: Process, path: str, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(timeout=60) as http:
        return http.post(f"{server.url}{path}", content=_chunks(HUGE), headers=headers)


@pytest.mark.parametrize(
    ("path", "extra", "expected"),
    [
        ("/api/duels/x/videos/y/reject", {}, (401, "host_token_required")),
        (
            "/api/duels/x/videos/y/reject",
            {"content-length": str(HUGE)},
            (401, "host_token_required"),
        ),
        (
            "/api/duels/x/videos/y/reject",
            {"authorization": "Bearer not-the-host-token"},
            (403, "host_token_invalid"),
        ),
        (
            "/api/duels/x/videos/y/reject",
            {"authorization": f"Bearer {HOST_TOKEN}"},
            (413, "too_large"),
        ),
        ("/api/competitions", {}, (401, "host_token_required")),
        ("/api/duels/x/videos", {}, (401, "company_token_required")),
        ("/api/duels/x/videos", {"authorization": "Bearer nope"}, (403, "company_token_invalid")),
        ("/company/nope/upload/x", {"accept": "application/json"}, (403, "company_token_invalid")),
    ],
    ids=[
        "reject-chunked",
        "reject-content-length",
        "reject-wrong-token",
        "reject-host-token",
        "create-chunked",
        "upload-no-token",
        "upload-wrong-token",
        "portal-wrong-invite",
    ],
)
def test_a_150_mb_body_is_refused_without_reading_it(
    server: Process, path: str, extra: dict[str, str], expected: tuple[int, str]
) -> None:
    before = _rss(server)
    response = _send_huge(server, path, {"content-type": "application/json", **extra})
    grown_mb = (_rss(server) - before) // 2**20
    assert (_code(response), grown_mb < MAX_GROWTH_MB) == (expected, True), f"grew {grown_mb} MB"
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200


def test_a_slow_body_to_a_moderation_route_times_out(settings: Settings) -> None:
    """Was: exempt as an "upload", so a trickling body held the connection forever."""
    server = start_web(settings.model_copy(update={"body_timeout_seconds": 1.0}))
    try:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=20) as sock:
            sock.sendall(
                b"POST /api/duels/x/videos/y/reject HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nAuthorization: Bearer "
                + HOST_TOKEN.encode()
                + b"\r\nContent-Length: 100\r\n\r\n{"
            )
            answer = b""
            with contextlib.suppress(TimeoutError):
                while chunk := sock.recv(4096):
                    answer += chunk
    finally:
        server.stop()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"body_timeout" in answer
