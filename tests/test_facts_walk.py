"""Every fact the API server publishes about every field of every kind is on the explorer's pages.

Against the real control plane with the Gateway API and cert-manager CRDs and this project's own test
CRD (tests/crds/) installed, for OpenAPI v3 and v2: the server's own documents are fetched here directly
and walked by this test's own reader (no explorer code), which lists, for every field path, each schema
keyword found on the field, its array items and its map values. The explorer's ``?format=json&recursive=1``
of each kind must list the same field paths and, for each field, a fact standing for every one of those
keywords (at the same "each item" / "each value" scope): one missing fact fails the test. A sample of
fields across every fact kind is then opened as HTML pages, and every fact listed for the field must be
on its page with its exact value. The counts per fact kind are written to
``test-artifacts/facts-walk-<version>.json`` (they go into the report of issue 12).
"""

from __future__ import annotations

import asyncio
import collections
import html
import json
import random
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.asgi import asgi_explorer
from tests.fixtures.cluster import ApiClientFactory
from tests.fixtures.crds import InstalledCRDs, installed_crds
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.settings import Settings

__all__ = ["installed_crds"]

#: keys that are structure or prose, not something the server enforces on the field
STRUCTURE = {"description", "properties", "items", "$ref", "title", "example", "externalDocs"}
#: shown in the page header (Kind), not as a fact
HEADER = {"x-kubernetes-group-version-kind"}
ARTIFACTS = Path("test-artifacts")
WIDGET = ("facts.webexplorer.test", "v1", "Widget")  # tests/crds/: every one of its fields is opened
#: fields opened as HTML pages per fact kind (pages cost ~50 ms each on a loaded machine; the JSON walk
#: covers every field, the HTML sample that the page shows what the JSON says)
HTML_SAMPLE = {"v3": 12, "v2": 6}


# ------------------------------------------------------------------------------------ the test's reader


class Doc:
    """One served document's definitions, read with this test's own reference handling."""

    def __init__(self, definitions: Mapping[str, Any]) -> None:
        self.defs = definitions

    def target(self, schema: Mapping[str, Any]) -> str | None:
        ref = schema.get("$ref")
        if ref is None:
            refs = [m.get("$ref") for m in schema.get("allOf", []) if isinstance(m, dict) and "$ref" in m]
            ref = refs[0] if refs else None
        return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None

    def node(self, schema: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The schema with its references followed (its own keys win) and the last definition name."""
        own = {k: v for k, v in schema.items() if k != "$ref" and not (k == "allOf" and self.target(schema))}
        name = self.target(schema)
        if name is None:
            return dict(schema), None
        inner, deeper = self.node(self.defs[name])
        return {**inner, **own}, deeper or name

    def children(self, schema: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        """Where a field's child fields come from (through arrays and maps) and that element's name."""
        node, name = self.node(schema)
        if node.get("x-kubernetes-int-or-string") is True or node.get("format") == "int-or-string":
            return None, name
        items = node.get("items")
        if node.get("type") == "array" or (node.get("type") is None and isinstance(items, dict)):
            return self.children(items) if isinstance(items, dict) else (None, name)
        if node.get("properties"):
            return node, name
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            return self.children(extra)
        return None, name


def keywords(
    doc: Doc, schema: Mapping[str, Any], scope: str = "", from_ref: bool = False
) -> set[tuple[str, str]]:
    """(scope, keyword) for every enforced keyword of a field node, its items and its map values."""
    out: set[tuple[str, str]] = set()
    for key, value in schema.items():
        if key in STRUCTURE or key in HEADER:
            continue
        if key == "allOf" and all(isinstance(m, dict) and "$ref" in m for m in value):
            continue
        if key == "default" and value == {} and from_ref:
            continue  # v3's Go zero value on struct references (documented in fieldfacts)
        out.add((scope, key))
    for key, step in (("items", "item"), ("additionalProperties", "value")):
        below = schema.get(key)
        if isinstance(below, dict):
            inner, _ = doc.node(below)
            where = f"{scope}'s {step}" if scope else f"each {step}"
            out |= keywords(doc, inner, where, from_ref=doc.target(below) is not None)
    return out


def expected_fields(doc: Doc, root: str) -> dict[str, set[tuple[str, str]]]:
    """Every field path under a kind's definition with its keywords, stopping at recursive types
    exactly where a reader of ``kubectl explain`` would (a type that contains itself is not opened)."""
    out: dict[str, set[tuple[str, str]]] = {}
    stack: list[tuple[Mapping[str, Any], str, frozenset[str]]] = [(doc.defs[root], "", frozenset({root}))]
    while stack:
        schema, prefix, above = stack.pop()
        node, _ = doc.node(schema)
        for key, prop in (node.get("properties") or {}).items():
            path = f"{prefix}{key}"
            merged, _ = doc.node(prop)
            out[path] = keywords(doc, merged, from_ref=doc.target(prop) is not None)
            child, element = doc.children(prop)
            if child is not None and element not in above:
                stack.append((child, f"{path}.", above | {element} if element else above))
    return out


# ------------------------------------------------------------------------------------ the explorer's side


def flatten(fields: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for f in fields:
        yield f
        yield from flatten(f.get("fields", []))


def stated(facts: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(f.get("scope", ""), k) for f in facts for k in f["keywords"]}


def served_kinds(admin: httpx.Client) -> list[tuple[str, str, str]]:
    """(group, version, kind) of every resource (not subresource) the server's discovery lists."""
    out: set[tuple[str, str, str]] = set()
    versions = [("", "/api/v1")]
    for g in admin.get("/apis").json()["groups"]:
        versions += [(g["name"], f"/apis/{v['groupVersion']}") for v in g["versions"]]
    for group, path in versions:
        version = path.rsplit("/", 1)[-1]
        for r in admin.get(path).json()["resources"]:
            if "/" not in r["name"]:
                out.add((group, version, r["kind"]))
    return sorted(out)


def served_documents(admin: httpx.Client, openapi: str) -> dict[tuple[str, str], Doc]:
    """Each group version's definitions as the server serves them (v2: the one document for all)."""
    if openapi == "v2":
        doc = Doc(admin.get("/openapi/v2", headers={"Accept": "application/json"}).json()["definitions"])
        return collections.defaultdict(lambda: doc)
    out = {}
    for key, entry in admin.get("/openapi/v3").json()["paths"].items():
        parts = key.split("/")
        if parts[0] == "api" and len(parts) == 2:
            gv = ("", parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            gv = (parts[1], parts[2])
        else:
            continue
        body = admin.get(entry["serverRelativeURL"]).json()
        out[gv] = Doc(body["components"]["schemas"])
    return out


def definition_of(doc: Doc, gvk: tuple[str, str, str]) -> str | None:
    for name, schema in doc.defs.items():
        for e in schema.get("x-kubernetes-group-version-kind", []):
            if (e.get("group", ""), e.get("version"), e.get("kind")) == gvk:
                return name
    return None


@pytest.fixture(scope="module")
def admin(api_client: ApiClientFactory) -> httpx.Client:
    """An admin client with room for the 10 MB v2 document on a loaded machine."""
    return api_client(timeout=60)


@pytest.fixture(params=["v3", "v2"])
async def explorer(
    request: pytest.FixtureRequest, control_plane: ControlPlane, installed_crds: InstalledCRDs
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    settings = Settings(kubeconfig=str(control_plane.kubeconfig), mode="kubeconfig", openapi=request.param)
    async with asgi_explorer(settings) as client:
        yield request.param, client


def _url(gvk: tuple[str, str, str], path: str = "") -> str:
    group, version, kind = gvk
    return f"/schema/{group or 'core'}/{version}/{kind}" + (f"/{path}" if path else "")


def _field_html(page: str, path: str) -> str:
    """The part of a schema page that belongs to one field: its ``<li>`` up to its children."""
    start = page.index(f'id="{html.escape(path)}"')
    end = page.find('<div class="children">', start)
    nxt = page.find('<li class="field', start + 1)
    stops = [i for i in (end, nxt) if i != -1]
    return page[start : min(stops) if stops else len(page)]


def _shown(fact: dict[str, Any], part: str) -> bool:
    text = html.unescape(re.sub(r"<[^>]+>", "", part))
    words = fact["words"].replace("`", "")
    return words in text and fact["value"] in text


def _write_counts(openapi: str, text: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"facts-walk-{openapi}.json").write_text(text)


async def test_every_fact_of_every_field_is_on_the_pages(
    explorer: tuple[str, httpx.AsyncClient], admin: httpx.Client, installed_crds: InstalledCRDs
) -> None:
    openapi, client = explorer
    docs = served_documents(admin, openapi)
    kinds = served_kinds(admin)
    assert set(installed_crds.kinds) <= set(kinds)
    counts: collections.Counter[str] = collections.Counter()
    crd_counts: collections.Counter[str] = collections.Counter()
    fields_walked = crd_fields = 0
    missing: list[str] = []
    rng = random.Random(12)
    by_kind: dict[str, list[tuple[tuple[str, str, str], dict[str, Any]]]] = collections.defaultdict(list)
    for gvk in kinds:
        doc = docs[(gvk[0], gvk[1])]
        definition = definition_of(doc, gvk)
        if definition is None:
            continue  # a kind without a schema (the server publishes none): nothing to show
        expected = expected_fields(doc, definition)
        r = await client.get(_url(gvk) + "?format=json&recursive=1")
        assert r.status_code == 200, (gvk, r.text[:300])
        body = r.json()
        got = {f["path"]: f for f in flatten(body["fields"])}
        assert set(got) == set(expected), (gvk, sorted(set(got) ^ set(expected))[:10])
        root_expected = keywords(doc, doc.node(doc.defs[definition])[0]) - {("", "type")}
        lacking_root = root_expected - stated(body["facts"])
        missing += [f"{gvk} (the kind itself): {k}" for k in sorted(lacking_root)]
        is_crd = gvk in installed_crds.kinds
        for path, wanted in expected.items():
            facts = got[path]["facts"]
            lacking = wanted - stated(facts)
            missing += [f"{gvk} {path}: {scope or 'field'} {kw}" for scope, kw in sorted(lacking)]
            for f in facts:
                counts[f["kind"]] += 1
                if is_crd:
                    crd_counts[f["kind"]] += 1
            for kind in {f["kind"] for f in facts} - {"type"}:
                by_kind[kind].append((gvk, got[path]))
        fields_walked += len(expected)
        crd_fields += len(expected) if is_crd else 0
    assert not missing, f"{len(missing)} facts missing, e.g.:\n" + "\n".join(missing[:40])
    assert fields_walked > 10_000 and crd_fields > 1_000

    sample = {(gvk, f["path"]): (gvk, f) for found in by_kind.values() for gvk, f in found if gvk == WIDGET}
    for found in by_kind.values():
        for gvk, f in rng.sample(found, min(HTML_SAMPLE[openapi], len(found))):
            sample[(gvk, f["path"])] = (gvk, f)
    shown = listed = 0
    not_shown: list[str] = []
    for gvk, field in sample.values():
        page = (await client.get(_url(gvk, field["path"]))).text
        part = _field_html(page, field["path"])
        for fact in field["facts"]:
            if fact["kind"] == "type":
                continue  # the header shows the type as kubectl explain spells it
            listed += 1
            if _shown(fact, part):
                shown += 1
            else:
                not_shown.append(
                    f"{gvk} {field['path']}: {fact['kind']} {fact['words']!r} {fact['value'][:60]!r}"
                )
    _write_counts(
        openapi,
        json.dumps(
            {
                "openapi": openapi,
                "kinds": len(kinds),
                "fields": fields_walked,
                "crd_fields": crd_fields,
                "facts_by_kind": dict(counts.most_common()),
                "crd_facts_by_kind": dict(crd_counts.most_common()),
                "html_sample_facts": listed,
                "html_sample_shown": shown,
            },
            indent=1,
        ),
    )
    assert listed > 100
    assert not not_shown, f"{len(not_shown)} of {listed} sampled facts not on their page:\n" + "\n".join(
        not_shown[:20]
    )


async def test_search_finds_cel_words_and_keywords(
    control_plane: ControlPlane, installed_crds: InstalledCRDs
) -> None:
    settings = Settings(kubeconfig=str(control_plane.kubeconfig), mode="kubeconfig")
    async with asgi_explorer(settings) as client:
        queries = (("oldSelf", "spec.mode"), ("pattern", "spec.name"), ("stage cannot change", "spec.stage"))
        for query, path in queries:
            found = ""
            for _ in range(120):  # the fields index builds in the background after start-up
                found = (await client.get("/search", params={"q": query})).text
                if "fields index building" not in found and "not built yet" not in found:
                    break
                await asyncio.sleep(0.5)
            assert f'href="/schema/facts.webexplorer.test/v1/Widget/{path}#{path}"' in found, query
