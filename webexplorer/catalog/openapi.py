"""Fetching OpenAPI documents on demand, once, and keeping them no longer than they are true.

:class:`DocumentCache` is shared by every :class:`~.catalog.Catalog` a store builds, because what it
caches does not change under it: a v3 document is keyed by its ``?hash=`` URL (a new hash is a new
URL), and the v2 document is kept with its ETag and revalidated with If-None-Match. Concurrent pages
asking for the same document share one fetch (single flight). Parsing runs in a worker thread so a
16 MB v2 document does not stall the event loop for the whole of its indexing, and the raw bytes are
dropped as soon as they are parsed, so only one copy of a document is ever held.

Memory is bounded: parsed v3 documents are evicted least recently used once their raw sizes add up to
``budget_bytes`` (a re-fetch of an immutable URL is always correct, just slower).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from ..lru import LRU
from ..source import DocumentSource
from .apidoc import ApiDocument
from .errors import CatalogError
from .jsonutil import parse_json
from .openapi_v2 import parse_v2
from .openapi_v3 import V3Entry, parse_index, parse_v3

OpenAPIKind = Literal["v3", "v2", "none"]
V2_PATH = "/openapi/v2"
V3_INDEX_PATH = "/openapi/v3"


@dataclass(frozen=True, slots=True)
class V3Index:
    """The parsed ``/openapi/v3`` index with the ETag it came with."""

    entries: tuple[V3Entry, ...]
    etag: str | None

    def entry_for(self, group: str, version: str) -> V3Entry | None:
        return next((e for e in self.entries if e.group == group and e.version == version), None)


def _parse_v3_bytes(body: bytes, where: str) -> ApiDocument:
    return parse_v3(parse_json(body, where), where=where)


def _parse_v2_bytes(body: bytes) -> ApiDocument:
    return parse_v2(parse_json(body, V2_PATH))


class DocumentCache:
    """Parsed OpenAPI documents of one source, fetched when first needed."""

    def __init__(self, source: DocumentSource, *, budget_bytes: int = 64 << 20) -> None:
        self.source = source
        self.budget_bytes = budget_bytes
        #: parsed documents by URL, weighed by the size of the body they were parsed from
        self._v3: LRU[str, tuple[ApiDocument, int]] = LRU(max_weight=budget_bytes, weigh=lambda hit: hit[1])
        self._inflight: dict[str, asyncio.Future[ApiDocument]] = {}
        self._v2: ApiDocument | None = None
        self._v2_etag: str | None = None
        self._v2_lock = asyncio.Lock()
        #: the status of the last /openapi/v3 answer (304 tells "unchanged" from 404 "no v3")
        self.last_index_status = 0

    # ------------------------------------------------------------------------------------- v3

    async def fetch_index(self, etag: str | None = None) -> V3Index | None:
        """``/openapi/v3``; None when the server has no v3 (404) or answered 304 to ``etag``."""
        got = await self.source.fetch(V3_INDEX_PATH, etag=etag)
        self.last_index_status = got.status
        if got.status in (304, 404):
            return None
        if got.status != 200:
            raise CatalogError(
                f"{V3_INDEX_PATH} answered HTTP {got.status}", path=V3_INDEX_PATH, status=got.status
            )
        return V3Index(parse_index(parse_json(got.body, V3_INDEX_PATH)), got.etag)

    def cached_v3(self, url: str) -> ApiDocument | None:
        hit = self._v3.get(url)
        return None if hit is None else hit[0]

    async def v3(self, entry: V3Entry) -> ApiDocument:
        """The document of one index entry, from the cache or fetched once however many ask."""
        hit = self.cached_v3(entry.url)
        if hit is not None:
            return hit
        running = self._inflight.get(entry.url)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[ApiDocument] = asyncio.get_running_loop().create_future()
        self._inflight[entry.url] = future
        try:
            doc = await self._fetch_v3(entry)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: nobody else may be waiting
            raise
        else:
            future.set_result(doc)
            return doc
        finally:
            self._inflight.pop(entry.url, None)

    async def _fetch_v3(self, entry: V3Entry) -> ApiDocument:
        got = await self.source.fetch(entry.url)
        if got.status != 200:
            raise CatalogError(
                f"OpenAPI v3 document {entry.key} answered HTTP {got.status}",
                path=entry.url,
                status=got.status,
            )
        size = len(got.body)
        doc = await asyncio.to_thread(_parse_v3_bytes, got.body, entry.url)
        del got  # the bytes: only the parsed form stays
        self._store(entry.url, doc, size)
        return doc

    def _store(self, url: str, doc: ApiDocument, size: int) -> None:
        self._v3.put(url, (doc, size))

    def retain(self, urls: set[str]) -> None:
        """Forget v3 documents whose URL the current index no longer names (their hash changed)."""
        for url in [u for u in self._v3 if u not in urls]:
            self._v3.pop(url)

    # ------------------------------------------------------------------------------------- v2

    @property
    def v2_loaded(self) -> bool:
        return self._v2 is not None

    async def v2(self, *, revalidate: bool = False) -> ApiDocument:
        """The v2 document, fetched on first use; with ``revalidate`` its ETag is checked again."""
        async with self._v2_lock:
            if self._v2 is not None and not revalidate:
                return self._v2
            got = await self.source.fetch(V2_PATH, etag=self._v2_etag if self._v2 is not None else None)
            if got.status == 304 and self._v2 is not None:
                return self._v2
            if got.status != 200:
                raise CatalogError(f"{V2_PATH} answered HTTP {got.status}", path=V2_PATH, status=got.status)
            etag = got.etag
            body = got.body
            del got
            self._v2 = await asyncio.to_thread(_parse_v2_bytes, body)
            self._v2_etag = etag
            return self._v2

    @property
    def v2_etag(self) -> str | None:
        return self._v2_etag
