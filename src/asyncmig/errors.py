"""Every error asyncmig raises on purpose.

The tree::

    AsyncmigError
    ├── ConfigError              configuration missing, broken or contradictory
    ├── CommandError             a command cannot do what was asked (non-empty init dir, ...)
    │   └── NoTargetMetadata     autogenerate or check has no models to compare with
    ├── ScriptError              a migration script cannot be read, imported or written
    ├── RevisionError            the revision graph or a target is wrong
    │   ├── UnknownRevision
    │   ├── AmbiguousRevision
    │   ├── MultipleHeads
    │   ├── CycleDetected
    │   ├── DependencyError
    │   └── DuplicateRevision
    ├── DatabaseUnavailable      a database cannot be reached or logged into
    ├── MigrationFailed          a step raised (the message says what was undone)
    ├── ChecksumMismatch         an applied script was edited since it ran (upgrade refuses)
    ├── UnfinishedStep           a step that commits as it goes stopped part-way (upgrade refuses)
    ├── LockTimeout              another runner held the migration lock too long
    └── OperationNotSupported    a directive the dialect cannot do at all

Each message is one line that names what is at fault and, where there is
something to do, what to do.  The CLI prints ``asyncmig: error: <message>``
and exits 1; anything that is not an :class:`AsyncmigError` is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = (
    "AsyncmigError",
    "ConfigError",
    "CommandError",
    "NoTargetMetadata",
    "ScriptError",
    "RevisionError",
    "UnknownRevision",
    "AmbiguousRevision",
    "MultipleHeads",
    "CycleDetected",
    "DependencyError",
    "DuplicateRevision",
    "DatabaseUnavailable",
    "MigrationFailed",
    "ChecksumMismatch",
    "UnfinishedStep",
    "LockTimeout",
    "OperationNotSupported",
)


class AsyncmigError(Exception):
    """The root of every error asyncmig raises on purpose."""


class ConfigError(AsyncmigError):
    """The configuration is missing, unreadable or contradictory."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = ", ".join(part for part in (path, f"key {key!r}" if key else None) if part)
        super().__init__(f"{where}: {message}" if where else message)


class CommandError(AsyncmigError):
    """A command was asked for something it cannot do as stated."""


class NoTargetMetadata(CommandError):
    """Autogenerate or ``check`` found no target metadata for a database."""


class ScriptError(AsyncmigError):
    """A migration script cannot be read, imported or written."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if path and line else path
        super().__init__(f"{where}: {message}" if where else message)


class RevisionError(AsyncmigError):
    """The revision graph, or a revision target, is wrong."""


class UnknownRevision(RevisionError):
    """No script has this revision id or branch label."""

    def __init__(self, revision: str, message: str | None = None) -> None:
        self.revision = revision
        super().__init__(
            message
            or f"no revision or branch label {revision!r} in the script directory; "
            "run `asyncmig history` to see what there is"
        )


class AmbiguousRevision(RevisionError):
    """A partial id matches more than one revision."""

    def __init__(self, prefix: str, candidates: Iterable[str]) -> None:
        self.prefix = prefix
        self.candidates = tuple(sorted(candidates))
        super().__init__(
            f"revision prefix {prefix!r} is ambiguous; it matches "
            f"{', '.join(self.candidates)}: give more characters"
        )


class MultipleHeads(RevisionError):
    """Several heads exist where the target needs exactly one."""

    def __init__(self, heads: Iterable[str], target: str = "head") -> None:
        self.heads = tuple(sorted(heads))
        self.target = target
        super().__init__(
            f"{target!r} is ambiguous: there are several heads ({', '.join(self.heads)}); "
            "use 'heads' for all of them, '<branch_label>@head' or '<rev>@head' for one, "
            "or `asyncmig merge` to join them"
        )


class CycleDetected(RevisionError):
    """The revisions' down_revision / depends_on links form a cycle."""

    def __init__(self, cycle: Sequence[str], paths: Sequence[str] = ()) -> None:
        self.cycle = tuple(cycle)
        self.paths = tuple(paths)
        loop = " -> ".join((*self.cycle, self.cycle[0])) if self.cycle else "?"
        files = f" (in {', '.join(self.paths)})" if self.paths else ""
        super().__init__(f"revision cycle {loop}{files}: fix the down_revision links")


class DependencyError(RevisionError):
    """A revision names a parent or dependency that does not exist, or a plan is impossible."""


class DuplicateRevision(RevisionError):
    """Two scripts declare the same revision id."""

    def __init__(self, revision: str, paths: Sequence[str]) -> None:
        self.revision = revision
        self.paths = tuple(paths)
        super().__init__(
            f"revision {revision!r} is declared by more than one file: "
            f"{' and '.join(self.paths)}; give one of them a new id"
        )


class DatabaseUnavailable(AsyncmigError):
    """A database cannot be reached or refused the login."""

    def __init__(self, database: str, url: str, cause: BaseException) -> None:
        self.database = database
        self.url = url  # always the masked form
        self.cause = cause
        reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        super().__init__(f"database {database!r} ({url}) is unavailable: {reason}")


class MigrationFailed(AsyncmigError):
    """A migration step raised.

    ``outcome`` says what became of the database, truthfully for its dialect:
    by default "its transaction was rolled back"; on MySQL/MariaDB,
    where DDL commits implicitly, the runner states instead that the step
    may be partly applied and lists ``statements``, the ones that had run.
    """

    def __init__(
        self,
        *,
        database: str,
        revision: str,
        path: str | None,
        line: int | None,
        cause: BaseException,
        schema: str | None = None,
        outcome: str = "its transaction was rolled back",
        statements: Sequence[str] = (),
    ) -> None:
        self.database = database
        self.revision = revision
        self.path = path
        self.line = line
        self.cause = cause
        self.schema = schema
        self.outcome = outcome
        self.statements = tuple(statements)
        where = f"{path}:{line}" if path and line else (path or "?")
        text = one_line(cause)
        target = f"database {database!r}" + (f" (schema {schema!r})" if schema else "")
        super().__init__(
            f"{target}: revision {revision} failed at {where}: "
            f"{type(cause).__name__}: {text}; {outcome}"
        )

    def restated(self, outcome: str, statements: Sequence[str] = ()) -> MigrationFailed:
        """The same failure with what became of the database said differently."""
        error = MigrationFailed(
            database=self.database,
            revision=self.revision,
            path=self.path,
            line=self.line,
            cause=self.cause,
            schema=self.schema,
            outcome=outcome,
            statements=statements or self.statements,
        )
        error.__cause__ = self.__cause__
        return error


class ChecksumMismatch(AsyncmigError):
    """An applied migration script was edited after it ran; ``upgrade`` stops before any step.

    ``revision`` and ``path`` name the first such script, ``others`` the
    revisions of the rest; ``recorded`` and ``actual`` are its checksums.
    """

    def __init__(
        self,
        *,
        database: str,
        revision: str,
        path: str | None,
        recorded: str | None,
        actual: str | None,
        others: Sequence[str] = (),
    ) -> None:
        self.database = database
        self.revision = revision
        self.path = path
        self.recorded = recorded
        self.actual = actual
        self.others = tuple(others)
        also = f" (so were {', '.join(self.others)})" if self.others else ""
        super().__init__(
            f"database {database!r}: the migration script {path or revision} (revision "
            f"{revision}) was edited after it was applied{also}; the database was not "
            f"touched: run `asyncmig repair --accept {revision}` after checking the change "
            "(or set validate_on_migrate = false)"
        )


class UnfinishedStep(AsyncmigError):
    """A step that commits as it goes started earlier and did not finish.

    ``upgrade`` and ``downgrade`` stop before any step until ``asyncmig repair``
    resolves it.  ``stopped`` says where the step got to; ``last_block`` is the
    last autocommit block it completed (0: none; None: it has none, its DDL
    committed statement by statement); ``others`` names more unfinished steps.
    """

    def __init__(
        self,
        *,
        database: str,
        revision: str,
        direction: str,
        stopped: str,
        last_block: int | None,
        others: Sequence[str] = (),
    ) -> None:
        self.database = database
        self.revision = revision
        self.direction = direction
        self.stopped = stopped
        self.last_block = last_block
        self.others = tuple(others)
        also = f" (so did {', '.join(self.others)})" if self.others else ""
        block = "" if last_block is None else f" (last completed block: {last_block or 'none'})"
        super().__init__(
            f"database {database!r}: revision {revision} ({direction}) did not finish: it "
            f"stopped {stopped}{block}{also}; the database was not touched: run "
            "`asyncmig repair` to see what it left and what to do"
        )


class LockTimeout(AsyncmigError):
    """The migration lock was not acquired within ``lock_timeout`` seconds."""

    def __init__(self, database: str, timeout: float) -> None:
        self.database = database
        self.timeout = timeout
        super().__init__(
            f"database {database!r}: another migration holds the lock; gave up after "
            f"{timeout:g}s (raise lock_timeout, or wait for the other runner to finish)"
        )


class OperationNotSupported(AsyncmigError):
    """A directive the database's dialect cannot perform at all."""

    def __init__(self, directive: str, dialect: str, alternative: str) -> None:
        self.directive = directive
        self.dialect = dialect
        self.alternative = alternative
        super().__init__(f"op.{directive}() is not supported on {dialect}: {alternative}")


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (its type's name when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__
