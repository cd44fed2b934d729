"""The order scripts run in, and the version-table rows each step leaves behind.

The order is Alembic's: starting from the wanted heads (oldest file first), walk
down one line as far as possible, and switch to another line only when the
next revision is still needed by it.  The rows follow Alembic's version table:
one row per head, a merge turns several rows into one, a branch point one row
into several, and a dependency's row is absorbed by the revision depending on it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from .. import errors
from .graph import Graph


def newest_first(graph: Graph, wanted: Collection[str], heads: Sequence[str]) -> list[str]:
    """`wanted` in Alembic's order: each revision after everything above it."""
    todo = set(wanted)
    if not todo:
        return []
    tops = sorted({h for h in heads if h in todo}, key=graph.sort_key)
    # Alembic requires every wanted revision to hang below a given head; when a
    # range leaves some out, their own tops join (in file order) instead of failing.
    covered = graph.ancestors(tops) if len(tops) != len(todo) else todo
    tops += sorted(
        (r for r in todo if r not in covered and not any(c in todo for c in graph.all_up(r))),
        key=graph.sort_key,
    )
    hull = graph.ancestors(todo) & graph.descendants(todo)
    if len(hull) != len(todo):
        return _ordered(graph, todo, tops, _SlowBlocks(graph))
    return _ordered(graph, todo, tops, _FastBlocks(graph, todo))


class _FastBlocks:
    """Which current head blocks a candidate, when `todo` is convex (the usual case).

    Convex means everything between two wanted revisions is wanted, so a
    candidate lies below another current head exactly when one of its
    children is still waiting.
    """

    def __init__(self, graph: Graph, todo: set[str]) -> None:
        self.graph = graph
        self.waiting = dict.fromkeys(todo, 0)
        for rid in todo:
            for parent in graph.all_down(rid):
                if parent in self.waiting:
                    self.waiting[parent] += 1

    def emitted(self, rid: str, todo: set[str]) -> None:
        for parent in self.graph.all_down(rid):
            if parent in self.waiting:
                self.waiting[parent] -= 1

    def blocker(self, candidate: str, heads: list[str], todo: set[str]) -> str | None:
        if not self.waiting[candidate]:
            return None
        floor = self.graph.depth[candidate]
        depth = self.graph.depth
        for head in heads:
            if depth[head] > floor and self.graph.is_ancestor(candidate, head, within=todo):
                return head
        raise AssertionError(f"{candidate} waits for a revision no current head includes")


class _SlowBlocks:
    """Which current head blocks a candidate, by reachability (for gappy ranges)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def emitted(self, rid: str, todo: set[str]) -> None:
        pass

    def blocker(self, candidate: str, heads: list[str], todo: set[str]) -> str | None:
        for head in heads:
            if head != candidate and self.graph.is_ancestor(candidate, head):
                return head
        return None


def _ordered(
    graph: Graph, todo: set[str], tops: list[str], blocks: _FastBlocks | _SlowBlocks
) -> list[str]:
    heads = list(tops)
    listed = set(heads)
    out: list[str] = []
    at = 0
    while heads:
        candidate = heads[at]
        blocker = blocks.blocker(candidate, heads, todo)
        if blocker is not None:
            at = heads.index(blocker)
            continue
        out.append(candidate)
        todo.discard(candidate)
        blocks.emitted(candidate, todo)
        listed.discard(candidate)
        below = [p for p in graph.normalized_down(candidate) if p in todo and p not in listed]
        listed.update(below)
        if below:
            heads[at] = below[0]
            heads.extend(below[1:])
        else:
            del heads[at]
            at = max(at - 1, 0)
    return out


class Rows:
    """The version table's rows while a plan runs, changed step by step as Alembic does."""

    def __init__(self, graph: Graph, rows: Sequence[str]) -> None:
        self.graph = graph
        self.rows: dict[str, None] = dict.fromkeys(rows)
        self._applied: set[str] | None = None

    @property
    def applied(self) -> set[str]:
        """Every revision the rows include (kept up to date as steps run)."""
        if self._applied is None:
            self._applied = self.graph.ancestors(self.rows)
        return self._applied

    def _held(self, rid: str, others: Sequence[str], moving: str) -> bool:
        """Whether `rid` lies below one of the `others` rows."""
        if not others:
            return False
        # Only a revision with something applied above it (besides the one
        # moving) can lie below another row; most steps stop here.
        if not any(c != moving and c in self.applied for c in self.graph.all_up(rid)):
            return False
        return any(self.graph.is_ancestor(rid, o, within=self.applied) for o in others)

    def upgrade(self, rid: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Rows deleted and inserted when `rid` is upgraded."""
        downs = self.graph.normalized_down(rid)
        present = [d for d in downs if d in self.rows]
        if not present:
            change = self._apply((), (rid,))  # a base, or a new branch
        elif len(downs) > 1 and len(present) > 1:
            others = [r for r in self.rows if r not in downs]
            merged = tuple(d for d in present if not self._held(d, others, rid))
            change = self._apply(merged, (rid,))
        else:
            change = self._apply((present[0],), (rid,))
        if self._applied is not None:
            self._applied.add(rid)
        return change

    def downgrade(self, rid: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Rows deleted and inserted when `rid` is downgraded."""
        if rid not in self.rows:
            raise errors.DependencyError(
                f"cannot downgrade {rid}: it is not a current head ({', '.join(self.rows)})"
            )
        restored = self._restored(rid)
        if self._applied is not None:
            self._applied.discard(rid)
        return self._apply((rid,), tuple(r for r in restored if r not in self.rows))

    def _restored(self, rid: str) -> list[str]:
        """The revisions below `rid` that become heads (none when others still hold them)."""
        downs = self.graph.normalized_down(rid)
        if not downs:
            return []
        others = [r for r in self.rows if r != rid]
        if others:
            return [d for d in downs if not self._held(d, others, rid)]
        # Alone: a dependency that another restored revision already includes needs no row.
        return [d for d in downs if not any(o != d and self.graph.is_ancestor(d, o) for o in downs)]

    def stamp(self, delete: Sequence[str], insert: Sequence[str]) -> None:
        """Replace `delete` rows (those present) by `insert` rows (those absent)."""
        self._applied = None
        self._apply(tuple(r for r in delete if r in self.rows), tuple(insert))

    def _apply(
        self, delete: tuple[str, ...], insert: tuple[str, ...]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        for rid in delete:
            del self.rows[rid]
        insert = tuple(r for r in insert if r not in self.rows)
        self.rows.update(dict.fromkeys(insert))
        return delete, insert
