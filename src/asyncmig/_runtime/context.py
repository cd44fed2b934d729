"""A migration step's context: dialect, connection or offline buffer, options.

Mirrors Alembic's ``MigrationContext`` where Alembic has the same thing, so
``ctx = MigrationContext.configure(conn); Operations(ctx).add_column(...)``
works as it does there.  Everything here is synchronous: online, the runner
builds a context inside ``AsyncConnection.run_sync`` around the sync
``Connection``; offline, the context writes SQL text to ``output``.

What a script sees, next to Alembic: ``dialect.name`` (context, bind and impl),
the URL's host, port, database, username and query, and ``str(bind.engine.url)``'s
masking of the password are Alembic's.  The driver differs, since asyncmig runs
the async one: ``url.drivername`` is ``postgresql+asyncpg`` where Alembic's may be
``postgresql`` or ``postgresql+psycopg2``, and ``dialect.driver`` is ``asyncpg``.
Offline, ``bind`` is a mock connection whose statements become SQL, as Alembic's.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import CommandError, MultipleHeads
from . import version_table as _vt
from .journal import bookkeeping

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Dialect
    from sqlalchemy.ext.asyncio import AsyncConnection

    from .._config import Config
    from .._dialects.generic import Session
    from .._operations.impl import DialectImpl
    from .._script.directory import ScriptDirectory
    from .environment import Environment
    from .journal import StepJournal
    from .script_config import ScriptConfig

DEFAULT_VERSION_TABLE = "asyncmig_version"

# Keys Alembic's context.opts always has; scripts read them with opts["..."].
_ALEMBIC_OPTS: dict[str, Any] = {
    "literal_binds": False,
    "target_metadata": None,
    "transaction_per_migration": False,
    "include_schemas": False,
    "render_as_batch": False,
    "compare_type": True,
    "compare_server_default": False,
    "alembic_module_prefix": "op.",
    "sqlalchemy_module_prefix": "sa.",
    "user_module_prefix": None,
    "upgrade_token": "upgrades",
    "downgrade_token": "downgrades",
    "tag": None,
}


def dialect_for(url: str | None = None, dialect_name: str | None = None) -> Dialect:
    """An offline dialect instance for a URL or a bare dialect name (``postgresql``)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    spec = url if url is not None else f"{dialect_name}://"
    try:
        dialect_cls = make_url(spec).get_dialect()
    except (ArgumentError, NoSuchModuleError) as exc:
        raise CommandError(
            f"no SQLAlchemy dialect for {dialect_name or 'the URL'!r}: {exc}; "
            "give a URL such as postgresql+asyncpg://... or sqlite+aiosqlite://"
        ) from exc
    # Offline rendering never talks to a server: bind values are rendered inline.
    dialect: Dialect = dialect_cls(paramstyle="named")  # type: ignore[call-arg]  # concrete dialects take it
    return dialect


class MigrationContext:
    """Where one database's (or one tenant schema's) steps run."""

    dialect: Dialect
    connection: Connection | None  # a sync Connection inside run_sync; None offline
    as_sql: bool  # offline mode: statements are written to `output`, not executed
    output: TextIO | None  # offline SQL goes here
    opts: dict[str, Any]  # Alembic-compatible: target_metadata, version_table, literal_binds ...
    asyncmig_config: Config | None  # asyncmig's own; `config` is Alembic's view of it
    environment_context: Environment | None  # set by the step's Environment (Alembic's name)
    database: str  # the database's name in the configuration ("main" for one database)
    schema: str | None  # the tenant schema the step applies to, if any
    version_table: str
    version_table_schema: str | None
    version: _vt.VersionTable  # the table, and whether this connection has found it
    session: Session  # how this connection begins transactions and runs autocommit blocks
    async_connection: AsyncConnection | None  # the AsyncConnection run_sync was called on
    journal: StepJournal | None  # the running step's progress, when the runner runs one

    def __init__(
        self,
        dialect: Dialect,
        connection: Connection | None,
        opts: dict[str, Any],
        *,
        config: Config | None,
        database: str,
        schema: str | None,
        output: TextIO | None,
        session: Session | None = None,
        version: _vt.VersionTable | None = None,
        async_connection: AsyncConnection | None = None,
    ) -> None:
        self.dialect = dialect
        self.connection = connection
        self.opts = opts = dict(opts)
        for key, value in _ALEMBIC_OPTS.items():
            opts.setdefault(key, value)
        if config is not None and config.naming_convention:
            # the configuration's opt-in convention, read by _operations.naming
            opts.setdefault("naming_convention", dict(config.naming_convention))
        self.as_sql = opts["as_sql"] = bool(opts.get("as_sql"))
        self.output = output
        self.asyncmig_config = config
        self.environment_context = None
        self.database = database
        self.schema = schema
        self.version_table = str(
            opts.get("version_table")
            or (config.version_table if config is not None else DEFAULT_VERSION_TABLE)
        )
        vschema = opts.get("version_table_schema")
        if vschema is None and config is not None:
            vschema = config.version_table_schema
        self.version_table_schema = vschema
        self.version = version or _vt.VersionTable.named(self.version_table, vschema)
        if session is None:
            from .._dialects.generic import Session

            session = Session(None)
        self.session = session
        self.async_connection = async_connection
        self.journal = None
        self._impl: DialectImpl | None = None
        self._offline_bind: Any = None
        self._script_config: ScriptConfig | None = None

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
        session: Session | None = None,
        version: _vt.VersionTable | None = None,
        async_connection: AsyncConnection | None = None,
    ) -> MigrationContext:
        """A context on a sync connection, or offline for a URL or dialect name.

        The runtime passes what it opened for the target: its `session`, its
        `version` table state and the `async_connection` ``op.run_async`` hands on.
        """
        options = dict(opts or {})
        if connection is not None:
            the_dialect = connection.dialect
            options["as_sql"] = False
        else:
            if dialect is not None:
                the_dialect = dialect
            elif url is not None or dialect_name is not None:
                the_dialect = dialect_for(url, dialect_name)
            else:
                raise CommandError(
                    "MigrationContext.configure() needs a connection, a url or a dialect_name"
                )
            options["as_sql"] = True
            options.setdefault("literal_binds", True)
        if options["as_sql"] and output is None:
            output = options.get("output_buffer") or sys.stdout
        return cls(
            the_dialect,
            connection,
            options,
            config=config,
            database=database,
            schema=schema,
            output=output,
            session=session,
            version=version,
            async_connection=async_connection,
        )

    @property
    def config(self) -> ScriptConfig | None:
        """Alembic's ``Config`` view of the configuration (``get_main_option`` ...)."""
        config = self.asyncmig_config
        if config is None:
            return None
        if self._script_config is not None:
            return self._script_config
        from .script_config import ScriptConfig, command_options

        environment = self.environment_context
        cmd_opts = command_options(
            config,
            as_sql=self.as_sql,
            revision=environment.get_revision_argument() if environment is not None else None,
            tag=environment.get_tag_argument() if environment is not None else None,
        )
        self._script_config = ScriptConfig(config, database=self.database, cmd_opts=cmd_opts)
        return self._script_config

    @property
    def script(self) -> ScriptDirectory | None:
        """The script directory of the running step (Alembic's ``context.script``)."""
        environment = self.environment_context
        return environment.script if environment is not None else self.opts.get("script")

    @property
    def bind(self) -> Any:
        """The sync connection; offline, a mock connection whose statements become SQL text.

        As under Alembic: ``op.get_bind().dialect`` answers offline too, and
        ``sa.Enum(...).create(op.get_bind())`` writes its DDL to the output.
        """
        if self.connection is not None:
            return self.connection
        if self._offline_bind is None:
            from sqlalchemy.engine.mock import MockConnection

            def write(statement: Any, *multiparams: Any, **params: Any) -> None:
                self.impl.execute(statement)

            self._offline_bind = MockConnection(self.dialect, write)
        return self._offline_bind

    @property
    def impl(self) -> DialectImpl:
        """The dialect implementation that turns directives into DDL."""
        if self._impl is None:
            from .._dialects import backend_for

            self._impl = backend_for(self.dialect).ddl(self)
        return self._impl

    @property
    def version_table_object(self) -> Table:
        """The version table as a SQLAlchemy ``Table`` (Alembic's ``_version``)."""
        return self.version.table

    def execute(self, sql: Any, execution_options: Mapping[str, Any] | None = None) -> Any:
        """Run (or, offline, write) one statement."""
        if execution_options and self.connection is not None:
            from sqlalchemy import text

            statement = text(sql) if isinstance(sql, str) else sql
            return self.connection.execute(statement, execution_options=dict(execution_options))
        return self.impl.execute(sql)

    @contextmanager
    def autocommit_block(self) -> Iterator[None]:
        """Commit the step's transaction, run the block in autocommit, begin again.

        In a step the runner runs, the journal records the block's beginning
        (committed with the step's work so far) and its end (see :mod:`.journal`).
        """
        if self.connection is None:
            # offline, only where the output frames transactions at all (as in Alembic)
            framed = self.impl.frames_offline_transactions
            if framed:
                self.impl.static_output("COMMIT;")
            try:
                yield
            finally:
                if framed:
                    self.impl.static_output("BEGIN;")
            return
        connection = self.connection
        journal = self.journal
        with journal.block() if journal is not None else nullcontext():
            with bookkeeping(connection):  # the session's own statements are not the step's
                state = self.session.autocommit_enter(connection)
            try:
                yield
                if journal is not None:
                    journal.block_done()
            finally:
                with bookkeeping(connection):
                    self.session.autocommit_exit(connection, state)

    # -- Alembic's read API ---------------------------------------------------

    def get_current_heads(self) -> tuple[str, ...]:
        """The revisions in the version table (offline: the assumed starting revisions)."""
        if self.connection is None:
            start = self.opts.get("starting_rev")
            if start is None:
                return ()
            if isinstance(start, str):
                return () if start == "base" else (start,)
            return tuple(start)
        return _vt.read_heads(self.connection, self.version)

    def get_current_revision(self) -> str | None:
        """The single current revision, None at base; MultipleHeads if there are several."""
        heads = self.get_current_heads()
        if len(heads) > 1:
            raise MultipleHeads(heads, "current")
        return heads[0] if heads else None
