"""Alembic's ``Config`` as a migration script sees it (``context.config``).

Scripts written for Alembic read ``config.get_main_option("sqlalchemy.url")``,
``get_section_option``, ``get_section``, ``config_file_name``, ``cmd_opts``
and ``attributes``.  :class:`ScriptConfig` answers those from asyncmig's
:class:`~asyncmig.Config` with Alembic's meanings: option values are the
file's text (a URL keeps its password, as Alembic returns it), every section
has ``here``, and ``attributes`` is one dict per loaded configuration, shared
by every step of a run.  Any other attribute is asyncmig's ``Config``'s.
"""

from __future__ import annotations

import argparse
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._urls import to_async_url

if TYPE_CHECKING:
    from .._config import Config

__all__ = ("ScriptConfig",)

_URL_KEYS = ("sqlalchemy.url", "url")
_attributes: dict[int, dict[Any, Any]] = {}
_overlays: dict[int, dict[str, dict[str, str]]] = {}


def _shared(config: Config) -> tuple[dict[Any, Any], dict[str, dict[str, str]]]:
    """The attributes and option overrides of `config`, kept while it lives."""
    key = id(config)
    if key not in _attributes:
        _attributes[key] = {}
        _overlays[key] = {}

        def forget() -> None:
            _attributes.pop(key, None)
            _overlays.pop(key, None)

        weakref.finalize(config, forget)
    return _attributes[key], _overlays[key]


class ScriptConfig:
    """Alembic's ``Config`` reading API over asyncmig's configuration."""

    def __init__(
        self,
        config: Config,
        *,
        database: str = "main",
        cmd_opts: argparse.Namespace | None = None,
    ) -> None:
        self._config = config
        self._database = database
        self.cmd_opts = cmd_opts
        self.attributes, self._overlay = _shared(config)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # never recurse while half-built (copy, pickle)
            raise AttributeError(name)
        return getattr(self._config, name)

    def __repr__(self) -> str:
        return f"<ScriptConfig of {self.config_file_name or '<mapping>'}>"

    # -- where it came from ----------------------------------------------------

    @property
    def config_file_name(self) -> str | None:
        """The configuration file's path (None when built from a mapping)."""
        path = self._config.path
        return str(path) if path is not None else None

    @property
    def config_ini_section(self) -> str:
        """The main section's name (``alembic`` in an ``alembic.ini``)."""
        return self._config.main_section

    # -- reading ---------------------------------------------------------------

    def get_section(
        self, name: str, default: Mapping[str, str] | None = None
    ) -> dict[str, str] | Mapping[str, str] | None:
        """Every option of section `name` as a dict (with ``here``), or `default`."""
        values = self._section_values(name)
        if values is None:
            return default
        return {"here": self._config.here.as_posix(), **values}

    def get_section_option(self, section: str, name: str, default: str | None = None) -> str | None:
        """One option of `section` (the file's text), or `default`."""
        values = self.get_section(section)
        if values is None:
            return default
        return _url_aware(values, name, default)

    def get_main_option(self, name: str, default: str | None = None) -> str | None:
        """One option of the main section.

        ``sqlalchemy.url`` is the file's text, as under Alembic; when the file has none,
        or ``--url`` / ``-x url=`` / ``ASYNCMIG_URL`` replaced it, it is the URL the step
        really migrates (a script that connects on its own must reach that database).
        """
        value = self.get_section_option(self.config_ini_section, name)
        if name in _URL_KEYS and name not in self._overlay.get(self.config_ini_section, {}):
            database = self._config.databases.get(self._database)
            actual = database.url if database is not None else None
            if actual is not None and (value is None or to_async_url(value) != actual):
                value = actual
        return default if value is None else value

    def get_alembic_option(self, name: str, default: str | None = None) -> str | None:
        """Alembic >= 1.16's reader of its own keys: the main section here."""
        return self.get_main_option(name, default)

    def _section_values(self, name: str) -> dict[str, str] | None:
        config = self._config
        found: Mapping[str, str] | None
        if name == config.main_section:
            found = config.options
        elif name in config.sections:
            found = config.sections[name]
        elif name in config.databases and config.databases[name].options:
            found = config.databases[name].options
        else:
            found = None
        overlay = self._overlay.get(name)
        if found is None and overlay is None:
            return None
        return {**(found or {}), **(overlay or {})}

    # -- writing (seen by later reads in the same run) ---------------------------

    def set_main_option(self, name: str, value: str) -> None:
        """Set a main-section option for the rest of the run."""
        self.set_section_option(self.config_ini_section, name, value)

    def set_section_option(self, section: str, name: str, value: str) -> None:
        """Set an option of `section` for the rest of the run."""
        self._overlay.setdefault(section, {})[name] = value

    def print_stdout(self, text: str, *arg: Any) -> None:
        """Print a message, as Alembic's ``Config.print_stdout`` does."""
        quiet = bool(getattr(self.cmd_opts, "quiet", False))
        if not quiet:
            print(text % arg if arg else text)


def _url_aware(values: Mapping[str, str], name: str, default: str | None) -> str | None:
    if name in values:
        return values[name]
    if name in _URL_KEYS:  # asyncmig's `url` is Alembic's `sqlalchemy.url`, and back
        for key in _URL_KEYS:
            if key in values:
                return values[key]
    return default


def command_options(
    config: Config,
    *,
    as_sql: bool,
    revision: Any = None,
    tag: str | None = None,
) -> argparse.Namespace:
    """The parsed command line as Alembic's ``cmd_opts`` names it."""
    x_args = [f"{key}={value}" if value else key for key, value in config.x_arguments.items()]
    return argparse.Namespace(
        config=str(config.path) if config.path is not None else None,
        name=config.main_section,
        x=x_args or None,
        raiseerr=False,
        quiet=False,
        sql=as_sql,
        tag=tag,
        revision=revision,
    )
