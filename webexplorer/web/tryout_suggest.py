"""What the try-it form's inputs suggest as a person types: the namespaces, and the names of the
objects of the operation's resource (``GET /try/suggest/...``, an HTML ``<datalist>``'s options).

Read with the visitor's own connection, as metadata only (the cheapest list the API server offers),
and only from the explorer's own pages.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from webexplorer.cluster import ClusterError, Connection
from webexplorer.tryout.segments import SegmentError, check_segment
from webexplorer.web import lookup
from webexplorer.web.csrf import same_origin_problem
from webexplorer.web.state import app_state
from webexplorer.web.templating import render
from webexplorer.web.visitors import connection_for

router = APIRouter()

#: asks for the objects' metadata only; a server that cannot answers with the full list
METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json"


async def _suggestions_allowed(request: Request) -> Connection:
    problem = same_origin_problem(request)
    if problem is not None:
        raise HTTPException(403, problem)
    connection = await connection_for(request)
    if connection is None:
        raise HTTPException(409, "No live API server (snapshot mode), or you are not signed in.")
    return connection


@router.get("/try/suggest/namespaces")
async def suggest_namespaces(request: Request) -> Response:
    connection = await _suggestions_allowed(request)
    names = await _names(connection, "/api/v1/namespaces")
    return render(request, "_tryout_options.html", {"names": names})


@router.get("/try/suggest/names/{group}/{version}/{resource}")
async def suggest_names(request: Request, group: str, version: str, resource: str) -> Response:
    connection = await _suggestions_allowed(request)
    catalog = app_state(request).catalog()
    _, _, r = lookup.resource_of(catalog, group, version, resource)
    namespace = request.query_params.get("p.namespace", "")
    base = r.base_path
    if r.namespaced and namespace:
        try:
            check_segment("namespace", namespace)
        except SegmentError:
            return render(request, "_tryout_options.html", {"names": []})
        path = f"{base}/namespaces/{namespace}/{r.name}"
    else:
        path = f"{base}/{r.name}"
    names = await _names(connection, path) if "list" in r.verbs else []
    return render(request, "_tryout_options.html", {"names": names})


async def _names(connection: Connection, path: str) -> list[str]:
    """Up to 200 object names, read as metadata only (the cheapest list the API server offers)."""
    try:
        reply = await connection.request(
            "GET", path, params={"limit": "200"}, headers={"Accept": METADATA_ACCEPT}
        )
    except ClusterError:
        return []
    if reply.status != 200:
        return []
    items = orjson.loads(reply.body).get("items") or []
    return sorted(str(i.get("metadata", {}).get("name", "")) for i in items if isinstance(i, dict))
