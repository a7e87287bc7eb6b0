"""Fixtures: a real Redis server (the product's own launcher) and real RQ workers.

``MACHMAL_TEST_CLUSTER=1`` runs the suites against a real three-master Redis Cluster
(the store) plus the plain Redis as the queue Redis (RQ, pub/sub), as in README
"Scaling". Tests that stop or kill the single ``redis_server`` skip then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import redis
from pydantic import SecretStr
from starlette.testclient import TestClient

from duels.redis_server import EmbeddedRedis
from duels.settings import Settings
from tests.cluster import EmbeddedCluster
from tests.cluster.embedded import CLUSTER_MODE
from tests.mail_sink import Sink, running_sink
from tests.support import Process, queue_connection, start_web, start_worker, store_client
from web.app import create_app

HOST_TOKEN = "test-host-token-0123456789abcdef"

# Timings belong in benchmarks: on a busy 2-core box a slow example is not a failure.
hypothesis.settings.register_profile("machmal", deadline=None)
hypothesis.settings.load_profile("machmal")


@pytest.fixture(scope="session")
def plain_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """The single Redis: the store, or in cluster mode the queue Redis."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    cluster = EmbeddedCluster(tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def redis_server(plain_redis: EmbeddedRedis) -> EmbeddedRedis:
    """The store's one server, for tests that stop, kill or restart it."""
    if CLUSTER_MODE:
        pytest.skip("stops the single redis_server; the store is a Redis Cluster in this run")
    return plain_redis


@pytest.fixture(scope="session")
def base_settings(
    request: pytest.FixtureRequest,
    plain_redis: EmbeddedRedis,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    topology: dict[str, object] = {"redis_url": plain_redis.url}
    if CLUSTER_MODE:
        cluster: EmbeddedCluster = request.getfixturevalue("redis_cluster")
        topology = {"redis_url": cluster.url, "redis_cluster": True, "queue_url": plain_redis.url}
    return Settings(
        **topology,  # type: ignore[arg-type]
        secret_key=SecretStr("test-secret-key-" + "x7Qp2Lm9" * 4),
        host_token=SecretStr(HOST_TOKEN),
        data_dir=tmp_path_factory.mktemp("data"),
        public_url="http://testserver",
        # Suites that open duels without videos; tests/videos turns it on.
        require_approved_videos=False,
        # Both cores run tests, Redis servers and workers at once: a 0.5 s budget (the
        # product default) can lapse on an honest call. Fault tests use PRODUCT_TIMEOUT.
        redis_timeout=3.0,
    )


PRODUCT_TIMEOUT: float = Settings.model_fields["redis_timeout"].default


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, base_settings: Settings, plain_redis: EmbeddedRedis
) -> Settings:
    """Settings pointing at the session Redis; every test starts from an empty Redis."""
    if plain_redis.process is None or plain_redis.process.poll() is not None:
        plain_redis.start()  # a fault test stopped it
    with redis.Redis.from_url(plain_redis.url) as client:
        client.flushall()
    if CLUSTER_MODE:
        cluster: EmbeddedCluster = request.getfixturevalue("redis_cluster")
        cluster.flush()  # FLUSHALL on every master
        return base_settings
    return base_settings.model_copy(update={"redis_url": plain_redis.url})


@pytest.fixture
def redis_client(settings: Settings) -> Iterator[redis.Redis]:
    """Decoded client of the store (a RedisCluster client in cluster mode)."""
    client = store_client(settings)
    yield client
    client.close()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(settings: Settings) -> Iterator[ClientFactory]:
    """TestClients of the app with setting overrides, seen as coming from ``address`` (an
    IP, or IP and port; a venue's public IP by default)."""
    opened: list[TestClient] = []

    def build(
        address: str | tuple[str, int] = ("203.0.113.7", 5000), **overrides: Any
    ) -> TestClient:
        peer = (address, 40000) if isinstance(address, str) else address
        client = TestClient(
            create_app(settings.model_copy(update=overrides)), client=peer, follow_redirects=False
        )
        client.__enter__()
        opened.append(client)
        return client

    yield build
    for client in opened:
        client.__exit__(None, None, None)


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
    """A bytes client of the queue Redis, as RQ wants one."""
    connection = queue_connection(settings)
    yield connection
    connection.close()


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[Sink]:
    """A real SMTP server process; its mails land in ``sink.folder``."""
    with running_sink(tmp_path / "mail") as running:
        yield running


@pytest.fixture
def mail_settings(settings: Settings, sink: Sink) -> Settings:
    return settings.model_copy(update={"smtp_url": SecretStr(f"smtp://127.0.0.1:{sink.port}")})


@pytest.fixture
def mail_worker(mail_settings: Settings) -> Iterator[Process]:
    process = start_worker(mail_settings)
    yield process
    process.stop()
