"""Every lint rule: a script that triggers it and one that does not, per dialect (offline)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import asyncmig
from tests.lint._project import OFFLINE_URLS, project

pytestmark = pytest.mark.anyio

AUTOCOMMIT = "with op.get_context().autocommit_block():"

# (rule, dialect, severity, triggering upgrade() body, clean body)
CASES = [
    (
        "adding-not-null-column",
        "sqlite",
        "error",
        'op.add_column("account", sa.Column("age", sa.Integer, nullable=False))',
        'op.add_column("account", sa.Column("age", sa.Integer, nullable=False, '
        'server_default="0"))',
    ),
    (
        "adding-not-null-column",
        "postgresql",
        "error",
        'op.execute("ALTER TABLE account ADD COLUMN age integer NOT NULL")',
        'op.create_table("fresh", sa.Column("id", sa.Integer, primary_key=True))\n'
        'op.add_column("fresh", sa.Column("age", sa.Integer, nullable=False))',
    ),
    (
        "adding-not-null-column",
        "mysql",
        "error",
        'op.add_column("account", sa.Column("age", sa.Integer, nullable=False))',
        'op.add_column("account", sa.Column("age", sa.Integer, nullable=True))',
    ),
    (
        "adding-volatile-default",
        "postgresql",
        "error",
        'op.add_column("account", sa.Column("u", sa.Uuid, '
        'server_default=sa.text("gen_random_uuid()")))',
        'op.add_column("account", sa.Column("at", sa.DateTime, server_default=sa.text("now()")))',
    ),
    (
        "adding-volatile-default",
        "postgresql",
        "error",
        'op.execute("ALTER TABLE account ADD COLUMN r float8 DEFAULT random()")',
        'op.execute("ALTER TABLE account ADD COLUMN r float8 DEFAULT 0.5")',
    ),
    (
        "adding-volatile-default",
        "postgresql",
        "error",
        'op.add_column("account", sa.Column("r", sa.Float, server_default=sa.func.random()))',
        'op.add_column("account", sa.Column("note", sa.Text, server_default="random()"))',
    ),
    (
        "changing-column-type",
        "postgresql",
        "error",
        'op.alter_column("account", "name", type_=sa.Integer, existing_type=sa.String(20))',
        'op.alter_column("account", "name", type_=sa.String(40), existing_type=sa.String(20))',
    ),
    (
        "changing-column-type",
        "mysql",
        "error",
        'op.alter_column("account", "name", type_=sa.Integer, existing_type=sa.String(20))',
        'op.alter_column("account", "name", comment="the name", existing_type=sa.String(20))',
    ),
    (
        "changing-column-type",
        "sqlite",
        "warning",
        'with op.batch_alter_table("account") as batch:\n'
        '    batch.alter_column("name", type_=sa.Integer, existing_type=sa.String(20))',
        'with op.batch_alter_table("account") as batch:\n'
        '    batch.alter_column("name", nullable=True, existing_type=sa.String(20))',
    ),
    (
        "dropping-column",
        "sqlite",
        "error",
        'with op.batch_alter_table("account") as batch:\n    batch.drop_column("email")',
        'op.create_table("fresh", sa.Column("id", sa.Integer, primary_key=True), '
        'sa.Column("x", sa.Integer))\n'
        'with op.batch_alter_table("fresh") as batch:\n    batch.drop_column("x")',
    ),
    (
        "dropping-column",
        "postgresql",
        "error",
        'op.execute("ALTER TABLE account DROP COLUMN email")',
        'op.execute("ALTER TABLE account DROP CONSTRAINT IF EXISTS email_check")',
    ),
    (
        "dropping-table",
        "postgresql",
        "error",
        'op.drop_table("other")',
        'op.create_table("scratch", sa.Column("id", sa.Integer))\nop.drop_table("scratch")',
    ),
    (
        "dropping-table",
        "sqlite",
        "error",
        'op.execute("DROP TABLE other")',
        'with op.batch_alter_table("account") as batch:\n'
        '    batch.alter_column("name", type_=sa.Integer, existing_type=sa.String(20))',
    ),
    (
        "renaming-column",
        "postgresql",
        "error",
        'op.alter_column("account", "name", new_column_name="full_name")',
        'op.create_table("fresh", sa.Column("a", sa.Integer))\n'
        'op.alter_column("fresh", "a", new_column_name="b")',
    ),
    (
        "renaming-column",
        "sqlite",
        "error",
        'op.execute("ALTER TABLE account RENAME COLUMN name TO full_name")',
        'op.execute("ALTER TABLE account ADD COLUMN nick VARCHAR(10)")',
    ),
    (
        "renaming-table",
        "postgresql",
        "error",
        'op.rename_table("account", "customer")',
        'op.create_table("draft", sa.Column("id", sa.Integer))\nop.rename_table("draft", "final")',
    ),
    (
        "creating-index-non-concurrently",
        "postgresql",
        "error",
        'op.create_index("ix_account_name", "account", ["name"])',
        f"{AUTOCOMMIT}\n"
        '    op.create_index("ix_account_name", "account", ["name"], '
        "postgresql_concurrently=True)",
    ),
    (
        "concurrently-in-transaction",
        "postgresql",
        "error",
        'op.create_index("ix_n", "account", ["name"], postgresql_concurrently=True)',
        f'{AUTOCOMMIT}\n    op.execute("CREATE INDEX CONCURRENTLY ix_n ON account (name)")',
    ),
    (
        "adding-foreign-key-without-not-valid",
        "postgresql",
        "error",
        'op.create_foreign_key("fk_account_other", "account", "other", ["id"], ["id"])',
        'op.execute("ALTER TABLE account ADD CONSTRAINT fk_account_other FOREIGN KEY (id) '
        'REFERENCES other (id) NOT VALID")',
    ),
    (
        "adding-check-without-not-valid",
        "postgresql",
        "error",
        'op.create_check_constraint("ck_id", "account", "id > 0")',
        'op.execute("ALTER TABLE account ADD CONSTRAINT ck_id CHECK (id > 0) NOT VALID")',
    ),
    (
        "setting-not-null-without-check",
        "postgresql",
        "error",
        'op.alter_column("account", "name", nullable=False, existing_type=sa.String(20))',
        'op.execute("ALTER TABLE account ADD CONSTRAINT nn CHECK (name IS NOT NULL) NOT VALID")\n'
        'op.execute("ALTER TABLE account VALIDATE CONSTRAINT nn")\n'
        'op.alter_column("account", "name", nullable=False, existing_type=sa.String(20))',
    ),
    (
        "enum-value-used-in-same-transaction",
        "postgresql",
        "error",
        "op.execute(\"ALTER TYPE mood ADD VALUE 'meh'\")\n"
        "op.execute(\"UPDATE account SET mood = 'meh'\")",
        f"{AUTOCOMMIT}\n    op.execute(\"ALTER TYPE mood ADD VALUE 'meh'\")\n"
        "op.execute(\"UPDATE account SET mood = 'meh'\")",
    ),
    (
        "missing-lock-timeout",
        "postgresql",
        "warning",
        'op.alter_column("account", "name", server_default="x")',
        "op.execute(\"SET LOCAL lock_timeout = '5s'\")\n"
        'op.alter_column("account", "name", server_default="x")',
    ),
    (
        "script-not-linted",
        "postgresql",
        "warning",
        'op.get_bind().execute(sa.text("SELECT 1")).scalar()',
        'if not op.get_context().as_sql:\n    op.get_bind().execute(sa.text("SELECT 1")).scalar()',
    ),
]


def _ids(case: tuple[str, ...]) -> str:
    return f"{case[0]}-{case[1]}"


async def _findings(tmp_path: Path, dialect: str, body: str) -> list[asyncmig.LintFinding]:
    config = project(tmp_path, OFFLINE_URLS[dialect], body)
    report = await asyncmig.lint(config, "r2")
    assert report.revisions == {"main": ("r2",)}
    return report.findings


@pytest.mark.parametrize("case", CASES, ids=[_ids(case) for case in CASES])
async def test_rule_triggers(tmp_path: Path, case: tuple[str, str, str, str, str]) -> None:
    """The triggering script yields the rule, at its severity for the dialect, on its line."""
    rule, dialect, severity, body, _ = case
    found = [f for f in await _findings(tmp_path, dialect, body) if f.rule == rule]
    assert found, f"{rule} not reported on {dialect}"
    assert found[0].severity == severity
    assert found[0].revision == "r2"
    assert found[0].path.endswith("r2_step.py")
    assert found[0].line is not None


@pytest.mark.parametrize("case", CASES, ids=[_ids(case) for case in CASES])
async def test_rule_stays_quiet(tmp_path: Path, case: tuple[str, str, str, str, str]) -> None:
    """The safe variant of the same change does not yield the rule."""
    rule, dialect, _, _, body = case
    found = [f.rule for f in await _findings(tmp_path, dialect, body)]
    assert rule not in found, found


async def test_pg_only_rules_stay_quiet_on_sqlite(tmp_path: Path) -> None:
    """Rules about PostgreSQL locks do not apply to SQLite (one writer, no lock queue)."""
    body = (
        'op.create_index("ix_n", "account", ["name"])\n'
        'op.add_column("account", sa.Column("r", sa.Float, server_default=sa.text("random()")))'
    )
    assert await _findings(tmp_path, "sqlite", body) == []


async def test_configured_ddl_lock_timeout_counts_as_a_lock_timeout(tmp_path: Path) -> None:
    """A non-zero ddl_lock_timeout in the configuration silences missing-lock-timeout."""
    body = 'op.alter_column("account", "name", server_default="x")'
    config = project(tmp_path, OFFLINE_URLS["postgresql"], body)
    # The key is the lock-safe runtime's (not yet a known key the loader accepts): set directly.
    for value, flagged in (("5s", False), ("0", True)):
        options = {**config.options, "ddl_lock_timeout": value}
        report = await asyncmig.lint(dataclasses.replace(config, options=options), "r2")
        assert ("missing-lock-timeout" in [f.rule for f in report.findings]) is flagged


async def test_session_lock_timeout_lasts_across_revisions(tmp_path: Path) -> None:
    """A session-level SET lock_timeout in one revision covers the DDL of the next."""
    config = project(
        tmp_path,
        OFFLINE_URLS["postgresql"],
        "op.execute(\"SET lock_timeout = '3s'\")",
        'op.alter_column("account", "name", server_default="x")',
    )
    report = await asyncmig.lint(config, "r1:r3")
    assert "missing-lock-timeout" not in [f.rule for f in report.findings]


async def test_set_local_ends_with_the_steps_transaction(tmp_path: Path) -> None:
    """SET LOCAL in one revision does not cover the next one (each step commits)."""
    config = project(
        tmp_path,
        OFFLINE_URLS["postgresql"],
        "op.execute(\"SET LOCAL lock_timeout = '3s'\")",
        'op.alter_column("account", "name", server_default="x")',
    )
    report = await asyncmig.lint(config, "r1:r3")
    assert [(f.rule, f.revision) for f in report.findings] == [("missing-lock-timeout", "r3")]


async def test_table_created_earlier_in_the_range_is_not_existing(tmp_path: Path) -> None:
    """Changes to a table that an earlier revision of the linted range created are not flagged."""
    config = project(tmp_path, OFFLINE_URLS["postgresql"], 'op.drop_column("account", "email")')
    whole = await asyncmig.lint(config, all_revisions=True)
    assert whole.findings == []
    alone = await asyncmig.lint(config, "r1:r2")
    assert [f.rule for f in alone.findings if f.severity == "error"] == ["dropping-column"]


async def test_one_transaction_for_all_steps_carries_enum_values_over(tmp_path: Path) -> None:
    """With transaction_per_migration = false a value added in r2 and used in r3 is flagged."""
    steps = (
        "op.execute(\"ALTER TYPE mood ADD VALUE 'meh'\")",
        "op.execute(\"UPDATE account SET mood = 'meh'\")",
    )
    per_step = project(tmp_path / "a", OFFLINE_URLS["postgresql"], *steps)
    one = project(
        tmp_path / "b",
        OFFLINE_URLS["postgresql"],
        *steps,
        extra="transaction_per_migration = false\n",
    )
    rule = "enum-value-used-in-same-transaction"
    assert rule not in [f.rule for f in (await asyncmig.lint(per_step, "r1:r3")).findings]
    found = [(f.rule, f.revision) for f in (await asyncmig.lint(one, "r1:r3")).findings]
    assert (rule, "r3") in found
