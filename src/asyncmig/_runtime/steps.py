"""Running one step of a plan: synchronous code for ``run_sync`` (or offline rendering).

Everything here is called either inside ``AsyncConnection.run_sync`` with a
sync ``Connection``, or with an offline context; none of it awaits.  Script
modules are imported beforehand, in a worker thread (:func:`load_modules`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import event

from .._proxy import activated
from .._reports import StepReport
from .._script.loader import alembic_aliases
from .._script.revision import Step
from .._script.tracebacks import script_line
from .._urls import mask_text
from ..errors import AsyncmigError, MigrationFailed, ScriptError
from . import journal, ledger
from . import version_table as vt
from .context import MigrationContext
from .environment import Environment
from .lock_safety import step_settings
from .requests import Request

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from .._config import Config
    from .._script.directory import ScriptDirectory
    from .connection import TargetConnection


@dataclass
class TargetSetup:
    """What every step of one target needs to build its context."""

    config: Config
    database: str
    schema: str | None
    directory: ScriptDirectory
    request: Request
    opts: dict[str, Any]
    modules: dict[str, ModuleType] = field(default_factory=dict)

    def context_table(self) -> str:
        """The version table's qualified name, for messages."""
        table = self.opts["version_table"]
        schema = self.opts.get("version_table_schema")
        return f"{schema}.{table}" if schema else str(table)

    def context(
        self,
        connection: Connection | None = None,
        target: TargetConnection | None = None,
        *,
        url: str | None = None,
        output: TextIO | None = None,
    ) -> MigrationContext:
        """A migration context on `target`'s `connection`, or offline for `url` into `output`."""
        return MigrationContext.configure(
            connection,
            url=url,
            opts=self.opts,
            config=self.config,
            database=self.database,
            schema=self.schema,
            output=output,
            session=target.session if target is not None else None,
            version=target.version if target is not None else None,
            async_connection=target.conn if target is not None else None,
        )


def load_modules(setup: TargetSetup, steps: Iterable[Step]) -> None:
    """Import every script the steps run (in a worker thread), checking their functions."""
    with alembic_aliases():
        _load_modules(setup, steps)


def _load_modules(setup: TargetSetup, steps: Iterable[Step]) -> None:
    for step in steps:
        script = step.script
        if script is None or script.revision in setup.modules:
            continue
        path = script.path or script.revision
        try:
            module = setup.directory.get_script(script.revision).load_module()
        except AsyncmigError:
            raise
        except Exception as exc:
            raise ScriptError(
                f"cannot import revision {script.revision}: {type(exc).__name__}: {exc}",
                path=path,
                line=script_line(path, exc.__traceback__),
            ) from exc
        script_function(module, step, setup.database, path)
        setup.modules[script.revision] = module


def script_function(module: ModuleType, step: Step, database: str, path: str) -> Callable[[], Any]:
    """``upgrade_<database>()`` if the script has one, else ``upgrade()`` (or downgrade)."""
    own = getattr(module, f"{step.direction}_{database}", None)
    fn = own if callable(own) else getattr(module, step.direction, None)
    if not callable(fn):
        raise ScriptError(
            f"revision {step.revision} has no {step.direction}() function; add one "
            f"(or {step.direction}_{database}())",
            path=path,
        )
    return fn  # type: ignore[no-any-return]  # a script's function


def begin(
    connection: Connection, target: TargetConnection, setup: TargetSetup, read: bool
) -> tuple[str, ...]:
    """Begin the transaction steps run in; with `read`, read the version rows inside it."""
    target.session.begin(connection)
    return setup.context(connection, target).get_current_heads() if read else ()


def run_step(context: MigrationContext, step: Step, setup: TargetSetup) -> None:
    """Run one step's script (if any) and write its version rows, in the current transaction.

    Online, the step's timeouts are applied first (:mod:`.lock_safety`); a
    script with ``"transaction": False`` runs in an autocommit block.
    """
    settings = step_settings(setup.config, step)
    if context.connection is not None:
        context.session.apply_timeouts(
            context.connection, settings.lock_timeout, settings.statement_timeout
        )
    if step.script is not None:
        path = step.script.path or step.script.revision
        module = setup.modules[step.script.revision]
        fn = script_function(module, step, setup.database, path)
        from .._operations import Operations

        environment = Environment(
            context,
            script=setup.directory,
            revision_argument=setup.request.label,
            starting_revision=context.opts.get("starting_rev"),
            tag=setup.request.tag,
        )
        # the journal (if any) reads them too: how much the step had done as a block began
        statements: list[str] = context.journal.statements if context.journal is not None else []
        try:
            with (
                activated(Operations(context), environment),
                _counting_commits(context),
                nullcontext() if settings.transaction else context.autocommit_block(),
                _recording(context, statements),
            ):
                fn()
        except Exception as exc:
            error = MigrationFailed(
                database=setup.database,
                revision=step.revision,
                path=str(Path(path)),
                line=script_line(path, exc.__traceback__),
                cause=exc,
                schema=setup.schema,
                outcome=_outcome(context, step, statements, settings.transaction),
                statements=statements,
            )
            raise error from exc
    if step.purge:
        vt.purge(context)
    vt.apply(context, () if step.purge else step.delete, step.insert)


ROLLED_BACK = "its transaction was rolled back"
_LITERAL = re.compile(r"'(?:[^'\\]|''|\\.)*'")
# How many statements a partly applied step's error lists, and how much of each.
_SHOWN_STATEMENTS = 5
_STATEMENT_WIDTH = 80


@contextmanager
def _recording(context: MigrationContext, statements: list[str]) -> Iterator[None]:
    """Collect the SQL text (never the parameters) of each statement the step completes."""
    connection = context.connection
    if connection is None:  # offline: nothing runs
        yield
        return

    def record(*args: Any) -> None:
        if args[0].info.get(journal.BOOKKEEPING):  # asyncmig's own row, not the step's
            return
        # The SQL text only: parameters never; quoted literals (a password in
        # CREATE USER ... IDENTIFIED BY '...') masked.
        text = _LITERAL.sub("'***'", " ".join(str(args[2]).split()))
        statements.append(mask_text(text))

    event.listen(connection, "after_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(connection, "after_cursor_execute", record)


@contextmanager
def _counting_commits(context: MigrationContext) -> Iterator[None]:
    """Count in the session each commit made while the step runs: such work is never retried."""
    connection = context.connection
    if connection is None:
        yield
        return
    session = context.session

    def count(*args: Any) -> None:
        session.commits += 1

    event.listen(connection, "commit", count)
    try:
        yield
    finally:
        event.remove(connection, "commit", count)


def shorten_statements(statements: Sequence[str]) -> str:
    """``a; b; ... (and N more)``, each statement cut to a readable width."""
    shown = [
        text if len(text) <= _STATEMENT_WIDTH else text[: _STATEMENT_WIDTH - 3] + "..."
        for text in statements[:_SHOWN_STATEMENTS]
    ]
    more = len(statements) - len(shown)
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")


def _outcome(
    context: MigrationContext, step: Step, statements: Sequence[str], transaction: bool = True
) -> str:
    """What became of the database after the step failed, true for its dialect.

    `transaction` False: the script ran in autocommit (``"transaction": False``).
    """
    if context.connection is None:
        return "no SQL was written for it"
    if context.impl.transactional_ddl and transaction:
        return ROLLED_BACK
    from .._dialects import backend_for

    dialect = backend_for(context.dialect).display_name or context.dialect.name
    if not statements:
        return f"no statement of the step had completed, so {dialect} applied none of it"
    done = " ".join(step.to_revisions) or "base"
    why = (
        f"{dialect} commits DDL implicitly"
        if transaction
        else 'it ran outside a transaction ("transaction": False)'
    )
    return (
        f"{why}, so the step may be partly applied (statements "
        f"that had already run: {shorten_statements(statements)}); check the database by hand, "
        f"then either finish the step and run `asyncmig stamp {done}`, or undo it and run "
        "the command again"
    )


def run_online(
    connection: Connection, target: TargetConnection, setup: TargetSetup, step: Step
) -> None:
    """:func:`run_step` on the target's sync connection (the body of one ``run_sync``)."""
    context = setup.context(connection, target)
    # its ledger row, in its transaction; and how far it got, if it commits as it goes
    with ledger.recorded(context, setup, step), journal.journaled(context, setup, step):
        run_step(context, step, setup)


def ensure_table(connection: Connection, target: TargetConnection, setup: TargetSetup) -> None:
    """Create the version table if it is missing (``ensure-version``)."""
    context = setup.context(connection, target)
    vt.ensure(context)
    ledger.ensure_beside(context, setup)


def step_report(setup: TargetSetup, step: Step, elapsed_ms: float) -> StepReport:
    """The report line of one step that ran (and, online, committed)."""
    return StepReport(
        database=setup.database,
        schema=setup.schema,
        revision=step.revision,
        direction=step.direction,
        from_revisions=step.from_revisions,
        to_revisions=step.to_revisions,
        message=step.message,
        elapsed_ms=elapsed_ms,
    )


def context_options(
    config: Config,
    table: str,
    schema: str | None,
    extra: Mapping[str, Any] | None = None,
    *,
    database: str | None = None,
    env_module: ModuleType | None = None,
) -> dict[str, Any]:
    """The opts every context of a target gets (Alembic's names).

    ``target_metadata`` is the database's models (naming conventions come from
    it); without `database`, a configuration of one database means that one.
    """
    from .metadata import context_metadata

    opts: dict[str, Any] = {
        "version_table": table,
        "version_table_schema": schema,
        "transaction_per_migration": config.transaction_per_migration,
    }
    if extra:
        opts.update(extra)
    if "target_metadata" not in opts:
        opts["target_metadata"] = context_metadata(config, database, env_module)
    from .._operations.impl import DDL_MEMO

    # every step of this run shares one memo of the types (PostgreSQL ENUMs) its table
    # events created, as Alembic's migration context does for one run of env.py
    opts[DDL_MEMO] = {}
    return opts
