from __future__ import annotations

from typing import Any

import httpx
from starlette.testclient import TestClient

from tests.voting.factories import voter_cookie

SECRET = "test-secret-key-" + "x7Qp2Lm9" * 4  # the conftest's secret key


def cookie_header(cookie: str | None = None) -> dict[str, str]:
    return {"Cookie": f"mm_voter={cookie or voter_cookie(SECRET)}"}


def vote(
    client: TestClient,
    did: str,
    team: str,
    *,
    cookie: str | None = None,
    pow: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"team_id": team}
    if pow is not None:
        body["pow"] = pow
    return client.post(
        f"/api/duels/{did}/votes", json=body, headers={**cookie_header(cookie), **(headers or {})}
    )


def code(response: httpx.Response) -> str:
    return str(response.json()["detail"]["code"])
