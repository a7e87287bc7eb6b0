"""The host console's side of competitions in stages: the draw form's stage options and
the heading of the stage card ("Gruppenphase, Runde 2 von 3")."""

from __future__ import annotations

from typing import Any

import redis
from pydantic import ValidationError

from bracket.roundrobin import plan as round_robin_plan
from duels import errors, store
from duels.records import Duel
from web.routes.host_api import DrawIn

_MAX_DIGITS = 4  # every option is below 10000 (DrawIn has the exact bounds)


def draw_options(
    format: str,
    *,
    groups: str = "",
    advance: str = "",
    best_placed: str = "",
    swiss_rounds: str = "",
    swiss_advance: str = "",
    best_of: str = "",
    third_place: str = "",
) -> dict[str, Any]:
    """The options of the console's draw form as ``tournament.draw`` takes them.

    The form shows every option; only those of the chosen format count (a group stage's
    ``advance`` and a Swiss ``swiss_advance`` are separate fields). An empty field is the
    default; the bounds are the API's (``DrawIn``), anything else is ``invalid_option``."""
    options: dict[str, Any] = {
        "third_place": bool(third_place),
        "best_of": _number(best_of) or 1,
    }
    if format == "groups":
        options.update(
            groups=_number(groups), advance=_number(advance), best_placed=_number(best_placed)
        )
    elif format == "swiss":
        options.update(swiss_rounds=_number(swiss_rounds), advance=_number(swiss_advance))
    try:
        DrawIn.model_validate({"format": format, **options})
    except ValidationError as exc:
        raise errors.Invalid(
            "An option of the draw is out of range.", code="invalid_option"
        ) from exc
    return options


def _number(value: str) -> int:
    value = value.strip()
    if not value:
        return 0
    if not value.isdecimal() or len(value) > _MAX_DIGITS:
        raise errors.Invalid("The options of the draw are whole numbers.", code="invalid_option")
    return int(value)


def stage_card(view: dict[str, Any]) -> dict[str, Any] | None:
    """Which stage runs and which of its rounds: ``{"kind", "round", "of"}`` (``of`` is 0
    for a knockout, whose length the card does not announce); None without stages."""
    stage = view.get("stage")
    if not stage:
        return None
    local = view["round"] - stage["first_round"] + 1
    if stage["kind"] == "groups":
        total = max((_group_rounds(len(g["rows"])) for g in view.get("groups") or ()), default=0)
    elif stage["kind"] == "swiss":
        total = stage["rounds"]
    else:
        total = 0
    return {"kind": stage["kind"], "round": local, "of": total}


def _group_rounds(size: int) -> int:
    return len({match.round for match in round_robin_plan(size)})


def duel_rounds(client: redis.Redis, view: dict[str, Any]) -> list[dict[str, Any]]:
    """The bracket view's rounds with one row per challenge: a best-of-N duel's legs are
    each their own duel record (own id, trade, title, status, admission, results mode),
    so the console's per-duel forms work per leg. ``leg``/``leg_count`` number them."""
    several = any(len(d["legs"]) > 1 for r in view["rounds"] for d in r["duels"])
    cid = view["competition"]["id"]
    records = {d.id: d for d in store.duels_of_competition(client, cid)} if several else {}
    return [
        {
            "number": r["number"],
            "duels": [_leg_row(d, leg, records) for d in r["duels"] for leg in d["legs"]],
        }
        for r in view["rounds"]
    ]


def _leg_row(duel: dict[str, Any], leg: dict[str, Any], records: dict[str, Duel]) -> dict[str, Any]:
    row = {**duel, "leg": leg["leg"], "leg_count": len(duel["legs"])}
    if len(duel["legs"]) == 1:
        return row
    row.update(id=leg["id"], status=leg["status"], trade=leg["trade"], title=leg["title"])
    record = records.get(leg["id"] or "")
    if record is not None:
        row.update(
            admission=record.admission,
            admission_choice=record.admission_choice,
            results_mode=record.results_mode,
            revealed=record.revealed_at is not None,
            counts_public=record.counts_public,
        )
    return row
