"""A worker process of a ``--jobs`` run: ``python -m asyncmig._commands.job_worker``.

It reads its setup and then its chunks of targets from stdin (see
:mod:`.job_protocol`), runs each chunk with the anyio runner -- the chunk's
tenant schemas listed in place of the database's query, which the parent
ran once -- and writes each step and each chunk's reports to stdout.  One
engine per database serves all its chunks.  Anything else the process
prints (an env.py's ``print``) goes to stderr, so stdout carries only the
protocol.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import IO, Any

import anyio
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .._config import Config, DatabaseConfig
from .._reports import StepReport
from ..errors import AsyncmigError
from .job_protocol import Setup, TargetKey, decode, encode

__all__ = ("main",)

# Steps are queued from the event loop without waiting; the writer drains them in batches.
_OUTBOX_SIZE = math.inf


class _Worker:
    def __init__(self, setup: Setup, config: Config, send: MemoryObjectSendStream[bytes]) -> None:
        from .._runtime.script_cache import ScriptCache

        self.setup = setup
        self.config = config
        self.send = send
        self.scripts = ScriptCache(config)
        self.engines: dict[str, Any] = {}
        self.leases: list[Any] = []

    def on_step(self, step: StepReport) -> None:
        self.send.send_nowait(encode({"step": step.to_dict()}))

    async def engine_for(self, database: DatabaseConfig) -> None:
        """Make the engine the database's chunks share (a failure is left to the runner)."""
        from .._runtime.engines import lease_engine
        from .._runtime.targets import DEFAULT_SCHEMA_CONCURRENCY, is_tenanted

        if database.name in self.engines:
            return
        width = self.setup.concurrency or DEFAULT_SCHEMA_CONCURRENCY
        try:
            loaded = await self.scripts.load(database, graph=False)
            lease = await lease_engine(
                database,
                None,
                loaded.env_module,
                connections=2 * width if is_tenanted(database) else None,
            )
        except Exception:  # the runner makes the same attempt and reports it for the database
            return
        self.engines[database.name] = lease.engine
        self.leases.append(lease)

    async def chunk(self, chunk_id: int, targets: Sequence[TargetKey]) -> None:
        """Run one chunk and send its reports (steps already went out one by one)."""
        from .._runtime.requests import Request
        from .._runtime.runner import RunOptions, run

        schemas: dict[str, list[str]] = {}
        for name, schema in targets:
            names = schemas.setdefault(name, [])
            if schema is not None:
                names.append(schema)
        chosen: dict[str, DatabaseConfig] = {}
        for name, listed in schemas.items():
            database = self.config.database(name)
            if listed:
                database = replace(database, schemas=tuple(listed), schemas_query=None)
            chosen[name] = database
            await self.engine_for(database)
        config = replace(self.config, databases={**self.config.databases, **chosen})
        request = Request(
            self.setup.command,  # type: ignore[arg-type]  # a command the parent checked
            self.setup.revisions,
            purge=self.setup.purge,
            tag=self.setup.tag,
        )
        options = RunOptions(
            engines=self.engines,
            concurrency=self.setup.concurrency,
            fail_fast=self.setup.fail_fast,
            lock=self.setup.lock,
            on_step=self.on_step,
            scripts=self.scripts,
        )
        report = await run(config, request, list(schemas), options)
        reports = [{**db.to_dict(), "steps": []} for db in report.databases]
        await self.send.send(encode({"done": chunk_id, "reports": reports}))

    async def close(self) -> None:
        with anyio.CancelScope(shield=True):
            for lease in self.leases:
                await lease.close()


async def _write(receive: MemoryObjectReceiveStream[bytes], out: IO[bytes]) -> None:
    """Write queued lines to the parent, all that are waiting in one write, off the loop."""
    async with receive:
        async for first in receive:
            batch = [first]
            while True:
                try:
                    batch.append(receive.receive_nowait())
                except anyio.WouldBlock:
                    break
            data = b"".join(batch)
            await anyio.to_thread.run_sync(_write_all, out, data)


def _write_all(out: IO[bytes], data: bytes) -> None:
    out.write(data)
    out.flush()


async def _serve(out: IO[bytes]) -> int:
    send, receive = anyio.create_memory_object_stream[bytes](_OUTBOX_SIZE)
    async with anyio.create_task_group() as writer:
        writer.start_soon(_write, receive, out)
        async with send:
            status = await _work(send)
    return status


async def _work(send: MemoryObjectSendStream[bytes]) -> int:
    first = await _read_line()
    if not first:
        return 1
    setup = Setup.from_dict(decode(first)["setup"])
    try:
        config = await anyio.to_thread.run_sync(_load, setup)
    except AsyncmigError as exc:
        await send.send(encode({"fatal": str(exc)}))
        return 1
    worker = _Worker(setup, config, send)
    try:
        async with anyio.create_task_group() as chunks:
            while True:
                line = await _read_line()
                message: dict[str, Any] = decode(line) if line else {"end": True}
                if "chunk" in message:
                    targets: list[TargetKey] = [(db, schema) for db, schema in message["targets"]]
                    chunks.start_soon(worker.chunk, message["chunk"], targets)
                elif "cancel" in message:
                    chunks.cancel_scope.cancel()
                    break
                else:  # end: finish the chunks running, then stop
                    break
    finally:
        await worker.close()
    return 0


def _load(setup: Setup) -> Config:
    return Config.load(
        setup.config_path, url=setup.url, x_arguments=setup.x_arguments, cwd=setup.cwd
    )


async def _read_line() -> bytes:
    return await anyio.to_thread.run_sync(sys.stdin.buffer.readline, abandon_on_cancel=True)


def main() -> int:
    """Serve the parent on stdin/stdout; the exit status is 0 unless setup failed."""
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return anyio.run(_serve, protocol, backend="asyncio")


if __name__ == "__main__":
    sys.exit(main())
