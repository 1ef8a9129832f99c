"""Raw documents: every discovery document, the OpenAPI v3 index and documents, ``/openapi/v2`` and
``/version``, pretty-printed with the paths inside them linked, and downloadable (``?download=1``).

``/raw/<api path>`` mirrors the API path, so walking ``/`` → ``/apis/batch`` → ``/apis/batch/v1`` →
``/apis/batch/v1/jobs`` → ``…/namespaces/default/jobs/my-job`` is one click per step. The last two are
object reads, not documents: their pages name the matching list/get operation (whose page sends it,
once try-it exists) instead of fetching anything, so this module only ever GETs documents.

Documents come through the explorer's :class:`~webexplorer.source.DocumentSource`, the same one the
catalog reads (so the snapshot serves them offline). Every document read from a live server is kept as
its last good copy (:mod:`webexplorer.catalog.copies`): revalidated with If-None-Match when it has an
ETag, and shown, labelled as a copy with its age and the reason (:class:`~.rawcache.CopyNote`, also as
response headers), when the server cannot answer; only a document never seen answers 503 then. The
linked HTML of large documents is cached per body, so a second look at ``/openapi/v2`` costs neither
the transfer nor the rendering.
"""

from __future__ import annotations

import contextlib
from urllib.parse import quote

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from webexplorer.catalog import Catalog, CatalogError, Operation, OperationIndex
from webexplorer.catalog.copies import Copy
from webexplorer.catalog.discovery import AGGREGATED_ACCEPT
from webexplorer.catalog.model import group_version_path, split_group_version
from webexplorer.catalog.operations import parse_path
from webexplorer.catalog.schema import ref_name
from webexplorer.source import Fetched, SourceError
from webexplorer.web import rawdoc, urls
from webexplorer.web.rawcache import CopyNote, Served
from webexplorer.web.rawdoc import Linker
from webexplorer.web.state import app_state
from webexplorer.web.templating import render
from webexplorer.web.urls import URL_PREFIX

router = APIRouter()

#: documents smaller than this are rendered on every request (cheaper than hashing them for a cache)
CACHE_MIN_BYTES = 64 << 10


def _doc_group_version(segs: list[str]) -> tuple[str, str] | None:
    """The group version a document describes (discovery resource lists and v3 documents)."""
    body = segs[2:] if segs[:2] == ["openapi", "v3"] else segs
    if len(body) == 2 and body[0] == "api":
        return "", body[1]
    if len(body) == 3 and body[0] == "apis":
        return body[1], body[2]
    return None


def linker_for(segs: list[str], catalog: Catalog | None) -> Linker:
    """What links a document's strings get: documents → their raw page, API paths → the resource
    (only if the catalog has it, so no link leads to a 404), ``$ref`` → the schema page."""
    gv = _doc_group_version(segs)
    is_resource_list = gv is not None and segs[0] in ("api", "apis")
    is_v3_doc = gv is not None and segs[0] == "openapi"

    def page_of_path(value: str) -> str | None:
        target_segs = rawdoc.api_path_segments(value.split("?", 1)[0])
        if target_segs is None or value == "/":
            return None
        if rawdoc.is_document_path(target_segs):
            return urls.url_raw(value)
        href = urls.url_for_api_path(value)
        if href is None or catalog is None:
            return None
        t = parse_path(value)
        if t is None or (t.resource is not None and catalog.resource(t.group, t.version, t.resource) is None):
            return None
        return href

    def link(key: str | None, value: str) -> str | None:
        if key is None:
            return page_of_path(value)
        if key == "serverRelativeURL":
            return urls.url_raw(value)
        if key == "groupVersion":
            g, v = split_group_version(value)
            return urls.url_raw(group_version_path(g, v)) if v else None
        if key == "$ref" and is_v3_doc and gv is not None and catalog is not None:
            name = ref_name(value)
            if name and catalog.group_version(*gv) is not None:
                return urls.url_schema(gv[0], gv[1], name)
            return None
        if key == "name" and is_resource_list and gv is not None:
            parent, _, sub = value.partition("/")
            if sub:
                return urls.url_resource(gv[0], gv[1], parent, sub)
            r = catalog.resource(gv[0], gv[1], value) if catalog is not None else None
            if r is not None and "list" not in r.verbs:  # create-only (bindings, *reviews): no read path
                return urls.url_for_resource(r)
            return urls.url_raw(f"{group_version_path(*gv)}/{value}")
        return None

    return link


async def _fetch(request: Request, segs: list[str], aggregated: bool) -> Served:
    """The document now, or — when the server cannot answer — the last good copy the explorer holds
    (a 503 saying so when it holds none)."""
    explorer = app_state(request).explorer
    path = "/" + "/".join(segs)
    fetch_path = path
    catalog = explorer.store.current
    if segs[:2] == ["openapi", "v3"] and len(segs) > 2 and catalog is not None and catalog.v3_index:
        key = "/".join(segs[2:])
        entry = next((e for e in catalog.v3_index.entries if e.key == key), None)
        if entry is not None:
            fetch_path = entry.url  # the immutable ?hash= URL
    accept = AGGREGATED_ACCEPT if aggregated else "application/json"
    kept = explorer.copies.get(fetch_path, accept) if explorer.copies is not None else None
    try:
        got = await explorer.source.fetch(fetch_path, accept=accept, etag=kept.fetched.etag if kept else None)
    except SourceError as exc:
        return _from_copy(path, kept, str(exc))
    if got.status == 304 and kept is not None:
        return Served(kept.fetched)
    if (got.status >= 500 or got.status == 429) and kept is not None:
        return _from_copy(path, kept, f"The API server answered HTTP {got.status} for {path}.")
    if got.status == 404 and not segs and explorer.offline and catalog is not None:
        return Served(Fetched(200, _root_paths(catalog), {"content-type": "application/json"}, "/"))
    return Served(got)


def _from_copy(path: str, kept: Copy | None, reason: str) -> Served:
    if kept is None:
        why = reason[:1].lower() + reason[1:] if reason.startswith("The ") else reason
        raise HTTPException(
            503,
            f"{path} cannot be shown: the explorer has never seen this document, so it holds no copy of it, "
            f"and {why}",
        )
    return Served(kept.fetched, CopyNote.of(kept, reason))


def _root_paths(catalog: Catalog) -> bytes:
    """What ``GET /`` lists, assembled from the catalog (snapshots do not record ``/``)."""
    paths = {"/api", "/apis", "/openapi/v2", "/openapi/v3", "/version"}
    for g in catalog.groups:
        if not g.is_core:
            paths.add(f"/apis/{g.name}")
        paths.update(v.path for v in g.versions)
    return orjson.dumps({"paths": sorted(paths)})


@router.get("/raw", include_in_schema=False)
async def raw_root() -> RedirectResponse:
    return RedirectResponse(urls.url_raw("/"), status_code=308)


@router.get("/raw/{api_path:path}", response_class=HTMLResponse)
async def raw_page(
    request: Request,
    api_path: str,
    download: str = "",
    aggregated: str = "",
    namespace: str = "",
    name: str = "",
) -> Response:
    segs = rawdoc.api_path_segments(api_path)
    if segs is None:
        raise HTTPException(400, f"{api_path[:80]!r} is not an API path the explorer can show.")
    path = "/" + "/".join(segs)
    if not rawdoc.is_document_path(segs):
        return await _object_read(request, segs, namespace, name)
    want_aggregated = aggregated == "1" and segs in (["api"], ["apis"])
    served = await _fetch(request, segs, want_aggregated)
    got, copy = served.fetched, served.copy
    copy_headers = copy.headers() if copy is not None else {}
    if download == "1" and got.status == 200:
        filename = rawdoc.download_name(segs, want_aggregated)
        return Response(
            got.body,
            media_type=got.content_type or "application/json",
            headers={"content-disposition": f'attachment; filename="{filename}"', **copy_headers},
        )
    explorer = app_state(request).explorer
    html = _rendered(request, segs, want_aggregated, got, explorer.store.current)
    assembled = not segs and got.url == "/" and explorer.offline
    return render(
        request,
        "raw.html",
        {
            "path": path,
            "segs": segs,
            "crumbs": crumbs(segs),
            "aggregated": want_aggregated,
            "can_aggregate": segs in (["api"], ["apis"]),
            "status": got.status,
            "content_type": got.content_type,
            "size": len(got.body),
            "document": html,
            "assembled": assembled,
            "copy": copy,
        },
        status_code=200 if got.status == 200 else (got.status if 400 <= got.status < 600 else 502),
        headers=copy_headers,
    )


def crumbs(segs: list[str], index: OperationIndex | None = None) -> list[tuple[str, str | None]]:
    """Breadcrumbs of an API path: each prefix links to its raw page when that page exists (a
    document, or a path one of ``index``'s GET operations reads), so no crumb leads to a 404."""
    out: list[tuple[str, str | None]] = []
    for i, seg in enumerate(segs, start=1):
        prefix = segs[:i]
        path = "/" + "/".join(prefix)
        if prefix[:2] == ["openapi", "v3"] and len(prefix) > 2 and prefix != segs:
            # only the index and its documents exist under /openapi/v3, not every prefix of their keys
            out.append((seg, None))
            continue
        ok = rawdoc.is_document_path(prefix) or (
            index is not None
            and any(
                op.method == "GET" and rawdoc.match_template(op.path, path) is not None
                for op in index.operations
            )
        )
        out.append((seg, urls.url_raw(path) if ok and i < len(segs) else None))
    return out


def _rendered(
    request: Request, segs: list[str], aggregated: bool, got: Fetched, catalog: Catalog | None
) -> Markup | None:
    key = None
    state = app_state(request)
    cache = state.raw_cache
    if len(got.body) >= CACHE_MIN_BYTES:
        generation = state.explorer.store.generation
        key = (URL_PREFIX.get() + "/".join(segs), aggregated, generation, len(got.body), hash(got.body))
        hit = cache.html.get(key)
        if hit is not None:
            return hit
    try:
        text = rawdoc.pretty(got.body)
    except ValueError:
        return None
    html = rawdoc.linked_json(text, linker_for(segs, catalog))
    if key is not None:
        cache.html.put(key, html)
    return html


async def _object_read(request: Request, segs: list[str], namespace: str, name: str) -> Response:
    """A path that reads objects: name the operation that does it, never send it from here."""
    explorer = app_state(request).explorer
    path = "/" + "/".join(segs)
    catalog = explorer.store.current
    ops: list[tuple[Operation, dict[str, str]]] = []
    gv: tuple[str, str] | None = None
    if segs[0] == "api" and len(segs) > 2:
        gv = ("", segs[1])
    elif segs[0] == "apis" and len(segs) > 3:
        gv = (segs[1], segs[2])
    index: OperationIndex | None = None
    if gv is not None and catalog is not None and catalog.group_version(*gv) is not None:
        with contextlib.suppress(CatalogError):
            index = await catalog.operations_for(*gv)
        if index is not None:
            for op in index.operations:
                params = rawdoc.match_template(op.path, path) if op.method == "GET" else None
                if params is not None:
                    ops.append((op, params))
    if namespace or name:
        target = _object_path(gv, ops, namespace, name)
        if target is not None:
            return RedirectResponse(urls.url_raw(target), status_code=303)
    if not ops:
        raise HTTPException(
            404,
            f"{path} is neither a discovery or OpenAPI document nor a path this cluster's API documents. "
            "The raw pages show /, /version, /api, /apis, their group and version documents and /openapi.",
        )
    listing = next(((op, p) for op, p in ops if op.action == "list"), None)
    resource = None
    if listing is not None and listing[0].target is not None and listing[0].target.resource and catalog:
        t = listing[0].target
        resource = catalog.resource(t.group, t.version, t.resource or "")
    default_ns = explorer.connection.namespace if explorer.connection is not None else "default"
    return render(
        request,
        "raw_object.html",
        {
            "path": path,
            "segs": segs,
            "crumbs": crumbs(segs, index),
            "operations": ops,
            "listing": listing,
            "resource": resource,
            "offline": explorer.offline,
            "default_namespace": default_ns or "default",
            "query_of": lambda params: (
                "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items()) if params else ""
            ),
        },
    )


def _object_path(
    gv: tuple[str, str] | None, ops: list[tuple[Operation, dict[str, str]]], namespace: str, name: str
) -> str | None:
    """The path of one object from the "read one" form on a collection's page."""
    if gv is None or not name or rawdoc.api_path_segments(name) != [name]:
        return None
    if namespace and rawdoc.api_path_segments(namespace) != [namespace]:
        return None
    listing = next((op for op, _ in ops if op.action == "list" and op.target and op.target.resource), None)
    if listing is None or listing.target is None or listing.target.resource is None:
        return None
    base = group_version_path(*gv)
    scope = f"/namespaces/{namespace}" if namespace else ""
    return f"{base}{scope}/{listing.target.resource}/{name}"
