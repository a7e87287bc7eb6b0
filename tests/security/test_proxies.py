"""Issue #13, item 1: a client cannot choose its own address with X-Forwarded-For.

The header is believed only from a peer in MACHMAL_TRUSTED_PROXIES, and only as far as
that proxy wrote it (read from the right). Seen through what an address decides: the
per-IP vote limit and the host-login lockout, in the app, in a real ``machmal serve``,
and behind the project's own nginx and Caddy configurations."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from pydantic import ValidationError
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from duels.settings import Settings
from tests.accounts import PASSWORD, account, log_in_form
from tests.conftest import ClientFactory
from tests.security.proxies import caddy_in_front_of, nginx_in_front_of
from tests.support import Process, start_web
from tests.voting.factories import make_duel, voter_cookie
from tests.voting.helpers import SECRET, vote
from web.proxies import ForwardedClient

LIMITED = {"votes_per_ip_per_minute": 2, "pow_burst_new_voters_per_minute": 1000}
_spoofs = (f"198.18.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def spoofed() -> dict[str, str]:
    """A header naming another address on every request, as an attacker would send."""
    address = next(_spoofs)
    return {"X-Forwarded-For": address, "X-Real-IP": address, "User-Agent": f"bot {address}"}


def cast_vote(http: httpx.Client, did: str, team: str, headers: dict[str, str]) -> int:
    """One vote of a brand-new voter (fresh cookie) over real HTTP; the status code."""
    response = http.post(
        f"/api/duels/{did}/votes",
        json={"team_id": team},
        headers={**headers, "Cookie": f"mm_voter={voter_cookie(SECRET)}"},
    )
    return response.status_code


def log_in(
    http: httpx.Client | TestClient, password: str, headers: dict[str, str] | None = None
) -> int:
    """One login through the console form; 303 = in, 403 = wrong password, 429 = locked."""
    return log_in_form(http, password=password, headers=headers).status_code


def from_address(base_url: str, source: str = "127.0.0.1") -> httpx.Client:
    """A client connecting from ``source`` (any 127.x address is this machine)."""
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=base_url, transport=transport, timeout=10)


# In the app: the peer decides whether the header counts ---------------------------------


def test_untrusted_peer_cannot_dodge_the_per_ip_vote_limit(
    client_from: ClientFactory, redis_client: redis.Redis
) -> None:
    duel = make_duel(redis_client)
    client = client_from("198.51.100.7", **LIMITED)
    statuses = [vote(client, duel["id"], duel["home"], headers=spoofed()).status_code
                for _ in range(3)]  # fmt: skip
    assert statuses == [202, 202, 429]
    neighbour = client_from("198.51.100.8", **LIMITED)
    assert vote(neighbour, duel["id"], duel["home"]).status_code == 202


def test_untrusted_peer_locks_only_itself_out_of_the_login(
    client_from: ClientFactory, redis_client: redis.Redis
) -> None:
    account(redis_client)
    attacker = client_from("198.51.100.7")
    as_the_host = {"X-Forwarded-For": "198.51.100.9"}  # the host's address, claimed
    for _ in range(5):
        assert log_in(attacker, "wrong-password-" + "x" * 20, as_the_host) == 403
    assert log_in(attacker, PASSWORD, spoofed()) == 429  # a new lie does not help
    host = client_from("198.51.100.9")
    assert log_in(host, PASSWORD) == 303  # the host is not locked out


def test_trusted_proxy_names_the_client_by_its_own_right_most_entry(
    client_from: ClientFactory, redis_client: redis.Redis
) -> None:
    duel = make_duel(redis_client)
    did, home = duel["id"], duel["home"]
    proxy = client_from("127.0.0.1", votes_per_ip_per_minute=1)

    def through_proxy(forwarded_for: str) -> int:
        return vote(proxy, did, home, headers={"X-Forwarded-For": forwarded_for}).status_code

    assert through_proxy("1.2.3.4, 203.0.113.9") == 202  # the client wrote 1.2.3.4
    assert through_proxy("5.6.7.8, 203.0.113.9") == 429  # same client, other lie
    assert through_proxy("203.0.113.9, 127.0.0.1") == 429  # two trusted hops: still it
    assert through_proxy("203.0.113.10") == 202  # another client behind the proxy


def test_middleware_reads_only_what_a_trusted_proxy_wrote() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        pass

    middleware = ForwardedClient(app, trusted="127.0.0.1/32,::1/128,10.0.0.0/8")

    def scope_of(peer: str, forwarded_for: str | None, proto: str | None = None) -> Any:
        headers = [(b"host", b"x")]
        if forwarded_for is not None:
            headers.append((b"x-forwarded-for", forwarded_for.encode()))
        if proto is not None:
            headers.append((b"x-forwarded-proto", proto.encode()))
        scope = {"type": "http", "client": (peer, 4000), "scheme": "http", "headers": headers}
        asyncio.run(middleware(scope, receive, send))
        return seen[-1]["client"][0], seen[-1]["scheme"]

    assert scope_of("198.51.100.7", "1.2.3.4", "https") == ("198.51.100.7", "http")
    assert scope_of("127.0.0.1", "1.2.3.4, 10.0.0.9", "https") == ("1.2.3.4", "https")
    assert scope_of("127.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.9") == ("203.0.113.9", "http")
    assert scope_of("::1", "2001:DB8::1") == ("2001:db8::1", "http")
    assert scope_of("::ffff:127.0.0.1", "203.0.113.9") == ("203.0.113.9", "http")
    assert scope_of("127.0.0.1", "10.0.0.9, 127.0.0.1") == ("10.0.0.9", "http")  # all trusted
    assert scope_of("127.0.0.1", "203.0.113.9, not-an-ip") == ("127.0.0.1", "http")
    assert scope_of("127.0.0.1", "not-an-ip, 10.0.0.9") == ("10.0.0.9", "http")
    assert scope_of("127.0.0.1", "203.0.113.9:5555") == ("203.0.113.9", "http")
    assert scope_of("127.0.0.1", "[2001:db8::7]:443") == ("2001:db8::7", "http")
    assert scope_of("127.0.0.1", None, "javascript") == ("127.0.0.1", "http")
    assert scope_of("127.0.0.1", "", "http, https") == ("127.0.0.1", "https")


def test_trusted_proxies_are_networks_or_nothing() -> None:
    assert Settings(trusted_proxies=" 10.0.0.0/8 , ::1 ").trusted_proxies == "10.0.0.0/8,::1"
    assert Settings(trusted_proxies="").trusted_proxies == ""
    for wrong in ("*", "proxy", "10.0.0.0/33"):
        with pytest.raises(ValidationError):
            Settings(trusted_proxies=wrong)


# A real `machmal serve`: uvicorn's own proxy handling must not believe the header -------


@pytest.fixture(autouse=True)
def old_compose_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What compose.yaml gave the replicas before: uvicorn's own proxy handling must stay
    off even when an operator still sets it."""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")


@pytest.fixture
def lone_server(settings: Settings) -> Iterator[Process]:
    """A web server whose only trusted proxies are elsewhere: loopback clients are
    ordinary, untrusted clients."""
    process = start_web(settings.model_copy(update={**LIMITED, "trusted_proxies": "10.0.0.0/8"}))
    yield process
    process.stop()


def test_real_server_ignores_forwarded_for_from_an_untrusted_peer(
    lone_server: Process, redis_client: redis.Redis
) -> None:
    duel = make_duel(redis_client)
    account(redis_client)
    with (
        from_address(lone_server.url) as spoofer,
        from_address(lone_server.url, "127.0.0.2") as other,
    ):
        votes = [cast_vote(spoofer, duel["id"], duel["home"], spoofed()) for _ in range(3)]
        assert votes == [202, 202, 429]
        # Wrong passwords in the name of the other machine lock the spoofer, not that one.
        claim = {"X-Forwarded-For": "127.0.0.2"}
        for _ in range(5):
            assert log_in(spoofer, "wrong-password-" + "x" * 20, claim) == 403
        assert log_in(spoofer, PASSWORD, spoofed()) == 429
        assert log_in(other, PASSWORD) == 303
        assert cast_vote(other, duel["id"], duel["home"], {}) == 202


# Behind the project's own proxy configurations ------------------------------------------


@pytest.fixture
def proxied_server(settings: Settings) -> Iterator[Process]:
    """Two worker processes (the factory path of compose), loopback trusted (default)."""
    process = start_web(settings.model_copy(update=LIMITED), workers=2)
    yield process
    process.stop()


# An attacker elsewhere (127.0.0.3), and one on the proxy's own machine, whose address is
# trusted: only a proxy that replaces the header keeps that one from choosing.
SPOOFERS = ["127.0.0.3", "127.0.0.1"]


def _spoofer_is_seen_as_itself(proxy_url: str, source: str, redis_client: redis.Redis) -> None:
    duel = make_duel(redis_client)
    with from_address(proxy_url, source) as spoofer, from_address(proxy_url, "127.0.0.2") as other:
        votes = [cast_vote(spoofer, duel["id"], duel["home"], spoofed()) for _ in range(3)]
        assert votes == [202, 202, 429]
        # The proxy passed the real address on: another machine is not throttled.
        assert cast_vote(other, duel["id"], duel["home"], spoofed()) == 202


@pytest.mark.parametrize("source", SPOOFERS)
def test_behind_nginx_the_app_sees_the_connecting_client(
    proxied_server: Process, redis_client: redis.Redis, tmp_path: Path, source: str
) -> None:
    with nginx_in_front_of(proxied_server.url, tmp_path) as url:
        _spoofer_is_seen_as_itself(url, source, redis_client)


@pytest.mark.parametrize("source", SPOOFERS)
def test_behind_caddy_the_app_sees_the_connecting_client(
    proxied_server: Process, redis_client: redis.Redis, tmp_path: Path, source: str
) -> None:
    with caddy_in_front_of(proxied_server.url, tmp_path) as url:
        _spoofer_is_seen_as_itself(url, source, redis_client)
