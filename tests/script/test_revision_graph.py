"""The revision graph's structure: validation, heads, bases, labels, order."""

from __future__ import annotations

import pytest

from asyncmig import errors
from asyncmig._script.revision import Revision, RevisionMap

from .test_revision_support import (
    dependencies,
    diamond,
    labelled_branches,
    linear,
    merge_of_merges,
    rev,
    two_bases,
)


def test_duplicate_id_names_both_files() -> None:
    """Two scripts with one id fail with DuplicateRevision naming both files."""
    with pytest.raises(errors.DuplicateRevision) as caught:
        RevisionMap([rev("aaa1"), Revision("aaa1", path="versions/other.py")])
    assert caught.value.paths == ("versions/aaa1.py", "versions/other.py")
    assert "versions/aaa1.py and versions/other.py" in str(caught.value)


def test_missing_down_revision_names_revision_file_and_missing_id() -> None:
    """A down_revision naming no script fails with the revision, its file and the id."""
    with pytest.raises(errors.DependencyError) as caught:
        RevisionMap([rev("aaa1"), rev("bbb2", "zzz9")])
    message = str(caught.value)
    assert "'bbb2'" in message
    assert "versions/bbb2.py" in message
    assert "'zzz9'" in message


def test_missing_dependency_names_revision_file_and_name() -> None:
    """A depends_on naming nothing fails with the revision, its file and the name."""
    with pytest.raises(errors.DependencyError) as caught:
        RevisionMap([rev("aaa1"), rev("bbb2", deps=["nolabel"])])
    message = str(caught.value)
    assert "versions/bbb2.py" in message
    assert "'nolabel'" in message


def test_dependency_by_ambiguous_prefix_lists_candidates() -> None:
    """A depends_on prefix matching two ids fails and lists both."""
    with pytest.raises(errors.DependencyError, match="abc1, abc2"):
        RevisionMap([rev("abc1"), rev("abc2"), rev("zzz9", deps=["abc"])])


def test_dependency_by_unique_prefix_resolves() -> None:
    """A depends_on written as a unique prefix links to that revision."""
    graph = RevisionMap([rev("abcdef"), rev("zzz9", deps=["abc"])])
    assert graph.heads_with_dependencies() == ("zzz9",)


def test_cycle_through_down_revisions_names_cycle_and_files() -> None:
    """A loop of down_revisions fails with CycleDetected naming every revision and file."""
    with pytest.raises(errors.CycleDetected) as caught:
        RevisionMap(
            [rev("aaa1"), rev("bbb2", "aaa1", "ddd4"), rev("ccc3", "bbb2"), rev("ddd4", "ccc3")]
        )
    assert set(caught.value.cycle) == {"bbb2", "ccc3", "ddd4"}
    assert set(caught.value.paths) == {f"versions/{r}.py" for r in ("bbb2", "ccc3", "ddd4")}
    assert "bbb2 -> ccc3 -> ddd4 -> bbb2" in str(caught.value)


def test_cycle_through_depends_on_is_detected() -> None:
    """A loop closed by a depends_on is a cycle too."""
    with pytest.raises(errors.CycleDetected) as caught:
        RevisionMap([rev("aaa1", deps=["ccc3"]), rev("bbb2", "aaa1"), rev("ccc3", "bbb2")])
    assert set(caught.value.cycle) == {"aaa1", "bbb2", "ccc3"}


def test_self_reference_is_a_cycle() -> None:
    """A revision that revises itself is a one-revision cycle naming its file."""
    with pytest.raises(errors.CycleDetected, match=r"aaa1 -> aaa1.*versions/aaa1.py"):
        RevisionMap([rev("aaa1", "aaa1")])


def test_self_dependency_through_own_label_is_a_cycle() -> None:
    """Depending on one's own branch label is a one-revision cycle."""
    with pytest.raises(errors.CycleDetected):
        RevisionMap([rev("aaa1", labels=["mine"], deps=["mine"])])


def test_label_on_two_revisions_names_both() -> None:
    """One branch label declared by two revisions fails naming both and their files."""
    with pytest.raises(errors.DependencyError) as caught:
        RevisionMap([rev("aaa1", labels=["feat"]), rev("bbb2", "aaa1", labels=["feat"])])
    message = str(caught.value)
    assert "'feat'" in message
    assert "versions/aaa1.py" in message
    assert "versions/bbb2.py" in message


def test_label_equal_to_a_revision_id_fails() -> None:
    """A branch label spelled like an existing revision id is refused."""
    with pytest.raises(errors.DependencyError, match=r"'aaa1'.*also a revision id"):
        RevisionMap([rev("aaa1"), rev("bbb2", "aaa1", labels=["aaa1"])])


@pytest.mark.parametrize("bad", ["ab-c", "a@b", "a+b", "a:b", "head", "base"])
def test_illegal_revision_ids_are_refused(bad: str) -> None:
    """Ids containing @ - + : or spelled like a keyword cannot be targeted, so they fail."""
    with pytest.raises(errors.RevisionError, match="versions/"):
        RevisionMap([rev(bad)])


def test_empty_map_has_no_heads_or_bases() -> None:
    """An empty script directory has no heads, no bases and nothing to iterate."""
    graph = RevisionMap([])
    assert (graph.heads, graph.bases, list(graph), len(graph)) == ((), (), [], 0)


def test_heads_and_bases_of_two_independent_lines() -> None:
    """Two bases give two heads, each listed in file order."""
    graph = two_bases()
    assert graph.heads == ("w002", "a003")
    assert graph.bases == ("w001", "a001")


def test_heads_ignore_dependencies_but_resolved_heads_do_not() -> None:
    """A head that another revision depends on stays a head, but not with dependencies resolved."""
    graph = dependencies()
    assert graph.heads == ("a200", "c200", "d100")
    assert graph.heads_with_dependencies() == ("c200", "d100")
    assert graph.bases == ("a100", "c100", "d100")


def test_children_branch_and_merge_points() -> None:
    """children, is_branch_point and is_merge_point follow the down_revision links."""
    graph = diamond()
    assert graph.children("a001") == ("b002", "c003")
    assert graph.is_branch_point("a001")
    assert not graph.is_branch_point("b002")
    assert graph.is_merge_point("d004")
    assert not graph.is_merge_point("e005")
    assert graph.is_head("e005")
    assert not graph.is_head("d004")
    assert graph.is_base("a001")
    assert not graph.is_base("b002")


def test_dependency_does_not_make_a_branch_point() -> None:
    """A revision depended on by another base is not a branch point and keeps no child."""
    graph = dependencies()
    assert graph.children("a200") == ()
    assert not graph.is_branch_point("a200")


def test_structure_queries_accept_prefixes_and_labels() -> None:
    """children and friends resolve their argument like any target."""
    graph = labelled_branches()
    assert graph.children("bpn") == ("x001", "y001")
    assert graph.is_head("ybr") is False


def test_labels_stop_at_the_branch_point() -> None:
    """A label on a branch names that branch only, not the shared revisions below it."""
    graph = labelled_branches()
    labels = {r.revision: graph.branch_labels(r.revision) for r in graph}
    assert labels == {
        "root": frozenset(),
        "bpnt": frozenset(),
        "x001": {"xbr"},
        "x002": {"xbr"},
        "y001": {"ybr"},
        "y002": {"ybr"},
    }


def test_label_on_unbranched_line_names_the_whole_line() -> None:
    """A label in the middle of a line with no branch point reaches down to its base."""
    graph = RevisionMap(
        [rev("aaa1"), rev("bbb2", "aaa1"), rev("ccc3", "bbb2", labels=["L"]), rev("ddd4", "ccc3")]
    )
    assert {r.revision: set(graph.branch_labels(r.revision)) for r in graph} == {
        "aaa1": {"L"},
        "bbb2": {"L"},
        "ccc3": {"L"},
        "ddd4": {"L"},
    }


def test_labels_accumulate_through_a_merge() -> None:
    """A merge of two labelled branches carries both labels; the branches keep their own."""
    graph = RevisionMap(
        [
            rev("root"),
            rev("xxx1", "root", labels=["x"]),
            rev("yyy1", "root", labels=["y"]),
            rev("mrg1", "xxx1", "yyy1"),
        ]
    )
    assert graph.branch_labels("mrg1") == {"x", "y"}
    assert graph.branch_labels("xxx1") == {"x"}
    assert graph.branch_labels("root") == frozenset()


def test_iteration_is_newest_first_through_a_diamond() -> None:
    """Iteration lists heads first and each revision after everything above it."""
    assert [r.revision for r in diamond()] == ["e005", "d004", "b002", "c003", "a001"]


def test_iteration_order_of_merges_of_merges() -> None:
    """Merges of merges iterate in Alembic's order."""
    order = [r.revision for r in merge_of_merges()]
    assert order == ["mg02", "mg01", "br01", "br03", "br02", "b000"]


def test_iteration_places_dependencies_after_their_dependents() -> None:
    """A revision depended on is listed after (older than) the revisions depending on it."""
    assert [r.revision for r in dependencies()] == ["c200", "c100", "a200", "d100", "a100"]


def test_iteration_of_two_bases_lists_lines_in_file_order() -> None:
    """Independent lines are listed one after the other, first file's line first."""
    assert [r.revision for r in two_bases()] == ["w002", "w001", "a003", "a002", "a001"]


def test_len_and_contains() -> None:
    """len counts revisions; `in` tests full ids."""
    graph = linear()
    assert len(graph) == 5
    assert "ccc3" in graph
    assert "ccc" not in graph


def test_ten_thousand_revision_line_needs_no_recursion() -> None:
    """A 10,000-revision line builds, plans and iterates without recursion limits."""
    ids = [f"r{i:05d}" for i in range(10_000)]
    graph = RevisionMap(Revision(r, tuple(ids[i - 1 : i])) for i, r in enumerate(ids))
    assert graph.heads == (ids[-1],)
    assert graph.bases == (ids[0],)
    plan = graph.upgrade_plan([], "head")
    assert [s.revision for s in plan] == ids
    assert [r.revision for r in graph][:2] == [ids[-1], ids[-2]]
    assert len(graph.downgrade_plan([ids[-1]], "base")) == 10_000


def test_wide_history_with_many_heads_plans_every_revision_once() -> None:
    """A trunk with 500 side branches upgrades every revision exactly once, parents first."""
    revs = [Revision("t0000")]
    for i in range(1, 500):
        revs.append(Revision(f"t{i:04d}", (f"t{i - 1:04d}",)))
        revs.append(Revision(f"s{i:04d}", (f"t{i - 1:04d}",)))
    graph = RevisionMap(revs)
    assert len(graph.heads) == 500
    order = [s.revision for s in graph.upgrade_plan([], "heads")]
    assert sorted(order) == sorted(r.revision for r in revs)
    seen: set[str] = set()
    for rid in order:
        assert all(p in seen for p in graph.get(rid).down_revision)
        seen.add(rid)
