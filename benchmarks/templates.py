"""Migrated test databases: migrating per test vs cloning the plugin's cached template.

A generated linear history (500 revisions by default); N tests that each need a
database at head:

- (a) migrate per test: create an empty database and ``asyncmig.upgrade(head)`` into it;
- (b) the pytest plugin's way: build the template once (counted), then one clone per test.

Drops are counted on neither side: (b) drops in the background while tests run; the
time those drops still take after the last clone is printed on its own line.

(a) is slow, so ``--migrate-samples K`` times K of the N migrations and scales the
mean to N (said in the output).  Target: (b) <= 0.05x (a).

Usage: ``python benchmarks/templates.py [--revisions 500] [--tests 50]
[--migrate-samples 50] [--no-sqlite]
[--postgresql-url URL | --no-postgresql] [--mariadb-url URL]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import generate

from asyncmig import Config, upgrade
from asyncmig.testing import Templates, with_url

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def _migrate_per_test(templates: Templates, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        empty = await templates.empty()
        await upgrade(with_url(templates.config, "main", empty.url), "head")
        times.append(time.perf_counter() - start)
        await templates.drop(empty)
    return times


async def _clone_per_test(
    templates: Templates, tests: int
) -> tuple[float, float, list[float], float]:
    await templates.server.drop(await templates.name("head"))  # the build is part of (b)
    start = time.perf_counter()
    await templates.template()
    built = time.perf_counter() - start
    clones = []
    for _ in range(tests):
        begin = time.perf_counter()
        clone = await templates.clone()
        clones.append(time.perf_counter() - begin)
        templates.drop_soon(clone)
    total = time.perf_counter() - start
    begin = time.perf_counter()
    await templates.close()
    return total, built, clones, time.perf_counter() - begin


async def bench(backend: str, url: str, root: Path, args: argparse.Namespace) -> None:
    config = Config.load(root / "asyncmig.toml", url=url)
    folder = root / f"templates-{backend}"
    folder.mkdir(exist_ok=True)
    templates = Templates(config, "main", folder=folder, clone_folder=folder)
    migrated = await _migrate_per_test(templates, args.migrate_samples)
    per_migration = statistics.mean(migrated)
    a_total = per_migration * args.tests
    b_total, built, clones, drain = await _clone_per_test(templates, args.tests)
    await templates.server.drop(await templates.name("head"))  # leave the server as found
    await templates.close()
    scaled = "" if args.migrate_samples == args.tests else f" ({args.migrate_samples} timed)"
    print(
        f"{backend}: {args.revisions} revisions, {args.tests} tests\n"
        f"  (a) migrate per test: {a_total:8.2f} s = {args.tests} x {per_migration:.3f} s{scaled}\n"
        f"  (b) template + clones: {b_total:8.2f} s (build {built:.2f} s, "
        f"clone mean {statistics.mean(clones) * 1000:.1f} ms, "
        f"median {statistics.median(clones) * 1000:.1f} ms)\n"
        f"  background drops still running after the last clone: {drain:.2f} s\n"
        f"  ratio (b)/(a): {b_total / a_total:.4f}  (target <= 0.05)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=500)
    parser.add_argument("--tests", type=int, default=50)
    parser.add_argument("--migrate-samples", type=int, default=None)
    parser.add_argument("--postgresql-url", default=DEFAULT_PG)
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--mariadb-url", help="also measure MariaDB (table copy vs migrate)")
    args = parser.parse_args(argv)
    args.migrate_samples = args.migrate_samples or args.tests
    with tempfile.TemporaryDirectory(prefix="asyncmig-bench-templates-") as tmp:
        root = Path(tmp) / "project"
        generate(root, args.revisions, "linear")
        # A fresh history per run: the template key must not hit one a previous run left.
        (root / "migrations" / "env.py").write_text(f"# run {uuid.uuid4().hex}\n")
        sqlite_url = f"sqlite+aiosqlite:///{root}/asyncmig.db"
        if not args.no_sqlite:
            asyncio.run(bench("sqlite", sqlite_url, root, args))
        if not args.no_postgresql:
            asyncio.run(bench("postgresql", args.postgresql_url, root, args))
        if args.mariadb_url:
            asyncio.run(bench("mariadb", args.mariadb_url, root, args))


if __name__ == "__main__":
    main()
