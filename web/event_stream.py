"""The ``text/event-stream`` response of one competition, fed by the broadcaster."""

from __future__ import annotations

import asyncio

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from web.broadcast import Broadcaster
from web.sse_frames import Client
from web.stream_slots import Slot

# The server's ``send`` as the outermost layer saw it (web/app.py, RawSend).
RAW_SEND = "machmal.raw_send"


class EventStream(Response):
    """``text/event-stream`` of one competition, fed by the broadcaster.

    Plain ASGI (no per-client helper tasks besides one disconnect watcher), so
    thousands of idle clients stay cheap."""

    media_type = "text/event-stream"

    def __init__(
        self,
        broadcaster: Broadcaster,
        cid: str,
        last_event_id: str | None,
        slot: Slot | None = None,
    ) -> None:
        self.broadcaster = broadcaster
        self.cid = cid
        self.last_event_id = last_event_id
        self.slot = slot
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._stream(send, scope.get(RAW_SEND, send), receive)
        finally:
            if self.slot is not None:
                self.slot.release()

    async def _stream(self, send: Send, raw_send: Send, receive: Receive) -> None:
        client, prelude = await self.broadcaster.open(self.cid, self.last_event_id)
        client.task = asyncio.current_task()
        watcher = asyncio.create_task(_close_on_disconnect(receive, client))
        try:
            # The start through the middleware (security headers), the body straight out.
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await client.send(raw_send, prelude)
            while (frame := await client.next()) is not None:
                await client.send(raw_send, frame.data)
            await raw_send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client went away
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not client.stalled or task is None:
                raise
            task.uncancel()  # our own ticker ended a stuck stream: not a shutdown
        finally:
            client.task = None
            watcher.cancel()
            self.broadcaster.remove(client)
            await asyncio.wait([watcher])


class RawSend:
    """Outermost ASGI layer: keeps the server's ``send`` in the scope for live streams."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)


async def _close_on_disconnect(receive: Receive, client: Client) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    client.close()
