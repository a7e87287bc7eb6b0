"""Hide until reveal: a duel's results mode and the host's reveal, in the API and the
console (duels.reveal; ``show_results`` stays the one switch every public surface reads)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from duels import reveal, store
from duels.records import Duel
from web.deps import Runner
from web.routes.host_api import _duel_out
from web.routes.host_console import _act

router = APIRouter()
FormField = Annotated[str, Form()]

ResultsMode = Literal["live", "after_close", "on_reveal"]


class ResultsModeIn(BaseModel):
    mode: ResultsMode = Field(
        description="live: counts public while voting runs; after_close: public the moment "
        "voting closes; on_reveal: hidden until a host reveals them (or the duel is decided)."
    )


def _out(duel: Duel) -> dict[str, Any]:
    return {**_duel_out(duel), "results_mode": duel.results_mode, "revealed_at": duel.revealed_at}


@router.post(
    "/api/duels/{did}/results-mode",
    tags=["host"],
    summary="When the audience sees this duel's counts",
    description=(
        "Sets the duel's results mode; `show_results` follows it at once. 404 `unknown_duel`, "
        "409 `already_decided` / `already_revealed`, 422 `invalid_results_mode`."
    ),
)
def set_results_mode(did: str, body: ResultsModeIn, request: Request, by: Runner) -> dict[str, Any]:
    return _out(reveal.set_results_mode(request.app.state.store, did, body.mode, actor=by.actor))


@router.post(
    "/api/duels/{did}/reveal",
    tags=["host"],
    summary="Reveal a closed duel's counts to everyone",
    description=(
        "Only once voting has closed; revealing twice changes nothing. Publishes a `duel` "
        "event with `revealed: true`. 404 `unknown_duel`, 409 `still_voting` / "
        "`nothing_to_reveal`."
    ),
)
def reveal_results(did: str, request: Request, by: Runner) -> dict[str, Any]:
    return _out(reveal.reveal(request.app.state.store, did, actor=by.actor))


@router.post("/host/duels/{did}/results-mode", include_in_schema=False)
def console_results_mode(
    request: Request, did: str, csrf: FormField, mode: FormField, by: Runner
) -> Response:
    client = request.app.state.store
    back = f"/host/c/{store.get_duel(client, did).competition}#duel-{did}"
    return _act(
        request,
        csrf,
        back,
        lambda: reveal.set_results_mode(client, did, mode, actor=by.actor),
        "results_mode_set",
    )


@router.post("/host/duels/{did}/reveal", include_in_schema=False)
def console_reveal(request: Request, did: str, csrf: FormField, by: Runner) -> Response:
    client = request.app.state.store
    back = f"/host/c/{store.get_duel(client, did).competition}#duel-{did}"
    return _act(request, csrf, back, lambda: reveal.reveal(client, did, actor=by.actor), "revealed")
