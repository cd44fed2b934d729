"""Suppression comments: with a reason they suppress, without one they are findings."""

from __future__ import annotations

from pathlib import Path

import pytest

import asyncmig
from asyncmig._lint.suppress import read_suppressions
from tests.lint._project import OFFLINE_URLS, project

pytestmark = pytest.mark.anyio

DROP = 'op.drop_column("account", "email")'


async def test_allow_with_reason_suppresses_and_keeps_the_reason(tmp_path: Path) -> None:
    """A reasoned allow comment moves the finding to `suppressed`, with its reason; exit is ok."""
    body = f"# asyncmig: allow dropping-column -- app v3 stopped reading email\n{DROP}"
    report = await asyncmig.lint(project(tmp_path, OFFLINE_URLS["sqlite"], body), "r2")
    assert report.findings == []
    assert [(f.rule, f.suppressed) for f in report.suppressed] == [
        ("dropping-column", "app v3 stopped reading email")
    ]
    assert report.ok


async def test_allow_without_reason_suppresses_nothing_and_is_a_finding(tmp_path: Path) -> None:
    """An allow comment with no reason leaves the finding and adds invalid-suppression."""
    body = f"# asyncmig: allow dropping-column\n{DROP}"
    report = await asyncmig.lint(project(tmp_path, OFFLINE_URLS["sqlite"], body), "r2")
    assert sorted(f.rule for f in report.findings) == ["dropping-column", "invalid-suppression"]
    invalid = next(f for f in report.findings if f.rule == "invalid-suppression")
    assert invalid.severity == "error"
    assert invalid.line is not None
    assert "no reason" in invalid.message
    assert not report.ok


async def test_allow_of_unknown_rule_is_a_finding(tmp_path: Path) -> None:
    """A misspelt rule id is reported instead of silently suppressing nothing."""
    body = f"# asyncmig: allow droping-column -- typo\n{DROP}"
    report = await asyncmig.lint(project(tmp_path, OFFLINE_URLS["sqlite"], body), "r2")
    invalid = [f for f in report.findings if f.rule == "invalid-suppression"]
    assert invalid
    assert "droping-column" in invalid[0].message


async def test_allow_covers_only_the_rules_it_names(tmp_path: Path) -> None:
    """Suppressing one rule leaves the others of the same script reported."""
    body = f'# asyncmig: allow dropping-column -- reason\n{DROP}\nop.drop_table("other")'
    report = await asyncmig.lint(project(tmp_path, OFFLINE_URLS["sqlite"], body), "r2")
    assert [f.rule for f in report.findings] == ["dropping-table"]


def test_allow_in_a_string_is_not_a_comment() -> None:
    """Text that looks like an allow comment inside a string literal does not count."""
    source = 'x = "# asyncmig: allow dropping-table -- no"\n# asyncmig: allow a, b -- c\n'
    found = read_suppressions(source)
    assert len(found) == 1
    assert found[0].line == 2
    assert found[0].rules == ("a", "b")


def test_several_rules_in_one_comment() -> None:
    """One comment may name several rules, separated by commas."""
    (found,) = read_suppressions(
        "# asyncmig: allow dropping-table, dropping-column -- table retired in 2.0\n"
    )
    assert found.rules == ("dropping-table", "dropping-column")
    assert found.reason == "table retired in 2.0"
    assert found.problem is None
