"""What the try-it form's inputs suggest as a person types: the namespaces, and the names of the
objects of the operation's resource (``GET /try/suggest/...``, an HTML ``<datalist>``'s options).

Read with the visitor's own connection, as metadata only (the cheapest list the API server offers),
and only from the explorer's own pages.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from webexplorer.cluster import ClusterError, Connection
from webexplorer.tryout.segments import SegmentError, check_segment
from webexplorer.web import lookup
from webexplorer.web.forms import FormCheck
from webexplorer.web.state import app_state
from webexplorer.web.templating import render
from webexplorer.web.visitors import connection_for

router = APIRouter()

#: the objects' metadata only (the cheapest list); the plain list from a server that has no such view
METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json"
#: a suggestion reads with the visitor's rights, so only the explorer's own pages may ask (no form)
SAME_ORIGIN = FormCheck(0, csrf=None)


async def _visitor_connection(request: Request) -> Connection:
    connection = await connection_for(request)
    if connection is None:
        raise HTTPException(409, "No live API server (snapshot mode), or you are not signed in.")
    return connection


Suggesting = Annotated[Connection, Depends(_visitor_connection)]


@router.get("/try/suggest/namespaces", dependencies=[Depends(SAME_ORIGIN)])
async def suggest_namespaces(request: Request, connection: Suggesting) -> Response:
    names = await _names(connection, "/api/v1/namespaces")
    return render(request, "_tryout_options.html", {"names": names})


@router.get("/try/suggest/names/{group}/{version}/{resource}", dependencies=[Depends(SAME_ORIGIN)])
async def suggest_names(
    request: Request, connection: Suggesting, group: str, version: str, resource: str
) -> Response:
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
