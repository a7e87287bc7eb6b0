"""Export and import a whole competition as JSON, exactly.

Every key of the competition (``{c:<id>}`` hash tag) and of its duels
(``{d:<id>}``) is written by type: strings, hashes, sets, sorted sets, lists and
streams (entries with their ids, and consumer groups with their last-delivered
id). Importing writes them back unchanged, so ``export(import(export(x)))`` is
``export(x)``. Time-limited keys (throttles) keep their remaining TTL.
"""

from __future__ import annotations

from typing import Any

import redis

from duels import keys
from duels.errors import Conflict, Invalid

FORMAT = "machmal-competition"
VERSION = 1


def competition_keys(client: redis.Redis, cid: str) -> list[str]:
    duel_ids = [str(did) for did in client.hvals(keys.duel_index(cid))]
    patterns = [f"{keys.competition(cid)}*"] + [f"{keys.duel(did)}*" for did in duel_ids]
    found: set[str] = set()
    for pattern in patterns:
        found.update(str(key) for key in client.scan_iter(match=_escape(pattern), count=1000))
    return sorted(found)


def export_competition(client: redis.Redis, cid: str) -> dict[str, Any]:
    from duels import store

    store.get_competition(client, cid)
    exported: dict[str, Any] = {}
    for key in competition_keys(client, cid):
        value = _dump(client, key)
        if value is not None:
            exported[key] = value
    slug = client.hget(keys.COMPETITION_SLUGS, store.get_competition(client, cid).slug)
    tokens = {
        digest: owner
        for digest, owner in client.hgetall(keys.COMPANY_TOKENS).items()
        if str(owner).startswith(f"{cid} ")
    }
    screens = {
        digest: owner
        for digest, owner in client.hgetall(keys.SCREEN_KEYS).items()
        if str(owner).startswith(f"{cid} ")
    }
    codes = {
        digest: owner for digest, owner in client.hgetall(keys.CODE_INDEX).items() if owner == cid
    }
    return {
        "format": FORMAT,
        "version": VERSION,
        "competition": cid,
        "keys": exported,
        "index": {
            "slug": slug,
            "company_tokens": tokens,
            "screen_keys": screens,
            "code_index": codes,
        },
    }


def import_competition(client: redis.Redis, data: dict[str, Any], *, replace: bool = False) -> str:
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise Invalid("This is not a Mach mal competition export.", code="invalid_export")
    cid = str(data["competition"])
    existing = competition_keys(client, cid) if client.exists(keys.competition(cid)) else []
    if existing and not replace:
        raise Conflict(f"Competition {cid} exists; import with replace.", code="exists")
    if existing:
        client.delete(*existing)
    for key, value in data["keys"].items():
        _restore(client, key, value)
    slug = client.hget(keys.competition(cid), "slug")
    if slug:
        client.hset(keys.COMPETITION_SLUGS, str(slug), cid)
    index = data.get("index", {})
    for name, key in (
        ("company_tokens", keys.COMPANY_TOKENS),
        ("screen_keys", keys.SCREEN_KEYS),
        ("code_index", keys.CODE_INDEX),
    ):
        if index.get(name):
            client.hset(key, mapping=index[name])
    client.sadd(keys.COMPETITIONS, cid)
    return cid


def _dump(client: Any, key: str) -> dict[str, Any] | None:
    kind = str(client.type(key))
    ttl = int(client.pttl(key))
    value: Any
    if kind == "string":
        value = client.get(key)
    elif kind == "hash":
        value = client.hgetall(key)
    elif kind == "set":
        value = sorted(client.smembers(key))
    elif kind == "zset":
        value = [[member, score] for member, score in client.zrange(key, 0, -1, withscores=True)]
    elif kind == "list":
        value = client.lrange(key, 0, -1)
    elif kind == "stream":
        value = _dump_stream(client, key)
    else:
        return None
    return {"type": kind, "ttl_ms": ttl if ttl > 0 else None, "value": value}


def _dump_stream(client: Any, key: str) -> dict[str, Any]:
    entries = [[entry_id, fields] for entry_id, fields in client.xrange(key)]
    info: dict[str, Any] = client.xinfo_stream(key)
    groups = [
        {"name": group["name"], "last_delivered_id": group["last-delivered-id"]}
        for group in client.xinfo_groups(key)
    ]
    return {"entries": entries, "last_id": info["last-generated-id"], "groups": groups}


def _restore(client: Any, key: str, item: dict[str, Any]) -> None:
    kind, value = item["type"], item["value"]
    if kind == "string":
        client.set(key, value)
    elif kind == "hash":
        client.hset(key, mapping=value)
    elif kind == "set":
        client.sadd(key, *value)
    elif kind == "zset":
        client.zadd(key, {member: score for member, score in value})
    elif kind == "list":
        client.rpush(key, *value)
    elif kind == "stream":
        for entry_id, fields in value["entries"]:
            client.xadd(key, fields, id=entry_id)
        if not value["entries"]:
            client.xgroup_create(key, "__restore__", id="$", mkstream=True)
            client.xgroup_destroy(key, "__restore__")
        client.execute_command("XSETID", key, value["last_id"])
        for group in value["groups"]:
            client.xgroup_create(key, group["name"], id=group["last_delivered_id"])
    if item.get("ttl_ms"):
        client.pexpire(key, int(item["ttl_ms"]))


def _escape(pattern: str) -> str:
    """Escape glob characters of the literal part (hash tags hold braces only)."""
    literal, star = (pattern[:-1], "*") if pattern.endswith("*") else (pattern, "")
    for char in "[]?":
        literal = literal.replace(char, "\\" + char)
    return literal + star
