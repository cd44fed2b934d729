"""The models of each database: target metadata and env.py's autogenerate settings.

Where a database's target metadata comes from, the most specific source first:

1. its own ``target_metadata = "pkg.module:attr"`` in ``[databases.<name>]``;
2. env.py's ``target_metadata``;
3. the configuration's ``target_metadata = "pkg.module:attr"``.

Each source may name one ``MetaData``, a list of them, a declarative base (its
``.metadata``), or a dict keyed by database name holding any of those; a dict
without the database, or None, passes on to the next source.  Configured
references are imported with ``prepend_sys_path`` on ``sys.path``.

env.py may also define, with Alembic's names and meanings: ``include_object``,
``include_name``, ``include_schemas``, ``compare_type`` (default on),
``compare_server_default`` (default off), ``render_as_batch`` (default: on
for SQLite), ``user_module_prefix`` and ``process_revision_directives``.  The
settings that are not callables may also be dicts keyed by database name.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sqlalchemy.schema import MetaData

from ..errors import ConfigError, one_line

if TYPE_CHECKING:
    from .._autogenerate.autogen_options import AutogenOptions, IncludeName, IncludeObject
    from .._config import Config, DatabaseConfig

__all__ = (
    "AutogenHooks",
    "context_metadata",
    "hooks_for",
    "import_reference",
    "metadata_for",
)

_KEY = "target_metadata"

_MISSING = object()


@dataclass(frozen=True)
class AutogenHooks:
    """env.py's autogenerate settings as they apply to one database."""

    include_object: IncludeObject | None = None
    include_name: IncludeName | None = None
    include_schemas: bool = False
    compare_type: bool = True
    compare_server_default: bool = False
    render_as_batch: bool | None = None
    """None: the dialect decides (batch on SQLite)."""
    user_module_prefix: str | None = None
    process_revision_directives: Callable[[Any, Any, list[Any]], None] | None = None

    def options(self, version_tables: Iterable[str] = ()) -> AutogenOptions:
        """The comparison options, never reporting `version_tables` (nor the default ones)."""
        # Imported here: migrating never needs the autogenerate package.
        from .._autogenerate.autogen_options import DEFAULT_VERSION_TABLES, AutogenOptions
        from .ledger import ledger_name

        names = (*version_tables, *DEFAULT_VERSION_TABLES)  # and each one's ledger beside it
        tables: Collection[str] = tuple(dict.fromkeys((*names, *map(ledger_name, names))))
        # The hooks both know (include_object, compare_type ...) pass as they are.
        known = {f.name for f in fields(AutogenOptions)}
        shared = {f.name: getattr(self, f.name) for f in fields(self) if f.name in known}
        return AutogenOptions(**shared, version_tables=tables)


def _env_path(env_module: ModuleType | None) -> str | None:
    return getattr(env_module, "__file__", None) if env_module is not None else None


def _setting(env_module: ModuleType | None, name: str, database: str) -> Any:
    """env.py's `name`, taken from a per-database dict when it is one."""
    value = getattr(env_module, name, None) if env_module is not None else None
    if isinstance(value, Mapping):
        return value.get(database)
    return value


def _flag(env_module: ModuleType | None, name: str, database: str, default: bool | None) -> Any:
    value = _setting(env_module, name, database)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(
            f"env.py's {name} must be True or False (or a dict of them per database), "
            f"not {type(value).__name__}",
            path=_env_path(env_module),
            key=name,
        )
    return value


def _callable(env_module: ModuleType | None, name: str) -> Any:
    value = getattr(env_module, name, None) if env_module is not None else None
    if value is not None and not callable(value):
        raise ConfigError(
            f"env.py's {name} must be a function, not {type(value).__name__}",
            path=_env_path(env_module),
            key=name,
        )
    return value


def hooks_for(env_module: ModuleType | None, database: str) -> AutogenHooks:
    """The autogenerate settings env.py gives `database` (defaults without env.py)."""
    prefix = _setting(env_module, "user_module_prefix", database)
    if prefix is not None and not isinstance(prefix, str):
        raise ConfigError(
            f"env.py's user_module_prefix must be a string such as 'myapp.types.', "
            f"not {type(prefix).__name__}",
            path=_env_path(env_module),
            key="user_module_prefix",
        )
    return AutogenHooks(
        include_object=_callable(env_module, "include_object"),
        include_name=_callable(env_module, "include_name"),
        include_schemas=_flag(env_module, "include_schemas", database, False),
        compare_type=_flag(env_module, "compare_type", database, True),
        compare_server_default=_flag(env_module, "compare_server_default", database, False),
        render_as_batch=_flag(env_module, "render_as_batch", database, None),
        user_module_prefix=prefix,
        process_revision_directives=_callable(env_module, "process_revision_directives"),
    )


def _prepend(paths: Iterable[Path]) -> None:
    for entry in reversed([str(p) for p in paths]):
        if entry not in sys.path:
            sys.path.insert(0, entry)


def import_reference(reference: str, sys_path: Iterable[Path] = (), *, key: str = _KEY) -> Any:
    """The object ``"pkg.module:attr.sub"`` names; ConfigError naming `key` if it cannot be had."""
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigError(f"expected 'package.module:attribute', got {reference!r}", key=key)
    _prepend(sys_path)
    try:
        found: Any = importlib.import_module(module_name)
    except Exception as exc:
        reason = one_line(exc)
        raise ConfigError(
            f"cannot import {module_name!r}: {type(exc).__name__}: {reason}; check the module "
            "name and that prepend_sys_path puts its folder on sys.path",
            key=key,
        ) from exc
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise ConfigError(
                f"{reference!r}: {module_name!r} has no attribute {attribute!r}", key=key
            ) from None
    return found


def _shape(
    value: Any, database: str, where: str, *, path: str | None = None, key: str | None = None
) -> tuple[MetaData, ...]:
    """`value` (one of the accepted shapes) as the MetaData of `database`; () if it has none."""
    if isinstance(value, Mapping):
        value = value.get(database)
    if value is None:
        return ()
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    found: list[MetaData] = []
    for item in items:
        metadata = item if isinstance(item, MetaData) else getattr(item, "metadata", None)
        if not isinstance(metadata, MetaData):
            raise ConfigError(
                f"{where} gives {type(item).__name__} for database {database!r}; expected a "
                "sqlalchemy MetaData, a list of them, or a dict of them per database name",
                path=path,
                key=key,
            )
        found.append(metadata)
    return tuple(found)


def metadata_for(
    config: Config, database: DatabaseConfig, env_module: ModuleType | None
) -> tuple[MetaData, ...]:
    """Every MetaData `database` is compared with; () when no source names any.

    May import the user's models: call it from a worker thread.
    """
    own = database.options.get(_KEY)
    key = f"databases.{database.name}.{_KEY}"
    if own:
        value = import_reference(own, config.prepend_sys_path, key=key)
        found = _shape(value, database.name, repr(own), key=key)
        if found:
            return found
    if env_module is not None:
        value = getattr(env_module, _KEY, None)
        found = _shape(value, database.name, "env.py's target_metadata", path=_env_path(env_module))
        if found:
            return found
    if config.target_metadata:
        value = import_reference(config.target_metadata, config.prepend_sys_path)
        return _shape(value, database.name, repr(config.target_metadata), key=_KEY)
    return ()


def context_metadata(
    config: Config,
    database: DatabaseConfig | str | None = None,
    env_module: ModuleType | None = None,
) -> MetaData | list[MetaData] | None:
    """What a migration context's ``opts["target_metadata"]`` holds for `database`.

    Without `database`, a configuration of one database means that one.
    Without `env_module`, the env.py its script location has already imported.
    """
    if isinstance(database, str):
        database = config.database(database)
    if database is None:
        if len(config.databases) != 1:
            return None
        database = next(iter(config.databases.values()))
    if env_module is None:
        from .._script.loader import loaded_module

        location = database.script_location or config.script_location
        env_module = loaded_module(Path(location) / "env.py")
    found = metadata_for(config, database, env_module)
    if not found:
        return None
    return found[0] if len(found) == 1 else list(found)
