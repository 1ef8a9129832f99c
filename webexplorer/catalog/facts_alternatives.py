"""``oneOf`` / ``anyOf`` / ``not`` (and a CRD's ``allOf``) read as rules a person can follow.

CRDs use these keywords mostly with ``required`` lists, to say which fields go together: ``oneOf:
[{required: [http01]}, {required: [dns01]}]`` is "exactly one of `http01`, `dns01`"; ``not: {required:
[a, b]}`` is "not both `a` and `b`". Built-in types use ``oneOf`` of bare types for values that can be
written two ways (Quantity: a string or a number). Members of another shape are described keyword by
keyword, a few levels deep, and the exact JSON is always kept beside the words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .facts_words import exact, format_words, names

AlternativeKind = Literal["oneOf", "anyOf", "not", "allOf"]
_MAX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Alternative:
    """One ``oneOf``/``anyOf``/``not`` of a schema node.

    ``words`` is the rule in a sentence and ``value`` the keyword's exact JSON. For generators:
    ``required_sets`` lists, per member, the field names it requires when every member is only a
    ``required`` list (else empty); ``types`` the member types when every member is only a ``type``."""

    kind: AlternativeKind
    words: str
    value: str
    required_sets: tuple[tuple[str, ...], ...] = ()
    types: tuple[str, ...] = ()


def _required_only(member: object) -> tuple[str, ...] | None:
    """The names of a member that is nothing but ``required`` (descriptions aside), else None."""
    if not isinstance(member, Mapping):
        return None
    if set(member) - {"required", "description"}:
        return None
    req = member.get("required")
    if not isinstance(req, list) or not req or not all(isinstance(r, str) for r in req):
        return None
    return tuple(req)


def _type_only(member: object) -> str | None:
    if isinstance(member, Mapping) and set(member) <= {"type", "description"}:
        t = member.get("type")
        return t if isinstance(t, str) else None
    return None


def _group(names_: tuple[str, ...]) -> str:
    return names(names_) if len(names_) == 1 else f"({names(names_)})"


def describe(schema: object, depth: int = 0) -> str:
    """A schema (a member of an alternative) in words, a few levels deep; JSON beyond that."""
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return exact(schema)
    parts: list[str] = []
    for key, value in schema.items():
        if key == "description":
            continue
        if key == "required" and isinstance(value, list):
            parts.append(f"{names(value)} {'is' if len(value) == 1 else 'are'} set")
        elif key == "type":
            parts.append(f"is of type {value}")
        elif key == "format" and isinstance(value, str):
            parts.append(f"is {format_words(value)}")
        elif key == "enum" and isinstance(value, list):
            parts.append(f"is one of {', '.join(exact(v) for v in value)}")
        elif key == "properties" and isinstance(value, Mapping):
            for name, sub in value.items():
                parts.append(f"`{name}` {describe(sub, depth + 1)}")
        elif key == "not":
            parts.append(f"not ({describe(value, depth + 1)})")
        elif key in ("oneOf", "anyOf", "allOf") and isinstance(value, list):
            joiner = {"oneOf": " or else ", "anyOf": " or ", "allOf": " and "}[key]
            parts.append("(" + joiner.join(describe(m, depth + 1) for m in value) + ")")
        else:
            parts.append(f"{key} {exact(value)}")
    return " and ".join(parts) if parts else "anything"


#: how ``oneOf``/``anyOf`` read: (leads of a list of names, of a list of types, of a list of rules)
_LEADS: dict[str, tuple[str, str, str]] = {
    "oneOf": ("exactly one of", "written as one of", "exactly one of these must hold"),
    "anyOf": ("at least one of", "written as any of", "at least one of these must hold"),
}


def _some_of(kind: Literal["oneOf", "anyOf"], members: Sequence[Any], value: str) -> Alternative:
    """``oneOf``/``anyOf``: of required lists ("exactly one of `a` or `b` must be set"), of bare types
    ("written as one of: string, number"), or of anything else, member by member."""
    names_lead, types_lead, rules_lead = _LEADS[kind]
    sets = [_required_only(m) for m in members]
    if members and all(s is not None for s in sets):
        req = tuple(s for s in sets if s is not None)
        if kind == "oneOf" and all(len(s) == 1 for s in req):
            words = f"{names_lead} {names([s[0] for s in req], 'or')} must be set"
        else:
            words = f"{names_lead} {', '.join(_group(s) for s in req)} must be set"
        return Alternative(kind, words, value, required_sets=req)
    types = [_type_only(m) for m in members]
    if members and all(t is not None for t in types):
        ts = tuple(t for t in types if t is not None)
        return Alternative(kind, f"{types_lead}: {', '.join(ts)}", value, types=ts)
    listed = "; ".join(f"({i}) {describe(m)}" for i, m in enumerate(members, 1))
    return Alternative(kind, f"{rules_lead}: {listed}", value)


def _not(member: object, value: str) -> Alternative:
    req = _required_only(member)
    if req is not None:
        words = f"{names(req)} must not be set" if len(req) == 1 else f"not all of {names(req)} together"
        if len(req) == 2:
            words = f"not both {names(req)}"
        return Alternative("not", words, value, required_sets=(req,))
    if isinstance(member, Mapping) and set(member) <= {"anyOf", "description"}:
        inner = member.get("anyOf")
        sets = [_required_only(m) for m in inner] if isinstance(inner, list) else []
        if sets and all(s is not None and len(s) == 1 for s in sets):
            req_sets = tuple(s for s in sets if s is not None)
            words = f"none of {names([s[0] for s in req_sets], 'or')} may be set"
            return Alternative("not", words, value, required_sets=req_sets)
    return Alternative("not", f"must not match: {describe(member)}", value)


def read_alternatives(schema: Mapping[str, Any]) -> tuple[Alternative, ...]:
    """The ``oneOf``, ``anyOf`` and ``not`` of one schema node, in that order."""
    out: list[Alternative] = []
    for kind in ("oneOf", "anyOf"):
        members = schema.get(kind)
        if isinstance(members, list) and members:
            out.append(_some_of(kind, members, exact(members)))
    if "not" in schema:
        out.append(_not(schema["not"], exact(schema["not"])))
    all_of = schema.get("allOf")
    if isinstance(all_of, list):
        # ``allOf: [{$ref}]`` is how v3 writes a reference with a description: structure, not a rule
        rules = [m for m in all_of if not (isinstance(m, Mapping) and "$ref" in m)]
        if rules:
            words = "all of these must hold: " + "; ".join(
                f"({i}) {describe(m)}" for i, m in enumerate(rules, 1)
            )
            out.append(Alternative("allOf", words, exact(rules)))
    return tuple(out)
