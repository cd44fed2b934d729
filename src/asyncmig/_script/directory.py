"""Scan version locations, read script headers (cached), load and write scripts.

INTERFACE STUB -- the script-directory helper replaces the bodies; the
names, signatures and fields below are the contract the rest of asyncmig
codes against.  Synchronous (callers wrap scans in ``anyio.to_thread``);
never imports sqlalchemy; imports mako only when writing a script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from .revision import Revision, RevisionMap

if TYPE_CHECKING:
    from .._config import Config


@dataclass(frozen=True)
class Script:
    """One migration script file and its header."""

    revision: Revision
    path: Path
    doc: str  # the whole module docstring

    def load_module(self) -> ModuleType:
        """Import the script (once per process), with `from alembic import op` redirected."""
        raise NotImplementedError


class ScriptDirectory:
    """The scripts of one script location and its version locations."""

    def __init__(self, config: Config, script_location: Path | None = None) -> None:
        raise NotImplementedError

    @property
    def location(self) -> Path:
        raise NotImplementedError

    @property
    def revision_map(self) -> RevisionMap:
        """The graph, built on first use from the (cached) headers."""
        raise NotImplementedError

    def get_script(self, ident: str) -> Script:
        """A script by full id, unique prefix or branch label."""
        raise NotImplementedError

    def env_module(self) -> ModuleType | None:
        """``env.py`` of the location, imported (not run as a driver), or None."""
        raise NotImplementedError

    def generate_revision(
        self,
        message: str | None,
        *,
        rev_id: str | None = None,
        head: str | Sequence[str] | None = None,
        splice: bool = False,
        branch_labels: Sequence[str] = (),
        depends_on: Sequence[str] = (),
        version_path: str | Path | None = None,
        template_args: dict[str, object] | None = None,
    ) -> Script:
        """Render a new script from ``script.py.mako``, run post-write hooks, return it."""
        raise NotImplementedError
