"""Several databases through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli._run import fails, ok, run_cli
from tests.runtime._scripts import Rev, linear, write_project


def _project(tmp_path: Path, revs: list[Rev], *names: str) -> dict[str, str]:
    urls = {name: f"sqlite+aiosqlite:///{tmp_path}/{name}.db" for name in names}
    write_project(tmp_path, None, revs, databases={n: {"url": u} for n, u in urls.items()})
    return urls


def test_step_lines_are_prefixed_and_a_summary_follows(tmp_path: Path) -> None:
    """Each step line names its database; a table sums up each database at the end."""
    _project(tmp_path, linear("r1", "r2"), "a", "b")
    out = ok("upgrade", "head", cwd=tmp_path)
    lines = out.splitlines()
    for name in ("a", "b"):
        assert any(line.startswith(f"[{name}] upgrade <base> -> r1, step r1 (") for line in lines)
        assert any(line.startswith(f"[{name}] upgrade r1 -> r2, step r2 (") for line in lines)
    header = next(i for i, line in enumerate(lines) if line.startswith("database"))
    assert lines[header].split() == ["database", "from", "to", "steps", "time", "status"]
    rows = [line.split() for line in lines[header + 1 :]]
    assert [(r[0], r[1], r[2], r[3], r[-1]) for r in rows] == [
        ("a", "<base>", "r2", "2", "ok"),
        ("b", "<base>", "r2", "2", "ok"),
    ]
    assert ok("-q", "downgrade", "base", cwd=tmp_path) == ""


def test_json_prints_only_the_final_report(tmp_path: Path) -> None:
    """--json: stdout is one JSON document with every database."""
    _project(tmp_path, linear("r1"), "a", "b")
    data = json.loads(ok("upgrade", "--json", cwd=tmp_path))
    assert [(db["database"], db["after"], db["status"]) for db in data["databases"]] == [
        ("a", ["r1"], "ok"),
        ("b", ["r1"], "ok"),
    ]


def test_one_failure_exits_1_and_the_others_finish(tmp_path: Path) -> None:
    """A failing database is one error line and exit 1; the summary shows both."""
    extra = '\ndef upgrade_bad() -> None:\n    raise RuntimeError("bad breaks")\n'
    _project(tmp_path, [Rev("r1", None, extra=extra)], "good", "bad")
    result = run_cli("upgrade", cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1
    assert errors[0].startswith("asyncmig: error: ")
    assert "'bad'" in errors[0]
    assert "bad breaks" in errors[0]
    rows = {line.split()[0]: line.split()[-1] for line in result.stdout.splitlines()}
    assert rows["good"] == "ok"
    assert rows["bad"] == "failed"


def test_db_selection_current_and_stamp(tmp_path: Path) -> None:
    """--db picks databases for upgrade and stamp; current reports each database."""
    _project(tmp_path, linear("r1", "r2"), "a", "b")
    assert ok("--db", "a", "upgrade", cwd=tmp_path).startswith("[a] upgrade")
    assert ok("current", cwd=tmp_path).splitlines() == ["a: r2 (head)", "b: <base>"]
    assert "[b] stamp <base> -> r1" in ok("--db", "b", "stamp", "r1", cwd=tmp_path)
    assert ok("--db", "b", "current", cwd=tmp_path).splitlines() == ["b: r1"]
    assert json.loads(ok("current", "--json", cwd=tmp_path)) == {"a": ["r2"], "b": ["r1"]}
    fails("current", "--check-heads", cwd=tmp_path)


def test_unknown_database_and_shared_url_are_errors(tmp_path: Path) -> None:
    """An unknown --db and two databases on one URL and version table are one-line errors."""
    _project(tmp_path, linear("r1"), "a", "b")
    assert "'nope'" in fails("--db", "nope", "upgrade", cwd=tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path}/same.db"
    (tmp_path / "asyncmig.toml").write_text(
        'script_location = "%(here)s/migrations"\n'
        f'[databases.a]\nurl = "{url}"\n[databases.b]\nurl = "{url}"\n'
    )
    assert "fight over one lock" in fails("upgrade", cwd=tmp_path)


def test_unreachable_database_among_several(tmp_path: Path) -> None:
    """current and upgrade still serve the reachable databases and name the other."""
    urls = {
        "a": f"sqlite+aiosqlite:///{tmp_path}/a.db",
        "down": "postgresql+asyncpg://x@127.0.0.1:1/db",
    }
    write_project(tmp_path, None, linear("r1"), databases={n: {"url": u} for n, u in urls.items()})
    result = run_cli("upgrade", cwd=tmp_path)
    assert result.returncode == 1
    assert "[a] upgrade <base> -> r1" in result.stdout
    assert "'down'" in result.stderr
    result = run_cli("current", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["a: r1 (head)"]
    assert "'down'" in result.stderr


def test_step_lines_stream_while_the_run_goes_on(tmp_path: Path) -> None:
    """a's line is printed while b's step is still waiting for the test to let it go."""
    flag = tmp_path / "go"
    extra = f"""
import os
from sqlalchemy.util import await_only
import anyio


def upgrade_b() -> None:
    while not os.path.exists({str(flag)!r}):
        await_only(anyio.sleep(0.05))
"""
    _project(tmp_path, [Rev("r1", None, extra=extra)], "a", "b")
    with subprocess.Popen(
        [sys.executable, "-m", "asyncmig", "upgrade"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            alive = process.poll() is None
            flag.write_text("")
            rest, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert first.startswith("[a] upgrade <base> -> r1")
    assert alive  # b was still waiting when a's line arrived: the line came live
    assert process.returncode == 0
    assert rest.startswith("[b] upgrade <base> -> r1")


def test_postgresql_tenant_lines(tmp_path: Path, postgresql_url: str) -> None:
    """Tenant schemas show as [database:schema] in step lines and current."""
    write_project(
        tmp_path,
        None,
        linear("r1"),
        databases={"main": {"url": postgresql_url, "schemas": ["t1", "t2"]}},
    )
    out = ok("upgrade", cwd=tmp_path)
    assert "[main:t1] upgrade <base> -> r1, step r1" in out
    assert "[main:t2] upgrade <base> -> r1, step r1" in out
    assert ok("current", cwd=tmp_path).splitlines() == ["main:t1: r1 (head)", "main:t2: r1 (head)"]


def test_history_indicates_current_across_databases(tmp_path: Path) -> None:
    """`history -i` marks what any selected database is at; `--db` narrows it to one."""
    _project(tmp_path, linear("r1", "r2", "r3"), "a", "b")
    ok("--db", "a", "upgrade", "r1", cwd=tmp_path)
    ok("--db", "b", "upgrade", "r2", cwd=tmp_path)
    marked = json.loads(ok("history", "-i", "--json", cwd=tmp_path))
    assert {rev["revision"] for rev in marked if rev["is_current"]} == {"r1", "r2"}
    only_b = json.loads(ok("--db", "b", "history", "-i", "--json", cwd=tmp_path))
    assert {rev["revision"] for rev in only_b if rev["is_current"]} == {"r2"}
    assert "--db" in fails("history", "-r", "current:", cwd=tmp_path)
