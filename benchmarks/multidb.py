"""Benchmark multidb: several PostgreSQL databases (and 200 tenant schemas) in one run.

Cases, each on a 100-revision linear history and fresh scratch databases:

- 1, 4 and 8 databases: ``asyncmig upgrade head`` at its default concurrency (all at
  once), the same with ``--concurrency 1``, and Alembic with its multidb template's
  env.py (``databases = ...`` plus one section per database, every database migrated
  in turn, one transaction each, as the template does) adapted to an async driver
  with ``connection.run_sync`` as Alembic's asyncio cookbook does.
- 200 tenant schemas of one database: asyncmig with ``schemas = [...]`` (default
  concurrency and ``--concurrency 1``), and Alembic with an env.py in the shape of
  its schema-per-tenant cookbook recipe (``search_path`` set per tenant,
  ``version_table_schema`` = tenant), looping over every tenant in one process.

Every number is the wall time of a whole process (start-up included); the table
also gives the CPU time of asyncmig's own process at default concurrency, which
shows how close a run is to being bound by one core of Python.  The target:
8 databases at default concurrency in at most 0.4x the time of ``--concurrency 1``.

Usage: ``python benchmarks/multidb.py [--quick] [--postgresql-url URL] [--output FILE]``;
``--quick`` makes one run per case and a 20-revision history for the 200 schemas.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEFAULT_POSTGRESQL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

SCRIPT = '''"""step {index}

Revision ID: {rev}
Revises: {down_text}
Create Date: 2026-01-01 00:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade(engine_name=None) -> None:
    {upgrade}


def downgrade(engine_name=None) -> None:
    {downgrade}
'''

ALEMBIC_MULTIDB_ENV = '''"""Alembic multidb template env.py, run_sync per database."""
import asyncio
import re

from sqlalchemy.ext.asyncio import async_engine_from_config
from sqlalchemy import pool

from alembic import context

config = context.config
db_names = config.get_main_option("databases", "")
target_metadata = {}


def do_run_migrations(connection, name):
    context.configure(
        connection=connection,
        upgrade_token="%s_upgrades" % name,
        downgrade_token="%s_downgrades" % name,
        target_metadata=target_metadata.get(name),
    )
    context.run_migrations(engine_name=name)


async def run_migrations_online():
    engines = {}
    for name in re.split(r",\\s*", db_names):
        engines[name] = rec = {}
        rec["engine"] = async_engine_from_config(
            context.config.get_section(name, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
        )
    for name, rec in engines.items():
        rec["connection"] = conn = await rec["engine"].connect()
        rec["transaction"] = await conn.begin()
    try:
        for name, rec in engines.items():
            await rec["connection"].run_sync(do_run_migrations, name)
        for rec in engines.values():
            await rec["transaction"].commit()
    except BaseException:
        for rec in engines.values():
            await rec["transaction"].rollback()
        raise
    finally:
        for rec in engines.values():
            await rec["connection"].close()
            await rec["engine"].dispose()


asyncio.run(run_migrations_online())
'''

ALEMBIC_TENANT_ENV = '''"""Alembic schema-per-tenant recipe: search_path per tenant."""
import asyncio

from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import async_engine_from_config

from alembic import context

config = context.config
tenants = config.get_main_option("tenants", "").split()


def do_run_migrations(connection, tenant):
    connection.execute(text('CREATE SCHEMA IF NOT EXISTS "%s"' % tenant))
    connection.execute(text('SET search_path TO "%s"' % tenant))
    connection.commit()
    context.configure(connection=connection, version_table_schema=tenant)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online():
    engine = async_engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    async with engine.connect() as connection:
        for tenant in tenants:
            await connection.run_sync(do_run_migrations, tenant)
    await engine.dispose()


asyncio.run(run_migrations_online())
'''


def _operations(index: int) -> tuple[str, str]:
    table = f"t{index // 10 * 10}"
    if index % 10 == 0:
        return (
            f'op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True), '
            'sa.Column("name", sa.String(50)))',
            f'op.drop_table("{table}")',
        )
    if index % 3 == 0:
        return (
            f'op.add_column("{table}", sa.Column("c{index}", sa.Integer))',
            f'op.drop_column("{table}", "c{index}")',
        )
    return (
        f"op.execute(\"INSERT INTO {table} (name) VALUES ('r{index}')\")",
        f"op.execute(\"DELETE FROM {table} WHERE name = 'r{index}'\")",
    )


def write_history(versions: Path, count: int) -> None:
    """`count` linear revisions usable by both tools (upgrade(engine_name=None))."""
    versions.mkdir(parents=True, exist_ok=True)
    down = None
    for index in range(count):
        rev = f"{index + 1:04d}{uuid.uuid5(uuid.NAMESPACE_OID, str(index)).hex[:8]}"
        up, back = _operations(index)
        text = SCRIPT.format(
            index=index,
            rev=rev,
            down=down,
            down_text=down or "",
            upgrade=up,
            downgrade=back,
        )
        (versions / f"{rev}_step_{index}.py").write_text(text)
        down = rev


def _toml(value: str) -> str:
    return json.dumps(value)


def write_configs(root: Path, urls: Sequence[str], schemas: Sequence[str] = ()) -> None:
    """asyncmig.toml and alembic.ini for `urls` (one database each, or one with schemas)."""
    names = [f"db{n}" for n in range(len(urls))]
    lines = ['script_location = "%(here)s/migrations"']
    for name, url in zip(names, urls, strict=True):
        lines.append(f"[databases.{name}]\nurl = {_toml(url)}")
        if schemas:
            lines.append("schemas = [" + ", ".join(_toml(s) for s in schemas) + "]")
    (root / "asyncmig.toml").write_text("\n".join(lines) + "\n")
    ini = ["[alembic]", "script_location = %(here)s/migrations"]
    if schemas:
        ini += [f"sqlalchemy.url = {urls[0]}", "tenants = " + " ".join(schemas)]
    else:
        ini.append("databases = " + ", ".join(names))
        for name, url in zip(names, urls, strict=True):
            ini += [f"[{name}]", f"sqlalchemy.url = {url}"]
    (root / "alembic.ini").write_text("\n".join(ini) + "\n")
    env = ALEMBIC_TENANT_ENV if schemas else ALEMBIC_MULTIDB_ENV
    (root / "migrations" / "env.py").write_text(env)
    (root / "migrations" / "script.py.mako").write_text("")


async def _admin(url: str, statements: Sequence[str]) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def scratch(admin_url: str, count: int) -> Iterator[list[str]]:
    """`count` fresh databases on the server; dropped afterwards."""
    from sqlalchemy.engine import make_url

    names = [f"asyncmig_bmdb_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    asyncio.run(_admin(admin_url, [f"CREATE DATABASE {n}" for n in names]))
    try:
        yield [
            make_url(admin_url).set(database=n).render_as_string(hide_password=False) for n in names
        ]
    finally:
        asyncio.run(_admin(admin_url, [f"DROP DATABASE IF EXISTS {n} WITH (FORCE)" for n in names]))


def command(tool: str, root: Path, extra: Sequence[str]) -> list[str]:
    """The process a measurement runs."""
    if tool == "alembic":
        return [sys.executable, "-m", "alembic", "-c", str(root / "alembic.ini"), "upgrade", "head"]
    config = str(root / "asyncmig.toml")
    return [sys.executable, "-m", "asyncmig", "-c", config, "-q", "upgrade", "head", *extra]


# One process each (--jobs 1): what these cases measured before worker processes existed.
TOOLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "asyncmig": ("asyncmig", ("--jobs", "1")),
    "asyncmig-c1": ("asyncmig", ("--concurrency", "1", "--jobs", "1")),
    "alembic": ("alembic", ()),
}
# The --jobs cases (issue 15): worker processes at the default count beside one process.
JOB_TOOLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "jobs": ("asyncmig", ()),
    "one-process": ("asyncmig", ("--jobs", "1")),
    "c1-one-process": ("asyncmig", ("--concurrency", "1", "--jobs", "1")),
}


def measure(
    admin_url: str,
    root: Path,
    *,
    databases: int,
    schemas: Sequence[str],
    tool: str,
    timeout: float,
) -> tuple[float, float]:
    """Wall and CPU seconds of one upgrade on fresh databases (RuntimeError if it fails)."""
    kind, extra = {**TOOLS, **JOB_TOOLS}[tool]
    with scratch(admin_url, databases) as urls:
        write_configs(root, urls, schemas)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMIG_")}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            command(kind, root, extra),
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr[-800:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def run_cases(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    """Every case x tool, tools alternating within each repeat."""
    cases: list[tuple[str, int, list[str], int]] = [
        (f"{n} db", n, [], args.revisions) for n in (1, 4, 8)
    ]
    cases.append(("200 schemas", 1, [f"tenant_{n}" for n in range(200)], args.schema_revisions))
    results = []
    for label, databases, schemas, revisions in cases:
        root = work / label.replace(" ", "_")
        write_history(root / "migrations" / "versions", revisions)
        runs: dict[str, list[float]] = {tool: [] for tool in TOOLS}
        cpu: dict[str, list[float]] = {tool: [] for tool in TOOLS}
        errors: dict[str, str] = {}
        for _ in range(args.repeat):
            for tool in TOOLS:
                if tool in errors:
                    continue
                try:
                    wall, used = measure(
                        args.postgresql_url,
                        root,
                        databases=databases,
                        schemas=schemas,
                        tool=tool,
                        timeout=args.timeout,
                    )
                    runs[tool].append(wall)
                    cpu[tool].append(used)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    errors[tool] = str(exc)
                print(
                    f"{label:12} {tool:12} {runs[tool][-1:]} {errors.get(tool, '')}",
                    file=sys.stderr,
                )
        medians = {tool: statistics.median(v) if v else None for tool, v in runs.items()}
        cpu_medians = {tool: statistics.median(v) if v else None for tool, v in cpu.items()}
        results.append(
            {
                "case": label,
                "databases": databases,
                "schemas": len(schemas),
                "revisions": revisions,
                "runs": runs,
                "median": medians,
                "cpu": cpu,
                "cpu_median": cpu_medians,
                "errors": errors,
                "ratio_vs_concurrency_1": _ratio(medians["asyncmig"], medians["asyncmig-c1"]),
                "ratio_vs_alembic": _ratio(medians["asyncmig"], medians["alembic"]),
            }
        )
    return results


def _peak_rss_kib(pid: int) -> int | None:
    """VmHWM (the resident high-water mark) of a live process, in KiB."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as found:
            return [int(p) for p in found.read().split()]
    except OSError:
        return []


def measure_with_rss(
    admin_url: str, root: Path, *, schemas: Sequence[str], tool: str, timeout: float
) -> tuple[float, int, list[int]]:
    """Wall seconds, the parent's peak RSS and each worker's (KiB) of one tenant upgrade.

    Peaks are sampled from /proc every 0.1 s while the processes live; VmHWM only
    grows, so the last sample misses at most the last 0.1 s of each process.
    """
    kind, extra = JOB_TOOLS[tool]
    with scratch(admin_url, 1) as urls:
        write_configs(root, urls, schemas)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMIG_")}
        started = time.perf_counter()
        process = subprocess.Popen(
            command(kind, root, extra),
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        parent = 0
        workers: dict[int, int] = {}
        while process.poll() is None:
            parent = max(parent, _peak_rss_kib(process.pid) or 0)
            for child in _children(process.pid):
                workers[child] = max(workers.get(child, 0), _peak_rss_kib(child) or 0)
            if time.perf_counter() - started > timeout:
                process.kill()
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        stderr = process.stderr.read() if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"{tool} failed ({process.returncode}): {stderr[-800:]}")
    return elapsed, parent, [peak for peak in workers.values() if peak]


def run_job_cases(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    """8 databases x N revisions, and T tenant schemas of one database: --jobs vs one process."""
    results: list[dict[str, Any]] = []
    root = work / "jobs_8_db"
    write_history(root / "migrations" / "versions", args.revisions)
    runs: dict[str, list[float]] = {"jobs": [], "c1-one-process": []}
    for _ in range(args.repeat):
        for tool, walls_of_tool in runs.items():
            wall, _ = measure(
                args.postgresql_url, root, databases=8, schemas=[], tool=tool, timeout=args.timeout
            )
            walls_of_tool.append(wall)
            print(f"jobs 8 db     {tool:15} {wall:.2f} s", file=sys.stderr)
    medians = {tool: statistics.median(v) for tool, v in runs.items()}
    results.append(
        {
            "case": "8 db, --jobs default vs --concurrency 1 --jobs 1",
            "revisions": args.revisions,
            "runs": runs,
            "median": medians,
            "ratio": _ratio(medians["jobs"], medians["c1-one-process"]),
            "target": 0.4,
        }
    )
    for count in args.tenant_counts:
        root = work / f"jobs_{count}_schemas"
        write_history(root / "migrations" / "versions", args.tenant_revisions)
        tenants = [f"tenant_{n}" for n in range(count)]
        walls: dict[str, list[float]] = {"jobs": [], "one-process": []}
        parents: dict[str, list[int]] = {"jobs": [], "one-process": []}
        workers: list[int] = []
        for _ in range(args.tenant_repeat or args.repeat):
            for tool, walls_of_tool in walls.items():
                wall, parent, peaks = measure_with_rss(
                    args.postgresql_url, root, schemas=tenants, tool=tool, timeout=args.timeout
                )
                walls_of_tool.append(wall)
                parents[tool].append(parent)
                if tool == "jobs":
                    workers.extend(peaks)
                print(
                    f"jobs {count} schemas {tool:12} {wall:.2f} s parent {parent} KiB "
                    f"workers {peaks} KiB",
                    file=sys.stderr,
                )
        medians = {tool: statistics.median(v) for tool, v in walls.items()}
        results.append(
            {
                "case": f"{count} schemas, --jobs default vs --jobs 1",
                "schemas": count,
                "revisions": args.tenant_revisions,
                "runs": walls,
                "median": medians,
                "ratio": _ratio(medians["jobs"], medians["one-process"]),
                "target": 0.5,
                "peak_rss_kib": {
                    "parent_jobs": max(parents["jobs"]),
                    "parent_one_process": max(parents["one-process"]),
                    "worker_max": max(workers, default=None),
                    "workers": workers,
                },
            }
        )
    return results


def jobs_table(results: Sequence[dict[str, Any]]) -> str:
    """The --jobs results as a text table (seconds are medians; RSS the highest seen)."""
    rows = [("case", "revs", "jobs", "baseline", "ratio", "target", "peak RSS (MiB)")]
    for r in results:
        jobs = r["median"]["jobs"]
        base = next(v for k, v in r["median"].items() if k != "jobs")
        rss = r.get("peak_rss_kib")
        memory = (
            "-"
            if rss is None
            else f"parent {rss['parent_jobs'] / 1024:.0f} (1 process: "
            f"{rss['parent_one_process'] / 1024:.0f}), worker max "
            f"{(rss['worker_max'] or 0) / 1024:.0f}"
        )
        rows.append(
            (
                r["case"],
                str(r["revisions"]),
                f"{jobs:.2f} s",
                f"{base:.2f} s",
                f"{r['ratio']}x",
                f"<= {r['target']}x",
                memory,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def table(results: Sequence[dict[str, Any]]) -> str:
    """The results as a text table."""
    header = (
        "case",
        "revs",
        "asyncmig",
        "--concurrency 1",
        "alembic",
        "vs c1",
        "vs alembic",
        "asyncmig cpu",
    )
    rows = [header]
    for r in results:
        m = r["median"]
        used = r["cpu_median"]["asyncmig"]
        rows.append(
            (
                r["case"],
                str(r["revisions"]),
                *(f"{m[t]:.2f} s" if m[t] is not None else "FAILED" for t in TOOLS),
                f"{r['ratio_vs_concurrency_1']}x",
                f"{r['ratio_vs_alembic']}x",
                "-" if used is None else f"{used:.2f} s",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 if an asyncmig run failed or the 8-database target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run each, small tenant history")
    parser.add_argument("--postgresql-url", default=DEFAULT_POSTGRESQL, help="server admin URL")
    parser.add_argument("--repeat", type=int, help="runs per case and tool (default 3, quick 1)")
    parser.add_argument("--revisions", type=int, default=100, help="history length")
    parser.add_argument("--schema-revisions", type=int, help="history for 200 schemas")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per process")
    parser.add_argument("--output", type=Path, help="write JSON results here")
    parser.add_argument(
        "--cases", choices=("all", "classic", "jobs"), default="all", help="which tables to run"
    )
    parser.add_argument(
        "--tenant-counts", default="500,2000", help="tenant schemas for the --jobs cases"
    )
    parser.add_argument(
        "--tenant-revisions", type=int, help="history for the --jobs tenant cases (default 10)"
    )
    parser.add_argument("--tenant-repeat", type=int, help="runs per tenant case and tool")
    args = parser.parse_args(argv)
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.schema_revisions = args.schema_revisions or (20 if args.quick else args.revisions)
    args.tenant_revisions = args.tenant_revisions or (5 if args.quick else 10)
    args.tenant_counts = [int(n) for n in args.tenant_counts.split(",")]
    if args.quick:
        args.tenant_counts = [min(n, 200) for n in args.tenant_counts]
    results: list[dict[str, Any]] = []
    job_results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="asyncmig-multidb-") as work:
        if args.cases in ("all", "classic"):
            results = run_cases(args, Path(work))
        if args.cases in ("all", "jobs"):
            job_results = run_job_cases(args, Path(work))
    status = 0
    if results:
        print(table(results))
        eight = next(r for r in results if r["case"] == "8 db")
        failed = any(t.startswith("asyncmig") for r in results for t in r["errors"])
        target = eight["ratio_vs_concurrency_1"]
        print(f"8 databases vs --concurrency 1 (one process): {target}x (target <= 0.4x)")
        status = 1 if failed or target is None or target > 0.4 else 0
    if job_results:
        print(jobs_table(job_results))
        missed = [r["case"] for r in job_results if r["ratio"] is None or r["ratio"] > r["target"]]
        for case in missed:
            print(f"target missed: {case}")
        status = max(status, 1 if missed else 0)
    if args.output:
        data = {"multidb": results, "jobs": job_results}
        args.output.write_text(json.dumps(data, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
