"""Coalesce the EVALSHA calls of one event-loop tick into one Redis pipeline.

Under load many votes arrive in the same tick; sending them as one pipeline costs
one round trip and one connection instead of one each. Every call still runs its
own atomic script, so batching changes latency only, never the outcome.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import hiredis
import redis.asyncio as aioredis
import redis.exceptions

from duels import errors

MAX_BATCH = 256


class ScriptBatcher:
    def __init__(self, client: aioredis.Redis, source: str, timeout: float) -> None:
        self.client = client
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1
        self.timeout = timeout
        self._loaded = False
        self._pending: list[tuple[tuple[str, ...], int, asyncio.Future[Any]]] = []
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def call(self, keys: tuple[str, ...], args: tuple[str, ...]) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append(((*keys, *args), len(keys), future))
        if len(self._pending) >= MAX_BATCH:
            self._flush()
        elif not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        if not batch:
            return
        task = asyncio.ensure_future(self._run(batch))
        self._tasks.add(task)  # keep a reference until done
        task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[tuple[str, ...], int, asyncio.Future[Any]]]) -> None:
        try:
            results = await asyncio.wait_for(
                self._execute([(args, numkeys) for args, numkeys, _ in batch]), self.timeout
            )
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError,
                TimeoutError, redis.exceptions.BusyLoadingError) as exc:  # fmt: skip
            self._loaded = False  # a restarted Redis has lost its scripts
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(errors.StoreUnavailable())
            del exc
            return
        except BaseException as exc:
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            raise
        for (_, _, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller went away
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _execute(self, calls: list[tuple[tuple[str, ...], int]]) -> list[Any]:
        if not self._loaded:
            await self._load()
        results = await self._pipeline(calls)
        missing = [i for i, result in enumerate(results) if _is_noscript(result)]
        if missing:
            # The script cache was flushed (Redis restarted): load once more, rerun only
            # those calls. A NOSCRIPT call did not run, so this cannot count twice.
            await self._load()
            rerun = await self._pipeline([calls[i] for i in missing])
            for index, result in zip(missing, rerun, strict=True):
                results[index] = result
        return results

    async def _load(self) -> None:
        sha = await self.client.script_load(self.source)
        assert sha == self.sha
        self._loaded = True

    async def _pipeline(self, calls: list[tuple[tuple[str, ...], int]]) -> list[Any]:
        try:
            return await self._pipeline_once(calls)
        except (redis.exceptions.ConnectionError, ConnectionError):
            # Pooled connections go stale when Redis restarts: drop the idle ones and
            # retry once on a fresh one. Safe: a vote that did run answers
            # "already_voted" the second time, so a retry never counts twice.
            await self.client.connection_pool.disconnect(inuse_connections=False)
            return await self._pipeline_once(calls)

    async def _pipeline_once(self, calls: list[tuple[tuple[str, ...], int]]) -> list[Any]:
        # A hand-rolled pipeline: hiredis packs the commands in C, one write, then one
        # read per call. redis-py's Pipeline costs more Python per command on this path.
        packed = b"".join(
            hiredis.pack_command(("EVALSHA", self.sha, numkeys, *args))  # type: ignore[arg-type]
            for args, numkeys in calls
        )
        pool = self.client.connection_pool
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            await connection.send_packed_command(packed, check_health=True)
            results: list[Any] = []
            for _ in calls:
                try:
                    results.append(await connection.read_response())
                except redis.exceptions.ResponseError as error:  # this call's error only
                    results.append(error)
        except BaseException:
            # Replies may be left unread on the socket: never reuse this connection.
            await connection.disconnect()
            raise
        finally:
            await pool.release(connection)
        return results


def _is_noscript(result: object) -> bool:
    return isinstance(result, redis.exceptions.NoScriptError) or (
        isinstance(result, redis.exceptions.ResponseError) and str(result).startswith("NOSCRIPT")
    )
