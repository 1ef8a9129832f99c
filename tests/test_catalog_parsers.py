"""Hypothesis: the discovery and OpenAPI parsers on malformed documents.

Two kinds of input: random JSON shapes built from the keys the parsers look for, and the real
documents of the shipped snapshot (recorded from the v1.37.2 control plane) with one node somewhere
replaced by random JSON. Either way a parser must return (skipping what it cannot read) or raise
:class:`CatalogError`, never ``KeyError``/``TypeError``/``AttributeError``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webexplorer.catalog import CatalogError, SnapshotSource, embedded_snapshot_path, parse_path
from webexplorer.catalog.apidoc import ApiDocument
from webexplorer.catalog.discovery import (
    AGGREGATED_ACCEPT,
    crd_groups_from_list,
    parse_aggregated,
    parse_api_versions,
    parse_group_list,
    parse_resource_list,
    parse_version,
)
from webexplorer.catalog.jsonutil import parse_json
from webexplorer.catalog.openapi_v2 import parse_v2
from webexplorer.catalog.openapi_v3 import parse_index, parse_v3
from webexplorer.catalog.schema import SchemaSet

KEYS = [
    "kind",
    "apiVersion",
    "items",
    "metadata",
    "name",
    "versions",
    "version",
    "resources",
    "resource",
    "responseKind",
    "group",
    "scope",
    "singularResource",
    "verbs",
    "shortNames",
    "categories",
    "subresources",
    "subresource",
    "freshness",
    "groups",
    "preferredVersion",
    "groupVersion",
    "namespaced",
    "singularName",
    "paths",
    "serverRelativeURL",
    "openapi",
    "swagger",
    "components",
    "schemas",
    "definitions",
    "parameters",
    "get",
    "put",
    "post",
    "patch",
    "delete",
    "operationId",
    "in",
    "schema",
    "$ref",
    "allOf",
    "oneOf",
    "properties",
    "additionalProperties",
    "type",
    "format",
    "required",
    "enum",
    "default",
    "description",
    "requestBody",
    "content",
    "responses",
    "consumes",
    "produces",
    "x-kubernetes-group-version-kind",
    "x-kubernetes-action",
    "x-kubernetes-int-or-string",
]
REFS = st.sampled_from(
    ["#/definitions/a", "#/components/schemas/a", "#/components/schemas/b", "#/parameters/p", "#/x", "a"]
)
scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=6) | REFS
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), children, max_size=5)
    ),
    max_leaves=40,
)
json_objects = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8)


def _documents() -> dict[str, bytes]:
    async def read() -> dict[str, bytes]:
        src = SnapshotSource(embedded_snapshot_path())
        out = {
            "aggregated": (await src.fetch("/apis", accept=AGGREGATED_ACCEPT)).body,
            "group_list": (await src.fetch("/apis")).body,
            "resource_list": (await src.fetch("/apis/apps/v1")).body,
            "index": (await src.fetch("/openapi/v3")).body,
        }
        index = parse_index(parse_json(out["index"], "index"))
        url = next(e.url for e in index if e.key == "apis/coordination.k8s.io/v1")
        out["v3"] = (await src.fetch(url)).body
        return out

    return asyncio.run(read())


DOCS = _documents()
PARSERS = {
    "aggregated": parse_aggregated,
    "group_list": parse_group_list,
    "resource_list": lambda d: parse_resource_list(d, "apps", "v1"),
    "index": parse_index,
    "v3": parse_v3,
}


def _mutate(doc: Any, data: st.DataObject) -> Any:
    """Replace one node, found by a random walk from the root, with random JSON."""
    if not isinstance(doc, (dict, list)) or not doc or data.draw(st.integers(0, 5)) == 0:
        return data.draw(json_values)
    if isinstance(doc, dict):
        key = data.draw(st.sampled_from(sorted(doc)))
        return {**doc, key: _mutate(doc[key], data)}
    i = data.draw(st.integers(0, len(doc) - 1))
    return [*doc[:i], _mutate(doc[i], data), *doc[i + 1 :]]


def _exercise_schemas(schemas: SchemaSet) -> None:
    for name in list(schemas.names())[:20]:
        try:
            schemas.field_tree(name, depth=None)
            for f in schemas.walk(name, max_depth=6):
                str(f.type)
                schemas.field_at(name, f.path)
        except CatalogError:
            pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=json_objects)
def test_discovery_parsers_on_random_shapes(doc: dict[str, Any]) -> None:
    for parser in (parse_api_versions, parse_group_list, parse_version, crd_groups_from_list):
        parser(doc)
    parse_resource_list(doc, "g", "v1")
    for kind in ("APIGroupDiscoveryList", doc.get("kind")):
        with contextlib.suppress(CatalogError):
            parse_aggregated({**doc, "kind": kind})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=json_objects, definitions=st.dictionaries(st.sampled_from(["a", "b", "c"]), json_values))
def test_openapi_parsers_on_random_shapes(doc: dict[str, Any], definitions: dict[str, Any]) -> None:
    for document in (
        {**doc, "swagger": "2.0", "definitions": definitions},
        {**doc, "openapi": "3.0.0", "components": {"schemas": definitions}},
        doc,
    ):
        for parser in (parse_v2, parse_v3, parse_index):
            try:
                parsed = parser(document)
            except CatalogError:
                continue
            if not isinstance(parsed, tuple):
                _exercise_schemas(parsed.schemas)
                for op in parsed.operations.operations:
                    parse_path(op.path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(sorted(PARSERS)), data=st.data())
def test_parsers_on_mutated_real_documents(which: str, data: st.DataObject) -> None:
    doc = _mutate(orjson.loads(DOCS[which]), data)
    if not isinstance(doc, dict):
        with pytest.raises(CatalogError):
            parse_json(orjson.dumps(doc), which)
        return
    try:
        result = PARSERS[which](doc)
    except CatalogError:
        return
    if isinstance(result, ApiDocument):
        _exercise_schemas(result.schemas)


@given(body=st.binary(max_size=64) | st.sampled_from([b"", b"[]", b"1", b'"x"', b"{", b"{}", b'{"a": 1}']))
def test_parse_json_rejects_garbage_clearly(body: bytes) -> None:
    """Only a JSON object is accepted; anything else is a CatalogError naming the document."""
    try:
        expected = orjson.loads(body)
    except orjson.JSONDecodeError:
        expected = None
    if isinstance(expected, dict):
        assert parse_json(body, "/apis") == expected
        return
    with pytest.raises(CatalogError) as raised:
        parse_json(body, "/apis")
    assert "/apis" in str(raised.value)


@given(path=st.text(alphabet="/{}abcnpsviw1", max_size=40))
def test_parse_path_never_crashes(path: str) -> None:
    parse_path(path)
