"""The whole tree of a schema (``?recursive=1``) as an outline light enough for the largest kinds.

``kubectl explain --recursive`` prints every level; a browser page of every level of a Pod (1,418
fields) or a big CRD, drawn with the one-level tree's collapsible parts and descriptions, was 1.5 MB
and 880 ms in Chromium. The outline keeps what a person scans the whole tree for — each field's name
(a link to its own page, where the description is), type, badges and every fact it enforces — as one
nested list built in a single pass, and shows a subtree that repeats one already shown (``initContainers``
after ``containers``, a CRD's second copy of a pod template) as a link to the first instead of again.
Built-in subtrees are the same when their definition (``$ref``) is; a CRD's inline ones when their
schemas are equal, descriptions included, so "same fields as" is true of everything the page would show.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any

import orjson
from markupsafe import Markup

from webexplorer.catalog import Field
from webexplorer.catalog.schema import short_name
from webexplorer.web.factsview import FactsReader, deprecated, esc, fact_list_html

#: a repeated subtree of fewer fields than this is shown again in place: a link saves nothing there
MIN_SHARED = 4


@dataclass(frozen=True, slots=True)
class Outline:
    """A whole tree, ready to show: its HTML, the fields it shows, and the fields it does not repeat
    because a "same fields as" link stands for them."""

    html: Markup
    shown: int
    folded: int


Link = Callable[[str], str]


def outline(fields: tuple[Field, ...], facts: FactsReader, field_url: Link, definition_url: Link) -> Outline:
    """The outline of ``fields`` and every level below them (each ``Field.children`` expanded), each
    name linking to ``field_url(path)``, a recursive type to ``definition_url(name)``."""
    sizes: dict[int, int] = {}
    placed = _place(fields, sizes)
    out = ['<ul class="outline" id="outline">']
    folded = 0
    for i, (f, depth, same_as) in enumerate(placed):
        out.append(_row(f, same_as, facts, field_url, definition_url))
        after = placed[i + 1][1] if i + 1 < len(placed) else 0
        out.append("<ul>" if after > depth else "</li>" + "</ul></li>" * (depth - after) + "\n")
        if same_as is not None:
            folded += _size(f, sizes)
    out.append("</ul>")
    return Outline(Markup("".join(out)), len(placed), folded)  # noqa: S704 (every value is escaped)


def _place(fields: tuple[Field, ...], sizes: dict[int, int]) -> list[tuple[Field, int, str | None]]:
    """Every field to show, in document order, with its depth and the path it repeats (or None)."""
    first: dict[Hashable, str] = {}
    placed: list[tuple[Field, int, str | None]] = []
    stack: list[tuple[Field, int]] = [(f, 0) for f in reversed(fields)]
    while stack:
        f, depth = stack.pop()
        children = f.children or ()
        same_as = None
        if children and not f.recursive and _size(f, sizes) >= MIN_SHARED:
            key = _shared_key(f)
            if key is not None:
                same_as = first.setdefault(key, f.path)
                same_as = None if same_as == f.path else same_as
        placed.append((f, depth, same_as))
        if same_as is None and not f.recursive:
            stack.extend((c, depth + 1) for c in reversed(children))
    return placed


def _row(f: Field, same_as: str | None, facts: FactsReader, field_url: Link, definition_url: Link) -> str:
    """One field's line: its name (a link to its page), type, badges, and the facts it enforces."""
    path = esc(f.path)
    html = (
        f'<li id="{path}"><a href="{esc(field_url(f.path))}">{esc(f.name)}</a>'
        f' <span class="ft">{esc(str(f.type))}</span>'
    )
    found = facts.of(f)
    if f.required:
        html += ' <span class="req">required</span>'
    if deprecated(f):
        html += ' <span class="badge badge-warn">deprecated</span>'
    if found.immutable:
        html += ' <span class="badge badge-immutable" title="an update may not change it">immutable</span>'
    if f.recursive and f.ref:
        link = f'<a href="{esc(definition_url(f.ref))}">{esc(short_name(f.ref))}</a>'
        why = "this type contains itself; a link, not another level"
        html += f' <span class="badge" title="{why}">recursive → {link}</span>'
    if same_as is not None:
        target = esc(same_as)
        html += f' <span class="same-as">same fields as <a href="#{target}">{target}</a></span>'
    return html + fact_list_html(facts.shown(f))


def _size(f: Field, sizes: dict[int, int]) -> int:
    """How many fields lie below ``f`` (recursive types not entered), each subtree counted once."""
    found = sizes.get(id(f))
    if found is None:
        found = 0 if f.recursive else sum(1 + _size(c, sizes) for c in f.children or ())
        sizes[id(f)] = found
    return found


def _shared_key(f: Field) -> Hashable | None:
    """What makes two subtrees the same: the definition they come from, or (inline, as in CRDs) the
    whole schema of their children, descriptions included; None when that cannot be told."""
    if f.ref:
        return ("ref", f.ref)
    schema: Mapping[str, Any] | None = f.child_schema
    if not isinstance(schema, dict):
        return None
    try:
        dumped = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    return ("inline", blake2b(dumped, digest_size=16).digest())
