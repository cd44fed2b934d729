"""Typed reading of configuration values: interpolation, paths, booleans, hooks.

``_config`` finds and reads the file; this module turns its raw values (ini
text, or TOML values) into typed ones, raising :class:`ConfigError` that
names the file, the key and the type expected.
"""

from __future__ import annotations

import difflib
import importlib.util
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._urls import mask_text
from ..errors import ConfigError

_ENV = re.compile(r"\$\$\{|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
_TOML_PERCENT = re.compile(r"%%|%\(here\)s")
_RESOURCE = re.compile(r"^(?P<package>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):(?P<resource>.+)$")
_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_BOOLEANS = {
    "true": True,
    "yes": True,
    "on": True,
    "1": True,
    "false": False,
    "no": False,
    "off": False,
    "0": False,
}
_SEPARATORS = {"os": os.pathsep, "space": " ", "newline": "\n", ":": ":", ";": ";"}
_LEGACY_SPLIT = re.compile(r", *| +")
_LEGACY_SPLIT_COLON = re.compile(r", *| +|:")
HOOK_TYPES = ("console_scripts", "module", "exec")
URL_KEYS = ("url", "sqlalchemy.url")

# The one list of the keys asyncmig (or Alembic) reads; typos of them are errors.
MAIN_KEYS = (
    "script_location",
    "version_locations",
    "recursive_version_locations",
    "file_template",
    "timezone",
    "truncate_slug_length",
    "output_encoding",
    "prepend_sys_path",
    "path_separator",
    "version_path_separator",
    "post_write_hooks",
    "sourceless",
    "revision_environment",
    "version_table",
    "version_table_schema",
    "transaction_per_migration",
    "lock",
    "lock_timeout",
    "ddl_lock_timeout",
    "ddl_lock_retries",
    "migration_statement_timeout",
    "target_metadata",
    "naming_convention",
    "ledger",
    "validate_on_migrate",
    "databases",
    "schemas",
    "schemas_query",
    *URL_KEYS,
)
DATABASE_KEYS = (
    *URL_KEYS,
    "script_location",
    "schemas",
    "schemas_query",
    "version_table",
    "version_table_schema",
    "target_metadata",
)
FILE_TEMPLATE_TOKENS = (
    "rev",
    "slug",
    "epoch",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
)
_TOKEN = re.compile(r"%%|%\((?P<name>[^)]*)\)")
_BAD_ENV = re.compile(r"\$\$\{|\$\{(?![A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\})")
CONVENTION_KINDS = ("ix", "uq", "ck", "fk", "pk")
# A duration: a number of seconds, or a number with one of PostgreSQL's units.
_DURATION = re.compile(r"(?P<number>\d+(?:\.\d*)?|\.\d+)[ \t]*(?P<unit>ms|s|min|h)", re.I)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}
DURATION_FORM = "a number of seconds or a duration such as '500ms', '5s', '10min', '1h'"


def duration(value: object) -> float | None:
    """Seconds from a number or from text such as ``"500ms"``, ``"5s"``, ``"10min"``, ``"1h"``.

    None when `value` is neither (a negative number is returned: callers say why it is wrong).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        found = _DURATION.fullmatch(text)
        if found is not None:
            number = float(found["number"]) * _UNIT_SECONDS[found["unit"].lower()]
        else:
            try:
                number = float(text)
            except ValueError:
                return None
    else:
        return None
    return number if math.isfinite(number) else None


def expand_env(value: Any, environ: Mapping[str, str], where: str, key: str) -> Any:
    """``${VAR}`` and ``${VAR:-default}`` expanded in every string of ``value``.

    ``:-`` uses the default when the variable is unset or empty; ``$${``
    stands for a literal ``${``.  An unset variable without a default is a
    ConfigError naming the file, the key and the variable.
    """
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name = match["name"]
            if name is None:
                return "${"
            found = environ.get(name)
            if match["default"] is not None and not found:
                return match["default"]
            if found is None:
                raise ConfigError(
                    f"environment variable {name} is not set; set it, or write "
                    f"${{{name}:-default}} to give a default",
                    path=where,
                    key=key,
                )
            return found

        for bad in _BAD_ENV.finditer(value):
            if bad.group(0) == "${":
                raise ConfigError(
                    f"{mask_text(value)!r} has a ${{ that is not a complete ${{VAR}} or "
                    "${VAR:-default}; close it with }, or write $${ for a literal ${",
                    path=where,
                    key=key,
                )
        return _ENV.sub(substitute, value)
    if isinstance(value, list):
        return [expand_env(item, environ, where, key) for item in value]
    if isinstance(value, dict):
        return {k: expand_env(v, environ, where, f"{key}.{k}") for k, v in value.items()}
    return value


def interpolate_toml(value: Any, here: Path) -> Any:
    """``%(here)s`` and ``%%`` replaced in every string of a TOML value.

    Other ``%(token)s`` stay as they are, so ``file_template`` may be written
    with single or (Alembic-style) doubled percent signs.
    """
    if isinstance(value, str):
        folder = here.as_posix()
        return _TOML_PERCENT.sub(lambda m: "%" if m.group(0) == "%%" else folder, value)
    if isinstance(value, list):
        return [interpolate_toml(item, here) for item in value]
    if isinstance(value, dict):
        return {k: interpolate_toml(v, here) for k, v in value.items()}
    return value


class Unexpanded:
    """A URL whose ``${VAR}`` could not be expanded: an error only once the URL is needed."""

    __slots__ = ("error",)

    def __init__(self, error: ConfigError) -> None:
        self.error = error


def expand_url(value: Any, environ: Mapping[str, str], where: str, key: str) -> Any:
    """:func:`expand_env` for a URL key, deferring a missing variable (see :class:`Unexpanded`)."""
    try:
        return expand_env(value, environ, where, key)
    except ConfigError as exc:
        if "is not set" not in str(exc):
            raise
        return Unexpanded(exc)


def suggestion(name: str, known: Sequence[str], shown: str = "{}") -> str:
    """`` (did you mean X?)`` for the closest of `known` (formatted by `shown`), or ``""``."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return f" (did you mean {shown.format(close[0])}?)" if close else ""


def check_keys(table: Mapping[str, Any], known: Sequence[str], where: str, prefix: str) -> None:
    """ConfigError for a key that is a near miss of a known key (a typo asyncmig would ignore).

    Other keys are kept as the user's own (``config.get_main_option`` in env.py),
    as Alembic keeps them.
    """
    for key in table:
        if key in known:
            continue
        hint = suggestion(str(key), known)
        if hint:
            raise ConfigError(
                f"unknown key {key!r}{hint}; fix its name (asyncmig would ignore it)",
                path=where,
                key=f"{prefix}{key}",
            )


def check_tokens(value: Any, where: str, key: str, allowed: Sequence[str] = ("here",)) -> None:
    """ConfigError for a ``%(name)s`` token that nothing will replace."""
    if isinstance(value, list):
        for item in value:
            check_tokens(item, where, key, allowed)
        return
    if not isinstance(value, str):
        return
    for match in _TOKEN.finditer(value):
        name = match["name"]
        if name is None or name in allowed:
            continue
        known = ", ".join(f"%({a})s" for a in allowed)
        hint = suggestion(name, allowed, "%({})s")
        raise ConfigError(
            f"unknown token %({name})s{hint}; the known ones here are {known} "
            "(write %% for a literal %)",
            path=where,
            key=key,
        )


def split_names(text: str) -> list[str]:
    """Names separated by commas and/or whitespace."""
    return [part for part in re.split(r"[,\s]+", text) if part]


def resolve_location(text: str, here: Path, where: str, key: str, *, plain: bool = False) -> Path:
    """A configured folder: ``package:resource``, absolute, or relative to ``here``."""
    match = None if plain or os.path.isabs(text) else _RESOURCE.match(text)
    if match is not None and not (os.name == "nt" and len(match["package"]) == 1):
        return _package_resource(match["package"], match["resource"], where, key)
    path = Path(text).expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else here / path))


def _package_resource(package: str, resource: str, where: str, key: str) -> Path:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError) as exc:
        spec = None
        reason = f"{type(exc).__name__}: {exc}"
    else:
        reason = "no such module"
    if spec is None:
        raise ConfigError(
            f"cannot find package {package!r} for {package}:{resource} ({reason}); "
            "install it or use a folder path",
            path=where,
            key=key,
        )
    if spec.submodule_search_locations:
        base = Path(next(iter(spec.submodule_search_locations)))
    elif spec.origin:
        base = Path(spec.origin).parent
    else:
        raise ConfigError(
            f"package {package!r} has no folder on disk; use a folder path", path=where, key=key
        )
    return base / resource


class Values:
    """The keys of one table or section, read as typed values."""

    def __init__(self, raw: Mapping[str, Any], where: str, prefix: str) -> None:
        self.raw = raw
        self.where = where
        self.prefix = prefix

    def key(self, name: str) -> str:
        """The key as messages show it (``tool.asyncmig.lock`` in pyproject.toml)."""
        return f"{self.prefix}{name}"

    def error(self, name: str, message: str) -> ConfigError:
        """A ConfigError for this key (passwords masked)."""
        return ConfigError(mask_text(message), path=self.where, key=self.key(name))

    def _wrong(self, name: str, expected: str, value: Any) -> ConfigError:
        shown = repr(value) if isinstance(value, str) else _a(_kind(value))
        return self.error(name, f"expected {expected}, got {shown}")

    def text(self, name: str) -> str | None:
        """A string, or None when absent."""
        value = self.raw.get(name)
        if value is None or isinstance(value, str):
            return value
        raise self.error(name, f"expected a string, got {_a(_kind(value))}")

    def name(self, name: str) -> str | None:
        """A non-empty string (a table or schema name), or None when absent or blank."""
        value = self.text(name)
        return value.strip() or None if value is not None else None

    def boolean(self, name: str, default: bool) -> bool:
        """true/false, yes/no, on/off, 1/0 (any case), or a TOML boolean."""
        value = self.raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _BOOLEANS:
            return _BOOLEANS[value.strip().lower()]
        raise self._wrong(name, "a boolean (true/false, yes/no, on/off, 1/0)", value)

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        """An integer (TOML integer or decimal text)."""
        value = self.raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            number = int(value.strip())
        if number is None:
            raise self._wrong(name, "an integer", value)
        if minimum is not None and number < minimum:
            raise self.error(name, f"expected an integer >= {minimum}, got {number}")
        return number

    def seconds(self, name: str) -> float | None:
        """A duration >= 0 in seconds (see :func:`duration`), or None when absent or blank."""
        value = self.raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number = duration(value)
        if number is None:
            raise self._wrong(name, DURATION_FORM, value)
        if number < 0:
            raise self.error(name, f"expected a number of seconds >= 0, got {value!r}")
        return number

    def target(self, name: str) -> str | None:
        """A ``package.module:attribute`` reference, or None."""
        value = self.name(name)
        if value is not None and not _TARGET.match(value):
            raise self.error(name, f"expected 'package.module:attribute', got {value!r}")
        return value

    def path_list(self, name: str, *, ini: bool, legacy_colon: bool) -> list[str]:
        """A list of paths: a TOML list, or ini text split by ``path_separator``."""
        value = self.raw.get(name)
        if value is None:
            return []
        if not ini:
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise self._wrong(name, "a list of strings", value)
            return [i for i in items if i.strip()]
        text = self.text(name) or ""
        keys = ("path_separator",) if legacy_colon else ("path_separator", "version_path_separator")
        for key in keys:
            chosen = self.text(key)
            if chosen is None:
                continue
            if chosen.strip() not in _SEPARATORS:
                raise self.error(key, f"expected one of {', '.join(_SEPARATORS)}, got {chosen!r}")
            return [p.strip() for p in text.split(_SEPARATORS[chosen.strip()]) if p.strip()]
        splitter = _LEGACY_SPLIT_COLON if legacy_colon else _LEGACY_SPLIT
        return [p for p in splitter.split(text.strip()) if p]

    def schemas(self, *, ini: bool) -> tuple[tuple[str, ...] | None, str | None]:
        """``(schemas, schemas_query)``: a list of names, or an SQL query."""
        listed = self.raw.get("schemas")
        query = self.name("schemas_query")  # blank counts as absent
        if listed is not None and query is not None:
            raise self.error("schemas_query", "give either schemas or schemas_query, not both")
        if listed is None:
            return None, query
        if isinstance(listed, str):
            return (tuple(split_names(listed)), None) if ini else (None, listed.strip() or None)
        if isinstance(listed, list) and all(isinstance(s, str) and s.strip() for s in listed):
            return tuple(s.strip() for s in listed), None
        if isinstance(listed, list):
            bad = next(s for s in listed if not (isinstance(s, str) and s.strip()))
            raise self.error("schemas", f"expected schema names (strings), got {bad!r} in the list")
        raise self._wrong("schemas", "a list of schema names or an SQL query string", listed)

    def naming_convention(self, *, ini: bool) -> dict[str, str]:
        """``naming_convention``: a TOML table, or ini lines ``key = pattern``; {} when absent."""
        value = self.raw.get("naming_convention")
        if value is None or (isinstance(value, str) and not value.strip()):
            return {}
        if ini and isinstance(value, str):
            value = dict(_convention_line(line) for line in value.splitlines() if line.strip())
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            expected = "lines of 'kind = pattern'" if ini else "a table of strings"
            raise self._wrong("naming_convention", expected, value)
        unknown = sorted(set(value) - set(CONVENTION_KINDS))
        if unknown or not all(value.values()):
            raise self.error(
                "naming_convention",
                f"expected patterns for {', '.join(CONVENTION_KINDS)}, got "
                f"{', '.join(repr(k) for k in unknown) or 'an empty pattern'}",
            )
        return {str(k): str(v) for k, v in value.items()}

    def as_text(self) -> dict[str, str]:
        """Every scalar (or list of scalars) key as text; tables are left out."""
        text: dict[str, str] = {}
        for key, value in self.raw.items():
            if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
                text[key] = "\n".join(_scalar_text(v) for v in value)
            elif not isinstance(value, dict | list | Unexpanded):
                text[key] = _scalar_text(value)
        return text


def _convention_line(line: str) -> tuple[str, str]:
    key, _, pattern = line.partition("=")
    return key.strip(), pattern.strip()


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _a(noun: str) -> str:
    """``a list``, ``an integer``."""
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _kind(value: Any) -> str:
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list"}
    return kinds.get(type(value), "table" if isinstance(value, dict) else type(value).__name__)


def _hook(name: str, values: Values) -> dict[str, Any]:
    kind = values.text("type")
    if not kind:
        raise values.error(
            "type", f"post-write hook {name!r} needs a type: {', '.join(HOOK_TYPES)}"
        )
    if kind not in HOOK_TYPES:
        raise values.error(
            "type", f"unknown hook type {kind!r}; use one of {', '.join(HOOK_TYPES)}"
        )
    entrypoint = values.text("entrypoint") or (values.text("module") if kind == "module" else None)
    executable = values.text("executable")
    if kind in ("console_scripts", "module") and not entrypoint:
        needed = "entrypoint" if kind == "console_scripts" else "module"
        raise values.error(needed, f"post-write hook {name!r} of type {kind} needs {needed}")
    if kind == "exec" and not executable:
        raise values.error("executable", f"post-write hook {name!r} of type exec needs executable")
    return {
        "name": name,
        "type": kind,
        "entrypoint": entrypoint,
        "executable": executable,
        "options": values.text("options") or "",
        "cwd": values.text("cwd") or None,
    }


def hooks_from_ini(section: Mapping[str, str], where: str) -> list[dict[str, Any]]:
    """Alembic's ``[post_write_hooks]``: ``hooks = a, b`` and ``a.type``, ``a.options``, ..."""
    hooks = []
    for name in split_names(section.get("hooks", "")):
        marker = f"{name}."
        own = {k[len(marker) :]: v for k, v in section.items() if k.startswith(marker)}
        hooks.append(_hook(name, Values(own, where, f"post_write_hooks.{marker}")))
    return hooks


def hooks_from_toml(raw: Any, where: str, key: str) -> list[dict[str, Any]]:
    """``[[post_write_hooks]]`` with ``name`` (Alembic's form), or ``[post_write_hooks.<name>]``."""
    entries: list[tuple[str, Any]]
    if isinstance(raw, list):
        entries = []
        for index, table in enumerate(raw):
            if not isinstance(table, dict) or not isinstance(table.get("name"), str):
                raise ConfigError(f"entry {index} must be a table with a name", path=where, key=key)
            entries.append((table["name"], {k: v for k, v in table.items() if k != "name"}))
    elif isinstance(raw, dict):
        entries = list(raw.items())
    else:
        raise ConfigError(
            f"expected [[post_write_hooks]] tables, got {_a(_kind(raw))}", path=where, key=key
        )
    hooks = []
    for name, table in entries:
        if not isinstance(table, dict):
            raise ConfigError(f"hook {name!r} must be a table", path=where, key=f"{key}.{name}")
        hooks.append(_hook(str(name), Values(table, where, f"{key}.{name}.")))
    return hooks
