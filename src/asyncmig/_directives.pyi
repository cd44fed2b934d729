"""``op`` as a type checker sees it: ``Operations`` with each directive spelled out.

Directives are registered on :class:`asyncmig._operations.Operations` when their
modules are imported (``Operations.register_operation``), which a type checker
cannot follow; this stub declares them, so that editors complete
``op.add_column(...)`` and check its arguments.  Only type checkers read it.
Written by ``python -m tests.api._directives_stub`` from the registered
directives; tests/api/test_typing.py fails when it is out of date.
"""

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.schema import SchemaItem

from ._operations import BatchOperations
from ._operations.base import Operations as _Registered

class Operations(_Registered):
    """What ``op`` is during a step: the schema directives of one migration context."""
    def batch_alter_table(  # type: ignore[override]  # it takes **kw, passed on to these
        self,
        table_name: str,
        schema: str | None = None,
        recreate: str = "auto",
        partial_reordering: Sequence[Sequence[str]] | None = None,
        copy_from: Table | None = None,
        table_args: Sequence[Any] = (),
        table_kwargs: Mapping[str, Any] | None = None,
        reflect_args: Sequence[Any] = (),
        reflect_kwargs: Mapping[str, Any] | None = None,
        naming_convention: Mapping[Any, Any] | None = None,
    ) -> AbstractContextManager[BatchOperations]:
        """Collect changes to `table_name`; apply them when the block ends without error."""
    def add_column(
        self,
        table_name: str,
        column: Column[Any],
        *,
        schema: str | None = None,
        if_not_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        """Add a column: its CHECKs inline; its foreign keys, unique flag and index as ALTERs."""
    def alter_column(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
        nullable: bool | None = None,
        comment: Any = False,
        server_default: Any = False,
        new_column_name: str | None = None,
        type_: Any = None,
        autoincrement: bool | None = None,
        existing_type: Any = None,
        existing_server_default: Any = None,
        existing_nullable: bool | None = None,
        existing_comment: str | None = None,
        existing_autoincrement: bool | None = None,
        **kw: Any,
    ) -> None:
        """Change a column's type, nullability, default, name, comment or autoincrement."""
    def bulk_insert(
        self, table: Any, rows: Sequence[Mapping[str, Any]], *, multiinsert: bool = True
    ) -> None:
        """Insert rows into a Table or table() construct."""
    def create_check_constraint(
        self,
        constraint_name: str | None,
        table_name: str,
        condition: str | ClauseElement,
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        """Add a CHECK constraint."""
    def create_exclude_constraint(
        self,
        constraint_name: str | None,
        table_name: str,
        *elements: Any,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        """Add a PostgreSQL EXCLUDE constraint."""
    def create_foreign_key(
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
        """Add a FOREIGN KEY (None: the naming convention's name, else the database's)."""
    def create_index(
        self,
        index_name: str | None,
        table_name: str,
        columns: Sequence[str | ClauseElement],
        *,
        schema: str | None = None,
        unique: bool = False,
        if_not_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        """Create an index (``postgresql_where=``, ``postgresql_using=``, ... pass through)."""
    def create_primary_key(
        self,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        schema: str | None = None,
    ) -> None:
        """Add a PRIMARY KEY constraint."""
    def create_table(
        self,
        table_name: str,
        *columns: SchemaItem,
        schema: str | None = None,
        if_not_exists: bool | None = None,
        **kw: Any,
    ) -> Table:
        """Create a table; returns the ``Table`` (handy for ``bulk_insert``)."""
    def create_table_comment(
        self,
        table_name: str,
        comment: str | None,
        *,
        schema: str | None = None,
        existing_comment: str | None = None,
    ) -> None:
        """Set a table's comment."""
    def create_unique_constraint(
        self,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        """Add a UNIQUE constraint (None: the naming convention's name, else the database's)."""
    def drop_column(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        """Drop a column."""
    def drop_constraint(
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
        """Drop a constraint; ``type_`` is foreignkey, unique, check or primary."""
    def drop_index(
        self,
        index_name: str,
        table_name: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        """Drop an index (MySQL needs ``table_name``)."""
    def drop_table(
        self,
        table_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        """Drop a table."""
    def drop_table_comment(
        self, table_name: str, *, schema: str | None = None, existing_comment: str | None = None
    ) -> None:
        """Remove a table's comment."""
    def execute(self, sqltext: Any, execution_options: Mapping[str, Any] | None = None) -> Any:
        """Run one statement (written out, offline)."""
    def rename_table(
        self, old_table_name: str, new_table_name: str, schema: str | None = None
    ) -> None:
        """Rename a table."""
