"""Host API of the stage screens (venue admission): issue, list, revoke screen keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from duels import screens
from web.deps import Configurer

router = APIRouter(tags=["host"])


class ScreenIn(BaseModel):
    name: str = Field(
        min_length=1,
        max_length=screens.MAX_NAME_CHARS,
        description='Where the screen stands, e.g. "Bühne links".',
    )


def screen_url(public_url: str, key: str) -> str:
    return f"{public_url}/screen/{key}"


@router.post(
    "/api/competitions/{cid}/screens",
    status_code=201,
    summary="Issue a stage screen key (venue admission)",
    description=(
        "The screen page `url` (`/screen/<key>`) shows the rotating codes of the "
        "competition's running venue duels; phones that scan one may vote. `key` and `url` "
        "are returned only now (the key is stored hashed). 404 `unknown_competition`."
    ),
)
def issue_screen(cid: str, body: ScreenIn, request: Request, by: Configurer) -> dict[str, Any]:
    screen, key = screens.issue_screen(request.app.state.store, cid, body.name, actor=by.actor)
    public_url = request.app.state.settings.public_url
    return {"id": screen.id, "name": screen.name, "key": key, "url": screen_url(public_url, key)}


@router.get(
    "/api/competitions/{cid}/screens",
    summary="The competition's stage screens (without their keys)",
    description="`revoked_at` is set for revoked screens. 404 `unknown_competition`.",
)
def list_screens(cid: str, request: Request, by: Configurer) -> list[dict[str, Any]]:
    return [screen.public() for screen in screens.list_screens(request.app.state.store, cid)]


@router.delete(
    "/api/competitions/{cid}/screens/{screen_id}",
    summary="Revoke a stage screen key",
    description=(
        "The key stops working at once (its page and codes answer 404); audited; "
        "revoking twice is no change. 404 `unknown_screen`."
    ),
)
def revoke_screen(cid: str, screen_id: str, request: Request, by: Configurer) -> dict[str, Any]:
    client = request.app.state.store
    return screens.revoke_screen(client, cid, screen_id, actor=by.actor).public()
