"""Which other websites may show a competition's live board in an iframe (``/embed/{cid}``).

An origin is ``scheme://host[:port]`` exactly as a browser sends it: http or https, an
ASCII host name (an IDN in its ``xn--`` form) or an IPv4 address, an optional port, no
path, query, user or wildcard. The web layer puts them into the page's
``frame-ancestors``; every other page stays unframeable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import orjson
import redis

from duels import errors, keys, store

MAX_ORIGINS = 10
MAX_LENGTH = 200
_SCHEMES = {"http": 80, "https": 443}
_SHAPE = re.compile(
    r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>[^/:?#]*)(?::(?P<port>\d{1,5}))?/?$"
)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_IPV4 = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")


class InvalidOrigin(errors.Invalid):
    """``origin`` is not one; ``reason`` says why (scheme, path, wildcard, host, port)."""

    code = "invalid_origin"

    def __init__(self, origin: str, reason: str) -> None:
        super().__init__(f"{origin[:MAX_LENGTH]!r} is not an origin ({reason}).")
        self.origin, self.reason = origin[:MAX_LENGTH], reason


def parse_origin(value: str) -> str:
    """``value`` as an origin (lower case, default port dropped) or ``InvalidOrigin``."""
    text = (value or "").strip()
    if not text or len(text) > MAX_LENGTH or not text.isascii():
        raise InvalidOrigin(text, "host" if text else "empty")
    if "*" in text:
        raise InvalidOrigin(text, "wildcard")
    lowered = text.lower()
    scheme = lowered.partition(":")[0]
    if scheme not in _SCHEMES or not lowered.startswith(f"{scheme}://"):
        raise InvalidOrigin(text, "scheme")
    if "@" in lowered:
        raise InvalidOrigin(text, "user")
    match = _SHAPE.match(lowered)
    if match is None:
        rest = lowered[len(scheme) + 3 :]
        raise InvalidOrigin(text, "path" if any(c in rest for c in "/?#") else "host")
    host, port = match["host"], match["port"]
    if not _valid_host(host):
        raise InvalidOrigin(text, "host")
    if port is not None and not 0 < int(port) < 65536:
        raise InvalidOrigin(text, "port")
    if port is None or int(port) == _SCHEMES[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{int(port)}"


def _valid_host(host: str) -> bool:
    address = _IPV4.match(host)
    if address:
        return all(int(part) <= 255 for part in address.groups())
    labels = host.split(".")
    return len(host) <= 253 and all(_LABEL.match(label) for label in labels)


def parse_origins(values: Iterable[str]) -> list[str]:
    """Each non-empty value as an origin, duplicates dropped, order kept."""
    found: list[str] = []
    for value in values:
        if value.strip():
            origin = parse_origin(value)
            if origin not in found:
                found.append(origin)
    if len(found) > MAX_ORIGINS:
        raise errors.Invalid(f"At most {MAX_ORIGINS} origins.", code="too_many_origins")
    return found


def allowed_origins(client: redis.Redis, cid: str) -> list[str]:
    """The origins that may frame ``cid``'s board (empty: none but this site)."""
    raw = client.hget(keys.embed(cid), "origins")
    if not raw:
        return []
    stored = orjson.loads(raw)
    # Checked again on the way out: they end up in a response header.
    return [origin for origin in stored if isinstance(origin, str) and _still_valid(origin)]


def _still_valid(origin: str) -> bool:
    try:
        return parse_origin(origin) == origin
    except InvalidOrigin:
        return False


def set_allowed_origins(
    client: redis.Redis, cid: str, origins: Iterable[str], actor: str = ""
) -> list[str]:
    """Replace ``cid``'s origins (validated; ``InvalidOrigin``, ``too_many_origins``)."""
    store.get_competition(client, cid)
    cleaned = parse_origins(origins)
    pipe = client.pipeline(transaction=False)
    pipe.hset(keys.embed(cid), "origins", orjson.dumps(cleaned).decode())
    pipe.hincrby(keys.embed(cid), "version", 1)
    pipe.execute()
    store.audit(client, cid, actor, "embed_origins_set", origins=" ".join(cleaned))
    return cleaned
