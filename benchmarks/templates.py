"""Migrated test databases: migrating per test vs cloning the plugin's cached template.

A generated linear history (500 revisions by default); N tests that each need a
database at head:

- (a) migrate per test: create an empty database and ``asyncmig.upgrade(head)`` into it;
- (b) the pytest plugin's way, as one pytest session does it: build the template
  once (counted), then one clone per test, each test's clone dropped in the
  background when it ends (with the plugin's defaults: a clone made ahead on a
  server, drops by a helper process on PostgreSQL).  (b) ends when the session
  would: the clones not taken are dropped, or on PostgreSQL handed to the helper.

(a)'s drops are not counted; (b)'s are, except those the PostgreSQL helper
process finishes after the run: how long they still took is printed on its own line.

(a) is slow, so ``--migrate-samples K`` times K of the N migrations and scales the
mean to N (said in the output).  The machine may be loaded: ``--repeat R`` runs
R rounds of (a) then (b) and prints each round and the median ratio.
Target: (b) <= 0.05x (a).

Usage: ``python benchmarks/templates.py [--revisions 500] [--tests 50]
[--migrate-samples 50] [--repeat 1] [--ahead N] [--no-sqlite]
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import generate

from asyncmig import Config, upgrade
from asyncmig.testing import Templates, with_url

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@dataclass
class Round:
    """One round's measurements, in seconds."""

    migration: float  # mean time of one migration, (a)
    total: float  # (b): template build, clones, session end
    build: float
    clones: list[float]
    after: float  # the helper's drops still running after (b)


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
    make: Callable[[], Templates], tests: int
) -> tuple[float, float, list[float], float]:
    templates = make()  # a new session: no clone made ahead yet
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
    await templates.close()
    total = time.perf_counter() - start
    begin = time.perf_counter()
    # The helper process's drops, seen from the server (no event to wait on).
    while await templates.server.names(templates.prefix):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    after = time.perf_counter() - begin
    await templates.server.close()
    return total, built, clones, after


async def bench(backend: str, url: str, root: Path, args: argparse.Namespace) -> None:
    config = Config.load(root / "asyncmig.toml", url=url)
    folder = root / f"templates-{backend}"
    folder.mkdir(exist_ok=True)

    def make() -> Templates:
        return Templates(config, "main", folder=folder, clone_folder=folder, ahead=args.ahead)

    rounds = []
    for _ in range(args.repeat):
        templates = make()
        migrated = await _migrate_per_test(templates, args.migrate_samples)
        await templates.close()
        total, built, clones, after = await _clone_per_test(make, args.tests)
        rounds.append(Round(statistics.mean(migrated), total, built, clones, after))
        _report(backend, args, rounds[-1])
    templates = make()
    await templates.server.drop(await templates.name("head"))  # leave the server as found
    await templates.close()
    if len(rounds) > 1:
        ratios = [r.total / (r.migration * args.tests) for r in rounds]
        clones = [statistics.median(r.clones) for r in rounds]
        print(
            f"{backend}: median of {len(rounds)} rounds: ratio (b)/(a) "
            f"{statistics.median(ratios):.4f} (rounds: {', '.join(f'{x:.4f}' for x in ratios)}), "
            f"clone median {statistics.median(clones) * 1000:.1f} ms, "
            f"helper after the run {statistics.median(r.after for r in rounds):.2f} s",
            flush=True,
        )


def _report(backend: str, args: argparse.Namespace, r: Round) -> None:
    a_total = r.migration * args.tests
    scaled = "" if args.migrate_samples == args.tests else f" ({args.migrate_samples} timed)"
    print(
        f"{backend}: {args.revisions} revisions, {args.tests} tests\n"
        f"  (a) migrate per test: {a_total:8.2f} s = {args.tests} x {r.migration:.3f} s{scaled}\n"
        f"  (b) template + clones: {r.total:8.2f} s (build {r.build:.2f} s, "
        f"clone mean {statistics.mean(r.clones) * 1000:.1f} ms, "
        f"median {statistics.median(r.clones) * 1000:.1f} ms)\n"
        f"  drops the helper process still ran after (b): {r.after:.2f} s\n"
        f"  ratio (b)/(a): {r.total / a_total:.4f}  (target <= 0.05); "
        f"with the helper's drops: {(r.total + r.after) / a_total:.4f}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=500)
    parser.add_argument("--tests", type=int, default=50)
    parser.add_argument("--migrate-samples", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of (a) then (b)")
    parser.add_argument(
        "--ahead", type=int, default=None, help="clones made ahead (default: the plugin's)"
    )
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
