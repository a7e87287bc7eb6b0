"""Public reads of a competition."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from duels import store, views

router = APIRouter(tags=["audience"])


@router.get("/api/competitions/{cid}/bracket", summary="Rounds, duels, winners")
def get_bracket(cid: str, request: Request) -> dict[str, Any]:
    return views.bracket_view(request.app.state.store, cid)


@router.get("/api/competitions/{cid}", summary="A competition's public record")
def get_competition(cid: str, request: Request) -> dict[str, Any]:
    return store.get_competition(request.app.state.store, cid).public()
