"""Schema pages: a kind's (or any definition's) field tree, what ``kubectl explain --recursive`` shows,
without ever rendering the whole tree at once.

A page shows one level of fields; every object field is a ``<details>`` that loads its children from
``?part=children`` through htmx when opened (and without JavaScript, links to its own page). A field's
own page (``/schema/apps/v1/Deployment/spec.template.spec``) is the same tree opened down to that field,
each level's siblings shown closed, so a bookmark lands on the field with its context. A reference
that is already an ancestor is a link to its definition, never another level, which keeps
``JSONSchemaProps`` finite. Pages are cheap because each level is one ``field_tree(depth=1)`` call.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from webexplorer.catalog import (
    GVK,
    Catalog,
    CatalogError,
    FieldTree,
    Resource,
    SchemaSet,
    group_display_name,
)
from webexplorer.catalog.facts_text import explain_json, explain_text
from webexplorer.web import urls
from webexplorer.web.factsview import FactsReader, deprecated
from webexplorer.web.history_view import history_key
from webexplorer.web.lookup import check, document_problem, group_version_of
from webexplorer.web.outline import Outline, outline
from webexplorer.web.state import app_state
from webexplorer.web.templating import Content, render_cached

router = APIRouter()


async def _tree(
    catalog: Catalog, group: str, version: str, name: str, path: str, depth: int | None = 1
) -> tuple[FieldTree, GVK | None, SchemaSet]:
    """The tree at ``path`` of a kind (``Deployment``) or a definition name (of ``group``, the API's
    name), with the schema set it comes from (where its fields' facts are read), or a 404 page."""
    try:
        if "." not in name:
            gvk = GVK(group, version, name)
            try:
                schemas, definition = await catalog.kind_definition(gvk)
                return schemas.field_tree(definition, path, depth), gvk, schemas
            except CatalogError:
                schemas = await catalog.schemas(group, version)
                if name not in schemas:
                    raise
        schemas = await catalog.schemas(group, version)
        return schemas.field_tree(name, path, depth), None, schemas
    except CatalogError as exc:
        where = f"{group_display_name(group)}/{version}"
        raise document_problem(exc, HTTPException(404, f"No schema {name!r} in {where} ({exc}).")) from exc


def _prefixes(path: str) -> list[str]:
    """``a.b.c`` → ``["", "a", "a.b", "a.b.c"]``: the levels opened on the way to a field."""
    parts = path.split(".") if path else []
    return ["", *(".".join(parts[: i + 1]) for i in range(len(parts)))]


@router.get("/schema/{group}/{version}/{name}", response_class=HTMLResponse, response_model=None)
async def schema_page(request: Request, group: str, version: str, name: str) -> Response:
    return await _page(request, group, version, name, "")


@router.get("/schema/{group}/{version}/{name}/{path}", response_class=HTMLResponse, response_model=None)
async def schema_field_page(request: Request, group: str, version: str, name: str, path: str) -> Response:
    return await _page(request, group, version, name, path)


async def _page(request: Request, group: str, version: str, name: str, path: str) -> Response:
    fmt = request.query_params.get("format")
    if fmt is not None:
        return await _formatted(request, fmt, group, version, name, path)
    children = request.query_params.get("part") == "children"
    template = "_schema_children.html" if children else "schema.html"
    return await render_cached(
        request, template, lambda: _content(request, group, version, name, path), key=history_key(request)
    )


async def _formatted(request: Request, fmt: str, group: str, version: str, name: str, path: str) -> Response:
    """``?format=text`` (kubectl explain's layout, with the facts) or ``?format=json``;
    ``&recursive=1`` opens every level below, as ``kubectl explain --recursive`` does."""
    if fmt not in ("text", "json"):
        raise HTTPException(400, f"format={fmt[:20]!r} is not offered: use format=text or format=json.")
    catalog = app_state(request).catalog()
    g, gv = group_version_of(catalog, group, version)
    check(name, urls.valid_schema_name, "kind or definition name")
    if path:
        check(path, urls.valid_field_path, "field path")
    depth = None if request.query_params.get("recursive") == "1" else 1
    tree, gvk, schemas = await _tree(catalog, g.name, gv.version, name, path, depth)
    facts = FactsReader(schemas)
    if fmt == "json":
        body = orjson.dumps(explain_json(tree, lambda n: facts.of(n).facts, gvk))
        return Response(body, media_type="application/json")
    text = explain_text(tree, facts.shown, gvk, recursive=depth is None)
    return PlainTextResponse(text)


async def _content(request: Request, group: str, version: str, name: str, path: str) -> Content:
    catalog = app_state(request).catalog()
    g, gv = group_version_of(catalog, group, version)
    check(name, urls.valid_schema_name, "kind or definition name")
    if path:
        check(path, urls.valid_field_path, "field path")
    common: dict[str, Any] = {
        "group": g,
        "gv": gv,
        "version": gv.version,
        "name": name,
        "deprecated": deprecated,
    }
    if request.query_params.get("part") == "children":
        tree, _, schemas = await _tree(catalog, g.name, gv.version, name, path)
        facts = FactsReader(schemas)
        return Content({**common, "fields": tree.fields, "open": {}, "target": "", "facts": facts})
    levels = [(await _tree(catalog, g.name, gv.version, name, p)) for p in _prefixes(path)]
    root, gvk, schemas = levels[0]
    facts = FactsReader(schemas)
    opened = {p: t.fields for p, (t, _, _) in zip(_prefixes(path), levels, strict=True)}
    whole: Outline | None = None
    if request.query_params.get("recursive") == "1":
        # every level below the target, as kubectl explain --recursive (recursive types stop it)
        below, _, _ = await _tree(catalog, g.name, gv.version, name, path, None)
        top = below.fields
        head = next((f for f in levels[-2][0].fields if f.path == path), None) if path else None
        if head is not None:  # a field's whole tree starts with the field itself: its own facts first
            top = (dataclasses.replace(head, children=below.fields),)
        defined = functools.partial(urls.url_schema, g.name, gv.version)
        whole = outline(top, facts, urls.field_urls(g.name, gv.version, name), defined)
        root = below if not path else root
    resources: list[Resource] = []
    if gvk is not None:
        resources = [r for r in catalog.find_kind(gvk.kind) if r.group == g.name]
    history = app_state(request).releases.history_now()
    return Content(
        {
            **common,
            "root": root,
            "gvk": gvk,
            "title_name": gvk.kind if gvk else name.rsplit(".", 1)[-1],
            "target": path,
            "target_tree": levels[-1][0] if path else None,
            "open": opened,
            "whole": whole,
            "facts": facts,
            "resources": resources,
            "life": history.kind(gvk) if history and gvk else None,
            "field_life": history.field(gvk, path) if history and gvk and path else None,
            "field_changes": history.field_changes(gvk, path) if history and gvk and path else [],
        }
    )
