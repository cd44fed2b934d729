"""The ASGI example: its lifespan migrates before serving, inside the running loop."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tests.runtime._scripts import Rev, write_project

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).parents[2] / "examples" / "asgi_app.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("asyncmig_asgi_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_lifespan_migrates_then_serves(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Driving the app's lifespan upgrades to head; the endpoint reads the migrated table."""
    revs = [
        Rev(
            "n1",
            None,
            """
            op.create_table(
                "note",
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("body", sa.String(100)),
            )
            op.execute("INSERT INTO note (id, body) VALUES (1, 'hello')")
            """,
        )
    ]
    config = write_project(tmp_path, database_url, revs)
    monkeypatch.chdir(tmp_path)  # the module-level `app` loads nothing until its lifespan runs
    app = _example().create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/notes")
    assert response.status_code == 200
    assert response.json() == [{"id": 1, "body": "hello"}]
