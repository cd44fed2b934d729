"""Each history check passes on a sound history and fails, naming the culprit, on a broken one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from asyncmig.testing import CHECKS, CheckOptions, CheckResult, Templates, run_check

from ._project import Step, linear, table

pytestmark = pytest.mark.anyio
sqlite_only = pytest.mark.parametrize("any_database_url", ["sqlite"], indirect=True)

MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table(
    "account",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(40), nullable=True),
)
"""


async def _run(templates: Templates, name: str, **options: Any) -> CheckResult:
    return await run_check(name, templates, CheckOptions(**options))


def _versions(tmp_path: Path) -> Path:
    return tmp_path / "project" / "migrations" / "versions"


@sqlite_only
@pytest.mark.parametrize("name", [n for n in CHECKS if n != "models_match"])
async def test_sound_history_passes(make_templates: Any, name: str) -> None:
    """A linear history with matching downgrades passes every check."""
    result = await _run(make_templates(), name)
    assert result.ok, result.message
    assert not result.skipped


@sqlite_only
async def test_models_match_skips_without_metadata(make_templates: Any) -> None:
    """Without target metadata there is nothing to compare: the check says so and skips."""
    result = await _run(make_templates(), "models_match")
    assert result.skipped
    assert "target_metadata" in result.message


@sqlite_only
async def test_duplicate_id_fails_valid_ids(make_templates: Any, tmp_path: Path, tag: str) -> None:
    """Two scripts declaring one id fail valid_ids, naming the id."""
    templates: Templates = make_templates()
    first = next(_versions(tmp_path).glob("a1*.py"))
    (_versions(tmp_path) / "copy_of_a1.py").write_text(first.read_text())
    result = await _run(templates, "valid_ids")
    assert not result.ok
    assert f"a1{tag}" in result.message


@sqlite_only
async def test_unlabelled_second_base_fails_no_orphan_branches(
    make_templates: Any, tag: str
) -> None:
    """A second base without a branch label is an orphan; with one it is an independent history."""
    orphan = table(f"z9{tag}", None, "other")
    result = await _run(make_templates((*linear(tag), orphan)), "no_orphan_branches")
    assert not result.ok
    assert f"z9{tag}" in result.message
    labelled = Step(orphan.rev, None, orphan.upgrade, orphan.downgrade, labels=("other",))
    templates = make_templates((*linear(tag), labelled))
    assert (await _run(templates, "no_orphan_branches")).ok
    assert (await _run(templates, "single_head")).ok  # one head per independent history


@sqlite_only
async def test_missing_parent_fails_no_orphan_branches(make_templates: Any, tag: str) -> None:
    """A script whose parent no script declares fails no_orphan_branches."""
    result = await _run(
        make_templates((*linear(tag), table(f"e5{tag}", "gone", "extra"))), "no_orphan_branches"
    )
    assert not result.ok
    assert "gone" in result.message


@sqlite_only
async def test_two_heads_fail_single_head(make_templates: Any, tag: str) -> None:
    """Two revisions on one parent leave two heads: single_head fails and names both."""
    steps = (*linear(tag), table(f"x8{tag}", f"b2{tag}", "side"))
    result = await _run(make_templates(steps), "single_head")
    assert not result.ok
    assert f"x8{tag}" in result.message
    assert f"d4{tag}" in result.message


@sqlite_only
async def test_missing_downgrade_fails_scripts_import(
    make_templates: Any, tmp_path: Path, tag: str
) -> None:
    """A script without downgrade() fails scripts_import, naming its file."""
    templates: Templates = make_templates()
    script = next(_versions(tmp_path).glob("c3*.py"))
    script.write_text(script.read_text().replace("def downgrade()", "def _downgrade()"))
    result = await _run(templates, "scripts_import")
    assert not result.ok
    assert script.name in result.message


@sqlite_only
async def test_reading_the_database_fails_offline_sql(make_templates: Any, tag: str) -> None:
    """A script that reads rows through the connection cannot render offline."""
    reads = Step(
        f"e5{tag}",
        f"d4{tag}",
        'op.get_bind().execute(sa.text("SELECT id FROM account")).fetchall()',
        "pass",
    )
    result = await _run(make_templates((*linear(tag), reads)), "offline_sql")
    assert not result.ok


def _leaky(tag: str) -> tuple[Step, ...]:
    """d4's downgrade leaves a table the upgrade does not remove."""
    steps = list(linear(tag))
    d4 = steps[3]
    steps[3] = Step(
        d4.rev,
        d4.down,
        d4.upgrade,
        f"{d4.downgrade}\n"
        + 'op.create_table("junk", sa.Column("id", sa.Integer, primary_key=True))',
    )
    return tuple(steps)


async def test_leaky_downgrade_fails_stairway(make_templates: Any, tag: str) -> None:
    """A downgrade that leaves a table fails the stairway at that revision, naming the table."""
    result = await _run(make_templates(_leaky(tag)), "stairway")
    assert not result.ok
    assert f"d4{tag}" in result.message
    assert "junk" in result.message


async def test_stairway_start_and_skip(make_templates: Any, tag: str) -> None:
    """A skipped revision (or one before the start) is stepped over, not down and up."""
    templates: Templates = make_templates(_leaky(tag))
    skipped = await _run(templates, "stairway", skip={f"d4{tag}": "leaves junk, known"})
    assert skipped.ok, skipped.message
    assert "1 skipped" in skipped.message
    assert (await _run(templates, "stairway", start=f"b2{tag}")).ok is False
    assert (await _run(templates, "stairway", start=f"d4{tag}")).ok


async def test_forgotten_drop_fails_downgrade_leaves_no_trace(
    make_templates: Any, tmp_path: Path, tag: str
) -> None:
    """A downgrade that forgets its drop_table leaves a trace: the check names the table."""
    steps = list(linear(tag))
    steps[1] = Step(steps[1].rev, steps[1].down, steps[1].upgrade, "pass")
    result = await _run(make_templates(tuple(steps)), "downgrade_leaves_no_trace")
    assert not result.ok
    assert "item" in result.message
    # Another folder: script modules, once imported, stay loaded for their path.
    sound = make_templates(linear(tag), root=tmp_path / "sound")
    assert (await _run(sound, "downgrade_leaves_no_trace")).ok


async def test_models_match(
    make_templates: Any, any_database_url: str, tmp_path: Path, tag: str
) -> None:
    """Models equal to head pass models_match; a model column no script adds fails it."""
    from ._project import write_project

    steps = (linear(tag)[0],)
    good, bad = tmp_path / "good", tmp_path / "bad"
    write_project(good, any_database_url, steps, models=MODELS, module=f"good_{tag}")
    result = await _run(make_templates(root=good), "models_match")
    assert result.ok, result.message
    extra = MODELS.replace(
        "nullable=True),", 'nullable=True),\n    sa.Column("extra", sa.Integer),'
    )
    write_project(bad, any_database_url, steps, models=extra, module=f"bad_{tag}")
    result = await _run(make_templates(root=bad), "models_match")
    assert not result.ok
    assert "extra" in result.message


@sqlite_only
async def test_stairway_walks_branches_and_merges(
    make_templates: Any, tmp_path: Path, tag: str
) -> None:
    """Two branches and their merge step down and up; a leak on one branch is found there."""
    a1, b2 = linear(tag)[:2]
    merge = Step(f"m9{tag}", (f"b2{tag}", f"x8{tag}"), "pass", "pass")
    side = table(f"x8{tag}", f"a1{tag}", "side")
    result = await _run(make_templates((a1, b2, side, merge)), "stairway")
    assert result.ok, result.message
    assert "4 revision(s) stepped" in result.message
    leaky = Step(side.rev, side.down, side.upgrade, 'op.rename_table("side", "side_old")')
    leaked = make_templates((a1, b2, leaky, merge), root=tmp_path / "leaky")
    result = await _run(leaked, "stairway")
    assert not result.ok
    assert f"x8{tag}" in result.message
