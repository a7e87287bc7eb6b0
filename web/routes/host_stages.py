"""Host console: finish a stage (group phase, Swiss rounds) and draw the knockout; open
or close every duel of a round at once (a group round has many).

The competition page's stage card shows the tables and, once the stage is over, who
goes on and why, with the knockout's first round; its form lands here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from duels import errors, round_voting, tournament
from web.deps import Runner
from web.routes.host_console import Field, _act

router = APIRouter(prefix="/host", include_in_schema=False)


@router.post("/c/{cid}/stage/finish")
def finish_stage(
    request: Request, cid: str, csrf: Field, round: Annotated[int, Form()], by: Runner
) -> Response:
    """Rank the finished stage and draw the next one; a stale ``round`` (the page was
    open while someone else went on) is refused with ``round_changed``."""
    return _act(
        request, csrf, f"/host/c/{cid}#stage",
        lambda: tournament.finish_stage(
            request.app.state.store, cid, expected_round=round, actor=by.actor
        ),
        "stage_drawn",
    )  # fmt: skip


@router.post("/c/{cid}/round/open")
def open_round(request: Request, cid: str, csrf: Field, by: Runner) -> Response:
    settings = request.app.state.settings

    def action() -> None:
        outcome = round_voting.open_round(
            request.app.state.store,
            cid,
            require_videos=settings.require_approved_videos,
            mail_ready=settings.mail_ready,
            actor=by.actor,
        )
        if outcome.skipped:  # the others are open; the message says some are not
            raise errors.Conflict("Some duels could not open.", code="round_partly_opened")

    return _act(request, csrf, f"/host/c/{cid}#duels", action, "round_opened")


@router.post("/c/{cid}/round/close")
def close_round(request: Request, cid: str, csrf: Field, by: Runner) -> Response:
    return _act(
        request, csrf, f"/host/c/{cid}#duels",
        lambda: round_voting.close_round(request.app.state.store, cid, actor=by.actor),
        "round_closed",
    )  # fmt: skip
