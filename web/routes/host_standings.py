"""The standings of a competition in stages as a spreadsheet: group tables or the Swiss
table, with who went on and why."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from duels import views
from web.csv_export import csv_download
from web.deps import Reader
from web.i18n import Translator, pick_language, translator
from web.stage_reasons import qualification_reason

router = APIRouter(prefix="/host", include_in_schema=False)

COLUMNS = (
    "stage", "group", "rank", "team", "company", "played", "wins", "losses", "byes",
    "points", "buchholz", "votes_for", "votes_against", "vote_difference", "seed", "reason",
)  # fmt: skip


@router.get("/c/{cid}/standings.csv")
def standings_csv(request: Request, cid: str, by: Reader) -> Response:
    view = views.bracket_view(request.app.state.store, cid)
    t = translator(pick_language(request, request.app.state.settings.default_language))
    return csv_download(COLUMNS, standings_rows(view, t), f"tabellen-{cid}.csv")


def standings_rows(view: dict[str, Any], t: Translator) -> list[dict[str, Any]]:
    """One row per team and table; `seed` and `reason` once the stage is over."""
    qualification = view.get("qualification") or {"qualified": [], "eliminated": []}
    verdicts = {
        entry["team"]["id"]: entry
        for entry in (*qualification["qualified"], *qualification["eliminated"])
    }
    rows = []
    for group in view.get("groups") or []:
        for row in group["rows"]:
            rows.append(_row("groups", group["name"], row, verdicts, t))
    for row in view.get("swiss") or []:
        rows.append(_row("swiss", "", row, verdicts, t))
    return rows


def _row(
    stage: str, group: str, row: dict[str, Any], verdicts: dict[str, Any], t: Translator
) -> dict[str, Any]:
    verdict = verdicts.get(row["team"]["id"])
    return {
        "stage": stage,
        "group": group,
        "rank": row["rank"],
        "team": row["team"]["name"],
        "company": row["team"]["company"],
        "played": row["played"],
        "wins": row["wins"],
        "losses": row["losses"],
        "byes": row.get("byes", ""),
        "points": row["points"],
        "buchholz": row.get("buchholz", ""),
        "votes_for": row.get("votes_for", ""),
        "votes_against": row.get("votes_against", ""),
        "vote_difference": row.get("vote_difference", ""),
        "seed": verdict.get("seed", "") if verdict else "",
        "reason": qualification_reason(t, verdict) if verdict else "",
    }
