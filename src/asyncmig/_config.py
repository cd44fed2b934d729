"""Find and load asyncmig's configuration.

INTERFACE STUB -- the configuration helper replaces the bodies; the names,
signatures and fields below are the contract the rest of asyncmig codes
against.  Never imports sqlalchemy (commands that need no database stay fast).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DATABASE = "main"


@dataclass(frozen=True)
class PostWriteHook:
    """One entry of ``post_write_hooks``."""

    name: str
    type: str  # "console_scripts" | "module" | "exec"
    entrypoint: str | None = None  # console_scripts: the script name; module: the module name
    executable: str | None = None  # exec: the program
    options: str = ""  # may contain REVISION_SCRIPT_FILENAME
    cwd: str | None = None


@dataclass(frozen=True)
class DatabaseConfig:
    """One database to migrate."""

    name: str
    url: str | None  # async driver URL; print only `masked_url`
    script_location: Path | None = None  # a separate history; None = the main one
    schemas: tuple[str, ...] | None = None  # tenant schemas listed in the config
    schemas_query: str | None = None  # or: SQL that returns the schema names
    version_table: str | None = None  # None = the main setting
    version_table_schema: str | None = None

    @property
    def masked_url(self) -> str:
        """The URL with any password replaced by ``***``."""
        raise NotImplementedError


@dataclass(frozen=True)
class Config:
    """Loaded configuration; built by :meth:`Config.load`."""

    path: Path | None  # the file it came from; None when built from a mapping
    here: Path  # the folder `%(here)s` means
    script_location: Path
    version_locations: tuple[Path, ...]
    databases: Mapping[str, DatabaseConfig]  # always at least one; "main" for a single `url`
    recursive_version_locations: bool = False
    file_template: str = "%(rev)s_%(slug)s"
    timezone: str | None = None
    truncate_slug_length: int = 40
    output_encoding: str = "utf-8"
    prepend_sys_path: tuple[Path, ...] = ()
    post_write_hooks: tuple[PostWriteHook, ...] = ()
    sourceless: bool = False
    version_table: str = "asyncmig_version"
    version_table_schema: str | None = None
    transaction_per_migration: bool = True
    lock: bool = True
    lock_timeout: float | None = None
    target_metadata: str | None = None  # "pkg.module:attr"
    x_arguments: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, str] = field(default_factory=dict)  # every main-section key, as text

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        url: str | None = None,
        x_arguments: Mapping[str, str] | Sequence[str] | None = None,
        environ: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> Config:
        """Find and load the configuration (see DESIGN.md for the search order)."""
        raise NotImplementedError

    def get_main_option(self, name: str, default: str | None = None) -> str | None:
        """Alembic's accessor, for scripts that read ``config.get_main_option``."""
        raise NotImplementedError

    def get_section_option(
        self, section: str, name: str, default: str | None = None
    ) -> str | None:
        """Alembic's accessor for another section of the same file."""
        raise NotImplementedError

    def database(self, name: str) -> DatabaseConfig:
        """One database by name; ConfigError naming the known ones if absent."""
        raise NotImplementedError

    def select(self, names: Sequence[str] | None) -> list[DatabaseConfig]:
        """The databases a command acts on (all when `names` is None or empty)."""
        raise NotImplementedError


def mask_url(url: str) -> str:
    """A URL with any password replaced by ``***``."""
    raise NotImplementedError


def to_async_url(url: str) -> str:
    """Upgrade a sync driver URL to its async driver (``postgresql://`` -> ``+asyncpg``)."""
    raise NotImplementedError


def parse_x_arguments(items: Sequence[str]) -> dict[str, str]:
    """``-x key=value`` items as a mapping; a bare key maps to ``""``."""
    raise NotImplementedError


def _unused(_: Any) -> None:  # keeps the stub importable under strict typing
    return None
