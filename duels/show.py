"""Show control: the scene the stage screens of a competition show right now.

The host picks a scene on the remote (``/host/c/<cid>/show``); it is stored here, so a
screen that reloads or reconnects comes back into it, and announced as a "scene" event on
the competition's stream, which the stage pages follow. ``version`` only grows: a screen
that sees an older version than the one it shows ignores it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis

import bracket as engine
from duels import errors, events, keys, reveal, store, tournament
from duels.records import Duel

SCENES = (
    "welcome",
    "duel_intro",
    "voting",
    "reveal",
    "winner",
    "bracket",
    "standings",
    "leaderboard",
    "champion",
)
DUEL_SCENES = frozenset({"duel_intro", "voting", "reveal", "winner"})


@dataclass(frozen=True, slots=True)
class Scene:
    scene: str
    duel: str
    version: int
    at: float

    def public(self) -> dict[str, Any]:
        return {"scene": self.scene, "duel": self.duel, "version": self.version}


def current(client: redis.Redis, cid: str) -> Scene:
    """The scene in force; "welcome" (version 0) before the host chose one."""
    data: dict[str, str] = client.hgetall(keys.show(cid))  # type: ignore[assignment]
    scene = data.get("scene", "welcome")
    return Scene(
        scene=scene if scene in SCENES else "welcome",
        duel=data.get("duel", "") if scene in DUEL_SCENES else "",
        version=int(data.get("version") or 0),
        at=float(data.get("at") or 0),
    )


def set_scene(
    client: redis.Redis, cid: str, scene: str, duel_id: str = "", actor: str = "host"
) -> Scene:
    """Switch every stage screen of ``cid`` to ``scene`` (about ``duel_id`` for the duel
    scenes). "reveal" makes the duel's counts public (duels.reveal)."""
    store.get_competition(client, cid)
    if scene not in SCENES:
        raise errors.Invalid(f"Unknown scene {scene!r}.", code="invalid_scene")
    duel = _duel_for(client, cid, scene, duel_id) if scene in DUEL_SCENES else None
    if scene == "winner" and duel is not None:
        _check_winner(duel)
    if scene == "champion":
        state = tournament.load_bracket(client, cid)
        if state is None or not engine.champion(state):
            raise errors.Conflict("The competition has no champion yet.", code="no_champion")
    if scene == "reveal" and duel is not None:
        reveal.reveal(client, duel.id, actor=actor)
    did = duel.id if duel is not None else ""
    pipe = client.pipeline(transaction=False)
    pipe.hset(keys.show(cid), mapping={"scene": scene, "duel": did, "at": repr(time.time())})
    pipe.hincrby(keys.show(cid), "version", 1)
    version = int(pipe.execute()[1])
    store.audit(client, cid, actor, "scene", scene=scene, duel=did, version=version)
    shown = current(client, cid)
    events.publish(client, cid, "scene", shown.public())
    return shown


def _duel_for(client: redis.Redis, cid: str, scene: str, duel_id: str) -> Duel:
    if not duel_id:
        raise errors.Invalid(f"The scene {scene!r} needs a duel.", code="duel_required")
    try:
        duel = store.get_duel(client, duel_id)
    except errors.NotFound:
        duel = None
    if duel is None or duel.competition != cid:
        raise errors.NotFound(f"Unknown duel {duel_id!r}.", code="unknown_duel")
    if not duel.away:
        raise errors.Conflict("A bye has no duel to show.", code="bye_duel")
    return duel


def _check_winner(duel: Duel) -> None:
    if duel.status not in ("closed", "decided"):
        raise errors.Conflict("Voting has not closed yet.", code="not_decided")
    if duel.status == "closed" and not duel.counts_public:
        raise errors.Conflict("Reveal the counts first.", code="counts_hidden")
