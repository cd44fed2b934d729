"""Find a configuration file and read it into raw values.

``_config`` builds typed settings from the :class:`Source` this returns.  ini
values are %-interpolated here (``%(here)s``; ``%%`` for ``%``); TOML values
are returned as parsed.
"""

from __future__ import annotations

import configparser
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._urls import mask_text
from ..errors import ConfigError
from .values import split_names, suggestion

__all__ = ("SEARCH_ORDER", "Source", "find", "read")

SEARCH_ORDER = ("asyncmig.toml", "pyproject.toml", "asyncmig.ini", "alembic.ini")


@dataclass
class Source:
    """One configuration file's main table and other sections, not yet typed."""

    path: Path | None
    here: Path
    kind: str  # "toml" | "ini"
    main: dict[str, Any]  # ini: %-interpolated text; TOML: the table as parsed
    sections: dict[str, dict[str, str]]  # ini sections other than the main one
    where: str  # the file, for messages
    prefix: str  # key prefix for messages ("tool.asyncmig." in pyproject.toml)
    section: str  # the main section's name

    @property
    def is_alembic(self) -> bool:
        """Read from an ini file's [alembic] section."""
        return self.kind == "ini" and self.section == "alembic"


def find(path: str | Path | None, environ: Mapping[str, str], cwd: Path) -> Path:
    """The file to read: ``path``, ``ASYNCMIG_CONFIG``, or the first of SEARCH_ORDER in ``cwd``."""
    explicit = path if path is not None else environ.get("ASYNCMIG_CONFIG") or None
    if explicit is not None:
        chosen = cwd / Path(explicit).expanduser()
        if not chosen.is_file():
            origin = "ASYNCMIG_CONFIG" if path is None else "--config"
            raise ConfigError(f"configuration file not found ({origin}): {chosen}")
        return chosen
    for name in SEARCH_ORDER:
        candidate = cwd / name
        if not candidate.is_file():
            continue
        if name == "pyproject.toml" and not _has_tool_table(candidate):
            continue
        return candidate
    looked = ", ".join(
        f"{cwd / n}" + (" [tool.asyncmig]" if n == "pyproject.toml" else "") for n in SEARCH_ORDER
    )
    raise ConfigError(
        f"no configuration found; looked for {looked}: run `asyncmig init <directory>` "
        "to create one, or pass --config PATH"
    )


def _has_tool_table(path: Path) -> bool:
    data = _load_toml(path)
    tool = data.get("tool")
    return isinstance(tool, dict) and "asyncmig" in tool


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file: {exc}", path=str(path)) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}; fix that line", path=str(path)) from exc


def read(path: Path, section: str | None) -> Source:
    """The main table (and, for ini, the other sections) of a configuration file."""
    here = path.resolve().parent
    if path.suffix.lower() == ".toml":
        data = _load_toml(path)
        if path.name.lower() != "pyproject.toml":
            return Source(path, here, "toml", data, {}, str(path), "", "asyncmig")
        table = data.get("tool", {}).get("asyncmig") if isinstance(data.get("tool"), dict) else None
        if not isinstance(table, dict):
            raise ConfigError(
                "has no [tool.asyncmig] table; add one, or run `asyncmig init` with "
                "--template pyproject",
                path=str(path),
            )
        return Source(path, here, "toml", table, {}, str(path), "tool.asyncmig.", "asyncmig")
    return _read_ini(path, here, section)


def _read_ini(path: Path, here: Path, section: str | None) -> Source:
    parser = configparser.ConfigParser(interpolation=configparser.BasicInterpolation())
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file: {exc}", path=str(path)) from exc
    except configparser.Error as exc:
        raise ConfigError(f"not a valid ini file: {_ini_problem(exc)}", path=str(path)) from exc
    wanted = [section] if section else ["asyncmig", "alembic"]
    main = next((name for name in wanted if parser.has_section(name)), None)
    if main is None:
        raise ConfigError(
            f"has no [{'] or ['.join(wanted)}] section; add one with script_location = ...",
            path=str(path),
        )
    variables = {"here": here.as_posix()}

    def text_of(name: str, *, strict: bool) -> dict[str, str]:
        values: dict[str, str] = {}
        for key in parser.options(name):
            try:
                values[key] = parser.get(name, key, vars=variables)
            except configparser.InterpolationError as exc:
                if not strict:
                    # Sections asyncmig does not read (loggers, ...) are kept as written.
                    values[key] = parser.get(name, key, raw=True)
                    continue
                token = getattr(exc, "reference", None)
                what = (
                    f"unknown token %({token})s{suggestion(str(token), ('here',), '%({})s')}"
                    if isinstance(exc, configparser.InterpolationMissingOptionError)
                    else f"cannot expand %-interpolation ({type(exc).__name__})"
                )
                raise ConfigError(
                    f"{what}; write %% for a literal % and use only %(here)s",
                    path=str(path),
                    key=key if name == main else f"{name}.{key}",
                ) from exc
        return values

    main_values = text_of(main, strict=True)
    needed = {"post_write_hooks", *split_names(main_values.get("databases", ""))}
    sections = {
        name: text_of(name, strict=name in needed) for name in parser.sections() if name != main
    }
    return Source(path, here, "ini", dict(main_values), sections, str(path), "", main)


def _ini_problem(exc: configparser.Error) -> str:
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno}: expected a [section] header first"
    if isinstance(exc, configparser.ParsingError) and getattr(exc, "errors", None):
        lineno, line = exc.errors[0]
        return f"line {lineno}: {mask_text(str(line).strip())}"
    number = getattr(exc, "lineno", None)
    first = mask_text(str(exc).splitlines()[0]) if str(exc) else type(exc).__name__
    return f"line {number}: {first}" if number else first
