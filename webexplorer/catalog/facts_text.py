"""A field tree with its facts as plain text in ``kubectl explain`` layout, and as JSON data.

``kubectl explain`` prints a kind's or field's description and its fields, but none of what the server
enforces. The text here keeps its layout (``GROUP:``/``KIND:``/``VERSION:``, ``FIELD:``,
``DESCRIPTION:``, ``FIELDS:`` with ``name <type> -required-``; ``--recursive`` as nested names) and adds
each field's facts on lines of their own under it, as "- words: value", so a person can paste it into
a review or a terminal and see every constraint. The JSON form carries the same tree for scripts: every
field with its path, type, required flag and facts (see :meth:`.fieldfacts.Fact.to_json`).

Pure: callers hand in the tree and a function that gives each node's facts.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

from .fieldfacts import Fact
from .model import GVK
from .schema import Field, FieldTree

#: the facts of one field or root node, as a page lists them
FactsOf = Callable[[Field | FieldTree], tuple[Fact, ...]]
_WIDTH = 80


def _wrap(text: str, indent: str) -> list[str]:
    out: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines = textwrap.wrap(paragraph, _WIDTH - len(indent), break_long_words=False, break_on_hyphens=False)
        out.extend(f"{indent}{line}" for line in lines or [""])
    return out


def fact_line(fact: Fact) -> str:
    """One fact as text: "- each item: at most 63 characters: 63" (a CEL rule with its message)."""
    where = f"{fact.scope}: " if fact.scope else ""
    if fact.rule is not None:
        r = fact.rule
        extra = [f"message: {r.refusal}"]
        if r.reason:
            extra.append(f"reason: {r.reason}")
        if r.field_path:
            extra.append(f"fieldPath: {r.field_path}")
        if r.optional_old_self:
            extra.append("optionalOldSelf: true")
        return f"- {where}{fact.words}: {r.rule} ({'; '.join(extra)})"
    return f"- {where}{fact.words}: {fact.value}"


def _facts_lines(facts: tuple[Fact, ...], indent: str) -> list[str]:
    lines: list[str] = []
    for fact in facts:
        # facts are never re-wrapped: a regex or a CEL rule must copy out exactly as it is
        lines.append(f"{indent}{fact_line(fact)}")
    return lines


def _type_label(f: Field) -> str:
    return f"<{f.type}>"


def _field_block(f: Field, facts_of: FactsOf, indent: str, recursive: bool) -> list[str]:
    head = f"{indent}{f.name}\t{_type_label(f)}{' -required-' if f.required else ''}"
    lines = [head]
    if not recursive and f.description:
        lines.extend(_wrap(f.description, indent + "  "))
    lines.extend(_facts_lines(facts_of(f), indent + "  "))
    if recursive and f.children:
        for child in f.children:
            lines.extend(_field_block(child, facts_of, indent + "  ", recursive))
    elif not recursive:
        lines.append("")
    return lines


def explain_text(tree: FieldTree, facts_of: FactsOf, gvk: GVK | None, *, recursive: bool = False) -> str:
    """The tree as ``kubectl explain`` (``--recursive``) prints it, with every field's facts."""
    lines: list[str] = []
    if gvk is not None:
        lines += [f"GROUP:      {gvk.group}"] if gvk.group else []
        lines += [f"KIND:       {gvk.kind}", f"VERSION:    {gvk.version}", ""]
    else:
        lines += [f"DEFINITION: {tree.root}", ""]
    if tree.path:
        lines += [f"FIELD: {tree.path.rsplit('.', 1)[-1]} <{tree.type}>", ""]
    lines.append("DESCRIPTION:")
    lines.extend(_wrap(tree.description or "<empty>", "    "))
    root_facts = facts_of(tree)
    if root_facts:
        lines += ["", "ENFORCED:"]
        lines.extend(_facts_lines(root_facts, "    "))
    if tree.fields:
        lines += ["", "FIELDS:"]
        for f in tree.fields:
            lines.extend(_field_block(f, facts_of, "  ", recursive))
    return "\n".join(lines).rstrip() + "\n"


def _field_json(f: Field, facts_of: FactsOf) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": f.path,
        "name": f.name,
        "type": str(f.type),
        "required": f.required,
        "description": f.description,
        "facts": [x.to_json() for x in facts_of(f)],
    }
    if f.ref:
        out["definition"] = f.ref
    if f.recursive:
        out["recursive"] = True
    if f.children:
        out["fields"] = [_field_json(c, facts_of) for c in f.children]
    return out


def explain_json(tree: FieldTree, facts_of: FactsOf, gvk: GVK | None) -> dict[str, Any]:
    """The tree as data: the node (kind or field) with its facts and every field below it."""
    return {
        "kind": {"group": gvk.group, "version": gvk.version, "kind": gvk.kind} if gvk else None,
        "definition": tree.root,
        "path": tree.path,
        "type": str(tree.type),
        "description": tree.description,
        "facts": [x.to_json() for x in facts_of(tree)],
        "fields": [_field_json(f, facts_of) for f in tree.fields],
    }
