"""What ``/raw`` keeps between requests: recent bodies (revalidated with If-None-Match) and the linked
HTML of large ones (by body identity), a few of each (:class:`~webexplorer.lru.LRU`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from webexplorer.lru import LRU
from webexplorer.source import Fetched

#: how many bodies, and how many renderings, are kept
CACHE_ENTRIES = 8


@dataclass(frozen=True, slots=True)
class RawCache:
    #: by (API path, aggregated form)
    bodies: LRU[tuple[str, bool], Fetched] = field(default_factory=lambda: LRU(CACHE_ENTRIES))
    #: by (API path, aggregated form, body identity and size, catalog generation)
    html: LRU[tuple[str, bool, int, int, int], Markup] = field(default_factory=lambda: LRU(CACHE_ENTRIES))
