"""Every known case where asyncmig leaves a different schema than Alembic: one registry.

Keys are per-operation case ids, either ``<case>`` (every backend the case runs on) or
``<case>-<backend>``; values say in one line what differs.  Each entry marks its tests
``xfail(strict=True)``: a fix makes the test XPASS, which fails, and whoever fixed it
deletes the entry here.
"""

# ruff: noqa: E501 (case bodies are migration scripts kept as one readable line each)

from __future__ import annotations

KNOWN: dict[str, str] = {
    # class 2: inline constraints of add_column
    "add_column_index_unique-sqlite": (
        "SQLite add_column(index=True, unique=True) recreates the table instead of ALTER + CREATE INDEX"
    ),
    # class 3: types with their own DDL
    # transactions and async inside a step
    "get_bind_commit_in_step": (
        "after get_bind().commit() in a step Alembic commits nothing more (later rows and the"
        " version row are lost); asyncmig commits them"
    ),
    "run_async": "op.run_async(fn, *args) fails: asyncmig's run_async takes no extra arguments",
    # class 4: SQLite batch and recreate
    "batch_collation_kept-sqlite": (
        "recreate keeps COLLATE NOCASE on a column; Alembic's batch recreate drops it"
    ),
    "batch_unnamed_constraints_kept-sqlite": (
        "recreate keeps an unnamed CHECK that Alembic's batch omits (with a warning)"
    ),
    **{
        f"batch_alter_{name}_auto-mariadb": (
            "MariaDB alter_column without existing_comment: Alembic's MODIFY drops the comment, asyncmig keeps it"
        )
        for name in ("type", "nullable", "rename")
    },
    # other ops
    "alter_column_identity_add": "alter_column(server_default=sa.Identity()) adds no identity",
    "create_index_pg_include": "create_index(postgresql_include=[...]) fails with KeyError",
}

# Offline (--sql) cases, keyed like KNOWN; see _offline.py for what is normalised.
KNOWN_OFFLINE: dict[str, str] = {
    "framing-sqlite": "--sql on SQLite wraps steps in BEGIN/COMMIT; Alembic emits none there",
    "column_comment_quotes": "a % in a comment: Alembic's --sql prints %% (pyformat escaping), asyncmig %",
    "add_column_index_unique-sqlite": "--sql on SQLite refuses add_column(index=True, unique=True) (wants a recreate)",
    "create_index_pg_include": "create_index(postgresql_include=[...]) fails with KeyError",
    "alter_column_identity_add": "alter_column(server_default=sa.Identity()) renders DROP DEFAULT, not ADD GENERATED",
    **{
        f"alter_column_{name}-postgresql": "PG rename renders RENAME COLUMN a TO b; Alembic: RENAME a TO b"
        for name in ("rename", "rename_keeps_default", "combined")
    },
    "batch_alter_rename_auto-postgresql": "PG rename renders RENAME COLUMN a TO b; Alembic: RENAME a TO b",
    "batch_alter_rename_auto-mariadb": "MariaDB rename renders CHANGE COLUMN a b; Alembic: CHANGE a b",
    **{
        f"alter_column_{name}-mariadb": "MariaDB rename renders CHANGE COLUMN a b; Alembic: CHANGE a b"
        for name in ("rename", "rename_keeps_default", "combined")
    },
}
