"""Everything the API server enforces about one schema node, as typed data and as plain-word facts.

A page that documents a field must show what will make the server refuse a value: bounds, patterns,
enums, CEL rules, alternatives, how lists and maps merge, whether anything below is kept unvalidated.
:func:`field_facts` (a :class:`~.schema.Field` of a :class:`~.schema.SchemaSet`) and :func:`read_facts`
(any schema node) read all of it from one node — the field's schema with ``$ref``/``allOf``
already merged (:meth:`~.schema.SchemaSet.merged`), the same from OpenAPI v3, v2 and CRD schemas — into
a :class:`SchemaFacts`:

- typed attributes (``pattern``, ``max_length``, ``minimum``, ``rules``, ``alternatives``, ``items``...)
  for programs, e.g. a generator of starting bodies that must produce values the server accepts;
- ``facts``, the same as a list of :class:`Fact` (kind, plain words, the exact value, the keywords it
  stands for, and where it applies: the node itself or "each item"/"each value" of a list or map), in
  the order pages show them. Constraints of array items and map values are read into ``items`` /
  ``values`` and listed among the facts of the field they belong to.

Every keyword is reported; ``x-*`` keys this module has no words for are listed as they are, so a fact
is never lost. Nothing here fetches, renders or raises: values from a cluster may be anything, and a
keyword of an unexpected type is reported as written rather than interpreted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .celrules import CelRule, read_rules
from .facts_alternatives import Alternative, read_alternatives
from .facts_words import exact, format_words, names, plural, type_words
from .schema import Field, FieldTree, SchemaSet

#: resolves a (possibly ``$ref``) schema into the merged node read here; identity when none is needed
Resolve = Callable[[Mapping[str, Any]], Mapping[str, Any]]

#: keys that carry no constraint (documentation, structure) or that pages show elsewhere
_NOT_FACTS = frozenset(
    {
        "description",
        "title",
        "example",
        "examples",
        "externalDocs",
        "$ref",
        "allOf",
        "properties",
        "items",
        "$schema",
        "id",
        "definitions",
        "dependencies",
        "x-kubernetes-group-version-kind",
        "x-webexplorer-missing-ref",
    }
)
_DEPTH = 6  # items of items of ... ; real schemas nest lists of maps two or three deep
#: what built-in descriptions say of fields that cannot change (found with ``in``: a regex with
#: alternatives over every description of a kind costs more than all the other facts together)
_IMMUTABLE_PHRASES = (
    "cannot be updated",
    "cannot be changed",
    "is immutable",
    "are immutable",
    "immutable once set",
)
_DEPRECATED_TEXT = re.compile(r"(?:^|\s)deprecated\b[:.,]?")


def _immutable_at(description: str) -> tuple[int, int] | None:
    """Where the description says the field cannot change (start, end of the phrase), or None."""
    low = description.lower()
    if "updated" not in low and "immutable" not in low and "changed" not in low:
        return None
    for phrase in _IMMUTABLE_PHRASES:
        at = low.find(phrase)
        if at != -1:
            return at, at + len(phrase)
    return None


def _deprecated(description: str) -> bool:
    head = description[:300].lower()
    return "deprecated" in head and _DEPRECATED_TEXT.search(head) is not None


@dataclass(frozen=True, slots=True)
class Fact:
    """One thing the schema says about a node.

    ``kind`` is a short stable name (see :data:`FACT_KINDS`), ``words`` the fact in plain words,
    ``value`` the exact value as written (a regex, a bound, a CEL rule, JSON), ``keywords`` the schema
    keys it stands for, ``scope`` "" for the node itself or where below it applies ("each item",
    "each value", "each item's each value"...), ``rule`` the CEL rule for ``kind == "rule"``."""

    kind: str
    words: str
    value: str
    keywords: tuple[str, ...]
    scope: str = ""
    rule: CelRule | None = None

    def to_json(self) -> dict[str, Any]:
        """The machine-readable form (``?format=json``)."""
        out: dict[str, Any] = {"kind": self.kind, "words": self.words, "value": self.value}
        out["keywords"] = list(self.keywords)
        if self.scope:
            out["scope"] = self.scope
        if self.rule is not None:
            r = self.rule
            out["rule"] = {
                "rule": r.rule,
                "message": r.message,
                "messageExpression": r.message_expression,
                "reason": r.reason,
                "fieldPath": r.field_path,
                "optionalOldSelf": r.optional_old_self,
                "transition": r.transition,
                "immutable": r.immutable,
            }
        return out


#: every ``Fact.kind``, in the order pages list them
FACT_KINDS = (
    "type",
    "int-or-string",
    "format",
    "nullable",
    "enum",
    "default",
    "pattern",
    "length",
    "range",
    "multipleOf",
    "items-count",
    "uniqueItems",
    "properties-count",
    "required",
    "additionalProperties",
    "oneOf",
    "anyOf",
    "not",
    "allOf",
    "rule",
    "immutable",
    "list-type",
    "map-type",
    "patch",
    "unions",
    "preserve-unknown-fields",
    "embedded-resource",
    "deprecated",
    "extension",
)


@dataclass(frozen=True, slots=True)
class SchemaFacts:
    """What one schema node enforces. Absent constraints are None / empty / False.

    ``type`` is the schema's own type keyword ("" when there is none); ``int_or_string`` is true for
    every spelling of it (v2 ``format: int-or-string``, v3 ``oneOf: [integer, string]``, CRD
    ``x-kubernetes-int-or-string``). ``minimum``/``maximum`` are exclusive when the matching flag is
    set. ``required`` names the object's required properties. ``items`` describes each item of an array,
    ``values`` each value of a map (``additionalProperties`` as a schema); ``additional_properties`` is
    the boolean form (False: no other keys allowed). ``immutable`` is true when a CEL rule or the
    description says the value cannot change once set."""

    type: str = ""
    format: str = ""
    nullable: bool = False
    int_or_string: bool = False
    enum: tuple[Any, ...] = ()
    has_default: bool = False
    default: Any = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    multiple_of: int | float | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    min_properties: int | None = None
    max_properties: int | None = None
    required: tuple[str, ...] = ()
    additional_properties: bool | None = None
    alternatives: tuple[Alternative, ...] = ()
    rules: tuple[CelRule, ...] = ()
    list_type: str | None = None
    list_map_keys: tuple[str, ...] = ()
    map_type: str | None = None
    preserve_unknown_fields: bool = False
    embedded_resource: bool = False
    immutable: bool = False
    deprecated: bool = False
    items: SchemaFacts | None = None
    values: SchemaFacts | None = None
    facts: tuple[Fact, ...] = ()

    def of_kind(self, *kinds: str) -> tuple[Fact, ...]:
        """The facts of the given kinds, in order."""
        return tuple(f for f in self.facts if f.kind in kinds)

    @property
    def own(self) -> tuple[Fact, ...]:
        """The facts of the node itself (not of its items or values)."""
        return tuple(f for f in self.facts if not f.scope)

    @property
    def constraints(self) -> int:
        """How many facts could make the server refuse a value (for "N constraints" counts)."""
        return sum(1 for f in self.facts if f.kind not in _INFORMATIVE)


_INFORMATIVE = frozenset({"type", "format", "default", "patch", "deprecated", "extension", "map-type"})


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: object) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _strs(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _is_int_or_string(schema: Mapping[str, Any]) -> bool:
    if schema.get("x-kubernetes-int-or-string") is True or schema.get("format") == "int-or-string":
        return True
    for key in ("oneOf", "anyOf"):
        members = schema.get(key)
        if isinstance(members, list) and len(members) == 2:
            types = {m.get("type") for m in members if isinstance(m, Mapping) and set(m) <= {"type"}}
            if types == {"integer", "string"}:
                return True
    return False


def _int_or_string_alternative(schema: Mapping[str, Any], key: str) -> bool:
    """Whether ``oneOf``/``anyOf`` of this node is just the int-or-string spelling (folded into it)."""
    members = schema.get(key)
    if not (isinstance(members, list) and len(members) == 2):
        return False
    return {m.get("type") for m in members if isinstance(m, Mapping) and set(m) <= {"type"}} == {
        "integer",
        "string",
    }


class _Facts:
    """Collects the facts of one node (the builder behind :func:`read_facts`)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.out: list[Fact] = []

    def add(self, kind: str, words: str, value: str, *keywords: str, rule: CelRule | None = None) -> None:
        self.out.append(Fact(kind, words, value, keywords, self.scope, rule))


_COUNTS = (
    ("minLength", "length", "at least", "character"),
    ("maxLength", "length", "at most", "character"),
    ("minItems", "items-count", "at least", "item"),
    ("maxItems", "items-count", "at most", "item"),
    ("minProperties", "properties-count", "at least", "entry"),
    ("maxProperties", "properties-count", "at most", "entry"),
)


def _bounds(f: _Facts, schema: Mapping[str, Any]) -> None:
    """Lengths and counts, minimum/maximum (with their exclusive flags), multipleOf, uniqueItems."""
    for key, kind, how, unit in _COUNTS:
        if key in schema:
            n = _int(schema[key])
            many = "entries" if unit == "entry" else f"{unit}s"
            f.add(kind, f"{how} {plural(n, unit, many)}" if n is not None else key, exact(schema[key]), key)
    for key, flag, plain, strict in (
        ("minimum", "exclusiveMinimum", "at least", "greater than"),
        ("maximum", "exclusiveMaximum", "at most", "less than"),
    ):
        if key in schema:
            keys = (key, flag) if flag in schema else (key,)
            how = strict if schema.get(flag) is True else plain
            f.add("range", f"{how} {exact(schema[key])}", exact(schema[key]), *keys)
        elif flag in schema:
            f.add("range", f"{flag} without a {key}: no bound", exact(schema[flag]), flag)
    if "multipleOf" in schema:
        value = exact(schema["multipleOf"])
        f.add("multipleOf", f"a multiple of {value}", value, "multipleOf")
    if "uniqueItems" in schema:
        words = "no two items may be equal" if schema["uniqueItems"] is True else "items may repeat"
        f.add("uniqueItems", words, exact(schema["uniqueItems"]), "uniqueItems")


_LIST_TYPES = {
    "atomic": "the list is one value: an apply or patch replaces it as a whole",
    "set": "a set: items are unique scalars, and apply merges them item by item",
}
_MAP_TYPES = {
    "atomic": "the map is one value: an apply or patch replaces it as a whole",
    "granular": "merged key by key: each key can be owned by a different field manager",
}


def _merging(f: _Facts, schema: Mapping[str, Any]) -> None:
    """``x-kubernetes-list-type`` (+ map keys), ``-map-type``, ``-patch-strategy``/``-merge-key``."""
    list_type = schema.get("x-kubernetes-list-type")
    keys = _strs(schema.get("x-kubernetes-list-map-keys"))
    if list_type is not None:
        kws = (
            ("x-kubernetes-list-type", "x-kubernetes-list-map-keys") if keys else ("x-kubernetes-list-type",)
        )
        if list_type == "map":
            k = names(keys) or "its keys"
            words = f"items are merged by {k}; two items with the same {k} are refused"
            f.add("list-type", words, f"map, keys {exact(list(keys))}" if keys else "map", *kws)
        else:
            f.add(
                "list-type",
                _LIST_TYPES.get(str(list_type), f"list type {list_type!s}"),
                str(list_type),
                *kws,
            )
    elif "x-kubernetes-list-map-keys" in schema:
        f.add(
            "list-type",
            f"items are identified by {names(keys)}",
            exact(schema["x-kubernetes-list-map-keys"]),
            "x-kubernetes-list-map-keys",
        )
    map_type = schema.get("x-kubernetes-map-type")
    if map_type is not None:
        f.add(
            "map-type",
            _MAP_TYPES.get(str(map_type), f"map type {map_type!s}"),
            str(map_type),
            "x-kubernetes-map-type",
        )
    strategy = schema.get("x-kubernetes-patch-strategy")
    merge_key = schema.get("x-kubernetes-patch-merge-key")
    if strategy is not None or merge_key is not None:
        patch_keys = tuple(
            k for k in ("x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key") if k in schema
        )
        parts = [f"strategic merge patch: {strategy}" if strategy is not None else "strategic merge patch"]
        if merge_key is not None:
            parts.append(f"items matched by `{merge_key}`")
        value = ", ".join(f"{k.removeprefix('x-kubernetes-patch-')}: {schema[k]}" for k in patch_keys)
        f.add("patch", "; ".join(parts), value, *patch_keys)


def _unions(f: _Facts, schema: Mapping[str, Any]) -> None:
    unions = schema.get("x-kubernetes-unions")
    if unions is None:
        return
    for union in unions if isinstance(unions, list) else [unions]:
        if isinstance(union, Mapping):
            disc = union.get("discriminator")
            members = union.get("fields-to-discriminateBy")
            fields = list(members) if isinstance(members, Mapping) else []
            words = f"a union: at most one of {names(fields, 'or')} is set"
            if isinstance(disc, str):
                words += f", and `{disc}` says which"
            f.add("unions", words, exact(union), "x-kubernetes-unions")
        else:
            f.add("unions", "a union", exact(union), "x-kubernetes-unions")


def _type(f: _Facts, schema: Mapping[str, Any], int_or_string: bool) -> None:
    """Type, int-or-string, format, nullable."""
    typ = schema.get("type")
    fmt = schema.get("format")
    if int_or_string:
        kws = [k for k in ("x-kubernetes-int-or-string", "format", "type") if k in schema]
        kws += [k for k in ("oneOf", "anyOf") if _int_or_string_alternative(schema, k)]
        f.add("int-or-string", 'an integer or a string (as 8080 or "http")', "int-or-string", *kws)
    elif typ is not None:
        f.add(
            "type",
            type_words(str(typ)) if isinstance(typ, str) else f"one of the types {exact(typ)}",
            exact(typ) if not isinstance(typ, str) else typ,
            "type",
        )
    if fmt is not None and fmt != "int-or-string":
        f.add("format", format_words(str(fmt)), str(fmt), "format")
    if "nullable" in schema:
        words = "may be null (null is kept as a value)" if schema["nullable"] is True else "may not be null"
        f.add("nullable", words, exact(schema["nullable"]), "nullable")


def _values(f: _Facts, schema: Mapping[str, Any], default_is_noise: bool) -> None:
    """enum, default, pattern."""
    if "enum" in schema:
        enum = schema["enum"]
        listed = ", ".join(exact(e) for e in enum) if isinstance(enum, list) else exact(enum)
        f.add("enum", f"one of {listed}", exact(enum), "enum")
    if "default" in schema and not (default_is_noise and schema["default"] == {}):
        f.add(
            "default",
            f"when not given, the server sets {exact(schema['default'])}",
            exact(schema["default"]),
            "default",
        )
    if "pattern" in schema:
        f.add("pattern", "must match the regular expression", str(schema["pattern"]), "pattern")


def _object(f: _Facts, schema: Mapping[str, Any], values: SchemaFacts | None) -> None:
    """required, additionalProperties, preserve-unknown-fields, embedded-resource."""
    if "required" in schema:
        req = _strs(schema["required"])
        f.add(
            "required",
            f"required fields: {names(req)}" if req else "no required fields",
            exact(schema["required"]),
            "required",
        )
    additional = schema.get("additionalProperties")
    if isinstance(additional, bool):
        words = "no fields beyond those listed" if not additional else "any other fields are allowed"
        f.add("additionalProperties", words, exact(additional), "additionalProperties")
    elif isinstance(additional, Mapping) and values is not None:
        types = [t for a in values.alternatives for t in a.types]
        value_type = values.type or ("int-or-string" if values.int_or_string else " or ".join(types) or "any")
        f.add(
            "additionalProperties",
            f"a map: string keys, each value {type_words(value_type, values.format)}",
            value_type,
            "additionalProperties",
        )
    for key, kind, yes, no in _FREE_FORM:
        if schema.get(key) is not None:
            f.add(kind, yes if schema[key] is True else no, exact(schema[key]), key)


#: (key, fact kind, words when true, words when false) of the free-form markers
_FREE_FORM = (
    (
        "x-kubernetes-preserve-unknown-fields",
        "preserve-unknown-fields",
        "anything below is kept as given: not validated, not pruned",
        "unknown fields are pruned",
    ),
    (
        "x-kubernetes-embedded-resource",
        "embedded-resource",
        "a whole Kubernetes object (apiVersion, kind and metadata are checked)",
        "not an embedded object",
    ),
)


def _hints(f: _Facts, description: str) -> tuple[bool, bool]:
    """ "Cannot be updated"/"immutable" and "Deprecated" in the description: (immutable, deprecated)."""
    immutable = _immutable_at(description)
    if immutable is not None:
        # the sentence that says so
        start = description.rfind(".", 0, immutable[0]) + 1
        end = description.find(".", immutable[1])
        sentence = description[start : end + 1 if end != -1 else len(description)].strip()
        f.add("immutable", "immutable: the description says it cannot be changed", sentence, "description")
    deprecated = _deprecated(description)
    if deprecated:
        f.add("deprecated", "deprecated", description[:200].strip(), "description")
    return immutable is not None, deprecated


def read_facts(
    schema: Mapping[str, Any],
    resolve: Resolve | None = None,
    *,
    description: str | None = None,
    default_is_noise: bool = False,
    scope: str = "",
    _depth: int = 0,
) -> SchemaFacts:
    """Every fact of one (merged) schema node, with its array items and map values.

    ``resolve`` merges ``$ref``s of ``items``/``additionalProperties`` (a :class:`~.schema.SchemaSet`'s
    ``merged``); ``description`` is the text to read hints from (default: the node's own);
    ``default_is_noise`` drops ``default: {}`` (v3 writes Go's zero value on every struct reference, which
    sets nothing the server would not); ``scope`` prefixes where the facts apply."""
    resolve = resolve or (lambda s: s)
    f = _Facts(scope)
    int_or_string = _is_int_or_string(schema)
    _type(f, schema, int_or_string)
    _values(f, schema, default_is_noise)
    _bounds(f, schema)
    items = _below(schema.get("items"), resolve, _scoped(scope, "each item"), _depth)
    values = _below(schema.get("additionalProperties"), resolve, _scoped(scope, "each value"), _depth)
    _object(f, schema, values)
    alternatives = tuple(
        a
        for a in read_alternatives(schema)
        if not (int_or_string and _int_or_string_alternative(schema, a.kind))
    )
    for a in alternatives:
        f.add(a.kind, a.words, a.value, a.kind)
    rules = read_rules(schema.get("x-kubernetes-validations"))
    for r in rules:
        f.add("rule", r.words, r.rule, "x-kubernetes-validations", rule=r)
    if "x-kubernetes-validations" in schema and not rules:
        f.add(
            "rule",
            "validation rules (unreadable)",
            exact(schema["x-kubernetes-validations"]),
            "x-kubernetes-validations",
        )
    _merging(f, schema)
    _unions(f, schema)
    text = description if description is not None else schema.get("description")
    immutable, deprecated = _hints(f, text if isinstance(text, str) else "")
    for key, value in schema.items():
        if isinstance(key, str) and key.startswith("x-") and key not in _KNOWN and key not in _NOT_FACTS:
            f.add("extension", key, exact(value), key)
    own = tuple(f.out)
    below = (items.facts if items else ()) + (values.facts if values else ())
    return SchemaFacts(
        type=schema["type"] if isinstance(schema.get("type"), str) else "",
        format=schema["format"] if isinstance(schema.get("format"), str) else "",
        nullable=schema.get("nullable") is True,
        int_or_string=int_or_string,
        enum=tuple(schema["enum"]) if isinstance(schema.get("enum"), list) else (),
        has_default="default" in schema,
        default=schema.get("default"),
        pattern=schema["pattern"] if isinstance(schema.get("pattern"), str) else None,
        min_length=_int(schema.get("minLength")),
        max_length=_int(schema.get("maxLength")),
        minimum=_num(schema.get("minimum")),
        maximum=_num(schema.get("maximum")),
        exclusive_minimum=schema.get("exclusiveMinimum") is True,
        exclusive_maximum=schema.get("exclusiveMaximum") is True,
        multiple_of=_num(schema.get("multipleOf")),
        min_items=_int(schema.get("minItems")),
        max_items=_int(schema.get("maxItems")),
        unique_items=schema.get("uniqueItems") is True,
        min_properties=_int(schema.get("minProperties")),
        max_properties=_int(schema.get("maxProperties")),
        required=_strs(schema.get("required")),
        additional_properties=(
            schema["additionalProperties"] if isinstance(schema.get("additionalProperties"), bool) else None
        ),
        alternatives=alternatives,
        rules=rules,
        list_type=schema["x-kubernetes-list-type"]
        if isinstance(schema.get("x-kubernetes-list-type"), str)
        else None,
        list_map_keys=_strs(schema.get("x-kubernetes-list-map-keys")),
        map_type=schema["x-kubernetes-map-type"]
        if isinstance(schema.get("x-kubernetes-map-type"), str)
        else None,
        preserve_unknown_fields=schema.get("x-kubernetes-preserve-unknown-fields") is True,
        embedded_resource=schema.get("x-kubernetes-embedded-resource") is True,
        immutable=immutable or any(r.immutable for r in rules),
        deprecated=deprecated,
        items=items,
        values=values,
        facts=own + below,
    )


#: the ``x-*`` keys read above (anything else is listed as an "extension" fact)
_KNOWN = frozenset(
    {
        "x-kubernetes-int-or-string",
        "x-kubernetes-validations",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-map-type",
        "x-kubernetes-patch-strategy",
        "x-kubernetes-patch-merge-key",
        "x-kubernetes-unions",
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-embedded-resource",
    }
)


def _scoped(scope: str, step: str) -> str:
    return f"{scope}'s {step.removeprefix('each ')}" if scope else step


def _below(raw: object, resolve: Resolve, scope: str, depth: int) -> SchemaFacts | None:
    """The facts of an ``items`` or ``additionalProperties`` schema (None when there is none). Item
    descriptions are the item type's, not the field's: no hints are read from them."""
    if not isinstance(raw, Mapping) or depth >= _DEPTH:
        return None
    noise = "$ref" in raw or "allOf" in raw  # v3's zero-value default rides on references only
    return read_facts(
        resolve(raw), resolve, description="", default_is_noise=noise, scope=scope, _depth=depth + 1
    )


def field_facts(node: Field | FieldTree, schemas: SchemaSet) -> SchemaFacts:
    """The facts of a field (or of a tree's own node) of ``schemas``: the entry point for pages and for
    programs that build values the server accepts. v3's ``default: {}`` on a reference to a struct (Go's
    zero value, which sets nothing) is left out, so a field reads the same from v3 and v2."""
    noise = node.type.ref is not None
    # kept with the schema set: the whole-tree outline reads the facts of a thousand fields a page
    return schemas.kept(
        node.schema,
        ("field_facts", node.description, noise),
        lambda: read_facts(node.schema, schemas.merged, description=node.description, default_is_noise=noise),
    )


#: keywords that can make the server refuse a value: what searches find by name ("pattern", "maxlength",
#: "oneof") and what :mod:`.facts_below` counts
CONSTRAINT_KEYWORDS = (
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "enum",
    "required",
    "oneOf",
    "anyOf",
    "not",
    "allOf",
    "x-kubernetes-embedded-resource",
)
_SEARCHABLE = (*CONSTRAINT_KEYWORDS, "default", "nullable")


def search_terms(schema: Mapping[str, Any], description: str = "") -> str:
    """A field's facts as one lowercase line for search: the constraint keywords it has, "immutable",
    "deprecated", "int-or-string", "preserve-unknown-fields"..., and the text of its CEL rules and
    messages (so ``oldSelf`` finds transition rules). Much cheaper than :func:`read_facts`: the search
    index builds it for every field of every kind."""
    terms = [k for k in _SEARCHABLE if k in schema]
    terms += [k.removeprefix("x-kubernetes-") for k in _KNOWN if k in schema]
    rules = read_rules(schema.get("x-kubernetes-validations"))
    if any(r.immutable for r in rules) or _immutable_at(description):
        terms.append("immutable")
    if _deprecated(description):
        terms.append("deprecated")
    for r in rules:
        terms += [r.rule, r.message, r.message_expression]
    return " ".join(t for t in terms if t).lower().replace("\n", " ")
