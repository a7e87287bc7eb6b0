"""Console sessions (#13 item 6, #15): server-side records that logout, "log out
everywhere" and a password change end; CSRF tokens bound to the session; a login brake
per address and per account that a venue NAT cannot turn against a host elsewhere."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
import redis
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from duels import accounts
from duels.settings import Settings
from tests.accounts import OWNER_EMAIL, PASSWORD, account, csrf_of
from tests.conftest import ClientFactory
from tests.security.conftest import database
from web.app import create_app

VENUE = "203.0.113.50"  # the hall's NAT: the attacker sits behind it
OFFICE = "192.0.2.10"  # the host, somewhere else
SESSION_PATTERN = "mm:host-session:*"


class AddressFromHeader:
    """One app seen from many addresses: a request's client is its ``x-test-client``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"x-test-client":
                    scope = {**scope, "client": (value.decode(), 40000)}
        await self.app(scope, receive, send)


@pytest.fixture
def http(settings: Settings, redis_client: redis.Redis) -> Iterator[TestClient]:
    account(redis_client)
    with TestClient(AddressFromHeader(create_app(settings)), follow_redirects=False) as client:
        yield client


def attempt(http: TestClient, password: str, address: str) -> httpx.Response:
    """One login with ``password`` from ``address`` (a fresh form each time)."""
    headers = {"x-test-client": address}
    csrf = csrf_of(http.get("/host/login", headers=headers).text)
    form = {"email": OWNER_EMAIL, "password": password, "csrf": csrf}
    return http.post("/host/login", data=form, headers=headers)


def logged_in(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"] == "/host"


def log_in(browser: TestClient) -> str:
    """Log ``browser`` in; the CSRF token of its console pages."""
    account(browser.app.state.store)  # type: ignore[attr-defined]
    csrf = csrf_of(browser.get("/host/login").text)
    form = {"email": OWNER_EMAIL, "password": PASSWORD, "csrf": csrf}
    answer = browser.post("/host/login", data=form)
    assert logged_in(answer), answer.text
    return csrf_of(browser.get("/host").text)


def plant(browser: TestClient, name: str, value: str) -> None:
    """Put a cookie into ``browser`` as if it had been copied there."""
    browser.cookies.delete(name)
    browser.cookies.set(name, value)


def is_out(browser: TestClient) -> bool:
    page = browser.get("/host")
    return page.status_code == 303 and page.headers["location"] == "/host/login"


# The login brake ----------------------------------------------------------------------------


def test_five_wrong_tokens_lock_that_address_only(http: TestClient) -> None:
    """(i) The venue's address is locked; the host at another address gets in at once."""
    assert [attempt(http, f"guess-{n}", VENUE).status_code for n in range(5)] == [403] * 5
    locked = attempt(http, PASSWORD, VENUE)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 300
    http.cookies.clear()
    assert logged_in(attempt(http, PASSWORD, OFFICE))


def test_the_locked_address_gets_in_after_the_window(
    http: TestClient, redis_client: redis.Redis
) -> None:
    """(ii) The lock is a window, not forever: once it has passed, the right token works."""
    for n in range(5):
        attempt(http, f"guess-{n}", VENUE)
    assert attempt(http, PASSWORD, VENUE).status_code == 429
    windows = list(redis_client.scan_iter("mm:login-failures:*"))
    assert windows and all(0 < redis_client.ttl(key) <= 300 for key in windows)
    redis_client.delete(*windows)  # the five minutes pass
    assert logged_in(attempt(http, PASSWORD, VENUE))


def test_a_distributed_guesser_is_slowed_but_the_host_still_logs_in(http: TestClient) -> None:
    """(iii) Wrong tokens from 50 addresses: after a few, every further wrong guess is a 429
    with a growing Retry-After that also brakes its address; the right token from an
    address that did not guess still logs in."""
    waits = []
    for n in range(50):
        answer = attempt(http, f"guess-{n}", f"198.51.100.{n + 1}")
        assert answer.status_code in (403, 429), answer.status_code
        if answer.status_code == 429:
            waits.append(int(answer.headers["retry-after"]))
    assert len(waits) >= 35, waits
    assert waits == sorted(waits) and waits[-1] > waits[0], waits
    braked = attempt(http, PASSWORD, "198.51.100.50")  # the last guesser, even with the token
    assert braked.status_code == 429
    assert logged_in(attempt(http, PASSWORD, OFFICE))


def test_ipv6_guessers_are_braked_per_64_network(http: TestClient) -> None:
    """A guesser walking through the addresses of its /64 is still one address."""
    statuses = [
        attempt(http, f"guess-{n}", f"2001:db8:5:7::{n + 1:x}").status_code for n in range(6)
    ]
    assert statuses == [403] * 5 + [429]
    assert attempt(http, PASSWORD, "2001:db8:5:7::99").status_code == 429
    assert logged_in(attempt(http, PASSWORD, "2001:db8:5:8::1"))


# Server-side sessions -----------------------------------------------------------------------


def test_logout_makes_a_copied_cookie_useless(client_from: ClientFactory) -> None:
    """(iv) A cookie copied before the logout opens nothing afterwards."""
    host = client_from(OFFICE)
    csrf = log_in(host)
    copied = host.cookies["mm_host"]
    out = host.post("/host/logout", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/host/login"
    thief = client_from(VENUE)
    plant(thief, "mm_host", copied)
    assert is_out(thief)
    plant(host, "mm_host", copied)
    assert is_out(host)


def test_log_out_everywhere_ends_every_host_session(client_from: ClientFactory) -> None:
    """(v) The button ends the session of a second browser, and needs the form's token."""
    laptop, tablet = client_from(OFFICE), client_from(VENUE)
    csrf = log_in(laptop)
    log_in(tablet)
    page = laptop.get("/host").text
    assert 'action="/host/logout-everywhere"' in page
    forged = laptop.post("/host/logout-everywhere", data={"csrf": "0" * len(csrf)})
    assert forged.status_code == 403
    assert not is_out(tablet)
    done = laptop.post("/host/logout-everywhere", data={"csrf": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/host/login"
    assert is_out(tablet)
    assert is_out(laptop)


def test_a_new_password_ends_existing_sessions(
    client_from: ClientFactory, redis_client: redis.Redis
) -> None:
    """(vi) A password set anew (a reset, or by its owner): old sessions open nothing,
    also in another process, and neither does a copy of the old cookie."""
    host = client_from(OFFICE)
    log_in(host)
    copied = host.cookies["mm_host"]
    user = accounts.find_user(redis_client, OWNER_EMAIL)
    assert user is not None
    accounts.set_password(redis_client, user.id, "a whole new passphrase")
    other_process = client_from(OFFICE)
    plant(other_process, "mm_host", copied)
    assert is_out(other_process)
    assert is_out(host)  # the record is gone, for every process


def test_a_csrf_token_of_one_session_fails_in_another(client_from: ClientFactory) -> None:
    """(vii) Even with the other browser's CSRF cookie planted (cookie tossing), a token
    minted for session A is refused in session B; B's own token works."""
    first, second = client_from(OFFICE), client_from(VENUE)
    token_a = log_in(first)
    token_b = log_in(second)
    own_seed = second.cookies["mm_csrf"]
    plant(second, "mm_csrf", first.cookies["mm_csrf"])
    crossed = second.post("/host/competitions", data={"title": "Fremd", "csrf": token_a})
    assert "error=csrf_failed" in crossed.headers.get("location", ""), crossed.headers
    plant(second, "mm_csrf", own_seed)
    made = second.post("/host/competitions", data={"title": "Eigen", "csrf": token_b})
    assert "ok=competition_created" in made.headers["location"]


def test_the_cookie_is_a_random_id_stored_only_hashed(
    client_from: ClientFactory, redis_client: redis.Redis
) -> None:
    host = client_from(OFFICE)
    log_in(host)
    sid = host.cookies["mm_host"]
    records = list(redis_client.scan_iter(SESSION_PATTERN))
    assert len(records) == 1
    dump = repr(database(redis_client, lasting_only=False))
    assert sid not in dump and OFFICE not in dump
    record = redis_client.hgetall(records[0])
    assert {"created", "seen", "address", "user", "generation"} <= set(record)
    assert PASSWORD not in dump


@pytest.mark.parametrize(("field", "age"), [("seen", 8 * 3600 + 60), ("created", 24 * 3600 + 60)])
def test_idle_and_absolute_expiry(
    client_from: ClientFactory, redis_client: redis.Redis, field: str, age: int
) -> None:
    """Eight idle hours, or 24 hours after the login, end a session (the clock is moved by
    back-dating the record)."""
    host = client_from(OFFICE)
    log_in(host)
    (record,) = redis_client.scan_iter(SESSION_PATTERN)
    assert 0 < redis_client.ttl(record) <= 8 * 3600
    redis_client.hset(record, field, str(time.time() - age))
    assert is_out(host)
    assert not list(redis_client.scan_iter(SESSION_PATTERN))
