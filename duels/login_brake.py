"""The brake on guessing passwords at the console login.

Two counters. Per address (an IPv6 client counts as its /64): five wrong logins lock that
address for five minutes, right password or not. For the whole installation: every wrong
login from anywhere counts for an hour after the last one; past ten, each further wrong
one locks the address it came from for 2, 4, 8 ... seconds, at most 15 minutes, and is
answered with that wait. That counter never refuses a request by itself: the right
password from an address that is not locked always gets in, so guessers at a venue cannot
lock out an organiser who logs in from elsewhere, however long they keep at it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

import redis

from duels import errors, keys

ADDRESS_ATTEMPTS = 5
ADDRESS_WINDOW = 300
ACCOUNT_FREE = 10
ACCOUNT_WINDOW = 3600
MAX_DELAY = 900


def address_subject(ip: str) -> str:
    """What one client is: an IPv4 address, or the /64 of an IPv6 one."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def address_hash(secret_key: str, ip: str) -> str:
    digest = hmac.new(secret_key.encode(), address_subject(ip).encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def check(client: redis.Redis, address: str) -> None:
    """Refuse a locked address before its token is even looked at."""
    key = keys.login_failures(address)
    pipe = client.pipeline(transaction=False)
    pipe.get(key)
    pipe.ttl(key)
    failures, ttl = pipe.execute()
    if int(failures or 0) >= ADDRESS_ATTEMPTS:
        raise _throttled(int(ttl))


def failed(
    client: redis.Redis, address: str, wrong: errors.DomainError | None = None
) -> errors.DomainError:
    """Count one wrong login; the error to answer it with (``wrong`` while not braked)."""
    key = keys.login_failures(address)
    pipe = client.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, ADDRESS_WINDOW)
    pipe.incr(keys.LOGIN_BACKOFF)
    pipe.expire(keys.LOGIN_BACKOFF, ACCOUNT_WINDOW)
    failures, _, account_failures, _ = pipe.execute()
    over = int(account_failures) - ACCOUNT_FREE
    if over <= 0:
        return wrong or errors.Forbidden("The login is not valid.", code="login_invalid")
    delay = min(2 ** min(over, 10), MAX_DELAY)
    lock = max(delay, ADDRESS_WINDOW) if int(failures) >= ADDRESS_ATTEMPTS else delay
    client.set(key, ADDRESS_ATTEMPTS, ex=lock)
    return _throttled(lock)


def succeeded(client: redis.Redis, address: str) -> None:
    client.delete(keys.login_failures(address))


def _throttled(retry_after: int) -> errors.Throttled:
    return errors.Throttled(
        "Too many failed logins.", retry_after=retry_after, code="login_throttled"
    )
