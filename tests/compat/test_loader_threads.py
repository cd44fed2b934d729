"""With the real Alembic installed, a thread importing it while scripts load gets the real one."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.script._alembic_window import run_window

pytestmark = pytest.mark.compat


def test_real_alembic_for_another_thread_asyncmig_op_for_scripts(tmp_path: Path) -> None:
    """Mid-way through a script's import, another thread's `import alembic` is the real Alembic."""
    spec = importlib.util.find_spec("alembic")
    assert spec is not None
    assert spec.origin is not None
    found = run_window(tmp_path)
    assert found["other_alembic_file"] == spec.origin
    assert found["other_op_name"] == "alembic.op"
    assert found["sys_modules_alembic_file"] == spec.origin
    assert found["script_op_before"] is True
    assert found["script_op_after"] is True
    assert found["script_context"] is True
    assert found["script_alembic"] is True
    assert found["import_restored"] is True
