"""Read a migration script's header without importing it, and cache what was read.

A script's place in the graph is four top-level assignments (``revision``,
``down_revision``, ``branch_labels``, ``depends_on``) and its docstring; a
fifth, optional one, ``asyncmig = {...}``, holds the step's own execution
settings (:mod:`.revision_settings`), read the same way.
:func:`parse_source` finds them with one compiled regular expression and
evaluates only the right-hand sides, so that a cold scan of thousands of
files costs little more than reading them.  It falls back to ``ast.parse`` of
the whole file when the quick scan is unsure, and reports values that are not
literals (computed) so that the caller imports the script instead.

:class:`HeaderCache` keeps one file per version location,
``<location>/__pycache__/asyncmig-headers.marshal``, mapping each script's
relative path to ``(mtime_ns, size, header)``.  An entry is reused only while
the file's modification time and size are unchanged.  Where it goes follows
Python's bytecode cache: under ``PYTHONPYCACHEPREFIX`` (``sys.pycache_prefix``)
when that is set, mirroring the location's absolute path; nothing is written
with ``PYTHONDONTWRITEBYTECODE`` (``sys.dont_write_bytecode``), though an
existing cache is still read.  A version folder asyncmig cannot write to (a
read-only image, another user's folder) gets its cache in the user's cache
folder instead (``$XDG_CACHE_HOME/asyncmig``, default ``~/.cache/asyncmig``),
so reading stays fast there too.  The cache is written atomically (a temporary
file, then ``os.replace``); a write that fails is skipped silently.
``ASYNCMIG_HEADER_CACHE=0`` turns it off entirely.  The file is in
:mod:`marshal` format, which loads several times faster than JSON; it is only
ever read by the asyncmig that wrote it, and anything unreadable or of another
format number is ignored and rewritten.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import logging
import marshal
import os
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

from ..errors import ScriptError
from .revision_settings import EXAMPLE, Settings, read_settings

__all__ = (
    "CACHE_FORMAT",
    "CACHE_NAME",
    "Header",
    "HeaderCache",
    "header_from_module",
    "parse_source",
)

log = logging.getLogger("asyncmig.script")

CACHE_NAME = "asyncmig-headers.marshal"
CACHE_FORMAT = 3
_NAMES = ("revision", "down_revision", "branch_labels", "depends_on")
_SETTINGS = "asyncmig"

# A top-level (column 0) assignment to one of the header names (or the settings),
# optionally annotated.
_ASSIGN = re.compile(
    r"^(revision|down_revision|branch_labels|depends_on|asyncmig)[ \t]*(?::[^=\n]*)?=(?!=)"
    r"[ \t]*(.*)$",
    re.MULTILINE,
)
# The common right-hand sides, decoded without compiling anything.
_SIMPLE = re.compile(r"""(?:(['"])([^'"\\\n]*)\1|(None))[ \t\r]*(?:\#.*)?""")
_LEADING = re.compile(r"(?:[ \t\f]*(?:\#[^\n]*)?\r?\n)*[ \t\f]*")
_CREATE_DATE = re.compile(r"^[ \t]*Create Date:[ \t]*(.*?)[ \t\r]*$", re.MULTILINE)
_LEGACY_NAME = re.compile(r"([a-f0-9]+)\.py$")
_MAX_CONTINUATION = 200  # lines a multi-line literal may span before we give up


class Header(NamedTuple):
    """What a script declares about itself (a tuple: thousands are built per warm scan)."""

    revision: str
    down_revision: tuple[str, ...] = ()
    branch_labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    doc: str = ""  # the module docstring, stripped
    message: str = ""  # its first line
    create_date: str | None = None  # its "Create Date:" value
    settings: Settings = ()  # its `asyncmig = {...}`, checked

    @classmethod
    def from_doc(
        cls,
        revision: str,
        down_revision: tuple[str, ...] = (),
        branch_labels: tuple[str, ...] = (),
        depends_on: tuple[str, ...] = (),
        doc: str = "",
        *,
        settings: Settings = (),
    ) -> Header:
        """A header whose message and create date are read from `doc`."""
        doc = doc.strip()
        found = _CREATE_DATE.search(doc)
        return cls(
            revision,
            down_revision,
            branch_labels,
            depends_on,
            doc,
            doc.split("\n", 1)[0].strip(),
            found.group(1) if found else None,
            settings,
        )


def _as_ids(name: str, value: object, path: str) -> tuple[str, ...]:
    """Normalise ``None`` / a string / a sequence of strings to a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list | tuple | set | frozenset) and all(isinstance(v, str) for v in value):
        return tuple(value) if not isinstance(value, set | frozenset) else tuple(sorted(value))
    raise ScriptError(
        f"{name} must be None, a string or a sequence of strings, not {value!r}", path=path
    )


def _build(values: Mapping[str, object], doc: str, path: str, settings: Settings = ()) -> Header:
    if "revision" not in values:
        legacy = _LEGACY_NAME.match(os.path.basename(path))
        if legacy is None:
            raise ScriptError(
                "not a migration script: it assigns no `revision = ...` (as in Alembic, "
                "only a file named by its bare hex id may leave it out); declare the "
                "revision id, or move the file out of the version locations",
                path=path,
            )
        values = {**values, "revision": legacy.group(1)}
    revision = values["revision"]
    if not isinstance(revision, str) or not revision:
        raise ScriptError(f"revision must be a non-empty string, not {revision!r}", path=path)
    if "down_revision" not in values:
        raise ScriptError(
            f"revision {revision} declares no down_revision; add `down_revision = None` "
            "for a base, or the parent's id",
            path=path,
        )
    return Header.from_doc(
        revision,
        _as_ids("down_revision", values["down_revision"], path),
        _as_ids("branch_labels", values.get("branch_labels"), path),
        _as_ids("depends_on", values.get("depends_on"), path),
        doc,
        settings=settings,
    )


class _Unsure(Exception):
    """The quick scan cannot vouch for its reading; parse the whole file."""


def _quick_docstring(text: str) -> tuple[str, int]:
    """The module docstring and the offset just after it ("" and 0 if none)."""
    start = _LEADING.match(text).end()  # type: ignore[union-attr]  # the pattern always matches
    pos = start
    if pos < len(text) and text[pos] in "rRuU":
        pos += 1
    for quote in ('"""', "'''", '"', "'"):
        if text.startswith(quote, pos):
            break
    else:
        return "", 0
    body_start = pos + len(quote)
    end = text.find(quote, body_start)
    if end < 0 or (len(quote) == 1 and "\n" in text[body_start:end]):
        raise _Unsure
    stop = end + len(quote)
    body = text[body_start:end]
    if "\\" in body:
        try:
            value = ast.literal_eval(text[start:stop])
        except (SyntaxError, ValueError) as exc:
            raise _Unsure from exc
        if not isinstance(value, str):
            raise _Unsure
        return value, stop
    return body, stop


def _quick_value(text: str, match: re.Match[str]) -> object:
    rhs = match.group(2)
    simple = _SIMPLE.fullmatch(rhs)
    if simple is not None:
        return None if simple.group(3) else simple.group(2)
    pos = match.end()
    for _ in range(_MAX_CONTINUATION):
        try:
            return ast.literal_eval(rhs)
        except SyntaxError:
            if pos >= len(text):
                break
            nxt = text.find("\n", pos + 1)
            nxt = len(text) if nxt < 0 else nxt
            rhs += text[pos:nxt]
            pos = nxt
        except ValueError as exc:  # a name, a call...: not a literal
            raise _Unsure from exc
    raise _Unsure


def _quick(text: str, path: str) -> Header:
    doc, offset = _quick_docstring(text)
    values: dict[str, object] = {}
    for match in _ASSIGN.finditer(text, offset):
        name = match.group(1)
        if name == _SETTINGS:  # rare: the whole file's syntax says where the dict ends
            raise _Unsure
        if name in values:  # reassigned, or a string further down quoting one: be exact
            raise _Unsure
        values[name] = _quick_value(text, match)
    if "revision" not in values:
        raise _Unsure
    return _build(values, doc, path)


class _Computed(Exception):
    """A header value is not a literal."""


def _binds_header_name(node: ast.stmt) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store) and sub.id in _NAMES:
            return True
        if isinstance(sub, ast.ImportFrom) and any(
            alias.name == "*" or (alias.asname or alias.name) in _NAMES for alias in sub.names
        ):
            return True
    return False


def _from_ast(text: str, path: str) -> Header:
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise ScriptError(f"syntax error: {exc.msg}", path=path, line=exc.lineno) from exc
    values: dict[str, object] = {}
    settings: Settings = ()
    computed = False  # noted, not raised at once: a non-literal `asyncmig = ...` is an error
    for node in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id == _SETTINGS and value is not None:
            settings = _settings(value, path)
        elif isinstance(target, ast.Name) and target.id in _NAMES and value is not None:
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                computed = True
        elif not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ) and _binds_header_name(node):
            computed = True
    if computed:
        raise _Computed
    return _build(values, ast.get_docstring(tree, clean=False) or "", path, settings)


def _settings(node: ast.expr, path: str) -> Settings:
    """The checked ``asyncmig = {...}`` settings; never computed (the script is not imported)."""
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise ScriptError(
            f"asyncmig = ... must be a literal dict (it is read without importing the "
            f"script); write e.g. {EXAMPLE}",
            path=path,
            line=node.lineno,
        ) from None
    return read_settings(value, path, node.lineno)


def parse_source(text: str, path: str) -> Header | None:
    """The header of a script's source, or None when its values are computed (import it).

    Raises :class:`~asyncmig.errors.ScriptError` for a syntax error in the
    header or a file that is not a migration script.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:  # Python reads sources with universal newlines; so do we
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        return _quick(text, path)
    except _Unsure:
        log.debug("%s: header is not plain literal lines; parsing the whole file", path)
    try:
        return _from_ast(text, path)
    except _Computed:
        log.debug("%s: header values are computed; importing the script to read them", path)
        return None


def header_from_module(module: ModuleType, path: str) -> Header:
    """The header of an imported script (computed values, or a sourceless ``.pyc``)."""
    values = {name: getattr(module, name) for name in _NAMES if hasattr(module, name)}
    own = vars(module).get(_SETTINGS)
    # `import asyncmig` binds the same name: only a value of the script's own counts
    settings = () if own is None or isinstance(own, ModuleType) else read_settings(own, path)
    return _build(values, module.__doc__ or "", path, settings)


def cache_enabled() -> bool:
    """False when ``ASYNCMIG_HEADER_CACHE=0`` (or ``false``/``no``/``off``) is set."""
    return os.environ.get("ASYNCMIG_HEADER_CACHE", "1").strip().lower() not in {
        "0",
        "false",
        "no",
        "off",
    }


def _exists(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _user_cache(location: Path) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256(os.fsencode(os.path.abspath(location))).hexdigest()[:24]
    return Path(base) / "asyncmig" / f"{digest}-{CACHE_NAME}"


def _can_write(folder: Path) -> bool:
    """Whether the cache can be written in `folder` (created if missing)."""
    while not folder.exists():
        if folder.parent == folder:
            return False
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def cache_paths(location: Path) -> tuple[Path, Path | None]:
    """Where the cache of `location` goes, and the in-folder cache to read if that is elsewhere."""
    here = location / "__pycache__" / CACHE_NAME
    prefix = sys.pycache_prefix
    if prefix:
        absolute = Path(os.path.abspath(location))
        mirrored = Path(prefix, *absolute.parts[1:])  # drop the root, as Python does
        return mirrored / CACHE_NAME, here
    if _can_write(here.parent):
        return here, None
    return _user_cache(location), here


class HeaderCache:
    """The header cache of one version location (see the module docstring)."""

    def __init__(self, location: Path, *, enabled: bool | None = None) -> None:
        self.enabled = cache_enabled() if enabled is None else enabled
        self.writable = not sys.dont_write_bytecode
        self.path, fallback = cache_paths(location)
        self._entries: dict[str, tuple[Any, ...]] = {}
        self._seen: set[str] = set()
        self._dirty = False
        if self.enabled:
            self._entries = self._read()
            if fallback is not None and not self._entries and _exists(fallback):
                self._entries = self._read(fallback)  # shipped with a read-only image

    def _read(self, path: Path | None = None) -> dict[str, tuple[Any, ...]]:
        try:
            with open(path or self.path, "rb") as handle:
                data = marshal.loads(handle.read())  # load(handle) reads in small pieces: slow
        except (OSError, ValueError, EOFError, TypeError):
            return {}
        if not isinstance(data, tuple) or len(data) != 2 or data[0] != CACHE_FORMAT:
            return {}
        entries = data[1]
        return entries if isinstance(entries, dict) else {}

    def lookup(self, key: str, mtime_ns: int, size: int) -> Header | None:
        """The cached header of `key`, if the file's identity is unchanged."""
        self._seen.add(key)
        entry = self._entries.get(key)
        if entry is None or entry[0] != mtime_ns or entry[1] != size:
            return None
        try:
            return Header._make(entry[2])
        except (TypeError, IndexError):  # an entry of some other shape
            return None

    def store(self, key: str, mtime_ns: int, size: int, header: Header) -> None:
        """Remember `header` for `key` at this file identity."""
        self._seen.add(key)
        if self.enabled:
            self._entries[key] = (mtime_ns, size, tuple(header))
            self._dirty = True

    def save(self) -> None:
        """Write the cache if anything changed, dropping files no longer there."""
        if not (self.enabled and self.writable):
            return
        gone = self._entries.keys() - self._seen
        if not (self._dirty or gone):
            return
        for key in gone:
            del self._entries[key]
        payload = marshal.dumps((CACHE_FORMAT, self._entries))
        temp: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".asyncmig-", suffix=".tmp")
            os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide the cache from other users
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(temp, self.path)
            temp = None
            self._dirty = False
        except OSError as exc:
            log.debug("header cache %s not written: %s", self.path, exc)
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
