"""Each difference as a step: the calls that apply it and the calls that undo it.

A step also carries where it goes in the script (its phase), so that foreign
keys are dropped before anything they point at and created after it, enum
types exist before the tables that use them, and so on.  The downgrade is the
upgrade's steps in reverse order, each undone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String
from sqlalchemy import literal as sql_literal
from sqlalchemy.schema import ForeignKeyConstraint, Index, Table

from .calls import Arg, Call
from .diff import (
    AddCheck,
    AddColumn,
    AddEnum,
    AddForeignKey,
    AddIndex,
    AddTable,
    AddUnique,
    Diff,
    ModifyColumnComment,
    ModifyDefault,
    ModifyEnum,
    ModifyNullable,
    ModifyPrimaryKey,
    ModifyTableComment,
    ModifyType,
    RemoveCheck,
    RemoveColumn,
    RemoveEnum,
    RemoveForeignKey,
    RemoveIndex,
    RemoveTable,
    RemoveUnique,
    TableDiff,
)
from .ordering import dependency_order
from .render_types import SourceWriter, literal

__all__ = ("Step", "steps_for")

# phases, in upgrade order
DROP_FK, ENUMS, CREATE_TABLES, ALTER, DROP_TABLES, DROP_ENUMS, CREATE_FK = range(7)
# order of changes inside one table during the ALTER phase
_SUB: dict[type[Diff], int] = {
    RemoveIndex: 0,
    RemoveUnique: 1,
    RemoveCheck: 2,
    ModifyPrimaryKey: 3,
    AddColumn: 4,
    ModifyNullable: 5,
    RemoveColumn: 6,
    AddUnique: 7,
    AddIndex: 8,
    AddCheck: 9,
    ModifyTableComment: 10,
}


@dataclass(frozen=True)
class Step:
    """Calls applying one change (`up`) and undoing it (`down`), with their place."""

    phase: int
    table: tuple[str, str]
    sub: int
    up: tuple[Call, ...]
    down: tuple[Call, ...]


def steps_for(diffs: Sequence[Diff], w: SourceWriter) -> list[Step]:
    """The steps for `diffs`, in upgrade order."""
    steps: list[Step] = []
    cyclic = dependency_order([d.table_obj for d in diffs if isinstance(d, AddTable)])[1]
    altered: dict[tuple[str | None, str, str], list[Diff]] = {}
    for diff in diffs:
        if isinstance(diff, ModifyNullable | ModifyType | ModifyDefault | ModifyColumnComment):
            altered.setdefault((diff.schema, diff.table, diff.column), []).append(diff)
            continue
        steps.extend(_step(diff, w, cyclic))
    for group in altered.values():
        steps.append(_alter_step(group, w))
    order = {id(s): i for i, s in enumerate(steps)}
    return sorted(steps, key=lambda s: (s.phase, s.table, s.sub, order[id(s)]))


def _table_key(diff: TableDiff, phase: int) -> tuple[str, str]:
    # tables are grouped together only where their changes are independent of each other
    return (diff.schema or "", diff.table) if phase == ALTER else ("", "")


def _step(diff: Diff, w: SourceWriter, cyclic: set[int]) -> list[Step]:
    if isinstance(diff, AddEnum | RemoveEnum | ModifyEnum):
        return [_enum_step(diff, w)]
    assert isinstance(diff, TableDiff)
    if isinstance(diff, AddTable):
        up, down = _create_table(diff.table_obj, w, cyclic), _drop_table(diff.table_obj)
        steps = [Step(CREATE_TABLES, ("", ""), 0, up, down)]
        for fk in sorted(
            diff.table_obj.foreign_key_constraints, key=lambda c: tuple(c.column_keys)
        ):
            if id(fk) in cyclic:
                add = _add_fk(diff.schema, diff.table, fk, w)
                steps.append(Step(CREATE_FK, ("", ""), 0, (add,), (_drop_fk(diff, fk, w),)))
        return steps
    if isinstance(diff, RemoveTable):
        up, down = _drop_table(diff.table_obj), _create_table(diff.table_obj, w, set())
        return [Step(DROP_TABLES, ("", ""), 0, up, down)]
    if isinstance(diff, AddForeignKey | RemoveForeignKey):
        add, drop = (
            _add_fk(diff.schema, diff.table, diff.constraint, w),
            _drop_fk(diff, diff.constraint, w),
        )
        if isinstance(diff, AddForeignKey):
            return [Step(CREATE_FK, ("", ""), 0, (add,), (drop,))]
        return [Step(DROP_FK, ("", ""), 0, (drop,), (add,))]
    phase_key = _table_key(diff, ALTER)
    up_calls, down_calls = _table_change(diff, w)
    return [Step(ALTER, phase_key, _SUB[type(diff)], up_calls, down_calls)]


def _table_change(diff: TableDiff, w: SourceWriter) -> tuple[tuple[Call, ...], tuple[Call, ...]]:
    s, t = diff.schema, diff.table
    if isinstance(diff, AddColumn | RemoveColumn):
        add = Call("add_column", table=t, schema=s, tail=(w.column(diff.column_obj),))
        drop = Call("drop_column", table=t, schema=s, tail=(literal(diff.column),))
        return ((add,), (drop,)) if isinstance(diff, AddColumn) else ((drop,), (add,))
    if isinstance(diff, AddIndex | RemoveIndex):
        create, remove = _create_index(s, diff.index, w), _drop_index(s, t, diff.index, w)
        return ((create,), (remove,)) if isinstance(diff, AddIndex) else ((remove,), (create,))
    if isinstance(diff, AddUnique | RemoveUnique | AddCheck | RemoveCheck):
        make = _add_named(s, t, diff.constraint, w)
        type_ = "unique" if isinstance(diff, AddUnique | RemoveUnique) else "check"
        drop = Call(
            "drop_constraint", (_name_arg(w, diff.constraint),), (f'type_="{type_}"',), t, s
        )
        return ((make,), (drop,)) if isinstance(diff, AddUnique | AddCheck) else ((drop,), (make,))
    if isinstance(diff, ModifyTableComment):
        return (_comment(s, t, diff.new, diff.old), _comment(s, t, diff.old, diff.new))
    if isinstance(diff, ModifyPrimaryKey):
        return _primary_key(diff, w)
    raise TypeError(f"no rendering for {type(diff).__name__}")


def _comment(schema: str | None, table: str, new: str | None, old: str | None) -> tuple[Call, ...]:
    existing = (f"existing_comment={literal(old)}",) if old else ()
    if new:
        return (
            Call(
                "create_table_comment", table=table, schema=schema, tail=(literal(new), *existing)
            ),
        )
    return (Call("drop_table_comment", table=table, schema=schema, tail=existing),)


def _create_table(table: Table, w: SourceWriter, cyclic: set[int]) -> tuple[Call, ...]:
    args: list[str] = [literal(table.name)]
    args.extend(w.column(c) for c in table.columns)
    for item in sorted(table.constraints, key=_constraint_order):
        if id(item) in cyclic:
            continue
        text = w.constraint(item)
        if text is not None:
            args.append(text)
    if table.schema:
        args.append(f"schema={literal(table.schema)}")
    if table.comment:
        args.append(f"comment={literal(table.comment)}")
    calls = [Call("create_table", tuple(args), batch=False)]
    schema = table.schema
    calls.extend(_create_index(schema, ix, w, batch=False) for ix in _indexes(table))
    return tuple(calls)


def _drop_table(table: Table) -> tuple[Call, ...]:
    args = [literal(table.name)]
    if table.schema:
        args.append(f"schema={literal(table.schema)}")
    return (Call("drop_table", tuple(args), batch=False),)


def _indexes(table: Table) -> list[Index]:
    return sorted(table.indexes, key=lambda ix: str(ix.name))


def _constraint_order(item: Any) -> tuple[int, str]:
    kinds = ("PrimaryKeyConstraint", "ForeignKeyConstraint", "UniqueConstraint", "CheckConstraint")
    kind = type(item).__name__
    return (kinds.index(kind) if kind in kinds else len(kinds), str(item.name or ""))


def _create_index(schema: str | None, index: Index, w: SourceWriter, *, batch: bool = True) -> Call:
    assert index.table is not None
    tail = [w.index_columns(index), f"unique={bool(index.unique)}"]
    name = _name_arg(w, index)
    return Call(
        "create_index",
        (name,),
        tuple(tail),
        index.table.name,
        schema,
        batch=batch,
    )


def _drop_index(schema: str | None, table: str, index: Index, w: SourceWriter) -> Call:
    name = _name_arg(w, index)
    return Call(
        "drop_index",
        (name,),
        (),
        table,
        schema,
        table_keyword="table_name",
    )


def _add_named(schema: str | None, table: str, item: Any, w: SourceWriter) -> Call:
    name = _name_arg(w, item)
    head = (name,)
    if item.__visit_name__ == "unique_constraint":
        cols = "[" + ", ".join(literal(c.name) for c in item.columns) + "]"
        return Call("create_unique_constraint", head, (cols,), table, schema)
    return Call("create_check_constraint", head, (literal(w.sql(item.sqltext)),), table, schema)


def _add_fk(schema: str | None, table: str, fk: ForeignKeyConstraint, w: SourceWriter) -> Call:
    name = _name_arg(w, fk)
    ref = fk.elements[0].target_fullname.split(".")
    referent, ref_schema = ref[-2], ".".join(ref[:-2]) or None
    local, _remote, *options = w.fk_args(fk)
    remote = "[" + ", ".join(literal(e.target_fullname.split(".")[-1]) for e in fk.elements) + "]"
    tail = [local, remote, *options]
    if ref_schema:
        tail.append(f"referent_schema={literal(ref_schema)}")
    return Call(
        "create_foreign_key",
        (name,),
        (literal(referent), *tail),
        table,
        schema,
        schema_keyword="source_schema",
    )


def _drop_fk(diff: TableDiff, fk: ForeignKeyConstraint, w: SourceWriter) -> Call:
    return Call(
        "drop_constraint", (_name_arg(w, fk),), ('type_="foreignkey"',), diff.table, diff.schema
    )


def _primary_key(
    diff: ModifyPrimaryKey, w: SourceWriter
) -> tuple[tuple[Call, ...], tuple[Call, ...]]:
    s, t = diff.schema, diff.table

    def drop(pk: Any, cols: tuple[str, ...]) -> tuple[Call, ...]:
        if not cols:
            return ()
        return (Call("drop_constraint", (_name_arg(w, pk),), ('type_="primary"',), t, s),)

    def create(pk: Any, cols: tuple[str, ...]) -> tuple[Call, ...]:
        if not cols:
            return ()
        names = "[" + ", ".join(literal(c) for c in cols) + "]"
        return (Call("create_primary_key", (_name_arg(w, pk),), (names,), t, s),)

    return (
        drop(diff.old_obj, diff.old) + create(diff.new_obj, diff.new),
        drop(diff.new_obj, diff.new) + create(diff.old_obj, diff.old),
    )


def _alter_step(group: list[Diff], w: SourceWriter) -> Step:
    first = group[0]
    assert isinstance(first, ModifyNullable | ModifyType | ModifyDefault | ModifyColumnComment)
    new_type, nullable = None, None
    default: tuple[str, str] | None = None
    comment: tuple[str | None, str | None] | None = None
    for diff in group:
        if isinstance(diff, ModifyType):
            new_type = diff.new_type
        elif isinstance(diff, ModifyNullable):
            nullable = (diff.old, diff.new)
        elif isinstance(diff, ModifyDefault):
            default = (w.sql_default(diff.old), w.server_default(diff.new_server_default))
        elif isinstance(diff, ModifyColumnComment):
            comment = (diff.old, diff.new)
    old_type = w.type_(first.existing_type)
    new_type_text = w.type_(new_type) if new_type is not None else old_type

    def call(forward: bool) -> Call:
        pick = 1 if forward else 0
        tail = [literal(first.column)]
        if nullable is not None:
            tail.append(f"nullable={nullable[pick]}")
        existing, target = (old_type, new_type_text) if forward else (new_type_text, old_type)
        if new_type is not None:
            tail.append(f"type_={target}")
            target_type = new_type if forward else first.existing_type
            keywords = w.behaviour.type_change_keywords(first.column, target_type)
            tail.extend(f"{key}={literal(value)}" for key, value in keywords.items())
        tail.append(f"existing_type={existing}")
        if nullable is None:
            tail.append(f"existing_nullable={first.existing_nullable}")
        if default is not None:
            tail.append(f"server_default={default[pick]}")
            tail.append(f"existing_server_default={default[1 - pick]}")
        elif first.existing_server_default is not None:
            tail.append(f"existing_server_default={w.sql_default(first.existing_server_default)}")
        if comment is not None:
            tail.append(f"comment={literal(comment[pick])}")
            tail.append(f"existing_comment={literal(comment[1 - pick])}")
        elif first.existing_comment:
            tail.append(f"existing_comment={literal(first.existing_comment)}")
        return Call("alter_column", table=first.table, schema=first.schema, tail=tuple(tail))

    return Step(
        ALTER, _table_key(first, ALTER), _SUB[ModifyNullable], (call(True),), (call(False),)
    )


def _enum_step(diff: AddEnum | RemoveEnum | ModifyEnum, w: SourceWriter) -> Step:
    w.imports.add("from sqlalchemy.dialects import postgresql")
    schema = [f"schema={literal(diff.schema)}"] if diff.schema else []

    def enum(values: tuple[str, ...]) -> str:
        args = [*map(literal, values), f"name={literal(diff.name)}", *schema]
        return f"postgresql.ENUM({', '.join(args)})"

    def create(values: tuple[str, ...]) -> Call:
        return Call("execute", (f"postgresql.CreateEnumType({enum(values)})",), batch=False)

    def drop() -> Call:
        return Call("execute", (f"postgresql.DropEnumType({enum(())})",), batch=False)

    if isinstance(diff, AddEnum):
        return Step(ENUMS, ("", ""), 0, (create(diff.values),), (drop(),))
    if isinstance(diff, RemoveEnum):
        return Step(DROP_ENUMS, ("", ""), 0, (drop(),), (create(diff.values),))
    return Step(
        ENUMS,
        ("", ""),
        0,
        _enum_values(diff, w, forward=True),
        _enum_values(diff, w, forward=False),
    )


def _enum_values(diff: ModifyEnum, w: SourceWriter, *, forward: bool) -> tuple[Call, ...]:
    old, new = (diff.old_values, diff.values) if forward else (diff.values, diff.old_values)
    preparer = w.behaviour.dialect.identifier_preparer
    type_name = preparer.quote(diff.name)
    if diff.schema:
        type_name = f"{preparer.quote_schema(diff.schema)}.{type_name}"
    calls: list[Call] = []
    for value in new:
        if value not in old:
            quoted = w.sql(sql_literal(value, String()))
            sql = f"ALTER TYPE {type_name} ADD VALUE IF NOT EXISTS {quoted}"
            calls.append(Call("execute", (literal(sql),), batch=False))
    gone = [v for v in old if v not in new]
    if gone:
        direction = "upgrade" if forward else "downgrade"
        w.notes.append(
            f"{direction}: enum {diff.name} keeps {', '.join(gone)}: PostgreSQL cannot drop "
            "enum values; recreate the type by hand if they must go"
        )
    return tuple(calls)


def _name_arg(w: SourceWriter, item: Any) -> Arg:
    """A constraint's name as a call argument (``op.f()`` follows the call's receiver)."""
    name = w.name(item)
    return "None" if name is None else name
