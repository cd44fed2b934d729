"""Write a benchmark project: N revisions in Alembic's file format plus both tools' configs.

The output folder holds one script directory that Alembic and asyncmig both use::

    <out>/alembic.ini            Alembic, with the async env.py below
    <out>/asyncmig.toml          asyncmig, same script location and version folder
    <out>/migrations/env.py      Alembic's asyncio env.py in its documented shape
    <out>/migrations/versions/   the generated revisions

Shapes: ``linear`` is one chain; ``branchy`` opens a two-way branch every
``BRANCH_EVERY`` revisions, each arm ``ARM_LENGTH`` revisions long, joined again by a
merge revision, so the graph keeps a single head.  Revision ids, dates and operations
are deterministic for a given shape and size.

Operations per revision, tracked per line of descent so that each script only
touches tables its ancestors created: every tenth revision creates a table with a
foreign key to the previous table and an index; every third adds a column; the others
insert a few rows (alternately ``op.bulk_insert`` and ``op.execute``).  Every upgrade
has the matching downgrade.  Merge revisions do nothing, as Alembic's ``merge`` writes them.

Usage: ``python benchmarks/generate.py OUT --revisions 1000 --shape branchy``.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

__all__ = ("SHAPES", "Project", "Revision", "generate", "plan_revisions")

SHAPES = ("linear", "branchy")
BRANCH_EVERY = 50
ARM_LENGTH = 10
TABLE_EVERY = 10
COLUMN_EVERY = 3
_START = datetime(2025, 1, 6, 9, 0, 0, 123456)
_SLUG = re.compile(r"\W+")


@dataclass
class Lineage:
    """What the ancestors of a revision created: tables in order of creation."""

    tables: list[str] = field(default_factory=list)

    def copy(self) -> Lineage:
        """An independent copy, for the second arm of a branch."""
        return Lineage(list(self.tables))

    def merged(self, other: Lineage) -> Lineage:
        """The union of two arms' tables, this arm's first."""
        return Lineage(self.tables + [t for t in other.tables if t not in self.tables])


@dataclass(frozen=True)
class Revision:
    """One generated revision: identity, parents, message and operation code."""

    index: int
    revision: str
    down_revision: str | tuple[str, ...] | None
    message: str
    upgrade: tuple[str, ...]
    downgrade: tuple[str, ...]

    @property
    def filename(self) -> str:
        """Alembic's default ``%(rev)s_%(slug)s.py`` file name."""
        slug = _SLUG.sub("_", self.message.lower()).strip("_")[:40].rstrip("_")
        return f"{self.revision}_{slug}.py"


def _operations(index: int, lineage: Lineage) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Message, upgrade lines and downgrade lines of revision `index` on `lineage`."""
    if not lineage.tables or index % TABLE_EVERY == 0:
        return _create_table(index, lineage)
    table = lineage.tables[-1]
    if index % COLUMN_EVERY == 0:
        column = f"c{index:05d}"
        kind = "sa.Integer()" if index % 2 else "sa.String(length=32)"
        return (
            f"add column {column} to {table}",
            (f"op.add_column({table!r}, sa.Column({column!r}, {kind}, nullable=True))",),
            (f"op.drop_column({table!r}, {column!r})",),
        )
    names = [f"r{index:05d}-{n}" for n in range(3)]
    if index % 2:
        rows = ", ".join(f"{{'name': {name!r}}}" for name in names)
        upgrade: tuple[str, ...] = (
            f"rows = sa.table({table!r}, sa.column('name', sa.String))",
            f"op.bulk_insert(rows, [{rows}])",
        )
    else:
        values = ", ".join(f"('{name}')" for name in names)
        upgrade = (f'op.execute("INSERT INTO {table} (name) VALUES {values}")',)
    downgrade = (
        f"rows = sa.table({table!r}, sa.column('name', sa.String))",
        f"op.execute(rows.delete().where(rows.c.name.like('r{index:05d}-%')))",
    )
    return f"insert rows into {table}", upgrade, downgrade


def _create_table(index: int, lineage: Lineage) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """A table with a primary key, a foreign key to the lineage's last table, an index."""
    table = f"t{index:05d}"
    columns = [
        "sa.Column('id', sa.Integer(), nullable=False)",
        "sa.Column('name', sa.String(length=50), nullable=False)",
        "sa.Column('created_at', sa.DateTime(), nullable=True)",
    ]
    if lineage.tables:
        parent = lineage.tables[-1]
        columns.append("sa.Column('parent_id', sa.Integer(), nullable=True)")
        columns.append(f"sa.ForeignKeyConstraint(['parent_id'], ['{parent}.id'])")
    columns.append("sa.PrimaryKeyConstraint('id')")
    body = ",\n        ".join(columns)
    upgrade = (
        f"op.create_table(\n        {table!r},\n        {body},\n    )",
        f"op.create_index(op.f('ix_{table}_name'), {table!r}, ['name'], unique=False)",
    )
    downgrade = (
        f"op.drop_index(op.f('ix_{table}_name'), table_name={table!r})",
        f"op.drop_table({table!r})",
    )
    lineage.tables.append(table)
    return f"create table {table}", upgrade, downgrade


def plan_revisions(count: int, shape: str, seed: int = 2025) -> list[Revision]:
    """The `count` revisions of `shape`, parents before children."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; use one of {', '.join(SHAPES)}")
    rng = random.Random(f"{shape}-{count}-{seed}")
    made: list[Revision] = []

    def step(parent: str | tuple[str, ...] | None, lineage: Lineage) -> str:
        index = len(made) + 1
        rev = f"{rng.getrandbits(48):012x}"
        message, up, down = _operations(index, lineage)
        made.append(Revision(index, rev, parent, message, up, down))
        return rev

    def merge(parents: tuple[str, ...]) -> str:
        rev = f"{rng.getrandbits(48):012x}"
        made.append(Revision(len(made) + 1, rev, parents, "merge heads", (), ()))
        return rev

    tip: str | None = None
    lineage = Lineage()
    branch_size = 2 * ARM_LENGTH + 1
    while len(made) < count:
        position = len(made)
        at_branch = position % BRANCH_EVERY == BRANCH_EVERY - branch_size
        if shape == "branchy" and tip is not None and at_branch and position + branch_size <= count:
            other = lineage.copy()
            left = right = tip
            for _ in range(ARM_LENGTH):
                left = step(left, lineage)
            for _ in range(ARM_LENGTH):
                right = step(right, other)
            tip = merge((left, right))
            lineage = lineage.merged(other)
        else:
            tip = step(tip, lineage)
    return made


def render(revision: Revision) -> str:
    """The script text, exactly as Alembic's async template renders it."""
    down = revision.down_revision
    revises = ", ".join(down) if isinstance(down, tuple) else (down or "")
    created = _START + timedelta(minutes=revision.index)
    upgrade = "\n    ".join(revision.upgrade) or "pass"
    downgrade = "\n    ".join(revision.downgrade) or "pass"
    return (
        f'"""{revision.message}\n\n'
        f"Revision ID: {revision.revision}\n"
        f"Revises: {revises}\n"
        f"Create Date: {created.isoformat(' ')}\n\n"
        '"""\n'
        "from typing import Sequence, Union\n\n"
        "from alembic import op\n"
        "import sqlalchemy as sa\n\n\n"
        "# revision identifiers, used by Alembic.\n"
        f"revision: str = {revision.revision!r}\n"
        f"down_revision: Union[str, Sequence[str], None] = {down!r}\n"
        "branch_labels: Union[str, Sequence[str], None] = None\n"
        "depends_on: Union[str, Sequence[str], None] = None\n\n\n"
        "def upgrade() -> None:\n"
        '    """Upgrade schema."""\n'
        f"    {upgrade}\n\n\n"
        "def downgrade() -> None:\n"
        '    """Downgrade schema."""\n'
        f"    {downgrade}\n"
    )


ALEMBIC_INI = """\
[alembic]
script_location = %(here)s/migrations
prepend_sys_path = .
path_separator = os
sqlalchemy.url = sqlite+aiosqlite:///%(here)s/alembic.db
transaction_per_migration = true

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
"""

# Written for this benchmark in the shape Alembic documents for its `async` template;
# `-x url=...` and BENCH_TRANSACTION_PER_MIGRATION let one folder serve every run.
ENV_PY = '''\
"""Alembic environment: asyncio engine, migrations run through run_sync."""

import asyncio
import os
from logging.config import fileConfig

from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from alembic import context

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

target_metadata = None
url = context.get_x_argument(as_dictionary=True).get("url")
if url:
    config.set_main_option("sqlalchemy.url", url)
per_migration = os.environ.get(
    "BENCH_TRANSACTION_PER_MIGRATION",
    config.get_main_option("transaction_per_migration", "true"),
)
transaction_per_migration = per_migration.strip().lower() in ("1", "true", "yes", "on")


def run_migrations_offline() -> None:
    """Render SQL without a connection."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        transaction_per_migration=transaction_per_migration,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Configure the context on the sync connection and run the migrations."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        transaction_per_migration=transaction_per_migration,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    """Create an async engine, connect once and run the migrations on it."""
    connectable = async_engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


def run_migrations_online() -> None:
    """Run migrations against a live database."""
    asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

ASYNCMIG_TOML = """\
script_location = "%(here)s/migrations"
url = "sqlite+aiosqlite:///%(here)s/asyncmig.db"
transaction_per_migration = "${BENCH_TRANSACTION_PER_MIGRATION:-true}"
"""


@dataclass(frozen=True)
class Project:
    """A generated project: its folder, config files and revision list."""

    root: Path
    revisions: tuple[Revision, ...]

    @property
    def versions(self) -> Path:
        """The version folder both tools read."""
        return self.root / "migrations" / "versions"

    @property
    def alembic_ini(self) -> Path:
        """Alembic's configuration file."""
        return self.root / "alembic.ini"

    @property
    def asyncmig_toml(self) -> Path:
        """asyncmig's configuration file."""
        return self.root / "asyncmig.toml"

    @property
    def head(self) -> str:
        """The single head revision id."""
        return self.revisions[-1].revision


def generate(root: Path, count: int, shape: str) -> Project:
    """Write a fresh project of `count` revisions of `shape` into `root` (replaced)."""
    revisions = plan_revisions(count, shape)
    if root.exists():
        shutil.rmtree(root)
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text(ALEMBIC_INI)
    (root / "asyncmig.toml").write_text(ASYNCMIG_TOML)
    (root / "migrations" / "env.py").write_text(ENV_PY)
    for revision in revisions:
        (versions / revision.filename).write_text(render(revision))
    return Project(root, tuple(revisions))


def main(argv: list[str] | None = None) -> None:
    """Command line: write one project."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="project folder to (re)create")
    parser.add_argument("--revisions", type=int, default=1000, help="number of revisions")
    parser.add_argument("--shape", choices=SHAPES, default="linear", help="graph shape")
    args = parser.parse_args(argv)
    project = generate(args.out, args.revisions, args.shape)
    print(f"{len(project.revisions)} revisions in {project.versions}; head {project.head}")


if __name__ == "__main__":
    main()
