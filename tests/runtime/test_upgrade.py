"""Upgrade and downgrade against real databases: targets, transactions, failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncmig._commands import database as commands
from asyncmig._config import Config
from asyncmig.errors import MigrationFailed, ScriptError, UnknownRevision
from tests.runtime._scripts import Rev, create, drop, linear, query, tables, versions, write_project

pytestmark = pytest.mark.anyio


async def test_upgrade_head_runs_every_step_in_order(tmp_path: Path, database_url: str) -> None:
    """`upgrade head` runs each script once, in order, and records the head."""
    config = write_project(tmp_path, database_url, linear("a1", "b2", "c3"))
    report = await commands.upgrade(config)
    assert [s.revision for s in report.steps] == ["a1", "b2", "c3"]
    assert report.databases[0].before == ()
    assert report.databases[0].after == ("c3",)
    assert {"t_a1", "t_b2", "t_c3", "asyncmig_version"} <= await tables(database_url)
    assert await versions(database_url) == ["c3"]
    assert await commands.current(config) == {"main": ("c3",)}
    again = await commands.upgrade(config)
    assert again.steps == []


async def test_current_never_creates_the_version_table(tmp_path: Path, database_url: str) -> None:
    """`current` on a fresh database reads base and leaves no version table behind."""
    config = write_project(tmp_path, database_url, linear("a1"))
    assert await commands.current(config) == {"main": ()}
    assert await commands.is_at_head(config) == {"main": False}
    assert "asyncmig_version" not in await tables(database_url)


async def test_downgrade_to_base_and_relative_steps(tmp_path: Path, database_url: str) -> None:
    """+N, -N and base move the database by that many steps, running downgrade()."""
    config = write_project(tmp_path, database_url, linear("a1", "b2", "c3"))
    await commands.upgrade(config, "+2")
    assert await versions(database_url) == ["b2"]
    report = await commands.downgrade(config, "-1")
    assert [(s.revision, s.direction) for s in report.steps] == [("b2", "downgrade")]
    assert "t_b2" not in await tables(database_url)
    await commands.upgrade(config, "c3")
    await commands.downgrade(config, "base")
    assert await commands.current(config) == {"main": ()}
    assert not {"t_a1", "t_b2", "t_c3"} & await tables(database_url)


async def test_partial_ids_name_revisions(tmp_path: Path, database_url: str) -> None:
    """A unique prefix of a revision id works as a target."""
    config = write_project(tmp_path, database_url, linear("aaaa1111", "bbbb2222", "cccc3333"))
    await commands.upgrade(config, "bbbb")
    assert await versions(database_url) == ["bbbb2222"]
    await commands.downgrade(config, "aaaa")
    assert await versions(database_url) == ["aaaa1111"]


async def test_branches_label_at_head_and_heads(tmp_path: Path, database_url: str) -> None:
    """Branches upgrade one at a time by label, `heads` reaches both, and one branch downgrades."""
    revs = [
        Rev("root", None, create("root"), drop("root")),
        Rev("left1", "root", create("left1"), drop("left1"), labels=("left",)),
        Rev("left2", "left1", create("left2"), drop("left2")),
        Rev("right1", "root", create("right1"), drop("right1"), labels=("right",)),
    ]
    config = write_project(tmp_path, database_url, revs)
    await commands.upgrade(config, "left@head")
    assert await versions(database_url) == ["left2"]
    await commands.upgrade(config, "heads")
    assert await versions(database_url) == ["left2", "right1"]
    assert await commands.is_at_head(config) == {"main": True}
    await commands.downgrade(config, "left@root")
    assert await versions(database_url) == ["right1"]
    assert not {"t_left1", "t_left2"} & await tables(database_url)


async def test_database_specific_function_wins(tmp_path: Path, database_url: str) -> None:
    """A script's upgrade_<database>() runs instead of upgrade() for that database."""
    rev = Rev("a1", None, 'raise RuntimeError("generic upgrade ran")', "pass")
    rev.extra = f"""

def upgrade_main() -> None:
    {create("own")}
"""
    config = write_project(tmp_path, database_url, [rev])
    await commands.upgrade(config)
    assert "t_own" in await tables(database_url)


def _failing_third(tmp_path: Path, url: str, per_migration: bool) -> Config:
    revs = [
        *linear("a1", "b2"),
        Rev("c3", "b2", f"{create('c3')}\nop.execute('SELECT * FROM no_such_table')"),
    ]
    return write_project(tmp_path, url, revs, options={"transaction_per_migration": per_migration})


async def test_failing_step_keeps_committed_steps(tmp_path: Path, database_url: str) -> None:
    """With a transaction per step, a failing third step leaves the database at the second."""
    config = _failing_third(tmp_path, database_url, True)
    report = await commands.upgrade(config, raise_on_error=False)
    db = report.databases[0]
    assert db.status == "failed"
    assert db.after == ("b2",)
    assert await versions(database_url) == ["b2"]
    assert "t_c3" not in await tables(database_url)


async def test_single_transaction_rolls_everything_back(tmp_path: Path, database_url: str) -> None:
    """With transaction_per_migration = false, a failing third step leaves nothing behind."""
    config = _failing_third(tmp_path, database_url, False)
    with pytest.raises(MigrationFailed):
        await commands.upgrade(config)
    assert not {"t_a1", "t_b2", "t_c3", "asyncmig_version"} & await tables(database_url)


async def test_failure_names_database_revision_file_line_and_cause(
    tmp_path: Path, database_url: str
) -> None:
    """The error is one line with the database, revision, script file:line and the DB's message."""
    config = _failing_third(tmp_path, database_url, True)
    with pytest.raises(MigrationFailed) as caught:
        await commands.upgrade(config)
    error = caught.value
    script = tmp_path / "migrations" / "versions" / "c3_step.py"
    line = next(
        number
        for number, text in enumerate(script.read_text().splitlines(), 1)
        if "no_such_table" in text
    )
    message = str(error)
    assert "\n" not in message
    assert "'main'" in message
    assert "c3" in message
    assert f"{script}:{line}" in message
    assert "no_such_table" in message
    assert error.__cause__ is error.cause
    assert error.report.databases[0].after == ("b2",)  # type: ignore[attr-defined]


async def test_syntax_error_runs_nothing(tmp_path: Path, database_url: str) -> None:
    """A script that does not compile is reported with file and line before any step runs."""
    revs = [*linear("a1"), Rev("b2", "a1", "x = (", "pass")]
    config = write_project(tmp_path, database_url, revs)
    with pytest.raises(ScriptError) as caught:
        await commands.upgrade(config)
    assert "b2_step.py" in str(caught.value)
    assert caught.value.line is not None
    assert not {"t_a1", "asyncmig_version"} & await tables(database_url)


async def test_unknown_revision_in_version_table_suggests_stamp(
    tmp_path: Path, database_url: str
) -> None:
    """A version row no script has is named, with `asyncmig stamp` as the way out."""
    config = write_project(tmp_path, database_url, linear("a1"))
    await commands.ensure_version(config)
    await query_write(database_url, "INSERT INTO asyncmig_version (version_num) VALUES ('gone99')")
    with pytest.raises(UnknownRevision) as caught:
        await commands.upgrade(config)
    assert "gone99" in str(caught.value)
    assert "asyncmig stamp" in str(caught.value)


async def test_version_table_name_and_shape(tmp_path: Path, database_url: str) -> None:
    """version_table picks the table's name; it has Alembic's shape (version_num, 32 chars, PK)."""
    config = write_project(
        tmp_path, database_url, linear("a1"), options={"version_table": "alembic_version"}
    )
    await commands.upgrade(config)
    assert await versions(database_url, "alembic_version") == ["a1"]
    assert "asyncmig_version" not in await tables(database_url)
    from sqlalchemy import inspect
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            columns, pk = await conn.run_sync(
                lambda sync: (
                    inspect(sync).get_columns("alembic_version"),
                    inspect(sync).get_pk_constraint("alembic_version"),
                )
            )
    finally:
        await engine.dispose()
    assert [(c["name"], getattr(c["type"], "length", None), c["nullable"]) for c in columns] == [
        ("version_num", 32, False)
    ]
    assert pk["constrained_columns"] == ["version_num"]


async def query_write(url: str, sql: str) -> None:
    """Run one statement and commit it."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def test_rows_written_by_steps_are_committed(tmp_path: Path, database_url: str) -> None:
    """Data a step inserts through op.execute is committed with the step."""
    revs = [
        Rev(
            "a1",
            None,
            f"{create('a1')}\nop.execute('INSERT INTO t_a1 (id) VALUES (7)')",
            drop("a1"),
        )
    ]
    config = write_project(tmp_path, database_url, revs)
    await commands.upgrade(config)
    assert await query(database_url, "SELECT id FROM t_a1") == [(7,)]


@pytest.mark.postgresql
async def test_version_table_schema(tmp_path: Path, postgresql_url: str) -> None:
    """version_table_schema puts the version table in that schema, not the default one."""
    await query_write(postgresql_url, "CREATE SCHEMA meta")
    config = write_project(
        tmp_path, postgresql_url, linear("a1"), options={"version_table_schema": "meta"}
    )
    assert await commands.current(config) == {"main": ()}
    await commands.upgrade(config)
    assert await versions(postgresql_url, "meta.asyncmig_version") == ["a1"]
    assert "asyncmig_version" not in await tables(postgresql_url)
    assert await commands.current(config) == {"main": ("a1",)}


async def test_recreated_drop_column_rolls_back_with_its_step(
    tmp_path: Path, sqlite_url: str
) -> None:
    """A drop SQLite refused and asyncmig recreated is undone when the step fails later."""
    keyed = Rev(
        "a1",
        None,
        'op.create_table("k", sa.Column("id", sa.Integer, primary_key=True), '
        'sa.Column("v", sa.Integer, unique=True))\n'
        'op.execute("INSERT INTO k (id, v) VALUES (1, 10)")',
    )
    failing = Rev("b2", "a1", 'op.drop_column("k", "v")\nop.execute("SELECT * FROM missing")')
    config = write_project(tmp_path, sqlite_url, [keyed, failing])
    with pytest.raises(MigrationFailed, match="no such table: missing"):
        await commands.upgrade(config, "head")
    assert await versions(sqlite_url) == ["a1"]
    assert await query(sqlite_url, "SELECT id, v FROM k") == [(1, 10)]
