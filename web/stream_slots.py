"""Caps on live-event streams, per client address and per web process.

Every open stream is a socket, a queue and a task in this process, and it holds one of
uvicorn's ``limit_concurrency`` connections for as long as it lasts. So one address (an
IPv6 client counts as its /64) holds at most ``sse_clients_per_address`` streams and the
process at most ``sse_clients_per_process``; past that a stream is refused before it
opens, 429 (that address) or 503 (this process is full), with ``Retry-After``. A slot is
taken when the stream is admitted and given back when its response ends, however it
ends: the client went away, stopped reading, or the server is shutting down.
"""

from __future__ import annotations

from prometheus_client import Counter

from duels import errors
from duels.login_brake import address_subject
from web import metrics

# An address over its cap waits for one of its own streams to end: no hurry.
ADDRESS_RETRY_SECONDS = 30
PROCESS_RETRY_SECONDS = 10

sse_refused = Counter(
    "machmal_sse_refused",
    "Live streams refused: over the per-address or the per-process cap.",
    ["reason"],
    registry=metrics.registry,
)


class Slot:
    """One admitted stream; :meth:`release` is idempotent."""

    __slots__ = ("_owner", "subject")

    def __init__(self, owner: StreamSlots, subject: str) -> None:
        self._owner: StreamSlots | None = owner
        self.subject = subject

    def release(self) -> None:
        owner, self._owner = self._owner, None
        if owner is not None:
            owner._give_back(self.subject)


class StreamSlots:
    def __init__(self, per_address: int, per_process: int) -> None:
        self.per_address = per_address
        self.per_process = per_process
        self.total = 0
        self._by_subject: dict[str, int] = {}

    def take(self, address: str | None) -> Slot:
        """A slot for a stream from ``address``; Throttled (429) or Busy (503) when full."""
        subject = address_subject(address or "unknown")
        held = self._by_subject.get(subject, 0)
        if held >= self.per_address:
            sse_refused.labels("address").inc()
            raise errors.Throttled(
                f"This address already has {held} live streams open; close one.",
                retry_after=ADDRESS_RETRY_SECONDS,
                code="live_streams_per_address",
            )
        if self.total >= self.per_process:
            sse_refused.labels("process").inc()
            raise errors.Busy(
                "The live board is full on this server; try again shortly.",
                retry_after=PROCESS_RETRY_SECONDS,
                code="live_streams_full",
            )
        self._by_subject[subject] = held + 1
        self.total += 1
        return Slot(self, subject)

    def held_by(self, address: str) -> int:
        return self._by_subject.get(address_subject(address), 0)

    def _give_back(self, subject: str) -> None:
        self.total -= 1
        left = self._by_subject.get(subject, 0) - 1
        if left > 0:
            self._by_subject[subject] = left
        else:
            self._by_subject.pop(subject, None)
