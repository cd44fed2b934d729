"""Fresh empty databases for tests, made ahead and dropped in the background.

For tests that build their own schema (asyncmig's own suite, a project's tests
of its migrations from an empty database): each gets a database no other test
sees, without waiting for its ``CREATE DATABASE`` (made while the previous test
ran) or its ``DROP DATABASE`` (on PostgreSQL a helper process drops it, which
may finish after the test run; elsewhere :meth:`EmptyDatabases.close` waits).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from ._ahead import MadeAhead
from ._dropper import BackgroundDrops
from ._servers import Server, server_for
from ._templates import Clone

__all__ = ("EMPTY_PREFIX", "EmptyDatabases")

EMPTY_PREFIX = "asyncmig_empty_"


class EmptyDatabases:
    """Empty databases on one server, handed out one per test.

    `url` is any database on the server that the user may connect to (for
    SQLite, any file: the databases are files in `folder`, which also holds
    the drop helper's log).  Every database made here is named
    :attr:`prefix` (`prefix` plus a part unique to this object) plus a unique
    part.  Call the async methods on one event loop.
    """

    def __init__(
        self, url: str, *, folder: Path, prefix: str = EMPTY_PREFIX, ahead: int | None = None
    ) -> None:
        self.server: Server = server_for(url, folder)
        self.ahead = self.server.ahead if ahead is None else ahead
        self.prefix = f"{prefix}{uuid.uuid4().hex[:8]}_"
        self._stock = MadeAhead(self._make)
        self._drops = BackgroundDrops(self.server, folder / "drops.log")

    async def _make(self) -> Clone:
        name = f"{self.prefix}{uuid.uuid4().hex[:8]}"
        try:
            return Clone(name, await self.server.create(name))
        except BaseException:
            self._drops.drop_soon(name)  # in case the server made it after all
            raise

    async def take(self) -> Clone:
        """A new empty database: its name and URL.

        From the second one on, ``ahead`` more are made in the background
        while the caller uses this one.
        """
        return await self._stock.take(self.ahead)

    def drop_soon(self, database: Clone) -> None:
        """Drop a database taken here, in the background (call on the event loop)."""
        self._drops.drop_soon(database.name)

    async def close(self) -> None:
        """Drop the databases made ahead that nobody took; release the admin connections.

        On PostgreSQL the helper process may still be dropping databases after
        this returns.
        """
        for database in await self._stock.leftovers():
            self.drop_soon(database)
        await self._drops.close()
        await self.server.close()
