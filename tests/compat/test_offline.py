"""Offline --sql output of every per-operation case: asyncmig prints what Alembic prints."""

# ruff: noqa: E501 (case bodies are migration scripts kept as one readable line each)

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat import (
    test_operations_batch,
    test_operations_columns,
    test_operations_constraints,
    test_operations_data,
    test_operations_tables,
    test_operations_types,
)
from tests.compat._cases import ALL, Case
from tests.compat._intended import KEEPS_OFFLINE
from tests.compat._known_divergences import KNOWN_OFFLINE
from tests.compat._offline import check_offline

pytestmark = pytest.mark.compat

ONLINE_CASES = [
    *test_operations_tables.CASES,
    *test_operations_columns.CASES,
    *test_operations_constraints.CASES,
    *test_operations_types.CASES,
    *test_operations_data.CASES,
    *test_operations_batch.CASES,
]

PARENT_T = 'parent = sa.table("parent", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("code", sa.String))'

# bulk_insert's offline forms (inline_literal renders only offline).
OFFLINE_ONLY = [
    Case(
        "bulk_insert_inline_literal",
        f"""
{PARENT_T}
op.bulk_insert(parent, [{{"id": 7, "name": op.inline_literal("lit"), "code": "c"}}])""",
        'op.execute("DELETE FROM parent")',
    ),
    Case(
        "bulk_insert_offline_multiinsert_false",
        f"""
{PARENT_T}
op.bulk_insert(parent, [{{"id": 1, "name": "a"}}, {{"id": 2, "name": "b"}}], multiinsert=False)""",
        'op.execute("DELETE FROM parent")',
    ),
    Case(
        "execute_inline_literal_update",
        f"""
{PARENT_T}
op.execute(parent.update().where(parent.c.name == op.inline_literal("a")).values(code=op.inline_literal("b")))""",
        "pass",
    ),
]


def _offline_capable(case: Case, backend: str) -> bool:
    """Offline there is no connection: a script that reads through one cannot render.

    A batch on SQLite (or any batch that must recreate) reflects the table, so it is
    online only; on a server a batch in "auto" mode is plain ALTERs and renders.
    """
    text = case.upgrade + case.downgrade + (case.setup or "")
    if any(word in text for word in ("get_bind()", "run_async", "reflect_args", "copy_from")):
        return False
    if "batch_alter_table" in text:
        return backend != "sqlite" and 'recreate="always"' not in text
    return True


_INTENDED_OFFLINE = {entry.case_id for entry in KEEPS_OFFLINE}


def _params() -> list[object]:
    found = []
    for case in [*ONLINE_CASES, *OFFLINE_ONLY]:
        for backend in case.backends:
            if not _offline_capable(case, backend) or case.id in _INTENDED_OFFLINE:
                continue  # an intended difference is checked in test_intended.py
            key = f"{case.id}-{backend}"
            reason = KNOWN_OFFLINE.get(key) or KNOWN_OFFLINE.get(case.id)
            marks = (
                [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)]
                if reason
                else []
            )
            found.append(pytest.param(case, backend, id=key, marks=marks))
    return found


assert {backend for case in OFFLINE_ONLY for backend in case.backends} <= set(ALL)


@pytest.mark.parametrize(("case", "backend"), _params())
def test_offline_sql(case: Case, backend: str, tmp_path: Path) -> None:
    """upgrade --sql and the downgrade range print the statements Alembic prints."""
    check_offline(
        backend, case.scripts(), head="c1", downgrade_to=case.downgrade_to, tmp_path=tmp_path
    )


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param(
            backend,
            marks=[
                pytest.mark.xfail(
                    strict=True, raises=AssertionError, reason=KNOWN_OFFLINE[f"framing-{backend}"]
                )
            ]
            if f"framing-{backend}" in KNOWN_OFFLINE
            else [],
        )
        for backend in ALL
    ],
)
def test_offline_transaction_framing(backend: str, tmp_path: Path) -> None:
    """--sql wraps the steps in BEGIN/COMMIT exactly where Alembic does (and only there)."""
    case = test_operations_tables.CASES[0]
    check_offline(backend, case.scripts(), head="c1", tmp_path=tmp_path, framing=True)
