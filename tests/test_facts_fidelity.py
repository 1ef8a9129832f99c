"""What the explorer says a field enforces is what the real API server enforces.

For the facts the explorer lists (``?format=json&recursive=1``) on fields of this project's test CRD
(every construct), of real Gateway API and cert-manager kinds and of built-in kinds, this test builds
from each fact alone — its kind and exact value, nothing read from the schema by the test — one value
that breaks it and one that keeps it, sends both to the real API server as dry-run creates with
``fieldValidation=Strict``, and asserts the first is refused naming the field's path and the second is
accepted. Transition rules (``self == oldSelf``, "may not shrink") are checked on a real update of a
stored object. Defaults are checked on what the server returns.
"""

from __future__ import annotations

import base64
import collections
import copy
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.fixtures.asgi import asgi_explorer
from tests.fixtures.cluster import ApiClientFactory
from tests.fixtures.crds import InstalledCRDs, installed_crds
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.settings import Settings

__all__ = ["installed_crds"]

NS = "default"
WIDGET = ("facts.webexplorer.test", "v1", "Widget")
WIDGETS = "/apis/facts.webexplorer.test/v1/namespaces/default/widgets"

#: a valid object of each kind checked, and a valid item for each list of objects met on the way
BASES: dict[tuple[str, str, str], tuple[str, dict[str, Any]]] = {
    WIDGET: (
        WIDGETS,
        {
            "apiVersion": "facts.webexplorer.test/v1",
            "kind": "Widget",
            "metadata": {"name": "w-base"},
            "spec": {"name": "base", "mode": "Auto", "auth": {"user": "u"}},
        },
    ),
    ("cert-manager.io", "v1", "Certificate"): (
        "/apis/cert-manager.io/v1/namespaces/default/certificates",
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "c-base"},
            "spec": {"secretName": "s", "issuerRef": {"name": "i"}, "dnsNames": ["a.example.com"]},
        },
    ),
    ("gateway.networking.k8s.io", "v1", "HTTPRoute"): (
        "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes",
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "r-base"},
            "spec": {"parentRefs": [{"name": "gw"}], "hostnames": ["a.example.com"]},
        },
    ),
    ("", "v1", "Service"): (
        "/api/v1/namespaces/default/services",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "svc-base"},
            "spec": {"ports": [{"port": 80, "name": "http"}]},
        },
    ),
}
#: built-in kinds validate in Go, where one field's valid values depend on others (a Service's
#: externalTrafficPolicy needs type LoadBalancer): only these fields are checked on them
BUILT_IN_FIELDS = {
    ("", "v1", "Service"): {
        "spec.type",
        "spec.sessionAffinity",
        "spec.ports.protocol",
        "spec.ports.targetPort",
    },
}
ITEMS: dict[str, dict[str, Any]] = {
    "spec.ports": {"name": "p", "port": 80},
    "spec.parentRefs": {"name": "gw"},
}
# ------------------------------------------------------------------------------------ values from facts


def _number(text: str) -> int | float:
    n = float(text)
    return int(n) if n.is_integer() else n


def _string_for(facts: list[dict[str, Any]], length: int) -> str:
    """A string of ``length`` that keeps the field's pattern when one is stated (letters usually do)."""
    for candidate in ("a" * length, "1" * length, "ab" * length):
        s = candidate[:length]
        if all(re.search(f["value"], s) for f in facts if f["kind"] == "pattern" and not f.get("scope")):
            return s
    return "a" * length


def cases(field: dict[str, Any], fact: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    """(breaking value, keeping value) pairs for one fact of a field at the field's own scope; a value
    of ``DROP`` means "leave the field out"."""
    kind, words, value = fact["kind"], fact["words"], fact["value"]
    facts = field["facts"]
    if kind == "length" and words.startswith("at most"):
        n = int(value)
        yield _string_for(facts, n + 1), _string_for(facts, n)
    elif kind == "length" and (words.startswith("at least") or words.startswith("must not be empty")):
        n = int(value)
        if n > 0:
            yield _string_for(facts, n - 1), _string_for(facts, n)
    elif kind == "range":
        bound = _number(value)
        step = 1 if isinstance(bound, int) else 0.5
        if words.startswith("at least"):
            yield bound - step, bound
        elif words.startswith("greater than"):
            yield bound, bound + step / 4
        elif words.startswith("at most"):
            yield bound + step, bound
        elif words.startswith("less than"):
            yield bound, bound - step / 4
    elif kind == "multipleOf":
        m = _number(value)
        yield m + 1, m * 2
    elif kind == "enum":
        options = orjson.loads(value)
        yield "NotOneOfThese", options[0]
    elif kind == "pattern":
        bad = "-Not Valid!-"
        assert not re.search(value, bad)
        good = _string_for(facts, 5)
        if re.search(value, good):
            yield bad, good
    elif kind == "format" and value == "date-time":
        yield "yesterday", "2024-01-31T12:00:00Z"
    elif kind == "format" and value == "byte":
        yield "not base64!", base64.b64encode(b"hi").decode()
    elif kind == "int-or-string":
        yield True, 5
    elif kind == "embedded-resource":
        yield (
            {"metadata": {"name": "x"}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
        )


DROP = object()


class Unplaceable(Exception):
    """The path runs through a list of objects this test has no valid item for."""


def place(
    obj: dict[str, Any], path: str, value: Any, scope: str = "", lists: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A copy of ``obj`` with ``value`` at the field ``path``. ``lists`` names the paths that are lists
    (from the explorer's types); a list of objects on the way gets one valid item from ITEMS. The
    "each item"/"each value" scopes wrap the value in a list or a map."""
    out = copy.deepcopy(obj)
    for step in reversed([s for s in scope.replace("'s ", " each ").split("each ") if s.strip()]):
        value = [value] if step.strip() == "item" else {"k": value}
    parts = path.split(".")
    here: Any = out
    for i, part in enumerate(parts):
        prefix = ".".join(parts[: i + 1])
        if i == len(parts) - 1:
            if value is DROP:
                here.pop(part, None)
            else:
                here[part] = value
        elif prefix in ITEMS:
            current = here.get(part)
            if not (isinstance(current, list) and current):
                here[part] = [copy.deepcopy(ITEMS[prefix])]
            here = here[part][0]
        elif prefix in lists:
            raise Unplaceable(prefix)
        else:
            here = here.setdefault(part, {})
    return out


# ------------------------------------------------------------------------------------ the server


class Server:
    def __init__(self, admin: httpx.Client) -> None:
        self.admin = admin

    def dry_create(self, collection: str, obj: dict[str, Any]) -> httpx.Response:
        return self.admin.post(
            collection,
            params={"dryRun": "All", "fieldValidation": "Strict"},
            content=orjson.dumps(obj),
            headers={"Content-Type": "application/json"},
        )


def _causes(r: httpx.Response) -> list[str]:
    body = r.json()
    fields = [c.get("field", "") for c in body.get("details", {}).get("causes", [])]
    return [re.sub(r"\[[^\]]*\]", "", f) for f in fields] + [body.get("message", "")]


def refused_at(r: httpx.Response, path: str) -> bool:
    """Refused naming ``path``: a 422 whose causes name it, or a 400 decoding error (a value of the
    wrong JSON type for a built-in field, which Go's decoder refuses before validation) that does."""
    return r.status_code in (400, 422) and any(path in c for c in _causes(r))


@pytest.fixture(scope="module")
def server(api_client: ApiClientFactory) -> Server:
    return Server(api_client(timeout=30))


@pytest.fixture(scope="module")
async def explained(
    control_plane: ControlPlane, installed_crds: InstalledCRDs
) -> AsyncIterator[dict[Any, Any]]:
    """The explorer's facts of every field of the kinds in BASES, by kind and path."""
    settings = Settings(kubeconfig=str(control_plane.kubeconfig), mode="kubeconfig", openapi="v3")
    out: dict[Any, Any] = {}
    async with asgi_explorer(settings) as client:
        for gvk in BASES:
            group, version, kind = gvk
            r = await client.get(f"/schema/{group or 'core'}/{version}/{kind}?format=json&recursive=1")
            assert r.status_code == 200, r.text[:300]
            body = r.json()
            flat: dict[str, Any] = {"": {"path": "", "facts": body["facts"]}}
            flat.update((f["path"], f) for f in _flatten(body["fields"]))
            out[gvk] = flat
        yield out


def _flatten(fields: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for f in fields:
        yield f
        yield from _flatten(f.get("fields", []))


def test_bases_are_accepted(server: Server, installed_crds: InstalledCRDs) -> None:
    for collection, base in BASES.values():
        r = server.dry_create(collection, base)
        assert r.status_code == 201, (collection, r.text)


def test_each_stated_bound_and_value_is_enforced(server: Server, explained: dict[Any, Any]) -> None:
    checked: collections.Counter[str] = collections.Counter()
    wrong: list[str] = []
    for gvk, fields in explained.items():
        collection, base = BASES[gvk]
        lists = frozenset(p for p, f in fields.items() if str(f.get("type", "")).startswith("[]"))
        only = BUILT_IN_FIELDS.get(gvk)
        for path, field in fields.items():
            if not path.startswith("spec.") or path.count(".") > 2 or (only is not None and path not in only):
                continue
            for fact in field["facts"]:
                if fact.get("scope"):
                    continue
                for bad, good in cases(field, fact):
                    try:
                        refused = server.dry_create(collection, place(base, path, bad, lists=lists))
                        accepted = server.dry_create(collection, place(base, path, good, lists=lists))
                    except Unplaceable:
                        continue
                    if not refused_at(refused, path):
                        wrong.append(
                            f"{gvk[2]} {path} {fact['words']!r}: {bad!r} not refused: {refused.text[:200]}"
                        )
                    elif accepted.status_code != 201:
                        wrong.append(
                            f"{gvk[2]} {path} {fact['words']!r}: {good!r} refused: {accepted.text[:200]}"
                        )
                    checked[fact["kind"]] += 1
    assert not wrong, "\n".join(wrong[:20])
    assert {"length", "range", "multipleOf", "enum", "pattern", "format", "int-or-string"} <= set(checked)
    assert sum(checked.values()) >= 30, checked


def _facts(explained: dict[Any, Any], path: str, kind: str, gvk: tuple[str, str, str] = WIDGET) -> list[Any]:
    return [f for f in explained[gvk][path]["facts"] if f["kind"] == kind]


def test_lists_maps_and_required_as_stated(server: Server, explained: dict[Any, Any]) -> None:
    collection, base = BASES[WIDGET]
    (count,) = [f for f in _facts(explained, "spec.tags", "items-count") if f["words"].startswith("at most")]
    n = int(count["value"])
    letters = [chr(ord("a") + i) for i in range(n + 1)]
    assert refused_at(server.dry_create(collection, place(base, "spec.tags", letters)), "spec.tags")
    assert server.dry_create(collection, place(base, "spec.tags", letters[:n])).status_code == 201
    (each,) = [
        f
        for f in explained[WIDGET]["spec.tags"]["facts"]
        if f.get("scope") == "each item" and f["kind"] == "length"
    ]
    long_tag = "a" * (int(each["value"]) + 1)
    assert refused_at(server.dry_create(collection, place(base, "spec.tags", [long_tag])), "spec.tags")
    (set_type,) = _facts(explained, "spec.tags", "list-type")
    assert "set" in set_type["value"]
    assert refused_at(server.dry_create(collection, place(base, "spec.tags", ["a", "a"])), "spec.tags")

    (merge,) = _facts(explained, "spec.ports", "list-type")
    assert "`name` and `protocol`" in merge["words"]
    dup = [{"name": "a", "port": 1, "protocol": "TCP"}, {"name": "a", "port": 2, "protocol": "TCP"}]
    assert refused_at(server.dry_create(collection, place(base, "spec.ports", dup)), "spec.ports")
    distinct = [dup[0], {**dup[1], "protocol": "UDP"}]
    assert server.dry_create(collection, place(base, "spec.ports", distinct)).status_code == 201

    (req,) = [
        f for f in explained[WIDGET]["spec.ports"]["facts"] if f["kind"] == "required" and f.get("scope")
    ]
    for name in orjson.loads(req["value"]):
        item = {k: v for k, v in {"name": "a", "port": 1}.items() if k != name}
        assert refused_at(
            server.dry_create(collection, place(base, "spec.ports", [item])), f"spec.ports.{name}"
        )

    (spec_required,) = _facts(explained, "spec", "required")
    for name in orjson.loads(spec_required["value"]):
        assert refused_at(server.dry_create(collection, place(base, f"spec.{name}", DROP)), f"spec.{name}")

    counts = [f for f in _facts(explained, "spec.labels", "properties-count")]
    most = next(int(f["value"]) for f in counts if f["words"].startswith("at most"))
    assert refused_at(
        server.dry_create(collection, place(base, "spec.labels", {f"k{i}": "v" for i in range(most + 1)})),
        "spec.labels",
    )
    assert refused_at(server.dry_create(collection, place(base, "spec.labels", {})), "spec.labels")
    (value_len,) = [
        f
        for f in explained[WIDGET]["spec.labels"]["facts"]
        if f.get("scope") == "each value" and f["kind"] == "length"
    ]
    too_long = {"k": "a" * (int(value_len["value"]) + 1)}
    assert refused_at(server.dry_create(collection, place(base, "spec.labels", too_long)), "spec.labels")

    (nested,) = [
        f
        for f in explained[WIDGET]["spec.steps"]["facts"]
        if f.get("scope") == "each item's item" and f["kind"] == "length"
    ]
    short = "a" * (int(nested["value"]) - 1)
    assert refused_at(server.dry_create(collection, place(base, "spec.steps", [[short]])), "spec.steps")
    assert server.dry_create(collection, place(base, "spec.steps", [["ab"]])).status_code == 201


def test_alternatives_free_form_and_defaults_as_stated(server: Server, explained: dict[Any, Any]) -> None:
    collection, base = BASES[WIDGET]
    (one,) = _facts(explained, "spec.source", "oneOf")
    assert one["words"] == "exactly one of `http` or `dns` must be set"
    assert refused_at(
        server.dry_create(collection, place(base, "spec.source", {"http": "a", "dns": "b"})), "spec.source"
    )
    assert refused_at(server.dry_create(collection, place(base, "spec.source", {})), "spec.source")
    assert server.dry_create(collection, place(base, "spec.source", {"http": "a"})).status_code == 201

    (any_of,) = _facts(explained, "spec.auth", "anyOf")
    assert "at least one of `user`, `token`" in any_of["words"]
    assert refused_at(server.dry_create(collection, place(base, "spec.auth", {"cert": "c"})), "spec.auth")
    (nope,) = _facts(explained, "spec.auth", "not")
    assert nope["words"] == "not both `token` and `cert`"
    assert refused_at(
        server.dry_create(collection, place(base, "spec.auth", {"token": "t", "cert": "c"})), "spec.auth"
    )
    assert server.dry_create(collection, place(base, "spec.auth", {"token": "t"})).status_code == 201
    (all_of,) = _facts(explained, "spec.auth", "allOf")
    assert "maxLength 32" in all_of["words"]
    assert refused_at(
        server.dry_create(collection, place(base, "spec.auth", {"user": "u" * 33})), "spec.auth"
    )

    (nullable,) = _facts(explained, "spec.note", "nullable")
    assert nullable["value"] == "true"
    kept = server.dry_create(collection, place(base, "spec.note", None))
    assert kept.status_code == 201 and kept.json()["spec"].get("note", "absent") is None

    (free,) = _facts(explained, "spec.config", "preserve-unknown-fields")
    assert "not validated, not pruned" in free["words"]
    anything = {"deep": {"er": [1, "two", {"three": None}]}}
    stored = server.dry_create(collection, place(base, "spec.config", anything))
    assert stored.status_code == 201 and stored.json()["spec"]["config"] == anything
    pruned = server.dry_create(collection, place(base, "spec.selector", {"app": "a", "unknown": 1}))
    # no such promise on spec.selector: Strict decoding refuses the unknown field
    assert pruned.status_code == 400 and 'unknown field "spec.selector.unknown"' in pruned.json()["message"]

    for path in ("spec.policy", "spec.stages", "spec.ports.protocol"):
        (default,) = _facts(explained, path, "default")
        created = server.dry_create(
            collection,
            place(base, path, DROP)
            if path != "spec.ports.protocol"
            else place(base, "spec.ports", [{"name": "a", "port": 1}]),
        )
        assert created.status_code == 201, created.text
        spec = created.json()["spec"]
        got = spec["ports"][0]["protocol"] if path == "spec.ports.protocol" else spec[path.split(".")[1]]
        assert got == orjson.loads(default["value"]), path


def test_rules_as_stated(server: Server, explained: dict[Any, Any]) -> None:
    collection, base = BASES[WIDGET]
    (root_rule,) = _facts(explained, "", "rule")
    assert root_rule["value"] == "self.metadata.name.startsWith('w-')"
    refused = server.dry_create(collection, {**base, "metadata": {"name": "x-bad"}})
    assert refused.status_code == 422 and root_rule["rule"]["message"] in refused.text

    rules = {f["value"]: f for f in _facts(explained, "spec", "rule")}
    (ordered,) = [f for f in rules.values() if f["rule"]["messageExpression"]]
    assert ordered["rule"]["fieldPath"] == ".minReplicas" and ordered["rule"]["reason"] == "FieldValueInvalid"
    r = server.dry_create(collection, place(place(base, "spec.minReplicas", 5), "spec.maxReplicas", 2))
    assert refused_at(r, "spec.minReplicas") and "widget base: minReplicas exceeds maxReplicas" in r.text
    (long_rule,) = [f for f in rules.values() if len(f["value"]) > 200]
    r = server.dry_create(collection, place(base, "spec.tags", ["-x"]))
    assert r.status_code == 422 and long_rule["rule"]["message"] in r.text

    # transition rules need a stored object: create one, then try updates (dry run) against it
    stored = {**base, "metadata": {"name": "w-fidelity"}}
    stored = place(place(stored, "spec.maxReplicas", 10), "spec.stage", "one")
    created = server.admin.post(
        collection, content=orjson.dumps(stored), headers={"Content-Type": "application/json"}
    )
    assert created.status_code == 201, created.text
    try:
        current = created.json()

        def update(path: str, value: Any) -> httpx.Response:
            return server.admin.put(
                f"{collection}/w-fidelity",
                params={"dryRun": "All", "fieldValidation": "Strict"},
                content=orjson.dumps(place(current, path, value)),
                headers={"Content-Type": "application/json"},
            )

        (immutable,) = _facts(explained, "spec.mode", "rule")
        assert immutable["rule"]["immutable"] and immutable["words"].startswith("immutable once set")
        assert refused_at(update("spec.mode", "Manual"), "spec.mode")
        (opt,) = _facts(explained, "spec.stage", "rule")
        assert opt["rule"]["optionalOldSelf"] and opt["rule"]["immutable"]
        assert refused_at(update("spec.stage", "two"), "spec.stage")
        (shrink,) = [f for f in rules.values() if f["rule"]["transition"]]
        assert "transition" in shrink["words"]
        assert update("spec.maxReplicas", 9).status_code == 422
        assert update("spec.maxReplicas", 11).status_code == 200
        assert update("spec.note", "changed").status_code == 200
    finally:
        server.admin.delete(f"{collection}/w-fidelity")
