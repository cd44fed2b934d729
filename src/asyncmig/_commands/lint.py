"""``lint``: check migration scripts for statements that are unsafe on a live database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .._config import Config
from .preload import runtime_imported

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._lint.report import LintReport

__all__ = ("lint",)


async def lint(
    config: Config,
    rev_range: str | None = None,
    *,
    all_revisions: bool = False,
    databases: Sequence[str] | None = None,
    engines: Mapping[str, AsyncEngine] | None = None,
) -> LintReport:
    """Lint migration scripts: flag statements that lock, rewrite or break a live database.

    `rev_range` is ``start:end`` (empty start: base, empty end: heads), or one
    revision alone; by default, the revisions each database has not applied
    yet (its version table is read).  ``all_revisions`` lints every revision.
    Scripts run offline, through the real op layer, for each database's dialect.
    """
    await runtime_imported(config, databases)
    from .._lint.linting import lint_databases

    return await lint_databases(
        config, rev_range, all_revisions=all_revisions, databases=databases, engines=engines
    )
