"""Find and load asyncmig's configuration.

Search order (the first that exists wins), in ``cwd``: an explicit path or
``ASYNCMIG_CONFIG``; ``asyncmig.toml`` (keys at the top level);
``pyproject.toml`` when it has a ``[tool.asyncmig]`` table; ``asyncmig.ini``
(``[asyncmig]`` section); ``alembic.ini`` (``[alembic]`` section).

Keys carry Alembic's names and meanings.  Layout decisions:

- Several databases: ``[databases.<name>]`` tables in TOML; in ini,
  ``databases = a, b`` in the main section and one section ``[a]`` per
  database, as Alembic's multidb template writes them.
- ``schemas`` is a list of names, or in TOML a string holding an SQL query;
  in ini it is always a list and the query goes in ``schemas_query``.
- ``post_write_hooks`` in TOML is Alembic's list of tables
  (``[[post_write_hooks]]`` with ``name``) or a table of tables keyed by name;
  in ini it is Alembic's ``[post_write_hooks]`` section.
- A URL override (``url=``, ``-x url=``, ``ASYNCMIG_URL``) applies only when
  exactly one database is configured; with several it is a ConfigError.  It
  replaces the key before ``${VAR}`` expansion, so the configured URL's
  variables need not be set.  An unset variable in a URL is an error only for
  what needs the URL (``DatabaseConfig.url_error``): ``heads`` and ``history``
  work without it.
- A key that is a near miss of a known one (``verison_table``) is an error
  suggesting the known key; other keys are the user's own, kept in
  ``options`` as Alembic keeps them.  A ``%(token)s`` other than ``%(here)s``
  (and ``file_template``'s own) and an unterminated ``${`` are errors.
- Durations (``lock_timeout``, ``ddl_lock_timeout``, ``migration_statement_timeout``)
  are a number of seconds or text with a unit: ``"500ms"``, ``"5s"``, ``"10min"``, ``"1h"``.
- ``alembic.ini`` keeps Alembic's version table name (``alembic_version``)
  unless ``version_table`` is set, so an Alembic project runs as it is.
- ``ledger``: record every applied step in ``<version_table>_ledger``.  On by
  default, except where the version table is Alembic's (``alembic_version``):
  an Alembic project run as it is leaves exactly the schema Alembic leaves
  until it sets ``ledger = true``.
- ``validate_on_migrate`` (default true): ``upgrade`` first compares the
  checksum each applied script had when it ran (kept in the ledger) with the
  file on disk, and stops on an edit.

Never imports sqlalchemy (commands that need no database stay fast).
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .._urls import mask_text, mask_url, mask_url_strictly, to_async_url
from ..errors import ConfigError
from .files import Source, find, read
from .values import (
    DATABASE_KEYS,
    FILE_TEMPLATE_TOKENS,
    MAIN_KEYS,
    URL_KEYS,
    Unexpanded,
    Values,
    check_keys,
    check_tokens,
    expand_env,
    expand_url,
    hooks_from_ini,
    hooks_from_toml,
    interpolate_toml,
    resolve_location,
    split_names,
)

__all__ = (
    "DEFAULT_DATABASE",
    "Config",
    "DatabaseConfig",
    "PostWriteHook",
    "mask_url",
    "parse_x_arguments",
    "to_async_url",
)

ALEMBIC_VERSION_TABLE = "alembic_version"

DEFAULT_DATABASE = "main"
_SECRET_KEY = re.compile(r"password|passwd|secret|token", re.I)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _masked(value: object, key: str = "") -> str:
    """``repr`` of a field value with every password masked."""
    if isinstance(value, str):
        return repr("***" if _SECRET_KEY.search(key) else mask_text(value))
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k!r}: {_masked(v, str(k))}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, tuple):
        items = [_masked(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    return repr(value)


class _MaskedRepr:
    """``repr``/``str`` of a dataclass that never shows a password."""

    def __repr__(self) -> str:
        body = ", ".join(
            f"{f.name}={_masked(getattr(self, f.name), f.name)}"
            for f in fields(self)  # type: ignore[arg-type]  # only mixed into dataclasses
            if f.repr
        )
        return f"{type(self).__name__}({body})"

    __str__ = __repr__


@dataclass(frozen=True)
class PostWriteHook:
    """One entry of ``post_write_hooks``."""

    name: str
    type: str  # "console_scripts" | "module" | "exec"
    entrypoint: str | None = None  # console_scripts: the script name; module: the module name
    executable: str | None = None  # exec: the program
    options: str = ""  # may contain REVISION_SCRIPT_FILENAME
    cwd: str | None = None


@dataclass(frozen=True, repr=False)
class DatabaseConfig(_MaskedRepr):
    """One database to migrate."""

    name: str
    url: str | None  # async driver URL; print only `masked_url`
    script_location: Path | None = None  # a separate history; None = the main one
    schemas: tuple[str, ...] | None = None  # tenant schemas listed in the config
    schemas_query: str | None = None  # or: SQL that returns the schema names
    version_table: str | None = None  # None = the main setting
    version_table_schema: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)  # every key of its table, as text
    # Why `url` is None when its ${VAR} was unset: raised only by what needs the URL.
    url_error: ConfigError | None = field(default=None, compare=False, repr=False)

    @property
    def masked_url(self) -> str:
        """The URL with any password replaced by ``***``."""
        return mask_url_strictly(self.url) if self.url else ""

    def require_url(self, purpose: str) -> str:
        """The URL, or the ConfigError saying why there is none (`purpose`: what needs it)."""
        if self.url:
            return self.url
        if self.url_error is not None:
            raise self.url_error
        raise ConfigError(f"database {self.name!r} has no url; {purpose}", key="url")


@dataclass(frozen=True, repr=False)
class Config(_MaskedRepr):
    """Loaded configuration; built by :meth:`Config.load`."""

    path: Path | None  # the file it came from; None when built from a mapping
    here: Path  # the folder `%(here)s` means
    script_location: Path
    version_locations: tuple[Path, ...]
    databases: Mapping[str, DatabaseConfig]  # always at least one; "main" for a single `url`
    recursive_version_locations: bool = False
    file_template: str = "%(rev)s_%(slug)s"
    timezone: str | None = None
    truncate_slug_length: int = 40
    output_encoding: str = "utf-8"
    prepend_sys_path: tuple[Path, ...] = ()
    post_write_hooks: tuple[PostWriteHook, ...] = ()
    sourceless: bool = False
    version_table: str = "asyncmig_version"
    version_table_schema: str | None = None
    transaction_per_migration: bool = True
    lock: bool = True
    lock_timeout: float | None = None  # the wait for the migration lock (another runner)
    ddl_lock_timeout: float | None = None  # a step's wait for each table lock; None: off
    ddl_lock_retries: int = 3  # tries again after that wait timed out (ddl_lock_timeout set)
    migration_statement_timeout: float | None = None  # None: the connection's own; 0: no limit
    ledger: bool = True  # record applied steps beside the version table (off: Alembic's schema)
    validate_on_migrate: bool = True  # upgrade first compares applied scripts with the ledger
    target_metadata: str | None = None  # "pkg.module:attr"
    naming_convention: Mapping[str, str] = field(default_factory=dict)  # opt-in; {}: none
    x_arguments: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, str] = field(default_factory=dict)  # every main-section key, as text
    sections: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # other sections
    main_section: str = "asyncmig"  # the ini section (or TOML table) `options` came from

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        url: str | None = None,
        x_arguments: Mapping[str, str] | Sequence[str] | None = None,
        environ: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        section: str | None = None,
    ) -> Config:
        """Find and load the configuration (see the module docstring for the search order).

        ``section`` names the ini section to read (Alembic's ``--name``); by
        default ``[asyncmig]``, or ``[alembic]`` in an ``alembic.ini``.
        """
        env = os.environ if environ is None else environ
        folder = Path(cwd) if cwd is not None else Path.cwd()
        found = find(path, env, folder)
        source = read(found, section)
        return _build(source, url=url, x_arguments=x_arguments, environ=env)

    @classmethod
    def from_mapping(
        cls,
        values: Mapping[str, Any],
        *,
        here: str | Path | None = None,
        url: str | None = None,
        x_arguments: Mapping[str, str] | Sequence[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Config:
        """Build a configuration from a mapping laid out like ``asyncmig.toml``.

        Relative paths and ``%(here)s`` mean ``here`` (default: the current folder).
        """
        folder = Path(here).resolve() if here is not None else Path.cwd()
        source = Source(None, folder, "toml", dict(values), {}, "<mapping>", "", "asyncmig")
        env = os.environ if environ is None else environ
        return _build(source, url=url, x_arguments=x_arguments, environ=env)

    def get_main_option(self, name: str, default: str | None = None) -> str | None:
        """Alembic's accessor, for scripts that read ``config.get_main_option``."""
        return self.options.get(name, default)

    def get_section_option(self, section: str, name: str, default: str | None = None) -> str | None:
        """Alembic's accessor for another section of the same file."""
        if section == self.main_section:
            return self.get_main_option(name, default)
        return self.sections.get(section, {}).get(name, default)

    def database(self, name: str) -> DatabaseConfig:
        """One database by name; ConfigError naming the known ones if absent."""
        try:
            return self.databases[name]
        except KeyError:
            known = ", ".join(self.databases)
            raise ConfigError(
                f"no database named {name!r} is configured; the configured ones are: {known}",
                path=str(self.path) if self.path else None,
            ) from None

    def select(self, names: Sequence[str] | None) -> list[DatabaseConfig]:
        """The databases a command acts on (all when `names` is None or empty)."""
        if not names:
            return list(self.databases.values())
        return [self.database(name) for name in dict.fromkeys(names)]


def parse_x_arguments(items: Sequence[str]) -> dict[str, str]:
    """``-x key=value`` items as a mapping; a bare key maps to ``""``."""
    parsed: dict[str, str] = {}
    for item in items:
        key, _, value = item.partition("=")
        key = key.strip()
        if not key:
            raise ConfigError(f"-x {mask_text(item)!r} has no key; write -x key=value")
        parsed[key] = value
    return parsed


# -- building ---------------------------------------------------------------------------------


def _build(
    source: Source,
    *,
    url: str | None,
    x_arguments: Mapping[str, str] | Sequence[str] | None,
    environ: Mapping[str, str],
) -> Config:
    check_keys(source.main, MAIN_KEYS, source.where, source.prefix)
    x_args = _x_arguments(x_arguments)
    raw = dict(source.main)
    if _url_override(url, x_args, environ) is not None:
        # The override replaces the key before it is expanded: its ${VAR} is never read.
        for key in URL_KEYS:
            raw.pop(key, None)
    main = _expanded(source, raw, source.prefix, environ)
    values = Values(main, source.where, source.prefix)
    here = source.here
    location_text = values.text("script_location")
    if not location_text:
        raise ConfigError(
            "script_location is required; set it to the migrations folder "
            '(e.g. script_location = "%(here)s/migrations")',
            path=source.where,
            key=f"{source.prefix}script_location",
        )
    script_location = resolve_location(
        location_text, here, source.where, values.key("script_location")
    )
    version_locations = _version_locations(values, source, script_location)
    prepend = values.path_list("prepend_sys_path", ini=source.kind == "ini", legacy_colon=True)

    file_template = values.text("file_template") or "%(rev)s_%(slug)s"
    check_tokens(file_template, source.where, values.key("file_template"), FILE_TEMPLATE_TOKENS)
    output_encoding = values.text("output_encoding") or "utf-8"
    try:
        codecs.lookup(output_encoding)
    except LookupError:
        raise values.error("output_encoding", f"unknown encoding {output_encoding!r}") from None

    default_table = ALEMBIC_VERSION_TABLE if source.is_alembic else "asyncmig_version"
    version_table = values.name("version_table") or default_table
    config = Config(
        path=source.path.resolve() if source.path else None,
        here=here,
        script_location=script_location,
        version_locations=version_locations,
        databases=_databases(source, values, environ),
        recursive_version_locations=values.boolean("recursive_version_locations", False),
        file_template=file_template,
        timezone=values.text("timezone") or None,
        truncate_slug_length=values.integer("truncate_slug_length", 40, minimum=1),
        output_encoding=output_encoding,
        prepend_sys_path=tuple(
            resolve_location(p, here, source.where, values.key("prepend_sys_path"), plain=True)
            for p in prepend
        ),
        post_write_hooks=_hooks(source, main, environ),
        sourceless=values.boolean("sourceless", False),
        version_table=version_table,
        version_table_schema=values.name("version_table_schema"),
        transaction_per_migration=values.boolean("transaction_per_migration", True),
        lock=values.boolean("lock", True),
        lock_timeout=values.seconds("lock_timeout"),
        ddl_lock_timeout=values.seconds("ddl_lock_timeout") or None,
        ddl_lock_retries=values.integer("ddl_lock_retries", 3, minimum=0),
        migration_statement_timeout=values.seconds("migration_statement_timeout"),
        # an Alembic project, run as it is, keeps exactly Alembic's schema unless it opts in
        ledger=values.boolean("ledger", version_table != ALEMBIC_VERSION_TABLE),
        validate_on_migrate=values.boolean("validate_on_migrate", True),
        target_metadata=values.target("target_metadata"),
        naming_convention=MappingProxyType(values.naming_convention(ini=source.kind == "ini")),
        x_arguments=MappingProxyType(x_args),
        options=MappingProxyType(values.as_text()),
        sections=MappingProxyType(_sections(source, main, environ)),
        main_section=source.section,
    )
    return _override_url(config, url, x_args, environ)


def _expanded(
    source: Source, table: Mapping[str, Any], prefix: str, environ: Mapping[str, str]
) -> dict[str, Any]:
    if source.kind == "toml":
        for key, value in table.items():
            if key not in ("file_template", "databases", "post_write_hooks"):
                check_tokens(value, source.where, f"{prefix}{key}")
        table = interpolate_toml(table, source.here)
    expanded: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{prefix}{key}"
        if key in URL_KEYS:
            expanded[key] = expand_url(value, environ, source.where, where)
        elif key == "databases" and isinstance(value, dict):
            expanded[key] = {
                name: _expanded_database(source, sub, f"{where}.{name}.", environ)
                if isinstance(sub, dict)
                else sub
                for name, sub in value.items()
            }
        else:
            expanded[key] = expand_env(value, environ, source.where, where)
    return expanded


def _expanded_database(
    source: Source, table: Mapping[str, Any], prefix: str, environ: Mapping[str, str]
) -> dict[str, Any]:
    """A TOML database table (already %-interpolated), its keys checked and expanded."""
    check_keys(table, DATABASE_KEYS, source.where, prefix)
    for key, value in table.items():
        check_tokens(value, source.where, f"{prefix}{key}")
    return {
        key: (expand_url if key in URL_KEYS else expand_env)(
            value, environ, source.where, f"{prefix}{key}"
        )
        for key, value in table.items()
    }


def _version_locations(values: Values, source: Source, script_location: Path) -> tuple[Path, ...]:
    entries = values.path_list("version_locations", ini=source.kind == "ini", legacy_colon=False)
    if not entries:
        return (script_location / "versions",)
    key = values.key("version_locations")
    return tuple(resolve_location(e, source.here, source.where, key) for e in entries)


def _x_arguments(given: Mapping[str, str] | Sequence[str] | None) -> dict[str, str]:
    if given is None:
        return {}
    if isinstance(given, Mapping):
        return {str(k): str(v) for k, v in given.items()}
    return parse_x_arguments(given)


def _databases(
    source: Source, values: Values, environ: Mapping[str, str]
) -> Mapping[str, DatabaseConfig]:
    url_key = "url" if "url" in values.raw else "sqlalchemy.url"
    names = values.raw.get("databases")
    if names is None:
        database = _database(DEFAULT_DATABASE, values, source, url_key=url_key, top_level=True)
        return MappingProxyType({DEFAULT_DATABASE: database})
    if url_key in values.raw and not source.is_alembic:
        # Alembic's multidb env.py ignores a main sqlalchemy.url, so alembic.ini may keep one.
        raise values.error(
            url_key, "cannot be combined with databases; put a url in each database's table"
        )
    for key in ("schemas", "schemas_query"):
        if key in values.raw:
            raise values.error(key, "belongs in each database's table when databases is set")
    found: dict[str, DatabaseConfig] = {}
    for name, table, prefix in _database_tables(source, values, names, environ):
        if not _NAME.match(name):
            raise ConfigError(
                f"database name {name!r} must be a Python identifier (it names upgrade_<name>())",
                path=source.where,
                key=values.key("databases"),
            )
        db_values = Values(table, source.where, prefix)
        db_url_key = "url" if "url" in table else "sqlalchemy.url"
        found[name] = _database(name, db_values, source, url_key=db_url_key, top_level=False)
    if not found:
        raise values.error("databases", "lists no database; name at least one")
    _check_conflicts(found, values, source)
    return MappingProxyType(found)


def _database_tables(
    source: Source, values: Values, names: object, environ: Mapping[str, str]
) -> list[tuple[str, dict[str, Any], str]]:
    key = values.key("databases")
    if source.kind == "toml":
        if not isinstance(names, dict) or not all(isinstance(t, dict) for t in names.values()):
            raise values.error("databases", "expected a table of tables ([databases.<name>])")
        # The main table was expanded as a whole, tables within it included.
        return [(str(n), t, f"{key}.{n}.") for n, t in names.items()]
    tables = []
    for name in split_names(str(names)):
        if name not in source.sections:
            raise ConfigError(
                f"lists database {name!r} but the file has no [{name}] section; "
                "add one with url = ...",
                path=source.where,
                key=key,
            )
        check_keys(source.sections[name], DATABASE_KEYS, source.where, f"{name}.")
        tables.append(
            (name, _expanded(source, source.sections[name], f"{name}.", environ), f"{name}.")
        )
    return tables


def _database(
    name: str, values: Values, source: Source, *, url_key: str, top_level: bool
) -> DatabaseConfig:
    raw_url = values.raw.get(url_key)
    url_error = raw_url.error if isinstance(raw_url, Unexpanded) else None
    url = None if url_error is not None else values.text(url_key) or None
    location = None if top_level else values.text("script_location")
    schemas, query = values.schemas(ini=source.kind == "ini")
    return DatabaseConfig(
        name=name,
        url=to_async_url(url) if url else None,
        script_location=(
            resolve_location(location, source.here, source.where, values.key("script_location"))
            if location
            else None
        ),
        schemas=schemas,
        schemas_query=query,
        version_table=None if top_level else values.name("version_table"),
        version_table_schema=None if top_level else values.name("version_table_schema"),
        options=MappingProxyType({} if top_level else values.as_text()),
        url_error=url_error,
    )


def _check_conflicts(found: Mapping[str, DatabaseConfig], values: Values, source: Source) -> None:
    main_table = values.name("version_table") or (
        "alembic_version" if source.is_alembic else "asyncmig_version"
    )
    main_schema = values.name("version_table_schema")
    seen: dict[tuple[str, str, str | None], tuple[str, set[str]]] = {}
    for db in found.values():
        if db.url is None:
            continue
        table = db.version_table or main_table
        schema = db.version_table_schema or main_schema
        if db.schemas is not None:
            targets = {f"schema:{s}" for s in db.schemas}
        elif db.schemas_query is not None:
            targets = {f"query:{db.schemas_query}"}
        else:
            targets = {"default"}
        key = (db.url, table, schema)
        if key in seen and seen[key][1] & targets:
            other = seen[key][0]
            raise ConfigError(
                f"databases {other!r} and {db.name!r} share the URL {db.masked_url} and the "
                f"version table {table!r}; they would fight over one lock and one history: "
                "give one of them its own version_table or version_table_schema",
                path=source.where,
                key=values.key("databases"),
            )
        seen.setdefault(key, (db.name, set()))[1].update(targets)


def _hooks(
    source: Source, main: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[PostWriteHook, ...]:
    if source.kind == "ini":
        section = source.sections.get("post_write_hooks")
        if section is None:
            return ()
        expanded = _expanded(source, section, "post_write_hooks.", environ)
        return tuple(PostWriteHook(**h) for h in hooks_from_ini(expanded, source.where))
    raw = main.get("post_write_hooks")
    if raw is None:
        return ()
    key = f"{source.prefix}post_write_hooks"
    return tuple(PostWriteHook(**h) for h in hooks_from_toml(raw, source.where, key))


def _sections(
    source: Source, main: Mapping[str, Any], environ: Mapping[str, str]
) -> dict[str, Mapping[str, str]]:
    if source.kind == "ini":
        sections: dict[str, Mapping[str, str]] = {}
        for name, table in source.sections.items():
            try:
                expanded = _expanded(source, table, f"{name}.", environ)
            except ConfigError:
                expanded = dict(table)  # a section asyncmig does not read keeps its ${VAR} text
            sections[name] = MappingProxyType(expanded)
        return sections
    sections = {}
    for key, value in main.items():
        if key == "databases" and isinstance(value, dict):
            for name, table in value.items():
                if isinstance(table, dict):
                    sections[str(name)] = MappingProxyType(Values(table, "", "").as_text())
        elif isinstance(value, dict):
            sections[key] = MappingProxyType(Values(value, "", "").as_text())
    return sections


def _url_override(
    url: str | None, x_args: Mapping[str, str], environ: Mapping[str, str]
) -> tuple[str, str] | None:
    """``(origin, url)`` of the first URL override given, or None."""
    for origin, value in (
        ("--url", url),
        ("-x url", x_args.get("url")),
        ("ASYNCMIG_URL", environ.get("ASYNCMIG_URL")),
    ):
        if value:
            return origin, value
    return None


def _override_url(
    config: Config, url: str | None, x_args: Mapping[str, str], environ: Mapping[str, str]
) -> Config:
    override = _url_override(url, x_args, environ)
    if override is None:
        return config
    origin, value = override
    if len(config.databases) != 1:
        names = ", ".join(config.databases)
        raise ConfigError(
            f"a URL override ({origin}) needs exactly one configured database, but there "
            f"are {len(config.databases)} ({names}); set each database's url in the "
            "configuration (${VAR} reads the environment) instead",
            path=str(config.path) if config.path else None,
        )
    (database,) = config.databases.values()
    replaced = replace(database, url=to_async_url(value), url_error=None)
    return replace(config, databases=MappingProxyType({database.name: replaced}))
