"""Migrated databases from cached templates.

A template is a database migrated once to a target revision; each test gets a
clone of it.  The template's name carries a key: a hash of the script files'
contents (not their mtimes), ``env.py``, the settings that change the DDL,
the target revision and the dialect.  A changed script means a new key, so a
new template; the oldest templates of the same history beyond ``keep`` are
dropped after each build.

Builds are safe across pytest-xdist workers and CI jobs sharing a server: the
build runs under the server's own lock (see ``_servers``), the first comer
builds, the others wait, find it complete and reuse it.

Once a revision has been cloned twice, ``ahead`` more clones of it are made in
the background while the test that got the last one runs, so that the next
test finds one ready (``_ahead``).  Clones are dropped in the background too: on
PostgreSQL by a helper process that finishes after the test run, elsewhere here
(``_dropper``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread

from .._config import Config
from .._script.directory import ScriptDirectory
from ..errors import CommandError
from ._ahead import MadeAhead
from ._dropper import BackgroundDrops
from ._servers import Server, TemplateState, server_for

__all__ = ("Clone", "Templates", "with_url")

PREFIX = "asyncmig_tpl_"
CLONE_PREFIX = "asyncmig_clone_"


@dataclass(frozen=True)
class Clone:
    """One test database: its name on the server and its URL."""

    name: str
    url: str
    database: str = ""  # the configured database it stands for ("" for an empty one)


def with_url(config: Config, database: str, url: str) -> Config:
    """`config` with database `database`'s URL replaced by `url`."""
    db = config.database(database)
    databases = {**config.databases, database: dataclasses.replace(db, url=url)}
    return dataclasses.replace(config, databases=databases)


def _hash_history(config: Config, database: str) -> tuple[str, str]:
    """(a hash of everything that shapes the migrated schema, a hash naming the history)."""
    db = config.database(database)
    directory = ScriptDirectory(config, db.script_location)
    digest = hashlib.sha256()
    for folder in directory.version_locations:
        for path in sorted(p for p in Path(folder).rglob("*") if p.suffix in {".py", ".pyc"}):
            if "__pycache__" in path.parts:
                continue
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    env = directory.location / "env.py"
    if env.is_file():
        digest.update(env.read_bytes())
    settings = (
        sorted(config.naming_convention.items()),
        db.version_table or config.version_table,
        db.version_table_schema or config.version_table_schema,
        config.transaction_per_migration,
        config.target_metadata,
    )
    digest.update(repr(settings).encode())
    bases = sorted(directory.revision_map.bases)
    history = hashlib.sha256(repr(bases).encode()).hexdigest()[:6]
    return digest.hexdigest(), history


class Templates:
    """Templates and clones of one configured database's history on one server."""

    def __init__(
        self,
        config: Config,
        database: str,
        *,
        admin_url: str | None = None,
        folder: Path,
        clone_folder: Path | None = None,
        keep: int = 5,
        ahead: int | None = None,
    ) -> None:
        url = admin_url or config.database(database).url
        if not url:
            raise CommandError(
                f"database {database!r} has no url; set one, or give asyncmig_url for the tests"
            )
        self.config = config
        self.database = database
        self.keep = keep
        self.server: Server = server_for(url, folder)
        if clone_folder is not None:
            self.server.clone_folder = clone_folder
        self.ahead = self.server.ahead if ahead is None else ahead
        self.prefix = f"{CLONE_PREFIX}{uuid.uuid4().hex[:8]}_"  # of the clones made here
        self._states: dict[str, TemplateState] = {}
        self._hashes: tuple[str, str] | None = None
        self._stocks: dict[str, MadeAhead[Clone]] = {}
        self._drops = BackgroundDrops(self.server, folder / "drops.log")

    @property
    def dialect(self) -> str:
        return type(self.server).dialects[0]

    async def name(self, revision: str) -> str:
        """The template name for `revision` (reads every script file, in a worker thread)."""
        if self._hashes is None:
            self._hashes = await anyio.to_thread.run_sync(_hash_history, self.config, self.database)
        scripts, history = self._hashes
        key = hashlib.sha256(f"{scripts}\0{revision}\0{self.dialect}".encode()).hexdigest()
        return f"{PREFIX}{history}_{key[:16]}"

    async def migrate(self, url: str, revision: str) -> None:
        """Migrate the database at `url` to `revision` with the project's scripts."""
        from .._commands.database import upgrade

        await upgrade(
            with_url(self.config, self.database, url), revision, databases=[self.database]
        )

    async def template(self, revision: str = "head") -> TemplateState:
        """The template at `revision`, built first if no process has built it yet."""
        name = await self.name(revision)
        if name in self._states:
            return self._states[name]
        server = self.server
        async with server.locked(name):
            if not await server.ready(name):
                url = await server.prepare(name)
                try:
                    await self.migrate(url, revision)
                except BaseException:
                    await server.drop(name)
                    raise
                await server.finish(name)
                await self._prune(name)
        state = TemplateState(name, server.url_of(name))
        self._states[name] = state
        return state

    async def _prune(self, built: str) -> None:
        history = built[: len(PREFIX) + 7]
        found = sorted(await self.server.templates(history), reverse=True)
        for _, name in found[self.keep :]:
            if name != built:
                # In use by another run right now: a later build drops it.
                with contextlib.suppress(Exception):
                    await self.server.drop(name)

    async def clone(self, revision: str = "head") -> Clone:
        """A fresh database at `revision`, cloned from its template.

        From the second clone of one revision on, up to ``ahead`` more are made
        in the background while the caller uses this one (see ``_ahead``).
        """
        state = await self.template(revision)
        if revision not in self._stocks:
            self._stocks[revision] = MadeAhead(lambda: self._make(state, revision))
        return await self._stocks[revision].take(self.ahead)

    async def _make(self, state: TemplateState, revision: str) -> Clone:
        name = self._clone_name()
        try:
            url = await self.server.clone(state, name)
            if not self.server.can_clone(state):
                await self.migrate(url, revision)
        except BaseException:
            self._drops.drop_soon(name)  # whatever part of it was made
            raise
        return Clone(name, url, self.database)

    def _clone_name(self) -> str:
        return f"{self.prefix}{uuid.uuid4().hex[:8]}"

    async def empty(self) -> Clone:
        """A fresh, empty database (for the history checks)."""
        name = self._clone_name()
        return Clone(name, await self.server.create(name), self.database)

    async def drop(self, clone: Clone) -> None:
        """Drop a clone, now."""
        await self.server.drop(clone.name)

    def drop_soon(self, clone: Clone) -> None:
        """Drop a clone in the background (call on the event loop).

        On PostgreSQL a helper process drops it, and the test run does not wait
        for it (see ``_dropper``); elsewhere it is dropped here, and
        :meth:`close` waits for those drops.
        """
        self._drops.drop_soon(clone.name)

    async def close(self) -> None:
        """Drop the clones made ahead that nobody took, and release the admin connections.

        The helper process may still be dropping clones after this returns; the
        clones of this object are those whose names start with :attr:`prefix`.
        """
        for stock in self._stocks.values():
            for clone in await stock.leftovers():
                self.drop_soon(clone)
        self._stocks.clear()
        await self._drops.close()
        await self.server.close()
