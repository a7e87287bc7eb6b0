"""The client's address behind our own reverse proxy.

X-Forwarded-For and X-Forwarded-Proto count only when the direct peer is one of
``MACHMAL_TRUSTED_PROXIES``, and only as far as trusted proxies wrote them: the list is
read from the right, and the first entry that is not itself a trusted proxy is the
client. Everything left of it is what the client sent and is never believed (uvicorn's
own proxy handling is off: with ``*`` it takes the left-most entry, the client's choice).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# An address with a port in brackets is at most this long; anything longer is no address.
_MAX_ENTRY = 64
# A header longer than this many hops is cut: only the right-most ones can be trusted.
_MAX_HOPS = 16
_SCHEMES = {"http": ("http", "ws"), "https": ("https", "wss")}


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, ::1/128"`` as networks; ValueError names a bad one."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


class ForwardedClient:
    """Pure ASGI: rewrites ``scope["client"]`` (and ``scheme``) before any route sees it."""

    def __init__(self, app: ASGIApp, trusted: str) -> None:
        self.app = app
        self.networks = parse_networks(trusted)
        # Peers and proxy entries repeat: each text is judged once.
        self._cached = lru_cache(maxsize=4096)(self._classify)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            self.resolve(scope)
        await self.app(scope, receive, send)

    def resolve(self, scope: Scope) -> None:
        """The client's address (and scheme) into the scope, when a trusted proxy sent it."""
        if self.networks:
            peer = scope.get("client")
            if peer:
                judged = self.classify(peer[0])
                if judged is not None and judged[1]:
                    self._rewrite(scope)

    def _rewrite(self, scope: Scope) -> None:
        forwarded_for: list[bytes] = []
        proto = b""
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded_for.append(value)
            elif name == b"x-forwarded-proto":
                proto = value
        if forwarded_for:
            client = self.client_of(b",".join(forwarded_for).decode("latin-1"))
            if client is not None:
                scope["client"] = (client, 0)
        if proto:
            # The right-most value: the one our nearest proxy set.
            schemes = _SCHEMES.get(proto.decode("latin-1").rsplit(",", 1)[-1].strip().lower())
            if schemes is not None:
                scope["scheme"] = schemes[scope["type"] == "websocket"]

    def client_of(self, forwarded_for: str) -> str | None:
        """The right-most entry that is not a trusted proxy; None when the nearest entry
        is no address (the peer stays the client)."""
        client = None
        for entry in reversed(forwarded_for.split(",")[-_MAX_HOPS:]):
            judged = self.classify(entry.strip())
            if judged is None:
                break
            client, trusted = judged
            if not trusted:
                break
        return client

    def classify(self, text: str) -> tuple[str, bool] | None:
        """(normalised address, trusted) of an address text, or None if it is none."""
        # Longer texts are no address, and are not kept in the cache.
        return self._cached(text) if len(text) <= _MAX_ENTRY else None

    def _classify(self, text: str) -> tuple[str, bool] | None:
        if text.startswith("["):  # [v6]:port
            text = text[1:].partition("]")[0]
        elif text.count(":") == 1:  # v4:port
            text = text.partition(":")[0]
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return str(address), any(address in network for network in self.networks)
