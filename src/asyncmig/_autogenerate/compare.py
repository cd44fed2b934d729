"""Compare target metadata with a live database: which tables, then what inside them.

Runs synchronously on a sync ``Connection`` (the runtime calls it inside
``AsyncConnection.run_sync``).  Reflection goes through SQLAlchemy's
``Inspector``; nothing is changed in the database.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence

from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.schema import MetaData, Table

from .._dialects import backend_for
from .autogen_context import CompareContext, Comparison
from .autogen_options import AutogenOptions
from .compare_columns import compare_columns
from .compare_constraints import compare_constraints, compare_table_comment
from .compare_enums import compare_enums
from .diff import AddTable, Diff, RemoveTable
from .ordering import dependency_order

__all__ = ("compare_metadata",)

TableKey = tuple[str | None, str]


def compare_metadata(
    connection: Connection,
    metadata: MetaData | Sequence[MetaData],
    *,
    options: AutogenOptions | None = None,
) -> Comparison:
    """The differences between `metadata` (the models) and the database behind `connection`.

    `metadata` may be one MetaData or several (their tables are merged; a table
    declared twice is an error of the models).  The result is a list of
    :class:`~asyncmig._autogenerate.diff.Diff` with ``notes`` for what could not be
    decided (anonymous constraints).
    """
    options = options or AutogenOptions()
    inspector = inspect(connection)
    default_schema = options.default_schema or inspector.default_schema_name
    ctx = CompareContext(
        connection=connection,
        inspector=inspector,
        behaviour=backend_for(connection.dialect).autogen(connection.dialect),
        options=options,
        default_schema=default_schema,
    )
    metadatas = [metadata] if isinstance(metadata, MetaData) else list(metadata)
    model = _model_tables(ctx, metadatas)
    schemas = _schemas(ctx, {schema for schema, _ in model})
    database = _database_tables(ctx, schemas)

    diffs: list[Diff] = []
    added = [model[key] for key in model if key not in database]
    for table in _sorted(added):
        if ctx.object_included(table, table.name, "table", False, None):
            key = (ctx.schema_key(table.schema), table.name)
            diffs.append(AddTable(schema=key[0], table=key[1], table_obj=table))
    removed_tables: list[Table] = []
    for key in sorted(database, key=_sort_key):
        if key in model:
            continue
        reflected = _reflect(ctx, key)
        if ctx.object_included(reflected, key[1], "table", True, None):
            removed_tables.append(reflected)
    diffs.extend(
        RemoveTable(schema=ctx.schema_key(t.schema), table=t.name, table_obj=t)
        for t in reversed(_sorted(removed_tables))
    )

    existing: list[tuple[Table, Table]] = []
    for key in sorted(model.keys() & database, key=_sort_key):
        model_table = model[key]
        reflected = _reflect(ctx, key)
        if ctx.object_included(model_table, key[1], "table", False, reflected):
            existing.append((model_table, reflected))
    for model_table, reflected in existing:
        schema, name = ctx.schema_key(model_table.schema), model_table.name
        diffs.extend(compare_columns(ctx, schema, name, model_table, reflected))
        diffs.extend(compare_constraints(ctx, schema, name, model_table, reflected))
        diffs.extend(compare_table_comment(ctx, schema, name, model_table, reflected))

    diffs = compare_enums(ctx, schemas, model.values(), diffs)
    return Comparison(diffs).with_notes(ctx.notes)


def _sort_key(key: TableKey) -> tuple[str, str]:
    return (key[0] or "", key[1])


def _sorted(tables: Iterable[Table]) -> list[Table]:
    """`tables` with every table after the tables its foreign keys point at."""
    return dependency_order(tables)[0]


def _model_tables(ctx: CompareContext, metadatas: Sequence[MetaData]) -> dict[TableKey, Table]:
    tables: dict[TableKey, Table] = {}
    for metadata in metadatas:
        for table in metadata.tables.values():
            key = (ctx.schema_key(table.schema), table.name)
            if key[1] in ctx.options.version_tables:
                continue
            tables.setdefault(key, table)
    return tables


def _schemas(ctx: CompareContext, model_schemas: set[str | None]) -> list[str | None]:
    schemas: set[str | None] = {None, *model_schemas}
    if ctx.options.include_schemas:
        for name in ctx.inspector.get_schema_names():
            if name in ctx.behaviour.system_schemas:
                continue
            key = ctx.schema_key(name)
            if key is None or ctx.options.name_included(name, "schema", {}):
                schemas.add(key)
    return sorted(schemas, key=lambda s: s or "")


def _database_tables(ctx: CompareContext, schemas: Sequence[str | None]) -> set[TableKey]:
    found: set[TableKey] = set()
    for schema in schemas:
        for name in ctx.inspector.get_table_names(schema=schema):
            if name in ctx.options.version_tables:
                continue
            if ctx.options.name_included(name, "table", ctx.parents(schema)):
                found.add((schema, name))
    return found


def _reflect(ctx: CompareContext, key: TableKey) -> Table:
    """The database's version of a table, in a MetaData of its own."""
    schema, name = key
    table = Table(name, MetaData(), schema=schema)
    with warnings.catch_warnings():
        # the dialect says so through reflects_expression_indexes; the models decide
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        ctx.inspector.reflect_table(table, None, resolve_fks=False)
    return table
