"""The :class:`~asyncmig.RevisionInfo` of one revision, as every script command reports it.

Its own module so that the script commands and autogenerate (which writes a
revision too) both build it without importing each other.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._reports import RevisionInfo
from .._script.revision import Revision, RevisionMap

__all__ = ("revision_info",)


def revision_info(
    graph: RevisionMap, rev: Revision, current: Sequence[str] | None = None, doc: str = ""
) -> RevisionInfo:
    """What `rev` is in `graph`; ``is_current`` only when `current` was read (else None)."""
    return RevisionInfo(
        revision=rev.revision,
        down_revisions=rev.down_revision,
        branch_labels=tuple(sorted(graph.branch_labels(rev.revision))),
        depends_on=rev.depends_on,
        children=graph.children(rev.revision),
        path=rev.path,
        message=rev.message,
        doc=doc,
        create_date=rev.create_date,
        is_head=graph.is_head(rev.revision),
        is_base=graph.is_base(rev.revision),
        is_branch_point=graph.is_branch_point(rev.revision),
        is_merge_point=graph.is_merge_point(rev.revision),
        is_current=None if current is None else rev.revision in current,
    )
