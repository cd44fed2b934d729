"""Constraint names: the target metadata's naming convention, or asyncmig's default.

A directive that creates a constraint with ``name=None`` (``create_foreign_key(None,
...)``, ``create_unique_constraint(None, ...)``, ``create_primary_key(None, ...)``,
``create_index(None, ...)``) and a SQLite table recreate that has to name what it
rebuilds both take the name from a naming convention, so that the same script
produces the same names on every dialect and a downgrade can drop what the upgrade
made.  The convention is the ``naming_convention`` of ``opts["target_metadata"]``
where one is configured, completed by :data:`DEFAULT_NAMING_CONVENTION`.

Tables built by ``create_table`` and ``add_column`` use only the target metadata's
convention, exactly as Alembic does, so existing scripts that rely on the database's
own names for inline constraints keep working.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.schema import Constraint, Index, Table
from sqlalchemy.sql.elements import conv

__all__ = (
    "DEFAULT_NAMING_CONVENTION",
    "conv",
    "convention_for",
    "metadata_for",
    "name_for",
)

DEFAULT_NAMING_CONVENTION: Mapping[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""The convention used where a name is needed and the target metadata gives none."""


def _target_conventions(opts: Mapping[str, Any]) -> dict[Any, Any] | None:
    target = opts.get("target_metadata")
    # several metadata objects may be configured for one database; the first one
    # that carries a convention decides, as in Alembic's autogenerate.
    candidates = target if isinstance(target, (list, tuple)) else [target]
    for metadata in candidates:
        if isinstance(metadata, MetaData):
            return dict(metadata.naming_convention)
    return None


def convention_for(opts: Mapping[str, Any], *, with_default: bool) -> dict[Any, Any]:
    """The naming convention in force; `with_default` fills gaps from the default one."""
    convention = dict(DEFAULT_NAMING_CONVENTION) if with_default else {}
    convention.update(_target_conventions(opts) or {"ix": "ix_%(column_0_label)s"})
    return convention


def metadata_for(opts: Mapping[str, Any], *, with_default: bool = False) -> MetaData:
    """A scratch MetaData carrying the convention that names a directive's objects."""
    return MetaData(naming_convention=convention_for(opts, with_default=with_default))


def name_for(item: Constraint | Index, table: Table, convention: Mapping[Any, Any]) -> str | None:
    """The name `convention` gives the unnamed `item` on `table`, or None if it gives none."""
    # SQLAlchemy's own convention machinery, so that every token it documents works
    from sqlalchemy.sql import naming

    pattern = naming._get_convention(dict(convention), type(item))  # type: ignore[no-untyped-call]  # private, untyped
    if pattern is None or pattern is getattr(naming, "_NONE_NAME", None):
        return None
    try:
        tokens = naming.ConventionDict(item, table, dict(convention))  # type: ignore[no-untyped-call]  # private, untyped
        return str(conv(pattern % tokens))
    except Exception:  # e.g. %(constraint_name)s on an unnamed item: the convention gives none
        return None
