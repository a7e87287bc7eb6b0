"""Console sessions of organisers kept in Redis: the browser holds only a random id, the
store only its SHA-256. A session ends when it is logged out, when it was idle too long,
at its absolute end, and when its account's generation moves on (password changed, "log
out everywhere", account removed): each record carries the generation it was opened with.

Secrets a host action issues (an invite link, a screen key) wait here for one page view
of the session that made them, instead of riding in a URL."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import redis

from duels import accounts, keys
from duels.records import RedisFields
from duels.settings import Settings

ONCE_SECONDS = 300
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")


def session_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start(
    client: redis.Redis,
    settings: Settings,
    address_hash: str,
    user: accounts.User,
    now: float | None = None,
) -> str:
    """Open a session for ``user``; returns its id (for the cookie only)."""
    now = time.time() if now is None else now
    sid = secrets.token_urlsafe(32)
    digest = session_hash(sid)
    record: RedisFields = {
        "created": repr(now),
        "seen": repr(now),
        "address": address_hash,
        "user": user.id,
        "generation": str(user.generation),
    }
    pipe = client.pipeline(transaction=False)
    pipe.hset(keys.host_session(digest), mapping=record)
    pipe.expire(keys.host_session(digest), _lifetime(settings, now, now))
    pipe.zremrangebyscore(keys.HOST_SESSIONS, "-inf", now)
    pipe.zadd(keys.HOST_SESSIONS, {digest: now + settings.host_session_max_seconds})
    pipe.execute()
    return sid


def check(
    client: redis.Redis, settings: Settings, sid: str, now: float | None = None
) -> str | None:
    """The user id of live session ``sid``, or None. Marks it used; ends it when it is not
    valid any more."""
    if not _SESSION_ID.fullmatch(sid):
        return None
    now = time.time() if now is None else now
    digest = session_hash(sid)
    record: dict[str, str] = client.hgetall(keys.host_session(digest))  # type: ignore[assignment]
    if not record:
        return None
    try:
        created, seen = float(record["created"]), float(record["seen"])
    except (KeyError, ValueError):
        created = seen = 0.0
    uid = record.get("user", "")
    current = client.hget(keys.user(uid), "generation") if uid else None
    if (
        current is None
        or not hmac.compare_digest(str(current), record.get("generation", ""))
        or now - created >= settings.host_session_max_seconds
        or now - seen >= settings.host_session_idle_seconds
    ):
        end(client, sid)
        return None
    pipe = client.pipeline(transaction=False)
    pipe.hset(keys.host_session(digest), "seen", repr(now))
    pipe.expire(keys.host_session(digest), _lifetime(settings, created, now))
    pipe.execute()
    return uid


def end(client: redis.Redis, sid: str) -> None:
    digest = session_hash(sid)
    pipe = client.pipeline(transaction=False)
    pipe.delete(keys.host_session(digest))
    pipe.zrem(keys.HOST_SESSIONS, digest)
    pipe.execute()


def end_all(client: redis.Redis) -> int:
    """End every console session of every account (``machmal admin logout-all``)."""
    digests: list[str] = client.zrange(keys.HOST_SESSIONS, 0, -1)  # type: ignore[assignment]
    pipe = client.pipeline(transaction=False)
    for digest in digests:
        pipe.delete(keys.host_session(digest))
        pipe.zrem(keys.HOST_SESSIONS, digest)
    pipe.execute()
    return len(digests)


def keep_once(client: redis.Redis, sid: str, cid: str, kind: str, secret: str) -> None:
    """Hold ``secret`` for the next view of competition ``cid`` in this session."""
    client.set(keys.host_once(session_hash(sid), cid, kind), secret, ex=ONCE_SECONDS)


def take_once(client: redis.Redis, sid: str, cid: str, kinds: tuple[str, ...]) -> dict[str, str]:
    """The secrets held for this view, each gone from the store once read."""
    digest = session_hash(sid)
    pipe = client.pipeline(transaction=False)
    for kind in kinds:
        pipe.getdel(keys.host_once(digest, cid, kind))
    found = pipe.execute()
    return {kind: value for kind, value in zip(kinds, found, strict=True) if value}


def _lifetime(settings: Settings, created: float, now: float) -> int:
    """Seconds the record may live from ``now``: idle time, capped at the absolute end."""
    left = created + settings.host_session_max_seconds - now
    return max(1, int(min(settings.host_session_idle_seconds, left)))
