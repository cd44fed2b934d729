"""Script directories, loaded once per script location per run, in a worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from .._script.directory import ScriptDirectory

if TYPE_CHECKING:
    from .._config import Config, DatabaseConfig
    from .._script.revision import RevisionMap


@dataclass(frozen=True)
class Loaded:
    """One script location: its directory, graph (if asked for) and env.py module."""

    directory: ScriptDirectory
    graph: RevisionMap | None
    env_module: ModuleType | None


class ScriptCache:
    """Every script location a run touches, each loaded once and shared by its targets."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._loaded: dict[tuple[Path | None, bool], Loaded] = {}
        self._lock = anyio.Lock()

    def location(self, database: DatabaseConfig) -> Path | None:
        """The script location of a database (None: the main one)."""
        return database.script_location

    async def load(self, database: DatabaseConfig, *, graph: bool = True) -> Loaded:
        """The database's scripts; the graph is built only when `graph` is true."""
        location = self.location(database)
        key = (location, graph)
        async with self._lock:
            found = self._loaded.get(key) or self._loaded.get((location, True))
            if found is None:
                found = await anyio.to_thread.run_sync(self._scan, location, graph)
                self._loaded[key] = found
        return found

    def _scan(self, location: Path | None, graph: bool) -> Loaded:
        directory = ScriptDirectory(self.config, location)
        revision_map = directory.revision_map if graph else None
        return Loaded(directory, revision_map, directory.env_module())

    async def require_graph(self, database: DatabaseConfig) -> tuple[Loaded, RevisionMap]:
        """The database's scripts together with their (built) revision graph."""
        loaded = await self.load(database, graph=True)
        assert loaded.graph is not None  # built because graph=True
        return loaded, loaded.graph
