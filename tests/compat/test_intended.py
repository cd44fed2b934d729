"""Intended differences: Alembic refuses a plain op; asyncmig leaves what its batch form leaves."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat._harness import AlembicFailed, check_history, make_backend
from tests.compat._intended import INTENDED, Intended
from tests.compat._known_divergences import KNOWN

pytestmark = pytest.mark.compat


def _params() -> list[object]:
    found = []
    for entry in INTENDED:
        marks = [pytest.mark.postgresql] if entry.backend == "postgresql" else []
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
