"""Host flows of a competition: draw, open and close voting, decide, advance, undo.

The bracket engine (``bracket``) decides what happens; this module loads its
state, applies one step under a per-competition lock (two hosts pressing
"advance" at once make one advance), writes duels, bracket, audit and event.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
import redis

import bracket as engine
from duels import admission, bracket_sync, events, keys, reveal, store, videos
from duels.errors import Conflict, Invalid
from duels.records import Competition, Duel

TALLY_GROUP = "tally"
LOCK_TIMEOUT = 30
LOCK_WAIT = 10


@contextlib.contextmanager
def competition_lock(client: redis.Redis, cid: str) -> Iterator[None]:
    lock = client.lock(keys.competition_lock(cid), timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_WAIT)
    if not lock.acquire():
        raise Conflict("Another host action is running; try again.", code="busy")
    try:
        yield
    finally:
        with contextlib.suppress(redis.exceptions.LockError):
            lock.release()


def load_bracket(client: redis.Redis, cid: str) -> engine.Bracket | None:
    raw = client.get(keys.bracket(cid))
    return engine.from_dict(orjson.loads(raw)) if raw else None


def require_bracket(client: redis.Redis, cid: str) -> engine.Bracket:
    state = load_bracket(client, cid)
    if state is None:
        raise Conflict("The bracket is not drawn yet.", code="not_drawn")
    return state


# Draw ----------------------------------------------------------------------------


def draw(
    client: redis.Redis,
    cid: str,
    *,
    format: str = "single_elimination",
    seeding: str = "random",
    seed: int | None = None,
    order: Sequence[str] | None = None,
    third_place: bool = False,
    groups: int = 0,
    advance: int = 0,
    best_placed: int = 0,
    swiss_rounds: int = 0,
    best_of: int = 1,
    actor: str = "host",
) -> engine.Bracket:
    """Draw the bracket; "groups" and "swiss" draw the first stage (bracket.draw)."""
    competition = store.get_competition(client, cid)
    with competition_lock(client, cid):
        if client.exists(keys.bracket(cid)):
            raise Conflict("The bracket is already drawn.", code="already_drawn")
        teams = store.list_teams(client, cid)
        if seeding == "random" and seed is None:
            seed = secrets.randbelow(2**31)  # recorded, so the draw can be re-checked
        entrants = [engine.Entrant(t.id, t.company_id, t.trade, t.name) for t in teams]
        state = engine.draw(
            entrants,
            format=format,  # type: ignore[arg-type]
            seeding=seeding,  # type: ignore[arg-type]
            seed=seed,
            order=order,
            third_place=third_place,
            groups=groups,
            advance=advance,
            best_placed=best_placed,
            swiss_rounds=swiss_rounds,
            best_of=best_of,
        )
        bracket_sync.save_bracket(client, competition, state, {t.id: t for t in teams})
        store.audit(
            client, cid, actor, "draw", format=format, seeding=seeding, seed=seed, best_of=best_of
        )
    events.publish(client, cid, "bracket", {"round": state.round})
    return state


# Voting window -------------------------------------------------------------------


def open_voting(
    client: redis.Redis,
    did: str,
    *,
    closes_at: float | None = None,
    show_results: bool | None = None,
    actor: str = "host",
    require_videos: bool = False,
    mail_ready: bool = True,
) -> Duel:
    duel = store.get_duel(client, did)
    if duel.status not in ("pending", "closed"):
        raise Conflict(f"The duel is {duel.status}; it cannot open.", code="cannot_open")
    if not duel.away:
        raise Conflict("A bye has no voting.", code="bye")
    if require_videos and not videos.approved_for_voting(client, duel):
        raise Conflict(
            "Both videos must be approved before voting opens (or give a walkover).",
            code="videos_not_approved",
        )
    now = time.time()
    # NaN would pass every comparison below and leave a window that never closes.
    if closes_at is not None and not closes_at < videos.LATEST_DEADLINE:
        raise Invalid("The end time is not a date.", code="invalid_time")
    if closes_at is not None and closes_at <= now:
        raise Invalid("The end time must lie in the future.", code="closes_in_past")
    mode = admission.prepare_opening(client, duel, mail_ready=mail_ready)
    fields: dict[Any, Any] = {
        "status": "voting",
        "opens_at": repr(now),
        "closes_at": _time(closes_at),
        "admission": mode,
    }
    if show_results is not None:
        fields["show_results"] = "1" if show_results else "0"
        fields["results"] = "live" if show_results else "on_reveal"
    elif duel.results_mode != "live" and duel.revealed_at is None:
        fields["show_results"] = "0"  # hidden again while voting runs (a reopened duel)
    client.hset(keys.duel(did), mapping=fields)
    store.audit(
        client,
        duel.competition,
        actor,
        "open_voting",
        duel=did,
        closes_at=closes_at,
        admission=mode,
    )
    events.publish(client, duel.competition, "duel", {"duel": did, "status": "voting"})
    return store.get_duel(client, did)


def close_voting(client: redis.Redis, did: str, *, actor: str = "host", reason: str = "") -> Duel:
    """Close a duel's voting; closing a closed duel again changes nothing."""
    duel = store.get_duel(client, did)
    if duel.status == "closed":
        return duel
    if duel.status != "voting":
        raise Conflict(f"The duel is {duel.status}, not open for voting.", code="not_voting")
    client.hset(keys.duel(did), mapping={"status": "closed", "closes_at": repr(time.time())})
    reveal.on_close(client, duel)
    store.audit(client, duel.competition, actor, "close_voting", reason, duel=did)
    events.publish(client, duel.competition, "duel", {"duel": did, "status": "closed"})
    return store.get_duel(client, did)


# Deciding ------------------------------------------------------------------------


def set_jury(client: redis.Redis, did: str, home: float, away: float, actor: str = "host") -> Duel:
    duel = store.get_duel(client, did)
    if duel.status == "decided":
        raise Conflict("The duel is decided.", code="already_decided")
    if home < 0 or away < 0:
        raise Invalid("Jury points are not negative.", code="invalid_jury")
    client.hset(keys.duel(did), mapping={"jury_home": repr(home), "jury_away": repr(away)})
    store.audit(client, duel.competition, actor, "jury", duel=did, home=home, away=away)
    return store.get_duel(client, did)


def set_challenge(
    client: redis.Redis, did: str, trade: str, title: str, actor: str = "host"
) -> Duel:
    """The host names the duel's trade and challenge."""
    duel = store.get_duel(client, did)
    trade, title = " ".join(trade.split()), " ".join(title.split())
    if not trade or not title:
        raise Invalid("Trade and title are required.", code="challenge_required")
    competition = store.get_competition(client, duel.competition)
    with competition_lock(client, competition.id):
        state = require_bracket(client, competition.id)
        # The bracket keeps the first challenge's; the others live on their records.
        changed = engine.set_challenge(state, duel.match, trade, title)
        client.hset(keys.duel(did), mapping={"trade": trade, "title": title})
        if duel.leg == 1:
            _save(client, competition, changed)
        store.audit(client, competition.id, actor, "challenge", duel=did, trade=trade, title=title)
    return store.get_duel(client, did)


def walkover(client: redis.Redis, did: str, winner: str, reason: str, actor: str = "host") -> Duel:
    return _decide_by_host(client, did, winner, reason, actor, engine.walkover, "walkover")


def override(client: redis.Redis, did: str, winner: str, reason: str, actor: str = "host") -> Duel:
    return _decide_by_host(client, did, winner, reason, actor, engine.override, "override")


def _decide_by_host(
    client: redis.Redis, did: str, winner: str, reason: str, actor: str, step: Any, action: str
) -> Duel:
    duel = store.get_duel(client, did)
    if not reason.strip():
        raise Invalid("A reason is required.", code="reason_required")
    if winner not in duel.teams:
        raise Invalid("The winner must be a team of this duel.", code="team_not_in_duel")
    if duel.status == "voting":
        raise Conflict("Close the voting first.", code="duel_still_open")
    competition = store.get_competition(client, duel.competition)
    with competition_lock(client, competition.id):
        state = require_bracket(client, competition.id)
        state = step(state, duel.match, winner, reason)
        _save(client, competition, state)
        store.audit(client, competition.id, actor, action, reason, duel=did, winner=winner)
    events.publish(client, competition.id, "duel", {"duel": did, "status": "decided"})
    return store.get_duel(client, did)


def tally_of(client: redis.Redis, duel: Duel) -> tuple[engine.Tally, engine.Tally]:
    """Official counts (never provisional ones) as the engine's tallies."""
    if _untallied(client, duel.id):
        raise Conflict(
            f"Votes of duel {duel.id} are still being counted; try again in a moment.",
            code="tally_pending",
        )
    counts: dict[str, str] = client.hgetall(keys.official(duel.id))  # type: ignore[assignment]

    def team_tally(team: str, jury: float) -> engine.Tally:
        return engine.Tally(
            votes=int(counts.get(team, 0)), jury=jury, quarantined=int(counts.get(f"q:{team}", 0))
        )

    return team_tally(duel.home, duel.jury_home), team_tally(duel.away, duel.jury_away)


def _untallied(client: redis.Redis, did: str) -> bool:
    """True while the vote stream holds entries the tally has not acknowledged."""
    if not client.exists(keys.votes(did)):
        return False
    try:
        groups = client.xinfo_groups(keys.votes(did))
    except redis.exceptions.ResponseError:
        groups = []
    group = next((g for g in groups if g["name"] == TALLY_GROUP), None)
    if group is None:
        return bool(client.xlen(keys.votes(did)))
    lag = group.get("lag")
    return bool(group["pending"]) or (lag is None or int(lag) > 0)


# Advance and undo ----------------------------------------------------------------


def _round_decisions(
    client: redis.Redis, competition: Competition, state: engine.Bracket
) -> dict[str, engine.Result]:
    """What the open duels of the current round come to, from official counts."""
    rule = engine.DecisionRule(
        audience_weight=competition.audience_weight,
        tie_breakers=competition.tie_breakers,  # type: ignore[arg-type]
    )
    duels = bracket_sync.duels_by_key(client, competition.id)
    decisions: dict[str, engine.Result] = {}
    for match in engine.open_matches(state):
        legs = bracket_sync.leg_duels(match, duels)
        for duel in legs:
            if duel.status == "voting":
                raise Conflict(f"Duel {duel.id} is still open for voting.", code="duel_still_open")
            if duel.status == "pending":
                raise Conflict(
                    f"Duel {duel.id} had no voting; open it, or give a walkover.",
                    code="duel_not_voted",
                )
        tallies = [tally_of(client, duel) for duel in legs]
        decisions[match.id] = engine.decide_series(match, tallies, rule, draw_seed=_seed(state))
    return decisions


def preview_advance(client: redis.Redis, cid: str) -> dict[str, engine.Result]:
    """The decisions an advance would make now, without making them."""
    competition = store.get_competition(client, cid)
    return _round_decisions(client, competition, require_bracket(client, cid))


def advance(
    client: redis.Redis, cid: str, *, expected_round: int | None = None, actor: str = "host"
) -> engine.Bracket:
    """Decide every open duel of the current round from official counts, then
    create the next round. 409 while a duel is open or its votes are uncounted."""
    competition = store.get_competition(client, cid)
    with competition_lock(client, cid):
        state = require_bracket(client, cid)
        if expected_round is not None and expected_round != state.round:
            raise Conflict(
                f"The competition is in round {state.round}, not {expected_round}.",
                code="round_changed",
            )
        if engine.is_finished(state):
            raise Conflict("The competition is finished.", code="bracket_finished")
        if engine.stage_over(state):
            raise Conflict(
                "The stage is over: finish it to draw the next stage.", code="stage_finished"
            )
        decisions = _round_decisions(client, competition, state)
        before = state.round
        state = engine.advance(state, decisions)
        _save(client, competition, state)
        store.audit(client, cid, actor, "advance", from_round=before, to_round=state.round)
    events.publish(client, cid, "bracket", {"round": state.round})
    return state


def finish_stage(
    client: redis.Redis, cid: str, *, expected_round: int | None = None, actor: str = "host"
) -> engine.Bracket:
    """Rank the finished stage (groups, Swiss rounds) and draw the next one."""
    competition = store.get_competition(client, cid)
    with competition_lock(client, cid):
        state = require_bracket(client, cid)
        if expected_round is not None and expected_round != state.round:
            raise Conflict(
                f"The competition is in round {state.round}, not {expected_round}.",
                code="round_changed",
            )
        if not engine.stage_over(state):
            raise Conflict(
                "The stage still has duels to play, or no stage follows.",
                code="stage_not_finished",
            )
        state = engine.finish_stage(state)
        _save(client, competition, state)
        store.audit(
            client, cid, actor, "finish_stage", stage=state.stage, qualified=len(state.qualified)
        )
    events.publish(client, cid, "bracket", {"round": state.round})
    return state


def undo(client: redis.Redis, cid: str, *, reason: str, actor: str = "host") -> engine.Bracket:
    """Undo the last bracket change (an advance, finished stage, walkover or override)."""
    if not reason.strip():
        raise Invalid("A reason is required.", code="reason_required")
    competition = store.get_competition(client, cid)
    with competition_lock(client, cid):
        state = require_bracket(client, cid)
        previous = engine.undo(state)
        kept = {match.id for match in previous.matches}
        duels = store.duels_of_competition(client, cid)
        dropped = [duel for duel in duels if duel.match not in kept]
        started = [d for d in dropped if d.away]  # a bye is decided when it is drawn
        if any(d.status != "pending" or client.exists(keys.votes(d.id)) for d in started):
            raise Conflict(
                "Voting of the next round has started; it cannot be undone.", code="round_started"
            )
        pipe = client.pipeline(transaction=False)
        for duel in dropped:
            pipe.delete(keys.duel(duel.id))
            pipe.hdel(keys.duel_index(cid), duel.index_key)
        pipe.execute()
        _save(client, competition, previous)
        store.audit(client, cid, actor, "undo", reason, to_round=previous.round)
    events.publish(client, cid, "bracket", {"round": previous.round})
    return previous


def _save(client: redis.Redis, competition: Competition, state: engine.Bracket) -> None:
    teams = bracket_sync.teams_of(client, competition.id)
    bracket_sync.save_bracket(client, competition, state, teams)


def _seed(state: engine.Bracket) -> int:
    return state.seed if state.seed is not None else 0


def _time(value: float | None) -> str:
    return "" if value is None else repr(value)
