"""Host console: who may vote (admission mode) for a competition and for single duels."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from duels import admission, store
from web.deps import Configurer
from web.routes.host_console import _act

router = APIRouter(prefix="/host", include_in_schema=False)
Field = Annotated[str, Form()]


@router.post("/c/{cid}/admission")
def set_competition_admission(
    request: Request, cid: str, csrf: Field, mode: Field, by: Configurer
) -> Response:
    ready = request.app.state.settings.mail_ready
    return _act(
        request,
        csrf,
        f"/host/c/{cid}",
        lambda: admission.set_competition_mode(
            request.app.state.store, cid, mode, mail_ready=ready, actor=by.actor
        ),
        "admission_set",
    )


@router.post("/duels/{did}/admission")
def set_duel_admission(
    request: Request, did: str, csrf: Field, by: Configurer, mode: Annotated[str, Form()] = ""
) -> Response:
    client = request.app.state.store
    ready = request.app.state.settings.mail_ready
    back = f"/host/c/{store.get_duel(client, did).competition}#duel-{did}"
    return _act(
        request,
        csrf,
        back,
        lambda: admission.set_duel_mode(client, did, mode, mail_ready=ready, actor=by.actor),
        "admission_set",
    )
