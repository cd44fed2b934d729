"""The commands that need no database, run as the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.cli._run import fails, ok, run_cli

COMMANDS = (
    "init",
    "list-templates",
    "revision",
    "merge",
    "heads",
    "branches",
    "history",
    "show",
    "edit",
    "upgrade",
    "downgrade",
    "stamp",
    "current",
    "ensure-version",
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh `asyncmig init migrations` project."""
    ok("init", "migrations", cwd=tmp_path)
    return tmp_path


def _revision(project: Path, *args: str) -> str:
    ok("revision", *args, cwd=project)
    return args[args.index("--rev-id") + 1] if "--rev-id" in args else ""


def test_help_lists_every_command(tmp_path: Path) -> None:
    """`asyncmig --help` names every command, and each has its own --help."""
    out = ok("--help", cwd=tmp_path)
    for name in COMMANDS:
        assert name in out
        assert ok(name, "--help", cwd=tmp_path).startswith("usage: asyncmig " + name)


def test_version_flag(tmp_path: Path) -> None:
    """`--version` prints the installed version."""
    assert ok("--version", cwd=tmp_path).startswith("asyncmig ")


def test_usage_error_exits_2(tmp_path: Path) -> None:
    """An unknown command or missing argument is a usage error: exit 2."""
    assert run_cli("frobnicate", cwd=tmp_path).returncode == 2
    assert run_cli("show", cwd=tmp_path).returncode == 2


def test_missing_config_is_one_line(tmp_path: Path) -> None:
    """Without any configuration, `heads` says so in one line and exits 1."""
    err = fails("heads", cwd=tmp_path)
    assert "init" in err


def test_list_templates_names_all_three(tmp_path: Path) -> None:
    """`list-templates` shows generic, pyproject and multidb with descriptions."""
    out = ok("list-templates", cwd=tmp_path)
    for name in ("generic", "pyproject", "multidb"):
        assert f"{name} - " in out


def test_init_refuses_non_empty_directory(tmp_path: Path) -> None:
    """`init` into a folder that has files is refused with exit 1."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "keep.txt").write_text("x")
    err = fails("init", "migrations", cwd=tmp_path)
    assert "migrations" in err


def test_revision_heads_history_show(project: Path) -> None:
    """A linear history made by `revision` shows up in heads, history and show."""
    _revision(project, "-m", "create account", "--rev-id", "aaa111")
    _revision(project, "-m", "add email", "--rev-id", "bbb222")
    assert ok("heads", cwd=project).strip() == "bbb222 (head)"
    history = ok("history", cwd=project).strip().splitlines()
    assert history == ["aaa111 -> bbb222 (head), add email", "<base> -> aaa111, create account"]
    shown = ok("show", "aaa", cwd=project)
    assert "Rev: aaa111" in shown
    assert "create account" in shown
    assert "Path: " in shown


def test_json_output(project: Path) -> None:
    """`--json` on heads, history and show gives parseable records."""
    _revision(project, "-m", "one", "--rev-id", "aaa111")
    heads = json.loads(ok("heads", "--json", cwd=project))
    assert [h["revision"] for h in heads] == ["aaa111"]
    assert heads[0]["is_head"] is True
    history = json.loads(ok("history", "--json", cwd=project))
    assert history[0]["message"] == "one"
    shown = json.loads(ok("show", "head", "--json", cwd=project))
    assert shown[0]["path"].endswith(".py")
    assert json.loads(ok("branches", "--json", cwd=project)) == []


def test_revision_refuses_to_branch_off_non_head(project: Path) -> None:
    """`revision --head <non-head>` needs --splice, and works with it."""
    _revision(project, "-m", "one", "--rev-id", "aaa111")
    _revision(project, "-m", "two", "--rev-id", "bbb222")
    err = fails("revision", "-m", "side", "--head", "aaa111", cwd=project)
    assert "aaa111" in err
    assert "--splice" in err
    ok("revision", "-m", "side", "--head", "aaa111", "--splice", "--rev-id", "ccc333", cwd=project)
    heads = ok("heads", cwd=project).split()
    assert "bbb222" in heads
    assert "ccc333" in heads


def test_several_heads_need_head_or_merge(project: Path) -> None:
    """With two heads, `revision` asks for --head; `merge heads` joins them."""
    _revision(project, "-m", "one", "--rev-id", "aaa111")
    _revision(project, "-m", "two", "--rev-id", "bbb222")
    ok("revision", "-m", "side", "--head", "aaa111", "--splice", "--rev-id", "ccc333", cwd=project)
    err = fails("revision", "-m", "more", cwd=project)
    assert "--head" in err
    ok("merge", "heads", "-m", "join", "--rev-id", "ddd444", cwd=project)
    assert ok("heads", cwd=project).strip() == "ddd444 (head) (mergepoint)"
    branches = ok("branches", cwd=project)
    assert "aaa111 (branchpoint)" in branches
    assert "-> bbb222" in branches
    assert "-> ccc333" in branches


def test_branch_labels_and_label_targets(project: Path) -> None:
    """A labelled branch can be named as `label@head` in show."""
    _revision(project, "-m", "base", "--rev-id", "aaa111")
    ok(
        "revision",
        "-m",
        "feature",
        "--head",
        "base",
        "--branch-label",
        "feature",
        "--rev-id",
        "fff111",
        cwd=project,
    )
    shown = json.loads(ok("show", "feature@head", "--json", cwd=project))
    assert [s["revision"] for s in shown] == ["fff111"]
    assert shown[0]["branch_labels"] == ["feature"]


def test_unknown_and_ambiguous_targets(project: Path) -> None:
    """Unknown and ambiguous revisions are one-line errors naming them."""
    _revision(project, "-m", "one", "--rev-id", "abc111")
    _revision(project, "-m", "two", "--rev-id", "abc222")
    assert "nope" in fails("show", "nope", cwd=project)
    err = fails("show", "abc", cwd=project)
    assert "abc111" in err
    assert "abc222" in err


def test_history_ranges(project: Path) -> None:
    """`history -r a:b` lists only that span, newest first."""
    for number, rev in enumerate(("aaa111", "bbb222", "ccc333", "ddd444")):
        _revision(project, "-m", f"step {number}", "--rev-id", rev)
    out = ok("history", "-r", "bbb222:ccc333", cwd=project).strip().splitlines()
    assert [line.split(" -> ")[1].split()[0].rstrip(",") for line in out] == ["ccc333", "bbb222"]
    verbose = ok("history", "-v", "-r", "ccc333:", cwd=project)
    assert verbose.count("Rev: ") == 2


def test_edit_opens_editor(project: Path, tmp_path: Path) -> None:
    """`edit` runs $EDITOR on the revision's file."""
    _revision(project, "-m", "one", "--rev-id", "aaa111")
    marker = tmp_path / "edited.txt"
    editor = tmp_path / "fake-editor.sh"
    editor.write_text(f'#!/bin/sh\necho "$1" > {marker}\n')
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    ok("edit", "aaa111", cwd=project, env={"EDITOR": str(editor), "VISUAL": ""})
    assert marker.read_text().strip().endswith("aaa111_one.py")


def test_edit_failing_editor_is_an_error(project: Path) -> None:
    """An editor that exits non-zero is reported in one line."""
    _revision(project, "-m", "one", "--rev-id", "aaa111")
    err = fails("edit", "head", cwd=project, env={"EDITOR": "false", "VISUAL": ""})
    assert "status 1" in err


def test_config_flag_and_env(project: Path, tmp_path: Path) -> None:
    """`-c` and ASYNCMIG_CONFIG point at a configuration elsewhere."""
    _revision(project, "-m", "one", "--rev-id", "aaa111")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = str(project / "asyncmig.toml")
    assert "aaa111" in ok("-c", config, "heads", cwd=elsewhere)
    assert "aaa111" in ok("heads", cwd=elsewhere, env={"ASYNCMIG_CONFIG": config})
    assert os.path.exists(config)


def test_concurrency_must_be_positive(tmp_path: Path) -> None:
    """`--concurrency 0` is a usage error (exit 2), caught before any work."""
    result = run_cli("upgrade", "head", "--concurrency", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "--concurrency" in result.stderr
