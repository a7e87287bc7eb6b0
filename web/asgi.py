"""ASGI entry for servers that import the app themselves (uvicorn --factory, granian)."""

from __future__ import annotations

from fastapi import FastAPI

from duels.settings import load_settings
from web.app import create_app


def app_from_environment() -> FastAPI:
    settings = load_settings()
    if not settings.redis_url:
        raise RuntimeError("MACHMAL_REDIS_URL must be set for a bare ASGI server")
    return create_app(settings)
