"""``asyncmig test-history``: the plugin's checks from the command line, one line each."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncmig.testing import CHECKS
from tests.cli._run import run_cli

from ._project import Step, linear, write_project


def test_sound_history_exits_0_with_a_line_per_check(sqlite_url: str, tmp_path: Path) -> None:
    """Every check prints one line with its name, and a sound history exits 0."""
    write_project(tmp_path, sqlite_url)
    result = run_cli("test-history", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[1] for line in lines] == list(CHECKS)
    assert all(line.split()[0] in {"ok", "skip"} for line in lines)


def test_failing_check_exits_1_and_says_which(sqlite_url: str, tmp_path: Path) -> None:
    """Two heads: the single_head line says FAIL and names the revisions; the exit status is 1."""
    write_project(tmp_path, sqlite_url, (*linear(), Step("x8", "b2", "pass", "pass")))
    result = run_cli("test-history", "--check", "single_head", "-q", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL single_head [main]: several heads in one history")
    assert "x8" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--check", "nope"], 1, "asyncmig: error: no history check named nope"),
        (["--skip", "c3"], 2, "--skip expects REVISION=REASON"),
    ],
)
def test_bad_options_are_one_line_errors(
    sqlite_url: str, tmp_path: Path, args: list[str], status: int, message: str
) -> None:
    """An unknown check or a --skip without a reason is a one-line error, not a traceback."""
    write_project(tmp_path, sqlite_url)
    result = run_cli("test-history", *args, cwd=tmp_path)
    assert result.returncode == status
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_fresh_init_project_passes_with_models_match_skipped(tmp_path: Path) -> None:
    """A project straight from `asyncmig init` (env.py says target_metadata = None) exits 0."""
    assert run_cli("init", "migrations", cwd=tmp_path).returncode == 0
    assert run_cli("revision", "-m", "first", cwd=tmp_path).returncode == 0
    result = run_cli("test-history", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skip models_match [main]: database 'main' has no target metadata" in result.stdout
