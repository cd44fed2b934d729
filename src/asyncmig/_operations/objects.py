"""Build the SQLAlchemy schema objects a directive talks about.

Directives name tables and columns by string; SQLAlchemy's DDL constructs want
``Table``, ``Column``, ``Constraint`` and ``Index`` objects.  These helpers make
throw-away ones on a scratch ``MetaData`` that carries the naming convention in
force (see :mod:`.naming`), with stand-in tables for the tables a foreign key
refers to so that the constraint compiles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, MetaData, Table
from sqlalchemy.schema import Constraint, ForeignKeyConstraint, Index, SchemaItem
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import NULLTYPE

from . import naming

__all__ = ("foreign_key", "index", "on_table", "table")

C = TypeVar("C", bound=Constraint)


def _stub_table(metadata: MetaData, name: str, columns: Sequence[str], schema: str | None) -> Table:
    """`name` in `metadata`, holding at least `columns` (typeless)."""
    key = f"{schema}.{name}" if schema else name
    existing = metadata.tables.get(key)
    if existing is None:
        existing = Table(name, metadata, schema=schema)
    for column in columns:
        if column not in existing.c:
            existing.append_column(Column(column, NULLTYPE))
    return existing


def table(
    opts: Mapping[str, Any],
    name: str,
    *items: SchemaItem,
    schema: str | None = None,
    **kw: Any,
) -> Table:
    """A Table named `name` holding `items`, on a MetaData with the target's convention."""
    metadata = naming.metadata_for(opts)
    built = Table(name, metadata, *items, schema=schema, **kw)
    naming.settle_type_checks(built)
    # foreign keys need the tables they point at to exist in the same MetaData to compile;
    # a self-reference from add_column names a column this stand-in lacks, so it gains one
    for fk in built.foreign_key_constraints:
        for element in fk.elements:
            ref_schema, ref_table, ref_column = _split_target(element._colspec)
            _stub_table(metadata, ref_table, [ref_column], ref_schema)
    return built


def _split_target(colspec: Any) -> tuple[str | None, str, str]:
    if not isinstance(colspec, str):
        column = colspec
        return column.table.schema, column.table.name, column.name
    parts = colspec.split(".")
    if len(parts) == 2:
        return None, parts[0], parts[1]
    return ".".join(parts[:-2]), parts[-2], parts[-1]


def on_table(
    opts: Mapping[str, Any],
    table_name: str,
    constraint: C,
    *,
    columns: Sequence[str] = (),
    schema: str | None = None,
) -> C:
    """`constraint` on a stand-in table holding (at least) the `columns` it names."""
    host = _stub_table(naming.metadata_for(opts), table_name, columns, schema)
    host.append_constraint(constraint)
    return constraint


def foreign_key(
    opts: Mapping[str, Any],
    name: str | None,
    source: str,
    referent: str,
    *,
    local_cols: Sequence[str],
    remote_cols: Sequence[str],
    source_schema: str | None = None,
    referent_schema: str | None = None,
    **kw: Any,
) -> ForeignKeyConstraint:
    """``FOREIGN KEY (local) REFERENCES referent (remote)`` between stand-in tables."""
    metadata = naming.metadata_for(opts)
    host = _stub_table(metadata, source, local_cols, source_schema)
    # the referred table only has to exist in the MetaData for the constraint to compile
    _stub_table(metadata, referent, remote_cols, referent_schema)
    prefix = f"{referent_schema}.{referent}" if referent_schema else referent
    constraint = ForeignKeyConstraint(
        list(local_cols), [f"{prefix}.{col}" for col in remote_cols], name=name, **kw
    )
    host.append_constraint(constraint)
    return constraint


def index(
    opts: Mapping[str, Any],
    name: str | None,
    table_name: str,
    columns: Sequence[str | ClauseElement],
    *,
    schema: str | None = None,
    unique: bool = False,
    **kw: Any,
) -> Index:
    """An Index over column names and/or expressions on a stand-in table."""
    metadata = naming.metadata_for(opts)
    names = [c for c in columns if isinstance(c, str)]
    host = _stub_table(metadata, table_name, names, schema)
    exprs: list[Any] = [host.c[c] if isinstance(c, str) else c for c in columns]
    return Index(name, *exprs, unique=unique, _table=host, **kw)
