"""Stage screens of the ``venue`` admission mode (DESIGN.md "Who may vote").

A host issues a screen key per projector; the screen page shows the rotating presence
codes of the competition's running venue duels to whoever holds the key, and to no one
else. The key is shown once and stored only as its SHA-256 (``keys.SCREEN_KEYS``); the
screen record (``keys.screens(cid)``) keeps name and state. Revoking a screen takes its
key out of the index and marks the record, so the old key stops working at once.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any, cast

import orjson
import redis

from duels import admission, keys, store
from duels.errors import Invalid, NotFound
from duels.records import new_id

MAX_NAME_CHARS = 60
MAX_KEY_CHARS = 64


@dataclass(frozen=True, slots=True)
class Screen:
    id: str
    name: str
    created_at: float
    revoked_at: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_json(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def from_json(cls, raw: str) -> Screen:
        data = orjson.loads(raw)
        revoked = data.get("revoked_at")
        return cls(
            id=str(data["id"]),
            name=str(data.get("name", "")),
            created_at=float(data.get("created_at", 0)),
            revoked_at=float(revoked) if revoked is not None else None,
        )

    def public(self) -> dict[str, Any]:
        return {**asdict(self), "active": self.active}


def issue_screen(
    client: redis.Redis, cid: str, name: str, actor: str = "host"
) -> tuple[Screen, str]:
    """A new screen of the competition and its key (shown once, stored hashed)."""
    store.get_competition(client, cid)
    screen = Screen(id=new_id("s"), name=_name(name), created_at=time.time())
    key = secrets.token_urlsafe(18)
    client.hset(keys.screens(cid), screen.id, screen.to_json())
    client.hset(keys.SCREEN_KEYS, store.token_hash(key), f"{cid} {screen.id}")
    store.audit(client, cid, actor, "screen_issued", screen=screen.id, name=screen.name)
    return screen, key


def list_screens(client: redis.Redis, cid: str) -> list[Screen]:
    store.get_competition(client, cid)
    raw = cast(dict[str, str], client.hgetall(keys.screens(cid)))
    return sorted((Screen.from_json(v) for v in raw.values()), key=lambda s: s.created_at)


def get_screen(client: redis.Redis, cid: str, screen_id: str) -> Screen:
    raw = client.hget(keys.screens(cid), screen_id)
    if not raw:
        raise NotFound(f"Unknown screen {screen_id!r}.", code="unknown_screen")
    return Screen.from_json(str(raw))


def revoke_screen(
    client: redis.Redis, cid: str, screen_id: str, actor: str = "host", reason: str = ""
) -> Screen:
    """The screen's key stops working now; revoking twice changes nothing."""
    screen = get_screen(client, cid, screen_id)
    owner = f"{cid} {screen.id}"
    stale = [
        digest
        for digest, holder in cast(dict[str, str], client.hgetall(keys.SCREEN_KEYS)).items()
        if holder == owner
    ]
    if stale:
        client.hdel(keys.SCREEN_KEYS, *stale)
    if not screen.active:
        return screen
    revoked = Screen(screen.id, screen.name, screen.created_at, revoked_at=time.time())
    client.hset(keys.screens(cid), screen.id, revoked.to_json())
    store.audit(client, cid, actor, "screen_revoked", reason, screen=screen.id, name=screen.name)
    return revoked


def screen_for_key(client: redis.Redis, key: str) -> tuple[str, Screen] | None:
    """The competition and active screen of a key, or None (unknown and revoked alike)."""
    if not key or len(key) > MAX_KEY_CHARS:
        return None
    owner = client.hget(keys.SCREEN_KEYS, store.token_hash(key))
    if not owner:
        return None
    cid, _, screen_id = str(owner).partition(" ")
    try:
        screen = get_screen(client, cid, screen_id)
    except NotFound:
        return None
    return (cid, screen) if screen.active else None


def venue_duel_ids(client: redis.Redis, cid: str) -> set[str]:
    """Duels whose voting needs the screen: opened in venue mode, or about to open in it."""
    competition = store.get_competition(client, cid)
    found = set()
    for duel in store.duels_of_competition(client, cid):
        mode = (
            admission.effective_mode(competition, duel)
            if duel.status == "pending"
            else duel.admission
        )
        if mode == "venue":
            found.add(duel.id)
    return found


def _name(value: str) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise Invalid("Give the screen a name.", code="name_required")
    if len(cleaned) > MAX_NAME_CHARS:
        raise Invalid(f"At most {MAX_NAME_CHARS} characters.", code="name_too_long")
    return cleaned
