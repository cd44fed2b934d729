"""``--jobs N``: the targets of one run split over N worker processes, one report back.

Python runs one core per process, and a run over many databases (or tenant
schemas) is bound by it.  The parent lists the targets -- running each
database's schemas query once -- cuts them into chunks and hands a chunk to
each worker (``python -m asyncmig._commands.job_worker``, see
:mod:`.job_protocol`), the next as each finishes, so a slow worker takes
fewer.  Each worker runs its chunk with the ordinary anyio runner.  The
parent relays every step as it commits and each target as its chunk ends,
then assembles one :class:`RunReport` in the order a single process reports.

A worker that dies fails the targets of its chunk in flight (with a one-line
error; their committed steps stay committed) and the others finish the rest.
With ``fail_fast`` the first failure cancels the workers, and every target
not finished is reported ``cancelled``.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.buffered import BufferedByteReceiveStream

from .._reports import DatabaseReport, RunReport, StepReport
from ..errors import AsyncmigError, CommandError
from .job_protocol import Setup, TargetKey, decode, encode, report_from_dict, step_from_dict

if TYPE_CHECKING:
    from .._config import Config

__all__ = (
    "Setup",
    "Targets",
    "available_cores",
    "chunks",
    "list_targets",
    "run_jobs",
    "worker_count",
)

OnStep = Callable[[StepReport], None]
OnTarget = Callable[[DatabaseReport], None]
OnOutput = Callable[[str], None]

# Schemas per chunk: enough that a chunk keeps a worker's runner busy, few enough that
# the chunks balance the workers and report targets done as the run goes.
_CHUNKS_PER_WORKER = 4
_MAX_SCHEMAS_PER_CHUNK = 60
_MAX_LINE = 256 * 1024 * 1024


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def worker_count(jobs: int | None, targets: int) -> int:
    """``--jobs`` (default: the cores), capped by the number of targets, at least 1."""
    wanted = available_cores() if jobs is None else jobs
    return max(1, min(wanted, targets))


@dataclass
class Targets:
    """The targets of a run, in report order, and the databases already reported."""

    order: list[str] = field(default_factory=list)  # the databases, as selected
    keys: list[TargetKey] = field(default_factory=list)
    tenanted: set[str] = field(default_factory=set)
    reports: dict[str, list[DatabaseReport]] = field(default_factory=dict)  # failed or skipped


async def list_targets(config: Config, databases: Sequence[str] | None) -> Targets:
    """Every target of the selected databases, each schemas query run once, here."""
    found = Targets()
    selected = config.select(databases)
    tenanted = [db for db in selected if db.schemas is not None or db.schemas_query is not None]
    if not tenanted:  # no database to ask: nothing of the runtime to import either
        found.order = [db.name for db in selected]
        found.keys = [(db.name, None) for db in selected]
        return found
    from .._dialects import backend_for
    from .._runtime import engines as _engines
    from .._runtime.failures import unexpected
    from .._runtime.script_cache import ScriptCache
    from .._runtime.targets import backend_name, is_tenanted, live_targets

    scripts = ScriptCache(config)
    for database in selected:
        found.order.append(database.name)
        if not is_tenanted(database):
            found.keys.append((database.name, None))
            continue
        found.tenanted.add(database.name)
        try:
            if database.schemas_query is None:
                dialect = backend_name(database)
                backend_for(dialect).tenancy(dialect).check(database)
                found.keys.extend((database.name, s) for s in dict.fromkeys(database.schemas or ()))
                continue
            loaded = await scripts.load(database, graph=False)
            lease = await _engines.lease_engine(database, None, loaded.env_module)
            try:
                targets, _ = await live_targets(database, lease.engine)
            finally:
                await lease.close()
        except AsyncmigError as exc:
            found.reports[database.name] = [_failed(database.name, None, exc)]
            continue
        except Exception as exc:  # still this database's one-line error
            error = unexpected(database.name, database.masked_url, exc)
            found.reports[database.name] = [_failed(database.name, None, error)]
            continue
        if not targets:
            found.reports[database.name] = [DatabaseReport(database.name, status="skipped")]
        found.keys.extend((database.name, target.schema) for target in targets)
    return found


def _failed(database: str, schema: str | None, error: AsyncmigError) -> DatabaseReport:
    return DatabaseReport(database, schema, status="failed", error=error)


def chunks(targets: Targets, workers: int) -> list[list[TargetKey]]:
    """The targets cut into the chunks handed out: plain databases first, then schemas."""
    plain = [key for key in targets.keys if key[1] is None]
    out: list[list[TargetKey]] = []
    if plain:
        size = math.ceil(len(plain) / workers)
        out.extend(plain[i : i + size] for i in range(0, len(plain), size))
    by_database: dict[str, list[TargetKey]] = {}
    for key in targets.keys:
        if key[1] is not None:
            by_database.setdefault(key[0], []).append(key)
    for keys in by_database.values():
        size = math.ceil(len(keys) / (workers * _CHUNKS_PER_WORKER))
        size = max(1, min(size, _MAX_SCHEMAS_PER_CHUNK))
        out.extend(keys[i : i + size] for i in range(0, len(keys), size))
    return out


@dataclass
class _Run:
    """The parent's side: the chunk queue, what each worker holds, what came back."""

    setup: Setup
    on_step: OnStep | None
    on_target: OnTarget | None
    on_output: OnOutput | None
    queue: deque[tuple[int, list[TargetKey]]]
    steps: dict[TargetKey, list[StepReport]] = field(default_factory=dict)
    finished: dict[TargetKey, DatabaseReport] = field(default_factory=dict)
    cancelled: bool = False
    stop: anyio.Event = field(default_factory=anyio.Event)

    def step(self, step: StepReport) -> None:
        self.steps.setdefault((step.database, step.schema), []).append(step)
        if self.on_step is not None:
            self.on_step(step)

    def finish(self, report: DatabaseReport) -> None:
        key = (report.database, report.schema)
        report.steps = self.steps.pop(key, [])
        self.finished[key] = report
        if self.on_target is not None:
            self.on_target(report)
        if report.status == "failed" and self.setup.fail_fast:
            self.cancel()

    def chunk_done(self, keys: Sequence[TargetKey], reports: Sequence[dict[str, Any]]) -> None:
        """A chunk's reports; a database that failed as a whole stands for its schemas."""
        for data in reports:
            self.finish(report_from_dict(data))
        missing = [k for k in keys if k not in self.finished and (k[0], None) not in self.finished]
        self.unfinished(missing, "failed", "its worker process did not report it")

    def cancel(self) -> None:
        if self.cancelled:
            return
        self.cancelled = True
        self.queue.clear()
        self.stop.set()

    def unfinished(self, keys: Sequence[TargetKey], status: str, error: str | None) -> None:
        """Report `keys` not reported by a worker, from the steps heard of them."""
        for key in keys:
            if key in self.finished:
                continue
            steps = self.steps.get(key, [])
            report = DatabaseReport(key[0], key[1], status=status)  # type: ignore[arg-type]  # failed or cancelled
            if steps:
                report.before = steps[0].from_revisions
                report.after = steps[-1].to_revisions
            if error is not None:
                where = f"{key[0]}:{key[1]}" if key[1] else key[0]
                report.error = CommandError(f"{where}: {error}")
            self.finish(report)

    async def worker(self, number: int) -> None:
        """Start one worker, feed it chunks until the queue is empty, collect what it says."""
        command = [sys.executable, "-m", "asyncmig._commands.job_worker"]
        process = await anyio.open_process(command, cwd=self.setup.cwd)
        assert process.stdin is not None
        assert process.stdout is not None
        assert process.stderr is not None
        held: dict[int, list[TargetKey]] = {}
        stdin = process.stdin

        async def hand_out() -> None:
            if self.queue:
                chunk_id, keys = self.queue.popleft()
                held[chunk_id] = keys
                message = {"chunk": chunk_id, "targets": [list(key) for key in keys]}
                await stdin.send(encode(message))
            else:
                await stdin.send(encode({"end": True}))

        fatal: str | None = None
        try:
            await stdin.send(encode({"setup": self.setup.to_dict()}))
            await hand_out()
            async with anyio.create_task_group() as group:
                group.start_soon(self._relay, process.stderr)
                group.start_soon(self._cancel_on_stop, stdin)
                lines = BufferedByteReceiveStream(process.stdout)
                while True:
                    try:
                        line = await lines.receive_until(b"\n", _MAX_LINE)
                    except (anyio.EndOfStream, anyio.IncompleteRead):
                        break
                    message = decode(line)
                    if "step" in message:
                        self.step(step_from_dict(message["step"]))
                    elif "done" in message:
                        self.chunk_done(held.pop(message["done"]), message["reports"])
                        if not self.cancelled:
                            await hand_out()
                    elif "fatal" in message:
                        fatal = message["fatal"]
                group.cancel_scope.cancel()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass  # it died; its exit status says how
        finally:
            with anyio.CancelScope(shield=True):
                status = await process.wait()
        if fatal is not None:
            raise CommandError(fatal)
        left = [key for keys in held.values() for key in keys]
        if self.cancelled:
            self.unfinished(left, "cancelled", None)
        elif left:
            self.unfinished(left, "failed", _died(number, process.pid, status))

    async def _cancel_on_stop(self, stdin: Any) -> None:
        await self.stop.wait()
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            await stdin.send(encode({"cancel": True}))  # unless it ended already

    async def _relay(self, stream: Any) -> None:
        lines = BufferedByteReceiveStream(stream)
        while True:
            try:
                line = await lines.receive_until(b"\n", _MAX_LINE)
            except (anyio.EndOfStream, anyio.IncompleteRead):
                return
            if self.on_output is not None:
                self.on_output(line.decode(errors="replace"))


def _died(number: int, pid: int, status: int) -> str:
    if status < 0:
        try:
            how = f"killed by {signal.Signals(-status).name}"
        except ValueError:
            how = f"killed by signal {-status}"
    else:
        how = f"exit status {status}"
    return (
        f"worker process {number} (pid {pid}) ended ({how}) before this target finished; "
        "its committed steps stay; run the command again to finish it"
    )


async def run_jobs(
    setup: Setup,
    targets: Targets,
    workers: int,
    *,
    on_step: OnStep | None = None,
    on_target: OnTarget | None = None,
    on_output: OnOutput | None = None,
) -> RunReport:
    """Run `setup`'s command over `targets` in `workers` processes; one report, in order."""
    from .._runtime.requests import Request

    queue = deque(enumerate(chunks(targets, workers)))
    run = _Run(setup, on_step, on_target, on_output, queue)
    for early in targets.reports.values():
        for database in early:
            run.finish(database)
    async with anyio.create_task_group() as group:
        for number in range(1, min(workers, len(queue)) + 1):
            group.start_soon(run.worker, number)
    # Every worker ended; what is still queued was never handed out.
    left = [key for _, keys in queue for key in keys]
    if run.cancelled:
        run.unfinished(left, "cancelled", None)
    else:
        run.unfinished(left, "failed", "not run: every worker process ended before it")
    request = Request(setup.command, setup.revisions, purge=setup.purge, tag=setup.tag)  # type: ignore[arg-type]  # a command the CLI checked
    report = RunReport(setup.command.replace("_", "-"), request.label)
    report.databases = _in_order(targets, run.finished)
    return report


def _in_order(targets: Targets, finished: dict[TargetKey, DatabaseReport]) -> list[DatabaseReport]:
    """The reports as one process gives them: by database, then by schema."""
    order: list[DatabaseReport] = []
    for name in targets.order:
        whole = finished.pop((name, None), None)  # a database, or a tenanted one that failed
        if whole is not None:
            order.append(whole)
        order.extend(
            finished.pop(key) for key in targets.keys if key[0] == name and key in finished
        )
    return order
