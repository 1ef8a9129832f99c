"""Rendered page content, kept until the API changes.

Most of a browsing page's time is its content: a deep schema page walks four levels of a field tree
and writes 90 KB of HTML, a search walks the index. None of it depends on who asks: the content is a
function of the URL and the catalog, which is immutable until the next swap (``CatalogStore.generation``).
So the content is rendered once per URL and generation, and every later visit only renders the page
shell around it (the header with the visitor's identity and sign-out form, which are never cached).

The cache is bounded by the size of the text it keeps (least recently used first out) and emptied as a
whole when a request sees a newer generation, so a page is never older than the catalog it is shown
with. Keys are chosen by :func:`webexplorer.web.templating.render_cached`; this module only keeps text.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

from webexplorer.lru import LRU

#: one entry's fixed cost beyond its text (the key, the dict slot, the object): keeps many tiny entries
#: (search fragments) from slipping past the size bound
ENTRY_OVERHEAD = 512


@dataclass(frozen=True, slots=True)
class CachedContent:
    """One kept rendering: ``body`` is a page's content block, or a fragment's whole text; ``blocks`` are
    a page's other small blocks (its title) as text. A body to be sent as it is is kept as UTF-8 bytes,
    so it is not encoded again for every answer; one that goes into another template is kept as text."""

    body: bytes | str
    blocks: Mapping[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return ENTRY_OVERHEAD + len(self.body) + sum(len(text) for text in self.blocks.values())


def _size(content: CachedContent) -> int:
    return content.size


class PageCache:
    """Content by key for one catalog generation at a time, at most ``max_bytes`` of text."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.generation: int | None = None
        self._entries: LRU[Hashable, CachedContent] = LRU(max_weight=max_bytes, weigh=_size)
        #: counted for tests and for reading a benchmark's effect
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._entries.weight

    def get(self, generation: int, key: Hashable) -> CachedContent | None:
        """The content kept for ``key`` in ``generation``; a newer generation empties the cache first."""
        self._advance(generation)
        found = self._entries.get(key) if generation == self.generation else None
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        return found

    def put(self, generation: int, key: Hashable, content: CachedContent) -> None:
        """Keep ``content``, unless it belongs to an older generation than the cache now holds (a page
        rendered while a swap happened) or is larger than the whole cache may be."""
        self._advance(generation)
        size = content.size
        if generation != self.generation or size > self.max_bytes:
            return
        self._entries.put(key, content)

    def _advance(self, generation: int) -> None:
        """Forget everything of older generations; never go back to one (a late, slow request)."""
        if self.generation is None or generation > self.generation:
            self._entries.clear()
            self.generation = generation
