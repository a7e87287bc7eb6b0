"""Fixtures shared by the host suites."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.host.helpers import Host

HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def cup(client: TestClient, host_headers: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """A drawn competition of four teams: two duels in round 1."""
    host = Host(client, host_headers)
    cid, _ = host.competition(4)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 3}, 201)
    return cid, host.current_duels(cid)
