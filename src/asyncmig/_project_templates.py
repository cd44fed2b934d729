"""Environment templates: find them, list them, and ``init`` a project from one.

A template is a folder of ``templates/``.  Its files go into the new script
directory, except the configuration, which goes into the current folder:

- ``asyncmig.toml`` is written there (``init`` refuses to overwrite one);
- ``pyproject.fragment.toml`` is appended to ``pyproject.toml`` as its
  ``[tool.asyncmig]`` table (the file is created when absent).

The first line of a template's ``README`` is its description.  In the
configuration files ``{{script_location}}``, ``{{directory}}``, ``{{url}}``
and ``{{url:<name>}}`` are filled in; the URLs are SQLite files beside the
configuration, so ``asyncmig upgrade head`` works straight after ``init``.
Synchronous: the command layer runs it in a worker thread.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
from pathlib import Path

from .errors import CommandError

__all__ = ("init", "list_templates", "templates_root")

CONFIG_FILE = "asyncmig.toml"
PYPROJECT_FRAGMENT = "pyproject.fragment.toml"
_PLACEHOLDER = re.compile(r"\{\{(script_location|directory|url)(?::([A-Za-z_]\w*))?\}\}")


def templates_root() -> Path:
    """The folder holding the templates, in a wheel or in a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "templates", package.parents[1] / "templates"):
        if (candidate / "generic").is_dir():
            return candidate
    raise CommandError(
        f"asyncmig's templates are missing (looked in {package / 'templates'}); reinstall asyncmig"
    )


def _template_dirs() -> dict[str, Path]:
    root = templates_root()
    return {
        entry.name: entry
        for entry in sorted(root.iterdir())
        if entry.is_dir() and not entry.name.startswith((".", "_"))
    }


def _description(folder: Path) -> str:
    readme = folder / "README"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8").splitlines():
            if line.strip():
                return line.strip()
    return ""


def list_templates() -> list[tuple[str, str]]:
    """``(name, description)`` of every template, sorted by name."""
    return [(name, _description(folder)) for name, folder in _template_dirs().items()]


def init(
    directory: str | Path,
    template: str = "generic",
    *,
    cwd: str | Path | None = None,
    package: bool = False,
) -> list[Path]:
    """Create the script directory ``directory`` and its configuration from a template.

    The configuration goes into ``cwd`` (default: the current folder).  Refuses
    a non-empty ``directory``, an existing configuration file, and unknown
    templates.  With ``package`` the new folders get an ``__init__.py``.
    Returns the folders and files created (and ``pyproject.toml`` when it was
    extended), in the order they were written.
    """
    templates = _template_dirs()
    if template not in templates:
        raise CommandError(
            f"no template named {template!r}; the templates are: {', '.join(templates)} "
            "(see `asyncmig list-templates`)"
        )
    source = templates[template]
    base = Path(cwd) if cwd is not None else Path.cwd()
    target = base / Path(directory).expanduser()
    config_text, config_path, pyproject_text = _plan_config(source, base, target)
    if target.exists() and not target.is_dir():
        raise CommandError(f"{target} exists and is not a folder; choose another directory")
    if target.is_dir() and any(target.iterdir()):
        raise CommandError(f"{target} is not empty; choose a new or empty directory")

    created: list[Path] = []
    for folder in (target, target / "versions"):
        if not folder.is_dir():
            folder.mkdir(parents=True)
            created.append(folder)
    for item in sorted(source.iterdir()):
        if item.name in (CONFIG_FILE, PYPROJECT_FRAGMENT) or not item.is_file():
            continue
        shutil.copyfile(item, target / item.name)
        created.append(target / item.name)
    if package:
        for folder in (target, target / "versions"):
            (folder / "__init__.py").write_text("", encoding="utf-8")
            created.append(folder / "__init__.py")
    if pyproject_text is not None:
        config_path.write_text(pyproject_text, encoding="utf-8")
    else:
        config_path.write_text(config_text, encoding="utf-8")
    created.append(config_path)
    return created


def _plan_config(source: Path, base: Path, target: Path) -> tuple[str, Path, str | None]:
    """``(config text, where it goes, the whole new pyproject.toml or None)``; checks first."""
    fragment = source / PYPROJECT_FRAGMENT
    if fragment.is_file():
        text = _fill(fragment.read_text(encoding="utf-8"), base, target)
        pyproject = base / "pyproject.toml"
        if (base / CONFIG_FILE).exists():
            raise CommandError(
                f"{base / CONFIG_FILE} exists and would take precedence over pyproject.toml; "
                "remove it or use the generic template"
            )
        return text, pyproject, _extend_pyproject(pyproject, text)
    config = base / CONFIG_FILE
    if config.exists():
        raise CommandError(f"{config} already exists; remove it or init in another folder")
    return _fill((source / CONFIG_FILE).read_text(encoding="utf-8"), base, target), config, None


def _extend_pyproject(pyproject: Path, fragment: str) -> str:
    """The existing pyproject.toml with ``fragment`` appended, checked to still parse."""
    existing = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    try:
        data = tomllib.loads(existing)
    except tomllib.TOMLDecodeError as exc:
        raise CommandError(f"{pyproject} is not valid TOML ({exc}); fix it first") from exc
    tool = data.get("tool")
    if isinstance(tool, dict) and "asyncmig" in tool:
        raise CommandError(f"{pyproject} already has a [tool.asyncmig] table; edit it instead")
    separator = "" if not existing else ("\n" if existing.endswith("\n") else "\n\n")
    combined = existing + separator + fragment
    try:
        tomllib.loads(combined)
    except tomllib.TOMLDecodeError as exc:
        raise CommandError(
            f"cannot append [tool.asyncmig] to {pyproject}: the result would not parse ({exc}); "
            "add the table by hand"
        ) from exc
    return combined


def _fill(text: str, base: Path, target: Path) -> str:
    """The placeholders of a configuration template, as TOML string contents."""
    relative = Path(os.path.relpath(target.resolve(), base.resolve())).as_posix()
    # `%` and `${` are special in configuration values; keep path text literal.
    literal = relative.replace("%", "%%").replace("${", "$${")
    values = {
        "script_location": f"%(here)s/{literal}",
        "directory": literal,
    }

    def substitute(match: re.Match[str]) -> str:
        key, name = match.group(1), match.group(2)
        value = f"sqlite+aiosqlite:///%(here)s/{name or 'main'}.db" if key == "url" else values[key]
        return json.dumps(value, ensure_ascii=False)[1:-1]

    return _PLACEHOLDER.sub(substitute, text)
