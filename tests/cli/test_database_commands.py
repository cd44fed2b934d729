"""upgrade, downgrade, current, stamp and ensure-version through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli._run import fails, ok, run_cli, script_text


def write_project(root: Path, url: str, steps: list[tuple[str, str, str]]) -> Path:
    """A config at `root` and one linear script per (rev, upgrade body, downgrade body)."""
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "asyncmig.toml").write_text(f'script_location = "%(here)s/migrations"\nurl = "{url}"\n')
    down = None
    for number, (rev, up, down_body) in enumerate(steps):
        (root / "migrations" / "versions" / f"{rev}_step.py").write_text(
            script_text(rev, down, up, down_body, message=f"step {number}")
        )
        down = rev
    return root


def three_tables(tmp_path: Path, url: str) -> Path:
    """A project whose three revisions each create one table."""
    return write_project(
        tmp_path,
        url,
        [
            (
                rev,
                f'op.create_table("t_{rev}", sa.Column("id", sa.Integer, primary_key=True))',
                f'op.drop_table("t_{rev}")',
            )
            for rev in ("aaa111", "bbb222", "ccc333")
        ],
    )


def test_upgrade_prints_one_line_per_step(tmp_path: Path, database_url: str) -> None:
    """`upgrade head` runs every step and prints database, from -> to, message and ms."""
    project = three_tables(tmp_path, database_url)
    lines = ok("upgrade", "head", cwd=project).strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("[main] upgrade <base> -> aaa111, step 0 (")
    assert lines[2].startswith("[main] upgrade bbb222 -> ccc333, step 2 (")
    assert lines[2].endswith(" ms)")
    assert ok("current", cwd=project).strip() == "ccc333 (head)"


def test_downgrade_relative_and_base(tmp_path: Path, database_url: str) -> None:
    """`downgrade -1` steps back once; `downgrade base` empties the version table."""
    project = three_tables(tmp_path, database_url)
    ok("-q", "upgrade", "head", cwd=project)
    assert "ccc333 -> bbb222" in ok("downgrade", "-1", cwd=project)
    assert ok("current", cwd=project).strip() == "bbb222"
    ok("downgrade", "base", cwd=project)
    assert json.loads(ok("current", "--json", cwd=project)) == {"main": []}


def test_json_report(tmp_path: Path, database_url: str) -> None:
    """`upgrade --json` reports each database's before, after and steps."""
    project = three_tables(tmp_path, database_url)
    report = json.loads(ok("upgrade", "bbb222", "--json", cwd=project))
    (db,) = report["databases"]
    assert db["database"] == "main"
    assert db["before"] == []
    assert db["after"] == ["bbb222"]
    assert [step["revision"] for step in db["steps"]] == ["aaa111", "bbb222"]
    assert report["ok"] is True


def test_check_heads_and_wait_timeout(tmp_path: Path, database_url: str) -> None:
    """`current --check-heads` fails behind head; `--wait` times out with a clear line."""
    project = three_tables(tmp_path, database_url)
    ok("upgrade", "aaa111", cwd=project)
    assert "head" in fails("current", "--check-heads", cwd=project)
    err = fails("current", "--check-heads", "--wait", "1", cwd=project)
    assert "main" in err
    ok("upgrade", "head", cwd=project)
    ok("current", "--check-heads", cwd=project)
    ok("current", "--check-heads", "--wait", "5", cwd=project)


def test_stamp_and_purge(tmp_path: Path, database_url: str) -> None:
    """`stamp` records a revision without running it; `--purge` replaces every row."""
    project = three_tables(tmp_path, database_url)
    ok("stamp", "bbb222", cwd=project)
    assert ok("current", cwd=project).strip() == "bbb222"
    lines = ok("upgrade", "head", cwd=project).strip().splitlines()
    assert len(lines) == 1  # only ccc333 ran: aaa111/bbb222 tables were never created
    ok("stamp", "--purge", "aaa111", cwd=project)
    assert ok("current", cwd=project).strip() == "aaa111"


def test_offline_sql_has_ddl_and_version_table(tmp_path: Path, database_url: str) -> None:
    """`upgrade head --sql` prints the DDL and version table statements, touching nothing."""
    project = three_tables(tmp_path, database_url)
    sql = ok("upgrade", "head", "--sql", cwd=project)
    assert "CREATE TABLE asyncmig_version" in sql
    assert "CREATE TABLE t_aaa111" in sql
    assert "ccc333" in sql
    assert json.loads(ok("current", "--json", cwd=project)) == {"main": []}


def test_failing_step_is_one_line_and_rolls_back(tmp_path: Path, database_url: str) -> None:
    """A step that fails leaves the database at the previous revision and names file and line."""
    project = write_project(
        tmp_path,
        database_url,
        [
            (
                "aaa111",
                'op.create_table("a", sa.Column("id", sa.Integer, primary_key=True))',
                'op.drop_table("a")',
            ),
            (
                "bbb222",
                'op.create_table("b", sa.Column("id", sa.Integer, primary_key=True))\n'
                'op.execute("INSERT INTO no_such_table VALUES (1)")',
                'op.drop_table("b")',
            ),
        ],
    )
    result = run_cli("upgrade", "head", cwd=project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("asyncmig: error: ")
    assert "bbb222" in line
    assert "bbb222_step.py:" in line
    assert "no_such_table" in line
    assert ok("current", cwd=project).strip() == "aaa111"
    assert "Traceback" in run_cli("--traceback", "upgrade", "head", cwd=project).stderr


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    """A database that cannot be reached fails in one line, password masked."""
    url = "postgresql+asyncpg://someone:s3cr3tpw@127.0.0.1:1/nowhere"
    project = three_tables(tmp_path, url)
    err = fails("upgrade", "head", cwd=project)
    assert "s3cr3tpw" not in err
    assert "127.0.0.1" in err


def test_ensure_version_creates_only_the_table(tmp_path: Path, database_url: str) -> None:
    """`ensure-version` creates the version table and runs nothing."""
    project = three_tables(tmp_path, database_url)
    ok("ensure-version", cwd=project)
    assert json.loads(ok("current", "--json", cwd=project)) == {"main": []}


@pytest.mark.parametrize("flag", ["--no-lock", "-q"])
def test_flags_accepted(tmp_path: Path, sqlite_url: str, flag: str) -> None:
    """`--no-lock` and `-q` are accepted by upgrade; -q prints nothing on success."""
    project = three_tables(tmp_path, sqlite_url)
    args = ["-q", "upgrade", "head"] if flag == "-q" else ["upgrade", "head", flag]
    out = ok(*args, cwd=project)
    if flag == "-q":
        assert out == ""
    assert ok("current", cwd=project).strip() == "ccc333 (head)"
