"""Building a :class:`~.catalog.Catalog` from a source, and telling whether the API changed.

A build reads discovery, the OpenAPI v3 index and ``/version``: a few hundred kilobytes, not the
documents. ``openapi="auto"`` uses v3 where the server has an index, else v2. Given the previous
catalog, the discovery ETags and the index ETag go out as If-None-Match (the v2 document, if loaded, is
revalidated by its ETag); when nothing changed the previous catalog itself is returned, so callers
compare with ``is`` and skip the swap.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Literal

from ..source import DocumentSource
from .catalog import Catalog, CatalogInfo
from .discovery import read_discovery, read_version
from .errors import CatalogError
from .model import Discovery
from .openapi import DocumentCache, OpenAPIKind, V3Index

OpenAPIChoice = Literal["auto", "v3", "v2"]


async def build_catalog(
    source: DocumentSource,
    *,
    docs: DocumentCache | None = None,
    openapi: OpenAPIChoice = "auto",
    aggregated: bool = True,
    concurrency: int = 8,
    previous: Catalog | None = None,
) -> Catalog:
    """Read discovery (and the v3 index) from ``source`` into a new catalog.

    Returns ``previous`` itself when the server says nothing changed. Raises :class:`CatalogError` when
    discovery cannot be read at all, or ``openapi="v3"`` was asked of a server without v3;
    :class:`~webexplorer.source.SourceError` when the source does not answer."""
    started = time.perf_counter()
    if docs is None:
        docs = previous.docs if previous is not None else DocumentCache(source)
    discovery = await read_discovery(
        source,
        aggregated=aggregated,
        concurrency=concurrency,
        previous=previous.discovery if previous is not None else None,
    )
    index, kind = await _read_index(docs, openapi, previous)
    if previous is not None:
        v2_changed = False
        if kind == "v2" and docs.v2_loaded:
            before = docs.v2_etag
            await docs.v2(revalidate=True)
            v2_changed = docs.v2_etag != before
        if (
            kind == previous.openapi
            and not v2_changed
            and _same_discovery(previous.discovery, discovery)
            and _same_index(previous.v3_index, index)
        ):
            return previous
    if index is not None:
        docs.retain({e.url for e in index.entries})
    version, problem = await read_version(source)
    problems = discovery.problems + ((problem,) if problem is not None else ())
    return Catalog(
        discovery=discovery,
        info=CatalogInfo(
            source_label=source.label,
            built_at=datetime.now(UTC),
            openapi=kind,
            aggregated_discovery=discovery.aggregated,
            build_seconds=time.perf_counter() - started,
        ),
        version=version,
        docs=docs,
        v3_index=index,
        problems=problems,
    )


async def _read_index(
    docs: DocumentCache, openapi: OpenAPIChoice, previous: Catalog | None
) -> tuple[V3Index | None, OpenAPIKind]:
    if openapi == "v2":
        return None, "v2"
    old = previous.v3_index if previous is not None else None
    got = await docs.fetch_index(etag=old.etag if old is not None else None)
    if got is not None:
        return got, "v3"
    if old is not None and docs.last_index_status == 304:
        return old, "v3"
    if openapi == "v3":
        raise CatalogError("the server has no OpenAPI v3 (/openapi/v3 answered 404); choose openapi v2")
    return None, "v2"


def _same_discovery(old: Discovery, new: Discovery) -> bool:
    """304s return the old object; the legacy walk has no ETags, so compare what it says instead."""
    return new is old or (new.groups == old.groups and new.problems == old.problems)


def _same_index(old: V3Index | None, new: V3Index | None) -> bool:
    if old is None or new is None:
        return old is new
    return new is old or new.entries == old.entries
