"""Import migration scripts and ``env.py`` with ``alembic`` meaning asyncmig.

:func:`alembic_aliases` makes ``import alembic`` and ``import alembic.<sub>``
resolve to :mod:`asyncmig._alembic` and its submodules for as long as it is
active, whether or not Alembic is installed: a finder placed first on
``sys.meta_path`` answers for those names, and ``sys.modules`` holds the
aliases.  On exit ``sys.modules`` gets back exactly the ``alembic`` entries it
had before (a real Alembic imported by the application stays untouched).
A module imported while the aliases are active keeps the objects it bound
(``op`` and ``context`` are per-step proxies, so that is all a script needs).

The aliases are process-wide, so one re-entrant lock serialises their use:
scripts loaded from several worker threads take turns, and a script whose
import loads another script nests.  Installing and removing them walks
``sys.modules``, so whoever imports many scripts holds them once around the
whole batch (:func:`alembic_aliases` nests at no cost).

:func:`load_file` imports a file once per process (keyed by its absolute
path) under a unique private module name, and turns a syntax or import error
into a one-line :class:`~asyncmig.errors.ScriptError` naming the file and line.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType, TracebackType

from ..errors import ScriptError

__all__ = ("alembic_aliases", "load_file", "loaded_module")

_ALIAS = "alembic"
_TARGET = "asyncmig._alembic"

_alias_lock = threading.RLock()
_alias_depth = 0
_saved_modules: dict[str, ModuleType] = {}

# One lock for aliasing and loading: two would deadlock when taken in opposite orders.
_load_lock = _alias_lock
_loaded: dict[str, ModuleType] = {}


def _is_alias(name: str) -> bool:
    return name == _ALIAS or name.startswith(_ALIAS + ".")


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system a module that is already imported under its real name."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self._spec = module.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self._module

    def exec_module(self, module: ModuleType) -> None:
        # The import system has just set the alias spec on the module; keep its real one.
        module.__spec__ = self._spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Answers ``alembic`` / ``alembic.<sub>`` with ``asyncmig._alembic`` / ``.<sub>``."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not _is_alias(fullname):
            return None
        real = _TARGET + fullname[len(_ALIAS) :]
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as exc:
            if exc.name is not None and real.startswith(exc.name):
                # Never fall through to the real Alembic: the script would mix both.
                raise ModuleNotFoundError(
                    f"No module named {fullname!r}: asyncmig provides alembic's op, context "
                    "and operations for migration scripts, not this module",
                    name=fullname,
                ) from None
            raise
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module))


_finder = _AliasFinder()


def _install() -> None:
    if _ALIAS in sys.modules:  # a real Alembic, or aliases someone else left: keep them aside
        for name in [name for name in sys.modules if _is_alias(name)]:
            _saved_modules[name] = sys.modules.pop(name)
    importlib.import_module(_TARGET)
    for name, module in list(sys.modules.items()):
        if name == _TARGET or name.startswith(_TARGET + "."):
            sys.modules[_ALIAS + name[len(_TARGET) :]] = module
    sys.meta_path.insert(0, _finder)


def _uninstall() -> None:
    sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not _finder]
    for name in [name for name in sys.modules if _is_alias(name)]:
        del sys.modules[name]
    sys.modules.update(_saved_modules)
    _saved_modules.clear()


@contextmanager
def alembic_aliases() -> Iterator[None]:
    """While active, ``import alembic[.<sub>]`` gives ``asyncmig._alembic[.<sub>]``."""
    global _alias_depth
    with _alias_lock:
        if _alias_depth == 0:
            _install()
        _alias_depth += 1
        try:
            yield
        finally:
            _alias_depth -= 1
            if _alias_depth == 0:
                _uninstall()


def _module_name(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    stem = re.sub(r"\W", "_", path.name.split(".", 1)[0])
    return f"_asyncmig_script_{stem}_{digest}"


def _script_line(path: Path, tb: TracebackType | None) -> int | None:
    """The line of the script the traceback last passed through."""
    line = None
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == str(path):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _import_error(path: Path, exc: Exception) -> ScriptError:
    if isinstance(exc, SyntaxError) and exc.filename and os.path.abspath(exc.filename) == str(path):
        return ScriptError(f"syntax error: {exc.msg}", path=str(path), line=exc.lineno)
    text = " ".join(str(exc).split()) or type(exc).__name__
    where = ""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f" (in {exc.filename}:{exc.lineno})"
    return ScriptError(
        f"cannot be imported: {type(exc).__name__}: {text}{where}",
        path=str(path),
        line=_script_line(path, exc.__traceback__),
    )


def _prepend_sys_path(paths: Iterable[Path]) -> None:
    for entry in reversed([str(p) for p in paths]):
        if entry not in sys.path:
            sys.path.insert(0, entry)


def _import(path: Path) -> ModuleType:
    name = _module_name(path)
    loader: importlib.abc.Loader | None = None
    if path.suffix in (".pyc", ".pyo"):
        loader = importlib.machinery.SourcelessFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    if spec is None or spec.loader is None:
        raise ScriptError("not an importable Python file", path=str(path))
    module = importlib.util.module_from_spec(spec)
    # Registered while it runs, as for any import: dataclasses and typing look it up.
    sys.modules[name] = module
    try:
        with alembic_aliases():
            spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise _import_error(path, exc) from exc
    return module


def load_file(path: str | Path, *, sys_path: Iterable[Path] = ()) -> ModuleType:
    """Import `path` once per process (``alembic`` aliased), after prepending `sys_path`."""
    absolute = Path(os.path.abspath(path))
    key = str(absolute)
    with _load_lock:
        module = _loaded.get(key)
        if module is None:
            _prepend_sys_path(sys_path)
            module = _import(absolute)
            _loaded[key] = module
        return module


def loaded_module(path: str | Path) -> ModuleType | None:
    """The module :func:`load_file` imported for `path`, if it has."""
    return _loaded.get(os.path.abspath(path))
