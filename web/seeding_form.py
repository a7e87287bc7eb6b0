"""The console's manual seeding: the host gives every team (shown by name) a place; the
draw gets the team ids in that order."""

from __future__ import annotations

from collections.abc import Sequence

from duels import errors


def manual_order(teams: Sequence[str], places: Sequence[str]) -> list[str] | None:
    """Team ids sorted by their place (1 = top seed); None when the form sent no list.
    Every team needs a place of its own (gaps are fine: 1, 2, 5)."""
    if not teams:
        return None
    if len(places) != len(teams) or len(set(teams)) != len(teams):
        raise _invalid()
    ranked: list[tuple[int, str]] = []
    for team, place in zip(teams, places, strict=True):
        text = place.strip()
        if not text.isdecimal() or len(text) > 6:
            raise _invalid()
        ranked.append((int(text), team))
    if len({place for place, _ in ranked}) != len(ranked):
        raise _invalid()
    return [team for _, team in sorted(ranked)]


def _invalid() -> errors.Invalid:
    return errors.Invalid("Give every team a place of its own.", code="invalid_seeding_order")
