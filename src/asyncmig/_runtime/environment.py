"""What ``context`` means inside a running step (Alembic's ``EnvironmentContext``).

Scripts written for Alembic call ``context.get_x_argument()``,
``context.is_offline_mode()``, ``context.get_context()`` and the like; this
object answers them for the one step that is running.  It is not an env.py
driver: asyncmig's runner, not the script, decides how to connect and run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from .._script.directory import ScriptDirectory
    from .context import MigrationContext
    from .script_config import ScriptConfig


class Environment:
    """The environment of one step: its context, config, script directory and arguments."""

    def __init__(
        self,
        context: MigrationContext,
        *,
        script: ScriptDirectory | None = None,
        revision_argument: str | tuple[str, ...] | None = None,
        starting_revision: str | None = None,
        tag: str | None = None,
    ) -> None:
        self._context = context
        context.environment_context = self
        self.script = script
        self._revision_argument = revision_argument
        self._starting_revision = starting_revision
        self._tag = tag

    @property
    def config(self) -> ScriptConfig | None:
        """Alembic's ``Config`` view of the loaded configuration."""
        return self._context.config

    def get_context(self) -> MigrationContext:
        """The step's migration context."""
        return self._context

    def get_bind(self) -> Connection | Any:
        """The step's sync connection (offline, a mock one that writes SQL)."""
        return self._context.bind

    def is_offline_mode(self) -> bool:
        """True while rendering ``--sql`` output."""
        return self._context.as_sql

    def is_transactional_ddl(self) -> bool:
        """Whether DDL on this dialect rolls back with its transaction."""
        return bool(self._context.impl.transactional_ddl)

    def get_x_argument(self, as_dictionary: bool = False) -> Any:
        """``-x`` arguments: a mapping, or ``key=value`` strings as Alembic lists them."""
        config = self._context.asyncmig_config
        args: Mapping[str, str] = config.x_arguments if config is not None else {}
        if as_dictionary:
            return dict(args)
        return [f"{key}={value}" if value else key for key, value in args.items()]

    def get_tag_argument(self) -> str | None:
        """The ``--tag`` given to the command."""
        return self._tag

    def get_revision_argument(self) -> str | tuple[str, ...] | None:
        """The target revision given to the command."""
        return self._revision_argument

    def get_starting_revision_argument(self) -> str | None:
        """Offline: the ``start`` of a ``start:end`` range."""
        return self._starting_revision

    def get_head_revision(self) -> str | None:
        """The single head of the script directory."""
        heads = self.get_head_revisions()
        return heads[0] if len(heads) == 1 else None

    def get_head_revisions(self) -> tuple[str, ...]:
        """Every head of the script directory."""
        return self.script.revision_map.heads if self.script is not None else ()

    def execute(self, sql: Any, execution_options: Mapping[str, Any] | None = None) -> Any:
        """Run (or, offline, write) a statement through the step's context."""
        return self._context.execute(sql, execution_options)

    def static_output(self, text: str) -> None:
        """Offline: write text verbatim to the SQL output."""
        self._context.impl.static_output(text)
