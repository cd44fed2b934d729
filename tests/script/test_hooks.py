"""post_write_hooks run as real subprocesses on the written script."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from asyncmig._config import PostWriteHook
from asyncmig._script.hooks import hook_command, run_hooks
from asyncmig.errors import ConfigError, ScriptError

REWRITER = """
import sys
path = sys.argv[1]
with open(path) as handle:
    text = handle.read()
with open(path, "w") as handle:
    handle.write(text.upper() + "# rewritten with " + " ".join(sys.argv[2:]) + "\\n")
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    """A written 'revision script' in a folder whose name has a space."""
    folder = tmp_path / "my versions"
    folder.mkdir()
    path = folder / "abc_one.py"
    path.write_text("revision = 'abc'\n")
    return path


def test_module_hook_rewrites_the_file(tmp_path: Path, script: Path) -> None:
    """type=module runs `python -m <module>` with the path substituted into options."""
    (tmp_path / "asyncmig_fmt_hook.py").write_text(REWRITER)
    hook = PostWriteHook(
        name="fmt",
        type="module",
        entrypoint="asyncmig_fmt_hook",
        options="REVISION_SCRIPT_FILENAME --flag",
        cwd=str(tmp_path),
    )
    run_hooks(script, [hook])
    assert script.read_text() == "REVISION = 'ABC'\n# rewritten with --flag\n"


def test_exec_hook_and_path_prepended_when_not_named(tmp_path: Path, script: Path) -> None:
    """type=exec runs the program; without the token in options the path goes first."""
    program = tmp_path / "append.sh"
    program.write_text('#!/bin/sh\necho "# $2" >> "$1"\n')
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    hook = PostWriteHook(name="app", type="exec", executable=str(program), options="hello")
    run_hooks(script, [hook])
    assert script.read_text() == "revision = 'abc'\n# hello\n"


def test_console_scripts_hook(
    tmp_path: Path, script: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """type=console_scripts finds the entry point by name and runs it with sys.executable."""
    site = tmp_path / "site"
    dist = site / "asyncmig_hook_demo-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: asyncmig-hook-demo\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[console_scripts]\nasyncmig-demo-fmt = asyncmig_demo_fmt:main\n"
    )
    (site / "asyncmig_demo_fmt.py").write_text(
        "import sys\n"
        "def main():\n"
        "    with open(sys.argv[1], 'a') as f:\n"
        "        f.write('# demo ' + sys.argv[2] + '\\n')\n"
        "    return 0\n"
    )
    monkeypatch.syspath_prepend(str(site))
    hook = PostWriteHook(
        name="demo",
        type="console_scripts",
        entrypoint="asyncmig-demo-fmt",
        options="REVISION_SCRIPT_FILENAME ok",
        cwd=str(site),
    )
    run_hooks(script, [hook])
    assert script.read_text().endswith("# demo ok\n")


def test_failing_hook_names_hook_and_status(tmp_path: Path, script: Path) -> None:
    """A hook exiting non-zero is a ScriptError naming it and its status; the file stays."""
    program = tmp_path / "fail.sh"
    program.write_text('#!/bin/sh\necho "cannot format $1" >&2\nexit 3\n')
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    hook = PostWriteHook(name="strict", type="exec", executable=str(program))
    with pytest.raises(ScriptError, match=r"'strict' \(exec\) exited with status 3: cannot format"):
        run_hooks(script, [hook])
    assert script.read_text() == "revision = 'abc'\n"


def test_hooks_run_in_order_and_stop_at_the_first_failure(tmp_path: Path, script: Path) -> None:
    """A failing hook stops the ones after it."""
    marker = tmp_path / "ran"
    first = PostWriteHook(name="no", type="exec", executable="false")
    second = PostWriteHook(name="later", type="exec", executable="touch", options=str(marker))
    with pytest.raises(ScriptError, match="'no'"):
        run_hooks(script, [first, second])
    assert not marker.exists()


def test_missing_program_and_entry_point_are_errors(script: Path) -> None:
    """An executable or console script that does not exist is a one-line error."""
    missing = PostWriteHook(name="x", type="exec", executable="/nonexistent/asyncmig-fmt")
    with pytest.raises(ScriptError, match="could not start"):
        run_hooks(script, [missing])
    unknown = PostWriteHook(name="y", type="console_scripts", entrypoint="no-such-asyncmig-tool")
    with pytest.raises(ScriptError, match="no console_scripts entry point named"):
        run_hooks(script, [unknown])


def test_missing_module_fails_in_the_subprocess(script: Path) -> None:
    """type=module with an unknown module fails with Python's own message."""
    hook = PostWriteHook(name="m", type="module", entrypoint="no_such_asyncmig_module")
    with pytest.raises(ScriptError, match="No module named no_such_asyncmig_module"):
        run_hooks(script, [hook])


def test_configuration_mistakes_are_config_errors(script: Path) -> None:
    """An unknown hook type or a missing required key names the hook."""
    with pytest.raises(ConfigError, match=r"'bad'.*unknown type 'black'"):
        hook_command(PostWriteHook(name="bad", type="black"), script)
    with pytest.raises(ConfigError, match="needs 'executable'"):
        hook_command(PostWriteHook(name="e", type="exec"), script)


def test_command_keeps_a_path_with_spaces_whole(script: Path) -> None:
    """The substituted path stays one argument even when it contains a space."""
    hook = PostWriteHook(
        name="m", type="module", entrypoint="fmt", options="--x REVISION_SCRIPT_FILENAME"
    )
    assert hook_command(hook, script) == [sys.executable, "-m", "fmt", "--x", str(script)]
