"""The server's floor: asyncmig beside a plain client applying the same SQL (issue 15, part 1).

For a linear history (1,000 revisions by default) and each transaction mode (one
transaction per migration, ``tpm``, and one for all, ``single``), the offline SQL of
``upgrade head`` and ``downgrade head:base`` is rendered once, then timed against
asyncmig's online ``upgrade head`` / ``downgrade base`` on fresh databases:

- PostgreSQL: ``psql -f`` of the script (it holds BEGIN/COMMIT per migration or once);
- SQLite: the ``sqlite3`` shell reading the script (Python's ``executescript`` if the
  shell is missing), with BEGIN/COMMIT added here, since SQLite's ``--sql`` output
  carries none: around each ``-- Running`` group (``tpm``) or around all of it.

Also timed: ``render``, the same ``--sql`` command (imports, script loading, every
directive and every statement compiled, no database), which bounds asyncmig's own
Python time from below: where ``render`` alone exceeds 0.3x the floor, a tool that
sends statements one at a time after compiling each cannot come within 1.3x.

Before timing, one traced online run per case checks that the script's transactions are
the online run's: as many committed transactions as the script has groups, each with the
same DDL statements in the same order.  Runs interleave (floor, asyncmig, Alembic with
``--alembic``), every number is a whole process, and the table shows medians and ratios.

Usage: ``python benchmarks/floor.py [--revisions 1000] [--repeat 3] [--alembic]``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from databases import Backend, PostgreSQL, SQLite
from generate import Project, generate
from harness import Measurement, Sample, command, environment, run_timed

HERE = Path(__file__).resolve().parent
DEFAULT_POSTGRESQL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TARGET = 1.3
VERSION_TABLE = "asyncmig_version"
# asyncmig as configured, and with the ledger off: then it sends exactly the script's SQL
VARIANTS = {"asyncmig": "asyncmig.toml", "asyncmig-noledger": "asyncmig-noledger.toml"}
MODES = {"tpm": True, "single": False}
PHASES = (("upgrade", "head", "head"), ("downgrade", "head:base", "base"))
_TERMINATOR = re.compile(r";[ \t]*\n")
_RUNNING = "-- Running "
_DDL = ("CREATE ", "ALTER ", "DROP ")
_DML = ("INSERT ", "UPDATE ", "DELETE ")


def log(message: str) -> None:
    """Progress on stderr; stdout holds only the table."""
    print(message, file=sys.stderr, flush=True)


# -- the SQL scripts ----------------------------------------------------------------------


def statements(text: str) -> list[str]:
    """The statements of a script, comments dropped, whitespace collapsed."""
    found = []
    for chunk in _TERMINATOR.split(text + "\n"):
        lines = [line for line in chunk.splitlines() if not line.lstrip().startswith("--")]
        statement = " ".join(" ".join(lines).split()).rstrip(";").strip()
        if statement:
            found.append(statement)
    return found


def groups(text: str) -> list[list[str]]:
    """The statements of a script with BEGIN/COMMIT, one list per transaction."""
    found: list[list[str]] = []
    for statement in statements(text):
        if statement.upper() == "BEGIN":
            found.append([])
        elif statement.upper() != "COMMIT":
            found[-1].append(statement)
    return found


def framed(text: str, *, per_migration: bool) -> str:
    """SQLite's script with BEGIN/COMMIT where the online run has them.

    Per migration, a transaction ends before each ``-- Running`` line but the first (the
    version table's CREATE TABLE belongs to the first step's transaction, as online).
    """
    if not per_migration:
        return f"BEGIN;\n{text}\nCOMMIT;\n"
    parts = text.split(_RUNNING)
    body = parts[0] + _RUNNING + f"\nCOMMIT;\nBEGIN;\n{_RUNNING}".join(parts[1:])
    return f"BEGIN;\n{body}\nCOMMIT;\n"


@dataclass(frozen=True)
class Case:
    """One backend and transaction mode: its scripts and expected transactions."""

    backend: Backend
    mode: str
    scripts: dict[str, Path]
    expected: dict[str, list[list[str]]]

    @property
    def per_migration(self) -> bool:
        """True for one transaction per migration."""
        return MODES[self.mode]


def render(project: Project, backend: Backend, mode: str, timeout: float) -> Case:
    """Render both phases' offline SQL for `backend` and `mode`, framed for the floor."""
    env = environment(write_bytecode=True, per_migration=MODES[mode])
    url = backend.fresh("render")
    scripts, expected = {}, {}
    for phase, offline_target, _ in PHASES:
        argv = command("asyncmig", project.root, "-x", f"url={url}", phase, offline_target, "--sql")
        done = run_timed(argv, cwd=project.root, env=env, timeout=timeout)
        if not done.ok:
            raise SystemExit(f"asyncmig --sql failed: {done.error}")
        text = done.stdout
        if backend.name == "sqlite":
            text = framed(text, per_migration=MODES[mode])
        path = project.root / f"floor-{backend.name}-{phase}-{mode}.sql"
        path.write_text(text)
        scripts[phase] = path
        expected[phase] = groups(text)
    backend.discard("render")
    return Case(backend, mode, scripts, expected)


# -- checking the transactions of an online run ------------------------------------------


def trace_main(argv: list[str]) -> None:
    """Run asyncmig's CLI with `argv`, then print each committed transaction's statements.

    Used as ``floor.py --trace CLI-ARGS...`` in a process of its own; the JSON is the
    last line of stderr.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    import asyncmig._cli

    transactions: list[list[str]] = []
    current: dict[int, list[str]] = {}

    def executed(conn: object, cursor: object, statement: str, *rest: object) -> None:
        current.setdefault(id(conn), []).append(" ".join(statement.split()))

    def committed(conn: object) -> None:
        done = current.pop(id(conn), [])
        if any(s.upper().startswith((*_DDL, *_DML)) for s in done):
            transactions.append(done)

    event.listen(Engine, "after_cursor_execute", executed)
    event.listen(Engine, "commit", committed)
    event.listen(Engine, "rollback", lambda conn: current.pop(id(conn), None))
    status = asyncmig._cli.main(argv)
    print(json.dumps(transactions), file=sys.stderr)
    raise SystemExit(status)


def check_transactions(project: Project, case: Case, timeout: float) -> None:
    """Fail unless the online run commits the scripts' transactions, DDL for DDL."""
    env = environment(write_bytecode=True, per_migration=case.per_migration)
    url = case.backend.fresh("trace")
    try:
        for phase, _, online_target in PHASES:
            argv = [sys.executable, str(HERE / "floor.py"), "--trace"]
            argv += ["-c", str(project.asyncmig_toml), "-x", f"url={url}", phase, online_target]
            done = subprocess.run(
                argv,
                cwd=project.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            if done.returncode != 0:
                raise SystemExit(f"traced asyncmig {phase} failed: {done.stderr[-600:]}")
            online = json.loads(done.stderr.strip().splitlines()[-1])
            offline = case.expected[phase]
            where = f"{case.backend.name} {case.mode} {phase}"
            if len(online) != len(offline):
                raise SystemExit(
                    f"{where}: the script has {len(offline)} transactions, "
                    f"the online run committed {len(online)}"
                )
            for number, (ours, theirs) in enumerate(zip(online, offline, strict=True)):
                if _ddl(ours) != _ddl(theirs):
                    raise SystemExit(
                        f"{where}: transaction {number} differs: {_ddl(ours)} vs {_ddl(theirs)}"
                    )
            log(f"  {where}: {len(online)} transactions, same as the script")
    finally:
        case.backend.discard("trace")


def _ddl(group: list[str]) -> list[str]:
    # the version table's and the ledger's own DDL: created where each tool needs them
    return [s for s in group if s.upper().startswith(_DDL) and VERSION_TABLE not in s]


# -- timing -------------------------------------------------------------------------------


def floor_command(case: Case, phase: str, url: str) -> list[str]:
    """The plain client applying the script of `phase` to the database at `url`."""
    script = str(case.scripts[phase])
    if case.backend.name == "postgresql":
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(parsed.host)]
        argv += ["-p", str(parsed.port or 5432), "-U", str(parsed.username), "-d"]
        return [*argv, str(parsed.database), "-f", script]
    path = url.split("///", 1)[1]
    if shutil.which("sqlite3"):
        return ["sqlite3", "-bail", path, f".read {script}"]
    return [sys.executable, str(HERE / "floor.py"), "--executescript", path, script]


def executescript_main(path: str, script: str) -> None:
    """Python's sqlite3 running the script as it is (its own BEGIN/COMMIT)."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.executescript(Path(script).read_text())
    connection.close()


def render_command(project: Project, phase: str, url: str) -> list[str]:
    """asyncmig's offline run of `phase`: all of its Python work, no round trip at all."""
    target = {p: t for p, t, _ in PHASES}[phase]
    return command("asyncmig", project.root, "-x", f"url={url}", phase, target, "--sql")


def tool_command(tool: str, project: Project, phase: str, target: str, url: str) -> list[str]:
    """asyncmig's (either variant) or Alembic's online command for `phase`."""
    if tool in VARIANTS:
        argv = command("asyncmig", project.root, "-x", f"url={url}", phase, target)
        argv[argv.index("-c") + 1] = str(project.root / VARIANTS[tool])
        return argv
    return command(tool, project.root, "-x", f"url={url}", phase, target)


def add_variants(project: Project) -> None:
    """The project's asyncmig.toml with the ledger off, beside it."""
    text = project.asyncmig_toml.read_text()
    (project.root / VARIANTS["asyncmig-noledger"]).write_text(text + "ledger = false\n")


def measure(
    project: Project, case: Case, tools: tuple[str, ...], repeat: int, timeout: float
) -> Iterator[Measurement]:
    """Interleaved runs of every tool on fresh databases; one Measurement per tool and phase."""
    env = environment(write_bytecode=True, per_migration=case.per_migration)
    base = {"bench": "floor", "backend": case.backend.name, "mode": case.mode}
    found = {
        (tool, phase): Measurement({**base, "phase": phase, "tool": tool})
        for tool in tools
        for phase, _, _ in PHASES
    }
    for _ in range(repeat):
        for tool in tools:
            url = case.backend.fresh(tool)
            for phase, _, target in PHASES:
                if tool == "floor":
                    argv = floor_command(case, phase, url)
                elif tool == "render":
                    argv = render_command(project, phase, url)
                else:
                    argv = tool_command(tool, project, phase, target, url)
                sample = run_timed(argv, cwd=project.root, env=env, timeout=timeout)
                found[tool, phase].samples.append(Sample(sample.seconds, sample.ok, sample.error))
                if not sample.ok:
                    log(f"  {tool} {phase} failed: {sample.error}")
                    break
            case.backend.discard(tool)
    yield from found.values()


def table(found: list[Measurement]) -> str:
    """Medians and ratios to the floor, one row per backend, mode and phase."""
    by = {(m.key["backend"], m.key["mode"], m.key["phase"], m.key["tool"]): m for m in found}
    tools = [t for t in ("render", *VARIANTS, "alembic") if any(k[3] == t for k in by)]
    head = f"{'backend':<11}{'mode':<7}{'phase':<10}{'floor s':>8}"
    head += "".join(f"{t + ' s':>{_width(t)}}{'ratio':>6}" for t in tools)
    head += f"  asyncmig target <= {TARGET}"
    lines = [head, "-" * len(head)]
    for backend, mode, phase in sorted({k[:3] for k in by}):
        floor = by[backend, mode, phase, "floor"].median
        cells = f"{backend:<11}{mode:<7}{phase:<10}{_seconds(floor, 8)}"
        verdict = ""
        for tool in tools:
            m = by.get((backend, mode, phase, tool))
            median = None if m is None else m.median
            ratio = None if (median is None or not floor) else median / floor
            cells += _seconds(median, _width(tool)) + (f"{ratio:>6.2f}" if ratio else f"{'-':>6}")
            if tool == "asyncmig":
                verdict = "met" if ratio is not None and ratio <= TARGET else "MISSED"
        lines.append(f"{cells}  {verdict}")
    return "\n".join(lines)


def _width(tool: str) -> int:
    return len(tool) + 4


def _seconds(value: float | None, width: int) -> str:
    return f"{value:>{width}.2f}" if value is not None else f"{'FAILED':>{width}}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=1000, help="history length")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs per case")
    parser.add_argument("--postgresql-url", default=DEFAULT_POSTGRESQL, help="local server")
    parser.add_argument("--no-postgresql", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--modes", default="tpm,single", help="tpm, single or both")
    parser.add_argument("--alembic", action="store_true", help="time Alembic as well")
    parser.add_argument("--no-check", action="store_true", help="skip the transaction check")
    parser.add_argument("--output", type=Path, default=Path("results-floor.json"))
    parser.add_argument("--workdir", type=Path, help="where the project goes")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per process")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Render, check, time; print the table; 1 if asyncmig or the floor failed."""
    args = parse_args(argv)
    tools = ("floor", "render", *VARIANTS, *(("alembic",) if args.alembic else ()))
    found: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="asyncmig-floor-") as scratch:
        work = args.workdir or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        backends: list[Backend] = [] if args.no_sqlite else [SQLite(work / "sqlite")]
        if not args.no_postgresql:
            server = PostgreSQL(args.postgresql_url)
            reason = server.available()
            if reason is None and shutil.which("psql"):
                backends.append(server)
            else:
                log(f"PostgreSQL skipped: {reason or 'no psql on PATH'}")
        project = generate(work / f"floor-{args.revisions}", args.revisions, "linear")
        add_variants(project)
        warm = environment(write_bytecode=True)
        for tool in ("asyncmig", "alembic"):  # .pyc files and asyncmig's header cache
            run_timed(command(tool, project.root, "heads"), cwd=project.root, env=warm, timeout=60)
        for backend in backends:
            for mode in args.modes.split(","):
                log(f"floor bench: {backend.name} {mode}")
                case = render(project, backend, mode, args.timeout)
                if not args.no_check:
                    check_transactions(project, case, args.timeout)
                found.extend(measure(project, case, tools, args.repeat, args.timeout))
                args.output.write_text(json.dumps([m.as_json() for m in found], indent=2) + "\n")
    print(table(found))
    log(f"wrote {args.output}")
    return 0 if all(m.ok for m in found if m.key["tool"] != "alembic") else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--trace"]:
        trace_main(sys.argv[2:])
    elif sys.argv[1:2] == ["--executescript"]:
        executescript_main(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
