"""Every known case where asyncmig leaves a different schema than Alembic: one registry.

Keys are per-operation case ids, either ``<case>`` (every backend the case runs on) or
``<case>-<backend>``; values say in one line what differs.  Each entry marks its tests
``xfail(strict=True)``: a fix makes the test XPASS, which fails, and whoever fixed it
deletes the entry here.
"""

# ruff: noqa: E501 (case bodies are migration scripts kept as one readable line each)

from __future__ import annotations

_UNNAMED = "unnamed constraint gets asyncmig's naming convention instead of the database's name"
_CK_UNNAMED = "unnamed check constraint fails: convention needs %(constraint_name)s"
_ADD_CK = "add_column drops the CheckConstraint given inside the Column"

KNOWN: dict[str, str] = {
    # class 1: names
    "create_unique_unnamed": _UNNAMED,
    "create_fk_unnamed": _UNNAMED,
    "create_check_unnamed": _CK_UNNAMED,
    "create_primary_key_unnamed-postgresql": _UNNAMED + " (pk_t, not t_pkey)",
    # class 2: inline constraints of add_column
    "add_column_check_named": _ADD_CK,
    "add_column_check_unnamed": _ADD_CK,
    "add_column_check_jsonb": _ADD_CK,
    "add_column_index_unique-sqlite": (
        "SQLite add_column(index=True, unique=True) recreates the table instead of ALTER + CREATE INDEX"
    ),
    # class 3: types with their own DDL
    "enum_two_tables_one_revision": "two tables with one sa.Enum in one revision: CREATE TYPE twice",
    "enum_shared_object_two_tables": "one sa.Enum object on two tables in one revision: CREATE TYPE twice",
    # transactions and async inside a step
    "get_bind_commit_in_step": (
        "after get_bind().commit() in a step Alembic commits nothing more (later rows and the"
        " version row are lost); asyncmig commits them"
    ),
    "run_async": "op.run_async(fn, *args) fails: asyncmig's run_async takes no extra arguments",
    # other ops
    "alter_column_identity_add": "alter_column(server_default=sa.Identity()) adds no identity",
    "create_index_pg_include": "create_index(postgresql_include=[...]) fails with KeyError",
}
