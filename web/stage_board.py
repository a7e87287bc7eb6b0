"""What the audience boards show on top of the bracket view for competitions in stages
(group stage or Swiss rounds, then a knockout) and for best-of-N duels.

``live_board`` (web/routes/live.py) calls ``decorate_duel`` for every duel and
``decorate`` once; the live board, its projector mode, the embedded board and the stage
scenes render the result (live/_stage_tables.html, live/_legs.html, ...).
"""

from __future__ import annotations

from typing import Any

from duels.records import Duel

GROUP_STAGES = ("group", "swiss")  # match stages before the knockout
# Knockout rounds named from the end: 1 round left is the final, ...
KO_NAMES = {1: "final", 2: "semi", 3: "quarter", 4: "eighth"}


def decorate_duel(
    duel: dict[str, Any], records: dict[str, Duel], public_url: str
) -> list[dict[str, Any]]:
    """Number each challenge of a best-of-N duel ("1/2") and give the open ones their vote
    link; returns the legs open for voting (empty for an ordinary duel)."""
    legs: list[dict[str, Any]] = duel.get("legs") or []
    voting = []
    for leg in legs:
        leg["of"] = len(legs)
        record = records.get(leg["id"] or "")
        leg["venue"] = record is not None and record.admission == "venue"
        if leg["status"] == "voting" and leg["id"]:
            leg["vote_url"] = f"{public_url}/vote/{leg['id']}"
            voting.append(leg)
    open_legs = voting if len(legs) > 1 else []
    duel["voting_legs"] = open_legs
    return open_legs


def decorate(view: dict[str, Any]) -> None:
    """Round headings of a staged competition (group/Swiss rounds, the knockout's rounds
    named from its own start) and the current round's duels per group."""
    view["group_duels"] = {}
    view["knockout_rounds"] = []
    stage = view.get("stage")
    if not stage:
        return
    knockout = view["knockout_rounds"] = [r for r in view["rounds"] if _is_knockout(r)]
    total = _knockout_rounds(knockout[0]) if knockout else 0
    for round_ in view["rounds"]:
        round_["final"] = False
        if round_ in knockout:
            number = knockout.index(round_) + 1
            left = total - number + 1
            name = KO_NAMES.get(left, "round")
            round_["final"] = name == "final"  # the feed's flag too (web/routes/feed.py)
            round_["heading"] = {"key": f"stageboard.ko.{name}", "number": number}
        else:
            kind = "swiss" if any(d["stage"] == "swiss" for d in round_["duels"]) else "group"
            round_["heading"] = {"key": f"stageboard.round.{kind}", "number": round_["number"]}
    if stage["kind"] == "groups":
        current = [d for r in view["rounds"] if r["number"] == view["round"] for d in r["duels"]]
        view["group_duels"] = {
            group["name"]: [d for d in current if str(d["match"]).startswith(f"{group['name']}-")]
            for group in view.get("groups") or []
        }


def _is_knockout(round_: dict[str, Any]) -> bool:
    return any(duel["stage"] not in GROUP_STAGES for duel in round_["duels"])


def _knockout_rounds(first: dict[str, Any]) -> int:
    """Rounds of the knockout from its first round: a bracket of 2^n places has n."""
    places = 2 * sum(1 for duel in first["duels"] if duel["stage"] == "main")
    return max(1, places.bit_length() - 1)
