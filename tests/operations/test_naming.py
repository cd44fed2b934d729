"""Unnamed constraints: named by the target convention, else the configured one, else the database.

The expected names and SQL are what Alembic 1.20 gives for the same directives
(measured by running it): without a convention it emits no name and the database
picks one.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import InvalidRequestError

from asyncmig._operations.naming import DEFAULT_NAMING_CONVENTION
from tests.operations._harness import inspect, offline, rows, run

pytestmark = pytest.mark.anyio

OPTED_IN = {"naming_convention": dict(DEFAULT_NAMING_CONVENTION)}


def _unnamed(op: Any) -> None:
    op.create_foreign_key(None, "t", "r", ["rid"], ["id"])
    op.create_unique_constraint(None, "t", ["a"])
    op.create_check_constraint(None, "t", "a > 0")
    op.create_primary_key(None, "t", ["id"])
    op.create_index(None, "t", ["a"])


def _tables(op: Any) -> None:
    op.create_table("r", sa.Column("id", sa.Integer, primary_key=True))
    op.create_table(
        "t",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("a", sa.Integer),
        sa.Column("rid", sa.Integer),
    )


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "mariadb"])
def test_unnamed_constraints_carry_no_name_offline(dialect: str) -> None:
    """Without a convention an unnamed constraint is emitted without a name, as by Alembic."""
    assert offline(dialect, _unnamed) == (
        "ALTER TABLE t ADD FOREIGN KEY(rid) REFERENCES r (id);\n\n"
        "ALTER TABLE t ADD UNIQUE (a);\n\n"
        "ALTER TABLE t ADD CHECK (a > 0);\n\n"
        "ALTER TABLE t ADD PRIMARY KEY (id);\n\n"
        "CREATE INDEX ix_t_a ON t (a);\n\n"
    )


def test_configured_convention_names_unnamed_constraints() -> None:
    """The configuration's naming_convention names them; an unnamed CHECK keeps no name."""
    assert offline("postgresql", _unnamed, opts=OPTED_IN) == (
        "ALTER TABLE t ADD CONSTRAINT fk_t_rid_r FOREIGN KEY(rid) REFERENCES r (id);\n\n"
        "ALTER TABLE t ADD CONSTRAINT uq_t_a UNIQUE (a);\n\n"
        "ALTER TABLE t ADD CHECK (a > 0);\n\n"
        "ALTER TABLE t ADD CONSTRAINT pk_t PRIMARY KEY (id);\n\n"
        "CREATE INDEX ix_t_a ON t (a);\n\n"
    )


def test_configured_convention_renames_a_named_check() -> None:
    """A named CHECK goes through the configured %(constraint_name)s pattern."""
    sql = offline(
        "postgresql",
        lambda op: op.create_check_constraint("positive", "t", "a > 0"),
        opts=OPTED_IN,
    )
    assert sql == "ALTER TABLE t ADD CONSTRAINT ck_t_positive CHECK (a > 0);\n\n"


def test_configured_convention_names_create_table_constraints() -> None:
    """create_table's unnamed inline constraints get the configured names too."""

    def upgrade(op: Any) -> None:
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("a", sa.Integer, unique=True),
            sa.CheckConstraint("a > 0"),
        )

    assert offline("postgresql", upgrade, opts=OPTED_IN) == (
        "CREATE TABLE t (\n    id INTEGER NOT NULL, \n    a INTEGER, \n"
        "    CONSTRAINT pk_t PRIMARY KEY (id), \n    CHECK (a > 0), \n"
        "    CONSTRAINT uq_t_a UNIQUE (a)\n);\n\n"
    )


def test_target_metadata_convention_wins_over_configured() -> None:
    """The target metadata's convention, where it sets one, decides alone."""
    metadata = sa.MetaData(naming_convention={"uq": "%(table_name)s_%(column_0_name)s_key"})
    sql = offline(
        "postgresql",
        lambda op: (
            op.create_unique_constraint(None, "t", ["a"]),
            op.create_foreign_key(None, "t", "r", ["rid"], ["id"]),
        ),
        opts={**OPTED_IN, "target_metadata": metadata},
    )
    assert sql == (
        "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a);\n\n"
        "ALTER TABLE t ADD FOREIGN KEY(rid) REFERENCES r (id);\n\n"
    )


def test_plain_target_metadata_leaves_the_configured_convention() -> None:
    """A target MetaData without a convention of its own does not hide the configured one."""
    sql = offline(
        "postgresql",
        lambda op: op.create_unique_constraint(None, "t", ["a"]),
        opts={**OPTED_IN, "target_metadata": sa.MetaData()},
    )
    assert sql == "ALTER TABLE t ADD CONSTRAINT uq_t_a UNIQUE (a);\n\n"


def test_target_constraint_name_pattern_refuses_an_unnamed_check_as_alembic() -> None:
    """A target ck pattern with %(constraint_name)s and an unnamed CHECK fail, as in Alembic."""
    metadata = sa.MetaData(naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"})
    with pytest.raises(InvalidRequestError, match="requires that constraint is explicitly named"):
        offline(
            "postgresql",
            lambda op: op.create_check_constraint(None, "t", "a > 0"),
            opts={"target_metadata": metadata},
        )


async def test_postgresql_names_unnamed_constraints_and_later_drops_work(
    postgresql_url: str,
) -> None:
    """PostgreSQL names them <t>_<col>_fkey/_key/_check, <t>_pkey; a later revision drops those."""
    await run(postgresql_url, _tables)
    await run(postgresql_url, _unnamed)

    def names(i: sa.Inspector) -> tuple[Any, ...]:
        return (
            i.get_pk_constraint("t")["name"],
            [fk["name"] for fk in i.get_foreign_keys("t")],
            [uq["name"] for uq in i.get_unique_constraints("t")],
            [ck["name"] for ck in i.get_check_constraints("t")],
        )

    assert await inspect(postgresql_url, names) == (
        "t_pkey",
        ["t_rid_fkey"],
        ["t_a_key"],
        ["t_a_check"],
    )

    def downgrade(op: Any) -> None:
        op.drop_constraint("t_rid_fkey", "t", type_="foreignkey")
        op.drop_constraint("t_a_key", "t", type_="unique")
        op.drop_constraint("t_a_check", "t", type_="check")
        op.drop_constraint("t_pkey", "t", type_="primary")

    await run(postgresql_url, downgrade)
    assert await inspect(postgresql_url, names) == (None, [], [], [])


async def test_mariadb_names_unnamed_constraints(mariadb_url: str) -> None:
    """MariaDB names them t_ibfk_1, a (the unique index) and CONSTRAINT_1, as under Alembic."""
    await run(mariadb_url, _tables)
    await run(mariadb_url, _unnamed)

    def names(i: sa.Inspector) -> tuple[Any, ...]:
        return (
            [fk["name"] for fk in i.get_foreign_keys("t")],
            [uq["name"] for uq in i.get_unique_constraints("t")],
            [ck["name"] for ck in i.get_check_constraints("t")],
            i.get_pk_constraint("t")["constrained_columns"],
        )

    assert await inspect(mariadb_url, names) == (["t_ibfk_1"], ["a"], ["CONSTRAINT_1"], ["id"])
    await run(mariadb_url, lambda op: op.drop_constraint("t_ibfk_1", "t", type_="foreignkey"))
    assert (await inspect(mariadb_url, names))[0] == []


async def test_sqlite_recreate_keeps_an_unnamed_foreign_key_unnamed(sqlite_url: str) -> None:
    """create_foreign_key(None) on SQLite recreates the table with an unnamed key, as a batch."""
    await run(sqlite_url, _tables)
    await run(sqlite_url, lambda op: op.create_foreign_key(None, "t", "r", ["rid"], ["id"]))
    fks = await inspect(sqlite_url, lambda i: i.get_foreign_keys("t"))
    assert [(fk["name"], fk["referred_table"]) for fk in fks] == [(None, "r")]
    (sql,) = await rows(sqlite_url, "SELECT sql FROM sqlite_master WHERE name = 't'")
    assert "FOREIGN KEY(rid) REFERENCES r (id)" in sql[0]
    assert "CONSTRAINT" not in sql[0]


async def test_sqlite_recreate_keeps_reflected_unnamed_constraints_unnamed(
    sqlite_url: str,
) -> None:
    """Unnamed UNIQUE and FOREIGN KEY of a recreated table stay unnamed without a convention."""

    def upgrade(op: Any) -> None:
        op.create_table("r", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("a", sa.Integer, unique=True),
            sa.Column("rid", sa.Integer, sa.ForeignKey("r.id")),
        )

    await run(sqlite_url, upgrade)
    await run(
        sqlite_url,
        lambda op: op.alter_column("t", "a", type_=sa.BigInteger, existing_type=sa.Integer),
    )
    (sql,) = await rows(sqlite_url, "SELECT sql FROM sqlite_master WHERE name = 't'")
    assert "UNIQUE (a)" in sql[0]
    assert "FOREIGN KEY(rid) REFERENCES r (id)" in sql[0]
    assert "CONSTRAINT" not in sql[0]


def test_configured_convention_leaves_a_types_unnamed_check_unnamed() -> None:
    """A Boolean's unnamed CHECK stays unnamed under a configured %(constraint_name)s pattern."""

    def upgrade(op: Any) -> None:
        op.create_table("t", sa.Column("b", sa.Boolean(create_constraint=True)))
        op.add_column("t", sa.Column("c", sa.Boolean(create_constraint=True)))

    assert offline("mariadb", upgrade, opts=OPTED_IN) == (
        "CREATE TABLE t (\n    b BOOL, \n    CHECK (b IN (0, 1))\n);\n\n"
        "ALTER TABLE t ADD COLUMN c BOOL;\n\n"
        "ALTER TABLE t ADD CHECK (c IN (0, 1));\n\n"
    )
