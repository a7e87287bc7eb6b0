"""Bad bodies are refused early: too large, too deep, too slow."""

from __future__ import annotations

import socket
import time

from starlette.testclient import TestClient

from tests.conftest import HOST_TOKEN
from tests.support import Process


def test_a_huge_json_body_is_refused_before_parsing(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    body = b'{"title": "' + b"x" * (70 * 1024) + b'"}'
    response = client.post(
        "/api/competitions",
        content=body,
        headers={**host_headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["detail"]["code"] == "too_large"
    assert "content-security-policy" in response.headers


def test_deep_nesting_is_refused_with_422(client: TestClient, host_headers: dict[str, str]) -> None:
    body = b'{"title": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = client.post(
        "/api/competitions",
        content=body,
        headers={**host_headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "too_deep"


def test_brackets_inside_strings_do_not_count_as_nesting(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/competitions", json={"title": "[[[[" * 20 + '\\"{{{{'}, headers=host_headers
    )
    assert response.status_code == 201


def test_a_lying_content_length_is_refused(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/competitions",
        content=b"{}",
        headers={**host_headers, "content-type": "application/json", "content-length": "99999999"},
    )
    assert response.status_code == 413


def test_a_slow_body_times_out(web_server: Process) -> None:
    host, port = web_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /api/competitions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + HOST_TOKEN.encode() + b"\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        started = time.monotonic()
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"body_timeout" in answer
    assert waited < 25  # refused by our timeout, not by the test's socket timeout
