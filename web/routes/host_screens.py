"""Host console forms of the stage screens (venue admission): issue a screen key, shown
once on the competition page, and revoke one. The card is ``host/_screens.html``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from duels import screens
from web.deps import Configurer
from web.routes.host_console import _act, _issue_once

router = APIRouter(prefix="/host", include_in_schema=False)
Field = Annotated[str, Form()]


@router.post("/c/{cid}/screens")
def issue_screen(request: Request, cid: str, csrf: Field, name: Field, by: Configurer) -> Response:
    def issue() -> str:
        return screens.issue_screen(request.app.state.store, cid, name, actor=by.actor)[1]

    return _issue_once(request, csrf, cid, issue, "screen_issued", "screen")


@router.post("/c/{cid}/screens/{screen_id}/revoke")
def revoke_screen(
    request: Request, cid: str, screen_id: str, csrf: Field, by: Configurer
) -> Response:
    return _act(
        request,
        csrf,
        f"/host/c/{cid}",
        lambda: screens.revoke_screen(request.app.state.store, cid, screen_id, actor=by.actor),
        "screen_revoked",
    )
