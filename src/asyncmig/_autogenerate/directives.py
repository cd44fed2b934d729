"""``process_revision_directives``: env.py's last word on what autogenerate writes.

The hook keeps Alembic's call, ``hook(context, revision, directives)``, where
``directives`` is a one-item list holding a :class:`MigrationScript`.  The hook may
empty the list (write nothing), change ``rev_id`` / ``message``, or edit
``upgrade_ops.ops`` (the differences, in order) of each database.  Alembic's
operation objects are not reproduced: the ops here are the
:class:`~asyncmig._autogenerate.diff.Diff` records, and the downgrade is always
rendered as the inverse of what is left in the upgrade.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .diff import Diff

__all__ = ("MigrationScript", "UpgradeOps", "run_revision_directives")

ProcessRevisionDirectives = Callable[[Any, Any, list[Any]], None]


@dataclass
class UpgradeOps:
    """The differences of one database (``upgrade_token`` names its function)."""

    ops: list[Diff]
    upgrade_token: str = "upgrades"
    database: str | None = None

    def is_empty(self) -> bool:
        """Whether there is nothing to do (Alembic's name)."""
        return not self.ops


@dataclass
class MigrationScript:
    """What the revision command is about to write."""

    rev_id: str | None
    message: str | None
    upgrade_ops_list: list[UpgradeOps]
    head: str | None = None
    branch_label: str | None = None
    depends_on: Any = None
    imports: set[str] = field(default_factory=set)

    @property
    def upgrade_ops(self) -> UpgradeOps:
        """The first (for one database, the only) database's differences."""
        return self.upgrade_ops_list[0]

    def diffs_by_database(self) -> dict[str, list[Diff]]:
        """What is left for each database after the hook ran."""
        return {ops.database or "main": list(ops.ops) for ops in self.upgrade_ops_list}


def run_revision_directives(
    hook: ProcessRevisionDirectives | None,
    context: Any,
    revision: Any,
    *,
    rev_id: str | None,
    message: str | None,
    diffs: Mapping[str, Sequence[Diff]],
) -> MigrationScript | None:
    """Let `hook` edit the script about to be written; None when it removed it."""
    multidb = len(diffs) > 1
    script = MigrationScript(
        rev_id=rev_id,
        message=message,
        upgrade_ops_list=[
            UpgradeOps(list(items), f"upgrades_{name}" if multidb else "upgrades", name)
            for name, items in diffs.items()
        ],
    )
    if hook is None:
        return script
    directives: list[Any] = [script]
    hook(context, revision, directives)
    return directives[0] if directives else None
