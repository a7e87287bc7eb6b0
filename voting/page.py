"""What the vote page, the poster and the QR endpoints read about a duel.

Reads the records exactly as the domain contract (``duels/store.py``) writes them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis

from duels import keys


@dataclass(frozen=True, slots=True)
class Side:
    team_id: str
    name: str
    company: str
    video: str  # URL path of the video, "" while none
    trade: str = ""  # the team's own trade (a duel may pair two trades)
    poster: str = ""  # URL path of the poster image
    video_type: str = ""
    link: str = ""  # an approved link-out (YouTube, Instagram, TikTok), shown as a card
    width: int = 0  # the served file's frame size (0 while unknown)
    height: int = 0

    @property
    def orientation(self) -> str:
        return orientation(self.width, self.height)


def orientation(width: int | None, height: int | None) -> str:
    """ "portrait", "landscape" or "square" (within 5 %); phones film portrait, so unknown
    sizes count as portrait."""
    if not width or not height:
        return "portrait"
    if abs(width - height) <= 0.05 * max(width, height):
        return "square"
    return "portrait" if height > width else "landscape"


def _size(value: object) -> int:
    try:
        size = int(str(value or 0))
    except ValueError:
        return 0
    return size if 0 < size <= 16384 else 0


@dataclass(frozen=True, slots=True)
class DuelView:
    id: str
    competition: str
    trade: str
    title: str
    status: str
    opens_at: float | None
    closes_at: float | None
    show_results: bool
    sides: tuple[Side, ...]
    admission: str = "open"  # the mode in force (fixed when voting opened)
    admission_choice: str = ""  # the host's choice for the duel before it opens

    def is_open(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        if self.status != "voting":
            return False
        if self.opens_at is not None and now < self.opens_at:
            return False
        return self.closes_at is None or now < self.closes_at


def _media_path(value: str) -> str:
    if not value:
        return ""
    return value if value.startswith("/") else f"/media/{value}"


def _epoch(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


async def load_duel(client: aioredis.Redis, did: str) -> DuelView | None:
    record: dict[str, str] = await client.hgetall(keys.duel(did))  # type: ignore[assignment]
    return await view_of(client, did, record) if record else None


class Roster:
    """Team records and company names per competition, kept ``ttl`` seconds in this
    process: every phone's vote page shows them, and they change between rounds, not
    between taps (the duel's own record, with its status, is always read fresh)."""

    def __init__(self, ttl: float = 5.0, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
        self._kept: dict[tuple[str, ...], tuple[float, Any]] = {}

    async def read(self, client: aioredis.Redis, key: str, ids: list[str]) -> list[str | None]:
        wanted = (key, *ids)
        kept = self._kept.get(wanted)
        now = time.monotonic()
        if kept is not None and kept[0] > now:
            return list(kept[1])
        values: list[str | None] = await client.hmget(key, ids)  # type: ignore[assignment]
        if len(self._kept) >= self.size:
            self._kept.clear()
        self._kept[wanted] = (now + self.ttl, tuple(values))
        return list(values)


async def view_of(
    client: aioredis.Redis, did: str, record: dict[str, str], roster: Roster | None = None
) -> DuelView:
    """The duel's page view from its record (team and company names read, or kept)."""

    async def read(key: str, ids: list[str]) -> list[str | None]:
        if roster is not None:
            return await roster.read(client, key, ids)
        return await client.hmget(key, ids)  # type: ignore[return-value]

    cid = record.get("competition", "")
    team_ids = [record.get("home", ""), record.get("away", "")]
    team_ids = [team for team in team_ids if team]
    companies: dict[str, str] = {}
    teams: dict[str, dict[str, object]] = {}
    if cid and team_ids:
        raw_teams = await read(keys.teams(cid), team_ids)
        for team_id, raw in zip(team_ids, raw_teams, strict=True):
            if raw:
                teams[team_id] = orjson.loads(raw)
        company_ids = [record.get(f"{side}_company", "") for side in ("home", "away")]
        company_ids = [company for company in company_ids if company]
        if company_ids:
            raw_companies = await read(keys.companies(cid), company_ids)
            for company_id, raw in zip(company_ids, raw_companies, strict=True):
                if raw:
                    companies[company_id] = str(orjson.loads(raw).get("name", ""))
    sizes = await _video_sizes(client, did, record)
    sides = []
    for side in ("home", "away"):
        team_id = record.get(side, "")
        if not team_id:
            continue
        team = teams.get(team_id, {})
        width, height = sizes.get(side, (0, 0))
        sides.append(
            Side(
                team_id=team_id,
                name=record.get(f"{side}_name") or str(team.get("name", team_id)),
                company=companies.get(record.get(f"{side}_company", ""), ""),
                video=_media_path(record.get(f"{side}_video", "")),
                trade=str(team.get("trade", "")),
                poster=_media_path(record.get(f"{side}_poster", "")),
                video_type=record.get(f"{side}_video_type", ""),
                link=record.get(f"{side}_video_link", ""),
                width=width,
                height=height,
            )
        )
    return DuelView(
        id=did,
        competition=cid,
        trade=record.get("trade", ""),
        title=record.get("title", ""),
        status=record.get("status", ""),
        opens_at=_epoch(record.get("opens_at")),
        closes_at=_epoch(record.get("closes_at")),
        show_results=record.get("show_results") == "1",
        sides=tuple(sides),
        admission=record.get("admission") or "open",
        admission_choice=record.get("admission_choice", ""),
    )


async def _video_sizes(
    client: aioredis.Redis, did: str, record: dict[str, str]
) -> dict[str, tuple[int, int]]:
    """Frame size per side: the duel hash's mirror of the served rendition, else the
    video record's probe result."""
    sizes: dict[str, tuple[int, int]] = {}
    missing: dict[str, str] = {}  # side -> team whose record is read
    for side in ("home", "away"):
        if not record.get(f"{side}_video"):
            continue
        width = _size(record.get(f"{side}_video_width"))
        height = _size(record.get(f"{side}_video_height"))
        if width and height:
            sizes[side] = (width, height)
        elif record.get(side):
            missing[side] = record[side]
    if missing:
        raws = await client.hmget(keys.videos(did), list(missing.values()))
        for side, raw in zip(missing, raws, strict=True):
            if raw:
                data = orjson.loads(raw)
                sizes[side] = (_size(data.get("width")), _size(data.get("height")))
    return sizes


@dataclass(frozen=True, slots=True)
class VoterState:
    voted: bool
    counts: dict[str, int]  # provisional counts per team
    present: bool = False  # venue mode: scanned a code of the screen lately


def voter_state_of(
    voter_id: str | None,
    subject: str | None,
    voted: object,
    counts: dict[str, str],
    mark: object,
    subject_voted: object,
    valid_ms: int,
) -> VoterState:
    present = False
    if voter_id and mark:
        _, _, marked = str(mark).partition(" ")
        present = marked.isdigit() and time.time() * 1000 - int(marked) <= valid_ms
    return VoterState(
        voted=(bool(voted) and bool(voter_id)) or (bool(subject_voted) and bool(subject)),
        counts={team: int(n) for team, n in counts.items()},
        present=present,
    )


async def voter_state(
    client: aioredis.Redis,
    did: str,
    voter_id: str | None,
    subject: str | None = None,
    *,
    valid_ms: int = 0,
) -> VoterState:
    """Has this voter (or its admission subject) voted here, is it marked present, and
    the provisional counts: one round trip."""
    async with client.pipeline(transaction=False) as pipe:
        pipe.sismember(keys.voters(did), voter_id or "")
        pipe.hgetall(keys.provisional(did))
        pipe.hget(keys.present(did), voter_id or "")
        pipe.sismember(keys.subjects(did), subject or "")
        voted, counts, mark, subject_voted = await pipe.execute()
    return voter_state_of(voter_id, subject, voted, counts, mark, subject_voted, valid_ms)


async def mark_present(client: aioredis.Redis, did: str, voter_id: str, slot: int) -> None:
    """Venue mode: this voter scanned the screen's code of ``slot`` just now."""
    await client.hset(keys.present(did), voter_id, f"{slot:x} {int(time.time() * 1000)}")
