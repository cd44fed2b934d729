"""The ``asyncmig`` command line: parse, run one command under anyio, print.

This is the only module that prints.  Each subcommand's help is the first
line of its command function's docstring.  Errors asyncmig raises on purpose
(:class:`~asyncmig.errors.AsyncmigError`) print one line and exit 1; usage
errors exit 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

from ._commands import autogen as autogen_commands
from ._commands import checksums as checksum_commands
from ._commands import database as db_commands
from ._commands import lint as lint_commands
from ._commands import scripts as script_commands
from ._config import Config, parse_x_arguments
from ._progress import Progress
from ._reports import (
    DatabaseReport,
    FleetSummary,
    LedgerEntry,
    RevisionInfo,
    RunReport,
    StepReport,
)
from .errors import AsyncmigError, CommandError

# A handler returns its exit status, or an awaitable of it that main() runs under anyio.
Handler = Callable[[argparse.Namespace], "int | Awaitable[int]"]


def _summary(fn: Callable[..., Any]) -> str:
    # Docstrings are reST; --help is plain text.
    return (fn.__doc__ or "").strip().splitlines()[0].replace("``", "")


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2))


def _load_config(args: argparse.Namespace) -> Config:
    return Config.load(args.config, url=args.url, x_arguments=parse_x_arguments(args.x or []))


def _one_database(args: argparse.Namespace) -> str | None:
    names: list[str] = args.db or []
    if len(names) > 1:
        raise CommandError("this command works on one script history at a time; give one --db")
    return names[0] if names else None


# -- formatting ---------------------------------------------------------------------------


def _markers(info: RevisionInfo) -> str:
    parts = [f"({label})" for label in info.branch_labels]
    if info.is_head:
        parts.append("(head)")
    if info.is_branch_point:
        parts.append("(branchpoint)")
    if info.is_merge_point:
        parts.append("(mergepoint)")
    if info.is_current:
        parts.append("(current)")
    return " ".join(parts)


def _parents(info: RevisionInfo) -> str:
    if not info.down_revisions:
        return "<base>"
    if len(info.down_revisions) == 1:
        return info.down_revisions[0]
    return f"({', '.join(info.down_revisions)})"


def _short(info: RevisionInfo, *, with_parents: bool = True) -> str:
    line = f"{info.revision} {_markers(info)}".rstrip()
    if with_parents:
        line = f"{_parents(info)} -> {line}"
    return f"{line}, {info.message}" if with_parents else line


def _verbose(info: RevisionInfo) -> str:
    lines = [f"Rev: {info.revision} {_markers(info)}".rstrip()]
    key = "Merges" if len(info.down_revisions) > 1 else "Parent"
    lines.append(f"{key}: {', '.join(info.down_revisions) or '<base>'}")
    if info.depends_on:
        lines.append(f"Also depends on: {', '.join(info.depends_on)}")
    if info.is_branch_point:
        lines.append(f"Branches into: {', '.join(info.children)}")
    if info.branch_labels:
        lines.append(f"Branch names: {', '.join(info.branch_labels)}")
    lines.append(f"Path: {info.path}")
    lines.append("")
    lines.extend(f"    {line}".rstrip() for line in (info.doc or info.message).splitlines())
    lines.append("")
    return "\n".join(lines)


def _print_revisions(
    infos: Sequence[RevisionInfo], args: argparse.Namespace, **short: bool
) -> None:
    if args.json:
        _print_json([info.to_dict() for info in infos])
        return
    for info in infos:
        print(_verbose(info) if args.verbose else _short(info, **short))


def _step_line(step: StepReport) -> str:
    where = f"{step.database}:{step.schema}" if step.schema else step.database
    before = ", ".join(step.from_revisions) or "<base>"
    after = ", ".join(step.to_revisions) or "<base>"
    return (
        f"[{where}] {step.direction} {before} -> {after}, {step.message} ({step.elapsed_ms:.0f} ms)"
    )


def _print_run(report: RunReport, args: argparse.Namespace) -> int:
    # Step lines were printed as each step committed (see _run_options); here the rest.
    if args.json:
        _print_json(report.to_dict())
    elif getattr(args, "sql", False):
        _print_sql(report.databases)
    elif len(report.databases) > 1 and not args.quiet:
        _print_summary(report.databases)
        _print_fleet_outcome(report)
    for db in report.databases:
        if db.error is not None:
            if args.traceback:
                traceback.print_exception(db.error, file=sys.stderr)
            print(f"asyncmig: error: {db.error}", file=sys.stderr)
    if report.stopped is not None and not args.json:
        print(f"asyncmig: stopped: {report.stopped}", file=sys.stderr)
    return 0 if report.ok else 1


def _print_fleet(summary: FleetSummary, args: argparse.Namespace) -> int:
    if args.json:
        _print_json(summary.to_dict())
    elif not args.quiet:
        for database, counts in summary.counts().items():
            heads = set(summary.heads.get(database, ()))
            total = sum(counts.values())
            print(f"{database}: {total} target{'s' if total != 1 else ''}")
            for label, count in sorted(counts.items(), key=lambda item: -item[1]):
                marker = " (head)" if set(label.split(", ")) == heads else ""
                print(f"  {count:>6}  {label}{marker}")
        if summary.failures:
            print(f"failed last time: {len(summary.failures)}")
            for failure in summary.failures:
                when = failure.failed_at.strftime("%Y-%m-%d %H:%M:%S") + "Z"
                print(f"  {failure.target}  {when}  {failure.runner}: {failure.error}")
    for error in summary.errors.values():
        print(f"asyncmig: error: {error}", file=sys.stderr)
    return 1 if summary.errors else 0


def _print_fleet_outcome(report: RunReport) -> None:
    """Where other runners took part or targets did not start: one line of counts."""
    not_started = any(db.status == "not-started" for db in report.databases)
    if not (report.done_by_others or not_started):
        return
    counts = {
        "migrated": len(report.migrated),
        "done by another runner": len(report.done_by_others),
        "up to date": len(report.up_to_date),
        "failed": sum(db.status == "failed" for db in report.databases),
        "not started": sum(db.status == "not-started" for db in report.databases),
        "cancelled": sum(db.status == "cancelled" for db in report.databases),
    }
    print(", ".join(f"{label}: {n}" for label, n in counts.items() if n))


def _print_sql(databases: Sequence[DatabaseReport]) -> None:
    for db in databases:
        if db.sql is None:  # failed before rendering anything; its error follows
            continue
        if len(databases) > 1:
            print(f"-- database: {db.target}")
        print(db.sql, end="" if db.sql.endswith("\n") else "\n")


def _print_summary(databases: Sequence[DatabaseReport]) -> None:
    rows = [("database", "from", "to", "steps", "time", "status")]
    for db in databases:
        rows.append(
            (
                db.target,
                ", ".join(db.before) or "<base>",
                ", ".join(db.after) or "<base>",
                str(len(db.steps)),
                f"{db.elapsed_ms:.0f} ms",
                db.status,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


# -- handlers -----------------------------------------------------------------------------


async def _init(args: argparse.Namespace) -> int:
    created = await script_commands.init(args.directory, args.template, package=args.package)
    if not args.quiet:
        for path in created:
            print(f"created {path}")
    return 0


async def _list_templates(args: argparse.Namespace) -> int:
    for template in await script_commands.list_templates():
        print(f"{template.name} - {template.description}")
    print(
        "\nTemplates are used via the 'init' command, e.g.:\n\n"
        "  asyncmig init --template generic ./migrations"
    )
    return 0


async def _revision(args: argparse.Namespace) -> int:
    if args.autogenerate:
        return await _autogenerate(args)
    info = await script_commands.revision(
        _load_config(args),
        args.message,
        head=args.head,
        splice=args.splice,
        branch_label=args.branch_label,
        depends_on=args.depends_on,
        version_path=args.version_path,
        rev_id=args.rev_id,
        database=_one_database(args),
    )
    if not args.quiet:
        print(f"Generating {info.path} ...  done")
    return 0


def _where(database: str, text: str) -> str:
    return f"[{database}] {text}"


async def _autogenerate(args: argparse.Namespace) -> int:
    info = await script_commands.revision(
        _load_config(args),
        args.message,
        head=args.head,
        splice=args.splice,
        branch_label=args.branch_label,
        depends_on=args.depends_on,
        version_path=args.version_path,
        rev_id=args.rev_id,
        autogenerate=True,
        databases=args.db or None,
    )
    if args.quiet:
        return 0
    if info is None:
        print("No revision written: env.py's process_revision_directives removed it.")
        return 0
    for diff in info.differences:
        print(_where(diff.database, f"detected {diff.description}"))
    for database, notes in info.notes.items():
        for note in notes:
            print(_where(database, f"note: {note}"))
    if info.empty:
        print("No changes detected; the new revision is empty.")
    print(f"Generating {info.path} ...  done")
    await _lint_written(args, info.revision)
    return 0


async def _check(args: argparse.Namespace) -> int:
    report = await autogen_commands.check(_load_config(args), databases=args.db or None)
    if args.json:
        _print_json(report.to_dict())
    elif not args.quiet:
        for diff in report.differences:
            print(_where(diff.database, diff.description))
        if report.ok:
            print("No new upgrade operations detected.")
    if report.ok:
        return 0
    print(
        f"asyncmig: error: {len(report.differences)} new upgrade operation(s) detected; "
        "run `asyncmig revision --autogenerate` to write them",
        file=sys.stderr,
    )
    return 1


async def _merge(args: argparse.Namespace) -> int:
    info = await script_commands.merge(
        _load_config(args),
        args.revisions,
        message=args.message,
        branch_label=args.branch_label,
        rev_id=args.rev_id,
        database=_one_database(args),
    )
    if not args.quiet:
        print(f"Generating {info.path} ...  done")
    return 0


# heads, branches, history and show read only files: unless a database's current
# revisions are asked for, they run synchronously, without starting an event loop.


def _heads(args: argparse.Namespace) -> int:
    infos = script_commands.list_heads(
        _load_config(args),
        resolve_dependencies=args.resolve_dependencies,
        database=_one_database(args),
    )
    _print_revisions(infos, args, with_parents=False)
    return 0


def _branches(args: argparse.Namespace) -> int:
    infos = script_commands.list_branches(_load_config(args), database=_one_database(args))
    if args.json or args.verbose:
        _print_revisions(infos, args)
        return 0
    for info in infos:
        print(_short(info, with_parents=False))
        for child in info.children:
            print(f"    -> {child}")
    return 0


def _history(args: argparse.Namespace) -> int | Awaitable[int]:
    if args.applied:
        return _history_applied(args)
    if args.indicate_current or script_commands.needs_current(args.rev_range):
        return _history_with_current(args)
    infos = script_commands.list_history(
        _load_config(args), args.rev_range, database=_one_database(args)
    )
    _print_revisions(infos, args)
    return 0


async def _history_with_current(args: argparse.Namespace) -> int:
    infos = await script_commands.history(
        _load_config(args),
        args.rev_range,
        indicate_current=args.indicate_current,
        database=_one_database(args),
    )
    _print_revisions(infos, args)
    return 0


def _print_shown(infos: Sequence[RevisionInfo], args: argparse.Namespace) -> int:
    if args.json:
        _print_json([info.to_dict() for info in infos])
    else:
        for info in infos:
            print(_verbose(info))
    return 0


def _show(args: argparse.Namespace) -> int | Awaitable[int]:
    config, database = _load_config(args), _one_database(args)
    if script_commands.needs_current(args.revision):
        return _show_with_current(args, config, database)
    return _print_shown(script_commands.list_shown(config, args.revision, database=database), args)


async def _show_with_current(args: argparse.Namespace, config: Config, database: str | None) -> int:
    return _print_shown(await script_commands.show(config, args.revision, database=database), args)


async def _edit(args: argparse.Namespace) -> int:
    await script_commands.edit(_load_config(args), args.revision, database=_one_database(args))
    return 0


def _run_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"databases": args.db or None, "raise_on_error": False}
    for name in ("sql", "concurrency", "fail_fast", "canary", "max_failures", "tag", "purge"):
        if hasattr(args, name):
            options[name] = getattr(args, name)
    if getattr(args, "no_lock", False):
        options["lock"] = False
    if not (args.quiet or args.json or getattr(args, "sql", False)):
        # Live: each line as its step commits, while other databases keep running.
        options["on_step"] = lambda step: print(_step_line(step), flush=True)
    return options


async def _upgrade(args: argparse.Namespace) -> int:
    return await _run_targets(args, db_commands.upgrade, [args.revision])


async def _downgrade(args: argparse.Namespace) -> int:
    return await _run_targets(args, db_commands.downgrade, [args.revision])


async def _stamp(args: argparse.Namespace) -> int:
    return await _run_targets(args, db_commands.stamp, args.revisions)


async def _run_targets(
    args: argparse.Namespace, command: Callable[..., Awaitable[RunReport]], revisions: list[str]
) -> int:
    """Run in this process or, with more than one job, in worker processes; one report."""
    config = _load_config(args)
    options = _run_options(args)
    progress = None if "on_step" not in options else Progress(sys.stderr)
    if progress is not None:
        options["on_step"] = partial(_show_step, progress)
        selected = config.select(args.db or None)
        if not any(db.schemas is not None or db.schemas_query for db in selected):
            progress.set_total(len(selected))  # known without asking a database
    try:
        report = await _run_in_jobs(args, config, (command.__name__, revisions), options, progress)
        if report is None:
            arguments = revisions if command is db_commands.stamp else revisions[0]
            report = await command(config, arguments, **options)
            for db in report.databases:
                if progress is not None:
                    progress.target_done(failed=db.status == "failed")
    finally:
        if progress is not None:
            progress.close()
    return _print_run(report, args)


async def _run_in_jobs(
    args: argparse.Namespace,
    config: Config,
    what: tuple[str, list[str]],
    options: dict[str, Any],
    progress: Progress | None,
) -> RunReport | None:
    """The report of a run over worker processes; None: one process it is (``--jobs 1``...)."""
    if args.jobs == 1 or options.get("sql") or options.get("canary") or options.get("max_failures"):
        return None
    from ._commands import jobs  # spawns processes: imported only by the runs that may

    command, revisions = what
    targets = await jobs.list_targets(config, args.db or None)
    workers = jobs.worker_count(args.jobs, len(targets.keys))
    if progress is not None:
        progress.set_total(len(targets.keys) + sum(map(len, targets.reports.values())))
    if workers < 2:
        return None
    setup = jobs.Setup(
        config_path=args.config,
        cwd=os.getcwd(),
        url=args.url,
        x_arguments=parse_x_arguments(args.x or []),
        command=command,
        revisions=tuple(revisions),
        purge=options.get("purge", False),
        tag=options.get("tag"),
        concurrency=options.get("concurrency"),
        fail_fast=options.get("fail_fast", False),
        lock=options.get("lock"),
    )
    return await jobs.run_jobs(
        setup,
        targets,
        workers,
        on_step=options.get("on_step"),
        on_target=None
        if progress is None
        else lambda db: progress.target_done(failed=db.status == "failed"),
        on_output=lambda text: _print_above(progress, text.rstrip("\n")),
    )


def _show_step(progress: Progress, step: StepReport) -> None:
    progress.step()
    progress.line(_step_line(step), sys.stdout)


def _print_above(progress: Progress | None, text: str) -> None:
    if progress is None:
        print(text, file=sys.stderr, flush=True)
    else:
        progress.line(text, sys.stderr)


async def _ensure_version(args: argparse.Namespace) -> int:
    report = await db_commands.ensure_version(
        _load_config(args), sql=args.sql, databases=args.db or None
    )
    return _print_run(report, args)


async def _current(args: argparse.Namespace) -> int:
    if args.summary:
        if args.wait is not None or args.check_heads:
            args.command_parser.error("--summary reads once; it takes no --wait or --check-heads")
        summary = await db_commands.fleet_summary(_load_config(args), databases=args.db or None)
        return _print_fleet(summary, args)
    config = _load_config(args)
    databases = args.db or None
    errors: dict[str, AsyncmigError] = {}
    if args.wait is not None:
        found = await db_commands.wait_for_head(config, timeout=args.wait, databases=databases)
    else:
        found = await db_commands.current(config, databases=databases, errors=errors)
    # Keys are "db" or "db:schema"; each database's heads come from its own history.
    by_location: dict[object, set[str]] = {}
    heads: dict[str, set[str]] = {}
    for key in found:
        name = key.split(":", 1)[0]
        location = config.database(name).script_location
        if location not in by_location:
            infos = await script_commands.heads(config, database=name)
            by_location[location] = {info.revision for info in infos}
        heads[key] = by_location[location]
    if args.json:
        shown: dict[str, Any] = {name: list(revs) for name, revs in found.items()}
        shown.update((name, {"error": str(error)}) for name, error in errors.items())
        _print_json(shown)
    elif not args.quiet:
        prefix = len(found) > 1 or set(found) != {"main"} or bool(errors)
        for name, revs in found.items():
            for rev in revs or ("<base>",):
                marker = " (head)" if rev in heads[name] else ""
                line = f"{rev}{marker}"
                print(f"{name}: {line}" if prefix else line)
                if args.verbose and not prefix:
                    print(f"    database: {config.database(name).masked_url}")
    for error in errors.values():
        if args.traceback:
            traceback.print_exception(error, file=sys.stderr)
        print(f"asyncmig: error: {error}", file=sys.stderr)
    if errors:
        return 1
    if args.check_heads and args.wait is None:
        _check_heads(config, found, heads)
    return 0


def _check_heads(
    config: Config, found: dict[str, tuple[str, ...]], heads: dict[str, set[str]]
) -> None:
    """CommandError unless every target is at its heads, with the command that fixes it."""
    behind = sorted(key for key, revs in found.items() if set(revs) != heads[key])
    if not behind:
        return
    unknown: set[str] = set()
    for key in behind:
        infos = script_commands.list_history(config, database=key.split(":", 1)[0])
        known = {info.revision for info in infos}
        unknown.update(rev for rev in found[key] if rev not in known)
    if unknown:
        raise CommandError(
            f"not at head: {', '.join(behind)}; the database records "
            f"{', '.join(sorted(unknown))}, which no script declares: if the scripts are "
            "right, record where the database really is with `asyncmig stamp <revision>`"
        )
    raise CommandError(f"not at head: {', '.join(behind)}; run `asyncmig upgrade head`")


# -- the applied-history ledger ------------------------------------------------------------


def _ledger_line(entry: LedgerEntry) -> str:
    when = entry.applied_at.strftime("%Y-%m-%d %H:%M:%S") + "Z"
    status = "ok" if entry.success else "FAILED"
    took = f"{entry.duration_ms} ms" if entry.duration_ms is not None else "-"
    digest = f"sha256 {entry.checksum[:12]}" if entry.checksum else "-"
    who = f"by {entry.db_user or '-'} ({entry.os_user or '-'})"
    version = f"asyncmig {entry.asyncmig_version or '?'}"
    return "  ".join(
        (when, f"{entry.direction:<9}", entry.revision, status, took, digest, who, version)
    )


async def _history_applied(args: argparse.Namespace) -> int:
    if args.rev_range or args.indicate_current:
        args.command_parser.error("--applied shows the ledger; it takes no -r or -i")
    found = await checksum_commands.applied_history(_load_config(args), databases=args.db or None)
    if args.json:
        _print_json({key: [entry.to_dict() for entry in rows] for key, rows in found.items()})
        return 0
    prefix = len(found) > 1 or set(found) != {"main"}
    for key, rows in found.items():
        lines = [_ledger_line(entry) for entry in rows] or ["no ledger rows yet"]
        for line in lines:
            print(_where(key, line) if prefix else line)
    return 0


async def _validate(args: argparse.Namespace) -> int:
    report = await checksum_commands.validate(_load_config(args), databases=args.db or None)
    if args.json:
        _print_json(report.to_dict())
    elif not args.quiet:
        for key in report.revisions:
            checked, unrecorded = len(report.checked[key]), len(report.unrecorded[key])
            line = f"{checked} applied script(s) match their checksum"
            if unrecorded:
                line += f"; {unrecorded} applied before the ledger (nothing to compare)"
            print(_where(key, line))
            for note in report.notes.get(key, ()):
                print(_where(key, f"note: {note}"))
        for problem in report.problems:
            print(_where(problem.database, problem.describe()))
    if report.ok:
        return 0
    named = ", ".join(dict.fromkeys(p.path or p.revision for p in report.problems))
    print(
        f"asyncmig: error: {len(report.problems)} applied migration script(s) edited or "
        f"missing ({named}); restore a missing one, and run `asyncmig repair --accept "
        "<revision>` after checking an edit",
        file=sys.stderr,
    )
    return 1


async def _repair(args: argparse.Namespace) -> int:
    report = await checksum_commands.repair(
        _load_config(args),
        accept=args.accept or (),
        fix=args.fix,
        resolved=args.resolved or (),
        databases=args.db or None,
    )
    if args.json:
        _print_json(report.to_dict())
    elif not args.quiet:
        for entry in report.accepted:
            digest = entry.checksum[:12] if entry.checksum else "-"
            line = f"accepted {entry.revision} as its script is now (sha256 {digest})"
            print(_where(entry.database, line))
        for key, notes in report.notes.items():
            for note in notes:
                print(_where(key, f"note: {note}"))
        for step in report.unfinished:
            print(_where(step.database, step.describe()))
            details = [f"left behind: {leftover}" for leftover in step.leftovers]
            details += [f"removed: {leftover}" for leftover in step.removed]
            details.append(f"{'done' if step.resolved else 'to do'}: {step.advice}")
            for line in details:
                print(_where(step.database, f"  {line}"))
        if not report.accepted and not report.unfinished:
            print("no unfinished steps")
    if report.ok:
        return 0
    pending = [step.revision for step in report.unfinished if not step.resolved]
    print(
        f"asyncmig: error: {len(pending)} step(s) stopped part-way and are not resolved "
        f"({', '.join(dict.fromkeys(pending))}); upgrade and downgrade will not run until "
        "they are (`asyncmig repair` says what to do)",
        file=sys.stderr,
    )
    return 1


# -- lint ---------------------------------------------------------------------------------


async def _lint(args: argparse.Namespace) -> int:
    from ._lint.text import report_lines

    report = await lint_commands.lint(
        _load_config(args), args.rev_range, all_revisions=args.all, databases=args.db or None
    )
    if args.json:
        _print_json(report.to_dict())
    elif not args.quiet or not report.ok:
        print("\n".join(report_lines(report)))
    return 0 if report.ok else 1


async def _lint_written(args: argparse.Namespace, revision: str) -> None:
    """The lint findings of the script autogenerate just wrote (they never fail it)."""
    from ._lint.text import finding_lines

    try:
        report = await lint_commands.lint(_load_config(args), revision, databases=args.db or None)
    except AsyncmigError as exc:
        print(f"lint: the new revision was not linted: {exc}")
        return
    for finding in report.findings:
        print("\n".join(finding_lines(finding, database=len(report.revisions) > 1)))
    if report.findings:
        print(
            f"lint: {len(report.findings)} finding(s) in {revision}; edit the script, or "
            "suppress one with `# asyncmig: allow <rule-id> -- <reason>`"
        )


async def _test_history(args: argparse.Namespace) -> int:
    """Run the history checks (the pytest plugin's, by the same names) on each database."""
    import tempfile
    from pathlib import Path

    from .testing._checks import CheckOptions, CheckResult, check_history

    skip: dict[str, str] = {}
    for item in args.skip or []:
        rev, sep, reason = item.partition("=")
        if not sep or not rev or not reason:
            args.command_parser.error(f"--skip expects REVISION=REASON, not {item!r}")
        skip[rev] = reason

    def show(result: CheckResult) -> None:
        status = "skip" if result.skipped else "ok" if result.ok else "FAIL"
        line = f"{status} {result.name} [{result.database}]"
        if result.message and (not result.ok or not args.quiet):
            line += f": {result.message}"
        if result.ok and args.quiet:
            return
        print(line, flush=True)

    with tempfile.TemporaryDirectory(prefix="asyncmig-checks-") as folder:
        results = await check_history(
            _load_config(args),
            checks=args.check or None,
            databases=args.db or None,
            options=CheckOptions(start=args.start, skip=skip),
            folder=Path(folder),
            on_result=show,
        )
    return 0 if all(result.ok for result in results) else 1


# -- parser -------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value >= 0:  # also NaN
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds, 0 or more (0: do not wait), not {text!r}"
        )
    return value


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def _add_run_flags(parser: argparse.ArgumentParser, *, offline: bool = True) -> None:
    if offline:
        parser.add_argument("--sql", action="store_true", help="print SQL instead of running it")
        parser.add_argument("--tag", help="an arbitrary tag passed to the environment")
    parser.add_argument("--no-lock", action="store_true", help="do not take the migration lock")
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=None,
        metavar="N",
        help="migrate at most N databases at once (default: all)",
    )
    parser.add_argument(
        "--fail-fast",
        action="store_true",
        help="when a target fails (with --max-failures: the K-th), cancel the running ones "
        "and start no other",
    )
    parser.add_argument(
        "--canary",
        type=_positive_int,
        default=0,
        metavar="N",
        help="migrate N targets first; if any of them fails, start no other",
    )
    parser.add_argument(
        "--max-failures",
        type=_positive_int,
        default=None,
        metavar="K",
        help="start no new target after K have failed; the running ones finish "
        "(default: continue whatever fails)",
    )
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="split the databases and tenant schemas over N worker processes "
        "(default: the number of cores, at most one per target; 1: this process only)",
    )
    _add_json(parser)


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked (importlib.metadata is slow to import)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"asyncmig {version('asyncmig')}")
        except PackageNotFoundError:  # a source tree that is not installed
            print("asyncmig (not installed)")
        parser.exit()


_LATE = "late_"
# Global options, also accepted after the command: (dest, merged by appending).
_GLOBALS = (
    ("config", False),
    ("x", True),
    ("db", True),
    ("url", False),
    ("quiet", False),
    ("traceback", False),
)


def _add_globals(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """The options valid before the command (and, under `prefix` dests, after it)."""
    late = bool(prefix)
    suppress: dict[str, Any] = {"default": argparse.SUPPRESS} if late else {}
    parser.add_argument(
        "-c",
        "--config",
        dest=f"{prefix}config",
        metavar="CONFIG",
        help="configuration file (default: search the current folder)",
        **suppress,
    )
    parser.add_argument(
        "-x",
        dest=f"{prefix}x",
        action="append",
        metavar="KEY=VALUE",
        help="extra argument for env.py and scripts",
        **suppress,
    )
    parser.add_argument(
        "--db",
        dest=f"{prefix}db",
        action="append",
        metavar="NAME",
        help="act on this database only (repeatable)",
        **suppress,
    )
    parser.add_argument(
        "--url",
        dest=f"{prefix}url",
        metavar="URL",
        help="database URL, overriding the configuration",
        **suppress,
    )
    parser.add_argument(
        "-q",
        "--quiet",
        dest=f"{prefix}quiet",
        action="store_true",
        help="print only errors",
        **suppress,
    )
    parser.add_argument(
        "--traceback",
        dest=f"{prefix}traceback",
        action="store_true",
        help="show the full traceback of an error",
        **suppress,
    )


def _merge_globals(args: argparse.Namespace) -> None:
    """Fold global options given after the command into the ones given before it."""
    for name, appended in _GLOBALS:
        late = f"{_LATE}{name}"
        if not hasattr(args, late):
            continue
        value = getattr(args, late)
        delattr(args, late)
        if appended:
            setattr(args, name, [*(getattr(args, name) or []), *value])
        else:
            setattr(args, name, value)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, one subcommand per command function."""
    parser = argparse.ArgumentParser(
        prog="asyncmig", description="Async-first schema migrations for SQLAlchemy."
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    _add_globals(parser)
    late = argparse.ArgumentParser(add_help=False)
    _add_globals(late, prefix=_LATE)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        name: str, fn: Callable[..., Any], handler: Handler, *aliases: str
    ) -> argparse.ArgumentParser:
        cmd = sub.add_parser(
            name,
            aliases=list(aliases),
            help=_summary(fn),
            description=_summary(fn),
            parents=[late],
        )
        if aliases:  # accepted, but listed once, under the name
            sub._choices_actions[-1].metavar = name
        cmd.set_defaults(handler=handler, command_parser=cmd)
        return cmd

    cmd = command("init", script_commands.init, _init)
    cmd.add_argument("directory", help="the script directory to create")
    cmd.add_argument(
        "-t", "--template", default="generic", help="template to use (see list-templates)"
    )
    cmd.add_argument(
        "--package", action="store_true", help="write __init__.py files in the directories"
    )

    command("list-templates", script_commands.list_templates, _list_templates, "list_templates")

    cmd = command("revision", script_commands.revision, _revision)
    cmd.add_argument("-m", "--message", help="message for the revision")
    cmd.add_argument("--head", help="the revision to base the new one on (default: head)")
    cmd.add_argument("--splice", action="store_true", help="allow a non-head revision as --head")
    cmd.add_argument("--branch-label", action="append", help="a label for the new branch")
    cmd.add_argument("--depends-on", action="append", help="a revision the new one depends on")
    cmd.add_argument("--version-path", help="the version location to write the script into")
    cmd.add_argument("--rev-id", help="a revision id of your own instead of a generated one")
    cmd.add_argument(
        "--autogenerate",
        action="store_true",
        help="write the changes that turn the database (at head) into the target metadata",
    )

    cmd = command("merge", script_commands.merge, _merge)
    cmd.add_argument("revisions", nargs="+", help="revisions to merge (e.g. heads)")
    cmd.add_argument("-m", "--message", help="message for the merge revision")
    cmd.add_argument("--branch-label", action="append", help="a label for the merged branch")
    cmd.add_argument("--rev-id", help="a revision id of your own instead of a generated one")

    cmd = command("heads", script_commands.heads, _heads)
    cmd.add_argument("-v", "--verbose", action="store_true", help="show full information")
    cmd.add_argument(
        "--resolve-dependencies", action="store_true", help="treat dependencies as down revisions"
    )
    _add_json(cmd)

    cmd = command("branches", script_commands.branches, _branches)
    cmd.add_argument("-v", "--verbose", action="store_true", help="show full information")
    _add_json(cmd)

    cmd = command("history", script_commands.history, _history)
    cmd.add_argument("-r", "--rev-range", help="range as [start]:[end]")
    cmd.add_argument("-v", "--verbose", action="store_true", help="show full information")
    cmd.add_argument(
        "-i", "--indicate-current", action="store_true", help="mark the current revisions"
    )
    cmd.add_argument(
        "--applied",
        action="store_true",
        help="show each database's applied-history ledger (what ran, when, by whom)",
    )
    _add_json(cmd)

    cmd = command("show", script_commands.show, _show)
    cmd.add_argument("revision", help="a revision target (id, head, heads, label@head ...)")
    _add_json(cmd)

    cmd = command("edit", script_commands.edit, _edit)
    cmd.add_argument(
        "revision", nargs="?", default="head", help="the revision to edit (default: head)"
    )

    cmd = command("upgrade", db_commands.upgrade, _upgrade)
    cmd.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    _add_run_flags(cmd)

    cmd = command("downgrade", db_commands.downgrade, _downgrade)
    cmd.add_argument("revision", help="target revision (e.g. -1, base, an id)")
    _add_run_flags(cmd)

    cmd = command("stamp", db_commands.stamp, _stamp)
    cmd.add_argument("revisions", nargs="+", help="revision(s) to record, without running scripts")
    cmd.add_argument("--purge", action="store_true", help="delete every version row first")
    _add_run_flags(cmd)

    cmd = command("current", db_commands.current, _current)
    cmd.add_argument("-v", "--verbose", action="store_true", help="show the database too")
    cmd.add_argument(
        "--check-heads", action="store_true", help="exit 1 unless every database is at head"
    )
    cmd.add_argument(
        "--wait",
        type=_seconds,
        metavar="SECONDS",
        help="with --check-heads: wait up to SECONDS (0: check once, no waiting) for "
        "another runner to reach head",
    )
    cmd.add_argument(
        "--summary",
        action="store_true",
        help="count the targets at each revision, and list those whose last run failed, and why",
    )
    cmd.set_defaults(command_parser=cmd)
    _add_json(cmd)

    cmd = command("ensure-version", db_commands.ensure_version, _ensure_version, "ensure_version")
    cmd.add_argument("--sql", action="store_true", help="print SQL instead of running it")
    _add_json(cmd)

    cmd = command("check", autogen_commands.check, _check)
    _add_json(cmd)

    cmd = command("validate", checksum_commands.validate, _validate)
    _add_json(cmd)

    cmd = command("repair", checksum_commands.repair, _repair)
    cmd.add_argument(
        "--accept",
        action="append",
        metavar="REV",
        help="record the checksum REV's script has now, after checking its edit (repeatable)",
    )
    cmd.add_argument(
        "--fix",
        action="store_true",
        help="remove what unfinished steps left behind (an invalid index), and resolve "
        "those that can safely run again from their start",
    )
    cmd.add_argument(
        "--resolved",
        action="append",
        metavar="REV",
        help="mark REV's unfinished step resolved: you undid or finished it by hand (repeatable)",
    )
    _add_json(cmd)

    cmd = command("test-history", _test_history, _test_history, "test_history")
    cmd.add_argument(
        "--check", action="append", metavar="NAME", help="run only this check (repeatable)"
    )
    cmd.add_argument("--start", metavar="REV", help="the revision the stairway starts from")
    cmd.add_argument(
        "--skip",
        action="append",
        metavar="REV=REASON",
        help="a revision the stairway does not step down and up, and why (repeatable)",
    )

    cmd = command("lint", lint_commands.lint, _lint)
    cmd.add_argument(
        "rev_range",
        nargs="?",
        metavar="REV-RANGE",
        help="start:end, or one revision (default: those the database has not applied)",
    )
    cmd.add_argument("--all", action="store_true", help="lint every revision")
    _add_json(cmd)
    return parser


async def _await(outcome: Awaitable[int]) -> int:
    return await outcome


def _tolerant_streams() -> None:
    """Characters the terminal's encoding lacks print as replacements, not a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure) and getattr(stream, "errors", "strict") == "strict":
            reconfigure(errors="replace")


def _reader_gone() -> int:
    """A reader closed the pipe early (``| head``): stop quietly, as Unix tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the flush at exit must not fail again
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE, what a shell reports for a tool the signal ended


_VALUED_GLOBALS = frozenset({"-c", "--config", "-x", "--db", "--url"})
_FLAG_GLOBALS = frozenset({"-q", "--quiet", "--traceback", "-h", "--help", "--version"})


def _misplaced_option(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """A usage error saying where a command's option goes when it was given before the command."""
    commands = set(_subcommands(parser))
    tokens = list(argv)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in commands or token == "--":
            return
        name = token.split("=", 1)[0]
        if name in _VALUED_GLOBALS:
            index += 1 if "=" in token else 2
            continue
        if token.startswith("-") and name not in _FLAG_GLOBALS and len(token) > 1:
            following = next((t for t in tokens[index + 1 :] if t in commands), "COMMAND")
            parser.error(
                f"{name} is not a global option; give it after the command: "
                f"asyncmig {following} {name} ..."
            )
        index += 1


def _subcommands(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:  # argparse keeps its subparsers among the actions
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    _tolerant_streams()
    parser = build_parser()
    _misplaced_option(parser, sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    _merge_globals(args)
    if getattr(args, "wait", None) is not None and not args.check_heads:
        args.command_parser.error("--wait needs --check-heads")
    handler: Handler = args.handler
    try:
        outcome = handler(args)
        if not isinstance(outcome, int):
            import anyio

            outcome = anyio.run(_await, outcome, backend="asyncio")
        sys.stdout.flush()
        return outcome
    except AsyncmigError as exc:
        if args.traceback:
            raise
        print(f"asyncmig: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt:
        print("asyncmig: interrupted", file=sys.stderr)
        return 130
