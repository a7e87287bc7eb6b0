"""The trades of a competition: a URL name per trade and the host's plain words about it.

A trade is named by the teams (``Team.trade``) and the places companies list; its page is
``/berufe/{slug}``. Hosts write two or three sentences about it, German and optionally
English.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

import orjson
import redis

from duels import errors, keys, store
from duels.apprenticeships import clean_text, open_places

MAX_ABOUT = 600
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@dataclass(frozen=True, slots=True)
class Trade:
    slug: str
    name: str
    about_de: str = ""
    about_en: str = ""

    def about(self, lang: str) -> str:
        return (self.about_en if lang == "en" else "") or self.about_de


def slug(name: str) -> str:
    """ "Tischler/in" -> "tischler-in", "Koch/Köchin" -> "koch-koechin"."""
    folded = unicodedata.normalize("NFKD", name.lower().translate(_UMLAUTS))
    ascii_only = folded.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:60]


def trades_of(client: redis.Redis, cid: str) -> dict[str, Trade]:
    """Every trade of the competition's teams and open places, by slug, with its text."""
    names = [team.trade for team in store.list_teams(client, cid)]
    names += [place.trade for place, _ in open_places(client, cid)]
    raw: dict[str, str] = client.hgetall(keys.trades(cid))  # type: ignore[assignment]
    texts = {key: Trade(**orjson.loads(value)) for key, value in raw.items()}
    found: dict[str, Trade] = {}
    for name in names:
        key = slug(name)
        if key and key not in found:
            found[key] = texts.get(key) or Trade(key, name)
    return dict(sorted(found.items(), key=lambda item: item[1].name.lower()))


def describe(
    client: redis.Redis, cid: str, trade_slug: str, about_de: str, about_en: str, actor: str
) -> Trade:
    known = trades_of(client, cid)
    if trade_slug not in known:
        raise errors.NotFound("No team or place has this trade.", code="unknown_trade")
    trade = Trade(
        trade_slug,
        known[trade_slug].name,
        clean_text(about_de, MAX_ABOUT, "text"),
        clean_text(about_en, MAX_ABOUT, "text"),
    )
    pipe = client.pipeline(transaction=True)
    pipe.hset(keys.trades(cid), trade_slug, orjson.dumps(asdict(trade)))
    store.audit(pipe, cid, actor, "trade_described", trade=trade_slug)
    pipe.execute()
    return trade
