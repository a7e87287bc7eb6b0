"""Domain errors. Each has a stable snake_case ``code``; the web layer maps the
kind (not found, conflict, invalid, ...) to an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    message = "Something went wrong."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message or self.message)
        if code is not None:
            self.code = code
        self.message = message or self.message


class NotFound(DomainError):
    code = "not_found"
    message = "Not found."


class Conflict(DomainError):
    code = "conflict"
    message = "The request conflicts with the current state."


class Invalid(DomainError):
    code = "invalid"
    message = "The request is not valid."


class Unauthorized(DomainError):
    code = "unauthorized"
    message = "Authentication is required."


class Forbidden(DomainError):
    code = "forbidden"
    message = "Not allowed."


class Throttled(DomainError):
    code = "throttled"
    message = "Too many requests; try again later."

    def __init__(
        self, message: str | None = None, *, retry_after: int = 1, code: str | None = None
    ):
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class Busy(DomainError):
    """Full for now (not the caller's fault): 503 with a time to come back."""

    code = "busy"
    message = "The server is busy; try again in a moment."

    def __init__(
        self, message: str | None = None, *, retry_after: int = 5, code: str | None = None
    ):
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class TooLarge(DomainError):
    code = "too_large"
    message = "The upload is too large."


class UnsupportedMedia(DomainError):
    code = "unsupported_media"
    message = "This is not a supported video."


class StoreUnavailable(DomainError):
    code = "store_unavailable"
    message = "The vote store is unavailable; try again in a moment."
