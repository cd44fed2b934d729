"""Write a new migration script: its id, parents, file name, and rendered text.

Follows Alembic's ``revision`` command: the id is the last 12 hex digits of a
UUID4 unless given; the parent is ``head`` unless ``--head`` names others
(``base`` starts a new root); branching off a revision that is not a head
needs ``splice``; ``depends_on`` entries are stored as full ids, or as
written when they are branch labels; the file name comes from
``file_template``; ``Create Date`` is local naive time, or aware time in
``timezone`` when set.  ``script.py.mako`` is rendered with Mako, imported
only here.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import CommandError, ConfigError, MultipleHeads, ScriptError
from .hooks import run_hooks
from .revision import RevisionMap

if TYPE_CHECKING:
    from .._config import Config
    from .directory import Script, ScriptDirectory

__all__ = ("create_date", "format_as_comma", "generate_revision", "script_filename", "slugify")

log = logging.getLogger("asyncmig.script")

_WORD = re.compile(r"\w+")
# Alembic's forbidden characters (they mean something in targets), plus what breaks file names.
_ILLEGAL_ID = re.compile(r"[@\-+:/\\\s\x00-\x1f]")
_RESERVED_IDS = frozenset({"head", "heads", "base", "current"})


def slugify(message: str | None, length: int) -> str:
    """Alembic's slug: the message's words, lowercased, joined by ``_``, cut at a word."""
    slug = "_".join(_WORD.findall(message or "")).lower()
    if len(slug) > length:
        slug = slug[:length].rsplit("_", 1)[0] + "_"
    return slug


def format_as_comma(value: str | Iterable[str] | None) -> str:
    """``None`` -> ``""``, a string as is, a sequence joined by ``, `` (the ``comma`` filter)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return ", ".join(value)


def _as_scalar(ids: Sequence[str]) -> str | tuple[str, ...] | None:
    if not ids:
        return None
    return ids[0] if len(ids) == 1 else tuple(ids)


def create_date(config: Config) -> dt.datetime:
    """Now: naive local time, or aware time in ``timezone`` (tried as given, then upper-cased)."""
    name = config.timezone
    if not name:
        return dt.datetime.now()
    for candidate in (name, name.upper()):
        try:
            zone = ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return dt.datetime.now(dt.UTC).astimezone(zone)
    raise ConfigError(
        f"unknown time zone {name!r}; use an IANA name such as 'UTC' or 'Europe/Paris'",
        path=str(config.path) if config.path else None,
        key="timezone",
    )


def script_filename(config: Config, rev_id: str, message: str | None, when: dt.datetime) -> str:
    """The new script's path relative to its version location, from ``file_template``."""
    tokens = {
        "rev": rev_id,
        "slug": slugify(message, config.truncate_slug_length),
        "epoch": int(when.timestamp()),
        "year": when.year,
        "month": when.month,
        "day": when.day,
        "hour": when.hour,
        "minute": when.minute,
        "second": when.second,
    }
    where = str(config.path) if config.path else None
    try:
        name = config.file_template % tokens
    except KeyError as exc:
        raise ConfigError(
            f"unknown token %({exc.args[0]})s; the tokens are {', '.join(tokens)}",
            path=where,
            key="file_template",
        ) from exc
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"cannot be applied: {exc}", path=where, key="file_template") from exc
    if "/" in name and not config.recursive_version_locations:
        raise ConfigError(
            "writes scripts into subfolders, which are only scanned with "
            "recursive_version_locations = true; set it",
            path=where,
            key="file_template",
        )
    return name + ".py"


def _check_rev_id(rev_id: str, graph: RevisionMap) -> None:
    bad = sorted(set(_ILLEGAL_ID.findall(rev_id)))
    what = (
        "it is empty"
        if not rev_id
        else f"character(s) {' '.join(repr(c) for c in bad)}"
        if bad
        else "a reserved word"
        if rev_id in _RESERVED_IDS
        else None
    )
    if what:
        raise CommandError(
            f"revision id {rev_id!r} is not allowed ({what}); use letters, digits and underscores"
        )
    for rev in graph:
        if rev.revision == rev_id:
            raise CommandError(
                f"revision id {rev_id!r} already exists in {rev.path}; choose another --rev-id"
            )


def _parents(graph: RevisionMap, head: str | Sequence[str] | None, splice: bool) -> list[str]:
    targets = ["head"] if head is None else [head] if isinstance(head, str) else list(head)
    parents: list[str] = []
    for target in targets:
        if target == "base":
            continue
        try:
            found = graph.resolve(target)
        except MultipleHeads as exc:
            if target != "head":
                raise
            # Same error class, but the advice that fits `revision`: choose the parent.
            exc.args = (
                f"there are several heads ({', '.join(exc.heads)}); pass --head with the one "
                "to build on (an id or '<branch_label>@head'), or run `asyncmig merge heads`",
            )
            raise
        for rev in found:
            if rev in parents:
                raise CommandError(f"--head names revision {rev} more than once")
            parents.append(rev)
    if not splice:
        for rev in parents:
            if not graph.is_head(rev):
                raise CommandError(
                    f"revision {rev} is not a head; pass --splice to start a new branch from it"
                )
    return parents


def _check_labels(graph: RevisionMap, labels: Sequence[str]) -> tuple[str, ...]:
    taken = {label: rev.revision for rev in graph for label in rev.branch_labels}
    taken.update({rev.revision: rev.revision for rev in graph})
    for label in labels:
        if not label or _ILLEGAL_ID.search(label) or label in _RESERVED_IDS:
            raise CommandError(f"branch label {label!r} is not allowed; use letters, digits, _")
        if label in taken:
            raise CommandError(
                f"branch label {label!r} is already used by revision {taken[label]}; "
                "choose another name"
            )
    return tuple(dict.fromkeys(labels))


def _depends_on(graph: RevisionMap, depends_on: Sequence[str]) -> list[str]:
    resolved: list[str] = []
    for dep in depends_on:
        rev = graph.get(dep)
        resolved.append(dep if dep in graph.branch_labels(rev.revision) else rev.revision)
    return resolved


def _same(a: str | Path, b: str | Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _version_folder(
    directory: ScriptDirectory,
    graph: RevisionMap,
    parents: Sequence[str],
    version_path: str | Path | None,
) -> Path:
    locations = directory.version_locations
    if version_path is not None:
        given = Path(version_path)
        candidates = [given] if given.is_absolute() else [given, directory.config.here / given]
        for location in locations:
            if any(_same(location, candidate) for candidate in candidates):
                return location
        raise CommandError(
            f"--version-path {version_path} is not one of the version locations: "
            f"{', '.join(str(p) for p in locations)}"
        )
    if len(locations) == 1:
        return locations[0]
    for parent in parents:
        path = os.path.realpath(graph.get(parent).path or "")
        for location in locations:
            if path.startswith(os.path.join(os.path.realpath(location), "")):
                return location
    raise CommandError(
        f"there are several version locations ({', '.join(str(p) for p in locations)}); "
        "pass --version-path to choose where the new script goes"
    )


def _render(template: Path, encoding: str, variables: dict[str, object]) -> bytes:
    from mako import exceptions  # type: ignore[import-untyped]  # mako ships no type hints
    from mako.template import Template  # type: ignore[import-untyped]  # same

    if not template.is_file():
        raise ScriptError(
            "template not found; every script location needs a script.py.mako "
            "(`asyncmig init` writes one)",
            path=str(template),
        )
    try:
        text = Template(filename=str(template)).render_unicode(**variables)
    except exceptions.MakoException as exc:
        line = getattr(exc, "lineno", None)
        raise ScriptError(
            f"cannot compile the template: {exc}", path=str(template), line=line
        ) from exc
    except Exception as exc:
        line = exceptions.RichTraceback().lineno
        raise ScriptError(
            f"cannot render: {type(exc).__name__}: {exc}", path=str(template), line=line
        ) from exc
    try:
        return str(text).encode(encoding)
    except LookupError as exc:
        raise ConfigError(f"unknown encoding {encoding!r}", key="output_encoding") from exc
    except UnicodeEncodeError as exc:
        raise ScriptError(
            f"the rendered script cannot be encoded as {encoding}: {exc.reason}",
            path=str(template),
        ) from exc


def generate_revision(
    directory: ScriptDirectory,
    message: str | None,
    *,
    rev_id: str | None = None,
    head: str | Sequence[str] | None = None,
    splice: bool = False,
    branch_labels: Sequence[str] = (),
    depends_on: Sequence[str] = (),
    version_path: str | Path | None = None,
    template_args: dict[str, object] | None = None,
) -> Script:
    """Write a new script into `directory`, run the post-write hooks, and return it."""
    config = directory.config
    graph = directory.revision_map
    rev_id = uuid.uuid4().hex[-12:] if rev_id is None else rev_id
    _check_rev_id(rev_id, graph)
    parents = _parents(graph, head, splice)
    labels = _check_labels(graph, branch_labels)
    dependencies = _depends_on(graph, depends_on)
    when = create_date(config)
    folder = _version_folder(directory, graph, parents, version_path)
    path = folder / script_filename(config, rev_id, message, when)
    variables: dict[str, object] = {
        "up_revision": rev_id,
        "down_revision": _as_scalar(parents),
        "branch_labels": labels or None,
        "depends_on": _as_scalar(dependencies),
        "message": message if message is not None else "empty message",
        "create_date": when,
        "comma": format_as_comma,
        "upgrades": "pass",
        "downgrades": "pass",
        "imports": "",
        "databases": list(config.databases),
        "config": config,
        **(template_args or {}),
    }
    data = _render(directory.location / "script.py.mako", config.output_encoding, variables)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as handle:
            handle.write(data)
    except FileExistsError as exc:
        raise CommandError(f"{path} already exists; choose another --rev-id or message") from exc
    except OSError as exc:
        raise ScriptError(f"cannot be written: {exc.strerror}", path=str(path)) from exc
    log.info("generated %s", path)
    directory.invalidate()
    run_hooks(path, config.post_write_hooks)
    script = directory.read_script(path)
    if script.revision.revision != rev_id:
        raise ScriptError(
            f"the rendered script declares revision {script.revision.revision!r}, not "
            f"{rev_id!r}; script.py.mako must render `revision = ${{repr(up_revision)}}`",
            path=str(path),
        )
    if labels and not script.revision.branch_labels:
        raise ScriptError(
            f"branch labels {', '.join(labels)} were asked for, but script.py.mako does not "
            "render `branch_labels = ${repr(branch_labels)}`; add it to the template",
            path=str(path),
        )
    return script
