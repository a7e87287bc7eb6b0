"""A small keep-alive HTTP/1.1 client on asyncio streams, for load generators.

httpx costs ~1 ms of CPU per request; on a 2-core machine the load generator then
competes with the product it measures. This client does only what the benchmarks
need (Content-Length or chunked bodies, no redirects, no cookie jar) at a fraction of
that cost, so the figures describe the server, not the client."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import orjson


@dataclass(slots=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes

    def json(self) -> object:
        return orjson.loads(self.body)


# uvicorn closes a keep-alive connection idle for 5 s; reuse only younger ones.
IDLE_SECONDS = 3.0


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()

    async def request(self, head: bytes, body: bytes) -> Answer:
        self.writer.write(head + body)
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            content = b"".join(chunk[:-2] for chunk in chunks)
        else:
            content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
        self.idle_since = time.monotonic()
        return Answer(status, headers, content)

    @property
    def usable(self) -> bool:
        return not self.writer.is_closing() and not self.reader.at_eof()


class Pool:
    """Up to ``size`` keep-alive connections to one server."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self._idle: list[Connection] = []
        self._slots = asyncio.Semaphore(size)

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> Answer:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        async with self._slots:
            connection = self._reusable() or await self._connect()
            try:
                answer = await connection.request(head, body)
            except BaseException:
                connection.writer.close()
                raise
            if connection.usable:
                self._idle.append(connection)
            return answer

    def _reusable(self) -> Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if connection.usable and time.monotonic() - connection.idle_since < IDLE_SECONDS:
                return connection
            connection.writer.close()
        return None

    async def _connect(self) -> Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        return Connection(reader, writer)

    async def close(self) -> None:
        for connection in self._idle:
            connection.writer.close()
            with contextlib.suppress(OSError):
                await connection.writer.wait_closed()
        self._idle.clear()
