"""Benchmark several runners on one tenant fleet: N `asyncmig upgrade head` processes at once.

Each measurement makes a fresh PostgreSQL database, writes a tenant-schema
project (``--schemas`` schemas, a ``--revisions``-step linear history: the
generator of ``multidb.py``), starts N runner processes together and takes
the wall time until the last one exits (each must exit 0).  Runner counts
alternate within each repeat; the table gives medians and each count's ratio
to one runner.  The target (issue 15): N runners about N times faster than
one, where each used to wait on the tenant locks the others held.

``--server-ms`` adds a ``pg_sleep`` to every step, for steps whose time is the
server's (index builds, table rewrites) rather than the runner's CPU: on a
machine with few cores the runners themselves compete for the CPU.

Usage: ``python benchmarks/runners.py [--schemas 40] [--revisions 10] [--runners 1,4]
[--repeat 3] [--extra "--concurrency 1"] [--server-ms 50] [--postgresql-url URL]
[--output FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from multidb import DEFAULT_POSTGRESQL, scratch, write_configs, write_history


def _server_time(versions: Path, seconds: float) -> None:
    """Make every upgrade also wait `seconds` on the server (DDL that takes the server time)."""
    head = "def upgrade(engine_name=None) -> None:\n"
    wait = f'    op.execute("SELECT pg_sleep({seconds})")\n'
    for script in versions.glob("*.py"):
        script.write_text(script.read_text().replace(head, head + wait))


def measure(
    admin_url: str,
    root: Path,
    *,
    runners: int,
    schemas: int,
    revisions: int,
    extra: list[str],
    server_seconds: float = 0.0,
) -> tuple[float, float]:
    """Wall and CPU seconds of `runners` processes started together on a fresh fleet."""
    root.mkdir(parents=True, exist_ok=True)
    write_history(root / "migrations" / "versions", revisions)
    if server_seconds:
        _server_time(root / "migrations" / "versions", server_seconds)
    names = [f"tenant_{i:04d}" for i in range(schemas)]
    with scratch(admin_url, 1) as urls:
        write_configs(root, urls, names)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMIG_")}
        argv = [sys.executable, "-m", "asyncmig", "-c", str(root / "asyncmig.toml")]
        argv += ["-q", "upgrade", "head", *extra]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        processes = [
            subprocess.Popen(argv, cwd=root, env=env, stderr=subprocess.PIPE, text=True)
            for _ in range(runners)
        ]
        errors = [process.communicate()[1] for process in processes]
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    for process, error in zip(processes, errors, strict=True):
        if process.returncode != 0:
            raise RuntimeError(f"a runner failed ({process.returncode}): {error[-800:]}")
    return elapsed, cpu


def table(results: dict[int, list[tuple[float, float]]]) -> str:
    one = statistics.median(wall for wall, _ in results[min(results)])
    lines = [
        "| runners | median wall (s) | median CPU, all runners (s) | runs | wall vs 1 runner |",
        "|---|---|---|---|---|",
    ]
    for count, times in sorted(results.items()):
        wall = statistics.median(w for w, _ in times)
        cpu = statistics.median(c for _, c in times)
        lines.append(f"| {count} | {wall:.2f} | {cpu:.2f} | {len(times)} | {wall / one:.2f}x |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql-url", default=DEFAULT_POSTGRESQL)
    parser.add_argument("--schemas", type=int, default=40)
    parser.add_argument("--revisions", type=int, default=10)
    parser.add_argument("--runners", default="1,4")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--extra", default="", help="more upgrade options for every runner")
    parser.add_argument(
        "--server-ms", type=float, default=0.0, help="pg_sleep added to every upgrade step"
    )
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.runners.split(",")]
    results: dict[int, list[tuple[float, float]]] = {n: [] for n in counts}
    with tempfile.TemporaryDirectory(prefix="asyncmig-runners-") as work:
        for repeat in range(args.repeat):
            for count in counts:
                root = Path(work) / f"r{repeat}-n{count}"
                results[count].append(
                    measure(
                        args.postgresql_url,
                        root,
                        runners=count,
                        schemas=args.schemas,
                        revisions=args.revisions,
                        extra=shlex.split(args.extra),
                        server_seconds=args.server_ms / 1000,
                    )
                )
    waits = f", {args.server_ms:g} ms server time per step" if args.server_ms else ""
    print(f"{args.schemas} tenant schemas x {args.revisions} revisions, PostgreSQL{waits}")
    print(f"runner options: {args.extra or '(none)'}")
    print(table(results))
    if args.output is not None:
        data: dict[str, Any] = {"schemas": args.schemas, "revisions": args.revisions}
        data["wall_cpu_seconds"] = {str(n): times for n, times in results.items()}
        args.output.write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
