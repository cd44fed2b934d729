"""The built wheel and the public surface of the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import asyncmig

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_templates_and_typing_marker(tmp_path: Path) -> None:
    """The wheel contains every template folder, py.typed and the console script."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("asyncmig-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    assert "asyncmig/py.typed" in names
    for template in ("generic", "pyproject", "multidb"):
        assert f"asyncmig/templates/{template}/script.py.mako" in names or any(
            n.startswith(f"asyncmig/templates/{template}/") for n in names
        )
    assert "asyncmig/templates/generic/script.py.mako" in names
    assert "asyncmig = asyncmig._cli:main" in scripts


def test_all_names_exist_and_are_public() -> None:
    """Every name in asyncmig.__all__ exists, and nothing private is exported."""
    assert isinstance(asyncmig.__all__, tuple)
    for name in asyncmig.__all__:
        assert hasattr(asyncmig, name), name
        assert not name.startswith("_")


def test_public_objects_present_as_asyncmig_names() -> None:
    """The commands and types users need are reachable from the package root."""
    expected = {
        "Config",
        "RunReport",
        "DatabaseReport",
        "StepReport",
        "RevisionInfo",
        "upgrade",
        "downgrade",
        "current",
        "stamp",
        "ensure_version",
        "wait_for_head",
        "heads",
        "branches",
        "history",
        "show",
        "revision",
        "merge",
        "init",
        "list_templates",
        "op",
        "context",
        "errors",
        "check",
        "CheckReport",
    }
    assert expected <= set(asyncmig.__all__)


def test_import_does_not_load_sqlalchemy() -> None:
    """`import asyncmig` stays light: SQLAlchemy loads only when a database is used."""
    code = "import sys, asyncmig; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
