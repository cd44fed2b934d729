"""Plugins written against the real Alembic (the compat group installs it) under asyncmig."""

from __future__ import annotations

from typing import Any

import pytest

from tests.operations._harness import offline, rows, run

pytestmark = [pytest.mark.compat, pytest.mark.anyio]


async def test_directive_registered_on_a_real_alembic_runs_under_asyncmig(
    sqlite_url: str,
) -> None:
    """A plugin imported with the real Alembic (before asyncmig loaded scripts) still works."""
    real = pytest.importorskip("alembic.operations", reason="needs Alembic (the compat group)")

    @real.Operations.register_operation("asyncmig_test_make_view")
    @real.BatchOperations.register_operation("asyncmig_test_make_view", "batch_make_view")
    class MakeViewOp(real.MigrateOperation):
        def __init__(self, name: str) -> None:
            self.name = name

        @classmethod
        def asyncmig_test_make_view(cls, operations: Any, name: str) -> Any:
            return operations.invoke(cls(name))

        @classmethod
        def batch_make_view(cls, operations: Any, name: str) -> Any:
            return operations.invoke(cls(name))

    @real.Operations.implementation_for(MakeViewOp)
    def _make_view(operations: Any, operation: MakeViewOp) -> None:
        operations.execute(f"CREATE VIEW {operation.name} AS SELECT 2 AS two")

    def upgrade(op: Any) -> None:
        op.asyncmig_test_make_view("v_two")
        with op.batch_alter_table("unused") as batch:
            batch.asyncmig_test_make_view("v_three")

    await run(sqlite_url, upgrade)
    assert await rows(sqlite_url, "SELECT two FROM v_two") == [(2,)]
    assert await rows(sqlite_url, "SELECT two FROM v_three") == [(2,)]


def test_alembic_env_py_plugin_imports_are_found() -> None:
    """Of an Alembic env.py's top-level imports, only packages built on Alembic are plugins."""
    pytest.importorskip("alembic_postgresql_enum", reason="needs the compat dependency group")
    from asyncmig._alembic.plugins import plugin_modules

    source = (
        "import os\nimport sqlalchemy as sa\nfrom alembic import context\n"
        "import alembic_postgresql_enum\nfrom alembic_utils.pg_view import PGView\n"
        "from myapp.models import Base\nfrom . import local\n"
        "def later():\n    import alembic_utils.pg_function\n"
    )
    assert plugin_modules(source) == ["alembic_postgresql_enum", "alembic_utils.pg_view"]


def test_real_alembic_builtin_op_says_where_it_came_from() -> None:
    """A real Alembic op object invoked through asyncmig names its origin and the remedy."""
    real_ops = pytest.importorskip("alembic.operations.ops", reason="needs Alembic")
    with pytest.raises(NotImplementedError, match="real Alembic's"):
        offline("sqlite", lambda op: op.invoke(real_ops.DropTableOp("t")))
