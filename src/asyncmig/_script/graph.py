"""The validated revision graph: links, heads, bases, labels and traversals.

Two kinds of link join revisions, as in Alembic: ``down_revision`` (the
*versioned* links, which decide heads and the version table) and
``depends_on`` (dependencies, which only order the scripts).  Every walk here
is iterative and linear in what it visits, so histories of any depth work.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable
from functools import cached_property

from .. import errors
from .revision_types import Revision

_ILLEGAL_ID_CHARS = frozenset("@-+:")
_BAD_ID = re.compile(r"[@+:-]|^$")
_RESERVED = frozenset({"head", "heads", "base", "current"})
_MIN_PARTIAL_KEY = 4  # Alembic matches prefixes only against keys this long or longer


def _where(rev: Revision) -> str:
    return f"{rev.revision!r} ({rev.path})" if rev.path else repr(rev.revision)


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


class Graph:
    """Revisions and their links, checked for duplicates, dangling links and cycles."""

    def __init__(self, revisions: Iterable[Revision]) -> None:
        revs: dict[str, Revision] = {}
        for rev in revisions:
            rid = rev.revision
            if rid in revs:
                raise errors.DuplicateRevision(rid, [revs[rid].path or "?", rev.path or "?"])
            if _BAD_ID.search(rid) or rid in _RESERVED:
                self._bad_id(rev)
            revs[rid] = rev
        self.revs = revs
        self.index = {rid: i for i, rid in enumerate(revs)}
        self.labels = self._collect_labels()
        self.parents: dict[str, tuple[str, ...]] = {}
        self.children: dict[str, list[str]] = {rid: [] for rid in revs}
        self.deps: dict[str, tuple[str, ...]] = {}
        self.dependents: dict[str, list[str]] = {rid: [] for rid in revs}
        self._link()
        self.topo, self.depth = self._sort()
        children, dependents = self.children, self.dependents
        self.heads = tuple(rid for rid in revs if not children[rid])
        self.real_heads = tuple(rid for rid in self.heads if not dependents[rid])
        self.bases = tuple(rid for rid in revs if not self.parents[rid])

    @cached_property
    def keys(self) -> list[str]:
        """Ids and labels, sorted, for prefix lookups."""
        return sorted((*self.revs, *self.labels))

    # -- construction ---------------------------------------------------------

    @staticmethod
    def _bad_id(rev: Revision) -> None:
        bad = sorted(_ILLEGAL_ID_CHARS.intersection(rev.revision))
        what = f"contains {' '.join(bad)}" if bad else "is empty or reserved"
        raise errors.RevisionError(
            f"revision id {_where(rev)} {what}: give the script an id of letters, "
            "digits and underscores"
        )

    def _collect_labels(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        for rev in self.revs.values():
            for label in rev.branch_labels:
                if label in self.revs:
                    raise errors.DependencyError(
                        f"branch label {label!r} of revision {_where(rev)} is also a "
                        f"revision id ({self.revs[label].path or label}): rename the label"
                    )
                if label in labels:
                    other = self.revs[labels[label]]
                    raise errors.DependencyError(
                        f"branch label {label!r} is declared by revision {_where(other)} "
                        f"and by revision {_where(rev)}: a label names one branch; "
                        "rename one of them"
                    )
                labels[label] = rev.revision
        return labels

    def _link(self) -> None:
        revs, children, parents_of = self.revs, self.children, self.parents
        for rid, rev in revs.items():
            parents = rev.down_revision
            if len(parents) > 1:
                parents = _dedupe(parents)
            for parent in parents:
                if parent not in revs or parent == rid:
                    self._bad_parent(rev, parent)
                children[parent].append(rid)
            parents_of[rid] = parents
            deps: tuple[str, ...] = ()
            if rev.depends_on:
                deps = _dedupe(self._dependency(rev, name) for name in rev.depends_on)
                for dep in deps:
                    if dep == rid:
                        raise errors.CycleDetected([rid], [rev.path] if rev.path else [])
                    self.dependents[dep].append(rid)
            self.deps[rid] = deps

    def _bad_parent(self, rev: Revision, parent: str) -> None:
        if parent == rev.revision:
            raise errors.CycleDetected([parent], [rev.path] if rev.path else [])
        raise errors.DependencyError(
            f"revision {_where(rev)} has down_revision {parent!r}, which no "
            "script declares: restore that script or fix down_revision"
        )

    def _dependency(self, rev: Revision, name: str) -> str:
        found = name if name in self.revs else self.labels.get(name)
        if found:
            return found
        matches = self.prefix_matches(name)
        ids = {self.labels.get(key, key) for key in matches}
        if len(ids) == 1:
            return ids.pop()
        if ids:
            raise errors.DependencyError(
                f"revision {_where(rev)} depends_on {name!r}, which matches several "
                f"revisions ({', '.join(sorted(ids))}): give the full id"
            )
        raise errors.DependencyError(
            f"revision {_where(rev)} depends_on {name!r}, which is no revision id or "
            "branch label in the script directory: fix depends_on"
        )

    def _sort(self) -> tuple[list[str], dict[str, int]]:
        """Kahn's order over both kinds of link, and each revision's longest path depth."""
        all_up: Callable[[str], list[str]] = self.all_up
        if any(self.deps.values()):
            waiting = {rid: len(self.all_down(rid)) for rid in self.revs}
        else:  # the common case: plain dict lookups are markedly faster
            all_up = self.children.__getitem__
            waiting = {rid: len(parents) for rid, parents in self.parents.items()}
        ready = [rid for rid, count in waiting.items() if not count]
        depth = dict.fromkeys(ready, 0)
        order: list[str] = []
        while ready:
            rid = ready.pop()
            order.append(rid)
            level = depth[rid] + 1
            for child in all_up(rid):
                if depth.get(child, -1) < level:
                    depth[child] = level
                left = waiting[child] - 1
                waiting[child] = left
                if not left:
                    ready.append(child)
        if len(order) != len(self.revs):
            self._raise_cycle({rid for rid, count in waiting.items() if count})
        return order, depth

    def _raise_cycle(self, stuck: set[str]) -> None:
        # Every stuck revision has a stuck parent, so walking parents must loop.
        rid = min(stuck, key=self.index.__getitem__)
        seen: dict[str, int] = {}
        path: list[str] = []
        while rid not in seen:
            seen[rid] = len(path)
            path.append(rid)
            rid = next(p for p in self.all_down(rid) if p in stuck)
        cycle = path[seen[rid] :][::-1]
        first = cycle.index(min(cycle, key=self.index.__getitem__))
        cycle = cycle[first:] + cycle[:first]  # start at the oldest file, for stable messages
        paths = [p for p in (self.revs[r].path for r in cycle) if p]
        raise errors.CycleDetected(cycle, paths)

    # -- links ----------------------------------------------------------------

    def all_down(self, rid: str) -> tuple[str, ...]:
        """Parents and dependencies."""
        deps = self.deps[rid]
        return _dedupe((*self.parents[rid], *deps)) if deps else self.parents[rid]

    def all_up(self, rid: str) -> list[str]:
        """Children and dependents."""
        dependents = self.dependents[rid]
        return [*self.children[rid], *dependents] if dependents else self.children[rid]

    def normalized_down(self, rid: str) -> tuple[str, ...]:
        """Parents plus the dependencies no versioned ancestor already depends on."""
        deps = self.deps[rid]
        if not deps:
            return self.parents[rid]
        kept = [dep for dep in deps if not self._inherited_dependency(rid, dep)]
        return _dedupe((*self.parents[rid], *kept))

    def _inherited_dependency(self, rid: str, dep: str) -> bool:
        holders = [h for h in self.dependents[dep] if h != rid]
        return any(self.is_ancestor(h, rid, versioned=True) for h in holders)

    # -- traversals -----------------------------------------------------------

    def walk(
        self, starts: Iterable[str], step: Callable[[str], Iterable[str]], *, checked: bool = False
    ) -> set[str]:
        """Everything reachable from `starts` (inclusive) through `step`.

        `checked`: fail when one start is reachable from another (Alembic's "overlaps").
        """
        starts = list(starts)
        wanted = set(starts) if checked else set()
        seen: set[str] = set()
        for start in starts:
            todo = [start]
            while todo:
                rid = todo.pop()
                if rid != start and rid in wanted:
                    raise errors.DependencyError(
                        f"revisions {start} and {rid} overlap: one lies on the other's "
                        f"line; name only the later one"
                    )
                if rid not in seen:
                    seen.add(rid)
                    todo.extend(step(rid))
        return seen

    def ancestors(
        self, starts: Iterable[str], *, deps: bool = True, checked: bool = False
    ) -> set[str]:
        """`starts` and everything below them (`checked`: none may lie below another)."""
        return self.walk(
            starts, self.all_down if deps else self.parents.__getitem__, checked=checked
        )

    def descendants(
        self, starts: Iterable[str], *, deps: bool = True, checked: bool = False
    ) -> set[str]:
        """`starts` and everything above them (`checked`: none may lie above another)."""
        return self.walk(
            starts, self.all_up if deps else self.children.__getitem__, checked=checked
        )

    def is_ancestor(
        self,
        low: str,
        high: str,
        *,
        versioned: bool = False,
        within: Collection[str] | None = None,
    ) -> bool:
        """Whether `low` is `high` or lies below it (through `within` revisions only, if given)."""
        if low == high:
            return True
        floor = self.depth[low]
        if self.depth[high] <= floor:
            return False
        step = self.parents.__getitem__ if versioned else self.all_down
        seen: set[str] = set()
        todo = [high]
        while todo:
            rid = todo.pop()
            for parent in step(rid):
                if parent == low:
                    return True
                # A revision no deeper than `low` cannot have `low` below it.
                if (
                    parent not in seen
                    and self.depth[parent] > floor
                    and (within is None or parent in within)
                ):
                    seen.add(parent)
                    todo.append(parent)
        return False

    def lineage(self, revisions: Collection[str], *, deps: bool = False) -> set[str]:
        """Every revision above or below any of `revisions` (they share its lineage)."""
        return self.ancestors(revisions, deps=deps) | self.descendants(revisions, deps=deps)

    def sort_key(self, rid: str) -> int:
        """The position of a revision in the input, for stable orders."""
        return self.index[rid]

    # -- lookups --------------------------------------------------------------

    def prefix_matches(self, prefix: str) -> list[str]:
        """Ids and labels of 4+ characters that start with `prefix`, as Alembic matches."""
        found: list[str] = []
        at = bisect_left(self.keys, prefix)
        while at < len(self.keys) and self.keys[at].startswith(prefix):
            if len(self.keys[at]) >= _MIN_PARTIAL_KEY:
                found.append(self.keys[at])
            at += 1
        return found

    def exact(self, key: str) -> str | None:
        """The revision a full id or a branch label names, if any."""
        if key in self.revs:
            return key
        return self.labels.get(key)

    # -- branch labels --------------------------------------------------------

    @cached_property
    def branch_labels(self) -> dict[str, frozenset[str]]:
        """Every label naming each revision's branch, propagated as Alembic does."""
        empty: frozenset[str] = frozenset()
        if not self.labels:
            return dict.fromkeys(self.revs, empty)
        found: dict[str, frozenset[str]] = {}
        for rid in self.topo:  # parents before children
            own = self.revs[rid].branch_labels
            inherited = [found[p] for p in self.parents[rid] if found[p]]
            if not own and len(inherited) <= 1:
                found[rid] = inherited[0] if inherited else empty
            else:
                found[rid] = frozenset(own).union(*inherited)
        tips_done: set[str] = set()
        for labelled in dict.fromkeys(self.labels.values()):
            tip = self._chain_tip(labelled)
            if tip is not None and tip not in tips_done:
                tips_done.add(tip)
                self._label_chain_down(tip, found)
        return found

    def _is_stop(self, rid: str) -> bool:
        return len(self.all_up(rid)) > 1 or len(self.parents[rid]) > 1

    def _chain_tip(self, rid: str) -> str | None:
        """The head above `rid` when nothing branches or merges on the way, else None."""
        while True:
            if self._is_stop(rid):
                return None
            children = self.children[rid]
            if not children:
                return rid
            rid = children[0]

    def _label_chain_down(self, tip: str, found: dict[str, frozenset[str]]) -> None:
        # A label on an unbranched line names the line down to the branch point
        # (or merge) it grew from, not just the revisions above the label.
        labels = found[tip]
        rid: str | None = tip
        while rid is not None and not self._is_stop(rid):
            found[rid] = found[rid] | labels
            parents = self.parents[rid]
            rid = parents[0] if parents else None
