"""The reach figures as a company sees them (and hosts, for every company): per day and
per duel its teams play, the vote page views, the plays and ends of its team's video, the
completion rate, the official votes and the clicks on its apprenticeship places.

Reads only the aggregated counters of ``voting.reach`` (``keys.reach``, ``keys.clicks``)
and the duels' official counts; nothing here knows a voter.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import redis

from duels import apprenticeships, keys, store
from duels.records import Duel


@dataclass(frozen=True, slots=True)
class Numbers:
    views: int = 0
    plays: int = 0
    ends: int = 0
    votes: int = 0
    clicks: int = 0

    @property
    def completion(self) -> int | None:
        """Ends per play in whole percent; None without plays."""
        return round(100 * self.ends / self.plays) if self.plays else None

    def __add__(self, other: Numbers) -> Numbers:
        return Numbers(
            self.views + other.views,
            self.plays + other.plays,
            self.ends + other.ends,
            self.votes + other.votes,
            self.clicks + other.clicks,
        )


@dataclass(frozen=True, slots=True)
class DuelLine:
    """One duel a team of the company plays: views of its page, plays / ends of the team's
    video, the team's official votes, the clicks on the company's places from that page.
    ``day`` is "" for the duel's totals over all days (the votes are only there)."""

    day: str
    duel_id: str
    title: str
    team_id: str
    team: str
    opponent: str
    numbers: Numbers


@dataclass(frozen=True, slots=True)
class PlaceLine:
    place_id: str
    trade: str  # "" for a place removed since
    starts: str
    clicks: int


@dataclass(frozen=True, slots=True)
class CompanyFigures:
    company_id: str
    name: str
    days: tuple[tuple[str, Numbers], ...]  # per day: views, plays, ends, clicks (no votes)
    duels: tuple[DuelLine, ...]  # per duel, all days
    day_duels: tuple[DuelLine, ...]  # per day and duel
    places: tuple[PlaceLine, ...]
    total: Numbers


@dataclass
class _Source:
    """Everything the figures of one competition are made of, read once."""

    duels: list[Duel]
    team_company: dict[str, str]
    team_names: dict[str, str]
    reach: dict[str, dict[str, str]]  # duel id -> reach hash
    official: dict[str, dict[str, str]]  # duel id -> official counts
    clicks: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)  # company id -> name


def _load(client: redis.Redis, cid: str) -> _Source:
    store.get_competition(client, cid)
    teams = store.list_teams(client, cid)
    duels = [d for d in store.duels_of_competition(client, cid) if d.home and d.away]
    pipe = client.pipeline(transaction=False)
    for duel in duels:
        pipe.hgetall(keys.reach(duel.id))
        pipe.hgetall(keys.official(duel.id))
    pipe.hgetall(keys.clicks(cid))
    replies: list[Any] = pipe.execute()
    return _Source(
        duels=sorted(duels, key=lambda d: (d.round, d.match, d.leg, d.id)),
        team_company={team.id: team.company_id for team in teams},
        team_names={team.id: team.name for team in teams},
        reach={d.id: replies[2 * i] for i, d in enumerate(duels)},
        official={d.id: replies[2 * i + 1] for i, d in enumerate(duels)},
        clicks=replies[-1],
        names={company.id: company.name for company in store.list_companies(client, cid)},
    )


def _int(value: object) -> int:
    try:
        return max(0, int(str(value or 0)))
    except ValueError:
        return 0


def _per_day(counters: dict[str, str], suffix: str) -> dict[str, int]:
    """``{day: n}`` of the fields ``<day>:<suffix>``."""
    found: dict[str, int] = {}
    for name, value in counters.items():
        day, _, rest = name.partition(":")
        if rest == suffix:
            found[day] = found.get(day, 0) + _int(value)
    return found


def _figures(
    source: _Source, company_id: str, places: list[apprenticeships.Place]
) -> CompanyFigures:
    days: dict[str, Numbers] = defaultdict(Numbers)
    duel_lines: list[DuelLine] = []
    day_duel_lines: list[DuelLine] = []
    for duel in source.duels:
        sides = [t for t in (duel.home, duel.away) if source.team_company.get(t) == company_id]
        for team in sides:
            opponent = duel.away if team == duel.home else duel.home
            counters = source.reach.get(duel.id, {})
            views = _per_day(counters, "views")
            plays = _per_day(counters, f"plays:{team}")
            ends = _per_day(counters, f"ends:{team}")
            clicks = _per_day(source.clicks, f"from:{duel.id}:{company_id}")
            total = Numbers()
            for day in sorted(set(views) | set(plays) | set(ends) | set(clicks)):
                numbers = Numbers(
                    views=views.get(day, 0), plays=plays.get(day, 0), ends=ends.get(day, 0),
                    clicks=clicks.get(day, 0),
                )  # fmt: skip
                total += numbers
                line = _line(source, duel, team, opponent, day, numbers)
                day_duel_lines.append(line)
                # Clicks per day are counted per place below (also those from no duel).
                days[day] += Numbers(numbers.views, numbers.plays, numbers.ends)
            votes = _int(source.official.get(duel.id, {}).get(team))
            duel_lines.append(_line(source, duel, team, opponent, "", total + Numbers(votes=votes)))
    place_clicks: dict[str, int] = defaultdict(int)
    prefix = f"place:{company_id}:"
    for name, value in source.clicks.items():
        day, _, rest = name.partition(":")
        if rest.startswith(prefix):
            place_clicks[rest[len(prefix) :]] += _int(value)
            days[day] += Numbers(clicks=_int(value))
    known = {place.id: place for place in places}
    place_lines = [
        PlaceLine(place.id, place.trade, place.starts, place_clicks.get(place.id, 0))
        for place in places
    ] + [
        PlaceLine(place_id, "", "", clicks)
        for place_id, clicks in sorted(place_clicks.items())
        if place_id not in known
    ]
    total = Numbers(
        views=sum(line.numbers.views for line in duel_lines),
        plays=sum(line.numbers.plays for line in duel_lines),
        ends=sum(line.numbers.ends for line in duel_lines),
        votes=sum(line.numbers.votes for line in duel_lines),
        clicks=sum(line.clicks for line in place_lines),
    )
    return CompanyFigures(
        company_id=company_id,
        name=source.names.get(company_id, company_id),
        days=tuple(sorted(days.items())),
        duels=tuple(duel_lines),
        day_duels=tuple(sorted(day_duel_lines, key=lambda line: line.day)),
        places=tuple(place_lines),
        total=total,
    )


def _line(
    source: _Source, duel: Duel, team: str, opponent: str, day: str, numbers: Numbers
) -> DuelLine:
    return DuelLine(
        day=day,
        duel_id=duel.id,
        title=duel.title or duel.trade or duel.match,
        team_id=team,
        team=source.team_names.get(team, team),
        opponent=source.team_names.get(opponent, opponent),
        numbers=numbers,
    )


def company_figures(client: redis.Redis, cid: str, company_id: str) -> CompanyFigures:
    """The figures of one company (404 ``unknown_company`` for a company not in ``cid``)."""
    profile = apprenticeships.get_profile(client, cid, company_id)
    return _figures(_load(client, cid), company_id, list(profile.places))


def competition_figures(client: redis.Redis, cid: str) -> list[CompanyFigures]:
    """Every company's figures (hosts), by company name."""
    source = _load(client, cid)
    profiles = apprenticeships.all_profiles(client, cid)
    found = [
        _figures(source, company_id, list(profile.places))
        for company_id, profile in profiles.items()
    ]
    return sorted(found, key=lambda figures: (figures.name.lower(), figures.company_id))


def csv_rows(figures: list[CompanyFigures]) -> list[dict[str, Any]]:
    """The page's tables as CSV rows (columns :data:`CSV_COLUMNS`), one ``section`` each:
    ``total``, ``day``, ``duel``, ``day_duel``, ``place``."""
    rows: list[dict[str, Any]] = []
    for company in figures:
        base = {"company": company.name, "company_id": company.company_id}
        rows.append({**base, "section": "total", **_cells(company.total)})
        for day, numbers in company.days:
            rows.append({**base, "section": "day", "day": day, **_cells(numbers, votes=False)})
        for section, lines in (("duel", company.duels), ("day_duel", company.day_duels)):
            for line in lines:
                rows.append(
                    {
                        **base, "section": section, "day": line.day, "duel_id": line.duel_id,
                        "duel": line.title, "team": line.team, "opponent": line.opponent,
                        **_cells(line.numbers, votes=section == "duel"),
                    }
                )  # fmt: skip
        for place in company.places:
            rows.append(
                {
                    **base, "section": "place", "place_id": place.place_id,
                    "place": place.trade, "starts": place.starts, "clicks": place.clicks,
                }
            )  # fmt: skip
    return [{column: row.get(column, "") for column in CSV_COLUMNS} for row in rows]


CSV_COLUMNS = (
    "company", "company_id", "section", "day", "duel_id", "duel", "team", "opponent",
    "place_id", "place", "starts", "views", "plays", "ends", "completion_percent", "votes",
    "clicks",
)  # fmt: skip


def _cells(numbers: Numbers, *, votes: bool = True) -> dict[str, Any]:
    completion = numbers.completion
    return {
        "views": numbers.views,
        "plays": numbers.plays,
        "ends": numbers.ends,
        "completion_percent": "" if completion is None else completion,
        "votes": numbers.votes if votes else "",
        "clicks": numbers.clicks,
    }
