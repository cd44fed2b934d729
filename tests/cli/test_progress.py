"""The progress view of upgrade: a bar on a real terminal, plain lines through a pipe."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from asyncmig._progress import Progress
from tests.cli._run import run_cli
from tests.runtime._scripts import linear, write_project

CLEAR = "\r\x1b[K"


def _project(tmp_path: Path) -> None:
    urls = {name: f"sqlite+aiosqlite:///{tmp_path}/{name}.db" for name in ("a", "b", "c")}
    write_project(
        tmp_path, None, linear("r1", "r2"), databases={n: {"url": u} for n, u in urls.items()}
    )


def _on_a_terminal(*args: str, cwd: Path) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal 120 columns wide; all it wrote."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMIG_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "asyncmig", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return process.wait(timeout=120), b"".join(chunks).decode()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_terminal_gets_a_bar_redrawn_in_place(tmp_path: Path, jobs: str) -> None:
    """On a terminal: a bar redrawn with carriage return, all targets counted, then the summary."""
    _project(tmp_path)
    status, screen = _on_a_terminal("upgrade", "head", "--jobs", jobs, cwd=tmp_path)
    assert status == 0, screen
    assert f"{CLEAR}[{'#' * 24}] 100% 3/3 targets, 6 steps, " in screen
    assert " left" in screen
    # Each step line replaces the bar on its line and the bar is drawn again below it.
    assert f"{CLEAR}[b] upgrade r1 -> r2, step r2 (" in screen
    assert screen.count(f"\r\n{CLEAR}[") >= 6
    last_bar = screen.rindex(CLEAR)
    assert screen.index("database", last_bar) > last_bar
    summary = screen[last_bar + len(CLEAR) :].replace("\r\n", "\n")
    assert summary.lstrip("\n").startswith("database"), summary
    assert "\x1b" not in summary


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_pipe_gets_plain_lines(tmp_path: Path, jobs: str) -> None:
    """Through a pipe: no escape codes; `progress:` lines on stderr (here one per change)."""
    _project(tmp_path)
    result = run_cli(
        "upgrade", "--jobs", jobs, cwd=tmp_path, env={"ASYNCMIG_PROGRESS_INTERVAL": "0"}
    )
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr
    assert "\r" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert lines, result.stderr
    assert all(line.startswith("progress: ") for line in lines), result.stderr
    assert lines[-1].startswith("progress: 3/3 targets, 6 steps, "), result.stderr
    assert any(line.startswith("progress: 0/3 targets, 1 steps, ") for line in lines)


def test_quiet_and_json_show_no_progress(tmp_path: Path) -> None:
    """-q and --json print no progress at all."""
    _project(tmp_path)
    env = {"ASYNCMIG_PROGRESS_INTERVAL": "0"}
    quiet = run_cli("-q", "upgrade", "r1", cwd=tmp_path, env=env)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    data = run_cli("upgrade", "--json", cwd=tmp_path, env=env)
    assert data.returncode == 0
    assert data.stderr == ""


def test_plain_lines_wait_for_their_interval_and_estimate_the_time_left() -> None:
    """Plain mode: nothing before `interval` seconds, then a line; time left from targets done."""
    now = [0.0]
    stream = io.StringIO()
    progress = Progress(stream, total=4, terminal=False, interval=5, clock=lambda: now[0])
    for _ in range(3):
        now[0] += 1
        progress.step()
    progress.target_done()
    assert stream.getvalue() == ""
    now[0] = 6.0
    progress.target_done(failed=True)
    assert stream.getvalue() == (
        "progress: 2/4 targets, 1 failed, 3 steps, 0.5 steps/s, 0:06 elapsed, 0:06 left\n"
    )
    assert progress.text(width=32) == "[############------------]  50%"
