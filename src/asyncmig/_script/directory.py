"""Scan version locations, read script headers (cached), load and write scripts.

Synchronous throughout (callers wrap scans in ``anyio.to_thread``); never
imports sqlalchemy; imports mako only when writing a script.

Which files are scripts follows Alembic: every ``*.py`` in a version
location except ``__init__.py`` and editor lock files (``.#*``), and with
``recursive_version_locations`` those of its subfolders too.  A ``.py`` file
that assigns no ``revision`` is an error, as in Alembic, unless its name is a
bare hex id (Alembic's legacy naming).  With ``sourceless`` a compiled
``name.pyc`` (or ``.pyo``) with no ``name.py`` beside it is a script as well,
and so is ``__pycache__/name.<cache tag>.pyc`` when ``name.py`` is absent;
compiled files for other Python versions (other cache tags) are skipped.
"""

from __future__ import annotations

import ast
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from ..errors import ConfigError, ScriptError
from . import loader, writer
from .headers import Header, HeaderCache, header_from_module, parse_source
from .revision import Revision, RevisionMap

if TYPE_CHECKING:
    from .._config import Config

__all__ = ("Script", "ScriptDirectory")

log = logging.getLogger("asyncmig.script")

_SCRIPT_NAME = re.compile(r"(?!\.#|__init__)(.+)\.py$")
_COMPILED_NAME = re.compile(r"(?!\.#|__init__)(.+)\.py[co]$")
_ALEMBIC_DRIVER_MESSAGE = (
    "%s drives Alembic's context; asyncmig reads its settings from the configuration instead"
)
_warned_env: set[str] = set()


@dataclass(frozen=True)
class Script:
    """One migration script file and its header."""

    revision: Revision
    path: Path
    doc: str  # the whole module docstring
    sys_path: tuple[Path, ...] = field(default=(), repr=False, compare=False)  # prepend_sys_path

    def load_module(self) -> ModuleType:
        """Import the script (once per process), with `from alembic import op` redirected."""
        return loader.load_file(self.path, sys_path=self.sys_path)


def _decode(data: bytes, path: str | Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        import io
        import tokenize

        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            return data.decode(encoding)
        except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
            raise ScriptError(
                f"is not UTF-8 and cannot be decoded ({exc}); save it as UTF-8 or declare "
                "its encoding (`# -*- coding: <name> -*-`)",
                path=str(path),
            ) from exc


def _list_scripts(root: Path, recursive: bool, sourceless: bool) -> Iterator[os.DirEntry[str]]:
    """The script files under one version location, in a stable order."""
    try:
        with os.scandir(root) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except FileNotFoundError:
        return
    names = {entry.name for entry in entries}
    stems = {entry.name.split(".", 1)[0] for entry in entries if entry.is_file()}
    folders: list[os.DirEntry[str]] = []
    for entry in entries:
        if entry.is_dir():
            folders.append(entry)
        elif _SCRIPT_NAME.match(entry.name):
            yield entry
        elif sourceless and _COMPILED_NAME.match(entry.name):
            source = entry.name[:-1]
            if source in names or (entry.name.endswith("o") and source + "c" in names):
                continue
            yield entry
    for folder in folders:
        if folder.name == "__pycache__":
            if sourceless:
                yield from _legacy_compiled(folder, stems)
        elif recursive:
            yield from _list_scripts(Path(folder.path), recursive, sourceless)


def _legacy_compiled(folder: os.DirEntry[str], stems: set[str]) -> Iterator[os.DirEntry[str]]:
    suffix = f".{sys.implementation.cache_tag}.pyc"
    with os.scandir(folder.path) as scan:
        for entry in sorted(scan, key=lambda e: e.name):
            if entry.name.endswith(suffix) and entry.name[: -len(suffix)] not in stems:
                yield entry


class ScriptDirectory:
    """The scripts of one script location and its version locations."""

    def __init__(self, config: Config, script_location: Path | None = None) -> None:
        self._config = config
        own = script_location is not None and Path(script_location) != config.script_location
        self._location = Path(script_location) if script_location else config.script_location
        if own:
            versions: tuple[Path, ...] = (self._location / "versions",)
        else:
            versions = config.version_locations or (self._location / "versions",)
        unique: dict[str, Path] = {}
        for folder in versions:
            unique.setdefault(os.path.abspath(folder), Path(folder))
        self._versions = tuple(unique.values())
        self._lock = threading.RLock()
        self._map: RevisionMap | None = None
        self._docs: dict[str, str] = {}
        self._sys_path = tuple(config.prepend_sys_path)

    @property
    def config(self) -> Config:
        """The configuration this directory was built from."""
        return self._config

    @property
    def location(self) -> Path:
        """The script location (where ``env.py`` and ``script.py.mako`` live)."""
        return self._location

    @property
    def version_locations(self) -> tuple[Path, ...]:
        """The folders scanned for scripts, without duplicates."""
        return self._versions

    @property
    def revision_map(self) -> RevisionMap:
        """The graph, built on first use from the (cached) headers."""
        with self._lock:
            if self._map is None:
                self.check_folders()
                revisions = self._scan()
                self._map = RevisionMap(revisions)
            return self._map

    def check_folders(self) -> None:
        """ConfigError naming the key, unless the script location and every version folder exist.

        A misspelt folder must not read as an empty history (a deploy that
        migrates nothing and succeeds); an existing, empty folder is one.
        """
        config = self._config
        where = str(config.path) if config.path else None
        prefix = "tool.asyncmig." if config.path and config.path.name == "pyproject.toml" else ""
        own = [n for n, db in config.databases.items() if db.script_location == self._location]
        location_key = f"{prefix}databases.{own[0]}.script_location" if own else "script_location"
        if not own:
            location_key = f"{prefix}{location_key}"
        problems = [(self._location, location_key, "the script location")]
        listed = set(map(os.path.abspath, config.version_locations))
        for folder in self._versions:
            if os.path.abspath(folder) in listed and folder != self._location / "versions":
                problems.append((folder, f"{prefix}version_locations", "version location"))
            else:
                problems.append((folder, location_key, "its versions folder"))
        for folder, key, what in problems:
            if folder.is_dir():
                continue
            state = "is not a folder" if folder.exists() else "does not exist"
            remedy = (
                "fix the path, or create it with `asyncmig init <folder>`"
                if what == "the script location"
                else "fix the path, or create the folder (an empty one is an empty history)"
            )
            raise ConfigError(f"{what} {folder} {state}; {remedy}", path=where, key=key)

    def invalidate(self) -> None:
        """Forget the graph, so that the next use rescans (after a script is written)."""
        with self._lock:
            self._map = None
            self._docs = {}

    def _scan(self) -> list[Revision]:
        revisions: list[Revision] = []
        docs: dict[str, str] = {}
        for location in self._versions:
            cache = HeaderCache(location)
            prefix = len(os.path.join(str(location), ""))
            for entry in _list_scripts(
                location, self._config.recursive_version_locations, self._config.sourceless
            ):
                stat = entry.stat()
                key = entry.path[prefix:].replace(os.sep, "/")
                header = cache.lookup(key, stat.st_mtime_ns, stat.st_size)
                if header is None:
                    header, cacheable = self._read_header(entry.path)
                    if cacheable:
                        cache.store(key, stat.st_mtime_ns, stat.st_size, header)
                revisions.append(self._revision(header, entry.path))
                docs[header.revision] = header.doc
            cache.save()
        self._docs = docs
        return revisions

    def _read_header(self, path: str) -> tuple[Header, bool]:
        """The header of one file, and whether it may be cached (not computed)."""
        if path.endswith(".py"):
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                raise ScriptError(f"cannot be read: {exc.strerror}", path=path) from exc
            header = parse_source(_decode(data, path), path)
            if header is not None:
                return header, True
        module = loader.load_file(path, sys_path=self._sys_path)
        return header_from_module(module, path), False

    @staticmethod
    def _revision(header: Header, path: str) -> Revision:
        return Revision(
            revision=header.revision,
            down_revision=header.down_revision,
            branch_labels=header.branch_labels,
            depends_on=header.depends_on,
            path=path,
            message=header.message,
            create_date=header.create_date,
            settings=header.settings,
        )

    def read_script(self, path: Path) -> Script:
        """The script at `path`, read afresh (not from the cache)."""
        header, _ = self._read_header(str(path))
        return Script(self._revision(header, str(path)), path, header.doc, self._sys_path)

    def get_script(self, ident: str) -> Script:
        """A script by full id, unique prefix or branch label."""
        with self._lock:
            rev = self.revision_map.get(ident)
            doc = self._docs.get(rev.revision, "")
        return Script(rev, Path(rev.path or ""), doc, self._sys_path)

    def iter_scripts(self) -> Iterator[Script]:
        """Every script, in the graph's order (newest first)."""
        graph = self.revision_map
        for rev in graph:
            doc = self._docs.get(rev.revision, "")
            yield Script(rev, Path(rev.path or ""), doc, self._sys_path)

    def env_module(self) -> ModuleType | None:
        """``env.py`` of the location, imported (not run as a driver), or None."""
        self.check_folders()
        path = self._location / "env.py"
        try:
            source = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ScriptError(f"cannot be read: {exc.strerror}", path=str(path)) from exc
        text = _decode(source, path)
        if _drives_alembic(text, path):
            key = os.path.abspath(path)
            if key not in _warned_env:
                _warned_env.add(key)
                log.warning(_ALEMBIC_DRIVER_MESSAGE, path)
                # the op plugins it imports (alembic-postgresql-enum ...) are imported all the same
                from .._alembic.plugins import import_plugins

                import_plugins(text, str(path))
            return None
        return loader.load_file(path, sys_path=self._sys_path)

    # Render a new script from ``script.py.mako``, run the post-write hooks, return it.
    generate_revision = writer.generate_revision


def _drives_alembic(source: str, path: Path) -> bool:
    """Whether env.py calls Alembic's ``context.configure`` / ``run_migrations_*``."""
    if "configure" not in source and "run_migrations" not in source:
        return False
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise ScriptError(f"syntax error: {exc.msg}", path=str(path), line=exc.lineno) from exc
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "context"
            and func.attr in ("configure", "run_migrations")
        ):
            return True
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name.startswith("run_migrations_"):
            return True
    return False
