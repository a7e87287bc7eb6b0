"""Reach figures without tracking: aggregated counters per duel, team, company and day.

What is counted, each once per voter and day (Europe/Berlin):

- a view of a duel's vote page (in the page's own Redis step, ``page.lua``; see
  :class:`voting.page_reader.PageReader`),
- a play and an end of a team's video on that page (``vote.js`` sends them, ``reach.lua``),
- a click on an apprenticeship place's link through ``/go/{cid}/{place}`` (``reach.lua``).

"Once" uses what voting already has: the voter id of the signed voter cookie, or for a
click without one a keyed hash of address and user agent (``VoteSecrets.keyed_hash``).
Those sit in a "seen" set per day that expires after two days (and
``duels.privacy.purge`` deletes); the counters hold numbers only (``duels/keys.py``).
Link previews, crawlers and scripts are not counted (:func:`is_bot`).
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis

from duels import errors, keys
from voting.batcher import ScriptBatcher

SCRIPT = (Path(__file__).parent / "reach.lua").read_text("utf-8")
BERLIN = ZoneInfo("Europe/Berlin")
SEEN_TTL_SECONDS = 2 * 86400
EVENTS = ("play", "end")
Event = Literal["play", "end"]
MAX_AGENT_CHARS = 512

# Link previews (messengers, social networks), search engines, HTTP tools and anything that
# calls itself a bot, crawler or spider. "HeadlessChrome" (our browser tests, and a few
# real phones' in-app browsers) is a browser; Cubot is a phone brand, not a bot.
_BOTS = re.compile(
    r"whatsapp|facebookexternalhit|facebookcatalog|meta-externalagent|twitterbot|slackbot"
    r"|telegrambot|discordbot|linkedinbot|googlebot|google-inspectiontool|bingbot"
    r"|baiduspider|duckduckbot|applebot|petalbot|skypeuripreview|embedly"
    r"|curl/|wget/|python-requests|python-urllib|python-httpx|aiohttp|go-http-client|okhttp"
    r"|libwww|bot\b|crawler|spider",
    re.IGNORECASE,
)
_NOT_BOTS = re.compile(r"cubot", re.IGNORECASE)


@lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """A link preview, crawler or script (not counted); an empty user agent is one too."""
    agent = user_agent[:MAX_AGENT_CHARS].strip()
    if not agent:
        return True
    if _NOT_BOTS.search(agent):
        agent = _NOT_BOTS.sub("", agent)
    return _BOTS.search(agent) is not None


_today: tuple[float, str] = (0.0, "")  # (the next midnight in Berlin, today there)


def today(now: float | None = None) -> str:
    """The day "YYYY-MM-DD" in Europe/Berlin (cached until the next midnight there)."""
    global _today
    if now is not None:
        return datetime.fromtimestamp(now, BERLIN).strftime("%Y-%m-%d")
    current = time.time()
    until, day = _today
    if current < until:
        return day
    local = datetime.fromtimestamp(current, BERLIN)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    day = local.strftime("%Y-%m-%d")
    _today = (midnight.timestamp(), day)
    return day


def viewer(voter_id: str, user_agent: str) -> str:
    """Whose view of a vote page counts: the voter, or "" for a bot."""
    return "" if is_bot(user_agent) else voter_id


def click_member(place_id: str, voter_id: str | None, visitor_hash: str) -> str:
    """The "seen" member of a click: the voter's id, or the keyed hash of address and user
    agent of a visitor without a voter cookie (no new cookie for them)."""
    return f"{place_id}:v:{voter_id}" if voter_id else f"{place_id}:h:{visitor_hash}"


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class ReachCounter:
    """Plays, ends and clicks, each one script call (batched like votes)."""

    def __init__(self, client: aioredis.Redis, timeout: float) -> None:
        self.client = client
        self.batcher = ScriptBatcher(client, SCRIPT, timeout=timeout)

    async def video(self, did: str, team_id: str, event: str, voter_id: str, day: str) -> bool:
        """Count ``event`` ("play" / "end") of ``team_id``'s video in duel ``did`` for the
        voter once on ``day``; True when it counted now. 404 ``unknown_duel``, 422
        ``reach_event_invalid`` / ``team_not_in_duel``."""
        if event not in EVENTS:
            raise errors.Invalid('event is "play" or "end".', code="reach_event_invalid")
        reply = _text(
            await self.batcher.call(
                (keys.reach_seen(did, day), keys.reach(did), keys.duel(did)),
                (
                    f"{event}:{team_id}:{voter_id}",
                    str(SEEN_TTL_SECONDS),
                    team_id,
                    f"{day}:{event}s:{team_id}",
                ),
            )
        )
        if reply == "unknown_duel":
            raise errors.NotFound("There is no such duel.", code="unknown_duel")
        if reply == "team_not_in_duel":
            raise errors.Invalid("This team is not in the duel.", code="team_not_in_duel")
        return reply == "1"

    async def click(
        self, cid: str, company_id: str, place_id: str, member: str, day: str, from_duel: str = ""
    ) -> bool:
        """Count a click on ``place_id`` (of ``company_id``) once per ``member`` and day,
        and for the duel page it came from (``from_duel``, already checked to be one of the
        competition's); True when it counted now."""
        fields = [f"{day}:place:{company_id}:{place_id}"]
        if from_duel:
            fields.append(f"{day}:from:{from_duel}:{company_id}")
        reply = await self.batcher.call(
            (keys.clicks_seen(cid, day), keys.clicks(cid)),
            (member, str(SEEN_TTL_SECONDS), "", *fields),
        )
        return _text(reply) == "1"
