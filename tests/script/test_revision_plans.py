"""Upgrade and downgrade plans: order, and version-table rows after each step.

Every expected trace below is what Alembic runs and stores for the same history.
"""

from __future__ import annotations

import pytest

from asyncmig import errors
from asyncmig._script.revision import RevisionMap

from .test_revision_support import (
    dependencies,
    diamond,
    final_rows,
    labelled_branches,
    linear,
    merge_of_merges,
    rev,
    trace,
    two_bases,
)


def up(graph: RevisionMap, current: list[str], target: str) -> list[tuple[str, list[str]]]:
    return trace(current, graph.upgrade_plan(current, target))


def down(graph: RevisionMap, current: list[str], target: str) -> list[tuple[str, list[str]]]:
    return trace(current, graph.downgrade_plan(current, target))


def test_linear_upgrade_updates_one_row() -> None:
    """On a line each step replaces the single row with the next revision."""
    steps = linear().upgrade_plan(["bbb2"], "head")
    assert [(s.revision, s.direction, s.delete, s.insert) for s in steps] == [
        ("ccc3", "upgrade", ("bbb2",), ("ccc3",)),
        ("ddd4", "upgrade", ("ccc3",), ("ddd4",)),
        ("eee5", "upgrade", ("ddd4",), ("eee5",)),
    ]


def test_first_upgrade_inserts_and_last_downgrade_deletes() -> None:
    """From an empty table the base inserts a row; downgrading the base deletes it."""
    graph = linear()
    first = graph.upgrade_plan([], "aaa1")[0]
    assert (first.delete, first.insert) == ((), ("aaa1",))
    last = graph.downgrade_plan(["aaa1"], "base")[0]
    assert (last.direction, last.delete, last.insert) == ("downgrade", ("aaa1",), ())


def test_upgrade_to_an_older_revision_does_nothing() -> None:
    """Upgrading to a revision already below the current one plans no step."""
    assert linear().upgrade_plan(["ddd4"], "bbb2") == []


def test_upgrade_to_current_head_does_nothing() -> None:
    """Upgrading when already at head plans no step."""
    assert linear().upgrade_plan(["eee5"], "head") == []


def test_diamond_upgrade_splits_then_merges_rows() -> None:
    """A branch point turns one row into two, and the merge turns two into one."""
    assert up(diamond(), [], "head") == [
        ("a001", ["a001"]),
        ("c003", ["c003"]),
        ("b002", ["b002", "c003"]),
        ("d004", ["d004"]),
        ("e005", ["e005"]),
    ]


def test_diamond_upgrade_from_one_side() -> None:
    """With one side applied, the other side is added as a row and then merged."""
    assert up(diamond(), ["b002"], "d004") == [("c003", ["b002", "c003"]), ("d004", ["d004"])]


def test_diamond_downgrade_to_base_unmerges() -> None:
    """Downgrading a merge point restores a row per parent."""
    assert down(diamond(), ["e005"], "base") == [
        ("e005", ["d004"]),
        ("d004", ["b002", "c003"]),
        ("b002", ["c003"]),
        ("c003", ["a001"]),
        ("a001", []),
    ]


def test_diamond_downgrade_to_one_parent_keeps_both_parents() -> None:
    """Downgrading to one parent of a merge leaves both parents' rows, as Alembic does."""
    assert down(diamond(), ["e005"], "b002") == [("e005", ["d004"]), ("d004", ["b002", "c003"])]


def test_merge_of_merges_upgrade() -> None:
    """Three branches merged in two steps upgrade in Alembic's order and end on one row."""
    assert up(merge_of_merges(), [], "heads") == [
        ("b000", ["b000"]),
        ("br02", ["br02"]),
        ("br03", ["br02", "br03"]),
        ("br01", ["br01", "br02", "br03"]),
        ("mg01", ["br03", "mg01"]),
        ("mg02", ["mg02"]),
    ]


def test_merge_of_merges_upgrade_from_two_branches() -> None:
    """Starting from two of three branches adds the third, then merges twice."""
    assert up(merge_of_merges(), ["br01", "br03"], "heads") == [
        ("br02", ["br01", "br02", "br03"]),
        ("mg01", ["br03", "mg01"]),
        ("mg02", ["mg02"]),
    ]


def test_merge_of_merges_downgrade_to_base() -> None:
    """Downgrading merges of merges unmerges each and drops every branch."""
    assert down(merge_of_merges(), ["mg02"], "base") == [
        ("mg02", ["br03", "mg01"]),
        ("mg01", ["br01", "br02", "br03"]),
        ("br01", ["br02", "br03"]),
        ("br03", ["br02"]),
        ("br02", ["b000"]),
        ("b000", []),
    ]


def test_merge_of_merges_downgrade_to_a_branch() -> None:
    """Downgrading to one branch unmerges down to the three branch rows."""
    assert down(merge_of_merges(), ["mg02"], "br01") == [
        ("mg02", ["br03", "mg01"]),
        ("mg01", ["br01", "br02", "br03"]),
    ]


def test_upgrade_one_labelled_branch() -> None:
    """'label@head' upgrades only that branch."""
    assert up(labelled_branches(), [], "xbr@head") == [
        ("root", ["root"]),
        ("bpnt", ["bpnt"]),
        ("x001", ["x001"]),
        ("x002", ["x002"]),
    ]


def test_upgrade_second_branch_adds_a_row() -> None:
    """Upgrading the other branch from a branch point's sibling adds its own row."""
    assert up(labelled_branches(), ["x002"], "ybr@head") == [
        ("y001", ["x002", "y001"]),
        ("y002", ["x002", "y002"]),
    ]


def test_upgrade_heads_across_a_branch_point() -> None:
    """'heads' upgrades every branch, one row per branch head."""
    graph = labelled_branches()
    assert final_rows([], graph.upgrade_plan([], "heads")) == ["x002", "y002"]


def test_upgrade_head_with_several_heads_fails() -> None:
    """'head' with two branches fails with MultipleHeads before planning."""
    with pytest.raises(errors.MultipleHeads):
        labelled_branches().upgrade_plan([], "head")


def test_downgrade_one_branch_to_the_branch_point_keeps_the_other() -> None:
    """'label@branchpoint' downgrades that branch only; the other branch's row stays."""
    assert down(labelled_branches(), ["x002", "y002"], "xbr@bpnt") == [
        ("x002", ["x001", "y002"]),
        ("x001", ["y002"]),
    ]


def test_downgrade_to_branch_point_drops_both_branches() -> None:
    """Downgrading to a branch point without a label drops every branch above it."""
    assert down(labelled_branches(), ["x002", "y002"], "bpnt") == [
        ("x002", ["x001", "y002"]),
        ("x001", ["y002"]),
        ("y002", ["y001"]),
        ("y001", ["bpnt"]),
    ]


def test_downgrade_label_relative_steps_stay_on_the_branch() -> None:
    """'label@-1' and 'label@-2' downgrade only the labelled branch."""
    graph = labelled_branches()
    assert down(graph, ["x002", "y002"], "xbr@-1") == [("x002", ["x001", "y002"])]
    assert down(graph, ["x002", "y002"], "xbr@-2") == [
        ("x002", ["x001", "y002"]),
        ("x001", ["y002"]),
    ]


def test_downgrade_label_at_base_with_a_shared_base_goes_to_base() -> None:
    """As in Alembic, 'label@base' for a branch sharing its base downgrades everything."""
    assert (
        final_rows(
            ["x002", "y002"], labelled_branches().downgrade_plan(["x002", "y002"], "xbr@base")
        )
        == []
    )


def test_downgrade_one_base_to_base_while_another_stays() -> None:
    """'label@base' on independent lines downgrades that line only."""
    assert down(two_bases(), ["w002", "a003"], "api@base") == [
        ("a003", ["a002", "w002"]),
        ("a002", ["a001", "w002"]),
        ("a001", ["w002"]),
    ]


def test_downgrade_label_minus_n_on_independent_lines() -> None:
    """'api@-2' steps down the api line only."""
    assert down(two_bases(), ["w002", "a003"], "api@-2") == [
        ("a003", ["a002", "w002"]),
        ("a002", ["a001", "w002"]),
    ]


def test_upgrade_heads_of_two_bases() -> None:
    """'heads' over two bases upgrades both lines, first file's head first in the walk."""
    assert up(two_bases(), [], "heads") == [
        ("a001", ["a001"]),
        ("a002", ["a002"]),
        ("a003", ["a003"]),
        ("w001", ["a003", "w001"]),
        ("w002", ["a003", "w002"]),
    ]


def test_upgrade_label_plus_one_from_other_line() -> None:
    """'api@+1' while only web is current starts the api line."""
    assert up(two_bases(), ["w002"], "api@+1") == [("a001", ["a001", "w002"])]


def test_dependency_is_upgraded_first_and_absorbed() -> None:
    """Upgrading a revision upgrades what it depends on first; its row replaces the dependency's."""
    assert up(dependencies(), [], "c200") == [
        ("a100", ["a100"]),
        ("a200", ["a200"]),
        ("c100", ["c100"]),
        ("c200", ["c200"]),
    ]


def test_upgrade_heads_with_dependencies() -> None:
    """'heads' with dependencies ends with one row per head nothing depends on."""
    assert up(dependencies(), [], "heads") == [
        ("a100", ["a100"]),
        ("d100", ["d100"]),
        ("a200", ["a200", "d100"]),
        ("c100", ["c100", "d100"]),
        ("c200", ["c200", "d100"]),
    ]


def test_upgrade_dependent_branch_from_its_dependency() -> None:
    """From the dependency's base, 'plug@head' upgrades the dependency line then the plug."""
    assert up(dependencies(), ["a100"], "plug@head") == [
        ("a200", ["a200"]),
        ("c100", ["c100"]),
        ("c200", ["c200"]),
    ]


def test_downgrading_a_dependency_first_downgrades_its_dependents() -> None:
    """Downgrading below a200 first downgrades c200 and c100, which depend on it."""
    assert down(dependencies(), ["c200", "d100"], "a100") == [
        ("c200", ["c100", "d100"]),
        ("c100", ["a200", "d100"]),
        ("a200", ["d100"]),
    ]


def test_downgrade_dependent_line_to_its_base_restores_dependency_row() -> None:
    """'plug@base' removes the plug line and leaves the dependency's row."""
    assert down(dependencies(), ["c200", "d100"], "plug@base") == [
        ("c200", ["c100", "d100"]),
        ("c100", ["a200", "d100"]),
    ]


def test_downgrade_everything_with_dependencies() -> None:
    """'base' downgrades dependents before their dependencies and empties the table."""
    assert down(dependencies(), ["c200", "d100"], "base") == [
        ("c200", ["c100", "d100"]),
        ("c100", ["a200", "d100"]),
        ("a200", ["d100"]),
        ("d100", ["a100"]),
        ("a100", []),
    ]


def test_dependency_by_label_across_bases_orders_upgrade() -> None:
    """A dependency on a branch label upgrades that labelled revision first."""
    steps = dependencies().upgrade_plan([], "d100")
    assert [s.revision for s in steps] == ["a100", "d100"]
    assert final_rows([], steps) == ["d100"]


def test_downgrade_minus_one_from_head() -> None:
    """'-1' from the head downgrades one step."""
    assert down(linear(), ["eee5"], "-1") == [("eee5", ["ddd4"])]


def test_downgrade_to_a_revision_above_current_fails() -> None:
    """Downgrading to a newer revision fails naming it and the current revisions."""
    with pytest.raises(
        errors.DependencyError, match=r"ddd4 is not below the current revisions \(bbb2\)"
    ):
        linear().downgrade_plan(["bbb2"], "ddd4")


def test_downgrade_to_a_revision_on_another_branch_fails() -> None:
    """Downgrading to a revision of a branch that is not current fails."""
    with pytest.raises(errors.DependencyError, match="y001 is not below"):
        labelled_branches().downgrade_plan(["x002"], "y001")


def test_downgrade_to_current_is_empty() -> None:
    """Downgrading to the current revision plans nothing."""
    assert linear().downgrade_plan(["ccc3"], "ccc3") == []


def test_downgrade_plus_n_is_refused() -> None:
    """A downgrade to '+1' is refused saying to use upgrade."""
    with pytest.raises(errors.DependencyError, match="use upgrade"):
        linear().downgrade_plan(["ccc3"], "+1")


def test_upgrade_minus_n_is_refused() -> None:
    """An upgrade to '-1' is refused saying to use downgrade."""
    with pytest.raises(errors.DependencyError, match="use downgrade"):
        linear().upgrade_plan(["ccc3"], "-1")


def test_upgrade_relative_from_current() -> None:
    """'+2' upgrades two steps from the current revision."""
    assert up(linear(), ["aaa1"], "+2") == [("bbb2", ["bbb2"]), ("ccc3", ["ccc3"])]


def test_upgrade_relative_through_a_merge() -> None:
    """'+1' from one side of a diamond reaches the merge, pulling in the other side."""
    assert up(diamond(), ["b002"], "+1") == [("c003", ["b002", "c003"]), ("d004", ["d004"])]


def test_overlapping_current_rows_are_refused() -> None:
    """Current rows where one lies below another fail naming both."""
    with pytest.raises(errors.DependencyError, match="bbb2 and aaa1 overlap"):
        linear().upgrade_plan(["bbb2", "aaa1"], "head")


def test_offline_start_may_be_symbolic() -> None:
    """An offline start may be 'base' or 'label@...', which keeps the plan on that branch."""
    graph = labelled_branches()
    assert [s.revision for s in graph.upgrade_plan(["base"], "xbr@head")] == [
        "root",
        "bpnt",
        "x001",
        "x002",
    ]
    on_branch = graph.upgrade_plan(["xbr@base"], "heads")
    assert [s.revision for s in on_branch] == ["root", "bpnt", "x001", "x002"]
    assert graph.upgrade_plan(["xbr@head"], "heads") == []


def test_merge_with_an_unrelated_head_keeps_that_row() -> None:
    """Merging two branches leaves a third, unrelated branch's row alone."""
    graph = RevisionMap(
        [
            rev("root"),
            rev("aaa1", "root"),
            rev("bbb2", "root"),
            rev("ccc3", "root"),
            rev("mrg1", "aaa1", "bbb2"),
        ]
    )
    assert up(graph, ["aaa1", "bbb2", "ccc3"], "mrg1") == [("mrg1", ["ccc3", "mrg1"])]
    assert down(graph, ["mrg1", "ccc3"], "aaa1") == [("mrg1", ["aaa1", "bbb2", "ccc3"])]


def test_steps_carry_the_revision_objects() -> None:
    """Each step carries the Revision with its path and message."""
    step = linear().upgrade_plan([], "aaa1")[0]
    assert (step.script.path, step.script.message) == ("versions/aaa1.py", "message of aaa1")
