"""Personal API keys: a person's access for scripts, capped at a role (and optionally one
competition), revocable, stored as SHA-256 only. And the installation's host token, which
can be rotated: the new token's hash in the store replaces the one from the settings."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import orjson
import redis

from duels import accounts, errors, keys
from duels.access import HOST_TOKEN, Principal, Role, parse_role
from duels.records import new_id

PREFIX = "mmk_"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    user_id: str
    name: str
    role: Role
    competition: str
    created_at: float
    digest: str


def create(
    client: redis.Redis, user_id: str, name: str, role: Role | str, competition: str = ""
) -> tuple[ApiKey, str]:
    """A new key; returns it and its secret (shown once, never stored)."""
    name = " ".join((name or "").split())[:60]
    if not name:
        raise errors.Invalid("The key needs a name.", code="name_required")
    secret = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        new_id("k"), user_id, name, parse_role(str(role)), competition, time.time(), _digest(secret)
    )
    record = {
        "id": key.id, "name": key.name, "role": key.role.value,
        "competition": key.competition, "created_at": key.created_at, "digest": key.digest,
    }  # fmt: skip
    pipe = client.pipeline(transaction=False)
    pipe.hset(keys.user_api_keys(user_id), key.id, orjson.dumps(record))
    pipe.hset(keys.API_KEYS, key.digest, f"{user_id} {key.id}")
    pipe.execute()
    return key, secret


def list_keys(client: redis.Redis, user_id: str) -> list[ApiKey]:
    raw: dict[str, str] = client.hgetall(keys.user_api_keys(user_id))  # type: ignore[assignment]
    found = [_from_record(user_id, orjson.loads(value)) for value in raw.values()]
    return sorted(found, key=lambda key: key.created_at)


def revoke(client: redis.Redis, user_id: str, key_id: str) -> None:
    raw = client.hget(keys.user_api_keys(user_id), key_id)
    if not raw:
        raise errors.NotFound("Unknown API key.", code="unknown_api_key")
    key = _from_record(user_id, orjson.loads(raw))
    pipe = client.pipeline(transaction=False)
    pipe.hdel(keys.user_api_keys(user_id), key_id)
    pipe.hdel(keys.API_KEYS, key.digest)
    pipe.execute()


def principal_for(client: redis.Redis, secret: str, host_token: str) -> Principal | None:
    """Who a bearer token is: the host token, a person's API key, or nobody."""
    if _is_host_token(client, secret, host_token):
        return HOST_TOKEN
    if not secret.startswith(PREFIX):
        return None
    owner = client.hget(keys.API_KEYS, _digest(secret))
    if not owner:
        return None
    user_id, _, key_id = str(owner).partition(" ")
    raw = client.hget(keys.user_api_keys(user_id), key_id)
    if not raw:
        return None
    key = _from_record(user_id, orjson.loads(raw))
    try:
        user = accounts.get_user(client, user_id)
    except errors.NotFound:
        return None
    return Principal(
        "api_key",
        user_id=user_id,
        label=f"{user.email} (API key {key.name})",
        key_role=key.role,
        key_competition=key.competition,
    )


def rotate_host_token(client: redis.Redis) -> str:
    """A new host token; the old one (and the settings' one) stops working at once."""
    token = secrets.token_urlsafe(32)
    client.set(keys.HOST_TOKEN, _digest(token))
    return token


def _is_host_token(client: redis.Redis, secret: str, configured: str) -> bool:
    rotated = client.get(keys.HOST_TOKEN)
    if rotated:
        return hmac.compare_digest(_digest(secret), str(rotated))
    return hmac.compare_digest(secret.encode(), configured.encode())


def _from_record(user_id: str, record: dict[str, object]) -> ApiKey:
    return ApiKey(
        str(record["id"]), user_id, str(record["name"]), Role(str(record["role"])),
        str(record.get("competition", "")), float(record.get("created_at", 0)),  # type: ignore[arg-type]
        str(record["digest"]),
    )  # fmt: skip


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
