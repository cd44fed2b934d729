"""Offline mode (``--sql``): the same plan, rendered as SQL text with no connection.

The current revision cannot be read, so it is assumed: the start of a
``start:end`` target, or base.  From base the version table's CREATE TABLE is
rendered first.  Transactions are rendered as ``BEGIN;`` / ``COMMIT;`` where
Alembic renders them (dialects whose DDL is transactional, except SQLite), one
per step or one for all as online.
A tenant schema's script starts by creating (upgrade, stamp) and entering it.
"""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING

import anyio.to_thread

from .._dialects import backend_for
from . import version_table as vt
from .requests import check_known, plan, split_range
from .steps import TargetSetup, load_modules, run_step, step_report

if TYPE_CHECKING:
    from .._config import DatabaseConfig
    from .._reports import DatabaseReport
    from .._script.revision import RevisionMap, Step
    from .context import MigrationContext


async def render_offline(
    setup: TargetSetup, graph: RevisionMap, database: DatabaseConfig, report: DatabaseReport
) -> None:
    """Render the target's plan into ``report.sql`` (and its steps into ``report.steps``)."""
    url = database.require_url("--sql needs one to pick the SQL dialect")
    start, request = split_range(setup.request)
    heads = graph.resolve(start) if start not in (None, "base") else ()
    if start is not None:
        check_known(
            graph,
            heads,
            database=setup.database,
            table=setup.context_table(),
            location=str(setup.directory.location),
        )
    setup.request = request
    setup.opts["starting_rev"] = start
    steps = plan(request, graph, heads)
    await anyio.to_thread.run_sync(load_modules, setup, steps)
    buffer = io.StringIO()
    context = setup.context(url=url, output=buffer)
    report.before = heads
    # Scripts run here only write text; a worker thread keeps them off the event loop.
    await anyio.to_thread.run_sync(_render, context, setup, steps, start is None, report)
    report.sql = buffer.getvalue()


def _render(
    context: MigrationContext,
    setup: TargetSetup,
    steps: list[Step],
    from_base: bool,
    report: DatabaseReport,
) -> None:
    impl = context.impl
    transactional = impl.frames_offline_transactions
    per_step = bool(setup.opts.get("transaction_per_migration", True))
    heads = report.before
    create = from_base and (steps or setup.request.command == "ensure_version")
    batches = [[step] for step in steps] if per_step else [steps]
    if not steps and create:
        batches = [[]]
    if setup.schema is not None:
        creating = setup.request.command in ("upgrade", "stamp", "ensure_version")
        backend = backend_for(context.dialect)
        backend.tenancy(context.dialect.name).render(impl, setup.schema, create=creating)
    for number, batch in enumerate(batches):
        if transactional:
            impl.static_output("BEGIN;")
        if number == 0 and create:
            vt.ensure(context)
        for step in batch:
            started = time.perf_counter()
            before = ", ".join(step.from_revisions)
            after = ", ".join(step.to_revisions)
            impl.static_output(f"-- Running {step.direction} {before} -> {after}")
            run_step(context, step, setup)
            heads = step.heads_after(heads)
            report.steps.append(step_report(setup, step, (time.perf_counter() - started) * 1000))
        if transactional:
            impl.static_output("COMMIT;")
    report.after = heads
