"""The revision graph: parse targets, find heads and bases, plan upgrades and downgrades.

Pure, synchronous, no I/O, never imports sqlalchemy.  The meaning of every
target, plan and version-table row is Alembic's; the pieces live in
``graph`` (links and walks), ``revision_targets`` (target strings),
``revision_order`` (script order and version rows) and ``revision_plan``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from .graph import Graph
from .revision_order import newest_first
from .revision_plan import Planner
from .revision_targets import Resolver
from .revision_types import Revision, Step

__all__ = ("Revision", "RevisionMap", "Step")


class RevisionMap:
    """An immutable, validated revision graph.

    Construction fails with :class:`~asyncmig.errors.DuplicateRevision`,
    :class:`~asyncmig.errors.DependencyError` (a missing parent or dependency,
    a label used twice or equal to an id) or
    :class:`~asyncmig.errors.CycleDetected`, each naming the files at fault.
    """

    def __init__(self, revisions: Iterable[Revision]) -> None:
        self._graph = Graph(revisions)
        self._resolver = Resolver(self._graph)
        self._planner = Planner(self._graph, self._resolver)

    @property
    def heads(self) -> tuple[str, ...]:
        """Revisions nothing revises, in a stable order."""
        return self._graph.heads

    @property
    def bases(self) -> tuple[str, ...]:
        """Revisions with no down_revision, in a stable order."""
        return self._graph.bases

    def __len__(self) -> int:
        """How many revisions the graph holds."""
        return len(self._graph.revs)

    def __contains__(self, revision: object) -> bool:
        """Whether a full revision id is in the graph."""
        return revision in self._graph.revs

    def __iter__(self) -> Iterator[Revision]:
        """Every revision, newest first (heads first), as `history` lists them."""
        graph = self._graph
        for rid in newest_first(graph, graph.revs, graph.real_heads):
            yield graph.revs[rid]

    def get(self, ident: str) -> Revision:
        """A revision by full id, unique prefix or branch label."""
        return self._graph.revs[self._resolver.ident(ident)]

    def children(self, revision: str) -> tuple[str, ...]:
        """Ids of the revisions whose down_revision includes this one."""
        return tuple(self._graph.children[self._resolver.ident(revision)])

    def dependents(self, revision: str) -> tuple[str, ...]:
        """Ids of the revisions whose depends_on names this one."""
        return tuple(self._graph.dependents[self._resolver.ident(revision)])

    def branch_labels(self, revision: str) -> frozenset[str]:
        """Every label that names this revision's branch (its own and inherited)."""
        return self._graph.branch_labels[self._resolver.ident(revision)]

    def is_head(self, revision: str) -> bool:
        """Whether no revision names this one as its down_revision."""
        return not self._graph.children[self._resolver.ident(revision)]

    def is_base(self, revision: str) -> bool:
        """Whether this revision has no down_revision."""
        return not self._graph.parents[self._resolver.ident(revision)]

    def is_branch_point(self, revision: str) -> bool:
        """Whether two or more revisions name this one as their down_revision."""
        return len(self._graph.children[self._resolver.ident(revision)]) > 1

    def is_merge_point(self, revision: str) -> bool:
        """Whether this revision has two or more down_revisions."""
        return len(self._graph.parents[self._resolver.ident(revision)]) > 1

    def resolve(self, target: str, current: Sequence[str] = ()) -> tuple[str, ...]:
        """The set of heads a target names, given the current version rows."""
        return self._planner.resolve(target, current)

    def upgrade_plan(self, current: Sequence[str], target: str) -> list[Step]:
        """Steps, in order, that take `current` up to `target`."""
        return self._planner.upgrade(current, target)

    def downgrade_plan(self, current: Sequence[str], target: str) -> list[Step]:
        """Steps, in order, that take `current` down to `target`."""
        return self._planner.downgrade(current, target)

    def stamp(self, current: Sequence[str], targets: Sequence[str], *, purge: bool = False) -> Step:
        """The stamp step (a version-table change, no script) for `targets` over `current`."""
        return self._planner.stamp(current, targets, purge)

    def history(self, rev_range: str | None = None, current: Sequence[str] = ()) -> list[Revision]:
        """Revisions in a `start:end` range (either side optional), newest first."""
        return [self._graph.revs[r] for r in self._planner.history(rev_range, current)]

    def heads_with_dependencies(self) -> tuple[str, ...]:
        """Heads once dependencies are resolved (`heads --resolve-dependencies`)."""
        return self._graph.real_heads
