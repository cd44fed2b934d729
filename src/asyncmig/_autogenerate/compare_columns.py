"""Compare the columns of a table both sides have: presence, NULL, type, default, comment."""

from __future__ import annotations

from typing import Any

from sqlalchemy.schema import Column, Table

from .autogen_context import CompareContext
from .diff import (
    AddColumn,
    Diff,
    ModifyColumnComment,
    ModifyDefault,
    ModifyNullable,
    ModifyType,
    RemoveColumn,
)

__all__ = ("compare_columns", "existing_default")


def existing_default(ctx: CompareContext, column: Column[Any]) -> str | None:
    """A reflected column's server default SQL, None when none or when it is implicit."""
    if column.server_default is None or ctx.behaviour.implicit_default(column):
        return None
    return ctx.behaviour.default_text(column.server_default)


def compare_columns(
    ctx: CompareContext, schema: str | None, name: str, model: Table, reflected: Table
) -> list[Diff]:
    """Added, removed and modified columns of `name`."""
    diffs: list[Diff] = []
    parents = ctx.parents(schema, name)
    for column in model.columns:
        if column.name not in reflected.columns and ctx.object_included(
            column, column.name, "column", False, None
        ):
            diffs.append(
                AddColumn(schema=schema, table=name, column=column.name, column_obj=column)
            )
    for column in model.columns:
        if column.name in reflected.columns:
            db_column = reflected.columns[column.name]
            if ctx.options.name_included(column.name, "column", parents) and ctx.object_included(
                column, column.name, "column", False, db_column
            ):
                diffs.extend(_modified(ctx, schema, name, column, db_column))
    for db_column in reflected.columns:
        if (
            db_column.name not in model.columns
            and ctx.options.name_included(db_column.name, "column", parents)
            and ctx.object_included(db_column, db_column.name, "column", True, None)
        ):
            diffs.append(
                RemoveColumn(schema=schema, table=name, column=db_column.name, column_obj=db_column)
            )
    return diffs


def _modified(
    ctx: CompareContext,
    schema: str | None,
    table: str,
    column: Column[Any],
    db_column: Column[Any],
) -> list[Diff]:
    existing: dict[str, Any] = {
        "schema": schema,
        "table": table,
        "column": column.name,
        "existing_type": db_column.type,
        "existing_nullable": bool(db_column.nullable),
        "existing_server_default": existing_default(ctx, db_column),
        "existing_comment": db_column.comment,
    }
    diffs: list[Diff] = []
    if bool(column.nullable) != bool(db_column.nullable):
        diffs.append(
            ModifyNullable(**existing, old=bool(db_column.nullable), new=bool(column.nullable))
        )
    if ctx.options.compare_type:
        old = ctx.behaviour.type_signature(db_column.type)
        new = ctx.behaviour.type_signature(column.type)
        if old is not None and new is not None and old != new:
            diffs.append(ModifyType(**existing, old=old, new=new, new_type=column.type))
    if ctx.options.compare_server_default:
        old_sql = existing["existing_server_default"]
        new_sql = ctx.behaviour.default_text(column.server_default)
        if ctx.behaviour.normalize_default(old_sql) != ctx.behaviour.normalize_default(new_sql):
            diffs.append(
                ModifyDefault(
                    **existing, old=old_sql, new=new_sql, new_server_default=column.server_default
                )
            )
    if ctx.behaviour.supports_comments and (column.comment or None) != (db_column.comment or None):
        diffs.append(ModifyColumnComment(**existing, old=db_column.comment, new=column.comment))
    return diffs
