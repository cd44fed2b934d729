"""The generic dialect implementation: how directives become DDL.

Each dialect's subclass lives in that dialect's module of ``asyncmig._dialects``,
whose registry gives a migration context its implementation.  This base
class is the generic, SQL-standard behaviour (it is PostgreSQL's almost exactly);
dialect classes override only what differs.  Every statement goes through
:meth:`DialectImpl.execute`, which runs it on ``context.connection`` or, offline,
writes it with literal values, ``;``-terminated, to ``context.output``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import Column, Table
from sqlalchemy.schema import (
    AddConstraint,
    Constraint,
    CreateIndex,
    CreateTable,
    DropConstraint,
    DropIndex,
    DropTable,
    DropTableComment,
    Index,
    PrimaryKeyConstraint,
    SetColumnComment,
    SetTableComment,
)
from sqlalchemy.sql.elements import ClauseElement, conv
from sqlalchemy.sql.expression import TableClause

from ..errors import OperationNotSupported
from . import ddl
from .alteration import NOT_GIVEN, ColumnAlteration

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Dialect

__all__ = ("DDL_MEMO", "DialectImpl")

DDL_MEMO = "_asyncmig_ddl_memo"
"""The ``opts`` key of the DDL runner memo shared by the steps of one run."""


class DialectImpl:
    """Turns directives into DDL for one dialect (the generic, SQL-standard form)."""

    transactional_ddl: ClassVar[bool] = False
    """Whether DDL rolls back with the transaction on this dialect."""
    offline_transactions: ClassVar[bool | None] = None
    """Whether ``--sql`` output wraps steps in BEGIN/COMMIT (None: where DDL is transactional)."""

    def __init__(self, context: Any) -> None:
        self.context = context

    @property
    def frames_offline_transactions(self) -> bool:
        """Whether ``--sql`` writes BEGIN/COMMIT (around steps and autocommit blocks)."""
        framing = self.offline_transactions
        return bool(self.transactional_ddl if framing is None else framing)

    # -- plumbing ---------------------------------------------------------

    @property
    def dialect(self) -> Dialect:
        """The SQLAlchemy dialect statements are compiled for."""
        dialect: Dialect = self.context.dialect
        return dialect

    @property
    def as_sql(self) -> bool:
        """True offline: statements are written, not executed."""
        return bool(self.context.as_sql)

    @property
    def connection(self) -> Connection | None:
        """The sync connection of the step, None offline."""
        connection: Connection | None = self.context.connection
        return connection

    @property
    def bind(self) -> Any:
        """Alembic's ``impl.bind``: the connection, offline a mock one that writes SQL."""
        return self.context.bind

    def execute(self, construct: Any, params: Any = None) -> Any:
        """Run `construct` (SQL string, text(), DDL, any executable) or write it offline."""
        if isinstance(construct, str):
            construct = sa.text(construct)
        if self.as_sql:
            if params:
                raise OperationNotSupported(
                    "execute",
                    f"{self.dialect.name} offline (--sql)",
                    "bound parameters cannot be rendered; inline the values or use "
                    "op.inline_literal()",
                )
            self.static_output(self._render(construct) + self._terminator())
            return None
        connection = self.connection
        if connection is None:
            raise OperationNotSupported(
                "execute", self.dialect.name, "the migration context has no connection"
            )
        if params is None:
            return connection.execute(construct)
        return connection.execute(construct, params)

    def _render(self, construct: Any) -> str:
        compiled = construct.compile(dialect=self.dialect, compile_kwargs={"literal_binds": True})
        return str(compiled).replace("\t", "    ").strip()

    def _terminator(self) -> str:
        return ";"

    def static_output(self, text: str) -> None:
        """Write `text` verbatim (one line, a blank line after) to the offline output."""
        output = self.context.output
        if output is None:
            raise OperationNotSupported(
                "static_output", self.dialect.name, "offline mode needs an output stream"
            )
        output.write(text + "\n\n")

    def reflect_table(self, name: str, schema: str | None, *args: Any, **kw: Any) -> Table:
        """`name` as the database has it now (online only)."""
        return Table(name, sa.MetaData(), *args, schema=schema, autoload_with=self.connection, **kw)

    def requires_recreate(self, operations: Any, operation: Any) -> bool:
        """True when `operation` has to run as a table recreate on this dialect."""
        return False

    def tries_in_place(self, operation: Any) -> bool:
        """True when `operation` is run in place first, and recreated only if refused."""
        return False

    def batch_recreates(self, ops: Sequence[Any]) -> bool:
        """True when a batch_alter_table(recreate="auto") of `ops` recreates the table."""
        return False

    def free_constraint_names(self, table: str, schema: str | None, names: Sequence[str]) -> None:
        """Before a recreate: release names the new table reuses (where names are global)."""

    def recreate_after(self, operation: Any, error: Exception) -> bool:
        """True when `error` (from running `operation` in place) calls for a recreate."""
        return False

    # -- tables -----------------------------------------------------------

    def ddl_bind(self) -> Any:
        """What SQLAlchemy's DDL events run on: the connection, or offline a mock writing SQL."""
        if not self.as_sql and self.connection is not None:
            return self.connection
        return sa.create_mock_engine(
            f"{self.dialect.name}://", lambda statement, *args, **kw: self.execute(statement)
        )

    def ddl_runner(self) -> _DDLRunner:
        """What table events see as SQLAlchemy's DDL runner.

        Its memo records the named types (PostgreSQL ENUM, DOMAIN) the events created,
        so each is created once. The memo lives in ``opts``, which the runtime shares
        between all steps of one run, as Alembic's lives for one migration context.
        """
        memo: dict[Any, Any] = self.context.opts.setdefault(DDL_MEMO, {})
        return _DDLRunner(memo)

    def create_table(self, table: Table, *, if_not_exists: bool = False) -> None:
        """CREATE TABLE (with the types it needs, e.g. PostgreSQL ENUMs), indexes, comments."""
        bind, runner = self.ddl_bind(), self.ddl_runner()
        # the table events create what the columns' types need first, as create_all does
        table.dispatch.before_create(table, bind, checkfirst=False, _ddl_runner=runner)
        self.execute(CreateTable(table, if_not_exists=if_not_exists))
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            self.execute(CreateIndex(index, if_not_exists=if_not_exists))
        if self.dialect.supports_comments and not self.dialect.inline_comments:
            if table.comment is not None:
                self.execute(SetTableComment(table))
            for column in table.columns:
                if column.comment is not None:
                    self.execute(SetColumnComment(column))
        table.dispatch.after_create(table, bind, checkfirst=False, _ddl_runner=runner)

    def drop_table(self, table: Table, *, if_exists: bool = False) -> None:
        """DROP TABLE (and, through the table events, what its given columns' types made)."""
        bind, runner = self.ddl_bind(), self.ddl_runner()
        table.dispatch.before_drop(table, bind, checkfirst=False, _ddl_runner=runner)
        self.execute(DropTable(table, if_exists=if_exists))
        table.dispatch.after_drop(table, bind, checkfirst=False, _ddl_runner=runner)

    def rename_table(self, old: str, new: str, schema: str | None) -> None:
        """ALTER TABLE old RENAME TO new."""
        self.execute(ddl.RenameTable(old, new, schema))

    def create_table_comment(self, table: Table) -> None:
        """COMMENT ON TABLE."""
        self.execute(SetTableComment(table))

    def drop_table_comment(self, table: Table) -> None:
        """Remove the table's comment."""
        self.execute(DropTableComment(table))

    # -- columns ----------------------------------------------------------

    def add_column(
        self, table_name: str, column: Column[Any], schema: str | None, if_not_exists: bool
    ) -> None:
        """ALTER TABLE ADD COLUMN, with the column's own CHECK constraints."""
        self.execute(ddl.AddColumn(table_name, column, schema, if_not_exists))

    def add_column_comment(self, table_name: str, column: Column[Any], schema: str | None) -> None:
        """The added column's comment, where the dialect does not write it inline."""
        if (
            column.comment is not None
            and self.dialect.supports_comments
            and not self.dialect.inline_comments
        ):
            self.execute(SetColumnComment(column))

    def drop_column(
        self, table_name: str, column: str, schema: str | None, if_exists: bool
    ) -> None:
        """ALTER TABLE DROP COLUMN."""
        self.execute(ddl.DropColumn(table_name, column, schema, if_exists))

    def alter_column(
        self, table_name: str, column_name: str, *, schema: str | None = None, **kw: Any
    ) -> None:
        """One ALTER per changed property; the rename last.

        `kw`: the options of :class:`~.alteration.ColumnAlteration`, and dialect options
        (``<dialect>_using``).
        """
        change, dialect_kw = ColumnAlteration.split(kw)
        hints: dict[str, Any] = {"schema": schema, **change.existing()}
        if change.type_ is not None:
            using = dialect_kw.get(f"{self.dialect.name}_using")
            self.execute(ddl.ColumnType(table_name, column_name, change.type_, using, **hints))
        if change.nullable is not None:
            self.execute(ddl.ColumnNullable(table_name, column_name, change.nullable, **hints))
        default = change.server_default
        if default is not NOT_GIVEN and self.check_identity_change(
            table_name, column_name, default, change.existing_server_default
        ):
            self.execute(ddl.ColumnDefault(table_name, column_name, default, **hints))
        if change.comment is not NOT_GIVEN:
            self.set_column_comment(table_name, column_name, change.comment, schema)
        if change.new_column_name is not None:
            self.execute(ddl.ColumnName(table_name, column_name, change.new_column_name, **hints))

    def check_identity_change(
        self, table_name: str, column_name: str, default: Any, existing: Any
    ) -> bool:
        """Whether a ``server_default`` change has a statement to run (refused if impossible).

        An identity is added, altered or dropped, as Alembic does, where the dialect has
        identity columns; an identity given again unchanged needs no statement.
        """
        new_is, old_is = isinstance(default, sa.Identity), isinstance(existing, sa.Identity)
        if not (new_is or old_is):
            return True
        where = f"{table_name}.{column_name}"
        if not self.dialect.supports_identity_columns:
            raise OperationNotSupported(
                "alter_column",
                self.dialect.name,
                f"{where}: adding, changing or removing an identity (GENERATED AS IDENTITY) "
                "on an existing column is not possible here",
            )
        if (new_is and existing is not None and not old_is) or (
            old_is and default is not None and not new_is
        ):
            raise OperationNotSupported(
                "alter_column",
                self.dialect.name,
                f"{where}: an identity and a plain server default do not replace each other in "
                "one alter_column; remove the one (server_default=None) first, then add the other",
            )
        return not (new_is and old_is) or bool(ddl.identity_changes(default, existing))

    def set_column_comment(
        self, table_name: str, column_name: str, comment: str | None, schema: str | None
    ) -> None:
        """COMMENT ON COLUMN (None removes it)."""
        column: Column[Any] = Column(column_name, sa.types.NULLTYPE, comment=comment)
        Table(table_name, sa.MetaData(), column, schema=schema)
        self.execute(SetColumnComment(column))

    # -- constraints and indexes -------------------------------------------

    def add_constraint(self, constraint: Constraint) -> None:
        """ALTER TABLE ADD CONSTRAINT."""
        self.execute(AddConstraint(constraint))

    def drop_constraint(self, constraint: Constraint, *, if_exists: bool = False) -> None:
        """ALTER TABLE DROP CONSTRAINT (an unnamed primary key: online, by its reflected name)."""
        table = constraint.table
        online = not self.as_sql and self.connection is not None
        if constraint.name is None and isinstance(constraint, PrimaryKeyConstraint) and online:
            inspector = sa.inspect(self.connection)
            found = inspector.get_pk_constraint(table.name, schema=table.schema).get("name")
            constraint.name = conv(found) if found else None
        if constraint.name is None:
            raise OperationNotSupported(
                "drop_constraint",
                self.dialect.name,
                f"the constraint of {table.name!r} has no name to drop; give its name "
                "(the database's own, e.g. <table>_pkey on PostgreSQL)",
            )
        self.execute(DropConstraint(constraint, if_exists=if_exists))

    def create_exclude_constraint(self, constraint: Constraint) -> None:
        """EXCLUDE constraints are PostgreSQL's."""
        raise OperationNotSupported(
            "create_exclude_constraint",
            self.dialect.name,
            "EXCLUDE constraints exist on PostgreSQL only; use a unique index or a trigger",
        )

    def create_index(self, index: Index, *, if_not_exists: bool = False) -> None:
        """CREATE INDEX."""
        self.execute(CreateIndex(index, if_not_exists=if_not_exists))

    def drop_index(self, index: Index, *, if_exists: bool = False) -> None:
        """DROP INDEX."""
        self.execute(DropIndex(index, if_exists=if_exists))

    # -- data -------------------------------------------------------------

    def bulk_insert(
        self, table: TableClause, rows: Sequence[Mapping[str, Any]], *, multiinsert: bool = True
    ) -> None:
        """INSERT the rows: one executemany online, one INSERT per row offline.

        Inline inserts: nothing is fetched back (no RETURNING, no defaults run first).
        """
        if not rows:
            return
        insert = table.insert().inline()
        if self.as_sql:
            for row in rows:
                values = {
                    key: value
                    if isinstance(value, ClauseElement)
                    else sa.literal(value, table.c[key].type)
                    for key, value in row.items()
                }
                self.execute(insert.values(**values))
            return
        if multiinsert and not any(_has_clauses(row.values()) for row in rows):
            self.execute(insert, [dict(row) for row in rows])
            return
        for row in rows:
            self.execute(insert.values(**row))


class _DDLRunner:
    """Stands in for SQLAlchemy's DDL generator in table events: types created once."""

    def __init__(self, memo: dict[Any, Any]) -> None:
        self.memo = memo


def _has_clauses(values: Iterable[Any]) -> bool:
    return any(isinstance(value, ClauseElement) for value in values)
