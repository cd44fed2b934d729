"""Named enum types (PostgreSQL): created before the tables that use them, dropped after.

Only types the models use are added or modified.  A database type is dropped only
when the tables or columns being removed used it and no model does, so enum types
owned by something outside the models are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.schema import Table
from sqlalchemy.types import Enum

from .autogen_context import CompareContext
from .diff import AddEnum, Diff, ModifyEnum, RemoveColumn, RemoveEnum, RemoveTable

__all__ = ("compare_enums", "named_enum")

EnumKey = tuple[str | None, str]


def named_enum(type_: Any) -> Enum | None:
    """The type if it is a named, native enum, else None."""
    if isinstance(type_, Enum) and type_.native_enum and type_.name:
        return type_
    return None


def _enum_key(ctx: CompareContext, type_: Enum, table_schema: str | None) -> EnumKey:
    return ctx.schema_key(type_.schema or table_schema), str(type_.name)


def compare_enums(
    ctx: CompareContext,
    schemas: Sequence[str | None],
    model_tables: Iterable[Table],
    diffs: list[Diff],
) -> list[Diff]:
    """`diffs` with enum type additions first and enum type removals last."""
    if not ctx.behaviour.native_enums:
        return diffs
    model: dict[EnumKey, tuple[str, ...]] = {}
    for table in model_tables:
        for column in table.columns:
            enum = named_enum(column.type)
            if enum is not None:
                model.setdefault(_enum_key(ctx, enum, table.schema), tuple(enum.enums))
    database: dict[EnumKey, tuple[str, ...]] = {}
    for schema in schemas:
        for name, labels in ctx.behaviour.reflect_enums(ctx.inspector, schema).items():
            database[(schema, name)] = labels

    added: list[Diff] = []
    for key, values in sorted(model.items(), key=_order):
        if key not in database:
            added.append(AddEnum(schema=key[0], name=key[1], values=values))
        elif database[key] != values:
            added.append(
                ModifyEnum(schema=key[0], name=key[1], values=values, old_values=database[key])
            )
    dropped: dict[EnumKey, None] = {}
    for diff in diffs:
        for column, schema in _removed_columns(diff):
            enum = named_enum(column.type)
            if enum is None:
                continue
            key = _enum_key(ctx, enum, schema)
            if key in database and key not in model:
                dropped[key] = None
    removed = [RemoveEnum(schema=k[0], name=k[1], values=database[k]) for k in dropped]
    return [*added, *diffs, *removed]


def _order(item: tuple[EnumKey, Any]) -> tuple[str, str]:
    return (item[0][0] or "", item[0][1])


def _removed_columns(diff: Diff) -> list[tuple[Any, str | None]]:
    if isinstance(diff, RemoveTable):
        return [(column, diff.table_obj.schema) for column in diff.table_obj.columns]
    if isinstance(diff, RemoveColumn):
        return [(diff.column_obj, diff.schema)]
    return []
