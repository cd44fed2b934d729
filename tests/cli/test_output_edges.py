"""Output edges of the real CLI: closed pipes, help text, JSON fields, the header cache's place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli._run import ok
from tests.cli.test_bad_input import BASE, script

CACHE = "asyncmig-headers.marshal"


def project(root: Path, count: int = 2) -> Path:
    """The corpus's two-script project, plus enough scripts for a long history."""
    files = dict(BASE)
    down = "bbb222"
    for number in range(count - 2):
        rev = f"f{number:05d}"
        files[f"migrations/versions/{rev}_x.py"] = script(rev, down)
        down = rev
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("{url}", f"sqlite+aiosqlite:///{root}/main.db"))
    return root


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMIG_")}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _heads(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`asyncmig heads` with exactly `env` (run_cli would keep PYTHONDONTWRITEBYTECODE)."""
    return subprocess.run(
        [sys.executable, "-m", "asyncmig", "heads"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_reader_closing_early_exits_quietly(tmp_path: Path) -> None:
    """`history -v | head -1`: no BrokenPipeError traceback, SIGPIPE's status, empty stderr."""
    project(tmp_path, count=400)
    process = subprocess.Popen(
        [sys.executable, "-m", "asyncmig", "history", "-v"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=60) == 141
    assert stderr == ""


def test_help_is_plain_text_with_aliases_hidden(tmp_path: Path) -> None:
    """--help shows no reST backticks and lists each command once, without its alias."""
    text = ok("--help", cwd=tmp_path)
    assert "``" not in text
    assert "list_templates" not in text
    assert "ensure_version" not in text
    assert "list-templates" in text
    assert "ensure-version" in text


def test_aliases_still_work(tmp_path: Path) -> None:
    """The underscore aliases Alembic users type are still accepted."""
    assert "generic" in ok("list_templates", cwd=tmp_path)


def test_wait_help_says_what_zero_means(tmp_path: Path) -> None:
    """current --help explains --wait 0."""
    assert "0: check once" in ok("current", "--help", cwd=tmp_path)


def test_show_json_leaves_is_current_out(tmp_path: Path) -> None:
    """show --json, which reads no database, does not claim is_current: false."""
    project(tmp_path)
    ok("upgrade", "head", cwd=tmp_path)
    (shown,) = json.loads(ok("show", "head", "--json", cwd=tmp_path))
    assert "is_current" not in shown
    plain = json.loads(ok("history", "--json", cwd=tmp_path))
    assert all("is_current" not in info for info in plain)


def test_history_indicate_current_json_marks_the_current_revision(tmp_path: Path) -> None:
    """history -i --json reads the database and says which revision is current."""
    project(tmp_path)
    ok("upgrade", "aaa111", cwd=tmp_path)
    infos = json.loads(ok("history", "-i", "--json", cwd=tmp_path))
    assert {info["revision"]: info["is_current"] for info in infos} == {
        "bbb222": False,
        "aaa111": True,
    }


def test_show_current_json_reads_the_database(tmp_path: Path) -> None:
    """show current --json reads the database, so is_current is there and true."""
    project(tmp_path)
    ok("upgrade", "aaa111", cwd=tmp_path)
    (shown,) = json.loads(ok("show", "current", "--json", cwd=tmp_path))
    assert shown["revision"] == "aaa111"
    assert shown["is_current"] is True


def test_dontwritebytecode_writes_no_header_cache(tmp_path: Path) -> None:
    """With PYTHONDONTWRITEBYTECODE set, `heads` leaves no cache file anywhere in the project."""
    project(tmp_path)
    env = _env(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=None)
    done = _heads(tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.rglob(CACHE))


def test_pycacheprefix_holds_the_header_cache(tmp_path: Path) -> None:
    """With PYTHONPYCACHEPREFIX the cache goes under the prefix, not into the version folder."""
    root = project(tmp_path / "p")
    prefix = tmp_path / "prefix"
    env = _env(PYTHONDONTWRITEBYTECODE=None, PYTHONPYCACHEPREFIX=str(prefix))
    done = _heads(root, env)
    assert done.returncode == 0, done.stderr
    assert not list(root.rglob(CACHE))
    assert len(list(prefix.rglob(CACHE))) == 1


def test_unwritable_version_folder_reads_and_caches_per_user(tmp_path: Path) -> None:
    """A version folder that cannot hold __pycache__ answers `heads` and caches per user."""
    root = project(tmp_path / "p")
    (root / "migrations" / "versions" / "__pycache__").write_text("a file, not a folder")
    xdg = tmp_path / "xdg"
    env = _env(PYTHONDONTWRITEBYTECODE=None, XDG_CACHE_HOME=str(xdg))
    for _ in range(2):
        done = _heads(root, env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "bbb222 (head)"
    assert len(list(xdg.rglob(f"*{CACHE}"))) == 1
