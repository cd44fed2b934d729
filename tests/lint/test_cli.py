"""``asyncmig lint`` and ``revision --autogenerate`` through the real command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.cli._run import fails, ok, run_cli
from tests.lint._project import project

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PG_OFFLINE = "postgresql+asyncpg://nobody:s3cret@127.0.0.1:1/none"


def _sqlite_project(root: Path, *bodies: str) -> None:
    project(root, f"sqlite+aiosqlite:///{root / 'app.db'}", *bodies)


def test_error_finding_exits_1_and_names_rule_file_and_line(tmp_path: Path) -> None:
    """An error-level finding prints path:line, rule, why and fix, and exits 1."""
    _sqlite_project(tmp_path, 'op.drop_table("other")')
    result = run_cli("lint", "r1:r2", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert "r2_step.py:" in out
    assert "error dropping-table (r2) drops table other" in out
    assert "    why: " in out
    assert "    fix: " in out
    assert "linted 1 revision(s): 1 error(s), 0 warning(s)" in out


def test_clean_or_warning_only_exits_0(tmp_path: Path) -> None:
    """Warnings alone (missing-lock-timeout on PostgreSQL) do not fail the run."""
    project(tmp_path, PG_OFFLINE, 'op.alter_column("account", "name", server_default="x")')
    result = run_cli("lint", "r2", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning missing-lock-timeout" in result.stdout


def test_json_output(tmp_path: Path) -> None:
    """--json prints the report as JSON, findings and suppressed ones, with ok false on errors."""
    _sqlite_project(
        tmp_path,
        '# asyncmig: allow dropping-table -- retired in 2.0\nop.drop_table("other")\n'
        'op.drop_column("account", "email")',
    )
    result = run_cli("lint", "r1:r2", "--json", cwd=tmp_path)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["revisions"] == {"main": ["r2"]}
    assert [f["rule"] for f in data["findings"]] == ["dropping-column"]
    assert data["suppressed"][0]["suppressed"] == "retired in 2.0"
    assert data["findings"][0]["line"] > 0


def test_default_range_reads_the_sqlite_database(tmp_path: Path) -> None:
    """Without a range the CLI lints only what `upgrade` has not applied yet."""
    _sqlite_project(
        tmp_path, 'op.drop_table("other")', 'op.add_column("account", sa.Column("x", sa.Text))'
    )
    ok("upgrade", "r2", cwd=tmp_path)
    out = ok("lint", cwd=tmp_path)
    assert "linted 1 revision(s): 0 error(s)" in out


def test_unreachable_database_is_one_error_line_without_password(tmp_path: Path) -> None:
    """With no range and a database that cannot be reached: one error line, exit 1, no password."""
    project(tmp_path, PG_OFFLINE)
    err = fails("lint", cwd=tmp_path)
    assert "cannot read which revisions database 'main' has applied" in err
    assert "s3cret" not in err


def test_revision_autogenerate_prints_the_findings_of_the_new_script(tmp_path: Path) -> None:
    """revision --autogenerate lints the script it wrote and prints its findings (exit 0)."""
    _sqlite_project(tmp_path)
    shutil.copy(TEMPLATES / "generic" / "script.py.mako", tmp_path / "migrations")
    (tmp_path / "models.py").write_text(
        "import sqlalchemy as sa\n"
        "metadata = sa.MetaData()\n"
        'sa.Table("account", metadata, sa.Column("id", sa.Integer, primary_key=True),\n'
        '    sa.Column("name", sa.String(20)), sa.Column("email", sa.String(50)),\n'
        '    sa.Column("age", sa.Integer, nullable=False))\n'
        'sa.Table("other", metadata, sa.Column("id", sa.Integer, primary_key=True))\n'
    )
    with (tmp_path / "asyncmig.toml").open("a") as config:
        config.write('target_metadata = "models:metadata"\nprepend_sys_path = ["%(here)s"]\n')
    ok("upgrade", "head", cwd=tmp_path)
    out = ok("revision", "--autogenerate", "-m", "age", "--rev-id", "r9", cwd=tmp_path)
    assert "Generating " in out
    assert "error adding-not-null-column (r9) adds account.age NOT NULL without a default" in out
    assert "lint: 1 finding(s) in r9" in out
