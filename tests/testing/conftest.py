"""Fixtures of the plugin's tests: a project per test, and its templates cleaned up after."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from asyncmig import Config
from asyncmig.testing import Templates

from ._project import linear, write_project


@pytest.fixture
def tag() -> str:
    """A suffix for revision ids, so that tests running at once never share a history."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
async def make_templates(any_database_url: str, tmp_path: Path, tag: str) -> AsyncIterator[object]:
    """Build Templates on the test's server for a project written from steps (default: linear)."""
    made: list[Templates] = []

    def make(steps: object = None, *, keep: int = 5, root: Path | None = None) -> Templates:
        root = root or tmp_path / "project"
        if not (root / "asyncmig.toml").exists() or steps is not None:
            write_project(root, any_database_url, steps or linear(tag))  # type: ignore[arg-type]
        templates = Templates(
            Config.load(root / "asyncmig.toml"),
            "main",
            folder=tmp_path / "templates",
            clone_folder=tmp_path,
            keep=keep,
        )
        made.append(templates)
        return templates

    yield make
    for templates in made:
        for _, name in await templates.server.templates("asyncmig_tpl_"):
            if name[len("asyncmig_tpl_") :][:6] == (await templates.name("head"))[13:19]:
                await templates.server.drop(name)
        await templates.close()
