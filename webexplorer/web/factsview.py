"""What schema pages need to show a field's facts (``catalog/fieldfacts.py``): a per-page reader that
computes each field's facts once, and the ``ticks`` filter that turns the `name` spans of the plain
words into ``<code>``.

Facts are computed while a page's content is built, which happens once per URL and catalog
generation (the page cache keeps the result), so reading them costs nothing on later views.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from webexplorer.catalog import Field, FieldTree, SchemaSet
from webexplorer.catalog.celrules import CelRule
from webexplorer.catalog.facts_below import Below, constraints_below
from webexplorer.catalog.fieldfacts import Fact, SchemaFacts, field_facts

_TICKS = re.compile(r"`([^`]+)`")


def esc(text: str) -> str:
    """``text`` escaped for HTML text and attribute values, as ``markupsafe.escape`` does, as a plain
    string: pages that build thousands of rows in Python (the whole-tree outline) escape every value,
    and a chain of ``replace`` is the cheapest way (no Markup object per value; ``str.translate`` with
    a table is three times slower)."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


#: fact kinds the field's header already shows (the type, spelt as kubectl explain does)
HEADER_KINDS = frozenset({"type"})


def ticks(text: str) -> Markup:
    """Plain words with `name` spans as ``<code>``; everything else escaped (the words quote values
    from the cluster, which are untrusted)."""
    escaped = str(escape(text))
    # the spans are matched on escaped text, so what goes into <code> is escaped already
    return Markup(_TICKS.sub(lambda m: f"<code>{m.group(1)}</code>", escaped))  # noqa: S704


def fact_list(items: tuple[Fact, ...]) -> Markup:
    """A field's facts as the ``<ul class="fact-list">`` every schema view shows (empty: nothing)."""
    return Markup(fact_list_html(items))  # noqa: S704 (fact_list_html escapes every value)


def fact_list_html(items: tuple[Fact, ...]) -> str:
    """:func:`fact_list` as a plain string, every value escaped.

    Written in Python, not as a template macro: the whole-tree outline lists the facts of a thousand
    fields a page, and a macro call per field was most of its time."""
    if not items:
        return ""
    out = ['<ul class="fact-list">']
    for x in items:
        scope = f'<span class="fact-scope">{esc(x.scope)}:</span> ' if x.scope else ""
        words = f'<span class="fact-words">{ticks(x.words)}</span>'
        if x.rule is not None:
            rule = esc(x.rule.rule)
            body = f'{words}<pre class="cel" data-keyword="x-kubernetes-validations">{rule}</pre>'
            body += f'<span class="cel-meta">{_rule_meta(x.rule)}</span>'
        elif x.kind == "pattern":
            body = f'{words} <code class="fact-value wrap pattern">{esc(x.value)}</code>'
        elif x.value:
            title = esc(", ".join(x.keywords))
            body = f'{words} <code class="fact-value wrap" title="{title}">{esc(x.value)}</code>'
        else:
            body = words
        out.append(f'<li class="fact fact-{esc(x.kind)}">{scope}{body}</li>')
    out.append("</ul>")
    return "".join(out)


def _rule_meta(r: CelRule) -> str:
    """What a CEL rule's entry says besides the rule: its message, reason, where it is reported."""
    if r.message_expression:
        meta = f'message: computed by <code class="wrap">{esc(r.message_expression)}</code>'
    elif r.message:
        meta = f"message: “{esc(r.message)}”"
    else:
        meta = "message: the rule itself"
    if r.reason:
        meta += f" · reason <code>{esc(r.reason)}</code>"
    if r.field_path:
        meta += f" · reported at <code>{esc(r.field_path)}</code>"
    if r.optional_old_self:
        meta += " · optionalOldSelf"
    return meta


def deprecated(f: Field) -> bool:
    """Kubernetes marks deprecation in prose ("Deprecated: ..."), not in a schema keyword."""
    return "deprecated" in f.description[:200].lower()


class FactsReader:
    """The facts of every field (and the root) one page shows, each computed once."""

    def __init__(self, schemas: SchemaSet) -> None:
        self._schemas = schemas
        self._done: dict[str, SchemaFacts] = {}

    def of(self, node: Field | FieldTree) -> SchemaFacts:
        """The facts of a field or of a tree's root node."""
        key = node.path
        found = self._done.get(key)
        if found is None:
            found = field_facts(node, self._schemas)
            self._done[key] = found
        return found

    def shown(self, node: Field | FieldTree) -> tuple[Fact, ...]:
        """The facts a page lists for a node (all but what its header shows)."""
        return tuple(f for f in self.of(node).facts if f.kind not in HEADER_KINDS)

    def below(self, node: Field) -> Below:
        """How many constraints (and CEL rules) the fields under ``node`` hold, all levels down."""
        return constraints_below(node, self._schemas)
