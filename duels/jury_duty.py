"""Who judges which duel: the jury of a competition with their assignments, what each
duel of a round still waits for, and the duels one person judges (their phone page).

A jury member without an assignment judges nothing yet; an empty assignment means every
duel of the competition (``organisations.assign_jury``).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from duels import errors, jury, keys, organisations, store
from duels.access import Role
from duels.records import Duel, Team

POINTS_MAX = 10  # the scale of the jury page's number inputs


@dataclass(frozen=True, slots=True)
class Juror:
    user_id: str
    email: str
    name: str
    scope: str  # where the role is held: "o:<org>" or "c:<cid>"
    assigned: tuple[str, ...] | None  # None: nothing yet; (): every duel


@dataclass(frozen=True, slots=True)
class Side:
    team_id: str
    name: str
    company: str
    trade: str
    video: str  # the approved upload's URL path, "" without one
    link: str  # the approved link-out, "" without one


@dataclass(frozen=True, slots=True)
class Duty:
    """One duel on a jury member's page, with their own points so far."""

    competition: str
    competition_title: str
    duel: Duel
    sides: tuple[Side, Side]
    mine: jury.JuryScore | None

    @property
    def open(self) -> bool:
        return self.duel.status in jury.OPEN_FOR_JURY


def jurors(client: redis.Redis, cid: str) -> list[Juror]:
    """Members holding the jury role for ``cid`` (in it, or in its organisation)."""
    scopes = (f"o:{organisations.organisation_of(client, cid)}", f"c:{cid}")
    found: dict[str, organisations.Member] = {}
    for scope in scopes:
        for member in organisations.members(client, scope):
            if member.role == Role.JURY:
                found[member.user_id] = member
    assignments = organisations.jury_assignments(client, cid)
    return [
        Juror(
            member.user_id,
            member.email,
            member.name,
            member.scope,
            tuple(assignments[uid]) if uid in assignments else None,
        )
        for uid, member in sorted(found.items(), key=lambda item: item[1].email)
    ]


def assign(
    client: redis.Redis, cid: str, user_id: str, duel_ids: list[str] | None, actor: str
) -> None:
    """``duel_ids`` for ``user_id``: a list of duels, [] for all of them, None for none."""
    juror = next((j for j in jurors(client, cid) if j.user_id == user_id), None)
    if juror is None:
        raise errors.NotFound("This person is not on the jury here.", code="unknown_juror")
    known = {duel.id for duel in store.duels_of_competition(client, cid) if duel.away}
    chosen = sorted(set(duel_ids or ()))
    if not known.issuperset(chosen):
        raise errors.Invalid("A chosen duel is not in this competition.", code="unknown_duel")
    if duel_ids is None:
        client.hdel(keys.jury(cid), user_id)
    else:
        organisations.assign_jury(client, cid, user_id, chosen)
    duels = "none" if duel_ids is None else ",".join(chosen) or "all"
    store.audit(client, cid, actor, "jury_assigned", juror=juror.email, duels=duels)


def missing_in_round(client: redis.Redis, cid: str, round_: int) -> dict[str, dict[str, list[str]]]:
    """Per duel of round ``round_`` (byes left out): the e-mails of the jury members who
    should score it, ``expected``, and of those who have not yet, ``missing``."""
    emails = {juror.user_id: juror.email for juror in jurors(client, cid)}
    found = {}
    for duel in store.duels_of_competition(client, cid):
        if duel.round != round_ or not duel.away:
            continue
        expected = [uid for uid in jury.expected_jurors(client, cid, duel.id) if uid in emails]
        absent = set(jury.missing(client, cid, duel.id))
        found[duel.id] = {
            "expected": [emails[uid] for uid in expected],
            "missing": [emails[uid] for uid in expected if uid in absent],
        }
    return found


def duties(client: redis.Redis, user_id: str) -> list[Duty]:
    """Every duel assigned to ``user_id`` as a jury member: open ones first."""
    cids: set[str] = set()
    for scope, role in organisations.scopes_of(client, user_id).items():
        if role != Role.JURY:
            continue
        kind, _, ident = scope.partition(":")
        cids.update(organisations.competitions_of(client, ident) if kind == "o" else [ident])
    found: list[Duty] = []
    for cid in sorted(cids):
        assigned = organisations.jury_assignments(client, cid).get(user_id)
        if assigned is None:
            continue
        try:
            competition = store.get_competition(client, cid)
        except errors.NotFound:
            continue
        teams = {team.id: team for team in store.list_teams(client, cid)}
        companies = {company.id: company.name for company in store.list_companies(client, cid)}
        for duel in store.duels_of_competition(client, cid):
            if not duel.away or (assigned and duel.id not in assigned):
                continue
            mine = next((s for s in jury.scores(client, duel.id) if s.user_id == user_id), None)
            sides = (_side(duel, "home", teams, companies), _side(duel, "away", teams, companies))
            found.append(Duty(cid, competition.title, duel, sides, mine))
    return sorted(
        found, key=lambda d: (not d.open, d.competition_title, d.duel.round, d.duel.match)
    )


def _side(duel: Duel, side: str, teams: dict[str, Team], companies: dict[str, str]) -> Side:
    home = side == "home"
    team_id = duel.home if home else duel.away
    team = teams.get(team_id)
    return Side(
        team_id=team_id,
        name=(duel.home_name if home else duel.away_name) or (team.name if team else team_id),
        company=companies.get(duel.home_company if home else duel.away_company, ""),
        trade=(team.trade if team else "") or duel.trade,
        video=duel.extra.get(f"{side}_video", ""),
        link=duel.extra.get(f"{side}_video_link", ""),
    )
