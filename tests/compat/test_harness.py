"""The differential harness itself: it passes equal histories and reports every difference."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.compat._harness import AlembicFailed, Backend, check_history, diff

pytestmark = pytest.mark.compat

HEADER = '''"""{message}"""
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down!r}
'''


def script(rev: str, down: str | None, upgrade: str, downgrade: str = "pass") -> str:
    """One version script with the given bodies."""
    return (
        HEADER.format(message=rev, rev=rev, down=down)
        + f"\n\ndef upgrade():\n    {upgrade}\n\n\ndef downgrade():\n    {downgrade}\n"
    )


CREATE = 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))'
CREATE_WIDER = (
    'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("x", sa.Text))'
)


def test_equal_histories_pass(compat_backend: Backend, tmp_path: Path) -> None:
    """A two-revision history that both tools run alike raises nothing."""
    scripts = {
        "a_one.py": script("a1", None, CREATE, 'op.drop_table("t")'),
        "b_two.py": script(
            "b2", "a1", 'op.add_column("t", sa.Column("y", sa.Integer))', 'op.drop_column("t", "y")'
        ),
    }
    check_history(compat_backend, scripts, tmp_path=tmp_path)


def test_difference_is_shown_side_by_side(compat_backend: Backend, tmp_path: Path) -> None:
    """A schema difference fails with the differing path and both values."""
    with pytest.raises(AssertionError) as raised:
        check_history(
            compat_backend,
            {"a.py": script("a1", None, CREATE)},
            alembic_scripts={"a.py": script("a1", None, CREATE_WIDER)},
            downgrade_to="a1",
            tmp_path=tmp_path,
        )
    message = str(raised.value)
    assert "upgrade: schemas.<default>.tables.t.columns.x: {" in message
    assert "| <absent>" in message


def test_asyncmig_failure_is_reported(compat_backend: Backend, tmp_path: Path) -> None:
    """asyncmig failing where Alembic succeeds is a difference naming the direction."""
    with pytest.raises(AssertionError, match="asyncmig failed on upgrade"):
        check_history(
            compat_backend,
            {"a.py": script("a1", None, 'op.execute("SELECT no_such_column FROM nowhere")')},
            alembic_scripts={"a.py": script("a1", None, CREATE)},
            tmp_path=tmp_path,
        )


def test_alembic_failure_is_its_own_error(tmp_path: Path) -> None:
    """Alembic failing raises AlembicFailed, not a difference."""
    with pytest.raises(AlembicFailed, match="Alembic itself failed on upgrade"):
        check_history(
            Backend("sqlite"),
            {"a.py": script("a1", None, 'op.execute("SELECT * FROM nowhere")')},
            tmp_path=tmp_path,
        )


def test_real_alembic_stays_importable(tmp_path: Path) -> None:
    """After asyncmig ran, `alembic` in sys.modules is the real Alembic again."""
    check_history(Backend("sqlite"), {"a.py": script("a1", None, CREATE)}, tmp_path=tmp_path)
    import alembic.op

    assert sys.modules["alembic"].__name__ == "alembic"
    assert alembic.op.__name__ == "alembic.op"


def test_diff_names_each_leaf() -> None:
    """diff lists nested differences as dotted paths with both values."""
    found = diff({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3, "d": 4}})
    assert found == ["a.c: 2 | 3", "a.d: <absent> | 4"]
