from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from duels.settings import Settings
from web.app import create_app

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(settings: Settings) -> Iterator[ClientFactory]:
    """TestClients for ``settings`` with overrides (limits, difficulty), seen as coming
    from ``address`` (a venue's public IP by default)."""
    opened: list[TestClient] = []

    def build(address: tuple[str, int] = ("203.0.113.7", 5000), **overrides: Any) -> TestClient:
        app = create_app(settings.model_copy(update=overrides))
        client = TestClient(app, client=address, follow_redirects=False)
        client.__enter__()
        opened.append(client)
        return client

    yield build
    for client in opened:
        client.__exit__(None, None, None)
