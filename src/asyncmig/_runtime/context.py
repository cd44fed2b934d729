"""A migration step's context: dialect, connection or offline buffer, options.

INTERFACE STUB -- the runtime helper replaces the bodies; the names and
attributes below are the contract the operations layer codes against (the
operations layer never imports this module at run time, only for typing).
Mirrors Alembic's ``MigrationContext`` where Alembic has the same thing, so
``ctx = MigrationContext.configure(conn); Operations(ctx).add_column(...)``
works as it does there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Dialect

    from .._config import Config
    from .._operations.impl import DialectImpl


class MigrationContext:
    """Where one database's (or one tenant schema's) steps run."""

    dialect: Dialect
    connection: Connection | None  # a sync Connection inside run_sync; None offline
    as_sql: bool  # offline mode: statements are written to `output`, not executed
    output: TextIO | None  # offline SQL goes here
    opts: dict[str, Any]  # Alembic-compatible: target_metadata, version_table, literal_binds ...
    config: Config | None
    database: str  # the database's name in the configuration ("main" for one database)
    schema: str | None  # the tenant schema the step applies to, if any

    @classmethod
    def configure(
        cls,
        connection: Connection | None = None,
        *,
        url: str | None = None,
        dialect_name: str | None = None,
        dialect: Dialect | None = None,
        opts: Mapping[str, Any] | None = None,
        config: Config | None = None,
        database: str = "main",
        schema: str | None = None,
        output: TextIO | None = None,
    ) -> MigrationContext:
        """A context on a sync connection, or offline for a URL or dialect name."""
        raise NotImplementedError

    @property
    def bind(self) -> Connection | None:
        """The sync connection (Alembic's name for it)."""
        raise NotImplementedError

    @property
    def impl(self) -> DialectImpl:
        """The dialect implementation that turns directives into DDL."""
        raise NotImplementedError

    def execute(self, sql: Any, execution_options: Mapping[str, Any] | None = None) -> Any:
        """Run (or, offline, write) one statement."""
        raise NotImplementedError

    @contextmanager
    def autocommit_block(self) -> Iterator[None]:
        """Commit the step's transaction, run the block in autocommit, begin again."""
        raise NotImplementedError
        yield
