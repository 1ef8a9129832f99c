"""The ASGI application: ``uvicorn webexplorer.app:app`` serves it as any FastAPI app is served.

``app`` is configured from ``WEBEXPLORER_*`` environment variables; the ``webexplorer`` command builds
its own with :func:`create_app` from its flags. Every route is registered here, in one place, so the
whole surface of the explorer can be read at a glance.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException

from webexplorer import __version__
from webexplorer.explorer import Explorer
from webexplorer.settings import Settings
from webexplorer.web import (
    access,
    diff,
    errors,
    groups,
    health,
    history,
    home,
    metrics,
    operations,
    pod,
    raw,
    resources,
    schemas,
    search,
    tryout_check,
    tryout_page,
    tryout_send,
    tryout_suggest,
    tryout_views,
    tryout_watch,
    upgrade,
)
from webexplorer.web.assets import serve_asset
from webexplorer.web.contexts import ContextMiddleware
from webexplorer.web.csrf import SessionMiddleware, Sessions
from webexplorer.web.exposition import observe_upstream
from webexplorer.web.guards import GuardMiddleware, HostAllowList
from webexplorer.web.head import HeadAsGetMiddleware
from webexplorer.web.releaseview import ReleaseViewMiddleware
from webexplorer.web.routemarks import PROBE, STREAM, marked_paths
from webexplorer.web.signin_cookie import SignInCookieMiddleware
from webexplorer.web.state import ATTRIBUTE as STATE_ATTRIBUTE
from webexplorer.web.state import AppState
from webexplorer.web.visitors import load_header_identity


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    state = AppState.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.slot.fill(await Explorer.open(settings, observer=observe_upstream))
        try:
            yield
        finally:
            await state.identities.aclose()
            await state.contexts.aclose()
            explorer = state.slot.take()
            if explorer is not None:
                await explorer.close()

    app = FastAPI(
        title="webexplorer",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    setattr(app.state, STATE_ATTRIBUTE, state)  # the one object on app.state (web/state.py)
    app.add_exception_handler(StarletteHTTPException, errors.http_exception_handler)
    app.add_exception_handler(Exception, errors.unexpected_exception_handler)

    # the whole surface, one line per page family (URL scheme: docs/architecture.md, "Pages and their URLs")
    app.include_router(health.router)  # /healthz /readyz
    app.include_router(metrics.router)  # /metrics (Prometheus)
    # every page's header names who this visitor's requests run as (web/identity.py)
    page = [Depends(load_header_identity)]
    app.include_router(home.router, dependencies=page)  # /
    app.include_router(groups.router, dependencies=page)  # /g/<group>  /g/<group>/<version>
    app.include_router(resources.router, dependencies=page)  # /g/<group>/<version>/<resource>
    app.include_router(operations.router, dependencies=page)  # /op/<group>/<version>/<operationId>
    # /schema/<group>/<version>/<Kind or definition>[/<field.path>]
    app.include_router(schemas.router, dependencies=page)
    app.include_router(search.router, dependencies=page)  # /search?q=
    app.include_router(raw.router, dependencies=page)  # /raw/<api path>
    app.include_router(diff.router, dependencies=page)  # /diff?old=&new=
    app.include_router(upgrade.router, dependencies=page)  # /upgrade?target=<embedded release>
    app.include_router(
        pod.router, dependencies=page
    )  # /pod: the Downward API of the pod the explorer runs in
    # try it out (web/tryout_*.py): the form; sending, and the answer's download; the views left for later;
    # the form's suggestions; watches
    app.include_router(tryout_page.router, dependencies=page)  # GET /try/<group>/<version>/<operationId>
    app.include_router(tryout_send.router, dependencies=page)  # POST to the same, /try/answer/<key>
    app.include_router(tryout_views.router, dependencies=page)  # /try/view/yaml, /try/view/explain
    app.include_router(tryout_check.router, dependencies=page)  # POST /try/<g>/<v>/<operationId>/check
    app.include_router(tryout_suggest.router, dependencies=page)  # /try/suggest/namespaces, .../names/...
    # /try/watch/<ticket>, /try/watch-stop/<ticket>
    app.include_router(tryout_watch.router, dependencies=page)
    app.include_router(access.router, dependencies=page)  # /signin /signout (--identity token), /can-i
    app.include_router(history.router, dependencies=page)  # /history (kept in the browser)
    # /static/<file>?v=<hash>: CSS, scripts, icon from memory, gzipped once (web/assets.py)
    app.add_api_route("/static/{path:path}", serve_asset, methods=["GET", "HEAD"], include_in_schema=False)

    allowed = [*settings.allowed_hosts]
    if settings.host not in ("0.0.0.0", "::", ""):  # noqa: S104 - comparing, not binding
        allowed.append(settings.host)
    # which paths are probes and streams, the routes say (tags=[PROBE], tags=[STREAM]: web/routemarks.py)
    marked = (health.router, metrics.router, tryout_watch.router)
    # HEAD on any page answers like GET, without the body
    app.add_middleware(HeadAsGetMiddleware, streaming=marked_paths(marked, STREAM))
    # /ctx/<name>/<page>: <page> of another kubeconfig context (--contexts), with its own explorer
    app.add_middleware(
        ReleaseViewMiddleware, releases=state.releases
    )  # /release/<v>/<page>, inside a context
    app.add_middleware(ContextMiddleware, contexts=state.contexts)
    app.add_middleware(SignInCookieMiddleware, always_secure=settings.secure_cookies)
    # CSRF tokens (web/csrf.py) are keyed by the session the middleware reads
    app.add_middleware(
        SessionMiddleware, sessions=Sessions(settings.secret_key), always_secure=settings.secure_cookies
    )
    app.add_middleware(GuardMiddleware, allowed=HostAllowList(allowed), probes=marked_paths(marked, PROBE))
    app.add_middleware(metrics.MetricsMiddleware)  # outermost: counts the guard's refusals too
    return app


app = create_app()
