"""Alembic's operation-plugin API: third-party directives register and run through ``op``."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from asyncmig import _proxy
from asyncmig._alembic.operations import BatchOperations, MigrateOperation, Operations, ops
from asyncmig._runtime.context import MigrationContext
from tests.operations._harness import offline, rows, run

pytestmark = pytest.mark.anyio


@Operations.register_operation("create_sequence")
@BatchOperations.register_operation("create_sequence", "batch_create_sequence")
class CreateSequenceOp(MigrateOperation):
    """A custom directive, written exactly as Alembic's documentation shows."""

    def __init__(self, sequence_name: str, schema: str | None = None) -> None:
        self.sequence_name = sequence_name
        self.schema = schema

    @classmethod
    def create_sequence(cls, operations: Any, sequence_name: str, **kw: Any) -> Any:
        """Issue a CREATE SEQUENCE."""
        return operations.invoke(cls(sequence_name, **kw))

    @classmethod
    def batch_create_sequence(cls, operations: Any, sequence_name: str, **kw: Any) -> Any:
        """The same from a batch block."""
        return operations.invoke(cls(sequence_name, **kw))

    def reverse(self) -> MigrateOperation:
        """Its undo (unused here)."""
        return self


@Operations.implementation_for(CreateSequenceOp)
def _create_sequence(operations: Any, operation: CreateSequenceOp) -> None:
    operations.execute(
        sa.schema.CreateSequence(sa.Sequence(operation.sequence_name, schema=operation.schema))
    )


class ReversibleOp(MigrateOperation):
    """alembic-utils' pattern: a shared classmethod invoked for a target object."""

    def __init__(self, target: str) -> None:
        self.target = target

    @classmethod
    def invoke_for_target(cls, operations: Any, target: str) -> Any:
        """Build the op for `target` and invoke it."""
        return operations.invoke(cls(target))


# not "create_entity": that name is alembic-utils' own, which tests/compat runs for real
@Operations.register_operation("create_toy_entity", "invoke_for_target")
class CreateEntityOp(ReversibleOp):
    """Create a view named by the target."""


@Operations.implementation_for(CreateEntityOp)
def _create_entity(operations: Any, operation: CreateEntityOp) -> None:
    operations.execute(f"CREATE VIEW {operation.target} AS SELECT 1 AS one")


def test_custom_directive_offline() -> None:
    """A registered directive is an Operations method and renders offline."""
    assert offline("postgresql", lambda op: op.create_sequence("seq_a", schema="s")) == (
        "CREATE SEQUENCE s.seq_a;\n\n"
    )


def test_alembic_utils_style_registration() -> None:
    """register_operation(name, sourcename) with an inherited classmethod works."""
    assert offline("sqlite", lambda op: op.create_toy_entity("v_one")) == (
        "CREATE VIEW v_one AS SELECT 1 AS one;\n\n"
    )


def test_batch_registered_directive_runs_in_batch() -> None:
    """A directive registered on BatchOperations is collected and run when the block ends."""

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t") as batch:
            batch.create_sequence("seq_b")

    assert offline("postgresql", upgrade) == "CREATE SEQUENCE seq_b;\n\n"


async def test_custom_directive_online(sqlite_url: str) -> None:
    """A plugin directive runs on a live database like a built-in one."""
    await run(sqlite_url, lambda op: op.create_toy_entity("v_one"))
    assert await rows(sqlite_url, "SELECT one FROM v_one") == [(1,)]


def test_operations_context_binds_op() -> None:
    """Operations.context(ctx) makes ``op`` mean those operations for the block."""
    import io

    output = io.StringIO()
    context = MigrationContext.configure(dialect_name="postgresql", output=output)
    with Operations.context(context):
        _proxy.op.create_sequence("seq_c")
    assert output.getvalue() == "CREATE SEQUENCE seq_c;\n\n"


def test_ops_module_names() -> None:
    """alembic.operations.ops exposes the directive classes under Alembic's names."""
    assert issubclass(ops.AddColumnOp, ops.MigrateOperation)
    assert issubclass(ops.CreateForeignKeyOp, ops.AddConstraintOp)
    op = ops.DropConstraintOp("fk_x", "t", type_="foreignkey")
    assert (op.constraint_name, op.table_name, op.constraint_type) == ("fk_x", "t", "foreignkey")


def test_unregistered_operation_says_how_to_register() -> None:
    """Invoking an op class without an implementation names the decorator to use."""

    class Orphan(MigrateOperation):
        pass

    with pytest.raises(NotImplementedError, match="implementation_for"):
        offline("sqlite", lambda op: op.invoke(Orphan()))


_PLUGIN = '''
"""A third-party directive package written for Alembic."""
import sqlalchemy as sa
from alembic.operations import MigrateOperation, Operations
from alembic.operations import ops


@Operations.register_operation("create_audit_table")
class CreateAuditTableOp(MigrateOperation):
    def __init__(self, name, schema=None):
        self.name = name
        self.schema = schema

    @classmethod
    def create_audit_table(cls, operations, name, **kw):
        return operations.invoke(cls(name, **kw))


@Operations.implementation_for(CreateAuditTableOp)
def create_audit_table(operations, operation):
    operations.invoke(
        ops.CreateTableOp(
            operation.name,
            [sa.Column("id", sa.Integer, primary_key=True), sa.Column("event", sa.Text)],
            schema=operation.schema,
        )
    )
'''


async def test_plugin_module_imported_under_the_alembic_alias(
    tmp_path: Any, sqlite_url: str
) -> None:
    """A plugin importing `alembic.operations` registers directives usable through op."""
    from asyncmig._script.loader import load_file

    path = tmp_path / "audit_plugin.py"
    path.write_text(_PLUGIN)
    load_file(path)
    await run(sqlite_url, lambda op: op.create_audit_table("audit"))
    assert await rows(sqlite_url, "SELECT count(*) FROM audit") == [(0,)]


def test_second_implementation_needs_replace() -> None:
    """As in Alembic, a second implementation_for the same class is refused without replace."""

    class Twice(MigrateOperation):
        pass

    Operations.implementation_for(Twice)(lambda operations, operation: "first")
    with pytest.raises(ValueError, match="replace=True"):
        Operations.implementation_for(Twice)(lambda operations, operation: "second")
    Operations.implementation_for(Twice, replace=True)(lambda operations, operation: "second")
    assert offline("sqlite", lambda op: op.invoke(Twice())) == ""
    assert Operations.implementation(Twice())(None, None) == "second"


def test_replace_builtin_and_call_the_default_through_toimpl() -> None:
    """implementation_for(CreateTableOp, replace=True) can wrap the default from toimpl."""
    from asyncmig._alembic.operations import toimpl

    original = Operations.implementation(ops.CreateTableOp("x", []))

    @Operations.implementation_for(ops.CreateTableOp, replace=True)
    def create_table_and_log(operations: Any, operation: Any) -> None:
        toimpl.create_table(operations, operation)
        operations.execute(f"INSERT INTO audit (name) VALUES ('{operation.table_name}')")

    try:
        text = offline("sqlite", lambda op: op.create_table("t", sa.Column("id", sa.Integer)))
    finally:
        Operations.implementation_for(ops.CreateTableOp, replace=True)(original)
    audit = "INSERT INTO audit (name) VALUES ('t');\n\n"
    assert text == "CREATE TABLE t (\n    id INTEGER\n);\n\n" + audit
    assert offline("sqlite", lambda op: op.drop_table("t")) == "DROP TABLE t;\n\n"


def test_invoke_reverse_of_a_plugin_operation() -> None:
    """A MigrateOperation's reverse() is invoked like any operation (plugins' downgrades)."""

    class DropSequenceOp(MigrateOperation):
        def __init__(self, name: str) -> None:
            self.name = name

        def reverse(self) -> MigrateOperation:
            return CreateSequenceOp(self.name)

    @Operations.implementation_for(DropSequenceOp)
    def _drop(operations: Any, operation: DropSequenceOp) -> None:
        operations.execute(sa.schema.DropSequence(sa.Sequence(operation.name)))

    def upgrade(op: Any) -> None:
        op.invoke(DropSequenceOp("s1"))
        op.invoke(DropSequenceOp("s1").reverse())

    assert offline("postgresql", upgrade) == "DROP SEQUENCE s1;\n\nCREATE SEQUENCE s1;\n\n"


def test_unknown_directive_is_an_attribute_error() -> None:
    """A directive nobody registered is an AttributeError naming it."""
    with pytest.raises(AttributeError, match="no_such_directive"):
        offline("sqlite", lambda op: op.no_such_directive())
