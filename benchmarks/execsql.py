"""The lower bound: execute an offline SQL script in one transaction through the async driver.

``python benchmarks/execsql.py URL FILE [--version-table NAME]`` reads the SQL that
``asyncmig ... --sql`` wrote, drops its comments and ``BEGIN;``/``COMMIT;`` lines,
and runs every statement on one ``AsyncConnection`` inside one transaction -- the least
work any migration tool has to do to apply the same DDL with the same driver.  With
``--per-migration`` each BEGIN/COMMIT group of the script is its own transaction
instead (the bound for ``transaction_per_migration = true``).  The
version table is created first when the script does not create it (asyncmig's offline
output starting at base may assume it exists).  Run as its own process so that its
time includes interpreter start-up and imports, as the tools' times do.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path

__all__ = ("execute", "split_transactions")

_CONTROL = {"BEGIN", "COMMIT", "BEGIN TRANSACTION", "START TRANSACTION"}
_TERMINATOR = re.compile(r";[ \t]*\n")


def split_transactions(text: str, *, one: bool) -> list[list[str]]:
    """Statements of `text` grouped by the script's BEGIN/COMMIT, or all in one group.

    Statements end at a ``;`` that ends a line; comment lines are dropped.  The
    generated scripts hold no ``;`` at a line end inside a literal, so this is exact
    for them.
    """
    groups: list[list[str]] = [[]]
    for chunk in _TERMINATOR.split(text + "\n"):
        lines = [line for line in chunk.splitlines() if not line.lstrip().startswith("--")]
        statement = "\n".join(lines).strip().rstrip(";").strip()
        if not statement:
            continue
        if statement.upper() in _CONTROL:
            if not one and groups[-1]:
                groups.append([])
            continue
        groups[-1].append(statement)
    return [group for group in groups if group]


async def execute(url: str, groups: list[list[str]], version_table: str | None) -> None:
    """Run each group of statements in its own transaction on one connection to `url`."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            for number, group in enumerate(groups):
                async with conn.begin():
                    if number == 0 and version_table is not None:
                        metadata = sa.MetaData()
                        sa.Table(
                            version_table,
                            metadata,
                            sa.Column("version_num", sa.String(32), primary_key=True),
                        )
                        await conn.run_sync(metadata.create_all, checkfirst=True)
                    for statement in group:
                        await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Command line: execute one SQL file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="async SQLAlchemy URL")
    parser.add_argument("file", type=Path, help="SQL script written by --sql")
    parser.add_argument("--version-table", help="create this version table first if missing")
    parser.add_argument(
        "--per-migration", action="store_true", help="keep the script's BEGIN/COMMIT groups"
    )
    args = parser.parse_args(argv)
    groups = split_transactions(args.file.read_text(), one=not args.per_migration)
    asyncio.run(execute(args.url, groups, args.version_table))


if __name__ == "__main__":
    main()
