"""Alembic scripts unchanged: the helpers scripts call, and what bind.commit() part-way does."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from asyncmig.errors import OperationNotSupported
from tests.operations._harness import rows, run

pytestmark = pytest.mark.anyio


async def test_get_context_and_bind_like_alembic(database_url: str) -> None:
    """op.get_context() has .dialect and .opts; op.get_bind() has .engine.url and .dialect."""

    def upgrade(op: Any) -> tuple[str, str, str, bool]:
        context = op.get_context()
        bind = op.get_bind()
        return (
            context.dialect.name,
            bind.dialect.name,
            bind.engine.url.drivername,
            context.opts.get("as_sql") is False,
        )

    dialect, bind_dialect, driver, online = await run(database_url, upgrade)
    assert dialect == bind_dialect
    assert driver == sa.engine.make_url(database_url).drivername
    assert online


async def test_run_async_without_an_async_connection_says_so(database_url: str) -> None:
    """A context built without the step's AsyncConnection refuses run_async in one line."""

    async def count(conn: Any) -> int:
        return int((await conn.execute(sa.text("SELECT 41 + 1"))).scalar_one())

    with pytest.raises(OperationNotSupported, match="does not run on an AsyncConnection"):
        await run(database_url, lambda op: op.run_async(count), with_async_connection=False)


async def test_execute_accepts_ddl_elements(database_url: str) -> None:
    """op.execute() runs a DDL element such as CreateTable and DDL()."""
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))

    def upgrade(op: Any) -> None:
        op.execute(sa.schema.CreateTable(table))
        op.execute(sa.DDL("CREATE INDEX ix_t_id ON t (id)"))

    await run(database_url, upgrade)
    assert await rows(database_url, "SELECT count(*) FROM t") == [(0,)]


async def test_bind_commit_part_way_keeps_the_committed_part(database_url: str) -> None:
    """bind.commit() part-way commits the step's work so far; a later failure keeps it."""

    def upgrade(op: Any) -> None:
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
        op.execute("INSERT INTO t (id) VALUES (1)")
        op.get_bind().commit()
        op.execute("INSERT INTO t (id) VALUES (2)")
        raise RuntimeError("boom after the commit")

    with pytest.raises(RuntimeError, match="boom"):
        await run(database_url, upgrade)
    assert await rows(database_url, "SELECT id FROM t") == [(1,)]


# -- what a script reads from op.get_context(), op.get_bind() and `context` ---------------

_PROBE = '''
"""Records what Alembic's script-facing API answers."""
import json

import sqlalchemy as sa

from asyncmig.errors import OperationNotSupported
from alembic import context, op

revision = "{rev}"
down_revision = {down}
branch_labels = None
depends_on = None


def upgrade():
    ctx = op.get_context()
    bind = op.get_bind()
    cfg = ctx.config
    seen = cfg.attributes.setdefault("seen", [])
    seen.append(revision)
    data = {{
        "main_url": cfg.get_main_option("sqlalchemy.url"),
        "main_missing": cfg.get_main_option("nope", "fallback"),
        "section_option": cfg.get_section_option("custom", "key"),
        "section": cfg.get_section("custom"),
        "no_section": cfg.get_section("nope"),
        "file": cfg.config_file_name,
        "ini_section": cfg.config_ini_section,
        "cmd_x": cfg.cmd_opts.x,
        "cmd_sql": cfg.cmd_opts.sql,
        "attributes_seen": list(seen),
        "same_config": context.config is cfg,
        "dialects": [ctx.dialect.name, bind.dialect.name, ctx.impl.dialect.name],
        "same_bind": [
            ctx.connection is bind, ctx.bind is bind, ctx.impl.connection is bind,
            ctx.impl.bind is bind, context.get_bind() is bind,
        ],
        "as_sql": [ctx.as_sql, ctx.impl.as_sql, ctx.opts["as_sql"], context.is_offline_mode()],
        "opts": sorted(k for k in ("target_metadata", "literal_binds", "as_sql") if k in ctx.opts),
        "url_text": str(bind.engine.url),
        "x_list": context.get_x_argument(),
        "x_dict": context.get_x_argument(as_dictionary=True),
        "current": ctx.get_current_revision(),
        "same_context": context.get_context() is ctx,
        "script": ctx.script is not None,
    }}
    out = context.get_x_argument(as_dictionary=True)["out"]
    with open(f"{{out}}.{{revision}}.json", "w") as handle:
        json.dump(data, handle)


def downgrade():
    pass
'''


def _password_url(url: str) -> str:
    """`url` with a password PostgreSQL's trust authentication ignores (SQLite has none)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_dialect().name != "postgresql":
        return url
    return parsed.set(password="s3cret").render_as_string(hide_password=False)


async def test_script_reads_alembic_config_context_and_bind(
    any_database_url: str, tmp_path: Any
) -> None:
    """A script's context.config, op.get_context(), op.get_bind() answer as under Alembic."""
    import json

    import asyncmig

    url = _password_url(any_database_url)
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1_probe.py").write_text(_PROBE.format(rev="a1", down="None"))
    (versions / "b2_probe.py").write_text(_PROBE.format(rev="b2", down='"a1"'))
    ini = tmp_path / "alembic.ini"
    ini.write_text(
        "[alembic]\nscript_location = %(here)s/migrations\n"
        f"sqlalchemy.url = {url.replace('%', '%%')}\n\n[custom]\nkey = value\n"
    )
    out = tmp_path / "seen"
    config = asyncmig.Config.load(ini, x_arguments=[f"out={out}", "flag"])
    await asyncmig.upgrade(config, "head")
    first = json.loads((tmp_path / "seen.a1.json").read_text())
    second = json.loads((tmp_path / "seen.b2.json").read_text())

    dialect = sa.engine.make_url(url).get_dialect().name
    assert first["main_url"] == url  # the file's text, password included, as Alembic returns it
    assert first["main_missing"] == "fallback"
    assert first["section_option"] == "value"
    assert first["section"] == {"here": tmp_path.as_posix(), "key": "value"}
    assert first["no_section"] is None
    assert (first["file"], first["ini_section"]) == (str(ini), "alembic")
    assert (first["cmd_x"], first["cmd_sql"]) == ([f"out={out}", "flag"], False)
    assert (first["attributes_seen"], second["attributes_seen"]) == (["a1"], ["a1", "b2"])
    assert first["same_config"]
    assert first["dialects"] == [dialect] * 3
    assert first["same_bind"] == [True] * 5
    assert first["as_sql"] == [False] * 4
    assert first["opts"] == ["as_sql", "literal_binds", "target_metadata"]
    assert first["url_text"] == str(sa.engine.make_url(url))
    assert "s3cret" not in first["url_text"]
    assert first["x_list"] == [f"out={out}", "flag"]
    assert first["x_dict"] == {"out": str(out), "flag": ""}
    assert (first["current"], second["current"]) == (None, "a1")
    assert first["same_context"]
    assert first["script"]


def test_get_bind_offline_is_a_mock_connection_that_writes_sql() -> None:
    """Offline, get_bind() has the dialect and turns DDL run on it into SQL, as Alembic's."""
    from tests.operations._harness import offline

    seen: list[str] = []

    def upgrade(op: Any) -> None:
        bind = op.get_bind()
        seen.append(bind.dialect.name)
        sa.Enum("a", "b", name="state").create(bind)
        bind.execute(sa.text("UPDATE t SET n = 1"))
        op.get_context().impl.static_output("-- note")

    assert offline("postgresql", upgrade) == (
        "CREATE TYPE state AS ENUM ('a', 'b');\n\nUPDATE t SET n = 1;\n\n-- note\n\n"
    )
    assert seen == ["postgresql"]


def test_main_url_is_the_file_text_unless_overridden(tmp_path: Any) -> None:
    """sqlalchemy.url reads as written; a --url override is what a script is told instead."""
    import asyncmig
    from asyncmig._runtime.script_config import ScriptConfig

    ini = tmp_path / "alembic.ini"
    ini.write_text(
        "[alembic]\nscript_location = %(here)s/m\n"
        "sqlalchemy.url = postgresql://u:pw@db.example/app\n"
    )
    as_written = ScriptConfig(asyncmig.Config.load(ini, environ={}))
    assert as_written.get_main_option("sqlalchemy.url") == "postgresql://u:pw@db.example/app"
    assert as_written.get_main_option("url") == "postgresql://u:pw@db.example/app"
    overridden = ScriptConfig(
        asyncmig.Config.load(ini, url="postgresql://u:pw@other.example/app", environ={})
    )
    assert overridden.get_main_option("sqlalchemy.url") == (
        "postgresql+asyncpg://u:pw@other.example/app"
    )
    overridden.set_main_option("sqlalchemy.url", "sqlite:///set.db")
    assert overridden.get_main_option("sqlalchemy.url") == "sqlite:///set.db"
    toml = tmp_path / "asyncmig.toml"
    toml.write_text('script_location = "m"\nurl = "sqlite:///x.db"\n')
    from_toml = ScriptConfig(asyncmig.Config.load(toml, environ={}))
    assert from_toml.get_main_option("sqlalchemy.url") == "sqlite:///x.db"
    assert from_toml.get_section("asyncmig", {})["url"] == "sqlite:///x.db"
