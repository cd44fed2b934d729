"""Dropping test databases in a helper process, so that the test run never waits for it.

A PostgreSQL ``DROP DATABASE`` waits for a checkpoint, which writes and syncs
what the clones dirtied.  Measured on the 500-revision benchmark, the drops of
50 clones took 5 to 14 s however they were grouped (one by one while the tests
ran, or all at once at the end), about as long as the template build and all
the clones together.  So the templates hand the names to this helper: a child
process, started on the first drop, that reads the server's URL and then one
database name a line from its stdin, drops them a few at a time as they come
(concurrent drops share a checkpoint), and exits once its stdin is closed and
every drop is done.  It outlives the pytest process by the time the last drops
take; a test session that is interrupted still has the names it sent dropped.

The URL travels on stdin, not the command line, so that no password shows in
the process list.  Failures go to the log file the parent names (a database
left behind is worth a line, not a failed test run); a helper that cannot be
started or died makes :meth:`Dropper.drop` raise ``OSError``, and the caller
drops the databases itself.

:class:`BackgroundDrops` is what the templates and the empty databases use: the
helper where the server drops elsewhere, else drops on the caller's event loop.

Usage (by :class:`Dropper`): ``python -c "from asyncmig.testing._dropper import main; main()"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import anyio
import anyio.to_thread

from ._servers import Server, server_for

__all__ = ("BackgroundDrops", "Dropper")

_AT_ONCE = 8  # measured: 30 drops took 3.4 s 8 at a time, 3.8 to 5.9 s 4 at a time
_TRIES = 3


class Dropper:
    """The parent's side: start the helper on first use, send it names, let it finish."""

    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log
        self._stdin: IO[bytes] | None = None
        self._lock = threading.Lock()

    async def drop(self, names: Sequence[str]) -> None:
        """Have databases `names` dropped (returns once the helper has them, not once dropped).

        Raises ``OSError`` when the helper cannot be started or has died.
        """
        await anyio.to_thread.run_sync(self._send, list(names))

    async def close(self) -> None:
        """Tell the helper no more names come; it finishes its drops on its own."""
        await anyio.to_thread.run_sync(self._close)

    def _send(self, names: list[str]) -> None:
        with self._lock:
            if self._stdin is None:
                self._stdin = self._start()
            self._stdin.write("".join(f"{name}\n" for name in names).encode())
            self._stdin.flush()

    def _start(self) -> IO[bytes]:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        package_root = str(Path(__file__).parents[2])  # asyncmig importable, installed or not
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (package_root, path)))}
        read, write = os.pipe()
        try:
            with self.log.open("ab") as log:
                # A launcher that starts the helper and exits: the helper is not this
                # process's child, so it leaves no zombie and no "still running" warning.
                launcher = subprocess.Popen(  # this interpreter, a module of this package
                    [sys.executable, "-c", _LAUNCH, sys.executable, "-c", _HELPER],
                    stdin=read,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    env=env,
                )
            if launcher.wait() != 0:
                raise OSError(f"could not start the drop helper (see {self.log})")
        except BaseException:
            os.close(write)
            raise
        finally:
            os.close(read)
        stdin = os.fdopen(write, "wb")
        stdin.write(f"{self.url}\n".encode())
        return stdin

    def _close(self) -> None:
        with self._lock:
            if self._stdin is not None:
                with contextlib.suppress(OSError):  # a helper that died has nothing to finish
                    self._stdin.close()


class BackgroundDrops:
    """Databases of one server dropped in the background, by the helper or here."""

    def __init__(self, server: Server, log: Path) -> None:
        self.server = server
        self._helper = Dropper(server.url, log) if server.drops_elsewhere else None
        self._doomed: list[str] = []
        self._dropping: asyncio.Task[None] | None = None

    def drop_soon(self, name: str) -> None:
        """Have database `name` dropped, without waiting (call on the event loop)."""
        self._doomed.append(name)
        if self._dropping is None or self._dropping.done():
            self._dropping = asyncio.get_running_loop().create_task(self._drop_doomed())

    async def _drop_doomed(self) -> None:
        while self._doomed:
            batch, self._doomed = self._doomed, []
            if self._helper is not None:
                try:
                    await self._helper.drop(batch)
                    continue
                except OSError:
                    self._helper = None  # no helper process: drop them here from now on
            async with anyio.create_task_group() as group:
                for name in batch:
                    group.start_soon(self.server.drop, name)

    async def close(self) -> None:
        """Wait for the drops made here; tell the helper (which may still be busy) to finish."""
        if self._dropping is not None:
            await self._dropping
        if self._helper is not None:
            await self._helper.close()


# Not ``-m``: the package imports this module before runpy would run it as __main__.
_HELPER = f"from {__name__} import main; main()"
# Its own session: a Ctrl-C meant for pytest does not stop the drops.
_LAUNCH = "import subprocess, sys; subprocess.Popen(sys.argv[1:], start_new_session=True)"


async def _drop(url: str, names: IO[str]) -> None:
    server = server_for(url, Path())
    limiter = anyio.CapacityLimiter(_AT_ONCE)

    async def drop(name: str) -> None:
        async with limiter:
            for attempt in range(1, _TRIES + 1):
                try:
                    await server.drop(name)
                    return
                except Exception as exc:  # reported, and the others still dropped
                    if attempt == _TRIES:
                        print(f"asyncmig: could not drop {name}: {exc}", file=sys.stderr)
                    else:
                        await anyio.sleep(attempt)

    try:
        async with anyio.create_task_group() as group:
            while line := await anyio.to_thread.run_sync(names.readline):
                if line.strip():
                    group.start_soon(drop, line.strip())
    finally:
        await server.close()


def main() -> None:
    """Read the URL, then drop each database named on stdin until it closes."""
    url = sys.stdin.readline().strip()
    if url:
        anyio.run(_drop, url, sys.stdin, backend="asyncio")
