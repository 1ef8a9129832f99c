"""The last good copy of each document the explorer read, for the pages that show documents as the
server sent them (``/raw/...``) while the API server cannot answer.

Pages built from the catalog keep answering in an outage because the catalog holds what they need;
raw documents did not, because a raw page is the server's bytes and the catalog keeps documents only
in parsed form. :class:`CopyingSource` sits between the explorer and its connection (it is itself a
:class:`~webexplorer.source.DocumentSource`), so every 200 answer — the catalog's discovery, OpenAPI
index and documents as much as what a raw page fetched — is kept as sent, with the time the server gave
it; a 304 to that copy's own ETag renews the time (the server confirmed the copy is still true). Pages
ask :meth:`KeptCopies.get` only when the server cannot answer, and say that what they show is a copy
and how old.

Memory is bounded by a byte budget over the bodies (:class:`~webexplorer.lru.LRU`): the least recently
used copy goes first, and a copy is only ever a fallback, so losing one costs nothing while the server
answers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..lru import LRU
from ..source import DocumentSource, Fetched

#: bytes of bodies kept (the v2 document and every v3 document of a plain cluster are ~10 MiB together)
COPY_BUDGET_BYTES = 32 << 20
#: and at most this many copies, whatever their size
MAX_COPIES = 512


@dataclass(frozen=True, slots=True)
class Copy:
    """One document as the server last sent it, and when the server last gave or confirmed it."""

    fetched: Fetched
    #: ``time.time()`` of the last 200, or of the last 304 to this copy's ETag
    confirmed_at: float

    def age(self, now: float | None = None) -> float:
        """Seconds since the server last said this is the document (never negative)."""
        return max(0.0, (time.time() if now is None else now) - self.confirmed_at)


class KeptCopies:
    """The copies of one source, by (path with its query, Accept header)."""

    def __init__(self, budget_bytes: int = COPY_BUDGET_BYTES, max_copies: int = MAX_COPIES) -> None:
        self._copies: LRU[tuple[str, str], Copy] = LRU(
            max_copies, max_weight=budget_bytes, weigh=lambda c: len(c.fetched.body)
        )

    def __len__(self) -> int:
        return len(self._copies)

    @property
    def bytes(self) -> int:
        """The bodies' bytes held now."""
        return self._copies.weight

    def get(self, path: str, accept: str = "application/json") -> Copy | None:
        return self._copies.get((path, accept))

    def keep(self, path: str, accept: str, fetched: Fetched, now: float | None = None) -> None:
        """Remember a 200 answer of ``path`` (anything else is not a document and is ignored)."""
        if fetched.status == 200:
            self._copies.put((path, accept), Copy(fetched, time.time() if now is None else now))

    def confirm(self, path: str, accept: str, etag: str, now: float | None = None) -> None:
        """The server answered 304 to ``etag``: the copy with that ETag is true as of now."""
        found = self._copies.peek((path, accept))
        if found is not None and found.fetched.etag == etag:
            self._copies.put((path, accept), Copy(found.fetched, time.time() if now is None else now))


class CopyingSource:
    """A :class:`~webexplorer.source.DocumentSource` that keeps a copy of every document it passes on."""

    def __init__(self, inner: DocumentSource, copies: KeptCopies | None = None) -> None:
        self.inner = inner
        self.copies = copies if copies is not None else KeptCopies()

    @property
    def label(self) -> str:
        return self.inner.label

    async def fetch(self, path: str, *, accept: str = "application/json", etag: str | None = None) -> Fetched:
        got = await self.inner.fetch(path, accept=accept, etag=etag)
        if got.status == 200:
            self.copies.keep(path, accept, got)
        elif got.status == 304 and etag is not None:
            self.copies.confirm(path, accept, etag)
        return got


__all__ = ["COPY_BUDGET_BYTES", "Copy", "CopyingSource", "KeptCopies"]
