"""Constraint names: the target metadata's convention, else the configured one, else none.

Alembic names a constraint created with ``name=None`` only through the target
metadata's ``naming_convention``; without one the database picks the name
(PostgreSQL ``<table>_<column>_fkey``, MariaDB ``<table>_ibfk_1``, SQLite none).
asyncmig does the same, and adds one opt-in step between the two: a
``naming_convention`` table in asyncmig's configuration, which the runtime puts in
``opts["naming_convention"]`` (:data:`CONFIG_OPTION`).  ``asyncmig init`` writes
:data:`DEFAULT_NAMING_CONVENTION` there, so new projects get stable names and
existing Alembic projects keep exactly the names Alembic gives them.

The convention in force applies to every directive that builds constraints:
``create_table``, ``add_column``, the ``create_*`` constraint directives,
``create_index`` and the objects a SQLite recreate adds.  With no convention at
all only indexes are named (SQLAlchemy's ``ix_%(column_0_label)s``, as in Alembic).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.schema import CheckConstraint, Constraint, Index, Table
from sqlalchemy.sql import base as sa_base
from sqlalchemy.sql.elements import conv
from sqlalchemy.sql.schema import DEFAULT_NAMING_CONVENTION as _SQLALCHEMY_DEFAULT

__all__ = (
    "CONFIG_OPTION",
    "DEFAULT_NAMING_CONVENTION",
    "configured_convention",
    "conv",
    "convention_for",
    "metadata_for",
    "name_for",
    "settle_type_checks",
    "target_convention",
)

CONFIG_OPTION = "naming_convention"
"""The context opts key holding the configuration's ``naming_convention``."""

DEFAULT_NAMING_CONVENTION: Mapping[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""The convention ``asyncmig init`` writes into a new project's configuration."""


class _NameIfNamed(str):
    """A pattern using ``%(constraint_name)s``: no name at all for an unnamed constraint.

    Only configured conventions are wrapped: there an unnamed CHECK keeps the
    database's name, as it would without the convention.  SQLAlchemy leaves a
    constraint unnamed when the convention renders an empty name.
    """

    __slots__ = ()

    def __mod__(self, tokens: Any) -> str:
        try:
            return str.__mod__(self, tokens)
        except InvalidRequestError:
            return ""


def target_convention(opts: Mapping[str, Any]) -> dict[Any, Any] | None:
    """The target metadata's convention, or None when it sets none of its own."""
    target = opts.get("target_metadata")
    # several metadata objects may be configured for one database: the first one
    # with a convention of its own decides, as in Alembic's autogenerate
    candidates = target if isinstance(target, (list, tuple)) else [target]
    for metadata in candidates:
        if isinstance(metadata, MetaData) and dict(metadata.naming_convention) != dict(
            _SQLALCHEMY_DEFAULT
        ):
            return dict(metadata.naming_convention)
    return None


def configured_convention(opts: Mapping[str, Any]) -> dict[Any, Any] | None:
    """The configuration's ``naming_convention`` (completed with an ``ix`` pattern), or None."""
    configured = opts.get(CONFIG_OPTION)
    if not configured:
        return None
    convention: dict[Any, Any] = dict(_SQLALCHEMY_DEFAULT)
    for key, pattern in dict(configured).items():
        lenient = isinstance(pattern, str) and "%(constraint_name)s" in pattern
        convention[key] = _NameIfNamed(pattern) if lenient else pattern
    return convention


def convention_for(opts: Mapping[str, Any], *, with_default: bool | None = None) -> dict[Any, Any]:
    """The naming convention in force for a migration context's `opts`.

    ``with_default`` is accepted from older callers and ignored: there is no
    fallback convention beyond SQLAlchemy's index pattern any more.
    """
    del with_default
    found = target_convention(opts)
    if found is None:
        found = configured_convention(opts)
    return found if found is not None else dict(_SQLALCHEMY_DEFAULT)


def metadata_for(opts: Mapping[str, Any]) -> MetaData:
    """A scratch MetaData carrying the convention that names a directive's objects."""
    return MetaData(naming_convention=convention_for(opts))


def settle_type_checks(table: Table) -> None:
    """Leave unnamed the CHECKs a type makes (Boolean, Enum) that a configured pattern cannot name.

    SQLAlchemy names those at compile time, past where :class:`_NameIfNamed` can decline.
    """
    pattern = table.metadata.naming_convention.get("ck")
    if not isinstance(pattern, _NameIfNamed):
        return
    unnamed = getattr(sa_base, "_NONE_NAME", None)
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint) and constraint.name is unnamed:
            constraint.name = None


def name_for(item: Constraint | Index, table: Table, convention: Mapping[Any, Any]) -> str | None:
    """The name `convention` gives the unnamed `item` on `table`, or None if it gives none."""
    # SQLAlchemy's own convention machinery, so that every token it documents works
    from sqlalchemy.sql import naming

    pattern = naming._get_convention(dict(convention), type(item))  # type: ignore[no-untyped-call]  # private, untyped
    if pattern is None or pattern is getattr(naming, "_NONE_NAME", None):
        return None
    try:
        tokens = naming.ConventionDict(item, table, dict(convention))  # type: ignore[no-untyped-call]  # private, untyped
        return str(conv(pattern % tokens)) or None
    except Exception:  # e.g. %(constraint_name)s on an unnamed item: the convention gives none
        return None
