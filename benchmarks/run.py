"""Benchmark asyncmig beside Alembic on the same generated script directories.

Two benchmarks, each timing whole processes (interpreter start-up included):

- ``heads``: ``heads`` and ``history`` on 1,000 and 10,000 revisions, linear and
  branchy, cold (no ``__pycache__``, no header cache, bytecode writing off) and warm
  (asyncmig's header cache / Alembic's ``.pyc`` files present, bytecode writing on).
- ``upgrade``: ``upgrade head`` then ``downgrade base`` of 100 and 1,000 revisions on
  SQLite (aiosqlite) and PostgreSQL (asyncpg), one transaction per migration and one
  for all, against Alembic with its async env.py and against a lower bound (asyncmig's
  offline SQL executed in one transaction through the same driver, see execsql.py).

Usage: ``python benchmarks/run.py [--quick] [--only heads|upgrade] [--output FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from databases import Backend, PostgreSQL, SQLite
from generate import Project, generate
from harness import TOOLS, Measurement, Sample, clear_caches, command, environment, run_timed
from report import ratios, table

HERE = Path(__file__).resolve().parent
DEFAULT_POSTGRESQL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
VERSION_TABLE = "asyncmig_version"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; --quick shrinks sizes and repeats."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer repeats")
    parser.add_argument(
        "--only",
        choices=("heads", "upgrade", "multidb", "floor", "runners"),
        help="run one benchmark",
    )
    parser.add_argument("--postgresql-url", default=DEFAULT_POSTGRESQL, help="local server URL")
    parser.add_argument("--no-postgresql", action="store_true", help="SQLite only")
    parser.add_argument("--output", type=Path, default=Path("results.json"), help="JSON file")
    parser.add_argument("--repeat", type=int, help="runs per measurement (default 5)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per process")
    parser.add_argument("--workdir", type=Path, help="where projects go (default: a temp dir)")
    parser.add_argument("--heads-sizes", type=_sizes, help="e.g. 1000,10000")
    parser.add_argument("--upgrade-sizes", type=_sizes, help="e.g. 100,1000")
    args = parser.parse_args(argv)
    args.heads_sizes = args.heads_sizes or ((1000,) if args.quick else (1000, 10000))
    args.upgrade_sizes = args.upgrade_sizes or ((100,) if args.quick else (100, 1000))
    args.heads_repeat = args.repeat or (3 if args.quick else 5)
    args.upgrade_repeat = args.repeat or (1 if args.quick else 5)
    return args


def _sizes(text: str) -> tuple[int, ...]:
    """Comma-separated revision counts."""
    return tuple(int(part) for part in text.split(",") if part.strip())


def log(message: str) -> None:
    """Progress on stderr, so that stdout holds only the final table."""
    print(message, file=sys.stderr, flush=True)


def prime(work: Path, backends: list[Backend], timeout: float) -> None:
    """Write the libraries' bytecode (asyncmig, Alembic, SQLAlchemy, drivers) once.

    A pip-installed library ships compiled; "cold" in these benchmarks means the
    script directory has no caches, not that the tools themselves are uncompiled.
    """
    project = generate(work / "prime", 20, "branchy")
    env = environment(write_bytecode=True)
    for tool in TOOLS:
        for args in (("heads",), ("history",)):
            run_timed(
                command(tool, project.root, *args), cwd=project.root, env=env, timeout=timeout
            )
        for backend in backends:
            url = backend.fresh(f"prime_{tool}")
            for step in ("upgrade", "downgrade"):
                target = "head" if step == "upgrade" else "base"
                argv = command(tool, project.root, "-x", f"url={url}", step, target)
                run_timed(argv, cwd=project.root, env=env, timeout=timeout)
            backend.discard(f"prime_{tool}")


def bench_heads(args: argparse.Namespace, work: Path) -> Iterator[Measurement]:
    """Issue 2: whole-process ``heads`` and ``history``, cold and warm."""
    for size in args.heads_sizes:
        for shape in ("linear", "branchy"):
            project = generate(work / f"heads-{shape}-{size}", size, shape)
            for name in ("heads", "history"):
                for cache in ("cold", "warm"):
                    log(f"heads bench: {name} {shape} {size} {cache}")
                    yield from _heads_case(args, project, shape, name, cache)


def _heads_case(
    args: argparse.Namespace, project: Project, shape: str, name: str, cache: str
) -> Iterator[Measurement]:
    warm = cache == "warm"
    env = environment(write_bytecode=warm)
    expect = project.head if name == "heads" else None
    found = {
        tool: Measurement(
            {
                "bench": "heads",
                "command": name,
                "shape": shape,
                "revisions": len(project.revisions),
                "cache": cache,
                "tool": tool,
            }
        )
        for tool in TOOLS
    }
    clear_caches(project.root)
    if warm:
        for tool in TOOLS:  # fills asyncmig's header cache / Alembic's .pyc files
            run_timed(
                command(tool, project.root, name), cwd=project.root, env=env, timeout=args.timeout
            )
    for _ in range(args.heads_repeat):
        for tool in TOOLS:  # interleaved, so that load changes hit both tools alike
            if not warm:
                clear_caches(project.root)
            sample = run_timed(
                command(tool, project.root, name),
                cwd=project.root,
                env=env,
                timeout=args.timeout,
                expect=expect,
            )
            found[tool].samples.append(_lean(sample))
    clear_caches(project.root)
    yield from found.values()


def _lean(sample: Sample) -> Sample:
    return Sample(sample.seconds, sample.ok, sample.error)


def bench_upgrade(
    args: argparse.Namespace, work: Path, backends: list[Backend]
) -> Iterator[Measurement]:
    """Issue 3: ``upgrade head`` + ``downgrade base`` against Alembic and the lower bound."""
    for size in args.upgrade_sizes:
        project = generate(work / f"upgrade-linear-{size}", size, "linear")
        warm_env = environment(write_bytecode=True)
        for tool in TOOLS:  # warm caches: .pyc files and asyncmig's header cache
            run_timed(
                command(tool, project.root, "heads"),
                cwd=project.root,
                env=warm_env,
                timeout=args.timeout,
            )
        for backend in backends:
            for per_migration in (True, False):
                mode = "per migration" if per_migration else "single"
                log(f"upgrade bench: {backend.name} {size} {mode}")
                yield from _upgrade_case(args, project, backend, per_migration)
                log(f"upgrade bench: {backend.name} {size} {mode}, lower bound")
                yield from _lower_bound(args, project, backend, per_migration)


def _phases(key: dict[str, Any]) -> dict[str, Measurement]:
    return {p: Measurement({**key, "phase": p}) for p in ("upgrade", "downgrade", "roundtrip")}


def _record(found: dict[str, Measurement], up: Sample, down: Sample | None) -> None:
    skipped = Sample(0.0, False, "not run: upgrade failed")
    down = down or skipped
    found["upgrade"].samples.append(up)
    found["downgrade"].samples.append(down)
    both = up.ok and down.ok
    error = "" if both else (up.error or down.error)
    found["roundtrip"].samples.append(Sample(up.seconds + down.seconds, both, error))


def _upgrade_case(
    args: argparse.Namespace, project: Project, backend: Backend, per_migration: bool
) -> Iterator[Measurement]:
    env = environment(write_bytecode=True, per_migration=per_migration)
    base = {"bench": "upgrade", "backend": backend.name, "revisions": len(project.revisions)}
    found = {
        tool: _phases({**base, "per_migration": per_migration, "tool": tool}) for tool in TOOLS
    }
    for _ in range(args.upgrade_repeat):
        for tool in TOOLS:
            url = backend.fresh(tool)
            up = run_timed(
                command(tool, project.root, "-x", f"url={url}", "upgrade", "head"),
                cwd=project.root,
                env=env,
                timeout=args.timeout,
            )
            down = None
            if up.ok:
                down = run_timed(
                    command(tool, project.root, "-x", f"url={url}", "downgrade", "base"),
                    cwd=project.root,
                    env=env,
                    timeout=args.timeout,
                )
            _record(found[tool], _lean(up), None if down is None else _lean(down))
            backend.discard(tool)
    for phases in found.values():
        yield from phases.values()


def _lower_bound(
    args: argparse.Namespace, project: Project, backend: Backend, per_migration: bool
) -> Iterator[Measurement]:
    env = environment(write_bytecode=True, per_migration=per_migration)
    base = {"bench": "upgrade", "backend": backend.name, "revisions": len(project.revisions)}
    found = _phases({**base, "per_migration": per_migration, "tool": "lowerbound"})
    url = backend.fresh("sql")
    scripts: dict[str, Path] = {}
    mode = "tpm" if per_migration else "single"
    for phase, target in (("upgrade", "base:head"), ("downgrade", "head:base")):
        argv = command("asyncmig", project.root, "-x", f"url={url}", phase, target, "--sql")
        rendered = run_timed(argv, cwd=project.root, env=env, timeout=args.timeout)
        if not rendered.ok:
            log(f"  asyncmig --sql failed, no lower bound: {rendered.error}")
            found["upgrade"].samples.append(_lean(rendered))
            backend.discard("sql")
            yield from found.values()
            return
        scripts[phase] = project.root / f"{backend.name}-{phase}-{mode}.sql"
        scripts[phase].write_text(rendered.stdout)
    backend.discard("sql")
    executor = [sys.executable, str(HERE / "execsql.py")]
    if per_migration:
        executor.append("--per-migration")
    for _ in range(args.upgrade_repeat):
        url = backend.fresh("lowerbound")
        up = run_timed(
            [*executor, url, str(scripts["upgrade"]), "--version-table", VERSION_TABLE],
            cwd=project.root,
            env=env,
            timeout=args.timeout,
        )
        down = None
        if up.ok:
            down = run_timed(
                [*executor, url, str(scripts["downgrade"])],
                cwd=project.root,
                env=env,
                timeout=args.timeout,
            )
        _record(found, _lean(up), None if down is None else _lean(down))
        backend.discard("lowerbound")
    yield from found.values()


def versions() -> dict[str, str]:
    """Versions of everything measured."""
    found = {"python": platform.python_version()}
    for name in ("asyncmig", "alembic", "sqlalchemy", "asyncpg", "aiosqlite"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def document(args: argparse.Namespace, notes: list[str], found: list[Measurement]) -> str:
    """The JSON results: versions, machine, settings, notes, measurements, ratios."""
    content = {
        "versions": versions(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "settings": {
            "quick": args.quick,
            "heads_repeat": args.heads_repeat,
            "upgrade_repeat": args.upgrade_repeat,
            "heads_sizes": list(args.heads_sizes),
            "upgrade_sizes": list(args.upgrade_sizes),
        },
        "notes": notes,
        "measurements": [m.as_json() for m in found],
        "ratios": ratios(found),
    }
    return json.dumps(content, indent=2) + "\n"


def run_multidb(args: argparse.Namespace) -> int:
    """The multidb benchmark (benchmarks/multidb.py) in its own process; its exit status."""
    output = args.output.with_name(args.output.stem + "-multidb.json")
    command = [sys.executable, str(Path(__file__).with_name("multidb.py"))]
    if args.quick:
        command.append("--quick")
    command += ["--postgresql-url", args.postgresql_url, "--output", str(output)]
    return subprocess.run(command, check=False).returncode


def run_runners(args: argparse.Namespace) -> int:
    """Several runners on one tenant fleet (benchmarks/runners.py); its exit status."""
    output = args.output.with_name(args.output.stem + "-runners.json")
    command = [sys.executable, str(Path(__file__).with_name("runners.py")), "--output", str(output)]
    if args.quick:
        command += ["--repeat", "1"]
    command += ["--postgresql-url", args.postgresql_url]
    return subprocess.run(command, check=False).returncode


def run_floor(args: argparse.Namespace) -> int:
    """The floor benchmark (benchmarks/floor.py) in its own process; its exit status."""
    output = args.output.with_name(args.output.stem + "-floor.json")
    command = [sys.executable, str(Path(__file__).with_name("floor.py")), "--output", str(output)]
    if args.quick:
        command += ["--revisions", "100", "--repeat", "1"]
    if args.no_postgresql:
        command.append("--no-postgresql")
    command += ["--postgresql-url", args.postgresql_url]
    return subprocess.run(command, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks, print the tables, write the JSON; 1 if asyncmig failed."""
    args = parse_args(argv)
    if args.only == "multidb":
        return run_multidb(args)
    if args.only == "floor":
        return run_floor(args)
    if args.only == "runners":
        return run_runners(args)
    measurements: list[Measurement] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="asyncmig-bench-") as scratch:
        work = args.workdir or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        backends: list[Backend] = [SQLite(work / "sqlite")]
        if not args.no_postgresql and args.only != "heads":
            server = PostgreSQL(args.postgresql_url)
            reason = server.available()
            if reason is None:
                backends.append(server)
            else:
                notes.append(f"PostgreSQL skipped: {reason}")
                log(notes[-1])
        log("priming library bytecode")
        prime(work, backends if args.only != "heads" else [], args.timeout)
        benches: list[Iterator[Measurement]] = []
        if args.only in (None, "heads"):
            benches.append(bench_heads(args, work))
        if args.only in (None, "upgrade"):
            benches.append(bench_upgrade(args, work, backends))
        for bench in benches:
            for measurement in bench:
                measurements.append(measurement)
                # Saved as it goes, so an interrupted run still leaves its numbers.
                args.output.write_text(document(args, notes, measurements))
    args.output.write_text(document(args, notes, measurements))
    print(table(measurements, ratios(measurements)))
    log(f"wrote {args.output}")
    # Alembic's failures are results (e.g. PostgreSQL running out of lock slots); ours are not.
    status = 0 if all(m.ok for m in measurements if m.key["tool"] != "alembic") else 1
    if args.only is None:
        status = max(status, run_floor(args))
    if args.only is None and not args.no_postgresql:
        status = max(status, run_multidb(args))
        status = max(status, run_runners(args))
    return status


if __name__ == "__main__":
    sys.exit(main())
