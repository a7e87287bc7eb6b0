"""Why a team goes on from a stage, in the page's language.

The engine explains each qualifier and each team out in plain English with team ids
(bracket.crossover; duels.stage_views keeps that text as `reason_code`). Pages read the
same grammar back and say it from the catalogue, with team names; a sentence the
grammar does not know is shown in English (`reason`) rather than not at all."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bracket.crossover import ordinal
from web.i18n import Translator

_ORD = r"(?P<rank>\d+)(?:st|nd|rd|th)"
_PLACE = re.compile(rf"{_ORD} in group (?P<group>\S+)")
_BEST = re.compile(
    rf"{_ORD} in group (?P<group>\S+), (?P<not>not )?one of the (?P<count>\d+) best "
    r"(?P<next>\d+)(?:st|nd|rd|th)-placed teams"
)
_TOP = re.compile(
    r"the top (?P<top>\d+)(?: and the (?P<count>\d+) best (?P<next>\d+)(?:st|nd|rd|th)-placed)?"
    r" qualify"
)
_SWISS = re.compile(
    rf"{_ORD} in the Swiss standings with (?P<points>\d+) points(?:, ranked by (?P<by>[\w-]+))?"
)
_LINE = re.compile(
    r"(?P<words>seeded ahead of|seeded behind|ahead of|behind|above|below) (?P<team>\S+)"
    r"(?P<where> on the line| in the group|): (?P<why>.+)"
)
_LINE_KEYS = {
    ("ahead of", " on the line"): "ahead_on_the_line",
    ("behind", " on the line"): "behind_on_the_line",
    ("above", " in the group"): "above_in_group",
    ("below", " in the group"): "below_in_group",
    ("seeded ahead of", ""): "seeded_ahead",
    ("seeded behind", ""): "seeded_behind",
}
_EQUAL = re.compile(r"equal (?P<criteria>[\w -]+?), (?P<decisive>.+)")
_CRITERIA = {
    "points": "points",
    "points per duel": "points_per_duel",
    "head-to-head": "head_to_head",
    "vote difference": "vote_difference",
    "vote difference per duel": "vote_difference_per_duel",
    "votes received": "votes_received",
    "votes received per duel": "votes_received_per_duel",
    "buchholz": "buchholz",
    "seed": "seed",
}
_FIXED = {
    "won the duel between them": "won_duel",
    "lost the duel between them": "lost_duel",
    "won the seeded draw": "won_draw",
    "lost the seeded draw": "lost_draw",
}
_WINS = re.compile(
    r"(?P<more>more|fewer) wins among the (?P<count>\d+) teams level on points "
    r"\((?P<mine>\d+) vs (?P<theirs>\d+)\)"
)
_VOTES = re.compile(
    r"(?P<kind>better vote difference|worse vote difference|more votes received|"
    r"fewer votes received)(?P<per> per duel)?(?: \((?P<mine>\S+) vs (?P<theirs>\S+)\))?"
)
_VOTE_KEYS = {
    "better vote difference": "better_difference",
    "worse vote difference": "worse_difference",
    "more votes received": "more_votes",
    "fewer votes received": "fewer_votes",
}


def qualification_reason(t: Translator, entry: Mapping[str, Any]) -> str:
    """The reason of one entry of a qualification view (qualified or eliminated)."""
    return explain(t, entry) or str(entry.get("reason", ""))


def explain(t: Translator, entry: Mapping[str, Any]) -> str | None:
    """The entry's `reason_code` said from the catalogue; None if not understood."""
    code = entry.get("reason_code")
    if not isinstance(code, str) or not code:
        return None
    names: Mapping[str, str] = entry.get("mentions") or {}
    said = [_part(t, part, names) for part in code.split("; ")]
    if any(text is None for text in said):
        return None
    return "; ".join(text for text in said if text is not None)


def _place(t: Translator, rank: str) -> str:
    return ordinal(int(rank)) if t.lang == "en" else f"{rank}."


def _part(t: Translator, part: str, names: Mapping[str, str]) -> str | None:
    if found := _PLACE.fullmatch(part):
        return t("stages.reason.place", place=_place(t, found["rank"]), group=found["group"])
    if found := _BEST.fullmatch(part):
        key = "stages.reason.not_best_placed" if found["not"] else "stages.reason.best_placed"
        place = _place(t, found["rank"])
        return t(key, place=place, group=found["group"], count=found["count"], rank=found["next"])
    if found := _TOP.fullmatch(part):
        if found["count"]:
            return t(
                "stages.reason.top_and_best",
                top=found["top"],
                count=found["count"],
                rank=found["next"],
            )
        return t("stages.reason.top", top=found["top"])
    if found := _SWISS.fullmatch(part):
        place, points = _place(t, found["rank"]), found["points"]
        if not found["by"]:
            return t("stages.reason.swiss", place=place, points=points)
        by = _criterion(t, found["by"])
        if by is None:
            return None
        return t("stages.reason.swiss_by", place=place, points=points, criterion=by)
    if found := _LINE.fullmatch(part):
        line = _LINE_KEYS.get((found["words"], found["where"]))
        why = _why(t, found["why"])
        if line is None or why is None:
            return None
        team = names.get(found["team"], found["team"])
        return t(f"stages.reason.{line}", team=team, why=why)
    return None


def _why(t: Translator, text: str) -> str | None:
    if found := _EQUAL.fullmatch(text):
        said = [_criterion(t, name) for name in found["criteria"].split(" and ")]
        decisive = _decisive(t, found["decisive"])
        if decisive is None or any(name is None for name in said):
            return None
        criteria = t("stages.reason.and").join(name for name in said if name is not None)
        return t("stages.reason.equal", criteria=criteria, decisive=decisive)
    return _decisive(t, text)


def _criterion(t: Translator, name: str) -> str | None:
    key = _CRITERIA.get(name)
    return t(f"stages.criterion.{key}") if key else None


def _decisive(t: Translator, text: str) -> str | None:
    if text in _FIXED:
        return t(f"stages.decisive.{_FIXED[text]}")
    if found := _WINS.fullmatch(text):
        key = (
            "stages.decisive.more_wins" if found["more"] == "more" else "stages.decisive.fewer_wins"
        )
        return t(key, count=found["count"], mine=found["mine"], theirs=found["theirs"])
    if found := _VOTES.fullmatch(text):
        per = t("stages.decisive.per_duel") if found["per"] else ""
        values = ""
        if found["mine"] is not None:
            values = t("stages.decisive.values", mine=found["mine"], theirs=found["theirs"])
        return t(f"stages.decisive.{_VOTE_KEYS[found['kind']]}", per=per, values=values)
    return None
