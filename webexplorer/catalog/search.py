"""Search over the catalog: resources and kinds at once, fields, operations and paths once loaded.

Resources come from discovery, which is in memory, so that part of the index exists the moment a
catalog does. Fields, operations and paths need OpenAPI documents; with v3 those are fetched on demand,
so :meth:`SearchIndex.build_documents` fetches them in the background (a few at a time) after the
catalog is live, and until it finishes results carry ``fields_status="building"`` so a page can say
"fields index building…". Field paths are indexed for the preferred version of each group (the kinds
``kubectl explain`` shows by default), walking each kind's schema to ``max_depth`` and stopping at
recursive references. Entries per document are cached by the document's identity key (its v3 URL, or
the v2 ETag), so a refresh after one CRD changes re-walks only that CRD's document.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_right
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Literal

from .catalog import Catalog
from .errors import CatalogError
from .fieldfacts import search_terms
from .model import GVK, Resource
from .operations import Operation
from .schema import SchemaSet

FieldsStatus = Literal["ready", "building", "failed", "not-started"]


@dataclass(frozen=True, slots=True)
class ResourceHit:
    resource: Resource
    score: int
    matched: str  # what matched, for the page: "short name", "kind", "category"...
    preferred: bool


@dataclass(frozen=True, slots=True)
class FieldEntry:
    gvk: GVK
    path: str
    type: str
    description: str
    #: the field's facts as search terms (:func:`.fieldfacts.search_terms`): "pattern", "immutable", CEL
    facts: str = ""


@dataclass(frozen=True, slots=True)
class FieldHit:
    entry: FieldEntry
    score: int

    @property
    def gvk(self) -> GVK:
        return self.entry.gvk

    @property
    def path(self) -> str:
        return self.entry.path


@dataclass(frozen=True, slots=True)
class OperationHit:
    operation: Operation
    score: int


@dataclass(frozen=True, slots=True)
class PathHit:
    path: str
    methods: tuple[str, ...]
    score: int


@dataclass(frozen=True, slots=True)
class SearchResults:
    """Hits grouped as pages show them, best first within each group."""

    query: str
    resources: tuple[ResourceHit, ...] = ()
    fields: tuple[FieldHit, ...] = ()
    operations: tuple[OperationHit, ...] = ()
    paths: tuple[PathHit, ...] = ()
    fields_status: FieldsStatus = "not-started"
    note: str = ""

    @property
    def empty(self) -> bool:
        return not (self.resources or self.fields or self.operations or self.paths)


#: field entries per (document key, GVK): kept by the store across catalogs
FieldCache = MutableMapping[tuple[str, GVK], tuple[FieldEntry, ...]]


class TimeSlices:
    """Cooperative time slicing for CPU work on the event loop: ``await slices.pause()`` often, and it
    yields to the loop once the current slice has run ``seconds`` (else it returns at once, nearly for
    free). Pages queued behind the work then wait at most about one slice."""

    __slots__ = ("_started", "seconds")

    def __init__(self, seconds: float = 0.005) -> None:
        self.seconds = seconds
        self._started = time.perf_counter()

    async def pause(self) -> None:
        if time.perf_counter() - self._started >= self.seconds:
            await asyncio.sleep(0)
            self._started = time.perf_counter()


class _Haystack:
    """Lowercased texts joined by newlines, so one ``str.find`` (C speed) finds the entries holding a
    query instead of a Python loop lowercasing every entry on every keystroke of the live search. The
    texts must not contain newlines; :func:`_one_line` makes sure."""

    __slots__ = ("_blob", "_starts")

    def __init__(self, texts: Iterable[str]) -> None:
        starts: list[int] = []
        parts: list[str] = []
        at = 0
        for text in texts:
            starts.append(at)
            parts.append(text)
            at += len(text) + 1
        self._blob = "\n".join(parts)
        self._starts = starts

    def matching(self, q: str) -> list[int]:
        """Indexes of the texts that contain ``q`` (lowercase, no newline), in order."""
        found: list[int] = []
        blob, starts = self._blob, self._starts
        at = blob.find(q)
        while at != -1:
            k = bisect_right(starts, at) - 1
            found.append(k)
            at = blob.find(q, starts[k + 1]) if k + 1 < len(starts) else -1
        return found


def _one_line(text: str) -> str:
    return text.lower().replace("\n", " ")


@dataclass(frozen=True, slots=True)
class _DocIndex:
    fields: tuple[FieldEntry, ...]
    operations: tuple[Operation, ...]
    paths: _Haystack
    #: each distinct description once (``metadata.name`` has the same text under every kind), and the
    #: fields that carry it: a tenth of the text to look through
    descriptions: _Haystack
    described: tuple[tuple[int, ...], ...]
    #: each distinct facts line once, and the fields that have it (most fields share a few lines)
    facts: _Haystack
    with_facts: tuple[tuple[int, ...], ...]

    @classmethod
    async def build(
        cls, fields: tuple[FieldEntry, ...], operations: tuple[Operation, ...], slices: TimeSlices
    ) -> _DocIndex:
        """Index ``fields`` on the event loop in :class:`TimeSlices` (tens of thousands of strings
        with 300 CRDs). Not in a worker thread: a thread running Python holds the GIL, and the event
        loop then waits for it after every socket call a page makes (measured: pages of 100-180 ms
        while CRDs were being created)."""
        owners: dict[str, list[int]] = {}
        facts: dict[str, list[int]] = {}
        paths: list[str] = []
        for i, e in enumerate(fields):
            owners.setdefault(e.description, []).append(i)
            if e.facts:
                facts.setdefault(e.facts, []).append(i)
            paths.append(_one_line(e.path))
            if not i % 512:
                await slices.pause()
        texts: list[str] = []
        for k, text in enumerate(owners):
            texts.append(_one_line(text))
            if not k % 512:
                await slices.pause()
        return cls(
            fields,
            operations,
            _Haystack(paths),
            _Haystack(texts),
            tuple(tuple(found) for found in owners.values()),
            _Haystack(facts),
            tuple(tuple(found) for found in facts.values()),
        )

    def described_with(self, q: str) -> Iterable[int]:
        """The fields whose description contains ``q``."""
        for k in self.descriptions.matching(q):
            yield from self.described[k]

    def with_fact(self, q: str) -> Iterable[int]:
        """The fields whose facts (keywords, "immutable", CEL rule text) contain ``q``."""
        for k in self.facts.matching(q):
            yield from self.with_facts[k]


class SearchIndex:
    """The search index of one catalog."""

    def __init__(
        self, catalog: Catalog, *, field_cache: FieldCache | None = None, max_depth: int = 10
    ) -> None:
        self.catalog = catalog
        self.max_depth = max_depth
        self._field_cache: FieldCache = field_cache if field_cache is not None else {}
        self._resources = list(catalog.resources())
        self._preferred = {(g.name, g.preferred_version) for g in catalog.groups}
        self._docs: _DocIndex | None = None
        self.status: FieldsStatus = "not-started"
        self.error: str | None = None

    # ------------------------------------------------------------------------------------- building

    async def build_documents(self, concurrency: int = 2, *, slice_seconds: float = 0.005) -> None:
        """Fetch every OpenAPI document (``concurrency`` at a time) and index fields and operations.

        The CPU work runs on the event loop in slices of ``slice_seconds``, so a page waits at most one
        slice behind it; field entries are cached per document across catalogs, so after a CRD change
        only that CRD's document is walked again. Never raises for a bad document: a failure is
        recorded in ``status``/``error``."""
        self.status = "building"
        slices = TimeSlices(slice_seconds)
        try:
            docs = await self.catalog.load_documents(concurrency, skip_errors=True)
            fields: list[FieldEntry] = []
            operations: list[Operation] = []
            await slices.pause()
            for loaded in docs:
                doc = loaded.document
                operations.extend(doc.operations.operations)
                key = self._doc_key(loaded.group_version, doc.openapi == "v2")
                for r in self._kinds_in(loaded.group_version, doc.openapi == "v2"):
                    fields.extend(await self._fields_of(key, doc.schemas, r.kind, slices))
                await slices.pause()
            self._docs = await _DocIndex.build(tuple(fields), tuple(operations), slices)
            self.status = "ready"
        except CatalogError as exc:
            self.status, self.error = "failed", str(exc)
        except Exception as exc:  # a source error or a bug: keep serving resource search
            self.status, self.error = "failed", f"{type(exc).__name__}: {exc}"

    def _doc_key(self, gv: tuple[str, str] | None, v2: bool) -> str:
        if v2:
            return f"v2:{self.catalog.docs.v2_etag}"
        index = self.catalog.v3_index
        entry = index.entry_for(*gv) if index and gv else None
        return entry.url if entry else f"{gv}"

    def _kinds_in(self, gv: tuple[str, str] | None, v2: bool) -> Iterable[Resource]:
        """Kinds of preferred versions documented by one document (every one, for v2)."""
        if gv is None and not v2:
            return
        for r in self._resources:
            if (r.group, r.version) in self._preferred and (v2 or (r.group, r.version) == gv):
                yield r

    async def _fields_of(
        self, key: str, schemas: SchemaSet, gvk: GVK, slices: TimeSlices
    ) -> tuple[FieldEntry, ...]:
        cached = self._field_cache.get((key, gvk))
        if cached is not None:
            return cached
        out: list[FieldEntry] = []
        name = schemas.definition_for(gvk)
        if name is not None:
            for f in schemas.walk(name, self.max_depth):  # a generator: it pauses between fields
                facts = search_terms(f.schema, f.description)
                out.append(FieldEntry(gvk, f.path, str(f.type), f.description, facts))
                await slices.pause()
        entries = tuple(out)
        self._field_cache[(key, gvk)] = entries
        return entries

    @property
    def operation_count(self) -> int | None:
        """Operations across every document, once they are indexed (None before: the home page says
        "counting" rather than a wrong number)."""
        return len(self._docs.operations) if self._docs else None

    # ------------------------------------------------------------------------------------- searching

    def search(self, query: str, limit: int = 50) -> SearchResults:
        """Search everything indexed so far for ``query`` (case-insensitive)."""
        q = query.strip().lower()
        if not q:
            return SearchResults(query, fields_status=self.status)
        resources = self._search_resources(q)[:limit]
        fields: list[FieldHit] = []
        ops: list[OperationHit] = []
        paths: list[PathHit] = []
        if self._docs is not None:
            fields = self._search_fields(q)[:limit]
            ops, paths = self._search_operations(q)
        note = {
            "building": "fields index building…",
            "failed": f"fields index unavailable: {self.error}",
            "not-started": "fields index not built yet",
        }.get(self.status, "")
        return SearchResults(
            query,
            resources=tuple(resources),
            fields=tuple(fields),
            operations=tuple(ops[:limit]),
            paths=tuple(paths[:limit]),
            fields_status=self.status,
            note=note,
        )

    def _search_resources(self, q: str) -> list[ResourceHit]:
        hits = []
        for r in self._resources:
            score, matched = _resource_score(r, q)
            if score:
                preferred = (r.group, r.version) in self._preferred
                hits.append(ResourceHit(r, score + (5 if preferred else 0), matched, preferred))
        hits.sort(key=lambda h: (-h.score, h.resource.kind.kind, h.resource.group))
        return hits

    def _search_fields(self, q: str) -> list[FieldHit]:
        docs = self._docs
        assert docs is not None
        if "\n" in q:  # no path or description holds one (they are joined by newlines)
            return []
        # every score needs q in the path, or (5 points) in the description: only those are scored
        candidates = set(docs.paths.matching(q))
        if len(q) >= 4:
            candidates.update(docs.described_with(q))
        fact_hits = set(docs.with_fact(q)) if len(q) >= 3 else set()
        hits = []
        for i in candidates | fact_hits:
            e = docs.fields[i]
            # a fact is a sharper match than a word of the description (5), weaker than a name
            score = max(_field_score(e, q), 6 if i in fact_hits else 0)
            if score:
                hits.append(FieldHit(e, score))
        hits.sort(key=lambda h: (-h.score, h.entry.path.count("."), h.entry.gvk.kind, h.entry.path))
        return hits

    def _search_operations(self, q: str) -> tuple[list[OperationHit], list[PathHit]]:
        assert self._docs is not None
        ops = []
        by_path: dict[str, list[str]] = {}
        path_scores: dict[str, int] = {}
        for op in self._docs.operations:
            oid = op.operation_id.lower()
            score = 100 if oid == q else 40 if oid.startswith(q) else 20 if q in oid else 0
            if score:
                ops.append(OperationHit(op, score))
            p = op.path.lower()
            pscore = 100 if p == q else 30 if q in p else 0
            if pscore:
                by_path.setdefault(op.path, []).append(op.method)
                path_scores[op.path] = max(path_scores.get(op.path, 0), pscore)
        ops.sort(key=lambda h: (-h.score, h.operation.operation_id))
        paths = [PathHit(p, tuple(dict.fromkeys(m)), path_scores[p]) for p, m in by_path.items()]
        paths.sort(key=lambda h: (-h.score, len(h.path), h.path))
        return ops, paths


def _resource_score(r: Resource, q: str) -> tuple[int, str]:
    kind = r.kind.kind.lower()
    if q in (s.lower() for s in r.short_names):
        return 100, "short name"
    if q == kind:
        return 95, "kind"
    if q in (r.name, r.singular_name):
        return 90, "name"
    if q in r.categories:
        return 60, "category"
    if kind.startswith(q) or r.name.startswith(q):
        return 50, "name"
    if q in kind or q in r.name:
        return 30, "name"
    if "/" in q and q in f"{r.group}/{r.version}/{r.name}":
        return 20, "group version"
    return 0, ""


def _field_score(e: FieldEntry, q: str) -> int:
    path = e.path.lower()
    last = path.rsplit(".", 1)[-1]
    if path == q:
        return 90
    if last == q:
        return 80
    if "." in q and path.endswith(q):
        return 70
    if last.startswith(q):
        return 40
    if q in path:
        return 30
    if len(q) >= 4 and q in e.description.lower():
        return 5
    return 0
