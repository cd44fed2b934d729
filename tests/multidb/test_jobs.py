"""``--jobs N``: targets split over worker processes, on the real PostgreSQL server."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from functools import partial
from pathlib import Path

import anyio
import anyio.to_thread
import pytest
from sqlalchemy.engine import make_url

from tests import _servers
from tests.cli._run import run_cli
from tests.runtime._scripts import Rev, query, write_project

pytestmark = [pytest.mark.anyio, pytest.mark.postgresql]

PASSWORD = "s3cret-never-shown"


def _audited(*ids: str, extra: dict[str, str] | None = None) -> list[Rev]:
    """A chain whose every step writes one row naming itself (so a step run twice shows)."""
    revs = [
        Rev(
            ids[0],
            None,
            'op.create_table("audit", sa.Column("rev", sa.String(20)))\n'
            f"op.execute(\"INSERT INTO audit (rev) VALUES ('{ids[0]}')\")",
            'op.drop_table("audit")',
            extra=(extra or {}).get(ids[0], ""),
        )
    ]
    for down, rev in itertools.pairwise(ids):
        revs.append(
            Rev(
                rev,
                down,
                f"op.execute(\"INSERT INTO audit (rev) VALUES ('{rev}')\")",
                f"op.execute(\"DELETE FROM audit WHERE rev = '{rev}'\")",
                extra=(extra or {}).get(rev, ""),
            )
        )
    return revs


@pytest.fixture
def eight_databases() -> Iterator[list[str]]:
    """Eight fresh PostgreSQL databases, their URLs carrying a password (trust ignores it)."""
    with ExitStack() as stack:
        urls = [stack.enter_context(_servers.scratch_database("postgresql")) for _ in range(8)]
        yield [make_url(u).set(password=PASSWORD).render_as_string(False) for u in urls]


async def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command line, waited for off the event loop."""
    return await anyio.to_thread.run_sync(partial(run_cli, *args, cwd=cwd))


def _names(count: int) -> list[str]:
    return [f"d{n}" for n in range(count)]


async def _audit_counts(url: str, schema: str | None = None) -> dict[str, int]:
    table = f'"{schema}".audit' if schema else "audit"
    rows = await query(url, f"SELECT rev, count(*) FROM {table} GROUP BY rev")
    return {str(rev): int(count) for rev, count in rows}


def _cmdline_recorder(folder: Path) -> str:
    """Module code run as a worker imports the script: it records that process's command line."""
    return (
        "import os as _os\n"
        f"with open({str(folder)!r} + f'/{{_os.getpid()}}.cmdline', 'wb') as _f:\n"
        "    _f.write(open('/proc/self/cmdline', 'rb').read())\n"
    )


async def test_jobs_2_over_8_databases_runs_each_step_once(
    tmp_path: Path, eight_databases: list[str]
) -> None:
    """--jobs 2: 8 databases, every step exactly once, one summary in order, no password shown."""
    seen = tmp_path / "processes"
    seen.mkdir()
    names = _names(8)
    write_project(
        tmp_path / "p",
        None,
        _audited("r1", "r2", "r3", extra={"r1": _cmdline_recorder(seen)}),
        databases={n: {"url": u} for n, u in zip(names, eight_databases, strict=True)},
    )
    result = await _cli("upgrade", "head", "--jobs", "2", cwd=tmp_path / "p")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for name in names:
        mine = [line for line in lines if line.startswith(f"[{name}] upgrade ")]
        assert len(mine) == 3, result.stdout
    header = next(i for i, line in enumerate(lines) if line.startswith("database"))
    rows = [line.split() for line in lines[header + 1 :]]
    assert [(r[0], r[2], r[3], r[-1]) for r in rows] == [(n, "r3", "3", "ok") for n in names]
    for url in eight_databases:
        assert await _audit_counts(url) == {"r1": 1, "r2": 1, "r3": 1}
    # Scripts ran in two worker processes, neither of which had the password on its command line.
    commands = [path.read_bytes() for path in seen.iterdir()]
    assert len(commands) == 2
    assert all(
        b"asyncmig._commands.job_worker" in c and PASSWORD.encode() not in c for c in commands
    )
    assert PASSWORD not in result.stdout + result.stderr


async def test_json_report_combines_the_workers(tmp_path: Path, eight_databases: list[str]) -> None:
    """--json with --jobs: one document, every database in configuration order."""
    names = _names(8)
    write_project(
        tmp_path,
        None,
        _audited("r1", "r2"),
        databases={n: {"url": u} for n, u in zip(names, eight_databases, strict=True)},
    )
    result = await _cli("upgrade", "--json", "--jobs", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert [(db["database"], db["after"], len(db["steps"])) for db in data["databases"]] == [
        (n, ["r2"], 2) for n in names
    ]
    down = await _cli("downgrade", "base", "--json", "--jobs", "2", cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    assert [db["after"] for db in json.loads(down.stdout)["databases"]] == [[]] * 8


async def test_a_failing_database_exits_1_and_the_others_finish(
    tmp_path: Path, eight_databases: list[str]
) -> None:
    """One database's failure under --jobs: exit 1, one error line, the other seven at head."""
    names = _names(8)
    bad = '\ndef upgrade_d5() -> None:\n    raise RuntimeError("d5 breaks")\n'
    write_project(
        tmp_path,
        None,
        _audited("r1", "r2", extra={"r2": bad}),
        databases={n: {"url": u} for n, u in zip(names, eight_databases, strict=True)},
    )
    result = await _cli("upgrade", "--jobs", "2", cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("asyncmig: error: ")
    assert "d5 breaks" in errors[0]
    assert "Traceback" not in result.stderr
    for name, url in zip(names, eight_databases, strict=True):
        expected = {"r1": 1} if name == "d5" else {"r1": 1, "r2": 1}
        assert await _audit_counts(url) == expected


async def test_schemas_of_one_database_split_over_workers(
    tmp_path: Path, postgresql_url: str
) -> None:
    """Tenant schemas from a query: the parent lists them once, each is migrated exactly once."""
    tenants = [f"tenant_{n:02d}" for n in range(30)]
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(postgresql_url)
    try:
        async with engine.begin() as conn:
            for tenant in tenants:
                quoted = conn.dialect.identifier_preparer.quote_schema(tenant)
                await conn.execute(text(f"CREATE SCHEMA {quoted}"))
    finally:
        await engine.dispose()
    schemas_query = (
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY nspname"
    )
    write_project(
        tmp_path,
        None,
        _audited("r1", "r2", "r3"),
        databases={"main": {"url": postgresql_url, "schemas_query": schemas_query}},
    )
    result = await _cli("upgrade", "--jobs", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("database"))
    rows = [line.split() for line in lines[header + 1 :]]
    assert [(r[0], r[2], r[-1]) for r in rows] == [(f"main:{t}", "r3", "ok") for t in tenants]
    for tenant in tenants:
        assert await _audit_counts(postgresql_url, tenant) == {"r1": 1, "r2": 1, "r3": 1}
    again = await _cli("upgrade", "--jobs", "2", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert not [line for line in again.stdout.splitlines() if line.startswith("[")]


async def test_a_killed_worker_fails_its_targets_and_a_rerun_finishes(
    tmp_path: Path, eight_databases: list[str]
) -> None:
    """kill -9 of one worker: its targets fail with one line each, the rest reach head; rerun."""
    names = _names(8)
    marker = tmp_path / "hold"
    marker.write_text("")
    pids = tmp_path / "pid"
    hold = (
        "\ndef upgrade_d1() -> None:\n"
        "    import os, pathlib\n"
        "    op.execute(\"INSERT INTO audit (rev) VALUES ('r2')\")\n"
        f"    pathlib.Path({str(pids)!r}).write_text(str(os.getpid()))\n"
        f"    while pathlib.Path({str(marker)!r}).exists():\n"
        "        time.sleep(0.05)\n"
    )
    write_project(
        tmp_path / "p",
        None,
        _audited("r1", "r2", "r3", extra={"r2": hold}),
        databases={n: {"url": u} for n, u in zip(names, eight_databases, strict=True)},
    )
    returncode, out, err = await anyio.to_thread.run_sync(
        _kill_the_holding_worker, tmp_path / "p", pids
    )
    assert returncode == 1
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.strip()]
    assert errors, err
    assert all(line.startswith("asyncmig: error: ") for line in errors), err
    assert all("killed by SIGKILL" in line for line in errors), err
    assert any(line.startswith("asyncmig: error: d1: ") for line in errors), err
    failed = {line.split()[2].rstrip(":") for line in errors}
    assert len(failed) == len(errors) <= 4  # one line each, all from the dead worker's chunk
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("database"))
    status = {line.split()[0]: line.split()[-1] for line in lines[header + 1 :]}
    assert {name for name, s in status.items() if s == "failed"} == failed
    for name, url in zip(names, eight_databases, strict=True):
        if name not in failed:
            assert status[name] == "ok"
            assert await _audit_counts(url) == {"r1": 1, "r2": 1, "r3": 1}
    assert await _audit_counts(eight_databases[1]) == {"r1": 1}  # r2 rolled back with the kill

    marker.unlink()
    rerun = await _cli("upgrade", "--jobs", "2", cwd=tmp_path / "p")
    assert rerun.returncode == 0, rerun.stderr
    for url in eight_databases:
        assert await _audit_counts(url) == {"r1": 1, "r2": 1, "r3": 1}


def _kill_the_holding_worker(project: Path, pids: Path) -> tuple[int, str, str]:
    """Start `upgrade --jobs 2`, kill -9 the worker whose step wrote `pids`, let the rest end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMIG_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "asyncmig", "upgrade", "--jobs", "2"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (pids.exists() and pids.read_text()):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the held step never started"
            time.sleep(0.05)
        os.kill(int(pids.read_text()), signal.SIGKILL)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, out, err
