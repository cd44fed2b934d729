"""Several databases through the library: shared and independent histories, isolation."""

from __future__ import annotations

from pathlib import Path

import pytest

import asyncmig._commands.database as commands
from asyncmig._reports import StepReport
from asyncmig._script.directory import ScriptDirectory
from asyncmig.errors import AsyncmigError, ConfigError, DatabaseUnavailable, MigrationFailed
from tests.multidb import _rendezvous
from tests.runtime._scripts import Rev, linear, tables, versions, write_project, write_script

pytestmark = pytest.mark.anyio

RENDEZVOUS = "from tests.multidb import _rendezvous\n"


def _files(tmp_path: Path, *names: str) -> dict[str, dict[str, str]]:
    return {name: {"url": f"sqlite+aiosqlite:///{tmp_path}/{name}.db"} for name in names}


async def test_shared_history_is_parsed_once_per_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three databases on one history and one on its own: two directory scans in the run."""
    databases = _files(tmp_path, "a", "b", "c", "own")
    databases["own"]["script_location"] = "%(here)s/own"
    (tmp_path / "own" / "versions").mkdir(parents=True)
    write_script(tmp_path / "own" / "versions", Rev("o1", None, "pass"))
    config = write_project(tmp_path, None, linear("r1", "r2"), databases=databases)
    scans: list[Path] = []
    original = ScriptDirectory._scan

    def counting(self: ScriptDirectory) -> object:
        scans.append(self.location)
        return original(self)

    monkeypatch.setattr(ScriptDirectory, "_scan", counting)
    report = await commands.upgrade(config)
    assert report.ok
    assert sorted(scans) == sorted([tmp_path / "migrations", tmp_path / "own"])
    for name in ("a", "b", "c"):
        assert await versions(databases[name]["url"]) == ["r2"]
    assert await versions(databases["own"]["url"]) == ["o1"]


async def test_database_functions_fall_back_to_plain_ones(tmp_path: Path) -> None:
    """upgrade_<name>() runs for its database; the others get upgrade()."""
    databases = _files(tmp_path, "a", "b")
    extra = """
def upgrade_a() -> None:
    op.create_table("only_a", sa.Column("id", sa.Integer, primary_key=True))


def downgrade_a() -> None:
    op.drop_table("only_a")
"""
    rev = Rev("r1", None, 'op.create_table("shared", sa.Column("id", sa.Integer))', extra=extra)
    rev.downgrade = 'op.drop_table("shared")'
    config = write_project(tmp_path, None, [rev], databases=databases)
    assert (await commands.upgrade(config)).ok
    assert "only_a" in await tables(databases["a"]["url"])
    assert "shared" not in await tables(databases["a"]["url"])
    assert "shared" in await tables(databases["b"]["url"])
    assert (await commands.downgrade(config, "base")).ok
    assert await tables(databases["a"]["url"]) == {"asyncmig_version", "asyncmig_version_ledger"}


async def test_independent_histories_run_together(tmp_path: Path) -> None:
    """A database with its own script_location has its own graph and version rows."""
    databases = _files(tmp_path, "main", "audit")
    databases["audit"]["script_location"] = "%(here)s/audit"
    versions_dir = tmp_path / "audit" / "versions"
    versions_dir.mkdir(parents=True)
    for rev in linear("x1", "x2", "x3"):
        write_script(versions_dir, rev)
    config = write_project(tmp_path, None, linear("m1"), databases=databases)
    report = await commands.upgrade(config)
    assert [(db.database, db.after) for db in report.databases] == [
        ("main", ("m1",)),
        ("audit", ("x3",)),
    ]
    assert {"t_x1", "t_x2", "t_x3"} <= await tables(databases["audit"]["url"])
    assert await commands.current(config) == {"main": ("m1",), "audit": ("x3",)}


async def test_interleaved_steps_see_only_their_own_context(
    tmp_path: Path, database_url: str
) -> None:
    """a's step waits inside itself for b's step; each still sees its own op context."""
    a_url = f"sqlite+aiosqlite:///{tmp_path}/a.db"
    extra = (
        RENDEZVOUS
        + """

def _check(name, dialect, url):
    ctx = op.get_context()
    assert ctx.database == name, ctx.database
    assert ctx.dialect.name == dialect, ctx.dialect.name
    assert op.get_bind().engine.url.database == url, op.get_bind().engine.url


def upgrade_a() -> None:
    url = op.get_bind().engine.url.database
    _rendezvous.fire("a_started")
    _rendezvous.wait("b_done")
    _check("a", "sqlite", url)
    op.create_table("from_a", sa.Column("id", sa.Integer))


def upgrade_b() -> None:
    url = op.get_bind().engine.url.database
    dialect = op.get_context().dialect.name
    _rendezvous.wait("a_started")
    _check("b", dialect, url)
    op.create_table("from_b", sa.Column("id", sa.Integer))
    _rendezvous.fire("b_done")
"""
    )
    config = write_project(
        tmp_path,
        None,
        [Rev("r1", None, extra=extra)],
        databases={"a": {"url": a_url}, "b": {"url": database_url}},
    )
    _rendezvous.reset("a_started", "b_done")
    report = await commands.upgrade(config)
    assert report.ok, report.errors()
    assert "from_a" in await tables(a_url)
    assert "from_b" not in await tables(a_url)
    assert "from_b" in await tables(database_url)


async def test_failure_is_isolated_and_reported(tmp_path: Path) -> None:
    """One database's failing step stops only it; the others finish, the report says who."""
    databases = _files(tmp_path, "good", "bad", "other")
    extra = """
def upgrade_bad() -> None:
    raise RuntimeError("boom in bad")
"""
    revs = [*linear("r1"), Rev("r2", "r1", "pass", extra=extra)]
    config = write_project(tmp_path, None, revs, databases=databases)
    report = await commands.upgrade(config, raise_on_error=False)
    assert not report.ok
    status = {db.database: (db.status, db.after) for db in report.databases}
    assert status == {
        "good": ("ok", ("r2",)),
        "bad": ("failed", ("r1",)),
        "other": ("ok", ("r2",)),
    }
    (error,) = report.errors()
    assert isinstance(error, MigrationFailed)
    assert error.database == "bad"
    assert "boom in bad" in str(error)
    assert await versions(databases["bad"]["url"]) == ["r1"]
    with pytest.raises(MigrationFailed):
        await commands.upgrade(config)


async def test_fail_fast_leaves_cancelled_databases_at_their_last_commit(tmp_path: Path) -> None:
    """--fail-fast cancels a database mid-step; its earlier steps stay committed."""
    databases = _files(tmp_path, "slow", "bad")
    extra = (
        RENDEZVOUS
        + """

def upgrade_slow() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer))
    _rendezvous.fire("slow_waiting")
    _rendezvous.sleep_forever()


def upgrade_bad() -> None:
    _rendezvous.wait("slow_waiting")
    raise RuntimeError("bad fails")
"""
    )
    revs = [*linear("r1"), Rev("r2", "r1", "pass", extra=extra)]
    config = write_project(tmp_path, None, revs, databases=databases)
    _rendezvous.reset("slow_waiting")
    report = await commands.upgrade(config, fail_fast=True, raise_on_error=False)
    status = {db.database: (db.status, db.after) for db in report.databases}
    assert status == {"slow": ("cancelled", ("r1",)), "bad": ("failed", ("r1",))}
    assert await versions(databases["slow"]["url"]) == ["r1"]
    assert "half_done" not in await tables(databases["slow"]["url"])


async def test_concurrency_one_runs_databases_one_after_another(tmp_path: Path) -> None:
    """With concurrency=1 a step waiting for another database's step never sees it run."""
    databases = _files(tmp_path, "a", "b")
    extra = (
        RENDEZVOUS
        + """

def upgrade_a() -> None:
    _rendezvous.wait("b_ran", timeout=1)


def upgrade_b() -> None:
    _rendezvous.fire("b_ran")
"""
    )
    config = write_project(tmp_path, None, [Rev("r1", None, extra=extra)], databases=databases)
    _rendezvous.reset("b_ran")
    report = await commands.upgrade(config, concurrency=1, raise_on_error=False)
    assert [db.status for db in report.databases] == ["failed", "ok"]
    assert (await commands.downgrade(config, "base", databases=["b"])).ok
    _rendezvous.reset("b_ran")
    assert (await commands.upgrade(config, concurrency=2, raise_on_error=False)).ok


async def test_on_step_streams_each_step_as_it_commits(tmp_path: Path) -> None:
    """on_step hears a's step while b's step is still waiting for it."""
    databases = _files(tmp_path, "a", "b")
    extra = (
        RENDEZVOUS
        + """

def upgrade_b() -> None:
    _rendezvous.wait("a_reported")
"""
    )
    config = write_project(tmp_path, None, [Rev("r1", None, extra=extra)], databases=databases)
    _rendezvous.reset("a_reported")
    seen: list[StepReport] = []

    def on_step(step: StepReport) -> None:
        seen.append(step)
        if step.database == "a":
            _rendezvous.fire("a_reported")

    report = await commands.upgrade(config, on_step=on_step)
    assert [step.database for step in seen] == ["a", "b"]
    assert seen == sorted(report.steps, key=lambda s: s.database)


async def test_databases_select_and_unknown_names(tmp_path: Path) -> None:
    """databases=[...] migrates only those; an unknown name is a ConfigError naming the known."""
    databases = _files(tmp_path, "a", "b")
    config = write_project(tmp_path, None, linear("r1"), databases=databases)
    report = await commands.upgrade(config, databases=["b"])
    assert [db.database for db in report.databases] == ["b"]
    assert await commands.current(config) == {"a": (), "b": ("r1",)}
    with pytest.raises(ConfigError, match=r"'nope'.*a, b"):
        await commands.upgrade(config, databases=["nope"])


async def test_same_url_and_version_table_is_refused(tmp_path: Path) -> None:
    """Two databases on one URL and version table would share a lock: ConfigError."""
    url = f"sqlite+aiosqlite:///{tmp_path}/one.db"
    with pytest.raises(ConfigError, match="'a' and 'b' share the URL"):
        write_project(tmp_path, None, (), databases={"a": {"url": url}, "b": {"url": url}})
    config = write_project(
        tmp_path,
        None,
        linear("r1"),
        databases={"a": {"url": url}, "b": {"url": url, "version_table": "b_version"}},
    )
    assert (await commands.upgrade(config, databases=["b"])).ok


async def test_unreachable_database_among_several(tmp_path: Path) -> None:
    """An unreachable database fails alone; the report names it and why, the rest run."""
    databases = _files(tmp_path, "a", "c")
    databases["down"] = {"url": "postgresql+asyncpg://nobody:secret@127.0.0.1:1/nowhere"}
    config = write_project(tmp_path, None, linear("r1"), databases=databases)
    report = await commands.upgrade(config, raise_on_error=False)
    status = {db.database: db.status for db in report.databases}
    assert status == {"a": "ok", "c": "ok", "down": "failed"}
    (error,) = report.errors()
    assert isinstance(error, DatabaseUnavailable)
    assert "down" in str(error)
    assert "secret" not in str(error)
    errors: dict[str, AsyncmigError] = {}
    found = await commands.current(config, errors=errors)
    assert found == {"a": ("r1",), "c": ("r1",)}
    assert list(errors) == ["down"]


async def test_sqlite_has_no_schemas(tmp_path: Path) -> None:
    """schemas on a SQLite database is a ConfigError in that database's report."""
    databases = _files(tmp_path, "lite", "ok")
    databases["lite"]["schemas"] = ["t1"]  # type: ignore[assignment]
    config = write_project(tmp_path, None, linear("r1"), databases=databases)
    report = await commands.upgrade(config, raise_on_error=False)
    status = {db.database: db.status for db in report.databases}
    assert status == {"lite": "failed", "ok": "ok"}
    (error,) = report.errors()
    assert isinstance(error, ConfigError)
    assert "SQLite has no tenant schemas" in str(error)
