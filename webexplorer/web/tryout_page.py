"""The try-it form page: ``GET /try/{group}/{version}/{operation}``, refilled from a shareable link's
query and never sending anything by itself.

A whole page without JavaScript, or the panel the operation page loads into its ``#try-it`` section
(htmx). The operation a try-it URL names (:func:`tried_operation`, a FastAPI dependency), the form as
this visitor may use it (:func:`visitor_form`) and the page's context (:func:`page_context`) are shared
with the send route, whose whole-page answer shows the form again above the result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from webexplorer.catalog import Catalog, CatalogError, Operation
from webexplorer.cluster import ClusterError, Connection
from webexplorer.tryout.segments import SegmentError, build_path
from webexplorer.tryout.share import prefill
from webexplorer.tryout.skeleton import strip_live_object
from webexplorer.web import lookup, urls
from webexplorer.web.csrf import csrf_token
from webexplorer.web.state import app_state
from webexplorer.web.templating import render
from webexplorer.web.tryout_form import FormView, build_form
from webexplorer.web.visitors import connection_for, identities_of, visitor_of

router = APIRouter()


@dataclass(frozen=True, slots=True)
class TriedOperation:
    """The operation a try-it URL names, with the group and version as the URL spells them."""

    catalog: Catalog
    op: Operation
    group: str
    version: str

    @property
    def action(self) -> str:
        """Where its form is shown and posted to."""
        return urls.url_try(self.group, self.version, self.op.operation_id)

    @property
    def docs_url(self) -> str:
        return urls.url_operation(self.group, self.version, self.op.operation_id)


async def tried_operation(request: Request, group: str, version: str, operation_id: str) -> TriedOperation:
    """The FastAPI dependency of every route under ``/try/{group}/{version}/{operation_id}``: a 400, 404
    or 503 page before anything else of the request is looked at."""
    catalog = app_state(request).catalog()
    g, _ = lookup.group_version_of(catalog, group, version)
    lookup.check(operation_id, urls.valid_operation_id, "operation id")
    try:
        index = await catalog.operations_for(g.name, version)
    except CatalogError as exc:
        where = f"{g.display_name}/{version}"
        unreadable = HTTPException(503, f"The operations of {where} could not be read: {exc}")
        raise lookup.document_problem(exc, unreadable) from None
    op = index.by_id(operation_id)
    if op is None:
        raise HTTPException(404, f"{g.display_name}/{version} has no operation {operation_id!r}.")
    return TriedOperation(catalog, op, group, version)


Tried = Annotated[TriedOperation, Depends(tried_operation)]


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.get("/try/{group}/{version}/{operation_id}")
async def form_page(request: Request, tried: Tried) -> Response:
    """The form: refilled from a shareable link's query, never sending anything by itself."""
    values = prefill(dict(request.query_params))
    live = None
    live_problem = None
    if request.query_params.get("load_live") == "1" and tried.op.method == "PUT":
        live, live_problem = await _live_object(await connection_for(request), tried.op, values)
    form = await visitor_form(request, tried, values, live_object=live)
    context = page_context(request, tried, form, live_problem=live_problem)
    return render(request, "_tryout_panel.html" if is_htmx(request) else "tryout.html", context)


def page_context(
    request: Request, tried: TriedOperation, form: FormView | None, *, live_problem: str | None = None
) -> dict[str, Any]:
    """What ``tryout.html`` and ``_tryout_panel.html`` read: the form (None when a guard refused the
    request: no form is rebuilt for it) with its CSRF token, and no answer yet (``result``: the send
    route's :class:`~.tryout_result.TryResult`)."""
    return {
        "form": form,
        "csrf": csrf_token(request) if form is not None else "",
        "docs_url": tried.docs_url,
        "live_problem": live_problem,
        "result": None,
    }


async def visitor_form(
    request: Request,
    tried: TriedOperation,
    values: dict[str, str],
    *,
    live_object: dict[str, Any] | None = None,
) -> FormView:
    """The form, and what this visitor's identity may do with it: sign in first (``--identity
    token``), or a Send button greyed out with the reason from a (briefly cached)
    ``SelfSubjectAccessReview``."""
    explorer = app_state(request).explorer
    form = await build_form(
        explorer, tried.catalog, tried.op, tried.group, tried.version, values, live_object=live_object
    )
    if form.disabled is not None:
        return form
    visitor = await visitor_of(request)
    if visitor.connection is None:
        return replace(form, disabled=visitor.needs_sign_in, sign_in=visitor.needs_sign_in is not None)
    path_values = {i.field: i.value for i in form.path_inputs}
    return replace(form, denied=await identities_of(request).denied(visitor, form.op, path_values))


async def _live_object(
    connection: Connection | None, op: Operation, values: dict[str, str]
) -> tuple[dict[str, Any] | None, str | None]:
    """The object a PUT would replace (GET of the same path), for the body editor."""
    if connection is None:
        return None, "No live API server to read the object from (or you are not signed in)."
    try:
        path = build_path(op.path, {p.name: values.get(f"p.{p.name}", "") for p in op.path_params})
    except SegmentError as exc:
        return None, str(exc)
    try:
        reply = await connection.request("GET", path, headers={"Accept": "application/json"})
    except ClusterError as exc:
        return None, str(exc)
    if reply.status != 200:
        return None, f"Reading the live object answered {reply.status} {reply.reason}."
    value = orjson.loads(reply.body)
    return strip_live_object(value), None
