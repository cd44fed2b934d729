"""revision --autogenerate and check as a library: sources, hooks, rendering, multidb."""

from __future__ import annotations

import shutil
import sys
import textwrap
import uuid
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from asyncmig import Config
from asyncmig._commands import autogen
from asyncmig._commands import database as db_commands
from asyncmig._commands import scripts as script_commands
from asyncmig.errors import CommandError, ConfigError

pytestmark = pytest.mark.anyio

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()
account = sa.Table(
    "account",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
)
"""


def project(
    tmp_path: Path,
    url: str | None,
    *,
    env: str | None = None,
    extra: str = "",
    template: str = "generic",
    databases: dict[str, str] | None = None,
) -> Config:
    """A script location with `template`'s script.py.mako, an optional env.py, a config."""
    location = tmp_path / "migrations"
    (location / "versions").mkdir(parents=True)
    shutil.copy(TEMPLATES / template / "script.py.mako", location / "script.py.mako")
    if env is not None:
        (location / "env.py").write_text(textwrap.dedent(env))
    lines = ['script_location = "%(here)s/migrations"']
    if url is not None:
        lines.append(f'url = "{url}"')
    lines.append(textwrap.dedent(extra))
    for name, db_url in (databases or {}).items():
        lines.append(f'[databases.{name}]\nurl = "{db_url}"')
    (tmp_path / "asyncmig.toml").write_text("\n".join(lines) + "\n")
    return Config.load(tmp_path / "asyncmig.toml")


def models_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str = MODELS) -> str:
    """Write `source` as a uniquely named module in tmp_path; return its name."""
    monkeypatch.setattr(sys, "path", [*sys.path])
    name = f"models_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    return name


def env_with(body: str = "") -> str:
    """An env.py holding MODELS' metadata as target_metadata, plus `body`."""
    return MODELS + "\ntarget_metadata = metadata\n" + textwrap.dedent(body)


async def read(path: str) -> str:
    """A written script's text, read without blocking the event loop."""
    return await anyio.Path(path).read_text()


async def table_names(url: str) -> set[str]:
    """The tables the database at `url` has."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_config_key_names_the_models(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """target_metadata = "module:attr" with prepend_sys_path is compared; check then agrees."""
    name = models_module(tmp_path, monkeypatch)
    config = project(
        tmp_path,
        database_url,
        extra=f'target_metadata = "{name}:metadata"\nprepend_sys_path = ["%(here)s"]',
    )
    before = await autogen.check(config)
    assert not before.ok
    assert [d.description for d in before.differences] == ["add table account"]
    info = await autogen.autogenerate_revision(config, "create account")
    assert info is not None
    assert not info.empty
    assert info.path is not None
    assert "op.create_table(" in await read(info.path)
    await db_commands.upgrade(config)
    after = await autogen.check(config)
    assert after.ok, after.differences
    assert after.revisions == {"main": (info.revision,)}


async def test_env_target_metadata_and_revision_delegates(tmp_path: Path, sqlite_url: str) -> None:
    """env.py's target_metadata is used, and revision(autogenerate=True) delegates."""
    config = project(tmp_path, sqlite_url, env=env_with())
    info = await script_commands.revision(config, "first", autogenerate=True)
    assert info is not None
    assert info.path is not None
    text = await read(info.path)
    assert 'op.create_table(\n        "account"' in text
    assert 'op.drop_table("account")' in text


async def test_not_at_head_is_refused(tmp_path: Path, database_url: str) -> None:
    """A database behind its head: 'Target database is not up to date', naming both."""
    config = project(tmp_path, database_url, env=env_with())
    info = await autogen.autogenerate_revision(config, "one", rev_id="aaa111")
    assert info is not None
    with pytest.raises(CommandError) as caught:
        await autogen.autogenerate_revision(config, "two")
    message = str(caught.value)
    assert "Target database is not up to date" in message
    assert "'main' is at <base>" in message
    assert "aaa111" in message
    assert "asyncmig upgrade head" in message
    with pytest.raises(CommandError, match="not up to date"):
        await autogen.check(config)
    assert await table_names(database_url) == set()


async def test_without_target_metadata(tmp_path: Path, sqlite_url: str) -> None:
    """No metadata in env.py nor the config: the error says where to set it."""
    config = project(tmp_path, sqlite_url, env="target_metadata = None\n")
    with pytest.raises(CommandError, match=r"target_metadata.*env\.py.*configuration"):
        await autogen.check(config)


async def test_broken_config_reference(tmp_path: Path, sqlite_url: str) -> None:
    """A target_metadata module that cannot be imported is a ConfigError naming the key."""
    config = project(tmp_path, sqlite_url, extra='target_metadata = "no_such_models_xyz:md"')
    with pytest.raises(ConfigError, match=r"'target_metadata'.*no_such_models_xyz"):
        await autogen.check(config)


async def test_empty_diff_writes_an_empty_revision(tmp_path: Path, sqlite_url: str) -> None:
    """With nothing to do the revision is still written, its functions only pass."""
    config = project(
        tmp_path, sqlite_url, env="import sqlalchemy as sa\ntarget_metadata = sa.MetaData()\n"
    )
    info = await autogen.autogenerate_revision(config, "nothing")
    assert info is not None
    assert info.empty
    assert info.differences == ()
    assert info.path is not None
    assert "pass  # no changes detected" in await read(info.path)


async def test_version_table_is_never_reported(tmp_path: Path, sqlite_url: str) -> None:
    """A configured version table name is skipped by the comparison."""
    config = project(tmp_path, sqlite_url, env=env_with(), extra='version_table = "my_versions"')
    await autogen.autogenerate_revision(config, "one")
    await db_commands.upgrade(config)
    assert "my_versions" in await table_names(sqlite_url)
    assert (await autogen.check(config)).ok


async def test_include_object_and_server_default_switch(tmp_path: Path, sqlite_url: str) -> None:
    """include_object hides a table; compare_server_default in env.py turns defaults on."""
    env = env_with(
        """
        sa.Table("hidden", metadata, sa.Column("id", sa.Integer, primary_key=True))
        account.c.name.server_default = sa.DefaultClause("x")

        def include_object(obj, name, type_, reflected, compare_to):
            return name != "hidden"
        """
    )
    config = project(tmp_path, sqlite_url, env=env)
    await autogen.autogenerate_revision(config, "one")
    await db_commands.upgrade(config)
    assert await table_names(sqlite_url) == {
        "account",
        "asyncmig_version",
        "asyncmig_version_ledger",
    }
    env_path = tmp_path / "migrations" / "env.py"
    models = env_path.read_text().replace('DefaultClause("x")', 'DefaultClause("y")')
    # a second location, so the changed env.py is imported afresh
    other = tmp_path / "second"
    other.mkdir()
    config2 = project(other, sqlite_url, env=models)
    shutil.rmtree(other / "migrations" / "versions")
    shutil.copytree(tmp_path / "migrations" / "versions", other / "migrations" / "versions")
    assert (await autogen.check(config2)).ok
    config3 = project(other / "third", sqlite_url, env=models + "\ncompare_server_default = True\n")
    shutil.rmtree(other / "third" / "migrations" / "versions")
    shutil.copytree(
        tmp_path / "migrations" / "versions", other / "third" / "migrations" / "versions"
    )
    found = await autogen.check(config3)
    assert [d.kind for d in found.differences] == ["modify_default"]


async def test_process_revision_directives(tmp_path: Path, sqlite_url: str) -> None:
    """The hook may rename the revision, or drop it so nothing is written."""
    env = env_with(
        """
        def process_revision_directives(context, revision, directives):
            script = directives[0]
            if script.message == "skip":
                directives[:] = []
                return
            script.rev_id = "fixed1234567"
            script.message = "renamed by hook"
        """
    )
    config = project(tmp_path, sqlite_url, env=env)
    assert await autogen.autogenerate_revision(config, "skip") is None
    assert list((tmp_path / "migrations" / "versions").glob("*.py")) == []
    info = await autogen.autogenerate_revision(config, "original")
    assert info is not None
    assert info.revision == "fixed1234567"
    assert info.message == "renamed by hook"


async def test_render_as_batch_default_and_off(tmp_path: Path, sqlite_url: str) -> None:
    """SQLite renders batch blocks by default; env.py's render_as_batch = False turns them off."""
    config = project(tmp_path, sqlite_url, env=env_with())
    await autogen.autogenerate_revision(config, "one")
    await db_commands.upgrade(config)
    changed = env_with('account.append_column(sa.Column("email", sa.String(20)))\n')
    batched = project(tmp_path / "b", sqlite_url, env=changed)
    shutil.rmtree(tmp_path / "b" / "migrations" / "versions")
    shutil.copytree(
        tmp_path / "migrations" / "versions", tmp_path / "b" / "migrations" / "versions"
    )
    info = await autogen.autogenerate_revision(batched, "batched", rev_id="bbb222")
    assert info is not None
    assert info.path is not None
    assert "with op.batch_alter_table" in await read(info.path)
    plain = project(tmp_path / "p", sqlite_url, env=changed + "\nrender_as_batch = False\n")
    shutil.rmtree(tmp_path / "p" / "migrations" / "versions")
    shutil.copytree(
        tmp_path / "migrations" / "versions", tmp_path / "p" / "migrations" / "versions"
    )
    info = await autogen.autogenerate_revision(plain, "plain")
    assert info is not None
    assert info.path is not None
    text = await read(info.path)
    assert "batch_alter_table" not in text
    assert 'op.add_column("account"' in text


async def test_rename_note_is_a_comment(tmp_path: Path, sqlite_url: str) -> None:
    """An added and a removed column in one table leave a '# NOTE:' comment in the script."""
    config = project(tmp_path, sqlite_url, env=env_with())
    await autogen.autogenerate_revision(config, "one")
    await db_commands.upgrade(config)
    renamed = env_with().replace('"name", sa.String(50)', '"full_name", sa.String(50)')
    other = project(tmp_path / "r", sqlite_url, env=renamed)
    shutil.rmtree(tmp_path / "r" / "migrations" / "versions")
    shutil.copytree(
        tmp_path / "migrations" / "versions", tmp_path / "r" / "migrations" / "versions"
    )
    info = await autogen.autogenerate_revision(other, "rename")
    assert info is not None
    assert info.path is not None
    assert info.notes["main"]
    text = await read(info.path)
    assert "    # NOTE: account: columns added (full_name) and removed (name)" in text
    compile(text, info.path, "exec")


async def test_multidb_one_script_per_database_functions(tmp_path: Path) -> None:
    """Two databases, one script: upgrade_<name>() from each database's own metadata."""
    env = """
    import sqlalchemy as sa

    first = sa.MetaData()
    sa.Table("first_only", first, sa.Column("id", sa.Integer, primary_key=True))
    second = sa.MetaData()
    sa.Table("second_only", second, sa.Column("id", sa.Integer, primary_key=True))
    target_metadata = {"one": first, "two": second}
    """
    urls = {name: f"sqlite+aiosqlite:///{tmp_path}/{name}.db" for name in ("one", "two")}
    config = project(tmp_path, None, env=env, template="multidb", databases=urls)
    info = await autogen.autogenerate_revision(config, "both")
    assert info is not None
    assert info.path is not None
    assert {(d.database, d.description) for d in info.differences} == {
        ("one", "add table first_only"),
        ("two", "add table second_only"),
    }
    text = await read(info.path)
    upgrade_one = text.split("def upgrade_one")[1].split("def downgrade_one")[0]
    assert "first_only" in upgrade_one
    assert "second_only" not in upgrade_one
    await db_commands.upgrade(config)
    assert await table_names(urls["one"]) == {
        "first_only",
        "asyncmig_version",
        "asyncmig_version_ledger",
    }
    assert await table_names(urls["two"]) == {
        "second_only",
        "asyncmig_version",
        "asyncmig_version_ledger",
    }
    assert (await autogen.check(config)).ok


async def test_multidb_needs_a_per_database_template(tmp_path: Path) -> None:
    """Several databases with a template lacking upgrade_<name>(): an error, no file."""
    env = "import sqlalchemy as sa\ntarget_metadata = sa.MetaData()\n"
    urls = {name: f"sqlite+aiosqlite:///{tmp_path}/{name}.db" for name in ("one", "two")}
    config = project(tmp_path, None, env=env, databases=urls)
    with pytest.raises(CommandError, match="per-database functions"):
        await autogen.autogenerate_revision(config, "both")
    assert list((tmp_path / "migrations" / "versions").glob("*.py")) == []


async def test_migrations_get_the_models_naming_convention(tmp_path: Path, sqlite_url: str) -> None:
    """A hand-written op.create_index(None, ...) is named by env.py's metadata convention."""
    env = """
    import sqlalchemy as sa
    convention = {"ix": "custom_%(table_name)s_%(column_0_name)s"}
    target_metadata = sa.MetaData(naming_convention=convention)
    """
    config = project(tmp_path, sqlite_url, env=env)
    script = """
revision = "aaa111"
down_revision = None
branch_labels = None
depends_on = None
from asyncmig import op
import sqlalchemy as sa

def upgrade():
    op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("x", sa.Integer))
    op.create_index(None, "t", ["x"])

def downgrade():
    op.drop_table("t")
"""
    (tmp_path / "migrations" / "versions" / "aaa111_t.py").write_text(script)
    await db_commands.upgrade(config)
    engine = create_async_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            indexes = await conn.run_sync(lambda c: sa.inspect(c).get_indexes("t"))
    finally:
        await engine.dispose()
    assert [ix["name"] for ix in indexes] == ["custom_t_x"]


async def test_list_and_declarative_base_sources(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """env.py's list of MetaData and a config key naming a declarative base both count."""
    name = models_module(
        tmp_path,
        monkeypatch,
        """
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

        class Base(DeclarativeBase):
            pass

        class Thing(Base):
            __tablename__ = "thing"
            id: Mapped[int] = mapped_column(primary_key=True)
        """,
    )
    env = """
    import sqlalchemy as sa
    first, second = sa.MetaData(), sa.MetaData()
    sa.Table("one", first, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("two", second, sa.Column("id", sa.Integer, primary_key=True))
    target_metadata = [first, second]
    """
    listed = project(tmp_path / "listed", sqlite_url, env=env)
    found = await autogen.check(listed)
    assert [d.description for d in found.differences] == ["add table one", "add table two"]
    based = project(
        tmp_path / "based",
        sqlite_url,
        extra=f'target_metadata = "{name}:Base"\nprepend_sys_path = ["{tmp_path}"]',
    )
    found = await autogen.check(based)
    assert [d.description for d in found.differences] == ["add table thing"]


async def test_compare_type_can_be_turned_off(tmp_path: Path, sqlite_url: str) -> None:
    """compare_type is on by default; env.py's compare_type = False ignores type changes."""
    config = project(tmp_path, sqlite_url, env=env_with())
    await autogen.autogenerate_revision(config, "one")
    await db_commands.upgrade(config)
    retyped = env_with().replace('"name", sa.String(50)', '"name", sa.Text')
    for folder, extra, kinds in (("on", "", ["modify_type"]), ("off", "compare_type = False", [])):
        other = project(tmp_path / folder, sqlite_url, env=retyped + extra + "\n")
        shutil.rmtree(tmp_path / folder / "migrations" / "versions")
        shutil.copytree(
            tmp_path / "migrations" / "versions", tmp_path / folder / "migrations" / "versions"
        )
        found = await autogen.check(other)
        assert [d.kind for d in found.differences] == kinds
