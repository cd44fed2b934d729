"""What a database command returns: one report per run, per target, per step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .errors import AsyncmigError

Status = Literal["ok", "failed", "cancelled", "skipped", "not-started"]


@dataclass(frozen=True, slots=True)
class StepReport:
    """One script run (or, for stamp, one version-table change)."""

    database: str
    schema: str | None
    revision: str
    direction: Literal["upgrade", "downgrade", "stamp"]
    from_revisions: tuple[str, ...]
    to_revisions: tuple[str, ...]
    message: str
    elapsed_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "schema": self.schema,
            "revision": self.revision,
            "direction": self.direction,
            "from": list(self.from_revisions),
            "to": list(self.to_revisions),
            "message": self.message,
            "elapsed_ms": round(self.elapsed_ms, 3),
        }


@dataclass(slots=True)
class DatabaseReport:
    """One target: a database, or one tenant schema of it."""

    database: str
    schema: str | None = None
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    steps: list[StepReport] = field(default_factory=list)
    elapsed_ms: float = 0.0
    status: Status = "ok"
    error: AsyncmigError | None = None
    sql: str | None = None  # offline mode: the rendered script
    #: Another runner brought this target where it was asked to go while this run
    #: waited for it (its lock was held, or it was behind when the run read the fleet).
    done_by_other: bool = False

    @property
    def target(self) -> str:
        """``database`` or ``database:schema``."""
        return f"{self.database}:{self.schema}" if self.schema else self.database

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "schema": self.schema,
            "before": list(self.before),
            "after": list(self.after),
            "steps": [step.to_dict() for step in self.steps],
            "elapsed_ms": round(self.elapsed_ms, 3),
            "status": self.status,
            "error": str(self.error) if self.error else None,
            "done_by_other": self.done_by_other,
        }


@dataclass(slots=True)
class RunReport:
    """The outcome of one command over every selected target."""

    command: str
    target: str | None
    databases: list[DatabaseReport] = field(default_factory=list)
    stopped: str | None = None  # why targets were left not started (canary, max failures)

    @property
    def ok(self) -> bool:
        """True when no target failed or was cancelled."""
        return all(db.status in ("ok", "skipped") for db in self.databases)

    @property
    def steps(self) -> list[StepReport]:
        """Every step of every target, in report order."""
        return [step for db in self.databases for step in db.steps]

    @property
    def migrated(self) -> list[str]:
        """The targets this run changed (ran or stamped at least one step), in report order."""
        return [db.target for db in self.databases if db.status == "ok" and db.steps]

    @property
    def done_by_others(self) -> list[str]:
        """The targets another runner brought where they were asked to go meanwhile."""
        return [db.target for db in self.databases if db.done_by_other]

    @property
    def up_to_date(self) -> list[str]:
        """The targets that were already where they were asked to go when this run read them."""
        return [
            db.target
            for db in self.databases
            if db.status == "ok" and not db.steps and not db.done_by_other
        ]

    def errors(self) -> list[AsyncmigError]:
        """The error of each failed target."""
        return [db.error for db in self.databases if db.error is not None]

    def raise_for_errors(self) -> None:
        """Raise the first target's error, with this report attached as ``.report``."""
        for error in self.errors():
            error.report = self  # type: ignore[attr-defined]  # attached for callers
            raise error

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "target": self.target,
            "ok": self.ok,
            "databases": [db.to_dict() for db in self.databases],
            "migrated": self.migrated,
            "done_by_others": self.done_by_others,
            "up_to_date": self.up_to_date,
            "stopped": self.stopped,
        }


@dataclass(frozen=True, slots=True)
class TargetFailure:
    """A target's last failure, as recorded in the target (``current --summary``)."""

    target: str  # ``database`` or ``database:schema``
    command: str
    revision: str | None  # the step that failed; None: it failed before any step
    error: str  # the one-line error
    failed_at: datetime  # UTC
    runner: str  # "pid 4242 on web-1"

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "command": self.command,
            "revision": self.revision,
            "error": self.error,
            "failed_at": self.failed_at.isoformat(),
            "runner": self.runner,
        }


@dataclass(frozen=True, slots=True)
class FleetSummary:
    """Every selected target's revision, counted, and the targets whose last run failed."""

    revisions: dict[str, tuple[str, ...]]  # per target; () is base
    heads: dict[str, tuple[str, ...]]  # each database's history heads
    failures: tuple[TargetFailure, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)  # databases that could not be read

    def counts(self) -> dict[str, dict[str, int]]:
        """Per database, how many targets are at each revision (``a, b`` for several heads)."""
        counted: dict[str, dict[str, int]] = {}
        for key, revisions in self.revisions.items():
            database = key.split(":", 1)[0]
            label = ", ".join(revisions) or "<base>"
            per = counted.setdefault(database, {})
            per[label] = per.get(label, 0) + 1
        return counted

    @property
    def behind(self) -> list[str]:
        """The targets not at their history's head(s)."""
        return [
            key
            for key, revisions in self.revisions.items()
            if set(revisions) != set(self.heads.get(key.split(":", 1)[0], ()))
        ]

    @property
    def ok(self) -> bool:
        """True when every target is at head, none failed last time, and all were read."""
        return not (self.behind or self.failures or self.errors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "targets": len(self.revisions),
            "counts": self.counts(),
            "heads": {name: list(heads) for name, heads in self.heads.items()},
            "behind": self.behind,
            "failures": [failure.to_dict() for failure in self.failures],
            "errors": dict(self.errors),
        }


@dataclass(frozen=True, slots=True)
class RevisionInfo:
    """One revision as the script commands report it."""

    revision: str
    down_revisions: tuple[str, ...]
    branch_labels: tuple[str, ...]
    depends_on: tuple[str, ...]
    children: tuple[str, ...]
    path: str | None
    message: str
    doc: str
    create_date: str | None
    is_head: bool
    is_base: bool
    is_branch_point: bool
    is_merge_point: bool
    is_current: bool | None = None  # None: the database was not read

    def to_dict(self) -> dict[str, Any]:
        data = {
            "revision": self.revision,
            "down_revisions": list(self.down_revisions),
            "branch_labels": list(self.branch_labels),
            "depends_on": list(self.depends_on),
            "children": list(self.children),
            "path": self.path,
            "message": self.message,
            "create_date": self.create_date,
            "is_head": self.is_head,
            "is_base": self.is_base,
            "is_branch_point": self.is_branch_point,
            "is_merge_point": self.is_merge_point,
        }
        if self.is_current is not None:
            data["is_current"] = self.is_current
        return data


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    """One template `asyncmig init` can use."""

    name: str
    description: str


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference autogenerate found between a database and its models."""

    database: str
    kind: str  # Alembic's names: add_table, remove_column, modify_type ...
    description: str  # one line for people: "add column account.email"
    detail: dict[str, Any] = field(default_factory=dict, compare=False)  # the compared fields

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.detail,
            "database": self.database,
            "kind": self.kind,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What ``check`` found: each database's revision and every difference from its models."""

    revisions: dict[str, tuple[str, ...]]  # the (head) revisions each database is at
    differences: tuple[Difference, ...] = ()
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per database; not failures

    @property
    def ok(self) -> bool:
        """True when the models and every database agree."""
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "databases": {name: list(revs) for name, revs in self.revisions.items()},
            "differences": [diff.to_dict() for diff in self.differences],
            "notes": {name: list(notes) for name, notes in self.notes.items() if notes},
        }


@dataclass(frozen=True, slots=True)
class AutogenRevision(RevisionInfo):
    """The revision ``revision --autogenerate`` wrote, with what it found."""

    differences: tuple[Difference, ...] = ()
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # written as comments

    @property
    def empty(self) -> bool:
        """True when no difference was found (the script's functions only ``pass``)."""
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        data = RevisionInfo.to_dict(self)
        data["differences"] = [diff.to_dict() for diff in self.differences]
        data["notes"] = {name: list(notes) for name, notes in self.notes.items() if notes}
        return data


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One row of a database's applied-history ledger (``history --applied``)."""

    database: str  # ``database`` or ``database:schema``
    id: int
    revision: str  # a stamp names its revisions as reports do ("a1, b2", or "base")
    direction: str  # upgrade, downgrade, stamp, baseline (applied before the ledger), accept
    checksum: str | None  # sha256 of the script, line endings normalised; None: no script
    script: str | None  # the script file, relative to the script location
    db_user: str | None  # the database role (None on SQLite)
    os_user: str | None
    applied_at: datetime  # UTC
    duration_ms: int | None
    success: bool
    asyncmig_version: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "id": self.id,
            "revision": self.revision,
            "direction": self.direction,
            "checksum": self.checksum,
            "script": self.script,
            "db_user": self.db_user,
            "os_user": self.os_user,
            "applied_at": self.applied_at.isoformat(),
            "duration_ms": self.duration_ms,
            "success": self.success,
            "asyncmig_version": self.asyncmig_version,
        }


@dataclass(frozen=True, slots=True)
class ChecksumProblem:
    """An applied script that is no longer what ran: edited since, or gone."""

    database: str  # ``database`` or ``database:schema``
    revision: str
    kind: Literal["edited", "missing"]
    path: str | None  # the script file (None: not known)
    recorded: str | None  # the checksum the ledger recorded
    actual: str | None  # the file's checksum now (None: missing)

    def describe(self) -> str:
        """One line for people."""
        where = self.path or "(its path was not recorded)"
        if self.kind == "missing":
            return f"revision {self.revision} is applied but its script {where} is missing"
        return (
            f"revision {self.revision}: {where} was edited after it was applied "
            f"(recorded {_short(self.recorded)}, now {_short(self.actual)})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "revision": self.revision,
            "kind": self.kind,
            "path": self.path,
            "recorded": self.recorded,
            "actual": self.actual,
        }


def _short(checksum: str | None) -> str:
    return f"sha256 {checksum[:12]}" if checksum else "nothing"


@dataclass(frozen=True, slots=True)
class ValidateReport:
    """What ``validate`` found: each applied script compared with the checksum it ran with."""

    revisions: dict[str, tuple[str, ...]]  # the current heads of each database (or schema)
    checked: dict[str, tuple[str, ...]]  # revisions compared with a recorded checksum
    unrecorded: dict[str, tuple[str, ...]]  # applied before the ledger (or stamped): not compared
    problems: tuple[ChecksumProblem, ...] = ()
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no applied script was edited or is missing."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "databases": {
                name: {
                    "revisions": list(revs),
                    "checked": list(self.checked.get(name, ())),
                    "unrecorded": list(self.unrecorded.get(name, ())),
                    "notes": list(self.notes.get(name, ())),
                }
                for name, revs in self.revisions.items()
            },
            "problems": [problem.to_dict() for problem in self.problems],
        }


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A step that stopped part-way, as ``repair`` found it, and what it did about it."""

    database: str  # ``database`` or ``database:schema``
    revision: str
    direction: str
    stopped: str  # where it got to: "inside autocommit block 1"
    last_block: int | None  # the last autocommit block it completed (0: none; None: no blocks)
    started_at: datetime  # UTC
    started_by: str  # "alice, pid 4242 on web-1"
    committed: int  # the step's statements that had committed as its last block began or ended
    last_statements: str  # the last few of those, shortened
    leftovers: tuple[str, ...] = ()  # what it left behind (an invalid index), busy ones say so
    removed: tuple[str, ...] = ()  # what this ``repair`` removed
    resolved: bool = False  # this ``repair`` marked it resolved: the next run goes on
    advice: str = ""  # what to do next; once resolved, what the next run does

    def describe(self) -> str:
        """One line for people."""
        block = (
            ""
            if self.last_block is None
            else f" (last completed block: {self.last_block or 'none'})"
        )
        when = self.started_at.strftime("%Y-%m-%d %H:%M:%S") + "Z"
        return (
            f"revision {self.revision} ({self.direction}) stopped {self.stopped}{block}; "
            f"it started {when}, {self.started_by}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "revision": self.revision,
            "direction": self.direction,
            "stopped": self.stopped,
            "last_block": self.last_block,
            "started_at": self.started_at.isoformat(),
            "started_by": self.started_by,
            "committed": self.committed,
            "last_statements": self.last_statements,
            "leftovers": list(self.leftovers),
            "removed": list(self.removed),
            "resolved": self.resolved,
            "advice": self.advice,
        }


@dataclass(frozen=True, slots=True)
class RepairReport:
    """What ``repair`` did: ``accept`` rows written, and each step found stopped part-way."""

    accepted: tuple[LedgerEntry, ...] = ()
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # e.g. not applied there
    unfinished: tuple[JournalEntry, ...] = ()  # resolved by this repair, or still unfinished

    @property
    def ok(self) -> bool:
        """True when no step is left unfinished: ``upgrade`` can run."""
        return all(entry.resolved for entry in self.unfinished)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "accepted": [entry.to_dict() for entry in self.accepted],
            "notes": {name: list(notes) for name, notes in self.notes.items() if notes},
            "unfinished": [entry.to_dict() for entry in self.unfinished],
        }
