"""Public HTML pages that are not part of a feature of their own."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from duels import organisations, store
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
async def index(request: Request) -> HTMLResponse:
    competitions = await store.list_competitions(request.app.state.redis)
    listed = await run_in_threadpool(organisations.list_organisations, request.app.state.store)
    context = {"competitions": competitions, "organisations": listed}
    return render(request, "index.html", context)
