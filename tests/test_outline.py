"""The whole-tree outline (``?recursive=1``, web/outline.py): every level below, each field's facts,
and a repeated subtree shown once with "same fields as" links where it repeats.

Page checks run over the embedded v1.37.2 snapshot (the real server's documents); the unit checks build
a small schema set the way a CRD's inline schema looks. The facts shown are the same facts the one-level
pages and ``?format=json`` show: tests/test_facts_walk.py checks those against the server.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fixtures.asgi import asgi_explorer
from webexplorer.catalog.schema import SchemaSet
from webexplorer.settings import Settings
from webexplorer.web.factsview import FactsReader, fact_list_html
from webexplorer.web.outline import MIN_SHARED, outline


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_explorer(Settings(mode="snapshot", page_cache_mib=0)) as c:
        yield c


def _ids(html: str) -> list[str]:
    return re.findall(r'<li id="([^"]+)"', html)


async def test_pod_whole_tree_shows_containers_once(client: httpx.AsyncClient) -> None:
    r = await client.get("/schema/core/v1/Pod?recursive=1")
    assert r.status_code == 200
    ids = _ids(r.text)
    assert len(ids) == len(set(ids))  # no field twice
    assert "spec.containers.securityContext.capabilities.add" in ids
    assert "spec.initContainers" in ids and "spec.initContainers.name" not in ids
    row = r.text[r.text.index('<li id="spec.initContainers">') :].split("</li>", 1)[0]
    assert 'same fields as <a href="#spec.containers">spec.containers</a>' in row
    # EphemeralContainer is its own definition: shown, but its probes are the containers' Probe
    assert "spec.ephemeralContainers.name" in ids
    probe = r.text[r.text.index('<li id="spec.ephemeralContainers.livenessProbe">') :].split("</li>", 1)[0]
    assert "same fields as" in probe
    note = re.search(r'id="outline-note">[^<]*?(\d+) fields, and (\d+) more not repeated', r.text)
    assert note is not None and int(note.group(1)) == len(ids) and int(note.group(2)) > len(ids)
    # each name opens its field's own page, which has the description the outline leaves out
    assert '<a href="/schema/core/v1/Pod/spec.containers.name#spec.containers.name">name</a>' in r.text
    assert "List of initialization containers" not in r.text


async def test_facts_are_on_their_fields(client: httpx.AsyncClient) -> None:
    r = await client.get("/schema/core/v1/Service/spec?recursive=1")
    assert r.status_code == 200
    ports = r.text[r.text.index('<li id="spec.ports">') : r.text.index('<li id="spec.ports.appProtocol">')]
    assert "items are merged by <code>port</code> and <code>protocol</code>" in ports
    assert '<span class="fact-scope">each item:</span>' in ports
    row = r.text[r.text.index('<li id="spec.ports.targetPort">') :].split("</li>", 1)[0]
    assert '<span class="ft">IntOrString</span>' in row and "an integer or a string" in row
    # a field's whole tree starts with the field itself (the page's anchor), its own facts on its line
    assert _ids(r.text)[0] == "spec"
    field = (await client.get("/schema/core/v1/Service/spec.ports?recursive=1")).text
    first = field[field.index('<li id="spec.ports">') :].split("<ul>", 1)[0]
    assert "items are merged by <code>port</code> and <code>protocol</code>" in first
    assert _ids(field)[0] == "spec.ports" and "spec.ports.port" in _ids(field)


async def test_recursive_types_are_links(client: httpx.AsyncClient) -> None:
    r = await client.get("/schema/apiextensions.k8s.io/v1/CustomResourceDefinition?recursive=1")
    assert r.status_code == 200
    assert "recursive → <a href=" in r.text and "JSONSchemaProps</a>" in r.text


def _property(description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z]+<script>$", "maxLength": 63},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "mode": {"type": "string", "enum": ["a", "b"]},
        },
        "required": ["name"],
    }


def _crd_like() -> SchemaSet:
    """Inline copies of one object (as a CRD generated from a shared Go type carries), and one copy
    whose schema differs only in a nested description: that one is not the same and is shown."""
    different = _property("a listener")
    different["properties"]["name"] = {**different["properties"]["name"], "description": "other"}
    root = {
        "type": "object",
        "properties": {
            "primary": _property("a listener"),
            "secondary": _property("a listener"),
            "tertiary": different,
            "list": {"type": "array", "items": _property("a listener")},
        },
    }
    return SchemaSet({"Widget": root})


def test_inline_copies_fold_to_the_first() -> None:
    schemas = _crd_like()
    tree = schemas.field_tree("Widget", "", None)
    shown = outline(tree.fields, FactsReader(schemas), lambda p: f"/f/{p}", lambda d: f"/d/{d}")
    ids = _ids(shown.html)
    assert ids[0] == "primary"
    assert set(ids[1:5]) == {"primary.labels", "primary.mode", "primary.name", "primary.port"}
    assert "secondary" in ids and "secondary.name" not in ids
    assert "tertiary.name" in ids  # a nested description differs: not the same fields
    assert "list" in ids and "list.name" not in ids
    assert shown.folded == 2 * MIN_SHARED and shown.shown == len(ids)
    assert shown.html.count("same fields as") == 2
    # values from the cluster are escaped, never markup
    assert "<script>" not in shown.html and "&lt;script&gt;" in shown.html
    assert shown.html.count("<ul") == shown.html.count("</ul>")
    assert shown.html.count("<li") == shown.html.count("</li>")


def test_fact_list_escapes_every_value() -> None:
    schemas = SchemaSet({"T": {"type": "object", "properties": {"x": {"type": "string", "enum": ['"><b>']}}}})
    field = schemas.field_tree("T").fields[0]
    html = fact_list_html(FactsReader(schemas).shown(field))
    assert "<b>" not in html and "&#34;&gt;&lt;b&gt;" in html
