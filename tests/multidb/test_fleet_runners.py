"""Several real `asyncmig upgrade` processes on one PostgreSQL tenant fleet: shared, resumable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from tests.cli._run import run_cli
from tests.runtime._scripts import Rev, query, write_project

pytestmark = pytest.mark.anyio

_REVISIONS = ("r1", "r2", "r3")


def _audited(pause: float = 0.0) -> list[Rev]:
    """Each step creates a table and writes one audit row in its own transaction."""
    revs = []
    down = None
    for rev in _REVISIONS:
        body = (
            f'op.create_table("t_{rev}", sa.Column("id", sa.Integer, primary_key=True))\n'
            f"op.execute(sa.text(\"INSERT INTO public.audit VALUES (current_schema(), '{rev}')\"))"
        )
        if pause:
            body += f'\nop.execute(sa.text("SELECT pg_sleep({pause})"))'
        revs.append(Rev(rev, down, body, f'op.drop_table("t_{rev}")'))
        down = rev
    return revs


def _project(tmp_path: Path, url: str, count: int, pause: float = 0.0) -> list[str]:
    schemas = [f"tenant_{i:03d}" for i in range(count)]
    write_project(
        tmp_path,
        None,
        _audited(pause),
        databases={"main": {"url": url, "schemas": schemas}},
    )
    return [f"main:{schema}" for schema in schemas]


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ASYNCMIG_") or k.startswith("ASYNCMIG_TEST_")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _start(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "asyncmig", "upgrade", "head", *args],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its worker processes are killed with it
    )


async def _audit_table(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE public.audit (schema_name text, revision text)"))
    finally:
        await engine.dispose()


async def _audit_counts(url: str) -> tuple[int, int]:
    rows = await query(
        url, "SELECT count(*), count(DISTINCT (schema_name, revision)) FROM public.audit"
    )
    return int(rows[0][0]), int(rows[0][1])


async def _all_at_head(url: str, keys: list[str]) -> None:
    for key in keys:
        schema = key.split(":", 1)[1]
        rows = await query(url, f"SELECT version_num FROM {schema}.asyncmig_version")
        assert rows == [("r3",)], key


async def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``asyncmig ARGS`` in a worker thread, so the test's event loop is never blocked."""
    return await anyio.to_thread.run_sync(partial(run_cli, *args, cwd=cwd))


async def _report(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = await anyio.to_thread.run_sync(partial(process.communicate, timeout=600))
    assert process.returncode == 0, f"exit {process.returncode}:\n{out[-2000:]}\n{err[-2000:]}"
    report: dict[str, Any] = json.loads(out)
    return report


async def test_four_runners_share_200_tenants_each_migrated_once(
    tmp_path: Path, postgresql_url: str
) -> None:
    """4 processes started together: every tenant migrated by exactly one; reports cover all."""
    keys = _project(tmp_path, postgresql_url, 200)
    await _audit_table(postgresql_url)
    runners = [_start(tmp_path, "--json", "--concurrency", "2") for _ in range(4)]
    reports = [await _report(runner) for runner in runners]
    migrated = [set(report["migrated"]) for report in reports]
    for i, mine in enumerate(migrated):
        for theirs in migrated[i + 1 :]:
            assert not mine & theirs  # no tenant migrated by two runners
    covered: set[str] = set()
    for report in reports:
        covered |= set(report["migrated"]) | set(report["done_by_others"])
        covered |= set(report["up_to_date"])
    assert covered == set(keys)
    assert set().union(*migrated) == set(keys)  # the fleet was fresh: someone ran each one
    assert await _audit_counts(postgresql_url) == (200 * 3, 200 * 3)
    await _all_at_head(postgresql_url, keys)


async def test_a_rerun_after_kill_9_resumes_without_redoing_anything(
    tmp_path: Path, postgresql_url: str
) -> None:
    """kill -9 mid-fleet, run again: everything at head, every step run exactly once."""
    keys = _project(tmp_path, postgresql_url, 40, pause=0.05)
    await _audit_table(postgresql_url)
    runner = _start(tmp_path, "--json", "--concurrency", "2")
    try:
        while (await _audit_counts(postgresql_url))[0] < 30:
            assert runner.poll() is None, "the runner finished before it could be killed"
            await anyio.sleep(0.05)
    finally:
        os.killpg(runner.pid, signal.SIGKILL)
        await anyio.to_thread.run_sync(runner.communicate)
    done_before, _ = await _audit_counts(postgresql_url)
    assert done_before < 40 * 3
    report = await _report(_start(tmp_path, "--json"))
    assert report["ok"]
    assert set(report["migrated"]) | set(report["up_to_date"]) == set(keys)
    assert len(report["up_to_date"]) >= 30 // 3 - 2  # finished before the kill: not touched
    assert await _audit_counts(postgresql_url) == (40 * 3, 40 * 3)
    await _all_at_head(postgresql_url, keys)


async def test_canary_failure_and_the_summary_through_the_cli(
    tmp_path: Path, postgresql_url: str
) -> None:
    """--canary 1 stops at a failing first tenant; current --summary says who failed and why."""
    keys = _project(tmp_path, postgresql_url, 5)
    # no audit table yet: every step fails, so the canary fails
    result = await _cli("upgrade", "--canary", "1", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("asyncmig: error: ")
    assert "audit" in lines[0]
    assert lines[-1] == "asyncmig: stopped: a canary target failed (canary = 1)"
    assert "failed: 1, not started: 4" in result.stdout
    summary = await _cli("current", "--summary", cwd=tmp_path)
    assert summary.returncode == 0, summary.stderr
    out = summary.stdout.splitlines()
    assert out[:2] == ["main: 5 targets", "       5  <base>"]
    assert out[2] == "failed last time: 1"
    assert out[3].startswith(f"  {keys[0]}  ")
    assert "audit" in out[3]
    await _audit_table(postgresql_url)
    assert (await _cli("upgrade", "--canary", "1", cwd=tmp_path)).returncode == 0
    data = json.loads((await _cli("current", "--summary", "--json", cwd=tmp_path)).stdout)
    assert (data["counts"], data["failures"], data["ok"]) == ({"main": {"r3": 5}}, [], True)
