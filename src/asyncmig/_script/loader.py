"""Import migration scripts and ``env.py`` with ``alembic`` meaning asyncmig.

While :func:`alembic_aliases` is active, ``import alembic`` and ``import
alembic.<sub>`` give :mod:`asyncmig._alembic` and its submodules, whether or
not Alembic is installed, to the imports its own thread (and task) performs:
the scripts, env.py and whatever they import in turn.  A module imported so
keeps the objects it bound (``op`` and ``context`` are per-step proxies, so
that is all a script needs).

Nothing changes meaning for the rest of the process: ``sys.modules`` never
holds an alias, so an application thread importing the real Alembic while
scripts load gets the real one, and a script gets asyncmig's even when the
real Alembic is already in ``sys.modules``.  Since ``sys.modules`` answers an
import before any finder is asked, the aliases answer the ``import`` statement
itself: while any block is active in the process, ``builtins.__import__`` is a
wrapper that serves the names ``alembic[.<sub>]`` when a context variable says
so, and passes every other import through untouched.  ``importlib.import_module``
does not go through it: called with ``"alembic"``, it gets the real Alembic.

:func:`load_file` imports a file once per process (keyed by its absolute
path) under a unique private module name, and turns a syntax or import error
into a one-line :class:`~asyncmig.errors.ScriptError` naming the file and line.
"""

from __future__ import annotations

import builtins
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import ScriptError, one_line
from .tracebacks import script_line

__all__ = ("alembic_aliases", "load_file", "loaded_module")

_ALIAS = "alembic"
_TARGET = "asyncmig._alembic"

ImportFunction = Callable[..., ModuleType]

# Whether the imports of this thread (and task) get asyncmig's alembic.
_aliasing: ContextVar[bool] = ContextVar("asyncmig_alembic_aliasing", default=False)
# The __import__ wrapper in place and the one it wraps, and how many active blocks
# (in all threads) need it: it is there only while scripts load.
_hook_lock = threading.Lock()
_hook: tuple[ImportFunction, ImportFunction] | None = None
_hook_users = 0

_load_lock = threading.RLock()  # a script whose import loads another script nests
_loaded: dict[str, ModuleType] = {}


def _is_alias(name: str) -> bool:
    return name == _ALIAS or name.startswith(_ALIAS + ".")


def _aliased(next_import: ImportFunction, name: str, fromlist: Sequence[str]) -> ModuleType:
    """What ``__import__(name, fromlist=fromlist)`` gives with ``alembic`` meaning asyncmig."""
    real = _TARGET + name[len(_ALIAS) :]
    try:
        # A fromlist may name submodules still to import: the import system handles it.
        module = next_import(real, None, None, fromlist, 0)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing.startswith(_TARGET) and real.startswith(missing):
            # Never fall through to the real Alembic: the script would mix both.
            alias = _ALIAS + missing[len(_TARGET) :]
            raise ModuleNotFoundError(
                f"No module named {alias!r}: asyncmig provides alembic's op, context "
                "and operations for migration scripts, not this module",
                name=alias,
            ) from None
        raise
    # `import alembic.x` binds the top-level package, asyncmig._alembic (not asyncmig).
    return module if fromlist else sys.modules[_TARGET]


def _make_hook(next_import: ImportFunction) -> ImportFunction:
    """An ``__import__`` that aliases ``alembic`` where asked and otherwise calls `next_import`."""

    def __import__(
        name: str,
        globals: Mapping[str, Any] | None = None,
        locals: Mapping[str, Any] | None = None,
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        if level == 0 and _aliasing.get() and _is_alias(name):
            return _aliased(next_import, name, fromlist or ())
        return next_import(name, globals, locals, fromlist, level)

    return __import__


def _use_hook() -> None:
    global _hook, _hook_users
    with _hook_lock:
        if _hook_users == 0:
            # Each wrapper calls the function it replaced, so wrappers never loop.
            replaced = builtins.__import__
            _hook = (_make_hook(replaced), replaced)
            builtins.__import__ = _hook[0]
        _hook_users += 1


def _release_hook() -> None:
    global _hook, _hook_users
    with _hook_lock:
        _hook_users -= 1
        if _hook_users or _hook is None:
            return
        wrapper, replaced = _hook
        if builtins.__import__ is wrapper:
            builtins.__import__ = replaced
        # Else something wrapped it meanwhile: it stays in that chain, passing imports through.
        _hook = None


@contextmanager
def alembic_aliases() -> Iterator[None]:
    """While active, this thread imports ``alembic[.<sub>]`` as ``asyncmig._alembic[.<sub>]``."""
    _use_hook()
    token = _aliasing.set(True)
    try:
        yield
    finally:
        _aliasing.reset(token)
        _release_hook()


def _module_name(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    stem = re.sub(r"\W", "_", path.name.split(".", 1)[0])
    return f"_asyncmig_script_{stem}_{digest}"


def _import_error(path: Path, exc: Exception) -> ScriptError:
    if isinstance(exc, SyntaxError) and exc.filename and os.path.abspath(exc.filename) == str(path):
        return ScriptError(f"syntax error: {exc.msg}", path=str(path), line=exc.lineno)
    text = one_line(exc)
    where = ""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f" (in {exc.filename}:{exc.lineno})"
    return ScriptError(
        f"cannot be imported: {type(exc).__name__}: {text}{where}",
        path=str(path),
        line=script_line(path, exc.__traceback__),
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
