"""validate, repair --accept, history --applied and validate_on_migrate through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli._run import fails, ok, run_cli, script_text


def write_project(root: Path, url: str, revs: list[str], extra: str = "") -> Path:
    """A config at `root` (plus `extra` lines) and a linear script per revision."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (root / "asyncmig.toml").write_text(
        f'script_location = "%(here)s/migrations"\nurl = "{url}"\n{extra}'
    )
    down = None
    for rev in revs:
        path = versions / f"{rev}_step.py"
        if not path.exists():
            up = f'op.create_table("t_{rev}", sa.Column("id", sa.Integer, primary_key=True))'
            path.write_text(script_text(rev, down, up, f'op.drop_table("t_{rev}")'))
        down = rev
    return root


def edit(root: Path, rev: str, tail: str = "\n# tidied up\n") -> Path:
    """Append `tail` to revision `rev`'s script; return its path."""
    path = root / "migrations" / "versions" / f"{rev}_step.py"
    path.write_text(path.read_text() + tail)
    return path


def test_validate_passes_then_names_the_edited_file(tmp_path: Path, database_url: str) -> None:
    """validate exits 0 after an upgrade, and 1 naming the file once an applied script changes."""
    project = write_project(tmp_path, database_url, ["aaa111", "bbb222"])
    ok("-q", "upgrade", "head", cwd=project)
    assert "2 applied script(s) match" in ok("validate", cwd=project)
    path = edit(project, "aaa111")
    result = run_cli("validate", cwd=project)
    assert result.returncode == 1
    assert f"revision aaa111: {path} was edited after it was applied" in result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("asyncmig: error: 1 applied migration script(s)")
    assert str(path) in line


def test_upgrade_refuses_an_edit_until_repair_accepts_it(tmp_path: Path, database_url: str) -> None:
    """upgrade fails on an edited applied script leaving the database; repair --accept clears it."""
    project = write_project(tmp_path, database_url, ["aaa111"])
    ok("-q", "upgrade", "head", cwd=project)
    path = edit(project, "aaa111")
    write_project(tmp_path, database_url, ["aaa111", "bbb222"])
    before = ok("history", "--applied", "--json", cwd=project)
    err = fails("upgrade", "head", cwd=project)
    assert str(path) in err
    assert "run `asyncmig repair --accept aaa111` after checking the change" in err
    assert ok("current", cwd=project).strip() == "aaa111"
    assert ok("history", "--applied", "--json", cwd=project) == before
    out = ok("repair", "--accept", "aaa111", cwd=project)
    assert out.startswith("[main] accepted aaa111 as its script is now (sha256 ")
    ok("validate", cwd=project)
    ok("-q", "upgrade", "head", cwd=project)
    assert ok("current", cwd=project).strip() == "bbb222 (head)"


def test_validate_on_migrate_false_lets_upgrade_run(tmp_path: Path, sqlite_url: str) -> None:
    """With validate_on_migrate = false in the config, upgrade runs over an edited script."""
    project = write_project(tmp_path, sqlite_url, ["aaa111"], "validate_on_migrate = false\n")
    ok("-q", "upgrade", "head", cwd=project)
    edit(project, "aaa111")
    write_project(tmp_path, sqlite_url, ["aaa111", "bbb222"], "validate_on_migrate = false\n")
    ok("-q", "upgrade", "head", cwd=project)
    assert ok("current", cwd=project).strip() == "bbb222 (head)"
    fails("validate", cwd=project)


def test_crlf_only_edit_is_not_an_edit(tmp_path: Path, sqlite_url: str) -> None:
    """Converting an applied script to CRLF line endings changes nothing validate sees."""
    project = write_project(tmp_path, sqlite_url, ["aaa111"])
    ok("-q", "upgrade", "head", cwd=project)
    path = project / "migrations" / "versions" / "aaa111_step.py"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    ok("validate", cwd=project)
    edit(project, "aaa111", "\r\n# a real edit\r\n")
    fails("validate", cwd=project)


def test_history_applied_json(tmp_path: Path, database_url: str) -> None:
    """history --applied --json lists every ledger row, oldest first, with its fields."""
    project = write_project(tmp_path, database_url, ["aaa111", "bbb222"])
    ok("-q", "upgrade", "head", cwd=project)
    ok("-q", "downgrade", "-1", cwd=project)
    found = json.loads(ok("history", "--applied", "--json", cwd=project))
    rows = found["main"]
    assert [(r["revision"], r["direction"], r["success"]) for r in rows] == [
        ("aaa111", "upgrade", True),
        ("bbb222", "upgrade", True),
        ("bbb222", "downgrade", True),
    ]
    assert rows[0]["script"] == "versions/aaa111_step.py"
    assert len(rows[0]["checksum"]) == 64
    assert rows[0]["applied_at"].endswith("+00:00")
    text = ok("history", "--applied", cwd=project).splitlines()
    assert len(text) == 3
    assert "downgrade" in text[2]
    assert "bbb222" in text[2]


def test_repair_needs_a_known_revision(tmp_path: Path, sqlite_url: str) -> None:
    """repair without --accept only reports; an unknown revision is one error line."""
    project = write_project(tmp_path, sqlite_url, ["aaa111"])
    ok("-q", "upgrade", "head", cwd=project)
    assert ok("repair", cwd=project) == "no unfinished steps\n"
    assert "zzz999" in fails("repair", "--accept", "zzz999", cwd=project)


def test_misspelt_validate_on_migrate_is_an_error(tmp_path: Path, sqlite_url: str) -> None:
    """A near miss of validate_on_migrate fails naming the key it meant, before any step."""
    project = write_project(tmp_path, sqlite_url, ["aaa111"], "validate_on_migrat = false\n")
    err = fails("upgrade", "head", cwd=project)
    assert "did you mean validate_on_migrate?" in err
    assert not (project / "main.db").exists()
