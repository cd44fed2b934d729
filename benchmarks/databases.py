"""Scratch databases for the upgrade benchmark: SQLite files and PostgreSQL databases.

Each run of each tool gets a fresh, empty database so that no run sees another's
version table or leftovers.  PostgreSQL scratch databases are created and dropped
through an AUTOCOMMIT connection to the database named in the given URL; only servers
on the loopback interface are accepted.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

__all__ = ("LOOPBACK", "Backend", "PostgreSQL", "SQLite", "check_loopback")

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_loopback(url: str) -> None:
    """Refuse any server URL whose host is not the loopback interface."""
    from sqlalchemy.engine import make_url

    host = make_url(url).host
    if host not in LOOPBACK:
        raise SystemExit(f"benchmarks only use local servers; {host!r} is not 127.0.0.1")


class Backend(Protocol):
    """A kind of database the benchmark can hand out fresh copies of."""

    name: str

    def fresh(self, label: str) -> str:
        """The URL of an empty database for `label`, created (or emptied) now."""
        ...

    def discard(self, label: str) -> None:
        """Remove the database for `label`."""
        ...


class SQLite:
    """SQLite files under a folder, driven through aiosqlite."""

    name = "sqlite"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, label: str) -> Path:
        return self.folder / f"{label}.db"

    def fresh(self, label: str) -> str:
        """A new empty file for `label` (any previous one removed)."""
        self.discard(label)
        return f"sqlite+aiosqlite:///{self._path(label)}"

    def discard(self, label: str) -> None:
        """Delete the file of `label` and its journal."""
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self._path(label)}{suffix}").unlink(missing_ok=True)


class PostgreSQL:
    """Scratch databases ``asyncmig_bench_<label>`` on a local PostgreSQL server (asyncpg)."""

    name = "postgresql"

    def __init__(self, url: str) -> None:
        check_loopback(url)
        self.url = url

    def _name(self, label: str) -> str:
        return f"asyncmig_bench_{label}"

    def _admin(self, statements: list[str]) -> None:
        asyncio.run(self._run(statements))

    async def _run(self, statements: list[str]) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine
        from sqlalchemy.pool import NullPool

        engine = create_async_engine(self.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                for statement in statements:
                    await conn.exec_driver_sql(statement)
        finally:
            await engine.dispose()

    def _quoted(self, label: str) -> str:
        from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

        preparer = PGDialect_asyncpg().identifier_preparer  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
        return preparer.quote_identifier(self._name(label))

    def available(self) -> str | None:
        """None when the server answers, else the reason it does not."""
        try:
            self._admin(["SELECT 1"])
        except Exception as exc:  # any connection failure means: skip PostgreSQL
            return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        return None

    def fresh(self, label: str) -> str:
        """Drop and create the scratch database of `label`; its URL."""
        from sqlalchemy.engine import make_url

        name = self._quoted(label)
        self._admin([f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"])
        url = make_url(self.url).set(database=self._name(label))
        return url.render_as_string(hide_password=False)

    def discard(self, label: str) -> None:
        """Drop the scratch database of `label`."""
        self._admin([f"DROP DATABASE IF EXISTS {self._quoted(label)} WITH (FORCE)"])
