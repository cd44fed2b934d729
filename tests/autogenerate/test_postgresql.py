"""PostgreSQL specifics: named enum types and dialect types with their imports."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tests.autogenerate import _harness as h

pytestmark = [pytest.mark.anyio, pytest.mark.postgresql]


async def _enum_names(url: str) -> list[str]:
    def read(conn: sa.Connection) -> list[str]:
        return sorted(e["name"] for e in sa.inspect(conn).get_enums())  # type: ignore[attr-defined]

    names: list[str] = await h.run_sync(url, read)
    return names


async def test_enum_type_is_created_with_its_table_and_dropped_after(postgresql_url: str) -> None:
    """A new table's enum type is created before it and dropped after it on downgrade."""
    models = sa.MetaData()
    sa.Table(
        "pet",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mood", sa.Enum("happy", "sad", name="mood"), nullable=False),
    )

    diffs, rendered = await h.apply_both_ways(
        postgresql_url, sa.MetaData(), models, ["add_enum", "add_table"]
    )

    assert diffs[0].describe() == "add enum mood (happy, sad)"
    assert "from sqlalchemy.dialects import postgresql" in rendered.imports
    assert await _enum_names(postgresql_url) == []


async def test_enum_column_added_to_existing_table(postgresql_url: str) -> None:
    """An enum column on an existing table gets its type created first."""
    database = sa.MetaData()
    sa.Table("pet", database, sa.Column("id", sa.Integer, primary_key=True))
    models = sa.MetaData()
    sa.Table(
        "pet",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
    )

    await h.apply_both_ways(postgresql_url, database, models, ["add_enum", "add_column"])

    assert await _enum_names(postgresql_url) == []


async def test_enum_of_a_removed_table_is_dropped(postgresql_url: str) -> None:
    """Dropping the only table that used an enum drops the type too, and downgrade restores it."""
    database = sa.MetaData()
    sa.Table(
        "pet",
        database,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
    )

    await h.apply_both_ways(
        postgresql_url, database, sa.MetaData(), ["remove_table", "remove_enum"]
    )

    assert await _enum_names(postgresql_url) == ["mood"]


async def test_enum_gains_values(postgresql_url: str) -> None:
    """New enum values are added with ALTER TYPE; the lost ones are a note, not a guess."""
    database = sa.MetaData()
    sa.Table(
        "pet",
        database,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
    )
    models = sa.MetaData()
    sa.Table(
        "pet",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mood", sa.Enum("happy", "sad", "sleepy", name="mood")),
    )
    await h.create(postgresql_url, database)

    diffs = await h.compare(postgresql_url, models)
    assert [d.describe() for d in diffs] == [
        "modify enum mood: (happy, sad) -> (happy, sad, sleepy)"
    ]
    rendered = await h.render(postgresql_url, diffs)
    await h.execute(postgresql_url, rendered.upgrade, rendered.imports)

    assert list(await h.compare(postgresql_url, models)) == []
    assert any("cannot drop enum values" in note for note in rendered.notes)


async def test_dialect_types_round_trip(postgresql_url: str) -> None:
    """JSONB, UUID, ARRAY and INET render with the postgresql prefix and apply cleanly."""
    models = sa.MetaData()
    sa.Table(
        "doc",
        models,
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("body", postgresql.JSONB, nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.String(20))),
        sa.Column("origin", postgresql.INET),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )

    _, rendered = await h.apply_both_ways(
        postgresql_url, sa.MetaData(), models, ["add_table"], compare_server_default=True
    )

    assert "postgresql.JSONB(astext_type=sa.Text())" in rendered.upgrade
    assert "postgresql.ARRAY(sa.String(length=20))" in rendered.upgrade
