"""What a shared duel shows: the share card's inputs and the link preview (Open Graph).

Only public facts go in: team names, trade, competition title, the score once the
counts are public. Links are the plain vote URL (never a presence token).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis

from duels import keys, store
from duels.errors import NotFound
from duels.records import Duel
from voting import qr
from voting.cards import SIZES, CardInputs, Variant

Text = Callable[..., str]
UNSCORED = ("walkover", "bye")  # decided without a vote


def _names(client: redis.Redis, duel: Duel) -> tuple[str, str]:
    names = []
    for team_id, stored in ((duel.home, duel.home_name), (duel.away, duel.away_name)):
        if stored or not team_id:
            names.append(stored)
            continue
        try:
            names.append(store.get_team(client, duel.competition, team_id).name)
        except NotFound:
            names.append(team_id)
    return names[0], names[1]


def _trade(client: redis.Redis, duel: Duel) -> str:
    if duel.trade:
        return duel.trade
    trades = []
    for team_id in duel.teams:
        try:
            trade = store.get_team(client, duel.competition, team_id).trade
        except NotFound:
            continue
        if trade and trade not in trades:
            trades.append(trade)
    return " / ".join(trades)


def _score(client: redis.Redis, duel: Duel) -> str:
    """Official counts of a closed or decided duel, only while they are public."""
    if not duel.counts_public or duel.status not in ("closed", "decided") or not duel.away:
        return ""
    if duel.status == "decided" and duel.decided_by in UNSCORED:
        return ""
    counts: dict[str, str] = client.hgetall(keys.official(duel.id))  # type: ignore[assignment]
    if not counts:
        return ""
    return f"{counts.get(duel.home, '0')} : {counts.get(duel.away, '0')}"


def card_inputs(
    client: redis.Redis, did: str, variant: Variant, public_url: str, t: Text
) -> CardInputs:
    """The card of duel ``did`` as it stands now; NotFound for an unknown duel."""
    duel = store.get_duel(client, did)
    home, away = _names(client, duel)
    try:
        competition = store.get_competition(client, duel.competition).title
    except NotFound:
        competition = ""
    voting = duel.status == "voting"
    if duel.status == "decided" and duel.winner:
        headline = t("card.wins", team=home if duel.winner == duel.home else away)
    else:
        headline = t("card.vote_now") if voting else t("card.duel")
    return CardInputs(
        variant=variant,
        headline=headline,
        home=home,
        away=away,
        versus=t("card.versus") if away else "",
        trade=_trade(client, duel),
        competition=competition,
        score=_score(client, duel),
        vote_url=qr.vote_url(public_url, did) if voting else "",
        url_label=qr.short_url(public_url, did) if voting else "",
    )


def card_path(did: str, variant: str) -> str:
    return f"/cards/duels/{did}/{variant}.png"


def link_preview(
    *,
    public_url: str,
    title: str,
    description: str,
    path: str,
    image_path: str,
    lang: str,
    videos: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The Open Graph / Twitter card fields of a page; every URL absolute."""
    base = public_url.rstrip("/")
    width, height = SIZES["post"]
    return {
        "title": title,
        "description": description,
        "url": f"{base}{path}",
        "image": f"{base}{image_path}" if image_path else "",
        "image_width": width,
        "image_height": height,
        "locale": "de_DE" if lang == "de" else "en_GB",
        "videos": [f"{base}{video}" for video in videos],
    }
