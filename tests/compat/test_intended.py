"""Intended differences: Alembic refuses a plain op, or loses what asyncmig keeps."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.compat._harness import (
    AlembicFailed,
    Backend,
    check_history,
    diff,
    make_backend,
    run_alembic,
    run_asyncmig,
    snapshot,
    write_scripts,
)
from tests.compat._intended import INTENDED, KEEPS, KEEPS_OFFLINE, Intended, Keeps, KeepsOffline
from tests.compat._known_divergences import KNOWN, KNOWN_OFFLINE
from tests.compat._offline import render, statements
from tests.compat.test_offline import ONLINE_CASES

pytestmark = pytest.mark.compat


def _params() -> list[object]:
    found = []
    for entry in INTENDED:
        marks = [getattr(pytest.mark, entry.backend)] if entry.backend != "sqlite" else []
        if entry.id in KNOWN:
            marks.append(
                pytest.mark.xfail(strict=True, raises=AssertionError, reason=KNOWN[entry.id])
            )
        found.append(pytest.param(entry, id=entry.id, marks=marks))
    return found


@pytest.mark.parametrize("entry", [pytest.param(entry, id=entry.id) for entry in INTENDED])
def test_alembic_refuses_the_plain_form(entry: Intended, tmp_path: Path) -> None:
    """The entry is a real refusal: Alembic fails on the plain op as written."""
    plain, _ = entry.cases()
    with pytest.raises(AlembicFailed):
        check_history(make_backend(entry.backend), plain.scripts(), tmp_path=tmp_path)


@pytest.mark.parametrize("entry", _params())
def test_asyncmig_plain_form_matches_alembic_batch(entry: Intended, tmp_path: Path) -> None:
    """asyncmig's plain op leaves the schema Alembic's batch form leaves, up and down."""
    plain, batch = entry.cases()
    check_history(
        make_backend(entry.backend),
        plain.scripts(),
        alembic_scripts=batch.scripts(),
        tmp_path=tmp_path,
    )


# ------------------------------------------------------------------ Alembic loses, we keep


def _up_and_down(
    tool: str, backend: Backend, scripts: dict[str, str], folder: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run `tool` up to head and down to base on a fresh database; both snapshots."""
    run = run_alembic if tool == "alembic" else run_asyncmig
    versions = write_scripts(folder / tool, scripts)
    found = []
    with backend.database(folder) as database:
        url = database.sync_url if tool == "alembic" else database.async_url
        for verb, target in (("upgrade", "head"), ("downgrade", "base")):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run(folder / tool, versions, url, verb, target)
            found.append(snapshot(database.sync_url))
    return found[0], found[1]


def _keeps_params() -> list[object]:
    found = []
    for entry in KEEPS:
        for backend in entry.backends:
            marks = [] if backend == "sqlite" else [getattr(pytest.mark, backend)]
            found.append(pytest.param(entry, backend, id=f"{entry.id}-{backend}", marks=marks))
    return found


@pytest.mark.parametrize(("entry", "backend"), _keeps_params())
def test_alembic_loses_what_asyncmig_keeps(entry: Keeps, backend: str, tmp_path: Path) -> None:
    """Alembic's schema lacks the entry's thing, asyncmig's has it and is otherwise Alembic's."""
    folder = Path(tempfile.mkdtemp(prefix="keeps_", dir=tmp_path))
    scripts = entry.case().scripts()
    theirs_up, theirs_down = _up_and_down("alembic", make_backend(backend), scripts, folder)
    ours_up, ours_down = _up_and_down("asyncmig", make_backend(backend), scripts, folder)
    assert not entry.kept(theirs_up), f"Alembic now keeps {entry.lost}: drop {entry.id}"
    assert entry.kept(ours_up), f"asyncmig lost {entry.lost}"
    unexpected = [
        line
        for line in diff(theirs_up, ours_up)
        if not any(line.startswith(f"{path}:") for path in entry.differs)
    ]
    assert unexpected == []
    if entry.sqlite_added:
        table = f"table {entry.sqlite_table}"
        ours = ours_up["sqlite_master"][table].replace(entry.sqlite_added, "", 1)
        assert ours == theirs_up["sqlite_master"][table]
    assert diff(theirs_down, ours_down) == []


def test_keeps_entries_are_not_also_known_divergences() -> None:
    """An entry is either an intended difference or an open divergence, never both."""
    assert not {entry.id for entry in KEEPS} & {key.rsplit("-", 1)[0] for key in KNOWN}
    assert not {entry.case_id for entry in KEEPS_OFFLINE} & set(KNOWN_OFFLINE)


def _offline_params() -> list[object]:
    found = []
    for entry in KEEPS_OFFLINE:
        case = next(case for case in ONLINE_CASES if case.id == entry.case_id)
        for backend in case.backends:
            marks = [] if backend == "sqlite" else [getattr(pytest.mark, backend)]
            found.append(pytest.param(entry, backend, id=f"{entry.case_id}-{backend}", marks=marks))
    return found


@pytest.mark.parametrize(("entry", "backend"), _offline_params())
def test_alembic_offline_text_is_not_the_scripts(
    entry: KeepsOffline, backend: str, tmp_path: Path
) -> None:
    """Alembic's --sql has the entry's text, asyncmig's has the script's instead, else equal."""
    case = next(case for case in ONLINE_CASES if case.id == entry.case_id)
    scripts = case.scripts()
    for verb, target in (("upgrade", "head"), ("downgrade", "c1:base")):
        folder = Path(tempfile.mkdtemp(prefix="keeps_offline_", dir=tmp_path))
        theirs = statements(
            render("alembic", backend, scripts, verb=verb, target=target, folder=folder)
        )
        ours = statements(
            render("asyncmig", backend, scripts, verb=verb, target=target, folder=folder)
        )
        if verb == "upgrade":
            assert any(entry.alembic_text in line for line in theirs), "Alembic changed: drop it"
        assert ours == [line.replace(entry.alembic_text, entry.ours) for line in theirs]
