"""An ASGI application that migrates its database before it serves a request.

The lifespan awaits ``asyncmig.upgrade`` inside the server's running event
loop, on the application's own engine (which asyncmig borrows and does not
dispose).  Run it with any ASGI server from a folder with an asyncmig
configuration whose migrations create a ``note`` table::

    uvicorn examples.asgi_app:app
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import asyncmig


def create_app(config: asyncmig.Config | None = None) -> Starlette:
    """The application; `config` defaults to the one found from the working folder."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loaded = config
        if loaded is None:
            # Loading reads files: keep it off the event loop.
            loaded = await anyio.to_thread.run_sync(asyncmig.Config.load)
        engine = create_async_engine(loaded.database("main").url or "")
        try:
            await asyncmig.upgrade(loaded, "head", engines={"main": engine})
            app.state.engine = engine
            yield
        finally:
            await engine.dispose()

    async def notes(request: Request) -> JSONResponse:
        engine: AsyncEngine = request.app.state.engine
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, body FROM note ORDER BY id"))).all()
        return JSONResponse([{"id": row.id, "body": row.body} for row in rows])

    return Starlette(routes=[Route("/notes", notes)], lifespan=lifespan)


app = create_app()
