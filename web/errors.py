"""Map domain errors to HTTP answers in the API.md shape:
``{"detail": {"code": "...", "message": "..."}}``."""

from __future__ import annotations

import redis.exceptions
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

import bracket
from duels import errors
from web.responses import JSONResponse
from web.templating import render

_STATUS_BY_KIND: tuple[tuple[type[errors.DomainError], int], ...] = (
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Invalid, 422),
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (errors.Throttled, 429),
    (errors.TooLarge, 413),
    (errors.UnsupportedMedia, 415),
    (errors.StoreUnavailable, 503),
    (errors.Busy, 503),
)

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media",
    422: "invalid",
    429: "throttled",
    503: "unavailable",
}


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"detail": {"code": code, "message": message}}


# Bracket engine errors: a state that forbids the step is a conflict, the rest bad input.
_BRACKET_STATUS = {
    "unknown_match": 404,
    "match_not_open": 409,
    "round_not_decided": 409,
    "bracket_finished": 409,
    "nothing_to_undo": 409,
    "stage_finished": 409,
    "stage_not_finished": 409,
}


def status_for(error: errors.DomainError) -> int:
    for kind, status in _STATUS_BY_KIND:
        if isinstance(error, kind):
            return status
    return 500


def error_response(
    status: int, code: str, message: str, retry_after: int | None = None
) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def domain_error_response(error: errors.DomainError) -> Response:
    retry_after = error.retry_after if isinstance(error, errors.Throttled | errors.Busy) else None
    if isinstance(error, errors.StoreUnavailable):
        retry_after = 1
    return error_response(status_for(error), error.code, error.message, retry_after)


def store_unavailable_response() -> Response:
    return domain_error_response(errors.StoreUnavailable())


def _console_page(request: Request) -> bool:
    path = request.url.path
    console = path == "/host" or path.startswith("/host/")
    return console and "text/html" in request.headers.get("accept", "")


def install(app: FastAPI) -> None:
    async def on_domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.DomainError)
        status = status_for(exc)
        if status in (403, 404, 409) and _console_page(request):
            # A person in the console's browser (a jury member on a host page) reads a page.
            return render(request, "host/error.html", {"status": status, "code": exc.code}, status)
        return domain_error_response(exc)

    async def on_bracket_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, bracket.BracketError)
        status = _BRACKET_STATUS.get(exc.code, 422)
        return error_response(status, exc.code, str(exc))

    async def on_redis_error(request: Request, exc: Exception) -> Response:
        return store_unavailable_response()

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail: object = exc.detail
        if isinstance(detail, dict) and "code" in detail:
            body = {"detail": detail}
            return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
        code = _CODE_BY_STATUS.get(exc.status_code, "error")
        message = detail if isinstance(detail, str) else code
        return JSONResponse(
            error_body(code, message), status_code=exc.status_code, headers=exc.headers
        )

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        # API.md allows FastAPI's list under detail for 422; we add code and message too.
        errors_list = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors()
        ]
        return JSONResponse(
            {"detail": {"code": "invalid", "message": "The request body is not valid.",
                        "errors": errors_list}},
            status_code=422,
        )  # fmt: skip

    app.add_exception_handler(errors.DomainError, on_domain_error)
    app.add_exception_handler(bracket.BracketError, on_bracket_error)
    app.add_exception_handler(redis.exceptions.ConnectionError, on_redis_error)
    app.add_exception_handler(redis.exceptions.TimeoutError, on_redis_error)
    app.add_exception_handler(redis.exceptions.BusyLoadingError, on_redis_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
