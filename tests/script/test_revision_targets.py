"""Revision targets: ids, prefixes, labels, head(s)/base and relative steps."""

from __future__ import annotations

import pytest

from asyncmig import errors
from asyncmig._script.revision import RevisionMap

from .test_revision_support import (
    dependencies,
    diamond,
    labelled_branches,
    linear,
    rev,
    two_bases,
)


def prefixed() -> RevisionMap:
    """Ids sharing prefixes, plus a two-character id."""
    return RevisionMap(
        [rev("ab12cd"), rev("ab34ef", "ab12cd"), rev("c9", "ab34ef"), rev("c9d8e7", "c9")]
    )


def test_get_by_full_id() -> None:
    """A full id returns its revision."""
    assert linear().get("ccc3").path == "versions/ccc3.py"


def test_get_by_unique_prefix_of_one_character() -> None:
    """A unique prefix works down to one character."""
    assert linear().get("c").revision == "ccc3"


def test_get_ambiguous_prefix_lists_every_candidate() -> None:
    """A prefix matching several ids raises AmbiguousRevision listing all of them."""
    with pytest.raises(errors.AmbiguousRevision) as caught:
        prefixed().get("ab")
    assert caught.value.candidates == ("ab12cd", "ab34ef")
    assert "ab12cd, ab34ef" in str(caught.value)


def test_exact_short_id_wins_over_longer_matches() -> None:
    """An exact id is found even when it is also a prefix of another id."""
    assert prefixed().get("c9").revision == "c9"


def test_prefixes_only_match_ids_of_four_or_more_characters() -> None:
    """As in Alembic, a prefix never matches an id shorter than four characters."""
    graph = RevisionMap([rev("xy1"), rev("xyz789", "xy1")])
    assert graph.get("xy").revision == "xyz789"


def test_unknown_short_prefix_explains_the_four_character_rule() -> None:
    """An unknown prefix under four characters says partial ids need 4+ character ids."""
    with pytest.raises(errors.UnknownRevision, match=r"'zz'.*4\+ characters"):
        linear().get("zz")


def test_unknown_revision_names_it() -> None:
    """An unknown id raises UnknownRevision naming it."""
    with pytest.raises(errors.UnknownRevision) as caught:
        linear().get("nope99")
    assert caught.value.revision == "nope99"
    assert "'nope99'" in str(caught.value)


def test_get_by_branch_label() -> None:
    """A branch label names the revision that declares it."""
    assert labelled_branches().get("ybr").revision == "y001"


def test_label_prefix_matches_like_an_id() -> None:
    """As in Alembic, a prefix of a branch label finds the labelled revision."""
    graph = RevisionMap([rev("aaaa1"), rev("bbbb2", "aaaa1", labels=["feature"])])
    assert graph.get("feat").revision == "bbbb2"


def test_resolve_head_of_one_line() -> None:
    """'head' is the single head."""
    assert linear().resolve("head") == ("eee5",)


def test_resolve_head_with_several_heads_lists_them_and_suggests_fixes() -> None:
    """'head' with two heads raises MultipleHeads naming both and suggesting heads/label/merge."""
    with pytest.raises(errors.MultipleHeads) as caught:
        labelled_branches().resolve("head")
    assert caught.value.heads == ("x002", "y002")
    message = str(caught.value)
    assert "'heads'" in message
    assert "@head" in message
    assert "merge" in message


def test_head_counts_heads_that_are_only_depended_on() -> None:
    """Like Alembic, 'head' is ambiguous when a dependency leaves a second head."""
    with pytest.raises(errors.MultipleHeads) as caught:
        dependencies().resolve("head")
    assert caught.value.heads == ("a200", "c200", "d100")


def test_resolve_heads_resolves_dependencies() -> None:
    """'heads' names the heads nothing depends on, as `upgrade heads` targets them."""
    assert dependencies().resolve("heads") == ("c200", "d100")


def test_resolve_base_is_empty() -> None:
    """'base' names no revision."""
    assert linear().resolve("base") == ()


def test_resolve_label_at_head() -> None:
    """'label@head' is the head of that branch."""
    graph = labelled_branches()
    assert graph.resolve("xbr@head") == ("x002",)
    assert graph.resolve("ybr@head") == ("y002",)


def test_resolve_revision_at_head() -> None:
    """'rev@head' is the head of the branch the revision is on."""
    assert labelled_branches().resolve("y001@head") == ("y002",)


def test_resolve_shared_revision_at_head_is_ambiguous() -> None:
    """'rev@head' for a revision below a branch point names several heads."""
    with pytest.raises(errors.MultipleHeads, match="bpnt@head"):
        labelled_branches().resolve("bpnt@head")


def test_resolve_label_at_heads_and_label_at_base() -> None:
    """'label@heads' lists the branch's heads; 'label@base' names nothing."""
    graph = two_bases()
    assert graph.resolve("api@heads") == ("a003",)
    assert graph.resolve("api@base") == ()


def test_resolve_label_at_revision_checks_membership() -> None:
    """'label@rev' resolves rev on that branch, and fails for a revision of another branch."""
    graph = labelled_branches()
    assert graph.resolve("xbr@x002") == ("x002",)
    with pytest.raises(errors.UnknownRevision, match="y002 is not on branch 'xbr'"):
        graph.resolve("xbr@y002")


def test_label_disambiguates_a_prefix() -> None:
    """A prefix ambiguous overall is unique within the named branch."""
    graph = RevisionMap(
        [rev("root"), rev("abc1", "root", labels=["one"]), rev("abc2", "root", labels=["two"])]
    )
    assert graph.resolve("two@abc") == ("abc2",)


def test_unknown_branch_label_is_named() -> None:
    """'nolabel@head' fails naming the missing branch."""
    with pytest.raises(errors.UnknownRevision, match="'nolabel'"):
        labelled_branches().resolve("nolabel@head")


def test_resolve_current() -> None:
    """'current' is the current rows."""
    assert diamond().resolve("current", ["b002", "c003"]) == ("b002", "c003")


def test_resolve_plus_n_from_current() -> None:
    """'+2' steps two revisions up from the current one."""
    assert linear().resolve("+2", ["bbb2"]) == ("ddd4",)


def test_resolve_plus_n_from_nothing_starts_at_base() -> None:
    """'+1' with no current revision is the base."""
    assert linear().resolve("+1", []) == ("aaa1",)


def test_resolve_minus_n_from_current() -> None:
    """'-2' steps two revisions down from the current one."""
    assert linear().resolve("-2", ["ddd4"]) == ("bbb2",)


def test_resolve_minus_n_to_base() -> None:
    """Stepping down exactly past the first revision names base."""
    assert linear().resolve("-1", ["aaa1"]) == ()


def test_resolve_rev_plus_and_minus_n() -> None:
    """'rev+N' and 'rev-N' step from a named revision, whatever is current."""
    graph = linear()
    assert graph.resolve("bbb2+2") == ("ddd4",)
    assert graph.resolve("ddd4-3") == ("aaa1",)
    assert graph.resolve("b+1") == ("ccc3",)


def test_relative_step_past_the_top_says_so() -> None:
    """'+N' beyond the newest revision fails saying the step is too far."""
    with pytest.raises(errors.DependencyError, match=r"'\+3'.*past the end"):
        linear().resolve("+3", ["ccc3"])


def test_relative_step_below_base_says_so() -> None:
    """'-N' below base fails saying there are fewer revisions below."""
    with pytest.raises(errors.DependencyError, match="fewer than 3 revisions below"):
        linear().resolve("-3", ["bbb2"])


def test_step_up_from_a_branch_point_is_ambiguous() -> None:
    """'+1' at a branch point names the branches it could take."""
    with pytest.raises(errors.DependencyError, match=r"ambiguous.*x001, y001.*at bpnt"):
        labelled_branches().resolve("+1", ["bpnt"])


def test_step_down_from_a_merge_point_is_ambiguous() -> None:
    """'-1' at a merge point names the parents it could take."""
    with pytest.raises(errors.DependencyError, match=r"ambiguous.*b002, c003.*at d004"):
        diamond().resolve("-1", ["d004"])


def test_step_across_a_merge_going_up_is_fine() -> None:
    """Stepping up through a merge point from one of its parents works."""
    assert diamond().resolve("+2", ["b002"]) == ("e005",)


def test_label_picks_the_way_up_at_a_branch_point() -> None:
    """'label@+N' follows that branch through a branch point."""
    graph = labelled_branches()
    assert graph.resolve("ybr@+1", ["bpnt"]) == ("y001",)
    assert graph.resolve("xbr@+3", ["root"]) == ("x002",)


def test_label_step_up_from_another_branch_starts_at_the_branch_point() -> None:
    """'label@+1' when only another branch is current starts where the branch leaves it."""
    assert labelled_branches().resolve("ybr@+1", ["x002"]) == ("y001",)


def test_label_step_up_from_another_base_starts_from_nothing() -> None:
    """'label@+1' for a line with its own base starts from that base."""
    assert two_bases().resolve("api@+1", ["w002"]) == ("a001",)


def test_label_step_down_picks_that_branch_among_several_current() -> None:
    """'label@-1' steps down the labelled branch while another is current too."""
    assert labelled_branches().resolve("xbr@-1", ["x002", "y002"]) == ("x001",)


def test_minus_n_with_several_current_revisions_is_refused() -> None:
    """'-1' with two current heads is ambiguous and says how to pick one."""
    with pytest.raises(errors.DependencyError, match=r"several current revisions.*'<label>@-1'"):
        labelled_branches().resolve("-1", ["x002", "y002"])


def test_plus_n_with_several_current_revisions_is_refused() -> None:
    """'+1' with two current heads is ambiguous and lists them."""
    with pytest.raises(errors.DependencyError, match="x001, y001"):
        labelled_branches().resolve("+1", ["x001", "y001"])


def test_label_at_rev_plus_n_filters_the_way_up() -> None:
    """'label@rev+N' steps from rev, choosing the labelled branch."""
    assert labelled_branches().resolve("ybr@bpnt+1") == ("y001",)


def test_current_rows_may_be_prefixes() -> None:
    """Current rows given as prefixes are resolved like targets."""
    assert linear().resolve("+1", ["bb"]) == ("ccc3",)


def test_unknown_current_row_suggests_purge() -> None:
    """A current row no script declares fails naming it and suggesting stamp --purge."""
    with pytest.raises(errors.UnknownRevision, match=r"'gone99'.*--purge"):
        linear().resolve("+1", ["gone99"])
