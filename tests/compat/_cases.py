"""Per-operation cases: a short upgrade/downgrade pair, turned into a small history.

A :class:`Case` is one op (or a few) with its options.  Its history is an optional setup
revision (tables the op works on) followed by the case's own revision; the test runs it
through :func:`~tests.compat._harness.check_history` on every backend the op applies to.
:func:`params` crosses cases with backends and marks each pair that is a known divergence
(``_known_divergences.py``) as a strict xfail, so that a fix shows up as XPASS.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.compat._known_divergences import KNOWN

ALL = ("sqlite", "postgresql", "mariadb")
SERVERS = ("postgresql", "mariadb")
PG = ("postgresql",)

HEADER = '''"""{message}"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, mysql, sqlite  # noqa: F401
{imports}
revision = "{rev}"
down_revision = {down!r}
branch_labels = None
depends_on = None
'''

# A parent table most cases build on; its downgrade drops it again.
PARENT = """
op.create_table(
    "parent",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("code", sa.String(20)),
)
op.create_table(
    "child",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer),
    sa.Column("label", sa.String(40)),
    sa.Column("qty", sa.Integer, server_default="0"),
)
"""
PARENT_DOWN = 'op.drop_table("child")\nop.drop_table("parent")'


def _function(name: str, body: str) -> str:
    text = textwrap.dedent(body).strip() or "pass"
    return f"\n\ndef {name}():\n{textwrap.indent(text, '    ')}\n"


def script(
    rev: str, down: str | None, upgrade: str, downgrade: str = "pass", imports: str = ""
) -> str:
    """One Alembic version script with the given upgrade and downgrade bodies."""
    head = HEADER.format(message=f"revision {rev}", rev=rev, down=down, imports=imports)
    return head + _function("upgrade", upgrade) + _function("downgrade", downgrade)


@dataclass(frozen=True)
class Case:
    """One op with its options, on the backends where Alembic runs it as written."""

    id: str
    upgrade: str
    downgrade: str = "pass"
    backends: Sequence[str] = ALL
    setup: str | None = PARENT  # a first revision's upgrade; None for no setup revision
    setup_down: str = PARENT_DOWN
    imports: str = ""
    per_migration: bool = True
    downgrade_to: str = "base"
    alembic_async: bool = False  # Alembic's env on the async driver (op.run_async needs it)

    def scripts(self) -> dict[str, str]:
        """The case's history: the setup revision (if any), then the case's own."""
        found: dict[str, str] = {}
        down = None
        if self.setup is not None:
            found["s0_setup.py"] = script("s0", None, self.setup, self.setup_down, self.imports)
            down = "s0"
        found["c1_case.py"] = script("c1", down, self.upgrade, self.downgrade, self.imports)
        return found


def params(cases: Iterable[Case]) -> list[object]:
    """Every (case, backend) pair as a pytest param, known divergences marked xfail."""
    found: list[object] = []
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise ValueError(f"duplicate case id {case.id}")
        seen.add(case.id)
        for backend in case.backends:
            found.append(
                pytest.param(
                    case, backend, id=f"{case.id}-{backend}", marks=_marks(case.id, backend)
                )
            )
    return found


def _marks(case_id: str, backend: str) -> list[pytest.MarkDecorator]:
    marks: list[pytest.MarkDecorator] = []
    if backend != "sqlite":
        marks.append(getattr(pytest.mark, backend))
    reason = KNOWN.get(f"{case_id}-{backend}") or KNOWN.get(case_id)
    if reason:
        marks.append(pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason))
    return marks


def run_case(case: Case, backend: str, tmp_path: Path) -> None:
    """Run `case` under both tools on `backend` and compare the schemas."""
    from tests.compat._harness import check_history, make_backend

    check_history(
        make_backend(backend),
        case.scripts(),
        downgrade_to=case.downgrade_to,
        tmp_path=tmp_path,
        transaction_per_migration=case.per_migration,
        alembic_async=case.alembic_async,
    )
