"""The ``naming_convention`` configuration key, end to end through the real CLI."""

from __future__ import annotations

import textwrap
import tomllib
from functools import partial
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa

from asyncmig._config import Config
from asyncmig._operations.naming import DEFAULT_NAMING_CONVENTION
from tests.cli._run import fails, ok
from tests.operations._harness import inspect

pytestmark = pytest.mark.anyio

SCRIPT = '''"""unnamed constraints

Revision ID: aaa111
Revises:
Create Date: 2026-12-03 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "aaa111"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("r", sa.Column("id", sa.Integer, primary_key=True))
    op.create_table(
        "t",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Integer, unique=True),
        sa.Column("rid", sa.Integer, sa.ForeignKey("r.id")),
    )


def downgrade() -> None:
    op.drop_table("t")
    op.drop_table("r")
'''

TOML_CONVENTION = """
[naming_convention]
uq = "uq_%(table_name)s_%(column_0_name)s"
fk = "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"
"""

INI_CONVENTION = """naming_convention =
    uq = uq_%%(table_name)s_%%(column_0_name)s
    fk = fk_%%(table_name)s_%%(column_0_name)s_%%(referred_table_name)s
"""


def _project(root: Path) -> Path:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "aaa111_unnamed.py").write_text(SCRIPT)
    return root


async def _upgrade(project: Path) -> None:
    # the CLI runs in a subprocess: wait for it off the event loop
    await anyio.to_thread.run_sync(partial(ok, "upgrade", "head", cwd=project))


def _names(i: sa.Inspector) -> tuple[list[str | None], list[str | None]]:
    return (
        [u["name"] for u in i.get_unique_constraints("t")],
        [fk["name"] for fk in i.get_foreign_keys("t")],
    )


async def test_toml_convention_names_a_scripts_unnamed_constraints(
    tmp_path: Path, database_url: str
) -> None:
    """A [naming_convention] table in asyncmig.toml names create_table's unnamed constraints."""
    project = _project(tmp_path)
    (project / "asyncmig.toml").write_text(
        f'script_location = "%(here)s/migrations"\nurl = "{database_url}"\n{TOML_CONVENTION}'
    )
    await _upgrade(project)
    assert await inspect(database_url, _names) == (["uq_t_a"], ["fk_t_rid_r"])


async def test_ini_convention_names_a_scripts_unnamed_constraints(
    tmp_path: Path, sqlite_url: str
) -> None:
    """In an ini file, naming_convention is lines of `kind = pattern` (%% for %)."""
    project = _project(tmp_path)
    (project / "asyncmig.ini").write_text(
        f"[asyncmig]\nscript_location = %(here)s/migrations\nurl = {sqlite_url}\n{INI_CONVENTION}"
    )
    await _upgrade(project)
    assert await inspect(sqlite_url, _names) == (["uq_t_a"], ["fk_t_rid_r"])


async def test_no_convention_leaves_names_to_the_database(
    tmp_path: Path, postgresql_url: str
) -> None:
    """Without the key (an Alembic project as it is) PostgreSQL names the constraints."""
    project = _project(tmp_path)
    (project / "asyncmig.toml").write_text(
        f'script_location = "%(here)s/migrations"\nurl = "{postgresql_url}"\n'
    )
    await _upgrade(project)
    assert await inspect(postgresql_url, _names) == (["t_a_key"], ["t_rid_fkey"])


def test_unknown_convention_kind_is_one_line_error(tmp_path: Path) -> None:
    """A kind other than ix/uq/ck/fk/pk is a one-line error naming the key."""
    project = _project(tmp_path)
    (project / "asyncmig.toml").write_text(
        'script_location = "%(here)s/migrations"\nurl = "sqlite:///x.db"\n'
        '[naming_convention]\nunique = "uq_%(table_name)s"\n'
    )
    err = fails("heads", cwd=project)
    assert "naming_convention" in err
    assert "'unique'" in err


@pytest.mark.parametrize("template", ["generic", "multidb", "pyproject"])
def test_init_opts_new_projects_in_visibly(tmp_path: Path, template: str) -> None:
    """Every template writes the default convention with a one-line comment above it."""
    ok("init", "-t", template, "migrations", cwd=tmp_path)
    name = "pyproject.toml" if template == "pyproject" else "asyncmig.toml"
    text = (tmp_path / name).read_text()
    header = (
        "[tool.asyncmig.naming_convention]" if template == "pyproject" else "[naming_convention]"
    )
    before = text.split(header)[0].rstrip().splitlines()[-1]
    assert before.startswith("# ")
    assert "opt-in" in before
    tomllib.loads(text)  # still valid TOML
    config = Config.load(cwd=tmp_path)
    assert dict(config.naming_convention) == dict(DEFAULT_NAMING_CONVENTION)


def test_convention_patterns_are_written_as_in_sqlalchemy(tmp_path: Path) -> None:
    """TOML patterns take single % signs, exactly as SQLAlchemy documents them."""
    (tmp_path / "asyncmig.toml").write_text(
        textwrap.dedent(
            """\
            script_location = "migrations"
            url = "sqlite:///x.db"
            [naming_convention]
            ck = "ck_%(table_name)s_%(constraint_name)s"
            """
        )
    )
    config = Config.load(cwd=tmp_path)
    assert dict(config.naming_convention) == {"ck": "ck_%(table_name)s_%(constraint_name)s"}
