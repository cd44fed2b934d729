"""revision --autogenerate and check through the real command line."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.cli._run import fails, ok

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# Every construct autogenerate handles: tables, FKs, indexes, unique, named checks,
# comments, server defaults (and, on PostgreSQL, an enum).
MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
account = sa.Table(
    "account",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(200), nullable=False, unique=True, comment="login"),
    sa.Column("name", sa.String(50), nullable=False, server_default="anonymous"),
    sa.Column("karma", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.CheckConstraint("karma >= 0", name="karma_positive"),
    comment="people who log in",
)
post = sa.Table(
    "post",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("body", sa.Text),
    sa.Index("ix_post_title_account", "title", "account_id"),
    sa.UniqueConstraint("account_id", "title", name="uq_post_account_title"),
)
tag = sa.Table(
    "tag",
    metadata,
    sa.Column("post_id", sa.ForeignKey("post.id"), primary_key=True),
    sa.Column("label", sa.String(30), primary_key=True, index=True),
)
"""

ENUM = """
mood = sa.Enum("happy", "sad", name="mood")
account.append_column(sa.Column("mood", mood, nullable=True))
"""


def write_project(root: Path, url: str, *, source: str, models: str) -> Path:
    """A project at `root` whose models are named by the config ("config") or env.py ("env")."""
    location = root / "migrations"
    (location / "versions").mkdir(parents=True)
    shutil.copy(TEMPLATES / "generic" / "script.py.mako", location / "script.py.mako")
    config = f'script_location = "%(here)s/migrations"\nurl = "{url}"\n'
    if source == "config":
        (root / "models.py").write_text(models)
        config += 'target_metadata = "models:metadata"\nprepend_sys_path = ["%(here)s"]\n'
    else:
        env = models + "\ntarget_metadata = metadata\ncompare_server_default = True\n"
        (location / "env.py").write_text(env)
    (root / "asyncmig.toml").write_text(config)
    return root


def table_names(url: str) -> set[str]:
    """The tables the database at `url` has (read in an event loop of our own)."""

    async def read() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return anyio.run(read, backend="asyncio")


def column_types(url: str, table: str) -> dict[str, str]:
    """The reflected type of each column of `table`."""

    async def read() -> dict[str, str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                columns = await conn.run_sync(lambda c: sa.inspect(c).get_columns(table))
                return {col["name"]: str(col["type"]) for col in columns}
        finally:
            await engine.dispose()

    return anyio.run(read, backend="asyncio")


@pytest.mark.parametrize("source", ["config", "env"])
def test_round_trip_every_construct(tmp_path: Path, database_url: str, source: str) -> None:
    """autogenerate on an empty database, upgrade, check agrees; downgrade base empties it."""
    models = MODELS + (ENUM if database_url.startswith("postgresql") else "")
    project = write_project(tmp_path, database_url, source=source, models=models)
    out = ok("revision", "--autogenerate", "-m", "everything", cwd=project)
    assert "[main] detected add table account" in out
    assert "Generating " in out
    ok("upgrade", "head", cwd=project)
    assert ok("check", cwd=project) == "No new upgrade operations detected.\n"
    ok("downgrade", "base", cwd=project)
    assert table_names(database_url) == {"asyncmig_version", "asyncmig_version_ledger"}
    if database_url.startswith("postgresql"):
        # the enum type went with the downgrade: a second upgrade creates it again
        ok("upgrade", "head", cwd=project)
        assert ok("check", cwd=project) == "No new upgrade operations detected.\n"


def test_seed_case_add_drop_and_retype_a_column_on_sqlite(tmp_path: Path) -> None:
    """A column gained, lost again, and a type changed: each autogenerated and upgraded as is."""
    url = f"sqlite+aiosqlite:///{tmp_path}/app.db"
    base = 'sa.Column("name", sa.String(50), nullable=False, server_default="anonymous"),'
    versions = [
        MODELS,
        MODELS.replace(base, base + '\n    sa.Column("nickname", sa.String(20)),'),
        MODELS,
        MODELS.replace(base, base.replace("sa.String(50)", "sa.Text")),
    ]
    assert len(set(versions)) == 3
    fresh = {"PYTHONDONTWRITEBYTECODE": "1"}  # models.py changes within the same second
    project = write_project(tmp_path, url, source="config", models=versions[0])
    for number, models in enumerate(versions):
        (project / "models.py").write_text(models)
        ok("revision", "--autogenerate", "-m", f"step {number}", cwd=project, env=fresh)
        ok("upgrade", "head", cwd=project, env=fresh)
        assert ok("check", cwd=project, env=fresh) == "No new upgrade operations detected.\n"
        if number == 1:
            assert "nickname" in column_types(url, "account")
        if number == 2:
            assert "nickname" not in column_types(url, "account")
    assert column_types(url, "account")["name"] == "TEXT"
    assert len(list((project / "migrations" / "versions").glob("*.py"))) == 4


def test_check_lists_differences_and_fails(tmp_path: Path, database_url: str) -> None:
    """check exits 1 with one difference per line (and --json) when models moved on."""
    project = write_project(tmp_path, database_url, source="config", models=MODELS)
    ok("revision", "--autogenerate", "-m", "one", cwd=project)
    ok("upgrade", "head", cwd=project)
    changed = MODELS.replace(
        'sa.Column("body", sa.Text),',
        'sa.Column("body", sa.Text),\n    sa.Column("x", sa.Integer),',
    )
    (project / "models.py").write_text(
        changed + 'sa.Table("extra", metadata, sa.Column("id", sa.Integer, primary_key=True))\n'
    )
    from tests.cli._run import run_cli

    result = run_cli("check", cwd=project)
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["[main] add table extra", "[main] add column post.x"]
    assert result.stderr.startswith("asyncmig: error: 2 new upgrade operation(s) detected")
    result = run_cli("check", "--json", cwd=project)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert [(d["database"], d["kind"]) for d in data["differences"]] == [
        ("main", "add_table"),
        ("main", "add_column"),
    ]


def test_check_json_when_in_agreement(tmp_path: Path, sqlite_url: str) -> None:
    """check --json prints ok: true and the revision, and exits 0."""
    project = write_project(tmp_path, sqlite_url, source="config", models=MODELS)
    ok("revision", "--autogenerate", "-m", "one", "--rev-id", "abc123", cwd=project)
    ok("upgrade", "head", cwd=project)
    data = json.loads(ok("check", "--json", cwd=project))
    assert data == {"ok": True, "databases": {"main": ["abc123"]}, "differences": [], "notes": {}}


def test_autogenerate_refuses_a_database_behind_head(tmp_path: Path, sqlite_url: str) -> None:
    """A second autogenerate before upgrading is one error line naming revision and head."""
    project = write_project(tmp_path, sqlite_url, source="config", models=MODELS)
    ok("revision", "--autogenerate", "-m", "one", "--rev-id", "abc123", cwd=project)
    error = fails("revision", "--autogenerate", "-m", "two", cwd=project)
    assert "Target database is not up to date" in error
    assert "<base>" in error
    assert "abc123" in error
    assert "asyncmig upgrade head" in error
    assert "Target database is not up to date" in fails("check", cwd=project)


def test_no_target_metadata_is_an_error(tmp_path: Path, sqlite_url: str) -> None:
    """Without target_metadata anywhere, autogenerate says where to set it."""
    project = write_project(tmp_path, sqlite_url, source="env", models=MODELS)
    (project / "migrations" / "env.py").write_text("target_metadata = None\n")
    error = fails("revision", "--autogenerate", "-m", "one", cwd=project)
    assert "target_metadata" in error
    assert "env.py" in error


def test_empty_diff_says_so_and_runs_post_write_hooks(tmp_path: Path, sqlite_url: str) -> None:
    """No changes: an empty revision is written (and formatted by the post-write hook)."""
    project = write_project(tmp_path, sqlite_url, source="config", models=MODELS)
    ok("revision", "--autogenerate", "-m", "one", cwd=project)
    ok("upgrade", "head", cwd=project)
    with (project / "asyncmig.toml").open("a") as handle:
        handle.write(
            textwrap.dedent(
                """
                [[post_write_hooks]]
                name = "ruff"
                type = "module"
                module = "ruff"
                options = "format REVISION_SCRIPT_FILENAME"
                """
            )
        )
    out = ok("revision", "--autogenerate", "-m", "nothing", "--rev-id", "empty1", cwd=project)
    assert "No changes detected" in out
    (script,) = (project / "migrations" / "versions").glob("empty1_*.py")
    text = script.read_text()
    assert "pass  # no changes detected" in text
    assert 'revision = "empty1"' in text  # the template writes 'empty1'; ruff made it "empty1"
