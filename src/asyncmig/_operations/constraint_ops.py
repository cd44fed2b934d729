"""Constraint directives: unique, primary key, foreign key, check, exclude, drop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.schema import (
    CheckConstraint,
    Constraint,
    ForeignKeyConstraint,
    PrimaryKeyConstraint,
    UniqueConstraint,
)
from sqlalchemy.sql.elements import ClauseElement

from ..errors import OperationNotSupported
from . import naming, objects
from .base import Operations, TableOperation

__all__ = (
    "CreateCheckConstraintOp",
    "CreateExcludeConstraintOp",
    "CreateForeignKeyOp",
    "CreatePrimaryKeyOp",
    "CreateUniqueConstraintOp",
    "DropConstraintOp",
    "constraint_kinds",
)

constraint_kinds: dict[str | None, type[Constraint]] = {
    "foreignkey": ForeignKeyConstraint,
    "unique": UniqueConstraint,
    "check": CheckConstraint,
    "primary": PrimaryKeyConstraint,
    None: Constraint,
}
"""``drop_constraint(type_=...)`` names and the constraint class each means."""

C = TypeVar("C", bound=Constraint)


class _AddConstraintOp(TableOperation):
    """A directive that adds one constraint to a table; subclasses add what it covers."""

    def __init__(
        self, constraint_name: str | None, table_name: str, *, schema: str | None, **kw: Any
    ) -> None:
        super().__init__(table_name, schema=schema, **kw)  # kw: deferrable, dialect kwargs ...
        self.constraint_name = constraint_name

    def to_constraint(self, operations: Operations) -> Constraint:
        """The constraint this operation adds."""
        raise NotImplementedError

    def _on_table(self, operations: Operations, constraint: C, columns: Sequence[str] = ()) -> C:
        """`constraint` on a stand-in of this operation's table."""
        opts = operations.migration_context.opts
        return objects.on_table(
            opts, self.table_name, constraint, columns=columns, schema=self.schema
        )


@Operations.register_operation("create_unique_constraint")
class CreateUniqueConstraintOp(_AddConstraintOp):
    """``op.create_unique_constraint(name, table, columns, schema=None, **kw)``."""

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(constraint_name, table_name, schema=schema, **kw)
        self.columns = list(columns)

    @classmethod
    def create_unique_constraint(
        cls,
        operations: Operations,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        **kw: Any,
    ) -> None:
        """Add a UNIQUE constraint (None: the naming convention's name, else the database's)."""
        operations.invoke(cls(constraint_name, table_name, columns, **kw))

    def to_constraint(self, operations: Operations) -> Constraint:
        """The UniqueConstraint, on a stand-in table."""
        unique = UniqueConstraint(*self.columns, name=self.constraint_name, **self.kw)
        return self._on_table(operations, unique, self.columns)


@Operations.register_operation("create_primary_key")
class CreatePrimaryKeyOp(_AddConstraintOp):
    """``op.create_primary_key(name, table, columns, schema=None)``."""

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        *,
        schema: str | None = None,
    ) -> None:
        super().__init__(constraint_name, table_name, schema=schema)
        self.columns = list(columns)

    @classmethod
    def create_primary_key(
        cls,
        operations: Operations,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        schema: str | None = None,
    ) -> None:
        """Add a PRIMARY KEY constraint."""
        operations.invoke(cls(constraint_name, table_name, columns, schema=schema))

    def to_constraint(self, operations: Operations) -> Constraint:
        """The PrimaryKeyConstraint, on a stand-in table."""
        primary = PrimaryKeyConstraint(*self.columns, name=self.constraint_name)
        return self._on_table(operations, primary, self.columns)


@Operations.register_operation("create_foreign_key")
class CreateForeignKeyOp(_AddConstraintOp):
    """``op.create_foreign_key(name, source, referent, local_cols, remote_cols, ...)``."""

    def __init__(
        self,
        constraint_name: str | None,
        source_table: str,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        *,
        source_schema: str | None = None,
        referent_schema: str | None = None,
        **kw: Any,
    ) -> None:
        # onupdate, ondelete, deferrable, initially, match and dialect kwargs
        given = {key: value for key, value in kw.items() if value is not None}
        super().__init__(constraint_name, source_table, schema=source_schema, **given)
        self.referent_table = referent_table
        self.local_cols = list(local_cols)
        self.remote_cols = list(remote_cols)
        self.referent_schema = referent_schema

    @classmethod
    def create_foreign_key(  # noqa: PLR0917  (Alembic's positional order; scripts use it)
        cls,
        operations: Operations,
        constraint_name: str | None,
        source_table: str,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        **kw: Any,
    ) -> None:
        """Add a FOREIGN KEY (None: the naming convention's name, else the database's)."""
        operations.invoke(
            cls(constraint_name, source_table, referent_table, local_cols, remote_cols, **kw)
        )

    def to_constraint(self, operations: Operations) -> Constraint:
        """The ForeignKeyConstraint between stand-in tables."""
        return objects.foreign_key(
            operations.migration_context.opts,
            self.constraint_name,
            self.table_name,
            self.referent_table,
            local_cols=self.local_cols,
            remote_cols=self.remote_cols,
            source_schema=self.schema,
            referent_schema=self.referent_schema,
            **self.kw,
        )


@Operations.register_operation("create_check_constraint")
class CreateCheckConstraintOp(_AddConstraintOp):
    """``op.create_check_constraint(name, table, condition, schema=None, **kw)``."""

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        condition: str | ClauseElement,
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(constraint_name, table_name, schema=schema, **kw)
        self.condition = condition

    @classmethod
    def create_check_constraint(
        cls,
        operations: Operations,
        constraint_name: str | None,
        table_name: str,
        condition: str | ClauseElement,
        **kw: Any,
    ) -> None:
        """Add a CHECK constraint."""
        operations.invoke(cls(constraint_name, table_name, condition, **kw))

    def to_constraint(self, operations: Operations) -> Constraint:
        """The CheckConstraint, on a stand-in table."""
        condition = self.condition
        text: Any = sa.text(condition) if isinstance(condition, str) else condition
        check = CheckConstraint(text, name=self.constraint_name, **self.kw)
        return self._on_table(operations, check)


@Operations.register_operation("create_exclude_constraint")
class CreateExcludeConstraintOp(_AddConstraintOp):
    """``op.create_exclude_constraint(name, table, (col, op), ..., using=, where=)``."""

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        elements: Sequence[Any],
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(constraint_name, table_name, schema=schema, **kw)
        self.elements = list(elements)

    @classmethod
    def create_exclude_constraint(
        cls,
        operations: Operations,
        constraint_name: str | None,
        table_name: str,
        *elements: Any,
        **kw: Any,
    ) -> None:
        """Add a PostgreSQL EXCLUDE constraint."""
        operations.invoke(cls(constraint_name, table_name, elements, **kw))

    def to_constraint(self, operations: Operations) -> Constraint:
        """The ExcludeConstraint, on a stand-in table."""
        from sqlalchemy.dialects.postgresql import ExcludeConstraint

        exclude = ExcludeConstraint(*self.elements, name=self.constraint_name, **self.kw)
        names = [e[0] for e in self.elements if isinstance(e[0], str)]
        return self._on_table(operations, exclude, names)


@Operations.register_operation("drop_constraint")
class DropConstraintOp(TableOperation):
    """``op.drop_constraint(name, table, type_=None, schema=None, if_exists=None)``."""

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        type_: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        columns: Sequence[str] | None = None,
        referent_table: str | None = None,
    ) -> None:
        super().__init__(table_name, schema=schema)
        self.constraint_name = constraint_name
        self.constraint_type = type_
        self.if_exists = if_exists
        self.columns = list(columns or ())
        self.referent_table = referent_table

    @classmethod
    def drop_constraint(
        cls,
        operations: Operations,
        constraint_name: str | None,
        table_name: str,
        type_: str | None = None,
        **kw: Any,
    ) -> None:
        """Drop a constraint; ``type_`` is foreignkey, unique, check or primary.

        With ``constraint_name=None`` the name comes from the naming convention:
        enough for ``type_="primary"``; other kinds also need ``columns=[...]`` (and
        ``referent_table=`` for a foreign key), an asyncmig extension.
        """
        operations.invoke(cls(constraint_name, table_name, type_, **kw))

    def to_constraint(self, operations: Operations) -> Constraint:
        """A stand-in constraint of the right kind, carrying the name to drop."""
        opts = operations.migration_context.opts
        kind = self.constraint_type
        if kind not in constraint_kinds:
            raise OperationNotSupported(
                "drop_constraint",
                operations.migration_context.dialect.name,
                f"type_={kind!r} is not a constraint kind; use one of "
                "'foreignkey', 'unique', 'check', 'primary'",
            )
        cols = self.columns
        name = self.constraint_name
        dialect = operations.migration_context.dialect.name
        if name is None and not cols and kind != "primary":
            raise OperationNotSupported(
                "drop_constraint",
                dialect,
                f"the constraint on {self.table_name!r} has no name to drop; give its name "
                "(op.f('...')), or columns=[...] so the naming convention can derive it",
            )
        constraint: Constraint
        if kind == "foreignkey":
            constraint = objects.foreign_key(
                opts,
                name,
                self.table_name,
                self.referent_table or "_referent",
                local_cols=cols or ["_x"],
                remote_cols=["_y"] * max(len(cols), 1),
                source_schema=self.schema,
            )
        elif kind in ("unique", "primary"):
            kept = (UniqueConstraint if kind == "unique" else PrimaryKeyConstraint)(
                *cols, name=name
            )
            constraint = objects.on_table(
                opts, self.table_name, kept, columns=cols, schema=self.schema
            )
        else:  # a CHECK, or a constraint of no stated kind: only its name matters
            named = (
                CheckConstraint(sa.text("1"), name=name)
                if kind == "check"
                else Constraint(name=name)
            )
            constraint = objects.on_table(opts, self.table_name, named, schema=self.schema)
        if name is None:
            derived = naming.name_for(constraint, constraint.table, naming.convention_for(opts))
            if derived is not None:
                constraint.name = naming.conv(derived)
            elif kind != "primary":  # MySQL and a recreate drop a primary key without its name
                raise OperationNotSupported(
                    "drop_constraint",
                    dialect,
                    f"no naming convention gives a name for this constraint on "
                    f"{self.table_name!r}; give the constraint's name (the database's own, "
                    "e.g. <table>_<column>_fkey on PostgreSQL)",
                )
        return constraint


@Operations.implementation_for(CreateUniqueConstraintOp)
@Operations.implementation_for(CreatePrimaryKeyOp)
@Operations.implementation_for(CreateForeignKeyOp)
@Operations.implementation_for(CreateCheckConstraintOp)
def _add_constraint(operations: Operations, operation: _AddConstraintOp) -> None:
    operations.impl.add_constraint(operation.to_constraint(operations))


@Operations.implementation_for(CreateExcludeConstraintOp)
def _create_exclude(operations: Operations, operation: CreateExcludeConstraintOp) -> None:
    operations.impl.create_exclude_constraint(operation.to_constraint(operations))


@Operations.implementation_for(DropConstraintOp)
def _drop_constraint(operations: Operations, operation: DropConstraintOp) -> None:
    operations.impl.drop_constraint(
        operation.to_constraint(operations), if_exists=bool(operation.if_exists)
    )
