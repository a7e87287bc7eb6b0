"""Pending invitations of an organisation, so its owners can see and withdraw them.

The one-time link (duels.accounts) keeps only sha256 of its token; this index, keyed by
the same digest, lists what was sent. The token itself is never stored or shown: the
digest is the row's id. Entries whose link is gone (expired, used elsewhere) are dropped
when the list is read.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import asdict, dataclass

import orjson
import redis

from duels import accounts, errors, keys

_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Pending:
    digest: str
    email: str
    role: str
    scope: str
    by: str
    issued: float
    expires: float


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def record(
    client: redis.Redis, oid: str, token: str, *, email: str, role: str, scope: str, by: str
) -> Pending:
    now = time.time()
    entry = Pending(digest_of(token), email, role, scope, by, now, now + accounts.INVITE_SECONDS)
    fields = asdict(entry)
    del fields["digest"]
    key = keys.organisation_invitations(oid)
    pipe = client.pipeline(transaction=False)
    pipe.hset(key, entry.digest, orjson.dumps(fields))
    pipe.expire(key, accounts.INVITE_SECONDS + 60)  # no entry outlives the newest link
    pipe.execute()
    return entry


def forget(client: redis.Redis, oid: str, token: str) -> None:
    """The invitation was used: it is no longer pending."""
    client.hdel(keys.organisation_invitations(oid), digest_of(token))


def pending(client: redis.Redis, oid: str, now: float | None = None) -> list[Pending]:
    """Open invitations, newest first; expired or used ones are dropped on the way."""
    key = keys.organisation_invitations(oid)
    raw: dict[str, str] = client.hgetall(key)  # type: ignore[assignment]
    entries = [_parse(digest, text) for digest, text in raw.items()]
    pipe = client.pipeline(transaction=False)
    for entry in entries:
        pipe.exists(keys.account_token(entry.digest))
    alive = pipe.execute()
    moment = time.time() if now is None else now
    kept: list[Pending] = []
    stale: list[Pending] = []
    for entry, exists in zip(entries, alive, strict=True):
        (kept if exists and entry.expires > moment else stale).append(entry)
    if stale:
        client.hdel(key, *(entry.digest for entry in stale))
    return sorted(kept, key=lambda entry: entry.issued, reverse=True)


def withdraw(client: redis.Redis, oid: str, digest: str) -> Pending:
    """Take the invitation back: its link answers "not valid" from now on."""
    key = keys.organisation_invitations(oid)
    text = client.hget(key, digest) if _DIGEST.fullmatch(digest) else None
    if not text:
        raise errors.NotFound("No such open invitation.", code="unknown_invitation")
    entry = _parse(digest, str(text))
    pipe = client.pipeline(transaction=False)
    pipe.delete(keys.account_token(digest))
    pipe.hdel(key, digest)
    pipe.execute()
    return entry


def _parse(digest: str, text: str) -> Pending:
    data = orjson.loads(text)
    return Pending(
        digest,
        str(data.get("email", "")),
        str(data.get("role", "")),
        str(data.get("scope", "")),
        str(data.get("by", "")),
        float(data.get("issued", 0)),
        float(data.get("expires", 0)),
    )
