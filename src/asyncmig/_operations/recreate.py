"""Table recreate ("move and copy"): how SQLite does what its ALTER TABLE cannot.

The table as it is (reflected, or ``copy_from``) becomes a :class:`TableModel`;
each directive changes the model; then the new table is created under a
temporary name, the rows are copied across (``INSERT ... SELECT``, with a CAST
where a type changed), the old table is dropped, the new one renamed, and the
indexes are created again.  All of it is ordinary DDL sent through the dialect
implementation, so it runs inside the step's transaction online and is written
out as SQL offline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Column, MetaData, Table
from sqlalchemy.schema import (
    CheckConstraint,
    CreateIndex,
    CreateTable,
    DropTable,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    SetColumnComment,
    SetTableComment,
    UniqueConstraint,
)

from ..errors import OperationNotSupported
from . import ddl
from .base import attach
from .model import TableModel

__all__ = ("recreate_for", "temporary_name")


def temporary_name(table_name: str) -> str:
    """The name the new table has until the old one is dropped."""
    # Alembic's prefix: on PostgreSQL it survives in the SERIAL sequence's name
    return f"_alembic_tmp_{table_name}"


@attach("_recreate_table")  # what Operations.invoke calls where the dialect needs it
def recreate_for(
    operations: Any,
    ops: Sequence[Any],
    *,
    table_name: str | None = None,
    schema: str | None = None,
    copy_from: Table | None = None,
    table_args: Sequence[Any] = (),
    table_kwargs: Mapping[str, Any] | None = None,
    reflect_args: Sequence[Any] = (),
    reflect_kwargs: Mapping[str, Any] | None = None,
    partial_reordering: Sequence[Sequence[str]] = (),
    naming_convention: Mapping[Any, Any] | None = None,
) -> None:
    """Apply `ops` (all on one table) by recreating that table."""
    first: Any = ops[0] if ops else None
    if table_name is None:
        table_name, schema = first.table_name, first.schema
    name: str = table_name
    impl = operations.impl
    context = operations.migration_context
    if copy_from is None:
        if context.as_sql or context.connection is None:
            directive = _directive_name(first) if first is not None else "batch_alter_table"
            raise OperationNotSupported(
                directive,
                f"{context.dialect.name} offline (--sql)",
                f"this needs a table recreate and the definition of {name!r} is unknown "
                f"offline; wrap it in op.batch_alter_table({name!r}, copy_from=sa.Table(...))",
            )
        kwargs = dict(reflect_kwargs or {})
        if context.dialect.name == "sqlite":
            kwargs["listeners"] = [
                *kwargs.get("listeners", ()),
                ("column_reflect", _parenthesise_default),
            ]
        copy_from = impl.reflect_table(name, schema, *reflect_args, **kwargs)
    model = TableModel.from_table(
        copy_from, context.opts, naming_convention=naming_convention, dialect=context.dialect
    )
    for operation in ops:
        model.apply(operation, operations)
    for order in partial_reordering:
        model.reorder(order)
    _emit(
        impl,
        model,
        reused=_names(copy_from) & model.constraint_names(),
        name=name,
        schema=schema,
        table_args=table_args,
        table_kwargs=dict(table_kwargs or {}),
    )


# What SQLite may take bare after DEFAULT: one digit (or dot), a quoted string, or
# something already in parentheses.  Anything else it reflects (CURRENT_TIMESTAMP, 10,
# NULL, lower('A')) is written back in parentheses, as Alembic's batch does.
_BARE_DEFAULT = (re.compile(r"[0-9.]"), re.compile(r"'.+'"), re.compile(r"\(.+\)"))


def _parenthesise_default(inspector: Any, table: Table, column_info: dict[str, Any]) -> None:
    """column_reflect listener: a reflected SQLite default as Alembic's batch rewrites it."""
    default = column_info.get("default")
    bare = any(pattern.fullmatch(str(default)) for pattern in _BARE_DEFAULT)
    if isinstance(default, str) and default and not bare:
        column_info["default"] = f"({default})"


def _directive_name(operation: Any) -> str:
    """``CreateForeignKeyOp`` -> ``create_foreign_key``."""
    words = re.findall(r"[A-Z][a-z]*", type(operation).__name__.removesuffix("Op"))
    return "_".join(word.lower() for word in words)


def _names(table: Table) -> set[str]:
    """The names of `table`'s constraints."""
    return {str(c.name) for c in table.constraints if isinstance(c.name, str)}


def _emit(
    impl: Any,
    model: TableModel,
    *,
    reused: set[str],
    name: str,
    schema: str | None,
    table_args: Sequence[Any],
    table_kwargs: dict[str, Any],
) -> None:
    metadata = MetaData()
    new_table = _build_table(
        metadata,
        model,
        temporary_name(name),
        schema=schema,
        table_args=table_args,
        table_kwargs=table_kwargs,
    )
    if reused:
        impl.free_constraint_names(name, schema, sorted(reused))
    impl.execute(CreateTable(new_table))
    dialect = impl.dialect
    if dialect.supports_comments and not dialect.inline_comments:
        # as CREATE TABLE does through the dialect implementation: comments follow
        if new_table.comment is not None:
            impl.execute(SetTableComment(new_table))
        for column in new_table.columns:
            if column.comment is not None:
                impl.execute(SetColumnComment(column))
    copied = [(new, old) for new in model.columns if (old := model.sources.get(new)) is not None]
    if copied:
        old_table = sa.table(name, *[sa.column(old) for _, old in copied], schema=schema)
        select_list = [
            sa.cast(old_table.c[old], model.columns[new].type)
            if new in model.cast
            else old_table.c[old]
            for new, old in copied
        ]
        impl.execute(
            new_table.insert().from_select([new for new, _ in copied], sa.select(*select_list))
        )
    impl.execute(DropTable(Table(name, MetaData(), schema=schema)))
    impl.execute(ddl.RenameTable(temporary_name(name), name, schema))
    final = Table(
        name, MetaData(), *[Column(c.name, c.type) for c in model.columns.values()], schema=schema
    )
    for spec in model.indexes:
        exprs = [final.c[c] if isinstance(c, str) else c for c in spec.columns]
        index = Index(spec.name, *exprs, unique=spec.unique, _table=final, **spec.kw)
        impl.execute(CreateIndex(index))


def _build_table(
    metadata: MetaData,
    model: TableModel,
    tmp_name: str,
    *,
    schema: str | None,
    table_args: Sequence[Any],
    table_kwargs: dict[str, Any],
) -> Table:
    items: list[Any] = [model.column_copy(name) for name in model.columns]
    if model.pk_columns:
        items.append(PrimaryKeyConstraint(*model.pk_columns, name=model.pk_name))
    for unique in model.uniques:
        items.append(UniqueConstraint(*unique.columns, name=unique.name))
    for check in model.checks:
        sqltext = sa.text(check.sqltext) if isinstance(check.sqltext, str) else check.sqltext
        items.append(CheckConstraint(sqltext, name=check.name))
    for fk in model.fks:
        ref_schema, ref_table = fk.ref_schema, fk.ref_table
        # a self-reference points at the final name, not the temporary one
        prefix = f"{ref_schema}.{ref_table}" if ref_schema else ref_table
        key = f"{ref_schema}.{ref_table}" if ref_schema else ref_table
        stub = metadata.tables.get(key)
        if stub is None:
            stub = Table(ref_table, metadata, schema=ref_schema)
        for col in fk.ref_columns:
            if col not in stub.c:
                stub.append_column(Column(col, sa.types.NULLTYPE))
        items.append(
            ForeignKeyConstraint(
                fk.columns,
                [f"{prefix}.{c}" for c in fk.ref_columns],
                name=fk.name,
                **fk.options,
            )
        )
    kwargs = dict(model.table_kwargs)
    kwargs.update(table_kwargs)
    return Table(tmp_name, metadata, *items, *table_args, schema=schema, **kwargs)
