"""Organisations (a regional initiative) own competitions; people hold roles in them.

A role is held in an organisation (all its competitions) or in one competition. Each
membership is written twice in one round trip: in the organisation's or competition's
members hash (who is in here) and in the person's roles hash (what may I do), which is
the one read on every request.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from typing import Any

import orjson
import redis

from duels import accounts, errors, keys
from duels.access import Role, parse_role
from duels.records import Competition, new_id

DEFAULT = "default"
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    name: str
    slug: str
    region: str = ""
    created_at: float = 0.0

    def public(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    email: str
    name: str
    role: Role
    scope: str  # "o:<org>" or "c:<cid>"


def create_organisation(
    client: redis.Redis, name: str, slug: str | None = None, region: str = "", oid: str = ""
) -> Organisation:
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise errors.Invalid("The organisation needs a name.", code="name_required")
    slug = slug or _slugify(name)
    if not _SLUG.match(slug):
        raise errors.Invalid("The slug may hold a-z, 0-9 and '-' only.", code="invalid_slug")
    organisation = Organisation(
        oid or new_id("o"), name, slug, " ".join(region.split())[:80], time.time()
    )
    if not client.hsetnx(keys.ORGANISATION_SLUGS, slug, organisation.id):
        raise errors.Conflict(f"The slug {slug!r} is taken.", code="slug_taken")
    client.hset(keys.ORGANISATIONS, organisation.id, orjson.dumps(organisation.public()))
    return organisation


def get_organisation(client: redis.Redis, oid: str) -> Organisation:
    raw = client.hget(keys.ORGANISATIONS, oid)
    if not raw:
        raise errors.NotFound(f"Unknown organisation {oid!r}.", code="unknown_organisation")
    return Organisation(**orjson.loads(raw))


def organisation_by_slug(client: redis.Redis, slug: str) -> Organisation:
    oid = client.hget(keys.ORGANISATION_SLUGS, slug)
    if not oid:
        raise errors.NotFound(f"Unknown organisation {slug!r}.", code="unknown_organisation")
    return get_organisation(client, str(oid))


def list_organisations(client: redis.Redis) -> list[Organisation]:
    raw: dict[str, str] = client.hgetall(keys.ORGANISATIONS)  # type: ignore[assignment]
    found = [Organisation(**orjson.loads(value)) for value in raw.values()]
    return sorted(found, key=lambda organisation: organisation.name.lower())


def update_organisation(client: redis.Redis, oid: str, name: str, region: str) -> Organisation:
    current = get_organisation(client, oid)
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise errors.Invalid("The organisation needs a name.", code="name_required")
    updated = Organisation(
        current.id, name, current.slug, " ".join(region.split())[:80], current.created_at
    )
    client.hset(keys.ORGANISATIONS, oid, orjson.dumps(updated.public()))
    return updated


def organisation_of(client: redis.Redis, cid: str) -> str:
    return str(client.hget(keys.competition(cid), "organisation") or DEFAULT)


def attach_competition(client: redis.Redis, cid: str, oid: str) -> None:
    get_organisation(client, oid)
    pipe = client.pipeline(transaction=False)
    pipe.hset(keys.competition(cid), "organisation", oid)
    pipe.sadd(keys.organisation_competitions(oid), cid)
    pipe.execute()


def competitions_of(client: redis.Redis, oid: str) -> list[str]:
    return sorted(client.smembers(keys.organisation_competitions(oid)))  # type: ignore[arg-type]


def audit_organisation(
    client: redis.Redis, oid: str, actor: str, action: str, **details: str
) -> None:
    """Append a member change to the organisation's append-only log (who, what, when)."""
    entry = {"who": actor, "what": action, "when": repr(time.time()), **details}
    client.xadd(keys.organisation_audit(oid), entry)  # type: ignore[arg-type]


def organisation_audit_log(client: redis.Redis, oid: str, last: int = 50) -> list[dict[str, str]]:
    """The newest ``last`` entries, newest first."""
    found: list[tuple[str, dict[str, str]]] = client.xrevrange(  # type: ignore[assignment]
        keys.organisation_audit(oid), count=last
    )
    return [{"id": entry_id, **fields} for entry_id, fields in found]


# Members ---------------------------------------------------------------------------


def grant(client: redis.Redis, user_id: str, scope: str, role: Role | str) -> None:
    """Give ``user_id`` ``role`` in ``scope`` ("o:<org>" or "c:<cid>"), replacing the old."""
    role = parse_role(str(role))
    pipe = client.pipeline(transaction=False)
    pipe.hset(_members_key(scope), user_id, role.value)
    pipe.hset(keys.user_roles(user_id), scope, role.value)
    pipe.execute()


def revoke(client: redis.Redis, user_id: str, scope: str) -> None:
    pipe = client.pipeline(transaction=False)
    pipe.hdel(_members_key(scope), user_id)
    pipe.hdel(keys.user_roles(user_id), scope)
    if scope.startswith("c:"):
        pipe.hdel(keys.jury(scope[2:]), user_id)
    pipe.execute()


def members(client: redis.Redis, scope: str) -> list[Member]:
    held: dict[str, str] = client.hgetall(_members_key(scope))  # type: ignore[assignment]
    found = []
    for uid, role in held.items():
        try:
            user = accounts.get_user(client, uid)
        except errors.NotFound:
            continue
        found.append(Member(uid, user.email, user.name, Role(role), scope))
    return sorted(found, key=lambda member: (member.role != Role.OWNER, member.email))


def scopes_of(client: redis.Redis, user_id: str) -> dict[str, Role]:
    held: dict[str, str] = client.hgetall(keys.user_roles(user_id))  # type: ignore[assignment]
    return {scope: Role(role) for scope, role in held.items()}


def owners_left(client: redis.Redis, oid: str) -> int:
    held: dict[str, str] = client.hgetall(keys.organisation_members(oid))  # type: ignore[assignment]
    return sum(role == Role.OWNER for role in held.values())


def invite(client: redis.Redis, email: str, scope: str, role: Role | str, invited_by: str) -> str:
    """A one-time invitation link token for ``email`` to hold ``role`` in ``scope``."""
    email = accounts.normalise_email(email)
    role = parse_role(str(role))
    _members_key(scope)
    return accounts.issue_link(
        client,
        "invite",
        accounts.INVITE_SECONDS,
        email=email,
        scope=scope,
        role=role.value,
        by=invited_by,
    )


def accept_invitation(
    client: redis.Redis, token: str, password: str = "", name: str = "", user_id: str = ""
) -> accounts.User:
    """Join with the invitation: a new account (``password``) or the logged-in one."""
    data = accounts.peek_link(client, token, "invite")
    if user_id:
        user = accounts.get_user(client, user_id)
    else:
        existing = accounts.find_user(client, str(data["email"]))
        if existing is not None:
            raise errors.Conflict(
                "An account with this e-mail exists; log in first.", code="log_in_first"
            )
        accounts.check_password(password)
        user = accounts.create_user(client, str(data["email"]), password, name)
    accounts.use_link(client, token, "invite")
    grant(client, user.id, str(data["scope"]), str(data["role"]))
    return user


def console_index(client: redis.Redis, user_id: str) -> dict[str, Any]:
    """What the console's start page shows ``user_id``: their organisations (with role),
    the competitions they hold any role in, and where they may create one."""
    scopes = scopes_of(client, user_id)
    orgs = {scope[2:]: role for scope, role in scopes.items() if scope.startswith("o:")}
    cids = {scope[2:] for scope in scopes if scope.startswith("c:")}
    for oid in orgs:
        cids.update(competitions_of(client, oid))
    pipe = client.pipeline(transaction=False)
    ordered = sorted(cids)
    for cid in ordered:
        pipe.hgetall(keys.competition(cid))
    records: list[dict[str, str]] = pipe.execute()
    competitions = sorted(
        (Competition.from_redis(record) for record in records if record),
        key=lambda competition: competition.created_at,
        reverse=True,
    )
    known = {organisation.id: organisation for organisation in list_organisations(client)}
    memberships = [(known[oid], role) for oid, role in orgs.items() if oid in known]
    return {
        "competitions": competitions,
        "memberships": memberships,
        "creatable": [org for org, role in memberships if role in (Role.OWNER, Role.HOST)],
        "jury_duty": [scope[2:] for scope, role in scopes.items() if role == Role.JURY],
    }


# Jury ------------------------------------------------------------------------------


def assign_jury(client: redis.Redis, cid: str, user_id: str, duel_ids: list[str]) -> None:
    """The duels ``user_id`` judges in ``cid`` (an empty list: all of them)."""
    client.hset(keys.jury(cid), user_id, ",".join(duel_ids))


def jury_assignments(client: redis.Redis, cid: str) -> dict[str, list[str]]:
    raw: dict[str, str] = client.hgetall(keys.jury(cid))  # type: ignore[assignment]
    return {uid: [d for d in value.split(",") if d] for uid, value in raw.items()}


# Upgrade ---------------------------------------------------------------------------


def ensure_default(client: redis.Redis) -> Organisation:
    """The organisation of an installation's first competitions (created once)."""
    try:
        return get_organisation(client, DEFAULT)
    except errors.NotFound:
        pass
    try:
        return create_organisation(client, "Mach mal", "mach-mal", oid=DEFAULT)
    except errors.Conflict:
        return create_organisation(client, "Mach mal", f"mach-mal-{new_id('', 4)}", oid=DEFAULT)


def upgrade(client: redis.Redis) -> int:
    """Bring a store from before organisations up to date (idempotent; on every start):
    the default organisation exists and owns every competition without one."""
    ensure_default(client)
    return adopt_orphans(client)


def adopt_orphans(client: redis.Redis) -> int:
    """Competitions from before organisations existed join the default one; returns how
    many did. Safe to run on every start."""
    cids: list[str] = sorted(client.smembers(keys.COMPETITIONS))  # type: ignore[arg-type]
    pipe = client.pipeline(transaction=False)
    for cid in cids:
        pipe.hget(keys.competition(cid), "organisation")
    found = pipe.execute()
    orphans = [cid for cid, oid in zip(cids, found, strict=True) if not oid]
    if orphans:
        ensure_default(client)
        for cid in orphans:
            attach_competition(client, cid, DEFAULT)
    return len(orphans)


def _members_key(scope: str) -> str:
    kind, _, ident = scope.partition(":")
    if kind == "o" and ident:
        return keys.organisation_members(ident)
    if kind == "c" and ident:
        return keys.competition_members(ident)
    raise errors.Invalid(f"Unknown scope {scope!r}.", code="invalid_scope")


def _slugify(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")
    return slug[:63].strip("-") or new_id("o").lower()
