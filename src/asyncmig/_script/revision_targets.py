"""Revision targets: ids, prefixes, labels, ``head(s)``, ``base`` and relative steps.

The grammar and its meaning follow Alembic: ``label@head`` is the one head
sharing the label's lineage, ``label@rev`` is ``rev`` checked to be on the
branch, ``-N`` steps down from the current revision and ``+N`` up from it,
``rev+N``/``rev-N`` step from a named revision and ``label@+N`` picks the
way up by branch.  Walks return :data:`BASE` when they step below a base.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .. import errors
from .graph import Graph

BASE = ""  # what a walk returns for "below every base"; no revision id is empty
_RELATIVE = re.compile(r"(?:(.+?)@)?(\w+)?([+-]\d+)")


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


class Resolver:
    """Turns target strings into revision ids over one graph."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    # -- single identifiers ---------------------------------------------------

    def number(self, ident: str) -> tuple[tuple[str, ...], str | None]:
        """Split ``label@ident`` and expand ``heads``/``head``/``base`` (ids not yet checked)."""
        label: str | None = None
        if "@" in ident:
            label, ident = ident.split("@", 1)
        if ident == "heads":
            if label:
                return self.filter_lineage(self.graph.heads, label), label
            return self.graph.real_heads, label
        if ident == "head":
            head = self.current_head(label)
            return ((head,) if head else ()), label
        if ident == "base":
            return (), label
        return (ident,), label

    def current_head(self, label: str | None = None) -> str | None:
        """The single head (of the label's lineage); MultipleHeads when there are several."""
        heads: Sequence[str] = self.graph.heads
        if label:
            heads = self.filter_lineage(heads, label)
        if len(heads) > 1:
            raise errors.MultipleHeads(heads, f"{label}@head" if label else "head")
        return heads[0] if heads else None

    def ident(self, ident: str, branch: str | None = None) -> str:
        """A full id, label or unique prefix, optionally checked to be on `branch`."""
        if not ident.strip():  # a prefix of every id, and never what was meant
            raise errors.UnknownRevision(
                ident,
                "the revision target is empty; give a revision id, head, base or a branch label",
            )
        branch_rev = self.branch(branch) if branch else None
        found = self.graph.exact(ident)
        if found is None:
            matches = self.graph.prefix_matches(ident)
            if branch_rev is not None:
                lineage = self.graph.lineage([branch_rev])
                matches = [m for m in matches if (self.graph.exact(m) or "") in lineage]
            if not matches:
                hint = " (partial ids match only ids of 4+ characters)" if len(ident) < 4 else ""
                raise errors.UnknownRevision(
                    ident,
                    f"no revision or branch label {ident!r}{hint} in the script directory; "
                    "run `asyncmig history` to see what there is",
                )
            if len(matches) > 1:
                raise errors.AmbiguousRevision(ident, matches)
            found = self.graph.exact(matches[0])
            assert found is not None
        if branch_rev is not None and found not in self.graph.lineage([branch_rev]):
            raise errors.UnknownRevision(
                ident,
                f"revision {found} is not on branch {branch!r}: pick a revision of that "
                f"branch, or drop '{branch}@'",
            )
        return found

    def branch(self, label: str) -> str:
        """The revision a branch label (or a revision id used as one) stands for."""
        try:
            return self.ident(label)
        except errors.UnknownRevision:
            raise errors.UnknownRevision(
                label,
                f"no branch label or revision {label!r} in the script directory; "
                "run `asyncmig branches` or `asyncmig history` to see what there is",
            ) from None

    def filter_lineage(
        self, targets: Sequence[str], against: str, *, deps: bool = False
    ) -> tuple[str, ...]:
        """The `targets` that lie above or below what `against` names."""
        ids, label = self.number(against)
        shares = ([label] if label else []) + list(ids)
        if not shares:
            return tuple(targets)
        lineage = self.graph.lineage([self.ident(s) for s in shares], deps=deps)
        return tuple(t for t in targets if t in lineage)

    def get(self, ident: str) -> str | None:
        """One revision for `ident` (None for ``base``); MultipleHeads when it names several."""
        ids, label = self.number(ident)
        if len(ids) > 1:
            raise errors.MultipleHeads(ids, ident)
        return self.ident(ids[0], label) if ids else None

    def get_many(self, ident: str) -> tuple[str | None, ...]:
        """Every revision `ident` names; ``-N`` and ``label@-N`` step down from the heads.

        Entries are None for a step past the bottom and BASE for a step to base.
        """
        ids, label = self.number(ident)
        if len(ids) == 1 and re.fullmatch(r"-\d+", ids[0]):
            heads = self.graph.real_heads
            if label is not None:
                labels = self.graph.branch_labels
                heads = tuple(h for h in heads if label in labels[h])
            return tuple(self.walk(h, int(ids[0]), target=ident) for h in heads)
        return tuple(self.ident(rid, label) for rid in ids)

    # -- relative steps -------------------------------------------------------

    def walk(
        self,
        start: str | None,
        steps: int,
        *,
        label: str | None = None,
        overwalk_is_none: bool = True,
        target: str,
    ) -> str | None:
        """Step up (steps > 0) or down from `start` (None: below every base)."""
        here: str | None = start
        for _ in range(abs(steps)):
            if steps > 0:
                ups = list(self.graph.bases if here is None else self.graph.children[here])
                if label:
                    ups = list(self.filter_lineage(ups, label))
                options = ups
            elif here == BASE:
                options = []
            else:
                downs = self.graph.heads if here is None else self.graph.parents[here]
                options = list(downs) or [BASE]
            if not options:
                return None if overwalk_is_none else here
            if len(options) > 1:
                where = "below every base" if here is None else f"at {here}"
                kind = "branches into" if steps > 0 else "merges"
                raise errors.DependencyError(
                    f"relative target {target!r} is ambiguous: the history {kind} "
                    f"{', '.join(sorted(options))} {where}; name a revision, or a branch "
                    "with '<label>@+N'"
                )
            here = options[0]
        return here

    def relative(self, target: str) -> tuple[str | None, str | None, int] | None:
        """``(label, symbol, n)`` for a relative target, else None."""
        match = _RELATIVE.fullmatch(target)
        if not match:
            return None
        label, symbol, number = match.groups()
        return label, symbol, int(number)

    def _too_far(self, target: str, n: int) -> errors.DependencyError:
        return errors.DependencyError(
            f"relative target {target!r} goes {abs(n)} step{_plural(abs(n))} past the end "
            "of the history: use a smaller step"
        )

    def upgrade_target(
        self, current: Sequence[str], target: str, *, strict: bool = True
    ) -> tuple[str, ...]:
        """The revisions an upgrade to `target` must reach, from `current`."""
        parsed = self.relative(target)
        if parsed is None:
            return tuple(r for r in self.get_many(target) if r)
        label, symbol, n = parsed
        if n <= 0:
            if symbol is None:
                raise errors.DependencyError(
                    f"cannot upgrade to {target!r}: a relative upgrade needs '+N' "
                    "(use downgrade for '-N')"
                )
            start = self.get(f"{label}@{symbol}" if label else symbol)
            found = self.walk(start, n, overwalk_is_none=strict, target=target)
        elif symbol is not None:
            found = self.walk(
                self.get(symbol), n, label=label, overwalk_is_none=strict, target=target
            )
        else:
            found = self.walk(
                self._upgrade_start(current, label, target),
                n,
                label=label,
                overwalk_is_none=strict,
                target=target,
            )
        if found is None:
            raise self._too_far(target, n)
        return (found,) if found else ()

    def _upgrade_start(self, current: Sequence[str], label: str | None, target: str) -> str | None:
        starts: Sequence[str | None] = list(current) or [None]
        if label and current:
            starts = self.filter_lineage(current, label)
            if not starts:
                # The branch is not current yet: step from where it leaves the current line.
                active = self.filter_lineage(sorted(self.graph.ancestors(current)), label)
                below = {p for rid in active for p in self.graph.normalized_down(rid)}
                tips = sorted(set(active) - below, key=self.graph.sort_key)
                starts = tips or [None]
        if len(starts) > 1:
            raise errors.DependencyError(
                f"relative target {target!r} is ambiguous: there are several current "
                f"revisions ({', '.join(r or 'base' for r in starts)}); use "
                "'<label>@+N' or '<rev>+N'"
            )
        return starts[0]

    def downgrade_target(
        self, current: Sequence[str], target: str, *, strict: bool = True
    ) -> tuple[str | None, str | None]:
        """``(label, revision)`` a downgrade goes to; revision None means base."""
        parsed = self.relative(target)
        if parsed is None:
            prefix, _, name = target.rpartition("@")
            return prefix or None, self.get(name)
        label, symbol, n = parsed
        if n >= 0:
            if symbol is None:
                raise errors.DependencyError(
                    f"cannot downgrade to {target!r}: a relative downgrade needs '-N' "
                    "(use upgrade for '+N')"
                )
            found = self.walk(
                self.get(symbol), n, label=label, overwalk_is_none=strict, target=target
            )
            if found is None:
                raise self._too_far(target, n)
            return label, found or None
        from_current = symbol is None
        if symbol is None:
            symbol, label = self._downgrade_start(current, label, target, n)
        start = self.get(f"{label}@{symbol}" if label else symbol)
        found = self.walk(start, n, overwalk_is_none=strict, target=target)
        if found is None:
            if from_current:
                raise errors.DependencyError(
                    f"cannot downgrade {target!r}: the current revision has fewer than "
                    f"{abs(n)} revision{_plural(abs(n))} below it"
                )
            raise self._too_far(target, n)
        return label, found or None

    def _downgrade_start(
        self, current: Sequence[str], label: str | None, target: str, n: int
    ) -> tuple[str, str | None]:
        if label:
            starts = self.filter_lineage(current, label)
            if not starts:
                tops = self._branch_tops(current)
                starts = self.filter_lineage(tops, label)
            if len(starts) != 1:
                what = ", ".join(starts) if starts else "none"
                raise errors.DependencyError(
                    f"cannot downgrade {target!r}: branch {label!r} has "
                    f"{len(starts)} current revisions ({what}); name a revision instead"
                )
            return starts[0], label
        if not current:
            raise errors.DependencyError(
                f"cannot downgrade {target!r}: the database is at base (no current revision)"
            )
        if len(set(current)) > 1:
            raise errors.DependencyError(
                f"relative target {target!r} is ambiguous with several current revisions "
                f"({', '.join(current)}); use '<label>@{n}' or '<rev>{n}'"
            )
        return current[0], current[0]

    def _branch_tops(self, current: Sequence[str]) -> list[str]:
        """The current revisions and their ancestors that have nothing current above them."""
        every = self.graph.ancestors(current)
        return sorted(
            (r for r in every if not any(u in every for u in self.graph.children[r])),
            key=self.graph.sort_key,
        )
