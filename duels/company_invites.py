"""What became of each company's invite link: when the current one was issued (and by
whom), first and last opened, mailed or revoked; the contact address the host set; and,
per duel of the current round, the team's video and the deadline.

The store keeps only hashes of invite tokens, so nothing here can show a link again:
showing or mailing one always means issuing a new one (``store.rotate_invite``).
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from typing import Any

import redis

from duels import keys, store, tournament, videos
from duels.errors import Invalid
from duels.records import Company

_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
NEEDS_VIDEO = (None, "rejected")


@dataclass(frozen=True, slots=True)
class InviteState:
    company: str
    name: str
    email: str
    active: bool  # a link of this company works now
    issued_at: float | None
    issued_by: str
    opened_first: float | None
    opened_last: float | None
    mailed_at: float | None
    revoked_at: float | None
    revoked_by: str
    duels: tuple[dict[str, Any], ...]

    def public(self) -> dict[str, Any]:
        return {**asdict(self), "duels": list(self.duels)}


def _time(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def _owners(client: redis.Redis) -> set[str]:
    """``"<cid> <company>"`` of every company with a working link."""
    return {str(owner) for owner in client.hvals(keys.COMPANY_TOKENS)}


def states(client: redis.Redis, cid: str) -> list[InviteState]:
    companies = store.list_companies(client, cid)
    pipe = client.pipeline(transaction=False)
    for company in companies:
        pipe.hgetall(keys.company_invite(cid, company.id))
    records: list[dict[str, str]] = pipe.execute()
    owners = _owners(client)
    bracket = tournament.load_bracket(client, cid)
    rows = videos.submissions(client, cid, bracket.round) if bracket else []
    return [
        InviteState(
            company=company.id,
            name=company.name,
            email=record.get("email", ""),
            active=f"{cid} {company.id}" in owners,
            issued_at=_time(record.get("issued_at")),
            issued_by=record.get("issued_by", ""),
            opened_first=_time(record.get("opened_first")),
            opened_last=_time(record.get("opened_last")),
            mailed_at=_time(record.get("mailed_at")),
            revoked_at=_time(record.get("revoked_at")),
            revoked_by=record.get("revoked_by", ""),
            duels=tuple(
                {
                    "duel": row["duel"],
                    "round": row["round"],
                    "match": row["match"],
                    "team": row["team"],
                    "team_name": row["team_name"],
                    "video": row["status"],
                    "submit_until": row["submit_until"],
                }
                for row in rows
                if row["company"] == company.id
            ),
        )
        for company, record in zip(companies, records, strict=True)
    ]


def note_opened(client: redis.Redis, company: Company) -> None:
    """The portal was opened with the company's link (one round trip)."""
    key = keys.company_invite(company.competition, company.id)
    now = repr(time.time())
    pipe = client.pipeline(transaction=False)
    pipe.hsetnx(key, "opened_first", now)
    pipe.hset(key, "opened_last", now)
    pipe.execute()


def revoke(client: redis.Redis, cid: str, company_id: str, actor: str = "host") -> int:
    """Every invite link of the company stops working; returns how many there were."""
    company = store.get_company(client, cid, company_id)
    owner = f"{cid} {company.id}"
    stale = [d for d, o in client.hgetall(keys.COMPANY_TOKENS).items() if o == owner]
    if stale:
        client.hdel(keys.COMPANY_TOKENS, *stale)
    key = keys.company_invite(cid, company.id)
    client.hset(key, mapping={"revoked_at": repr(time.time()), "revoked_by": actor})
    store.audit(client, cid, actor, "invite_revoked", company=company.id, links=len(stale))
    return len(stale)


def set_email(client: redis.Redis, cid: str, company_id: str, email: str, actor: str) -> str:
    """The company contact's address ("" removes it); the audit log never holds it."""
    company = store.get_company(client, cid, company_id)
    cleaned = email.strip()
    key = keys.company_invite(cid, company.id)
    if not cleaned:
        client.hdel(key, "email")
    elif len(cleaned) > 254 or not _EMAIL.match(cleaned) or ".." in cleaned:
        raise Invalid("That is not an e-mail address.", code="contact_email_invalid")
    else:
        client.hset(key, "email", cleaned)
    store.audit(client, cid, actor, "contact_set" if cleaned else "contact_removed",
                company=company.id)  # fmt: skip
    return cleaned


def contact(client: redis.Redis, cid: str, company_id: str) -> str:
    return str(client.hget(keys.company_invite(cid, company_id), "email") or "")


def is_revoked(client: redis.Redis, cid: str, company_id: str) -> bool:
    return bool(client.hexists(keys.company_invite(cid, company_id), "revoked_at"))


def note_mailed(client: redis.Redis, cid: str, company_id: str) -> None:
    client.hset(keys.company_invite(cid, company_id), "mailed_at", repr(time.time()))


# Deadline reminders (the RQ side is workers.company_mail) --------------------------------


def reminder_job(client: redis.Redis, did: str) -> str:
    return str(client.hget(keys.duel_reminder(did), "job") or "")


def set_reminder(client: redis.Redis, did: str, job_id: str, deadline: float | None) -> None:
    key = keys.duel_reminder(did)
    if deadline is None:
        client.hdel(key, "job", "deadline")
    else:
        client.hset(key, mapping={"job": job_id, "deadline": repr(deadline)})


def reminder_due(client: redis.Redis, did: str, job_id: str, deadline: float) -> bool:
    """The job ``job_id`` is still the duel's reminder, for the deadline it was made for."""
    record: dict[str, str] = client.hgetall(keys.duel_reminder(did))  # type: ignore[assignment]
    duel = store.get_duel(client, did)
    return (
        record.get("job") == job_id
        and record.get("deadline") == repr(deadline)
        and videos.deadline_of(duel) == deadline
        and duel.status == "pending"
        and time.time() < deadline
    )


@dataclass(frozen=True, slots=True)
class Reminder:
    company: Company
    email: str
    team_name: str
    opponent: str


def reminders(client: redis.Redis, did: str, deadline: float) -> list[Reminder]:
    """Companies with a contact address whose team has no video for ``did`` yet (and not
    reminded of this deadline, and whose link is not revoked)."""
    duel = store.get_duel(client, did)
    cid = duel.competition
    record: dict[str, str] = client.hgetall(keys.duel_reminder(did))  # type: ignore[assignment]
    found = videos.videos_of_duel(client, did)
    due: list[Reminder] = []
    seen: set[str] = set()
    sides = ((duel.home, duel.home_company, duel.home_name, duel.away_name),
             (duel.away, duel.away_company, duel.away_name, duel.home_name))  # fmt: skip
    for team, company_id, name, opponent in sides:
        video = found.get(team)
        if not team or (video.status if video else None) not in NEEDS_VIDEO:
            continue
        if record.get(f"sent:{company_id}") == repr(deadline):
            continue
        email = contact(client, cid, company_id)
        if email and not is_revoked(client, cid, company_id) and company_id not in seen:
            seen.add(company_id)
            company = store.get_company(client, cid, company_id)
            due.append(Reminder(company, email, name, opponent))
    return due


def note_reminded(
    client: redis.Redis, did: str, company_id: str, deadline: float, actor: str
) -> None:
    duel = store.get_duel(client, did)
    client.hset(keys.duel_reminder(did), f"sent:{company_id}", repr(deadline))
    store.audit(client, duel.competition, actor, "reminder_sent", duel=did, company=company_id)
