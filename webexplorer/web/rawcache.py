"""What ``/raw`` keeps between requests, and what it says when it shows a copy.

Bodies are the explorer's (:mod:`webexplorer.catalog.copies`: the last good copy of every document,
revalidated with If-None-Match and shown when the server cannot answer); kept here is only the linked
HTML of large bodies (by body identity, a few, :class:`~webexplorer.lru.LRU`), and :class:`CopyNote`,
the label of a page or download served from a copy.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from markupsafe import Markup

from webexplorer.catalog.copies import Copy
from webexplorer.lru import LRU
from webexplorer.source import Fetched

#: how many renderings are kept
CACHE_ENTRIES = 8
#: the response header that marks an answer served from a copy (and says how old, and why)
COPY_HEADER = "X-Webexplorer-Copy"
_UNSAFE = re.compile(r"[^\x20-\x7e]|[\"\\]")


@dataclass(frozen=True, slots=True)
class RawCache:
    #: by (API path, aggregated form, body identity and size, catalog generation)
    html: LRU[tuple[str, bool, int, int, int], Markup] = field(default_factory=lambda: LRU(CACHE_ENTRIES))


@dataclass(frozen=True, slots=True)
class CopyNote:
    """A raw answer served from the last good copy: when the server gave it, and why it is not live."""

    #: why the server's answer could not be used (one sentence for a person)
    reason: str
    #: ``time.time()`` when the server last gave or confirmed the copy
    confirmed_at: float
    #: seconds between then and this answer
    age: float

    @classmethod
    def of(cls, copy: Copy, reason: str) -> CopyNote:
        now = time.time()
        return cls(reason, copy.confirmed_at, copy.age(now))

    @property
    def saved(self) -> str:
        """When, in UTC, as ISO 8601 to the second."""
        return datetime.fromtimestamp(self.confirmed_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def age_text(self) -> str:
        """``"42 s"``, ``"3 min 5 s"``, ``"2 h 10 min"``."""
        seconds = int(self.age)
        if seconds < 60:
            return f"{seconds} s"
        if seconds < 3600:
            return f"{seconds // 60} min {seconds % 60} s"
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"

    def headers(self) -> dict[str, str]:
        """``Age`` (RFC 9111: seconds since the origin gave it) and :data:`COPY_HEADER` with the rest."""
        reason = _UNSAFE.sub(" ", self.reason)[:200]
        return {
            "Age": str(int(self.age)),
            COPY_HEADER: f'saved={self.saved}; age={int(self.age)}; reason="{reason}"',
            "Cache-Control": "no-store",
        }


@dataclass(frozen=True, slots=True)
class Served:
    """What a raw page shows: the server's answer now, or a copy with its note."""

    fetched: Fetched
    copy: CopyNote | None = None
