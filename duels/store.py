"""Competitions, companies, teams and the audit log, stored in Redis.

Functions take a blocking client with ``decode_responses=True``; the web app
runs them in its thread pool and the workers call them directly.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from typing import Any

import redis
import redis.asyncio as aioredis

from duels import keys
from duels.errors import Conflict, Invalid, NotFound
from duels.records import AdmissionMode, Company, Competition, Duel, Team, new_id

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_FIRST_NAME = re.compile(r"^[^\W\d_][^\W\d_'’ -]*(?:['’ -][^\W\d_]+)?$")
MAX_MEMBERS = 12


# Competitions -----------------------------------------------------------------


def create_competition(
    client: redis.Redis,
    title: str,
    slug: str | None = None,
    *,
    audience_weight: float = 1.0,
    tie_breakers: tuple[str, ...] = ("jury", "fewer_quarantined", "seeded_draw"),
    admission: AdmissionMode = "open",
    organisation: str = "default",
    actor: str = "host",
) -> Competition:
    """A new competition owned by ``organisation`` (duels.organisations checks it exists)."""
    title = _required_text(title, "title", 120)
    slug = slug or _slugify(title)
    if not _SLUG.match(slug):
        raise Invalid("The slug may hold a-z, 0-9 and '-' only.", code="invalid_slug")
    if not 0 <= audience_weight <= 1:
        raise Invalid("The audience weight must be between 0 and 1.", code="invalid_rule")
    competition = Competition(
        id=new_id("c"),
        title=title,
        slug=slug,
        created_at=time.time(),
        audience_weight=audience_weight,
        tie_breakers=tie_breakers,
        admission=admission,
    )
    if not client.hsetnx(keys.COMPETITION_SLUGS, slug, competition.id):
        raise Conflict(f"The slug {slug!r} is taken.", code="slug_taken")
    pipe = client.pipeline(transaction=False)
    pipe.hset(keys.competition(competition.id), mapping=competition.to_redis())
    pipe.hset(keys.competition(competition.id), "organisation", organisation)
    pipe.sadd(keys.COMPETITIONS, competition.id)
    pipe.sadd(keys.organisation_competitions(organisation), competition.id)
    pipe.execute()
    audit(client, competition.id, actor, "competition_created", title=title)
    return competition


def get_competition(client: redis.Redis, cid: str) -> Competition:
    data: dict[str, str] = client.hgetall(keys.competition(cid))  # type: ignore[assignment]
    if not data:
        raise NotFound(f"Unknown competition {cid!r}.", code="unknown_competition")
    return Competition.from_redis(data)


def competition_by_slug(client: redis.Redis, slug: str) -> Competition:
    cid = client.hget(keys.COMPETITION_SLUGS, slug)
    if not cid:
        raise NotFound(f"Unknown competition {slug!r}.", code="unknown_competition")
    return get_competition(client, str(cid))


async def list_competitions(client: aioredis.Redis) -> list[dict[str, Any]]:
    ids = sorted(str(cid) for cid in await client.smembers(keys.COMPETITIONS))
    if not ids:
        return []
    async with client.pipeline(transaction=False) as pipe:
        for cid in ids:
            pipe.hgetall(keys.competition(cid))
        records = await pipe.execute()
    found = [Competition.from_redis(record).public() for record in records if record]
    return sorted(found, key=lambda c: c["created_at"], reverse=True)


# Companies and their invite tokens --------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_company(
    client: redis.Redis, cid: str, name: str, actor: str = "host"
) -> tuple[Company, str]:
    """Create a company; returns it and its invite token (shown once, stored hashed)."""
    get_competition(client, cid)
    company = Company(id=new_id("co"), competition=cid, name=_required_text(name, "name", 120))
    token = secrets.token_urlsafe(24)
    client.hset(keys.companies(cid), company.id, company.to_json())
    client.hset(keys.COMPANY_TOKENS, token_hash(token), f"{cid} {company.id}")
    _note_issued(client, cid, company.id, actor)
    audit(client, cid, actor, "company_added", company=company.id, name=company.name)
    return company, token


def rotate_invite(client: redis.Redis, cid: str, company_id: str, actor: str = "host") -> str:
    """Revoke the company's invite token(s) and issue a new one."""
    company = get_company(client, cid, company_id)
    stale = [
        digest
        for digest, owner in client.hgetall(keys.COMPANY_TOKENS).items()
        if owner == f"{cid} {company.id}"
    ]
    if stale:
        client.hdel(keys.COMPANY_TOKENS, *stale)
    token = secrets.token_urlsafe(24)
    client.hset(keys.COMPANY_TOKENS, token_hash(token), f"{cid} {company.id}")
    _note_issued(client, cid, company.id, actor)
    audit(client, cid, actor, "invite_reissued", company=company.id)
    return token


def _note_issued(client: redis.Redis, cid: str, company_id: str, actor: str) -> None:
    """A new link: forget when the old one was opened or revoked (duels.company_invites)."""
    key = keys.company_invite(cid, company_id)
    pipe = client.pipeline(transaction=False)
    pipe.hdel(key, "opened_first", "opened_last", "revoked_at", "revoked_by")
    pipe.hset(key, mapping={"issued_at": repr(time.time()), "issued_by": actor})
    pipe.execute()


def company_for_token(client: redis.Redis, token: str) -> Company | None:
    owner = client.hget(keys.COMPANY_TOKENS, token_hash(token))
    if not owner:
        return None
    cid, _, company_id = str(owner).partition(" ")
    try:
        return get_company(client, cid, company_id)
    except NotFound:
        return None


def get_company(client: redis.Redis, cid: str, company_id: str) -> Company:
    raw = client.hget(keys.companies(cid), company_id)
    if not raw:
        raise NotFound(
            f"Company {company_id!r} is not part of competition {cid!r}.", code="unknown_company"
        )
    return Company.from_json(str(raw))


def list_companies(client: redis.Redis, cid: str) -> list[Company]:
    raw: dict[str, str] = client.hgetall(keys.companies(cid))  # type: ignore[assignment]
    return sorted((Company.from_json(v) for v in raw.values()), key=lambda c: c.name.lower())


# Teams -------------------------------------------------------------------------


def add_team(
    client: redis.Redis,
    cid: str,
    company_id: str,
    name: str,
    trade: str,
    members: tuple[str, ...] = (),
    actor: str = "host",
) -> Team:
    get_competition(client, cid)
    if client.exists(keys.bracket(cid)):
        raise Conflict("The bracket is drawn; no more teams.", code="bracket_drawn")
    company = get_company(client, cid, company_id)
    if len(members) > MAX_MEMBERS:
        raise Invalid(f"At most {MAX_MEMBERS} members.", code="too_many_members")
    for member in members:
        if len(member) > 40 or not _FIRST_NAME.match(member.strip()):
            raise Invalid(
                "Members are given by first name only (letters, one hyphen or space).",
                code="invalid_member",
            )
    team = Team(
        id=new_id("t"),
        competition=cid,
        company_id=company.id,
        name=_required_text(name, "name", 80),
        trade=_required_text(trade, "trade", 80),
        members=tuple(member.strip() for member in members),
    )
    client.hset(keys.teams(cid), team.id, team.to_json())
    audit(client, cid, actor, "team_added", team=team.id, name=team.name)
    return team


def get_team(client: redis.Redis, cid: str, team_id: str) -> Team:
    raw = client.hget(keys.teams(cid), team_id)
    if not raw:
        raise NotFound(f"Unknown team {team_id!r}.", code="unknown_team")
    return Team.from_json(str(raw))


def list_teams(client: redis.Redis, cid: str) -> list[Team]:
    raw: dict[str, str] = client.hgetall(keys.teams(cid))  # type: ignore[assignment]
    return sorted((Team.from_json(v) for v in raw.values()), key=lambda t: (t.name.lower(), t.id))


# Duels (records only; the flows are in duels.tournament) ------------------------


def get_duel(client: redis.Redis, did: str) -> Duel:
    data: dict[str, str] = client.hgetall(keys.duel(did))  # type: ignore[assignment]
    if not data:
        raise NotFound(f"Unknown duel {did!r}.", code="unknown_duel")
    return Duel.from_redis(data)


def duels_of_competition(client: redis.Redis, cid: str) -> list[Duel]:
    index: dict[str, str] = client.hgetall(keys.duel_index(cid))  # type: ignore[assignment]
    pipe = client.pipeline(transaction=False)
    for did in index.values():
        pipe.hgetall(keys.duel(did))
    return [Duel.from_redis(data) for data in pipe.execute() if data]


# Audit log ---------------------------------------------------------------------


def audit(
    client: redis.Redis | Any, cid: str, actor: str, action: str, reason: str = "", **details: Any
) -> None:
    """Append one host action to the competition's append-only log (who, what, when, why)."""
    entry: dict[Any, Any] = {"who": actor, "what": action, "when": repr(time.time()), "why": reason}
    entry.update({key: str(value) for key, value in details.items()})
    client.xadd(keys.audit(cid), entry)


def audit_log(client: redis.Redis, cid: str) -> list[dict[str, str]]:
    get_competition(client, cid)
    entries: list[tuple[str, dict[str, str]]] = client.xrange(keys.audit(cid))  # type: ignore[assignment]
    return [{"id": entry_id, **fields} for entry_id, fields in entries]


def _required_text(value: str, field: str, limit: int) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise Invalid(f"{field} must not be empty.", code=f"{field}_required")
    if len(cleaned) > limit:
        raise Invalid(f"{field} is longer than {limit} characters.", code=f"{field}_too_long")
    return cleaned


def _slugify(title: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower().translate(table)).strip("-")[:40]
    return f"{slug or 'wettbewerb'}-{secrets.token_hex(2)}"
