"""The naive baseline of the vote benchmark: a plain FastAPI endpoint with a pydantic
body and one ``HINCRBY`` per request on redis.asyncio (same client settings as ours).

Run by ``bench/vote_bench.py`` with the same uvicorn flags as the real app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pydantic import BaseModel

from duels import keys
from duels.connection import connect_async
from duels.settings import Settings


class VoteBody(BaseModel):
    team_id: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.redis = connect_async(Settings())
    yield
    await app.state.redis.aclose()


app = FastAPI(lifespan=lifespan)


@app.post("/api/duels/{did}/votes", status_code=202)
async def vote(did: str, body: VoteBody) -> dict[str, bool]:
    await app.state.redis.hincrby(keys.provisional(did), body.team_id, 1)
    return {"ok": True}
