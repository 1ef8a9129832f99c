"""The pure parts of writes that work the first time (issue 14): values for patterns, the starting body's
constraints, the preview diff, and the body check's lines and unknown fields. The real API server's word
on all of it is in test_starting_bodies.py and test_tryout_writes_live.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from webexplorer.catalog import GVK, CatalogError, SchemaSet, build_catalog
from webexplorer.catalog.snapshot import SnapshotSource, embedded_snapshot_path
from webexplorer.tryout.bodycheck import field_of_message, locate, unknown_fields
from webexplorer.tryout.fullbody import full_body
from webexplorer.tryout.preview import preview
from webexplorer.tryout.regex_example import example_matching
from webexplorer.tryout.skeleton import known_rules, skeleton


@pytest.mark.parametrize(
    ("pattern", "low", "high"),
    [
        (r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", 0, 63),
        (r"^[A-Z][a-zA-Z]*$", 1, None),
        (r"^([0-9]{1,5}(h|m|s|ms)){1,4}$", 0, None),
        (r"^/", 1, 1024),
        (r"^[a-z]+$", 12, 20),
        (r"^(?:[A-Za-z0-9+/]{4})*$", 4, None),
        (r"^[^:]+:\d+$", 0, None),
    ],
)
def test_pattern_values_match(pattern: str, low: int, high: int | None) -> None:
    value = example_matching(pattern, min_length=low, max_length=high)
    assert value is not None
    assert re.search(pattern, value), value
    assert low <= len(value) <= (high or 10**6)


def test_unsatisfiable_pattern_gives_none() -> None:
    assert example_matching(r"^a$", min_length=3) is None
    assert example_matching(r"\p{L}+") is None  # Go-only syntax: no guess


SCHEMAS = SchemaSet(
    {
        "ex.Thing": {
            "type": "object",
            "x-kubernetes-group-version-kind": [{"group": "ex.io", "version": "v1", "kind": "Thing"}],
            "required": ["spec"],
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": {
                    "type": "object",
                    "required": ["name", "count", "when", "data", "items", "mode"],
                    "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
                    "x-kubernetes-validations": [{"rule": "self.count < 10", "message": "count below 10"}],
                    "properties": {
                        "name": {"type": "string", "pattern": "^[a-z]+-[0-9]+$", "maxLength": 12},
                        "count": {"type": "integer", "minimum": 3, "maximum": 5},
                        "when": {"type": "string", "format": "date-time"},
                        "data": {"type": "string", "format": "byte"},
                        "items": {
                            "type": "array",
                            "minItems": 2,
                            "items": {"type": "string", "minLength": 9},
                        },
                        "mode": {"type": "string", "enum": ["Fast", "Slow"]},
                        "a": {"type": "object", "properties": {"x": {"type": "string"}}},
                        "b": {"type": "string"},
                        "optional": {"type": "string"},
                    },
                },
            },
        }
    }
)


def test_starting_body_satisfies_every_constraint() -> None:
    start = skeleton(SCHEMAS, "ex.Thing", GVK("ex.io", "v1", "Thing"), namespace="ns")
    body = start.value
    assert list(body)[:3] == ["apiVersion", "kind", "metadata"]
    assert body["metadata"] == {"name": "example", "namespace": "ns"}
    spec = body["spec"]
    assert re.search("^[a-z]+-[0-9]+$", spec["name"]) and len(spec["name"]) <= 12
    assert spec["count"] == 3
    assert spec["when"] == "2026-01-01T00:00:00Z"
    assert spec["data"] == "ZXhhbXBsZQ=="
    assert len(spec["items"]) == 2 and all(len(i) >= 9 for i in spec["items"])
    assert spec["mode"] == "Fast"
    assert "a" in spec and "b" not in spec  # one oneOf alternative
    assert "optional" not in spec
    assert start.notes == ("A rule the explorer cannot check applies at spec: count below 10",)


def test_known_rules_merge_version_specific_and_own_their_values() -> None:
    deployment = known_rules(GVK("apps", "v1", "Deployment"))
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert labels == deployment["spec"]["template"]["metadata"]["labels"]
    assert labels is not deployment["spec"]["template"]["metadata"]["labels"]  # no YAML aliases in a body
    assert known_rules(GVK("example.com", "v1", "Nothing")) == {}


def test_preview_diff_ignores_write_noise() -> None:
    live: dict[str, Any] = {
        "metadata": {"name": "a", "resourceVersion": "1", "generation": 1, "managedFields": [{}]},
        "spec": {"replicas": 1},
    }
    after = {"metadata": {"name": "a", "resourceVersion": "2", "generation": 2}, "spec": {"replicas": 3}}
    diff = preview(live, after)
    assert (diff.added, diff.removed) == (1, 1)
    assert [line.text for line in diff.lines if line.kind in ("add", "del")] == [
        "-  replicas: 1",
        "+  replicas: 3",
    ]
    same = preview(live, {**live, "metadata": {"name": "a", "resourceVersion": "9"}})
    assert same.unchanged
    created = preview(None, after)
    assert created.new_object and created.removed == 0


BODY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: a
        image: ""
"""


def test_locate_follows_the_server_field_path() -> None:
    assert locate(BODY, "spec.template.spec.containers[0].image") == 11
    assert locate(BODY, "spec.replicas") == 6
    assert locate(BODY, "spec.selector") == 5  # missing: its parent's line
    assert locate(BODY, "") is None
    assert locate("{", "spec") is None
    assert field_of_message('unknown field "spec.replicaz"') == "spec.replicaz"


def test_unknown_fields_against_the_schema() -> None:
    body = {"apiVersion": "ex.io/v1", "kind": "Thing", "spec": {"name": "a", "nmae": "b", "a": {"y": 1}}}
    assert unknown_fields(SCHEMAS, "ex.Thing", body) == ["spec.a.y", "spec.nmae"]


def test_full_body_comments_every_optional_field_and_parses_to_the_minimal_one() -> None:
    start = skeleton(SCHEMAS, "ex.Thing", GVK("ex.io", "v1", "Thing"), namespace="ns")
    text = full_body(SCHEMAS, "ex.Thing", start.value)
    assert yaml.safe_load(text) == start.value
    lines = text.splitlines()
    assert '  # optional: ""  # string' in lines
    assert "  a: {}  # Object" in lines and '    # x: ""  # string' in lines
    assert any(line.startswith("  name: ") and "pattern: ^[a-z]+-[0-9]+$" in line for line in lines)
    assert any(line.startswith("  count: 3  # integer, required, minimum: 3, maximum: 5") for line in lines)
    assert "  mode: Fast  # string, required, enum: Fast, Slow" in lines


async def test_full_body_of_every_snapshot_kind_is_its_minimal_body() -> None:
    catalog = await build_catalog(SnapshotSource(embedded_snapshot_path()), openapi="v3")
    checked = 0
    for r in catalog.resources():
        if "create" not in r.verbs:
            continue
        try:
            schemas, definition = await catalog.kind_definition(r.kind)
        except CatalogError:
            continue
        start = skeleton(schemas, definition, r.kind, namespace="ns" if r.namespaced else None)
        assert yaml.safe_load(full_body(schemas, definition, start.value)) == start.value, r.kind
        checked += 1
    assert checked > 50
