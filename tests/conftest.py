"""Fixtures: a real Redis server (the product's own launcher) and real RQ workers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr
from starlette.testclient import TestClient

from duels.redis_server import EmbeddedRedis
from duels.settings import Settings
from tests.support import Process, start_web, start_worker
from web.app import create_app

HOST_TOKEN = "test-host-token-0123456789abcdef"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_settings(
    redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        redis_url=redis_server.url,
        secret_key=SecretStr("test-secret-key-" + "x7Qp2Lm9" * 4),
        host_token=SecretStr(HOST_TOKEN),
        data_dir=tmp_path_factory.mktemp("data"),
        public_url="http://testserver",
        # Suites that open duels without videos; tests/videos turns it on.
        require_approved_videos=False,
    )


@pytest.fixture
def settings(base_settings: Settings, redis_server: EmbeddedRedis) -> Settings:
    """Settings pointing at the session Redis; every test starts from an empty Redis."""
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()  # a fault test stopped it
    with redis.Redis.from_url(redis_server.url) as client:
        client.flushall()
    return base_settings.model_copy(update={"redis_url": redis_server.url})


@pytest.fixture
def redis_client(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.redis_url or "", decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def host_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {HOST_TOKEN}"}


@pytest.fixture
def worker(settings: Settings) -> Iterator[Process]:
    process = start_worker(settings)
    yield process
    process.stop()


@pytest.fixture
def web_server(settings: Settings) -> Iterator[Process]:
    process = start_web(settings)
    yield process
    process.stop()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def rq_connection(settings: Settings) -> Iterator[redis.Redis]:
    """A bytes client, as RQ wants one."""
    connection = redis.Redis.from_url(settings.redis_url or "")
    yield connection
    connection.close()
