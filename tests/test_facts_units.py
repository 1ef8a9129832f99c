"""The words and the readers behind schema facts (catalog/fieldfacts.py and its helpers), unit by unit.

Pure functions over schema fragments written the way the API server serves them; what the server
does with those keywords is checked against the real server in tests/test_facts_fidelity.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from webexplorer.catalog.celrules import read_rule, read_rules
from webexplorer.catalog.facts_alternatives import read_alternatives
from webexplorer.catalog.facts_below import constraints_below
from webexplorer.catalog.facts_words import exact, format_words, names, plural, type_words
from webexplorer.catalog.fieldfacts import FACT_KINDS, read_facts
from webexplorer.catalog.schema import SchemaSet
from webexplorer.web.factsview import ticks
from webexplorer.web.prose import prose


def test_words_for_formats_types_and_names() -> None:
    assert format_words("byte") == "base64-encoded bytes"
    assert "RFC 3339" in format_words("date-time")
    assert format_words("no-such") == "format 'no-such'"
    assert type_words("integer", "int32").startswith("integer (a 32-bit integer")
    assert type_words("int-or-string", "int-or-string") == "an integer or a string"
    assert names(["a"]) == "`a`"
    assert names(["a", "b", "c"], "or") == "`a`, `b` or `c`"
    assert names([]) == ""
    assert plural(1, "item") == "1 item" and plural(2, "entry", "entries") == "2 entries"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (0.5, "0.5"),
        (True, "true"),
        (None, "null"),
        ('a"b', '"a\\"b"'),
        ({"a": [1]}, '{"a": [1]}'),
    ],
)
def test_exact_values(value: Any, text: str) -> None:
    assert exact(value) == text


def test_cel_rules_transition_immutable_and_fields() -> None:
    r = read_rule({"rule": "self == oldSelf", "message": "mode is immutable"})
    assert r is not None and r.immutable and r.transition and r.words.startswith("immutable once set")
    opt = read_rule({"rule": "oldSelf.hasValue() ? self == oldSelf.value() : true", "optionalOldSelf": True})
    assert opt is not None and opt.immutable and opt.optional_old_self
    kept = read_rule({"rule": "has(self.x) == has(oldSelf.x)"})
    assert kept is not None and kept.kept_field == "x" and not kept.immutable
    grow = read_rule({"rule": "self.n >= oldSelf.n", "message": "may not shrink"})
    assert grow is not None and grow.transition and not grow.immutable and "transition" in grow.words
    plain = read_rule(
        {
            "rule": "self.a <= self.b",
            "messageExpression": "'a ' + string(self.a)",
            "reason": "FieldValueInvalid",
            "fieldPath": ".a",
        }
    )
    assert plain is not None and not plain.transition
    assert plain.refusal == "message computed by 'a ' + string(self.a)"
    assert (plain.reason, plain.field_path) == ("FieldValueInvalid", ".a")
    assert read_rule({"message": "no rule"}) is None
    assert read_rules("not a list") == ()
    assert read_rule({"rule": "selfish == oldSelfie"}) is not None
    assert not read_rule({"rule": "self.oldSelfie"}).transition  # type: ignore[union-attr]


def test_alternatives_in_words() -> None:
    (one,) = read_alternatives({"oneOf": [{"required": ["http01"]}, {"required": ["dns01"]}]})
    assert one.words == "exactly one of `http01` or `dns01` must be set"
    assert one.required_sets == (("http01",), ("dns01",))
    (anyof,) = read_alternatives({"anyOf": [{"required": ["a"]}, {"required": ["b", "c"]}]})
    assert anyof.words == "at least one of `a`, (`b` and `c`) must be set"
    (nope,) = read_alternatives({"not": {"required": ["token", "cert"]}})
    assert nope.words == "not both `token` and `cert`"
    (none,) = read_alternatives({"not": {"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}})
    assert none.words == "none of `a` or `b` may be set"
    (types,) = read_alternatives({"oneOf": [{"type": "string"}, {"type": "number"}]})
    assert types.types == ("string", "number")
    (deep,) = read_alternatives(
        {"oneOf": [{"properties": {"type": {"enum": ["IP"]}}}, {"not": {"format": "ipv4"}}]}
    )
    assert '`type` is one of "IP"' in deep.words and "not (is an IPv4 address)" in deep.words
    assert read_alternatives({"allOf": [{"$ref": "#/definitions/x"}]}) == ()
    (all_of,) = read_alternatives({"allOf": [{"required": ["a"]}]})
    assert all_of.kind == "allOf" and "`a` is set" in all_of.words


def test_facts_of_a_node_with_items_and_values() -> None:
    facts = read_facts(
        {
            "type": "array",
            "maxItems": 5,
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {
                "type": "object",
                "required": ["name"],
                "x-kubernetes-validations": [{"rule": "self.name != 'x'"}],
                "properties": {"name": {"type": "string"}},
            },
        }
    )
    assert facts.max_items == 5 and facts.list_map_keys == ("name",)
    assert facts.items is not None and facts.items.required == ("name",)
    kinds = [(f.scope, f.kind) for f in facts.facts]
    assert (
        ("", "items-count") in kinds and ("each item", "required") in kinds and ("each item", "rule") in kinds
    )
    (merge,) = facts.of_kind("list-type")
    assert merge.words == "items are merged by `name`; two items with the same `name` are refused"
    assert set(merge.keywords) == {"x-kubernetes-list-type", "x-kubernetes-list-map-keys"}

    m = read_facts({"type": "object", "additionalProperties": {"type": "array", "items": {"maxLength": 3}}})
    assert ("each value's item", "length") in [(f.scope, f.kind) for f in m.facts]


def test_bounds_exclusive_and_int_or_string() -> None:
    f = read_facts(
        {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1, "multipleOf": 0.25}
    )
    words = [x.words for x in f.facts]
    assert "greater than 0" in words and "at most 1" in words and "a multiple of 0.25" in words
    assert f.exclusive_minimum and not f.exclusive_maximum and f.multiple_of == 0.25
    for spelling in (
        {"type": "string", "format": "int-or-string"},
        {"format": "int-or-string", "oneOf": [{"type": "integer"}, {"type": "string"}]},
        {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
    ):
        facts = read_facts(spelling)
        assert facts.int_or_string and [x.kind for x in facts.facts] == ["int-or-string"], spelling
        assert set(facts.facts[0].keywords) >= set(spelling) - {"type"}


def test_every_keyword_is_reported_and_kinds_are_known() -> None:
    schema = {
        "type": "string",
        "nullable": True,
        "x-kubernetes-preserve-unknown-fields": True,
        "x-kubernetes-embedded-resource": True,
        "x-kubernetes-something-new": {"a": 1},
        "description": "Deprecated: use other. Cannot be updated.",
    }
    facts = read_facts(schema)
    assert {k for f in facts.facts for k in f.keywords} >= set(schema) - {"description"}
    assert facts.immutable and facts.deprecated and facts.nullable and facts.embedded_resource
    assert all(f.kind in FACT_KINDS for f in facts.facts)
    assert read_facts({"default": {}}, default_is_noise=True).facts == ()
    assert read_facts({"default": {}}).has_default


def test_ticks_escape_everything_but_makes_code() -> None:
    assert str(ticks("merged by `name`")) == "merged by <code>name</code>"
    assert str(ticks("`<script>` & co")) == "<code>&lt;script&gt;</code> &amp; co"


#: this test's own list of the keywords that refuse values (kept apart from the code's on purpose)
_WORDS = "pattern minLength maxLength minimum maximum multipleOf minItems maxItems uniqueItems minProperties"
_WORDS += " maxProperties enum required oneOf anyOf not allOf x-kubernetes-embedded-resource"
ENFORCING = set(_WORDS.split())


def _count(node: dict[str, Any]) -> tuple[int, int]:
    """This test's own count of what a CRD schema node and everything below it enforce."""
    rules = len(node.get("x-kubernetes-validations", []))
    n = (
        sum(1 for k in node if k in ENFORCING)
        + rules
        + (node.get("x-kubernetes-list-type") in ("map", "set"))
    )
    for child in [*node.get("properties", {}).values(), node.get("items"), node.get("additionalProperties")]:
        if isinstance(child, dict):
            c, r = _count(child)
            n, rules = n + c, rules + r
    return n, rules


def test_constraints_below_count_every_level() -> None:
    crd = yaml.safe_load((Path(__file__).parent / "crds" / "facts.webexplorer.test_widgets.yaml").read_text())
    root = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    schemas = SchemaSet({"Widget": root})
    (spec,) = [f for f in schemas.fields(root) if f.name == "spec"]
    below = constraints_below(spec, schemas)
    total, rules = _count(root["properties"]["spec"])
    own = sum(1 for k in spec.schema if k in ENFORCING) + len(spec.schema["x-kubernetes-validations"])
    assert (below.constraints, below.rules) == (
        total - own,
        rules - len(spec.schema["x-kubernetes-validations"]),
    )
    assert below.rules == 2 and below.constraints > 30
    (status,) = [f for f in schemas.fields(root) if f.name == "status"]
    assert constraints_below(status, schemas).constraints == 0


def test_descriptions_as_safe_prose() -> None:
    html = str(
        prose(
            "Set `name` to <b>x</b>. More info: https://kubernetes.io/docs/a#b.\n\n"
            "Valid values are:\n- `Always`: restart\n  when it exits\n* Never\n\njavascript:alert(1) http://x.test/`y`"
        )
    )
    assert html.startswith("<p>Set <code>name</code> to &lt;b&gt;x&lt;/b&gt;. More info: ")
    assert '<a href="https://kubernetes.io/docs/a#b" rel="nofollow noopener noreferrer">' in html
    assert "<ul><li><code>Always</code>: restart when it exits</li><li>Never</li></ul>" in html
    assert "<p>javascript:alert(1) " in html and 'href="javascript' not in html
    assert "<b>" not in html and "<script" not in str(prose("<script>alert(1)</script>"))
