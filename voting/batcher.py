"""Coalesce the EVALSHA calls of one event-loop tick into one Redis pipeline.

Under load many votes arrive in the same tick; sending them as one pipeline costs
one round trip and one connection instead of one each. Every call still runs its
own atomic script, so batching changes latency only, never the outcome.

On a Redis Cluster the batch is split by the node owning each call's slot (all keys
of a call share one hash tag), one pipeline per node, sent concurrently. A call
answered MOVED (slot map changed) or ASK (slot migrating) did not run: the slot map
is refreshed (or ASKING sent to the named node) and the call sent again.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import hiredis
import redis.asyncio as aioredis
import redis.asyncio.cluster as aiocluster
import redis.exceptions
from redis.asyncio.connection import Connection

from duels import errors

MAX_BATCH = 256
# Cluster redirections followed for one call before it is answered "store unavailable".
MAX_REDIRECTS = 5
TRYAGAIN_PAUSE_SECONDS = 0.05

Call = tuple[tuple[str, ...], int]  # (keys and args, number of keys)


class ScriptBatcher:
    def __init__(
        self, client: aioredis.Redis | aiocluster.RedisCluster, source: str, timeout: float
    ) -> None:
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
                TimeoutError, redis.exceptions.BusyLoadingError,
                redis.exceptions.RedisClusterException) as exc:  # fmt: skip
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

    async def _execute(self, calls: list[Call]) -> list[Any]:
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

    async def _pipeline(self, calls: list[Call]) -> list[Any]:
        try:
            return await self._pipeline_once(calls)
        except (redis.exceptions.ConnectionError, ConnectionError):
            # Pooled connections go stale when Redis restarts: drop the idle ones and
            # retry once on a fresh one. Safe: a vote that did run answers
            # "already_voted" the second time, so a retry never counts twice.
            if isinstance(self.client, aiocluster.RedisCluster):
                for node in self.client.get_nodes():
                    await node.disconnect_free_connections()
            else:
                await self.client.connection_pool.disconnect(inuse_connections=False)
            return await self._pipeline_once(calls)

    async def _pipeline_once(self, calls: list[Call]) -> list[Any]:
        if isinstance(self.client, aiocluster.RedisCluster):
            return await self._cluster_pipeline(self.client, calls)
        pool = self.client.connection_pool
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            return await self._exchange(connection, calls)
        finally:
            await pool.release(connection)

    async def _exchange(
        self, connection: Connection, calls: list[Call], *, asking: bool = False
    ) -> list[Any]:
        """One write of all ``calls``, then their replies in order (errors as values)."""
        # A hand-rolled pipeline: hiredis packs the commands in C, one write, then one
        # read per call. redis-py's Pipeline costs more Python per command on this path.
        prefix = hiredis.pack_command(("ASKING",)) if asking else b""
        packed = b"".join(
            prefix + hiredis.pack_command(("EVALSHA", self.sha, numkeys, *args))  # type: ignore[arg-type]
            for args, numkeys in calls
        )
        try:
            await connection.send_packed_command(packed, check_health=True)
            results: list[Any] = []
            for _ in calls:
                try:
                    if asking:
                        await connection.read_response()  # +OK of ASKING
                    results.append(await connection.read_response())
                except redis.exceptions.ResponseError as error:  # this call's error only
                    results.append(error)
        except BaseException:
            # Replies may be left unread on the socket: never reuse this connection.
            await connection.disconnect()
            raise
        return results

    # Redis Cluster ------------------------------------------------------------------

    async def _cluster_pipeline(
        self, cluster: aiocluster.RedisCluster, calls: list[Call]
    ) -> list[Any]:
        await cluster.initialize()  # once; later calls return at once
        results: list[Any] = [None] * len(calls)
        todo = list(range(len(calls)))
        ask: dict[int, aiocluster.ClusterNode] = {}  # call -> node named by its ASK reply
        for _ in range(MAX_REDIRECTS):
            groups: dict[tuple[aiocluster.ClusterNode, bool], list[int]] = {}
            for index in todo:
                target = ask.get(index)
                node = target or _owner(cluster, calls[index][0][0])
                groups.setdefault((node, target is not None), []).append(index)
            ask.clear()
            replies = await asyncio.gather(
                *(
                    self._node_exchange(node, [calls[i] for i in indexes], asking)
                    for (node, asking), indexes in groups.items()
                )
            )
            todo, refresh, pause = [], False, False
            for indexes, answers in zip(groups.values(), replies, strict=True):
                for index, answer in zip(indexes, answers, strict=True):
                    results[index] = answer
                    if isinstance(answer, redis.exceptions.MovedError):
                        refresh = True
                    elif isinstance(answer, redis.exceptions.AskError):
                        named = cluster.get_node(host=answer.host, port=answer.port)
                        if named is None:
                            refresh = True
                        else:
                            ask[index] = named
                    elif isinstance(answer, redis.exceptions.TryAgainError):
                        pause = True  # keys of one call split mid-migration
                    else:
                        continue
                    todo.append(index)  # the call did not run: send it again
            if not todo:
                return results
            if refresh:
                await cluster.nodes_manager.initialize()
            if pause:
                await asyncio.sleep(TRYAGAIN_PAUSE_SECONDS)
        for index in todo:
            results[index] = errors.StoreUnavailable()
        return results

    async def _node_exchange(
        self, node: aiocluster.ClusterNode, calls: list[Call], asking: bool
    ) -> list[Any]:
        """The replies of one node. A node that cannot be reached fails only its own calls
        (answered "store unavailable"), never the calls the other nodes ran."""
        for attempt in range(2):
            connection = node.acquire_connection()
            try:
                answers = await self._exchange(connection, calls, asking=asking)
                break
            except (redis.exceptions.ConnectionError, ConnectionError):
                if attempt:
                    return [errors.StoreUnavailable() for _ in calls]
                # Stale connections of a restarted node: once more on a fresh one (a call
                # that did run answers "already_voted" the second time, never counts twice).
                await node.disconnect_free_connections()
            except (redis.exceptions.TimeoutError, TimeoutError, OSError):
                return [errors.StoreUnavailable() for _ in calls]
            finally:
                node.release(connection)
        # A slot without a master answers CLUSTERDOWN: the store is unavailable, not broken.
        return [
            errors.StoreUnavailable()
            if isinstance(answer, redis.exceptions.ClusterDownError)
            else answer
            for answer in answers
        ]


def _owner(cluster: aiocluster.RedisCluster, key: str) -> aiocluster.ClusterNode:
    node = cluster.get_node_from_key(key)
    if node is None:  # only for replica=True; kept for the type checker
        raise redis.exceptions.SlotNotCoveredError(f"no node serves {key!r}")
    return node


def _is_noscript(result: object) -> bool:
    return isinstance(result, redis.exceptions.NoScriptError) or (
        isinstance(result, redis.exceptions.ResponseError) and str(result).startswith("NOSCRIPT")
    )
