"""Build real script directories for runtime tests, and read databases back."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncmig._config import Config

SCRIPT = '''"""{message}

Revision ID: {rev}
Revises: {down_text}
Create Date: 2026-11-22 10:00:00
"""
import time

import sqlalchemy as sa
from asyncmig import op

revision = {rev!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
{extra}
'''


@dataclass
class Rev:
    """One script: its id, parent(s), and the bodies of upgrade() and downgrade()."""

    id: str
    down: str | tuple[str, ...] | None = None
    upgrade: str = "pass"
    downgrade: str = "pass"
    labels: tuple[str, ...] | None = None
    extra: str = ""  # more module-level code (e.g. an upgrade_<db>() function)
    message: str = ""


def create(rev: str) -> str:
    """An upgrade body that creates table t_<rev>."""
    return f'op.create_table("t_{rev}", sa.Column("id", sa.Integer, primary_key=True))'


def drop(rev: str) -> str:
    """A downgrade body that drops table t_<rev>."""
    return f'op.drop_table("t_{rev}")'


def linear(*ids: str, start: str | None = None) -> list[Rev]:
    """A chain of revisions, each creating (and on downgrade dropping) t_<id>."""
    revs = []
    down = start
    for rev in ids:
        revs.append(Rev(rev, down, create(rev), drop(rev)))
        down = rev
    return revs


def _body(code: str) -> str:
    return textwrap.indent(textwrap.dedent(code).strip() or "pass", "    ")


def write_script(versions: Path, rev: Rev) -> Path:
    """Write one revision file into `versions`."""
    down_text = ", ".join(rev.down) if isinstance(rev.down, tuple) else (rev.down or "")
    path = versions / f"{rev.id}_step.py"
    path.write_text(
        SCRIPT.format(
            message=rev.message or f"step {rev.id}",
            rev=rev.id,
            down_text=down_text,
            down=rev.down,
            labels=rev.labels,
            upgrade=_body(rev.upgrade),
            downgrade=_body(rev.downgrade),
            extra=textwrap.dedent(rev.extra),
        )
    )
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_project(
    root: Path,
    url: str | None,
    revisions: Iterable[Rev] = (),
    *,
    options: Mapping[str, Any] | None = None,
    databases: Mapping[str, Mapping[str, Any]] | None = None,
) -> Config:
    """Write asyncmig.toml and migrations/versions/*.py under `root`; load the config."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    lines = ['script_location = "%(here)s/migrations"']
    if url is not None:
        lines.append(f"url = {_toml_value(url)}")
    for key, value in (options or {}).items():
        lines.append(f"{key} = {_toml_value(value)}")
    for name, table in (databases or {}).items():
        lines.append(f"\n[databases.{name}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())
    (root / "asyncmig.toml").write_text("\n".join(lines) + "\n")
    for rev in revisions:
        write_script(versions, rev)
    return load(root)


def load(root: Path) -> Config:
    """The configuration of a project written by :func:`write_project`."""
    return Config.load(root / "asyncmig.toml", environ={})


async def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one statement, on a fresh engine of its own."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in (await conn.execute(text(sql))).all()]
    finally:
        await engine.dispose()


async def tables(url: str) -> set[str]:
    """The table names in the database's default schema."""
    from sqlalchemy import inspect
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def versions(url: str, table: str = "asyncmig_version") -> list[str]:
    """The version table's rows, sorted."""
    return sorted(row[0] for row in await query(url, f"SELECT version_num FROM {table}"))
