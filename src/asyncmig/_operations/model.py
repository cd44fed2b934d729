"""A table's definition as plain data, changed directive by directive for a recreate."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Column, MetaData, Table
from sqlalchemy import text as sa_text
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import (
    CheckConstraint,
    Computed,
    Constraint,
    DefaultClause,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    UniqueConstraint,
)
from sqlalchemy.sql import sqltypes
from sqlalchemy.types import NULLTYPE, SchemaType

from ..errors import CommandError
from . import naming, objects
from .column_ops import AddColumnOp, AlterColumnOp, DropColumnOp
from .constraint_ops import DropConstraintOp, _AddConstraintOp
from .index_ops import CreateIndexOp, DropIndexOp
from .table_ops import CreateTableCommentOp, DropTableCommentOp

__all__ = (
    "RECREATABLE",
    "CheckSpec",
    "ForeignKeySpec",
    "IndexSpec",
    "TableModel",
    "UniqueSpec",
)

_T = TypeVar("_T")

RECREATABLE: tuple[type, ...] = (
    AddColumnOp,
    DropColumnOp,
    AlterColumnOp,
    _AddConstraintOp,
    DropConstraintOp,
    CreateIndexOp,
    DropIndexOp,
    CreateTableCommentOp,
    DropTableCommentOp,
)
"""The directives a table recreate takes into the new table's definition."""


@dataclass
class UniqueSpec:
    """UNIQUE (columns)."""

    name: str | None
    columns: list[str]


@dataclass
class CheckSpec:
    """CHECK (sqltext)."""

    name: str | None
    sqltext: Any


@dataclass
class ForeignKeySpec:
    """FOREIGN KEY (columns) REFERENCES ref_schema.ref_table (ref_columns)."""

    name: str | None
    columns: list[str]
    ref_schema: str | None
    ref_table: str
    ref_columns: list[str]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class IndexSpec:
    """An index over column names and/or expressions."""

    name: str | None
    columns: list[Any]
    unique: bool
    kw: dict[str, Any] = field(default_factory=dict)


def _name(item: Constraint | Index) -> str | None:
    name = item.name
    if name is None or not isinstance(name, str):
        return None
    return str(name)


def _index_spec(index: Index) -> IndexSpec:
    """What the new table needs of `index`: its columns by name, expressions as they are."""
    columns = [e.name if isinstance(e, Column) else e for e in index.expressions]
    return IndexSpec(_name(index), columns, bool(index.unique), dict(index.dialect_kwargs))


def _server_default(column: Column[Any]) -> Any:
    default = column.server_default
    if isinstance(default, DefaultClause):
        return default.arg
    return None


class TableModel:
    """Columns, keys, constraints and indexes of one table, by name."""

    def __init__(self, opts: Mapping[str, Any], convention: dict[Any, Any]) -> None:
        self.opts = opts
        self.convention = convention
        self.columns: dict[str, Column[Any]] = {}
        self.sources: dict[str, str | None] = {}  # new column name -> old one (None: added)
        self.cast: set[str] = set()
        self.dialect_name = ""
        self.pk_name: str | None = None
        self.pk_columns: list[str] = []
        self.uniques: list[UniqueSpec] = []
        self.checks: list[CheckSpec] = []
        self.fks: list[ForeignKeySpec] = []
        self.indexes: list[IndexSpec] = []
        # what a dropped column took with it: a later drop_index/drop_constraint of the
        # same batch may still name it, as Alembic's batch lets it
        self.orphans: list[Any] = []
        self.table_kwargs: dict[str, Any] = {}
        self.table_name = ""
        self.schema: str | None = None

    @classmethod
    def from_table(
        cls,
        table: Table,
        opts: Mapping[str, Any],
        *,
        naming_convention: Mapping[Any, Any] | None = None,
        dialect: Dialect | None = None,
    ) -> TableModel:
        """The model of `table` (reflected, or the user's ``copy_from``)."""
        convention = naming.convention_for(opts, with_default=True)
        convention.update(naming_convention or {})
        model = cls(opts, convention)
        model.table_name = table.name
        model.schema = table.schema
        if table.comment is not None:
            model.table_kwargs["comment"] = table.comment
        # e.g. sqlite_autoincrement, which reflection reports and a recreate must keep
        model.table_kwargs.update(table.dialect_kwargs)
        for column in table.columns:
            model.add_column(column)
            model.sources[column.name] = column.name
        model.pk_name = _name(table.primary_key) if table.primary_key.columns else None
        model.pk_columns = [c.name for c in table.primary_key.columns]
        model.add_constraints(table)
        if naming_convention:
            model.name_unnamed(dict(naming_convention))
        model.dialect_name = dialect.name if dialect is not None else ""
        return model

    def name_unnamed(self, convention: dict[Any, Any]) -> None:
        """Name the unnamed constraints by batch_alter_table's `naming_convention`.

        Alembic reflects the table into a MetaData carrying that convention, so the
        recreated table has them under those names (and a drop can use them).
        """
        for kind, specs in (("unique", self.uniques), ("foreignkey", self.fks)):
            for spec in specs:
                if spec.name is None:
                    spec.name = self._conventional(kind, spec, convention)
        for check in self.checks:
            if check.name is None:
                check.name = self._conventional("check", check, convention)
        if self.pk_columns and self.pk_name is None:
            self.pk_name = self._conventional("primary", self.pk_columns, convention)

    # -- building -----------------------------------------------------------

    def add_column(self, column: Column[Any], position: int | None = None) -> None:
        """Add a plain copy of `column` (keys and constraints are kept separately)."""
        extras: list[Any] = []
        if isinstance(column.computed, Computed):
            extras.append(Computed(column.computed.sqltext, persisted=column.computed.persisted))
        copy: Column[Any] = Column(
            column.name,
            column.type,
            *extras,
            nullable=column.nullable,
            server_default=None if extras else _server_default(column),
            autoincrement=column.autoincrement,
            comment=column.comment,
        )
        items = list(self.columns.items())
        if position is None:
            items.append((column.name, copy))
        else:
            items.insert(position, (column.name, copy))
        self.columns = dict(items)

    def add_constraints(self, table: Table) -> None:
        """Take over `table`'s unique, check and foreign key constraints and indexes."""
        for constraint in sorted(table.constraints, key=lambda c: str(c.name)):
            self.add_constraint(constraint)
        for column in table.columns:
            for constraint in column.constraints:
                self.add_constraint(constraint)
        self.indexes.extend(
            _index_spec(index) for index in sorted(table.indexes, key=lambda ix: str(ix.name))
        )

    def add_constraint(self, constraint: Constraint) -> None:
        """Take over one constraint; a named one replaces any constraint of that name."""
        if getattr(constraint, "_type_bound", False):
            return  # an Enum's or Boolean's CHECK: the column's type makes it again
        name = _name(constraint)
        if name is not None and not isinstance(constraint, PrimaryKeyConstraint):
            self.uniques = [u for u in self.uniques if u.name != name]
            self.checks = [c for c in self.checks if c.name != name]
            self.fks = [fk for fk in self.fks if fk.name != name]
        if isinstance(constraint, UniqueConstraint):
            self.uniques.append(UniqueSpec(_name(constraint), [c.name for c in constraint.columns]))
        elif isinstance(constraint, CheckConstraint):
            self.checks.append(CheckSpec(_name(constraint), constraint.sqltext))
        elif isinstance(constraint, ForeignKeyConstraint):
            refs = [_split(e.target_fullname) for e in constraint.elements]
            options = {
                key: getattr(constraint, key)
                for key in ("ondelete", "onupdate", "deferrable", "initially", "match")
                if getattr(constraint, key) is not None
            }
            self.fks.append(
                ForeignKeySpec(
                    _name(constraint),
                    [e.parent.name for e in constraint.elements],
                    refs[0][0],
                    refs[0][1],
                    [r[2] for r in refs],
                    options,
                )
            )
        elif isinstance(constraint, PrimaryKeyConstraint):
            self.pk_name = _name(constraint)
            self.pk_columns = [c.name for c in constraint.columns]
        else:
            raise CommandError(
                f"a {type(constraint).__name__} cannot be part of a table recreate of "
                f"{self.table_name!r}"
            )

    def constraint_names(self) -> set[str]:
        """The names the new table's constraints have."""
        specs: list[Any] = [*self.uniques, *self.checks, *self.fks]
        names = {str(spec.name) for spec in specs if spec.name is not None}
        if self.pk_columns and self.pk_name is not None:
            names.add(self.pk_name)
        return names

    def column_copy(self, name: str) -> Column[Any]:
        """A fresh Column for the new table."""
        return self.columns[name]._copy()

    def reorder(self, order: Sequence[str]) -> None:
        """Put the named columns, in this order, where those columns were."""
        slots = [i for i, name in enumerate(self.columns) if name in order]
        items = list(self.columns.items())
        wanted = [(n, self.columns[n]) for n in order if n in self.columns]
        for slot, item in zip(slots, wanted, strict=False):
            items[slot] = item
        self.columns = dict(items)

    # -- directives -----------------------------------------------------------

    def apply(self, operation: Any, operations: Any) -> None:
        """Change the model as `operation` says."""
        if isinstance(operation, AddColumnOp):
            self._add_column(operation)
        elif isinstance(operation, DropColumnOp):
            self._drop_column(operation.column_name)
        elif isinstance(operation, AlterColumnOp):
            self._alter_column(operation)
        elif isinstance(operation, _AddConstraintOp):
            self.add_constraint(operation.to_constraint(operations))
        elif isinstance(operation, DropConstraintOp):
            self._drop_constraint(operation, operations)
        elif isinstance(operation, CreateIndexOp):
            self.indexes.append(_index_spec(operation.to_index(operations)))
        elif isinstance(operation, DropIndexOp):
            self._drop_index(operation.index_name)
        elif isinstance(operation, CreateTableCommentOp):
            self.table_kwargs["comment"] = operation.comment
        elif isinstance(operation, DropTableCommentOp):
            self.table_kwargs.pop("comment", None)
        else:
            raise CommandError(
                f"{type(operation).__name__} cannot be part of a table recreate of "
                f"{self.table_name!r}; run it outside batch_alter_table()"
            )

    def _missing(self, what: str, name: str | None) -> None:
        raise CommandError(
            f"table {self.table_name!r} has no {what} named {name!r}; check the name "
            "(unnamed constraints are matched by their naming-convention name)"
        )

    def _add_column(self, operation: AddColumnOp) -> None:
        column = operation.column
        position: int | None = None
        names = list(self.columns)
        before, after = operation.kw.get("insert_before"), operation.kw.get("insert_after")
        if before in self.columns:
            position = names.index(before)
        elif after in self.columns:
            position = names.index(after) + 1
        self.add_column(column, position)
        self.sources[column.name] = None
        host = objects.table(self.opts, self.table_name, column._copy(), schema=self.schema)
        if column.primary_key:
            self.pk_columns.append(column.name)
        for constraint in host.constraints:
            if not isinstance(constraint, PrimaryKeyConstraint):
                self.add_constraint(constraint)
        for constraint in column.constraints:
            self.add_constraint(constraint)
        for index in host.indexes:
            self.indexes.append(IndexSpec(_name(index), [column.name], bool(index.unique)))

    def _drop_index(self, name: str) -> None:
        before = len(self.indexes) + len(self.orphans)
        self.indexes = [ix for ix in self.indexes if ix.name != name]
        self.orphans = [
            o for o in self.orphans if not (isinstance(o, IndexSpec) and o.name == name)
        ]
        if len(self.indexes) + len(self.orphans) == before:
            self._missing("index", name)

    def _uses(self, columns: Sequence[Any], name: str) -> bool:
        return name in [c for c in columns if isinstance(c, str)]

    def _drop_column(self, name: str) -> None:
        if name not in self.columns:
            self._missing("column", name)
        del self.columns[name]
        self.sources.pop(name, None)
        self.cast.discard(name)
        if name in self.pk_columns:
            self.pk_columns = []
            self.pk_name = None
        word = re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])", re.IGNORECASE)
        self.uniques, gone_uniques = _split_by(self.uniques, lambda u: name in u.columns)
        self.fks, gone_fks = _split_by(self.fks, lambda fk: name in fk.columns)
        self.indexes, gone_indexes = _split_by(
            self.indexes, lambda ix: self._uses(ix.columns, name)
        )
        self.checks, gone_checks = _split_by(
            self.checks, lambda c: bool(word.search(str(c.sqltext)))
        )
        self.orphans += [*gone_uniques, *gone_fks, *gone_indexes, *gone_checks]

    def _alter_column(self, operation: AlterColumnOp) -> None:
        name = operation.column_name
        if name not in self.columns:
            self._missing("column", name)
        column = self.columns[name]
        changes = operation.changes()
        new = changes.get("new_column_name")
        if "type_" in changes or (new and new != name):
            self._drop_type_check(name, operation.existing_type)
        if "type_" in changes:
            if self._needs_cast(column.type, changes["type_"]):
                self.cast.add(name)
            column.type = changes["type_"]
        if "nullable" in changes:
            column.nullable = changes["nullable"]
        if "server_default" in changes:
            default = changes["server_default"]
            column.server_default = None if default is None else DefaultClause(default)
        if "comment" in changes:
            column.comment = changes["comment"]
        if "autoincrement" in changes:
            column.autoincrement = changes["autoincrement"]
        if new and new != name:
            self._rename_column(name, new)

    def _needs_cast(self, old: Any, new: Any) -> bool:
        """Alembic's rule: CAST the copied values only where the type's affinity changes."""
        new = sqltypes.to_instance(new)
        if self.dialect_name == "sqlite" and isinstance(new, sqltypes.JSON):
            return False
        return old._type_affinity is not new._type_affinity

    def _drop_type_check(self, name: str, existing_type: Any) -> None:
        """Forget the CHECK the column's old Enum/Boolean type made (the new type makes its own).

        As Alembic does: by the type's name, given ``existing_type``; an unnamed one
        (which Alembic drops in any recreate) when the old type made a constraint.
        """
        if not isinstance(existing_type, SchemaType):
            return
        type_name = getattr(existing_type, "name", None)
        if type_name:
            self.checks = [c for c in self.checks if c.name != type_name]
        elif getattr(existing_type, "create_constraint", False):
            word = re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])", re.IGNORECASE)
            self.checks = [
                c for c in self.checks if c.name is not None or not word.search(str(c.sqltext))
            ]

    def _rename_column(self, old: str, new: str) -> None:
        column = self.columns[old]
        column.name = column.key = new
        self.columns = {(new if k == old else k): v for k, v in self.columns.items()}
        self.sources = {(new if k == old else k): v for k, v in self.sources.items()}
        if old in self.cast:
            self.cast.discard(old)
            self.cast.add(new)

        def swap(cols: list[Any]) -> list[Any]:
            return [new if c == old else c for c in cols]

        self.pk_columns = swap(self.pk_columns)
        for u in self.uniques:
            u.columns = swap(u.columns)
        for fk in self.fks:
            fk.columns = swap(fk.columns)
        for ix in self.indexes:
            ix.columns = swap(ix.columns)

    def _conventional(
        self, kind: str, spec: Any, convention: Mapping[Any, Any] | None = None
    ) -> str | None:
        table = Table(self.table_name, MetaData(), schema=self.schema)
        for name in self.columns:
            table.append_column(Column(name, self.columns[name].type))
        # a constraint a dropped column took with it still gets its conventional name
        for name in getattr(spec, "columns", ()):
            if name not in table.c:
                table.append_column(Column(name, NULLTYPE))
        item: Constraint
        if kind == "unique":
            item = UniqueConstraint(*spec.columns)
        elif kind == "foreignkey":
            prefix = f"{spec.ref_schema}.{spec.ref_table}" if spec.ref_schema else spec.ref_table
            item = ForeignKeyConstraint(spec.columns, [f"{prefix}.{c}" for c in spec.ref_columns])
        elif kind == "check":
            sqltext = spec.sqltext
            item = CheckConstraint(sa_text(sqltext) if isinstance(sqltext, str) else sqltext)
        elif kind == "primary":
            item = PrimaryKeyConstraint(*spec)
        else:
            return None
        table.append_constraint(item)
        return naming.name_for(item, table, self.convention if convention is None else convention)

    def _drop_constraint(self, operation: DropConstraintOp, operations: Any) -> None:
        kind = operation.constraint_type
        wanted = operation.constraint_name
        if wanted is None:
            wanted = str(operation.to_constraint(operations).name)
        matches: dict[str, list[Any]] = {
            "unique": self.uniques,
            "foreignkey": self.fks,
            "check": self.checks,
        }
        if kind in (None, "primary") and (self.pk_name == wanted or kind == "primary"):
            self.pk_columns, self.pk_name = [], None
            return
        for key, specs in matches.items():
            if kind not in (None, key):
                continue
            for spec in list(specs):
                name = spec.name or self._conventional(key, spec)
                if name == wanted:
                    specs.remove(spec)
                    return
        kinds = {"unique": UniqueSpec, "foreignkey": ForeignKeySpec, "check": CheckSpec}
        for spec in list(self.orphans):
            found = next((k for k, cls in kinds.items() if isinstance(spec, cls)), None)
            if found is None or kind not in (None, found):
                continue
            if (spec.name or self._conventional(found, spec)) == wanted:
                self.orphans.remove(spec)
                return
        self._missing("constraint", wanted)


def _split_by(items: list[_T], gone: Callable[[_T], bool]) -> tuple[list[_T], list[_T]]:
    """`items` as (kept, gone)."""
    return [i for i in items if not gone(i)], [i for i in items if gone(i)]


def _split(fullname: str) -> tuple[str | None, str, str]:
    parts = fullname.split(".")
    if len(parts) == 2:
        return None, parts[0], parts[1]
    return ".".join(parts[:-2]), parts[-2], parts[-1]
