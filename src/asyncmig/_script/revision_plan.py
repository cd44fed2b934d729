"""Plans over the graph: upgrade, downgrade, stamp and history ranges, with Alembic's meaning."""

from __future__ import annotations

from collections.abc import Sequence

from .. import errors
from .graph import Graph
from .revision_order import Rows, newest_first
from .revision_targets import Resolver
from .revision_types import Step


class Planner:
    """Computes which scripts run, in which order, and what the version table becomes."""

    def __init__(self, graph: Graph, resolver: Resolver) -> None:
        self.graph = graph
        self.resolver = resolver

    def current(self, current: Sequence[str] | str) -> tuple[str, ...]:
        """Full ids of the current rows (names and prefixes allowed, for offline starts)."""
        rows = (current,) if isinstance(current, str) else tuple(current)
        found: dict[str, None] = {}
        for row in rows:
            if row in self.graph.revs:
                found[row] = None
                continue
            try:
                found.update(dict.fromkeys(r for r in self.resolver.get_many(row) if r))
            except errors.UnknownRevision:
                raise errors.UnknownRevision(
                    row,
                    f"the current revision {row!r} is not in the script directory: restore "
                    "its script, or replace the version rows with `stamp --purge`",
                ) from None
        return tuple(found)

    def resolve(self, target: str, current: Sequence[str]) -> tuple[str, ...]:
        """The revisions `target` names, relative steps counted from `current`."""
        cur = self.current(current)
        if target == "current":
            return cur
        parsed = self.resolver.relative(target)
        if parsed is not None and parsed[2] > 0:
            return self.resolver.upgrade_target(cur, target)
        if parsed is not None:
            found = self.resolver.downgrade_target(cur, target)[1]
            return (found,) if found else ()
        return tuple(r for r in self.resolver.get_many(target) if r)

    def upgrade(self, current: Sequence[str] | str, target: str) -> list[Step]:
        """Steps from `current` up to `target`, oldest first."""
        cur = self.current(current)
        targets = self.resolver.upgrade_target(cur, target)
        start = [current] if isinstance(current, str) else list(current)
        if len(start) == 1 and "@" in start[0]:
            # An offline range 'label@...:end' keeps to that branch, as Alembic does.
            targets = self._on_branch(start[0], targets)
        needed = self.graph.ancestors(targets, checked=True)
        needed -= self.graph.ancestors(cur, checked=True)
        order = newest_first(self.graph, needed, targets)[::-1]
        rows = Rows(self.graph, cur)
        return [Step("upgrade", *rows.upgrade(rid), script=self.graph.revs[rid]) for rid in order]

    def downgrade(self, current: Sequence[str] | str, target: str) -> list[Step]:
        """Steps from `current` down to `target`, newest first."""
        cur = self.current(current)
        label, dest = self.resolver.downgrade_target(cur, target)
        roots = list(self.graph.bases if dest is None else self.graph.children[dest])
        if label and len(roots) > 1:
            branch = self.graph.ancestors([self.resolver.branch(label)], deps=False)
            roots = [r for r in roots if r in branch]
            if not roots:
                raise errors.DependencyError(
                    f"cannot downgrade to {target!r}: branch {label!r} does not grow from "
                    f"{dest or 'base'}; check `asyncmig branches`"
                )
        drop = self.graph.descendants(roots) & self.graph.ancestors(cur)
        if dest is not None and not drop and dest not in cur:
            raise errors.DependencyError(
                f"cannot downgrade to {target!r}: {dest} is not below the current "
                f"revisions ({', '.join(cur) or 'base'}); use upgrade to move up, or "
                "name a revision on the current line"
            )
        order = newest_first(self.graph, drop, cur)
        rows = Rows(self.graph, cur)
        return [
            Step("downgrade", *rows.downgrade(rid), script=self.graph.revs[rid]) for rid in order
        ]

    def stamp(
        self, current: Sequence[str] | str, targets: Sequence[str] | str, purge: bool
    ) -> Step:
        """The stamp step that writes `targets` over `current` (with purge: over every row)."""
        raw = (current,) if isinstance(current, str) else tuple(current)
        wanted = (targets,) if isinstance(targets, str) else tuple(targets)
        wanted = wanted or ("base",)
        start = () if purge else self.current(raw)
        held: dict[str, None] = {}
        for target in wanted:
            if target:
                lineage = self.resolver.filter_lineage(start, target, deps=True)
                held.update(dict.fromkeys(lineage))
        dests = [d or None for t in wanted for d in self.resolver.get_many(t)] or [None]
        rows = Rows(self.graph, start)
        for dest in dests:
            self._stamp_one(rows, list(held), dest)
        final = tuple(rows.rows)
        if purge:
            return Step("stamp", raw, final, purge=True)
        return Step(
            "stamp",
            tuple(r for r in start if r not in rows.rows),
            tuple(r for r in final if r not in start),
        )

    def _stamp_one(self, rows: Rows, held: list[str], dest: str | None) -> None:
        if dest is None:
            rows.stamp(held, ())
            return
        if dest in held:
            return
        below = [h for h in held if h in self.graph.ancestors([dest])]
        if any(h in self.graph.descendants([dest]) for h in held):
            if below:
                raise errors.DependencyError(
                    f"cannot stamp {dest}: current revisions lie both above and below it "
                    f"({', '.join(held)}); stamp with purge to replace them all"
                )
            rows.stamp(held, (dest,))
        elif below and all(h in rows.rows for h in held):
            rows.stamp(held, (dest,))
        else:
            rows.stamp((), (dest,))  # a branch not represented yet

    def history(self, rev_range: str | None, current: Sequence[str]) -> list[str]:
        """Ids in `start:end` (either side optional, 'current' allowed), newest first."""
        lower: str | tuple[str, ...] = "base"
        upper: str | tuple[str, ...] = "heads"
        if rev_range is not None:
            parts = rev_range.strip().split(":")
            if len(parts) != 2:
                raise errors.RevisionError(
                    f"history range {rev_range!r} must be '[start]:[end]', e.g. 'base:head', "
                    "'ae10:', ':ae10' or 'current:'"
                )
            start, end = parts
            cur = self.current(current) if "current" in parts else ()
            if end == "current":
                lower, upper = start or "base", cur or "heads"
            elif start == "current":
                lower, upper = cur or "base", end or "heads"
            else:
                lower, upper = start or "base", end or "heads"
        return self._range(lower, upper)

    def _range(self, lower: str | tuple[str, ...], upper: str | tuple[str, ...]) -> list[str]:
        lows = self._names(lower)
        if isinstance(upper, str):
            targets = self.resolver.upgrade_target(lows, upper, strict=False)
        else:
            targets = self._names(upper)
        if isinstance(lower, str) and self.resolver.get_many(lower)[:1] == (None,):
            # '-N' went past a base from some head: count it from the range's end instead.
            found = self.resolver.downgrade_target(targets, lower, strict=False)[1]
            lows = (found,) if found else ()
        if isinstance(lower, str) and "@" in lower:
            targets = self._on_branch(lower, targets)
        needed = self.graph.ancestors(targets, checked=True)
        outside = [r for r in lows if r not in needed]
        if outside:
            shown = upper if isinstance(upper, str) else ", ".join(upper)
            raise errors.DependencyError(
                f"revision {', '.join(outside)} is not below {shown}: a range runs from an "
                "older revision to a newer one on the same line"
            )
        needed -= self.graph.ancestors(lows, checked=True)
        needed.update(lows)
        if lows:
            needed &= self.graph.descendants(lows, deps=False, checked=True)
        return newest_first(self.graph, needed, targets)

    def _names(self, names: str | tuple[str, ...]) -> tuple[str, ...]:
        items = (names,) if isinstance(names, str) else names
        return tuple(dict.fromkeys(r for n in items for r in self.resolver.get_many(n) if r))

    def _on_branch(self, start: str, targets: Sequence[str]) -> tuple[str, ...]:
        """Keep the targets on the branch a ``label@...`` start names."""
        branch = start.partition("@")[0]
        labels = self.graph.branch_labels
        found = self.resolver.get(branch)
        names = {branch}
        if found is not None and found == branch:
            names = set(labels[found])  # a revision id used as the branch's name
        return tuple(t for t in targets if names & labels[t])
