"""Run the configured ``post_write_hooks`` on a freshly written script.

Alembic's hook types, each run as a subprocess:

- ``console_scripts``: a ``console_scripts`` entry point of the current
  environment, found by name and run with ``sys.executable -c``;
- ``module``: ``sys.executable -m <module>``;
- ``exec``: any executable.

``options`` is split like a shell command line, then every
``REVISION_SCRIPT_FILENAME`` in it becomes the script's path; as in Alembic,
the path goes first when ``options`` does not mention it.  Unlike Alembic, a
hook that exits non-zero is an error (the script stays written) and the
hook's output is captured, so that commands print nothing of their own.
"""

from __future__ import annotations

import importlib.metadata
import logging
import shlex
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from .._config import PostWriteHook
from ..errors import ConfigError, ScriptError

__all__ = ("REVISION_SCRIPT_TOKEN", "hook_command", "run_hooks")

log = logging.getLogger("asyncmig.script")

REVISION_SCRIPT_TOKEN = "REVISION_SCRIPT_FILENAME"


def _options(hook: PostWriteHook, path: Path) -> list[str]:
    text = hook.options or ""
    if REVISION_SCRIPT_TOKEN not in text:
        text = f"{REVISION_SCRIPT_TOKEN} {text}"
    return [part.replace(REVISION_SCRIPT_TOKEN, str(path)) for part in shlex.split(text)]


def _required(hook: PostWriteHook, field: str, value: str | None) -> str:
    if not value:
        raise ConfigError(
            f"post-write hook {hook.name!r} of type {hook.type!r} needs '{field}'",
            key=f"{hook.name}.{field}",
        )
    return value


def _console_script(hook: PostWriteHook) -> list[str]:
    name = _required(hook, "entrypoint", hook.entrypoint)
    found = importlib.metadata.entry_points(group="console_scripts", name=name)
    entry = next(iter(found), None)
    if entry is None:
        raise ScriptError(
            f"post-write hook {hook.name!r}: no console_scripts entry point named {name!r} "
            f"in this environment ({sys.executable}); install it or use type = exec"
        )
    code = f"import sys, {entry.module} as _m; sys.exit(_m.{entry.attr}())"
    return [sys.executable, "-c", code]


def hook_command(hook: PostWriteHook, path: Path) -> list[str]:
    """The argv that runs `hook` on the script at `path`."""
    if hook.type == "console_scripts":
        command = _console_script(hook)
    elif hook.type == "module":
        command = [sys.executable, "-m", _required(hook, "module", hook.entrypoint)]
    elif hook.type == "exec":
        command = [_required(hook, "executable", hook.executable)]
    else:
        raise ConfigError(
            f"post-write hook {hook.name!r} has unknown type {hook.type!r}; "
            "use console_scripts, module or exec",
            key=f"{hook.name}.type",
        )
    return [*command, *_options(hook, path)]


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return f": {lines[-1]}" if lines else ""


def run_hooks(path: Path, hooks: Iterable[PostWriteHook]) -> None:
    """Run each hook on `path`, in order; the first failure raises ScriptError."""
    for hook in hooks:
        command = hook_command(hook, path)
        log.info("running post-write hook %r on %s", hook.name, path)
        try:
            done = subprocess.run(
                command,
                cwd=hook.cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                check=False,
            )
        except OSError as exc:
            raise ScriptError(
                f"post-write hook {hook.name!r} could not start {command[0]!r}: "
                f"{exc.strerror or exc}; the script was written",
                path=str(path),
            ) from exc
        if done.stdout:
            log.debug("post-write hook %r said: %s", hook.name, done.stdout.strip())
        if done.returncode:
            raise ScriptError(
                f"post-write hook {hook.name!r} ({hook.type}) exited with status "
                f"{done.returncode}{_last_line(done.stdout)}; the script was written",
                path=str(path),
            )
