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
from webexplorer.catalog.facts_below import Below, constraints_below
from webexplorer.catalog.fieldfacts import Fact, SchemaFacts, field_facts

_TICKS = re.compile(r"`([^`]+)`")

#: fact kinds the field's header already shows (the type, spelt as kubectl explain does)
HEADER_KINDS = frozenset({"type"})


def ticks(text: str) -> Markup:
    """Plain words with `name` spans as ``<code>``; everything else escaped (the words quote values
    from the cluster, which are untrusted)."""
    escaped = str(escape(text))
    # the spans are matched on escaped text, so what goes into <code> is escaped already
    return Markup(_TICKS.sub(lambda m: f"<code>{m.group(1)}</code>", escaped))  # noqa: S704


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
