"""revision() is the one way into autogenerate, for the library and the command line alike."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import anyio
import pytest

from asyncmig import Config
from asyncmig._commands import scripts
from asyncmig.errors import CommandError
from tests.cli._run import ok

pytestmark = pytest.mark.anyio

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
NAMES = ("one", "two", "three")
ENV = """
import sqlalchemy as sa

target_metadata = {}
for name in ("one", "two", "three"):
    target_metadata[name] = sa.MetaData()
    sa.Table(f"{name}_only", target_metadata[name], sa.Column("id", sa.Integer, primary_key=True))
"""


def _project(tmp_path: Path) -> Path:
    """Three SQLite databases sharing one history, each with a table of its own to create."""
    location = tmp_path / "migrations"
    (location / "versions").mkdir(parents=True)
    shutil.copy(TEMPLATES / "multidb" / "script.py.mako", location / "script.py.mako")
    (location / "env.py").write_text(textwrap.dedent(ENV))
    lines = ['script_location = "%(here)s/migrations"']
    for name in NAMES:
        lines.append(f'[databases.{name}]\nurl = "sqlite+aiosqlite:///%(here)s/{name}.db"')
    (tmp_path / "asyncmig.toml").write_text("\n".join(lines) + "\n")
    return tmp_path / "asyncmig.toml"


def _written(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "migrations" / "versions").glob("*.py"))


async def test_autogenerate_compares_the_databases_named(tmp_path: Path) -> None:
    """revision(autogenerate=True, databases=[...]) compares those databases only."""
    config = Config.load(_project(tmp_path))
    info = await scripts.revision(config, "pair", autogenerate=True, databases=["one", "two"])
    assert info is not None
    assert {(d.database, d.description) for d in info.differences} == {
        ("one", "add table one_only"),
        ("two", "add table two_only"),
    }
    assert info.path is not None
    text = await anyio.Path(info.path).read_text()
    upgrade_three = text.split("def upgrade_three")[1].split("def downgrade_three")[0]
    assert "three_only" not in upgrade_three


def test_the_command_line_autogenerates_through_revision(tmp_path: Path) -> None:
    """`revision --autogenerate --db one --db two` writes the changes of those two databases."""
    _project(tmp_path)
    out = ok("revision", "--autogenerate", "-m", "pair", "--db", "one", "--db", "two", cwd=tmp_path)
    assert "[one] detected add table one_only" in out
    assert "[two] detected add table two_only" in out
    assert "three_only" not in out
    assert len(_written(tmp_path)) == 1


async def test_databases_belongs_to_autogenerate(tmp_path: Path) -> None:
    """`databases` without autogenerate, or with `database` too, is refused; nothing is written."""
    config = Config.load(_project(tmp_path))
    with pytest.raises(CommandError, match="autogenerate compares"):
        await scripts.revision(config, "plain", databases=["one"])
    with pytest.raises(CommandError, match="do not go together"):
        await scripts.revision(config, "both", autogenerate=True, database="one", databases=["two"])
    assert _written(tmp_path) == []
