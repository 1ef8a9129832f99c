"""The ASGI application: ``uvicorn webexplorer.app:app`` serves it as any FastAPI app is served.

``app`` is configured from ``WEBEXPLORER_*`` environment variables; the ``webexplorer`` command builds
its own with :func:`create_app` from its flags. Every route is registered here, in one place, so the
whole surface of the explorer can be read at a glance.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from webexplorer import __version__
from webexplorer.explorer import Explorer
from webexplorer.settings import Settings
from webexplorer.web import errors, health, home
from webexplorer.web.guards import GuardMiddleware, HostAllowList
from webexplorer.web.templating import STATIC_DIR


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    explorer = Explorer(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await explorer.start()
        try:
            yield
        finally:
            await explorer.stop()

    app = FastAPI(
        title="webexplorer",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.explorer = explorer
    app.add_exception_handler(StarletteHTTPException, errors.http_exception_handler)
    app.add_exception_handler(Exception, errors.unexpected_exception_handler)

    app.include_router(health.router)
    app.include_router(home.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    allowed = [*settings.allowed_hosts]
    if settings.host not in ("0.0.0.0", "::", ""):  # noqa: S104 - comparing, not binding
        allowed.append(settings.host)
    app.add_middleware(GuardMiddleware, allowed=HostAllowList(allowed))
    return app


app = create_app()
