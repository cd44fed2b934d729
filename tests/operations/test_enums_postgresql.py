"""Types that carry their own DDL on PostgreSQL: created once per run, as under Alembic.

The facts pinned here were measured by running the same scripts under Alembic 1.20.1
(its ``command.upgrade`` with a plain env.py): a named ENUM or DOMAIN used by several
tables is created once for the whole run (one memo for every revision of the run), a
second run creates it again (and fails if it exists), ``create_type=False`` creates
nothing, ``drop_table`` leaves the type, and ``add_column`` never creates it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from asyncmig._commands import database as commands
from asyncmig.errors import MigrationFailed
from tests.operations._harness import inspect, offline, run
from tests.runtime._scripts import Rev, write_project

pytestmark = [pytest.mark.anyio, pytest.mark.postgresql]

_STATE = 'sa.Enum("new", "done", name="state_type")'


def _table(name: str, type_: str = _STATE) -> str:
    columns = f'sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", {type_})'
    return f'op.create_table("{name}", {columns})'


async def _enums(url: str) -> list[tuple[str, list[str]]]:
    return await inspect(url, lambda i: [(e["name"], e["labels"]) for e in i.get_enums()])


async def test_two_tables_sharing_an_enum_in_one_step(postgresql_url: str) -> None:
    """Two create_table calls using one named sa.Enum run CREATE TYPE once."""

    def upgrade(op: Any) -> None:
        for name in ("a", "b"):
            op.create_table(
                name,
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("s", sa.Enum("new", "done", name="state_type")),
            )

    await run(postgresql_url, upgrade)
    assert await _enums(postgresql_url) == [("state_type", ["new", "done"])]
    assert set(await inspect(postgresql_url, lambda i: i.get_table_names())) == {"a", "b"}


async def test_postgresql_enum_and_domain_are_created_once(postgresql_url: str) -> None:
    """postgresql.ENUM and DOMAIN shared by two tables are each created once."""
    domain = postgresql.DOMAIN("positive", sa.Integer, check="VALUE > 0")

    def upgrade(op: Any) -> None:
        for name in ("a", "b"):
            op.create_table(
                name,
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("s", postgresql.ENUM("x", "y", name="pg_state")),
                sa.Column("n", domain),
            )

    await run(postgresql_url, upgrade)
    assert await _enums(postgresql_url) == [("pg_state", ["x", "y"])]
    domains = await inspect(postgresql_url, lambda i: [d["name"] for d in i.get_domains()])
    assert domains == ["positive"]


async def test_an_enum_reused_by_a_later_revision_of_the_same_run(
    tmp_path: Path, postgresql_url: str
) -> None:
    """An enum created in revision 1 is not created again by revision 2 of the same run."""
    revs = [Rev("r1", None, _table("a")), Rev("r2", "r1", _table("b"))]
    config = write_project(tmp_path, postgresql_url, revs)
    report = await commands.upgrade(config)
    assert [s.revision for s in report.steps] == ["r1", "r2"]
    assert await _enums(postgresql_url) == [("state_type", ["new", "done"])]


async def test_a_second_run_creates_the_enum_again_as_alembic_does(
    tmp_path: Path, postgresql_url: str
) -> None:
    """The memo lives for one run: a later run's create_table fails on the existing type."""
    revs = [Rev("r1", None, _table("a")), Rev("r2", "r1", _table("b"))]
    config = write_project(tmp_path, postgresql_url, revs)
    await commands.upgrade(config, "r1")
    with pytest.raises(MigrationFailed, match="already exists"):
        await commands.upgrade(config, "r2")


async def test_create_type_false_and_drop_table_leave_the_type_alone(
    tmp_path: Path, postgresql_url: str
) -> None:
    """create_type=False creates nothing; drop_table of both users keeps the type."""
    unmanaged = 'postgresql.ENUM("new", "done", name="state_type", create_type=False)'
    revs = [
        Rev("r1", None, _table("a"), 'op.drop_table("a")'),
        Rev("r2", "r1", _table("b", unmanaged), 'op.drop_table("b")'),
    ]
    for rev in revs:
        rev.extra = "from sqlalchemy.dialects import postgresql\n"
    config = write_project(tmp_path, postgresql_url, revs)
    await commands.upgrade(config)
    await commands.downgrade(config, "base")
    assert await _enums(postgresql_url) == [("state_type", ["new", "done"])]


async def test_add_column_does_not_create_the_type(postgresql_url: str) -> None:
    """add_column with a new enum fails on the missing type, exactly as under Alembic."""

    def upgrade(op: Any) -> None:
        op.create_table("a", sa.Column("id", sa.Integer, primary_key=True))
        op.add_column("a", sa.Column("s", sa.Enum("new", "done", name="state_type")))

    with pytest.raises(sa.exc.ProgrammingError, match="does not exist"):
        await run(postgresql_url, upgrade)
    assert await _enums(postgresql_url) == []


def test_offline_renders_create_type_once_per_step() -> None:
    """Offline, two tables sharing an enum write one CREATE TYPE."""

    def upgrade(op: Any) -> None:
        for name in ("a", "b"):
            op.create_table(
                name,
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("s", sa.Enum("new", "done", name="state_type")),
            )

    sql = offline("postgresql", upgrade)
    assert sql.count("CREATE TYPE state_type") == 1
    assert sql.count("CREATE TABLE") == 2


async def test_offline_run_renders_create_type_once_across_revisions(
    tmp_path: Path, postgresql_url: str
) -> None:
    """upgrade --sql over two revisions using one enum writes one CREATE TYPE."""
    revs = [Rev("r1", None, _table("a")), Rev("r2", "r1", _table("b"))]
    config = write_project(tmp_path, postgresql_url, revs)
    report = await commands.upgrade(config, sql=True)
    sql = report.databases[0].sql or ""
    assert sql.count("CREATE TYPE state_type") == 1
    assert sql.count("CREATE TABLE b") == 1
