"""Run the real ``asyncmig`` command line in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m asyncmig ARGS`` in `cwd`; output captured as text."""
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ASYNCMIG_") or k.startswith("ASYNCMIG_TEST_")
    }
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "asyncmig", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ok(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run and require exit 0; return stdout."""
    result = run_cli(*args, cwd=cwd, env=env)
    assert result.returncode == 0, (
        f"{args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def fails(*args: str, cwd: Path, status: int = 1, env: dict[str, str] | None = None) -> str:
    """Run and require the given non-zero exit, one error line and no traceback; return stderr."""
    result = run_cli(*args, cwd=cwd, env=env)
    assert result.returncode == status, (
        f"{args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    assert "Traceback" not in result.stderr, result.stderr
    if status == 1:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("asyncmig: error: "), result.stderr
    return result.stderr


def script_text(
    rev: str, down: str | None, upgrade: str, downgrade: str = "pass", message: str = ""
) -> str:
    """A migration script in Alembic's format; `upgrade`/`downgrade` are function bodies."""
    return _SCRIPT.format(
        message=message or f"step {rev}",
        rev=rev,
        down=down or "",
        down_value=down,
        upgrade=textwrap.indent(textwrap.dedent(upgrade).strip() or "pass", "    "),
        downgrade=textwrap.indent(textwrap.dedent(downgrade).strip() or "pass", "    "),
    )


_SCRIPT = '''"""{message}

Revision ID: {rev}
Revises: {down}
Create Date: 2026-11-22 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = {rev!r}
down_revision = {down_value!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''
