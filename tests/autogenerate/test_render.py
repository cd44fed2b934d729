"""Rendering on its own: empty diffs, imports, user types, batch mode, multidb, JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from asyncmig._autogenerate import render_migration, render_multidb
from asyncmig._autogenerate.diff import AddColumn, AddTable, ModifyNullable
from tests.autogenerate import _harness as h

pytestmark = pytest.mark.anyio


class Money(sa.types.TypeDecorator[Any]):
    """A user type, rendered through its module or user_module_prefix."""

    impl = sa.Numeric(12, 2)
    cache_ok = True


def _add_column(type_: sa.types.TypeEngine[Any]) -> AddColumn:
    table = sa.Table("t", sa.MetaData(), sa.Column("c", type_))
    return AddColumn(schema=None, table="t", column="c", column_obj=table.c.c)


def test_empty_diff_makes_an_empty_migration() -> None:
    """No differences give bodies that say so and still compile."""
    rendered = render_migration([], dialect_name="sqlite")

    assert rendered.empty
    assert rendered.upgrade == rendered.downgrade == "    pass  # no changes detected"
    compile("def upgrade():\n" + rendered.upgrade, "<test>", "exec")


def test_user_type_imports_its_module() -> None:
    """A type from the user's code is rendered with its module and that module imported."""
    rendered = render_migration([_add_column(Money())], dialect_name="postgresql")

    assert f"{__name__}.Money(precision=12, scale=2)" in rendered.upgrade
    assert f"import {__name__}" in rendered.imports


def test_user_module_prefix_replaces_the_module() -> None:
    """user_module_prefix is used instead of the type's module, with no import."""
    rendered = render_migration(
        [_add_column(Money())], dialect_name="postgresql", user_module_prefix="types."
    )

    assert "types.Money(precision=12, scale=2)" in rendered.upgrade
    assert rendered.imports == ()


def test_batch_mode_follows_the_dialect_unless_told() -> None:
    """SQLite renders batch blocks by default; render_as_batch overrides either way."""
    diffs = [_add_column(sa.Integer())]

    assert "batch_alter_table" in render_migration(diffs, dialect_name="sqlite").upgrade
    assert "batch_alter_table" not in render_migration(diffs, dialect_name="postgresql").upgrade
    forced = render_migration(diffs, dialect_name="postgresql", render_as_batch=True)
    assert "batch_op.add_column" in forced.upgrade
    plain = render_migration(diffs, dialect_name="sqlite", render_as_batch=False)
    assert 'op.add_column("t"' in plain.upgrade


def test_multidb_renders_per_database() -> None:
    """Each database gets bodies for its own dialect."""
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    rendered = render_multidb(
        {"main": [AddTable(schema=None, table="t", table_obj=table)], "audit": []},
        dialect_names={"main": "postgresql", "audit": "sqlite"},
    )

    assert "op.create_table(" in rendered["main"].upgrade
    assert rendered["audit"].empty


def test_diffs_are_json_ready_and_equal_by_content() -> None:
    """to_dict() serialises to JSON; two diffs saying the same thing are equal."""
    a = ModifyNullable(
        schema=None,
        table="t",
        column="c",
        existing_type=sa.Integer(),
        existing_nullable=True,
        existing_server_default=None,
        existing_comment=None,
        old=True,
        new=False,
    )
    b = ModifyNullable(
        schema=None,
        table="t",
        column="c",
        existing_type=sa.String(),
        existing_nullable=True,
        existing_server_default=None,
        existing_comment=None,
        old=True,
        new=False,
    )

    assert a == b
    assert json.loads(json.dumps(a.to_dict())) == {
        "kind": "modify_nullable",
        "schema": None,
        "table": "t",
        "column": "c",
        "old": True,
        "new": False,
        "description": "modify nullable t.c: NULL -> NOT NULL",
    }


async def test_everything_from_an_empty_database_and_back(database_url: str) -> None:
    """A model set with every construct is created from nothing, matches, and leaves no table."""
    convention = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s"}
    models = sa.MetaData(naming_convention=convention)
    sa.Table(
        "author",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, comment="display name"),
        sa.Column("kind", sa.Enum("person", "org", name="author_kind"), nullable=False),
        sa.Column("joined", sa.DateTime, server_default=sa.func.current_timestamp()),
        sa.UniqueConstraint("name"),
        comment="people and organisations",
    )
    sa.Table(
        "book",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("author_id", sa.ForeignKey("author.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False, index=True),
        sa.Column("price", Money()),
        sa.Column("pages", sa.Integer, server_default="0"),
        sa.CheckConstraint("pages >= 0", name="ck_book_pages"),
        sa.Index("ix_book_author_title", "author_id", "title", unique=True),
    )

    enums = ["add_enum"] if database_url.startswith("postgresql") else []

    await h.apply_both_ways(
        database_url,
        sa.MetaData(),
        models,
        [*enums, "add_table", "add_table"],
        compare_server_default=True,
    )

    def tables(conn: sa.Connection) -> list[str]:
        return sa.inspect(conn).get_table_names()

    assert await h.run_sync(database_url, tables) == []


def test_process_revision_directives_can_drop_or_filter() -> None:
    """The hook may empty the directives (nothing written) or remove differences."""
    from asyncmig._autogenerate.directives import run_revision_directives

    diffs = {"main": [_add_column(sa.Integer()), _add_column(sa.String())]}

    def skip_empty(context: Any, revision: Any, directives: list[Any]) -> None:
        if directives[0].upgrade_ops.is_empty():
            directives[:] = []

    def keep_first(context: Any, revision: Any, directives: list[Any]) -> None:
        directives[0].upgrade_ops.ops[1:] = []
        directives[0].message = "edited"

    empty = run_revision_directives(
        skip_empty, None, None, rev_id="a", message="m", diffs={"main": []}
    )
    assert empty is None
    script = run_revision_directives(keep_first, None, None, rev_id="a", message="m", diffs=diffs)
    assert script is not None
    assert script.message == "edited"
    assert len(script.diffs_by_database()["main"]) == 1


def test_package_exports() -> None:
    """The internal API named in __all__ is importable."""
    import asyncmig._autogenerate as autogen

    for name in autogen.__all__:
        assert getattr(autogen, name) is not None
