"""Stamping (rows without scripts) and history ranges."""

from __future__ import annotations

import pytest

from asyncmig import errors
from asyncmig._script.revision import RevisionMap, Step

from .test_revision_support import (
    dependencies,
    diamond,
    labelled_branches,
    linear,
    rev,
    two_bases,
)


def stamped(
    graph: RevisionMap, current: list[str], targets: list[str], purge: bool = False
) -> list[str]:
    change = graph.stamp(current, targets, purge=purge)
    rows = [r for r in current if r not in change.delete]
    assert not set(change.insert) & set(rows)
    return sorted(rows + list(change.insert))


def ids(graph: RevisionMap, rev_range: str | None, current: tuple[str, ...] = ()) -> list[str]:
    return [r.revision for r in graph.history(rev_range, current)]


def test_stamp_on_a_line_replaces_the_row() -> None:
    """Stamping a revision on a line replaces the single row with it."""
    assert linear().stamp(["bbb2"], ["ddd4"]) == Step("stamp", ("bbb2",), ("ddd4",))


def test_stamp_onto_an_empty_table_inserts() -> None:
    """Stamping with no current rows inserts the target."""
    assert linear().stamp([], ["head"]) == Step("stamp", (), ("eee5",))


def test_stamp_the_current_revision_changes_nothing() -> None:
    """Stamping what is already current changes no row."""
    assert linear().stamp(["ccc3"], ["ccc3"]) == Step("stamp", (), ())


def test_stamp_base_deletes_every_row() -> None:
    """Stamping 'base' deletes all rows."""
    assert stamped(labelled_branches(), ["x002", "y002"], ["base"]) == []


def test_stamp_no_target_means_base() -> None:
    """An empty target list stamps base."""
    assert stamped(linear(), ["ccc3"], []) == []


def test_stamp_one_branch_replaces_only_its_row() -> None:
    """Stamping a revision of one branch replaces only that branch's row."""
    assert stamped(labelled_branches(), ["x002", "y002"], ["y001"]) == ["x002", "y001"]


def test_stamp_heads_over_one_branch() -> None:
    """Stamping 'heads' moves the current branch up and adds the other branch."""
    assert stamped(labelled_branches(), ["x001"], ["heads"]) == ["x002", "y002"]


def test_stamp_branch_head_onto_empty_table() -> None:
    """Stamping 'label@head' writes that branch's head."""
    assert stamped(labelled_branches(), [], ["xbr@head"]) == ["x002"]


def test_stamp_below_a_merge_collapses_rows() -> None:
    """Stamping a parent of a merge over the head leaves only that parent."""
    assert stamped(diamond(), ["e005"], ["c003"]) == ["c003"]


def test_stamp_on_independent_line_keeps_the_other_line() -> None:
    """Stamping one line's revision leaves the other line's row."""
    assert stamped(two_bases(), ["w002", "a003"], ["a002"]) == ["a002", "w002"]


def test_stamp_label_at_base_clears_only_that_line() -> None:
    """Stamping 'api@base' deletes the api row and keeps web's."""
    assert stamped(two_bases(), ["w002", "a003"], ["api@base"]) == ["w002"]


def test_stamp_several_targets() -> None:
    """Several targets are stamped together, one row per branch."""
    assert stamped(labelled_branches(), ["bpnt"], ["x001", "y002"]) == ["x001", "y002"]


def test_stamp_across_a_dependency_replaces_the_dependency_row() -> None:
    """Stamping a revision that depends on the current one replaces its row."""
    assert stamped(dependencies(), ["a200"], ["c100"]) == ["c100"]


def test_stamp_purge_deletes_unknown_rows() -> None:
    """With purge every current row is deleted first, even ones no script declares."""
    change = linear().stamp(["gone99", "bbb2"], ["ccc3"], purge=True)
    assert change == Step("stamp", ("gone99", "bbb2"), ("ccc3",), purge=True)


def test_stamp_without_purge_rejects_unknown_rows() -> None:
    """Without purge an unknown current row fails naming it and suggesting purge."""
    with pytest.raises(errors.UnknownRevision, match=r"'gone99'.*--purge"):
        linear().stamp(["gone99"], ["ccc3"])


def test_stamp_head_with_several_heads_fails() -> None:
    """Stamping 'head' with two heads raises MultipleHeads."""
    with pytest.raises(errors.MultipleHeads):
        labelled_branches().stamp([], ["head"])


def test_history_all_is_newest_first() -> None:
    """No range lists every revision newest first."""
    assert ids(linear(), None) == ["eee5", "ddd4", "ccc3", "bbb2", "aaa1"]


def test_history_closed_range_is_inclusive() -> None:
    """'a:b' lists b down to a, both included."""
    assert ids(linear(), "bbb2:ddd4") == ["ddd4", "ccc3", "bbb2"]


def test_history_open_start() -> None:
    """':b' lists b and everything below it."""
    assert ids(linear(), ":ccc3") == ["ccc3", "bbb2", "aaa1"]


def test_history_open_end() -> None:
    """'a:' lists a and everything above it."""
    assert ids(linear(), "ccc3:") == ["eee5", "ddd4", "ccc3"]


def test_history_relative_start() -> None:
    """'-2:' lists the head and the two revisions below it."""
    assert ids(linear(), "-2:") == ["eee5", "ddd4", "ccc3"]


def test_history_relative_start_on_branches() -> None:
    """'-1:' on two branches lists each head and the one below it."""
    assert ids(labelled_branches(), "-1:") == ["x002", "x001", "y002", "y001"]


def test_history_base_to_head() -> None:
    """'base:head' lists everything on a single-head history."""
    assert ids(linear(), "base:head") == ["eee5", "ddd4", "ccc3", "bbb2", "aaa1"]


def test_history_of_one_branch() -> None:
    """'label@base:label@head' lists that branch and the shared revisions below it."""
    assert ids(labelled_branches(), "xbr@base:xbr@head") == ["x002", "x001", "bpnt", "root"]


def test_history_from_a_branch_point() -> None:
    """'bp:heads' lists both branches above the branch point."""
    assert ids(labelled_branches(), "bpnt:heads") == ["x002", "x001", "y002", "y001", "bpnt"]


def test_history_of_an_independent_line() -> None:
    """'api@base:' lists only the api line."""
    assert ids(two_bases(), "api@base:") == ["a003", "a002", "a001"]


def test_history_current_to_heads() -> None:
    """'current:heads' lists from the current revision up."""
    assert ids(linear(), "current:heads", ("ccc3",)) == ["eee5", "ddd4", "ccc3"]


def test_history_up_to_current() -> None:
    """':current' lists the current revision and below."""
    assert ids(linear(), ":current", ("bbb2",)) == ["bbb2", "aaa1"]


def test_history_current_with_empty_table_starts_at_base() -> None:
    """'current:' with nothing current lists everything."""
    assert len(ids(linear(), "current:", ())) == 5


def test_history_range_across_branches_fails() -> None:
    """A range whose start is not below its end fails naming both."""
    with pytest.raises(errors.DependencyError, match="x001 is not below y002"):
        labelled_branches().history("x001:y002")


def test_history_range_needs_a_colon() -> None:
    """A range without ':' is refused with the accepted forms."""
    with pytest.raises(errors.RevisionError, match=r"'\[start\]:\[end\]'"):
        linear().history("ccc3")


def test_history_with_dependencies_lists_dependents_first() -> None:
    """History over dependencies lists a dependent before what it depends on."""
    assert ids(dependencies(), "base:heads") == ["c200", "c100", "a200", "d100", "a100"]


def test_history_merge_range() -> None:
    """A range through a merge includes both parents."""
    graph = RevisionMap(
        [rev("a001"), rev("b002", "a001"), rev("c003", "a001"), rev("d004", "b002", "c003")]
    )
    assert ids(graph, "a001:d004") == ["d004", "b002", "c003", "a001"]
