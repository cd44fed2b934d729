"""Intended differences from Alembic: one list, each with its reason.

asyncmig may differ from Alembic only where Alembic refuses a script and asyncmig's
success leaves exactly what Alembic leaves for the same change written as a
``batch_alter_table`` (the README's "Alembic compatibility" section lists these).
Each entry gives the plain op (which Alembic refuses on the backend) and the batch form
Alembic needs; ``test_intended.py`` checks both halves: Alembic does refuse the plain
form, and asyncmig's plain form leaves the schema Alembic's batch form leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.compat._cases import PARENT, PARENT_DOWN, Case

_WHY_RECREATE = (
    "SQLite has no ALTER for this; asyncmig recreates the table as batch_alter_table would,"
    " where Alembic raises"
)


@dataclass(frozen=True)
class Intended:
    """A plain op Alembic refuses on `backend`, and the batch form it accepts instead."""

    id: str
    plain: tuple[str, str]  # upgrade, downgrade bodies as written for asyncmig
    batch: tuple[str, str]  # the same change as Alembic needs it written
    reason: str
    backend: str = "sqlite"
    setup: str = PARENT
    setup_down: str = PARENT_DOWN

    def cases(self) -> tuple[Case, Case]:
        """(the plain case, the batch case): the same history but for the step itself."""
        plain = Case(
            self.id,
            *self.plain,
            backends=(self.backend,),
            setup=self.setup,
            setup_down=self.setup_down,
        )
        batch = Case(
            self.id,
            *self.batch,
            backends=(self.backend,),
            setup=self.setup,
            setup_down=self.setup_down,
        )
        return plain, batch


def _batch(table: str, body: str) -> str:
    lines = "\n".join(f"    {line}" for line in body.strip().splitlines())
    return f'with op.batch_alter_table("{table}") as batch_op:\n{lines}'


INTENDED = [
    Intended(
        "sqlite_create_foreign_key",
        (
            'op.create_foreign_key("fk_child_parent", "child", "parent", ["parent_id"], ["id"])',
            'op.drop_constraint("fk_child_parent", "child", type_="foreignkey")',
        ),
        (
            _batch(
                "child",
                'batch_op.create_foreign_key("fk_child_parent", "parent", ["parent_id"], ["id"])',
            ),
            _batch("child", 'batch_op.drop_constraint("fk_child_parent", type_="foreignkey")'),
        ),
        _WHY_RECREATE,
    ),
    Intended(
        "sqlite_create_unique_constraint",
        (
            'op.create_unique_constraint("uq_parent_code", "parent", ["code"])',
            'op.drop_constraint("uq_parent_code", "parent", type_="unique")',
        ),
        (
            _batch("parent", 'batch_op.create_unique_constraint("uq_parent_code", ["code"])'),
            _batch("parent", 'batch_op.drop_constraint("uq_parent_code", type_="unique")'),
        ),
        _WHY_RECREATE,
    ),
    Intended(
        "sqlite_create_check_constraint",
        (
            'op.create_check_constraint("ck_child_qty", "child", "qty >= 0")',
            'op.drop_constraint("ck_child_qty", "child", type_="check")',
        ),
        (
            _batch("child", 'batch_op.create_check_constraint("ck_child_qty", "qty >= 0")'),
            _batch("child", 'batch_op.drop_constraint("ck_child_qty", type_="check")'),
        ),
        _WHY_RECREATE,
    ),
    Intended(
        "sqlite_alter_column_type",
        (
            'op.alter_column("child", "label", type_=sa.String(80), existing_type=sa.String(40))',
            'op.alter_column("child", "label", type_=sa.String(40), existing_type=sa.String(80))',
        ),
        (
            _batch(
                "child",
                'batch_op.alter_column("label", type_=sa.String(80), existing_type=sa.String(40))',
            ),
            _batch(
                "child",
                'batch_op.alter_column("label", type_=sa.String(40), existing_type=sa.String(80))',
            ),
        ),
        _WHY_RECREATE,
    ),
    Intended(
        "sqlite_alter_column_nullable",
        (
            'op.alter_column("parent", "code", nullable=False, existing_type=sa.String(20))',
            'op.alter_column("parent", "code", nullable=True, existing_type=sa.String(20))',
        ),
        (
            _batch(
                "parent",
                'batch_op.alter_column("code", nullable=False, existing_type=sa.String(20))',
            ),
            _batch(
                "parent",
                'batch_op.alter_column("code", nullable=True, existing_type=sa.String(20))',
            ),
        ),
        _WHY_RECREATE,
    ),
    Intended(
        "sqlite_alter_column_server_default",
        (
            'op.alter_column("child", "qty", server_default="5", existing_type=sa.Integer)',
            'op.alter_column("child", "qty", server_default="0", existing_type=sa.Integer)',
        ),
        (
            _batch(
                "child",
                'batch_op.alter_column("qty", server_default="5", existing_type=sa.Integer)',
            ),
            _batch(
                "child",
                'batch_op.alter_column("qty", server_default="0", existing_type=sa.Integer)',
            ),
        ),
        _WHY_RECREATE,
    ),
    Intended(
        "sqlite_drop_indexed_column",
        (
            'op.create_index("ix_child_label", "child", ["label"])\n'
            'op.drop_column("child", "label")',
            'op.add_column("child", sa.Column("label", sa.String(40)))',
        ),
        (
            'op.create_index("ix_child_label", "child", ["label"])\n'
            + _batch(
                "child", 'batch_op.drop_index("ix_child_label")\nbatch_op.drop_column("label")'
            ),
            'op.add_column("child", sa.Column("label", sa.String(40)))',
        ),
        "SQLite's ALTER TABLE DROP COLUMN refuses a column an index uses; asyncmig drops the"
        " index with its column, as a batch that drops both leaves the table",
    ),
]
