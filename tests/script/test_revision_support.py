"""Shared histories and the version-table simulator for the revision-graph tests.

The histories are small but cover the shapes Alembic users meet: a line, a
diamond, merges of merges, labelled branches off one branch point, two
independent bases, and dependencies across bases.  The expected plans in the
other ``test_revision_*`` modules were checked against Alembic's own output
for the same histories.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from asyncmig._script.revision import Revision, RevisionMap, Step


def rev(
    rid: str,
    *down: str,
    labels: Sequence[str] = (),
    deps: Sequence[str] = (),
) -> Revision:
    """A revision whose file is ``versions/<id>.py``."""
    return Revision(
        rid,
        tuple(down),
        tuple(labels),
        tuple(deps),
        path=f"versions/{rid}.py",
        message=f"message of {rid}",
    )


def linear() -> RevisionMap:
    """aaa1 -> bbb2 -> ccc3 -> ddd4 -> eee5."""
    ids = ["aaa1", "bbb2", "ccc3", "ddd4", "eee5"]
    return RevisionMap(rev(r, *ids[i - 1 : i]) for i, r in enumerate(ids))


def diamond() -> RevisionMap:
    """a001 branches into b002 and c003, merged by d004, then e005."""
    return RevisionMap(
        [
            rev("a001"),
            rev("b002", "a001"),
            rev("c003", "a001"),
            rev("d004", "b002", "c003"),
            rev("e005", "d004"),
        ]
    )


def merge_of_merges() -> RevisionMap:
    """b000 branches three ways; mg01 merges br01+br02, mg02 merges mg01+br03."""
    return RevisionMap(
        [
            rev("b000"),
            rev("br01", "b000"),
            rev("br02", "b000"),
            rev("br03", "b000"),
            rev("mg01", "br01", "br02"),
            rev("mg02", "mg01", "br03"),
        ]
    )


def labelled_branches() -> RevisionMap:
    """root -> bpnt, which branches into xbr (x001 -> x002) and ybr (y001 -> y002)."""
    return RevisionMap(
        [
            rev("root"),
            rev("bpnt", "root"),
            rev("x001", "bpnt", labels=["xbr"]),
            rev("x002", "x001"),
            rev("y001", "bpnt", labels=["ybr"]),
            rev("y002", "y001"),
        ]
    )


def two_bases() -> RevisionMap:
    """Two independent lines: web (w001 -> w002) and api (a001 -> a002 -> a003)."""
    return RevisionMap(
        [
            rev("w001", labels=["web"]),
            rev("w002", "w001"),
            rev("a001", labels=["api"]),
            rev("a002", "a001"),
            rev("a003", "a002"),
        ]
    )


def dependencies() -> RevisionMap:
    """core (a100 -> a200); plug (c100 -> c200) depends on a200; d100 depends on label core."""
    return RevisionMap(
        [
            rev("a100", labels=["core"]),
            rev("a200", "a100"),
            rev("c100", labels=["plug"], deps=["a200"]),
            rev("c200", "c100"),
            rev("d100", deps=["core"]),
        ]
    )


def trace(current: Sequence[str], steps: Sequence[Step]) -> list[tuple[str, list[str]]]:
    """Apply each step's delete/insert to `current`; return (revision, rows after) per step.

    Fails when a step deletes a row that is not there or inserts one that is,
    as a real version table would.
    """
    rows = list(current)
    out = []
    for step in steps:
        for gone in step.delete:
            assert gone in rows, f"{step.revision} deletes missing row {gone}"
            rows.remove(gone)
        for new in step.insert:
            assert new not in rows, f"{step.revision} inserts existing row {new}"
            rows.append(new)
        out.append((step.revision, sorted(rows)))
    return out


def final_rows(current: Sequence[str], steps: Sequence[Step]) -> list[str]:
    """The rows left once every step has run."""
    done = trace(current, steps)
    return done[-1][1] if done else sorted(current)


def test_trace_rejects_a_step_deleting_an_absent_row() -> None:
    """The simulator itself fails on a step that would delete a row the table lacks."""
    graph = linear()
    steps = graph.upgrade_plan(["bbb2"], "ccc3")
    with pytest.raises(AssertionError, match="deletes missing row bbb2"):
        trace(["aaa1"], steps)


def test_every_history_round_trips_through_heads_and_base() -> None:
    """Upgrading base->heads and back down leaves exactly the heads, then no rows."""
    for build in (linear, diamond, merge_of_merges, labelled_branches, two_bases, dependencies):
        graph = build()
        up = graph.upgrade_plan([], "heads")
        rows = final_rows([], up)
        assert rows == sorted(graph.heads_with_dependencies()), build.__name__
        assert final_rows(rows, graph.downgrade_plan(rows, "base")) == [], build.__name__


def test_every_single_revision_target_upgrades_to_alembic_rows() -> None:
    """Upgrading from nothing to any one revision stores exactly that revision's row."""
    for build in (linear, diamond, merge_of_merges, labelled_branches, two_bases):
        graph = build()
        for revision in graph:
            steps = graph.upgrade_plan([], revision.revision)
            assert final_rows([], steps) == [revision.revision], revision.revision
