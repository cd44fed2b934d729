"""Generated histories: random valid Alembic histories leave the schema Alembic leaves.

Each example is a history of 2-8 revisions (branches and merges included) drawn by
`tests.compat._generate.history` for the backend, run ``upgrade head`` then
``downgrade base`` under Alembic and under asyncmig on fresh databases, and compared.
CI runs a fixed set of 200 examples per backend; ``ASYNCMIG_COMPAT_LONG=1`` (``nox -s
compat -- --long``) runs 2,000 fresh ones, and ``ASYNCMIG_COMPAT_EXAMPLES=N`` sets the
count outright.  A failure prints the generated scripts (the ``history`` draw) and the
differences.

On PostgreSQL, creating and dropping two databases per example costs more than running
the history itself, so the two databases are made once per test and each example starts
from a recreated ``public`` schema instead, which leaves them as empty as new ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compat._generate import history
from tests.compat._harness import Backend, Database, check_history, env_flag

pytestmark = pytest.mark.compat

LONG = env_flag("ASYNCMIG_COMPAT_LONG")
EXAMPLES = int(os.environ.get("ASYNCMIG_COMPAT_EXAMPLES") or (2000 if LONG else 200))


@dataclass(frozen=True)
class _ReusedPair(Backend):
    """A PostgreSQL backend whose `pair` empties the same two databases every time."""

    databases: tuple[Database, Database] | None = None

    @contextmanager
    def pair(self, folder: Path) -> Iterator[tuple[Database, Database]]:
        """The two databases, each with a new empty ``public`` schema."""
        assert self.databases is not None
        for database in self.databases:
            engine = sa.create_engine(
                database.sync_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
            )
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                    conn.exec_driver_sql("CREATE SCHEMA public")
            finally:
                engine.dispose()
        yield self.databases


@pytest.fixture
def generated_backend(compat_backend: Backend, tmp_path: Path) -> Iterator[Backend]:
    """The backend the generated histories run on (PostgreSQL: two databases reused)."""
    if compat_backend.name != "postgresql":
        yield compat_backend
        return
    with ExitStack() as stack:
        pair = (
            stack.enter_context(compat_backend.database(tmp_path)),
            stack.enter_context(compat_backend.database(tmp_path)),
        )
        yield _ReusedPair(compat_backend.name, compat_backend.admin_url, pair)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    # CI runs the same histories every time; a long run explores new ones and prints
    # the blob that reproduces a failure
    derandomize=not LONG,
    database=None,
    print_blob=LONG,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_history(generated_backend: Backend, tmp_path: Path, data: st.DataObject) -> None:
    """A generated history leaves the same schema under both tools, up to head and back to base."""
    generated = data.draw(history(generated_backend.name), label="history")
    check_history(generated_backend, generated.scripts, tmp_path=tmp_path)
