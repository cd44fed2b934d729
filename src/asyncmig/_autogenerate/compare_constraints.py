"""Compare a table's keys and indexes: primary key, indexes, unique, foreign, check.

Named objects are matched by name.  Unnamed ones are matched by what they cover
(the columns; for a foreign key also the referent), because the database names
them itself.  What cannot be matched or dropped without a name is said in a
note instead of being guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.schema import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Table,
    UniqueConstraint,
)
from sqlalchemy.sql.base import _NoneName

from .autogen_context import CompareContext
from .diff import (
    AddCheck,
    AddForeignKey,
    AddIndex,
    AddUnique,
    Diff,
    ModifyPrimaryKey,
    ModifyTableComment,
    RemoveCheck,
    RemoveForeignKey,
    RemoveIndex,
    RemoveUnique,
)

__all__ = ("compare_constraints", "compare_table_comment", "constraint_name", "fk_referent")


def constraint_name(item: Any) -> str | None:
    """The item's name, None while it has none (SQLAlchemy's deferred names included)."""
    name = item.name
    if name is None or isinstance(name, _NoneName):
        return None
    return str(name)


def compare_table_comment(
    ctx: CompareContext, schema: str | None, name: str, model: Table, reflected: Table
) -> list[Diff]:
    """The table comment, where the dialect has comments."""
    if not ctx.behaviour.supports_comments or (model.comment or None) == (
        reflected.comment or None
    ):
        return []
    return [ModifyTableComment(schema=schema, table=name, old=reflected.comment, new=model.comment)]


def compare_constraints(
    ctx: CompareContext, schema: str | None, name: str, model: Table, reflected: Table
) -> list[Diff]:
    """Primary key, index, unique, foreign key and check constraint differences of `name`."""
    return [
        *_primary_key(schema, name, model, reflected),
        *_indexes(ctx, schema, name, model, reflected),
        *_uniques(ctx, schema, name, model, reflected),
        *_foreign_keys(ctx, schema, name, model, reflected),
        *_checks(ctx, schema, name, model, reflected),
    ]


def _columns(item: Any) -> tuple[str, ...]:
    return tuple(str(c.name) for c in item.columns)


def _primary_key(schema: str | None, name: str, model: Table, reflected: Table) -> list[Diff]:
    old, new = _columns(reflected.primary_key), _columns(model.primary_key)
    if old == new:
        return []
    return [
        ModifyPrimaryKey(
            schema=schema,
            table=name,
            old=old,
            new=new,
            old_obj=reflected.primary_key,
            new_obj=model.primary_key,
        )
    ]


def _index_columns(index: Index) -> tuple[str, ...] | None:
    """An index's column names; None when it has expressions (compared by name only)."""
    names = []
    for expr in index.expressions:
        column_name = getattr(expr, "name", None)
        if column_name is None or getattr(expr, "table", None) is None:
            return None
        names.append(str(column_name))
    return tuple(names)


def _indexes(
    ctx: CompareContext, schema: str | None, table: str, model: Table, reflected: Table
) -> list[Diff]:
    parents = ctx.parents(schema, table)
    model_ix = {constraint_name(ix): ix for ix in model.indexes if constraint_name(ix)}
    db_ix = {
        constraint_name(ix): ix
        for ix in reflected.indexes
        if constraint_name(ix) and ctx.options.name_included(ix.name, "index", parents)
    }
    removed: list[Diff] = []
    added: list[Diff] = []
    for ix_name, ix in sorted(db_ix.items()):
        other = model_ix.get(ix_name)
        if other is not None and not _index_changed(other, ix):
            continue
        if ctx.object_included(ix, ix_name, "index", True, other):
            removed.append(_index_diff(RemoveIndex, schema, table, ix))
    for ix_name, ix in sorted(model_ix.items()):
        other = db_ix.get(ix_name)
        if other is not None and not _index_changed(ix, other):
            continue
        if (
            other is None
            and _index_columns(ix) is None
            and not ctx.behaviour.reflects_expression_indexes
        ):
            ctx.notes.append(
                f"index {ix_name} on {_where(schema, table)} is on an expression, which "
                f"{ctx.behaviour.name} does not reflect: it is not compared"
            )
            continue
        if ctx.object_included(ix, ix_name, "index", False, other):
            added.append(_index_diff(AddIndex, schema, table, ix))
    return removed + added


def _index_changed(model: Index, reflected: Index) -> bool:
    model_cols = _index_columns(model)
    if model_cols is None:
        return False
    return bool(model.unique) != bool(reflected.unique) or model_cols != _index_columns(reflected)


def _index_diff(cls: Any, schema: str | None, table: str, index: Index) -> Diff:
    columns = _index_columns(index) or tuple(str(e) for e in index.expressions)
    diff: Diff = cls(
        schema=schema,
        table=table,
        name=constraint_name(index),
        columns=columns,
        unique=bool(index.unique),
        index=index,
    )
    return diff


def _of_type(table: Table, kind: type[Any]) -> list[Any]:
    # table.constraints is a set: sort so that diffs come in the same order every run
    found = [c for c in table.constraints if type(c) is kind]
    return sorted(found, key=lambda c: (constraint_name(c) or "", _columns(c)))


def _uniques(
    ctx: CompareContext, schema: str | None, table: str, model: Table, reflected: Table
) -> list[Diff]:
    parents = ctx.parents(schema, table)
    db_uq: list[UniqueConstraint] = [
        uq
        for uq in _of_type(reflected, UniqueConstraint)
        if ctx.options.name_included(constraint_name(uq), "unique_constraint", parents)
    ]
    model_uq: list[UniqueConstraint] = _of_type(model, UniqueConstraint)
    matched: set[int] = set()
    diffs_add: list[Diff] = []
    diffs_remove: list[Diff] = []
    db_by_name = {constraint_name(d): d for d in db_uq if constraint_name(d)}
    pending: list[UniqueConstraint] = []
    for uq in model_uq:  # by name first, so that a signature match cannot steal a named one
        other = db_by_name.get(constraint_name(uq)) if constraint_name(uq) else None
        if other is None:
            pending.append(uq)
            continue
        matched.add(id(other))
        if _columns(other) != _columns(uq):  # same name, other columns: drop and recreate
            diffs_remove.append(_named(RemoveUnique, schema, table, other))
            if ctx.object_included(uq, constraint_name(uq), "unique_constraint", False, other):
                diffs_add.append(_named(AddUnique, schema, table, uq))
    for uq in pending:
        # the database names unnamed constraints itself; a named model one matches only those
        candidates = [
            d
            for d in db_uq
            if id(d) not in matched
            and _columns(d) == _columns(uq)
            and (constraint_name(uq) is None or constraint_name(d) is None)
        ]
        if candidates:
            matched.add(id(candidates[0]))
        elif ctx.object_included(uq, constraint_name(uq), "unique_constraint", False, None):
            diffs_add.append(_named(AddUnique, schema, table, uq))
    for uq in db_uq:
        if id(uq) in matched:
            continue
        if not ctx.object_included(uq, constraint_name(uq), "unique_constraint", True, None):
            continue
        if constraint_name(uq) is None:
            ctx.notes.append(
                f"unnamed unique constraint on {_where(schema, table)} ({', '.join(_columns(uq))}) "
                "is not in the models; it cannot be dropped by name: drop it by hand if unwanted"
            )
            continue
        diffs_remove.append(_named(RemoveUnique, schema, table, uq))
    return diffs_remove + diffs_add


def _named(cls: Any, schema: str | None, table: str, item: Any, **extra: Any) -> Diff:
    diff: Diff = cls(
        schema=schema,
        table=table,
        name=constraint_name(item),
        columns=_columns(item),
        constraint=item,
        **extra,
    )
    return diff


def _where(schema: str | None, table: str) -> str:
    return f"{schema}.{table}" if schema else table


def fk_referent(
    ctx: CompareContext, fk: ForeignKeyConstraint
) -> tuple[str | None, str, tuple[str, ...]]:
    """(schema, table, columns) a foreign key points at, from its element specs."""
    schema: str | None = None
    table = ""
    columns: list[str] = []
    for element in fk.elements:
        parts = element.target_fullname.split(".")
        columns.append(parts[-1])
        table = parts[-2]
        schema = ".".join(parts[:-2]) or None
    return ctx.schema_key(schema), table, tuple(columns)


def _fk_options(fk: ForeignKeyConstraint) -> tuple[str | None, str | None, bool, str | None]:
    def action(value: str | None) -> str | None:
        value = (value or "").upper().strip()
        return None if value in ("", "NO ACTION") else value

    initially = (fk.initially or "").upper().strip()
    return (
        action(fk.ondelete),
        action(fk.onupdate),
        bool(fk.deferrable),
        None if initially in ("", "IMMEDIATE") else initially,
    )


def _foreign_keys(
    ctx: CompareContext, schema: str | None, table: str, model: Table, reflected: Table
) -> list[Diff]:
    parents = ctx.parents(schema, table)
    db_fks = [
        fk
        for fk in _of_type(reflected, ForeignKeyConstraint)
        if ctx.options.name_included(constraint_name(fk), "foreign_key_constraint", parents)
    ]
    by_sig = {(_columns(fk), fk_referent(ctx, fk)): fk for fk in db_fks}
    removed: list[Diff] = []
    added: list[Diff] = []
    seen: set[Any] = set()

    def dropped(fk: ForeignKeyConstraint, unnamed: str) -> bool:
        """Whether `fk` is dropped; one with no name cannot be: note `unnamed` about it."""
        if constraint_name(fk) is None:
            where = f"{_where(schema, table)} ({', '.join(_columns(fk))})"
            ctx.notes.append(unnamed.format(where=where))
            return False
        removed.append(_fk_diff(ctx, RemoveForeignKey, schema, table, fk))
        return True

    for fk in _of_type(model, ForeignKeyConstraint):
        sig = (_columns(fk), fk_referent(ctx, fk))
        seen.add(sig)
        other = by_sig.get(sig)
        if other is not None and _fk_options(other) == _fk_options(fk):
            continue
        if not ctx.object_included(fk, constraint_name(fk), "foreign_key_constraint", False, other):
            continue
        if other is not None and not dropped(
            other,
            "foreign key on {where} changed options but has no name in the database: "
            "recreate it by hand",
        ):
            continue
        added.append(_fk_diff(ctx, AddForeignKey, schema, table, fk))
    for sig, fk in by_sig.items():
        if sig not in seen and ctx.object_included(
            fk, constraint_name(fk), "foreign_key_constraint", True, None
        ):
            dropped(
                fk,
                "unnamed foreign key on {where} is not in the models; it cannot be dropped by "
                "name: drop it by hand if unwanted",
            )
    return removed + added


def _fk_diff(ctx: CompareContext, cls: Any, schema: str | None, table: str, fk: Any) -> Diff:
    ref_schema, ref_table, ref_cols = fk_referent(ctx, fk)
    referent = f"{_where(ref_schema, ref_table)}({', '.join(ref_cols)})"
    return _named(cls, schema, table, fk, referent=referent)


def _user_checks(table: Table) -> Iterable[CheckConstraint]:
    # checks a type makes for itself (Boolean, Enum with create_constraint) follow the type
    return [c for c in _of_type(table, CheckConstraint) if not getattr(c, "_type_bound", False)]


def _checks(
    ctx: CompareContext, schema: str | None, table: str, model: Table, reflected: Table
) -> list[Diff]:
    model_all = list(_of_type(model, CheckConstraint))
    model_named = {constraint_name(c): c for c in _user_checks(model) if constraint_name(c)}
    db_checks = list(_of_type(reflected, CheckConstraint))
    db_named = {constraint_name(c): c for c in db_checks if constraint_name(c)}
    anonymous_model = len(model_all) - len(model_named)
    diffs: list[Diff] = []
    for name, check in sorted(db_named.items()):
        if name in model_named or not ctx.object_included(
            check, name, "check_constraint", True, None
        ):
            continue
        if anonymous_model:
            # the database names unnamed checks itself: this may be one of the model's
            ctx.notes.append(
                f"check constraint {name} on {_where(schema, table)} may match an unnamed one "
                "in the models: name the model's check constraints to compare them"
            )
            continue
        diffs.append(_named(RemoveCheck, schema, table, check))
    for name, check in sorted(model_named.items()):
        if name not in db_named and ctx.object_included(
            check, name, "check_constraint", False, None
        ):
            diffs.append(_named(AddCheck, schema, table, check))
    if anonymous_model and len(model_all) - len(model_named) != len(db_checks) - len(db_named):
        ctx.notes.append(
            f"unnamed check constraints on {_where(schema, table)} are not compared: "
            "name them (or use a naming convention) to have them detected"
        )
    return diffs
