"""Lint a range of revisions of every selected database: plan, capture offline, check.

The range is planned as ``upgrade`` plans it (downgrades are not linted): the
revisions not yet applied to the database (read from its version table), every
revision (``all_revisions``), ``start:end`` (empty start: base, empty end:
heads, ``current`` read from the database), or one revision alone (``REV``,
planned from its own parents).  Scripts then run offline, for the dialect of
the database's URL, through :func:`~.capture.capture_steps`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread

from .._runtime.reading import read_current
from .._runtime.requests import Request, plan
from .._runtime.script_cache import ScriptCache
from .._runtime.steps import TargetSetup, context_options, load_modules
from .._runtime.targets import Target
from ..errors import AsyncmigError, CommandError
from .capture import capture_steps
from .check import Checker
from .report import LintFinding, LintReport
from .rules import dialect_family, rule
from .suppress import Suppression, read_suppressions

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._config import Config, DatabaseConfig
    from .._script.revision import RevisionMap

__all__ = ("lint_databases",)

_OFF = frozenset({"", "0", "0s", "0ms", "off", "false", "none"})


async def lint_databases(
    config: Config,
    rev_range: str | None,
    *,
    all_revisions: bool,
    databases: Sequence[str] | None,
    engines: Mapping[str, AsyncEngine] | None,
) -> LintReport:
    """Lint the range on every selected database, one after the other."""
    if all_revisions and rev_range:
        raise CommandError("give a revision range or --all, not both")
    report = LintReport()
    cache = ScriptCache(config)
    for database in config.select(databases):
        await _lint_one(
            config,
            database,
            rev_range=rev_range,
            all_revisions=all_revisions,
            engines=engines,
            cache=cache,
            report=report,
        )
    return report


async def _lint_one(
    config: Config,
    database: DatabaseConfig,
    *,
    rev_range: str | None,
    all_revisions: bool,
    engines: Mapping[str, AsyncEngine] | None,
    cache: ScriptCache,
    report: LintReport,
) -> None:
    url = database.require_url("lint needs one to pick the SQL dialect")
    loaded, graph = await cache.require_graph(database)
    start, end = await _range(
        config,
        database,
        graph=graph,
        rev_range=rev_range,
        all_revisions=all_revisions,
        engines=engines,
    )
    request = Request("upgrade", (end,))
    steps = plan(request, graph, start)
    table, schema = Target(database).version_table(config)
    opts = await anyio.to_thread.run_sync(
        partial(
            context_options,
            config,
            table,
            schema,
            database=database.name,
            env_module=loaded.env_module,
        )
    )
    # as offline rendering passes it: one revision as a string, several as a tuple
    opts["starting_rev"] = start[0] if len(start) == 1 else (start or None)
    setup = TargetSetup(config, database.name, None, loaded.directory, request, opts)
    await anyio.to_thread.run_sync(load_modules, setup, steps)
    captures, context = await anyio.to_thread.run_sync(capture_steps, setup, steps, url)
    checker = Checker(
        database=database.name,
        family=dialect_family(context.dialect.name),
        dialect=context.dialect,
        transactional=bool(context.impl.transactional_ddl),
        per_step=bool(opts.get("transaction_per_migration", True)),
        configured_timeout=_timeout_configured(config, database),
    )
    report.revisions[database.name] = tuple(capture.revision for capture in captures)
    for capture in captures:
        source = await anyio.to_thread.run_sync(_read, capture.path)
        suppressions = read_suppressions(source)
        shown = _shown_path(capture.path)
        for finding in checker.step(capture):
            _file(report, _with_path(finding, shown), suppressions)
        for problem in (s for s in suppressions if s.problem is not None):
            _file(report, _invalid(database.name, capture.revision, shown, problem), [])


async def _range(
    config: Config,
    database: DatabaseConfig,
    *,
    graph: RevisionMap,
    rev_range: str | None,
    all_revisions: bool,
    engines: Mapping[str, AsyncEngine] | None,
) -> tuple[tuple[str, ...], str]:
    """The heads the range starts from, and the target it ends at."""
    if all_revisions:
        return (), "heads"
    if rev_range is None:
        return await _applied(config, database, engines), "heads"
    if ":" not in rev_range:
        return tuple(graph.get(rev_range).down_revision), graph.get(rev_range).revision
    start, _, end = rev_range.partition(":")
    end = end or "heads"
    if start in ("", "base"):
        return (), end
    if start == "current":
        return await _applied(config, database, engines), end
    return graph.resolve(start), end


async def _applied(
    config: Config, database: DatabaseConfig, engines: Mapping[str, AsyncEngine] | None
) -> tuple[str, ...]:
    try:
        found = await read_current(config, [database.name], engines)
    except AsyncmigError as exc:
        raise CommandError(
            f"lint: cannot read which revisions database {database.name!r} has applied "
            f"({exc}); lint a range instead (e.g. `asyncmig lint base:heads`) or every "
            "revision with --all"
        ) from exc
    return next(iter(found.values()), ())


def _timeout_configured(config: Config, database: DatabaseConfig) -> bool:
    value = database.options.get("ddl_lock_timeout", config.options.get("ddl_lock_timeout"))
    return value is not None and str(value).strip().lower() not in _OFF


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _shown_path(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return path if relative.startswith("..") else relative


def _with_path(finding: LintFinding, path: str) -> LintFinding:
    from dataclasses import replace

    return replace(finding, path=path)


def _file(report: LintReport, finding: LintFinding, suppressions: Sequence[Suppression]) -> None:
    for suppression in suppressions:
        if suppression.problem is None and finding.rule in suppression.rules:
            from dataclasses import replace

            report.suppressed.append(replace(finding, suppressed=suppression.reason))
            return
    report.findings.append(finding)


def _invalid(database: str, revision: str, path: str, suppression: Suppression) -> LintFinding:
    found = rule("invalid-suppression")
    return LintFinding(
        rule=found.id,
        severity="error",
        database=database,
        revision=revision,
        path=path,
        line=suppression.line,
        message=f"this allow comment suppresses nothing: {suppression.problem}",
        reason=found.reason,
        fix=found.fix,
    )
