"""Column differences: found by comparison, applied and undone by the rendered script."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.autogenerate import _harness as h

pytestmark = pytest.mark.anyio


def _account(metadata: sa.MetaData, *columns: sa.Column[object], **kw: object) -> sa.Table:
    return sa.Table(
        "account", metadata, sa.Column("id", sa.Integer, primary_key=True), *columns, **kw
    )


async def test_seed_gain_lose_and_retype_on_sqlite(sqlite_url: str) -> None:
    """The seed case: a column gained, one lost and one retyped on SQLite, with no hand edits."""
    database = sa.MetaData()
    _account(database, sa.Column("name", sa.Integer), sa.Column("legacy", sa.String(10)))
    models = sa.MetaData()
    _account(models, sa.Column("name", sa.String(40)), sa.Column("email", sa.String(80)))

    diffs, rendered = await h.apply_both_ways(
        sqlite_url, database, models, ["add_column", "modify_type", "remove_column"]
    )

    assert [d.describe() for d in diffs] == [
        "add column account.email",
        "modify type account.name: INTEGER -> VARCHAR(40)",
        "remove column account.legacy",
    ]
    assert 'with op.batch_alter_table("account") as batch_op:' in rendered.upgrade


async def test_added_and_removed_columns(database_url: str) -> None:
    """A column only the models have is added; one only the database has is removed."""
    database = sa.MetaData()
    _account(database, sa.Column("legacy", sa.Integer))
    models = sa.MetaData()
    _account(models, sa.Column("email", sa.String(80), nullable=False, server_default="x"))

    diffs, rendered = await h.apply_both_ways(
        database_url, database, models, ["add_column", "remove_column"]
    )

    assert diffs[0].to_dict()["column"] == "email"
    assert any("renamed" in note for note in rendered.notes)


async def test_nullability(database_url: str) -> None:
    """NULL to NOT NULL (and back on downgrade) is one alter_column."""
    database = sa.MetaData()
    _account(database, sa.Column("name", sa.String(20), nullable=True))
    models = sa.MetaData()
    _account(models, sa.Column("name", sa.String(20), nullable=False))

    diffs, _ = await h.apply_both_ways(database_url, database, models, ["modify_nullable"])

    assert diffs[0].describe() == "modify nullable account.name: NULL -> NOT NULL"


async def test_type_and_nullability_share_one_alter(database_url: str) -> None:
    """Two changes of one column render as one alter_column call each way."""
    database = sa.MetaData()
    _account(database, sa.Column("amount", sa.Integer, nullable=True))
    models = sa.MetaData()
    _account(models, sa.Column("amount", sa.Numeric(10, 2), nullable=False))

    _, rendered = await h.apply_both_ways(
        database_url, database, models, ["modify_nullable", "modify_type"]
    )

    assert rendered.upgrade.count("alter_column(") == 1
    assert rendered.downgrade.count("alter_column(") == 1


async def test_type_comparison_can_be_switched_off(database_url: str) -> None:
    """compare_type=False ignores a changed type."""
    database = sa.MetaData()
    _account(database, sa.Column("name", sa.String(10)))
    models = sa.MetaData()
    _account(models, sa.Column("name", sa.String(50)))
    await h.create(database_url, database)

    assert h.kinds(await h.compare(database_url, models)) == ["modify_type"]
    assert list(await h.compare(database_url, models, compare_type=False)) == []


async def test_equivalent_spellings_are_not_type_changes(database_url: str) -> None:
    """Types the database stores under another spelling (Float, DateTime, Enum) compare equal."""
    models = sa.MetaData()
    _account(
        models,
        sa.Column("f", sa.Float),
        sa.Column("when", sa.DateTime),
        sa.Column("flag", sa.Boolean),
        sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("n", sa.Numeric(8, 3)),
        sa.Column("big", sa.BigInteger),
        sa.Column("body", sa.Text),
    )
    await h.create(database_url, models)

    assert list(await h.compare(database_url, models)) == []


async def test_server_default_only_when_enabled(database_url: str) -> None:
    """Server defaults are compared only with compare_server_default, then applied both ways."""
    database = sa.MetaData()
    _account(
        database,
        sa.Column("status", sa.String(10), server_default="new"),
        sa.Column("n", sa.Integer, server_default=sa.text("0")),
    )
    models = sa.MetaData()
    _account(
        models,
        sa.Column("status", sa.String(10), server_default="open"),
        sa.Column("n", sa.Integer, server_default=sa.text("0")),
    )
    await h.create(database_url, database)
    assert list(await h.compare(database_url, models)) == []
    h_options = {"compare_server_default": True}
    diffs = await h.compare(database_url, models, **h_options)
    assert h.kinds(diffs) == ["modify_default"]

    rendered = await h.render(database_url, diffs)
    await h.execute(database_url, rendered.upgrade, rendered.imports)
    assert list(await h.compare(database_url, models, **h_options)) == []
    await h.execute(database_url, rendered.downgrade, rendered.imports)
    assert list(await h.compare(database_url, database, **h_options)) == []


async def test_unchanged_server_defaults_are_equal(database_url: str) -> None:
    """Reflected defaults (casts, quotes, now()) match the models that made them."""
    models = sa.MetaData()
    _account(
        models,
        sa.Column("status", sa.String(10), server_default="new"),
        sa.Column("n", sa.Integer, server_default="0"),
        sa.Column("at", sa.DateTime, server_default=sa.func.current_timestamp()),
        sa.Column("on", sa.Boolean, server_default=sa.true()),
    )
    await h.create(database_url, models)

    assert list(await h.compare(database_url, models, compare_server_default=True)) == []


@pytest.mark.postgresql
async def test_column_comment(postgresql_url: str) -> None:
    """A changed column comment is found and applied both ways."""
    database = sa.MetaData()
    _account(database, sa.Column("name", sa.String(20), comment="old"))
    models = sa.MetaData()
    _account(models, sa.Column("name", sa.String(20), comment="the name"))

    diffs, _ = await h.apply_both_ways(postgresql_url, database, models, ["modify_comment"])

    assert diffs[0].to_dict()["new"] == "the name"


async def test_comments_are_ignored_on_sqlite(sqlite_url: str) -> None:
    """SQLite has no comments, so differing comments are no difference there."""
    database = sa.MetaData()
    _account(database, sa.Column("name", sa.String(20)))
    models = sa.MetaData()
    _account(models, sa.Column("name", sa.String(20), comment="x"), comment="t")
    await h.create(sqlite_url, database)

    assert list(await h.compare(sqlite_url, models)) == []
