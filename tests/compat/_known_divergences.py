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
    # class 3: types with their own DDL
    # transactions and async inside a step
    "get_bind_commit_in_step": (
        "after get_bind().commit() in a step Alembic commits nothing more (later rows and the"
        " version row are lost); asyncmig commits them"
    ),
    # class 4: SQLite batch and recreate
    "batch_collation_kept-sqlite": (
        "recreate keeps COLLATE NOCASE on a column; Alembic's batch recreate drops it"
    ),
    "batch_unnamed_constraints_kept-sqlite": (
        "recreate keeps an unnamed CHECK that Alembic's batch omits (with a warning)"
    ),
    # other ops
}

# Offline (--sql) cases, keyed like KNOWN; see _offline.py for what is normalised.
KNOWN_OFFLINE: dict[str, str] = {
    "column_comment_quotes": "a % in a comment: Alembic's --sql prints %% (pyformat escaping), asyncmig %",
}
