"""What the console shows about embedding a competition's live board: the allowed origins
and the ``<iframe>`` snippet to paste into the campaign's own website."""

from __future__ import annotations

from html import escape
from typing import Any

import redis

from duels import embedding, store

SNIPPET_HEIGHT = 640


def embed_url(public_url: str, cid: str) -> str:
    return f"{public_url.rstrip('/')}/embed/{cid}"


def snippet(public_url: str, cid: str, title: str) -> str:
    return (
        f'<iframe src="{escape(embed_url(public_url, cid))}" title="{escape(title)}" '
        f'width="100%" height="{SNIPPET_HEIGHT}" loading="lazy"></iframe>'
    )


def panel(client: redis.Redis, cid: str, public_url: str) -> dict[str, Any]:
    """The branding page's embedding card of ``cid``."""
    title = store.get_competition(client, cid).title
    return {
        "origins": embedding.allowed_origins(client, cid),
        "max": embedding.MAX_ORIGINS,
        "url": embed_url(public_url, cid),
        "snippet": snippet(public_url, cid, title),
    }


def settings_out(client: redis.Redis, cid: str, public_url: str) -> dict[str, Any]:
    """The API's answer about ``cid``'s embedding."""
    shown = panel(client, cid, public_url)
    return {
        "competition": cid,
        "origins": shown["origins"],
        "embed_url": shown["url"],
        "snippet": shown["snippet"],
    }
