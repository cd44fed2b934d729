"""PostgreSQL: transactional DDL, ``ALTER COLUMN ... TYPE ... USING``, EXCLUDE constraints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import AddConstraint, Constraint
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.sql.elements import ClauseElement

from . import ddl
from .impl import DialectImpl

__all__ = ("PostgresqlImpl",)


class PostgresqlImpl(DialectImpl):
    """PostgreSQL: every directive, all of it inside the step's transaction.

    ``alter_column(..., type_=..., postgresql_using="expr")`` adds ``USING expr``;
    ``create_index(..., postgresql_concurrently=True)`` must run inside
    ``op.get_context().autocommit_block()``, as PostgreSQL refuses it in a transaction.
    """

    name = "postgresql"
    transactional_ddl = True

    def free_constraint_names(self, table: str, schema: str | None, names: Sequence[str]) -> None:
        """Drop the old table's constraints whose names the recreated table reuses.

        Constraint names are unique per schema here (their indexes are relations), so
        the new table could not take them while the old one holds them.
        """
        host = Table(table, MetaData(), schema=schema)
        for name in names:
            constraint = Constraint(name=name)
            host.append_constraint(constraint)
            self.drop_constraint(constraint)

    def create_exclude_constraint(self, constraint: Constraint) -> None:
        """ALTER TABLE ADD CONSTRAINT ... EXCLUDE USING ..."""
        self.execute(AddConstraint(constraint))


@compiles(ddl.ColumnType, "postgresql")
def _column_type(element: ddl.ColumnType, compiler: DDLCompiler, **kw: Any) -> str:
    column = ddl.column_name(compiler, element.column)
    new_type = ddl.type_string(compiler, element.type_)
    text = f"{ddl.alter_table(compiler, element)} ALTER COLUMN {column} TYPE {new_type}"
    if element.using is not None:
        using = element.using
        rendered = (
            compiler.sql_compiler.process(using, literal_binds=True)
            if isinstance(using, ClauseElement)
            else str(using)
        )
        text += f" USING {rendered}"
    return text
