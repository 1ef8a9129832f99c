""":class:`Catalog`: one immutable picture of what the API offers, and the way pages read it.

Discovery (groups, versions, resources) is in memory from the start and read synchronously. Operations
and schemas come from OpenAPI documents that are fetched only when a page asks (``await``), through the
:class:`~.openapi.DocumentCache` shared with the store, so building a catalog costs two discovery
requests and the v3 index, not megabytes of documents. A catalog never changes after it is built; when
the API changes the store builds a new one and swaps it in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .apidoc import ApiDocument
from .errors import CatalogError, NotPublishedYet
from .model import GVK, Discovery, Group, GroupVersion, Problem, Resource, ServerVersion, group_display_name
from .openapi import DocumentCache, OpenAPIKind, V3Index
from .openapi_v3 import V3Entry
from .operations import Operation, OperationIndex
from .schema import FieldTree, SchemaSet


@dataclass(frozen=True, slots=True)
class CatalogInfo:
    """How a catalog was built: from which source, when, how long it took, with which discovery form and
    OpenAPI version (the last two are named in the home page's footer)."""

    source_label: str
    built_at: datetime
    openapi: OpenAPIKind
    aggregated_discovery: bool
    build_seconds: float = 0.0


@dataclass(eq=False)
class Catalog:
    """An immutable snapshot of the API model. Cheap to build; documents load on demand."""

    discovery: Discovery
    info: CatalogInfo
    version: ServerVersion | None
    docs: DocumentCache = field(repr=False)
    v3_index: V3Index | None = None
    problems: tuple[Problem, ...] = ()
    _resources: dict[tuple[str, str, str], Resource] = field(init=False, repr=False)
    _groups: dict[str, Group] = field(init=False, repr=False)
    _by_gvk: dict[GVK, Resource] = field(init=False, repr=False)
    _v2_ops: dict[tuple[str, str], OperationIndex] = field(init=False, repr=False)
    #: group versions discovery lists that the v3 index does not (yet): see :attr:`unpublished`
    _unpublished: frozenset[tuple[str, str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._groups = {g.name: g for g in self.discovery.groups}
        self._resources = {}
        self._by_gvk = {}
        for g in self.discovery.groups:
            for gv in g.versions:
                for r in gv.resources:
                    self._resources[(g.name, gv.version, r.name)] = r
                    self._by_gvk.setdefault(r.kind, r)
        self._v2_ops = {}
        self._unpublished = frozenset()
        if self.v3_index is not None:
            served = {(g.name, gv.version) for g in self.discovery.groups for gv in g.versions}
            self._unpublished = frozenset(served - {(e.group, e.version) for e in self.v3_index.entries})

    # ------------------------------------------------------------------------------------- discovery

    @property
    def groups(self) -> tuple[Group, ...]:
        """Every group, the core group ("") first."""
        return self.discovery.groups

    @property
    def openapi(self) -> OpenAPIKind:
        return self.info.openapi

    @property
    def unpublished(self) -> frozenset[tuple[str, str]]:
        """``(group, version)`` pairs discovery serves that have no OpenAPI v3 document in the index:
        a CRD created a moment ago (its document follows within seconds), or an aggregated API server
        that publishes none. Empty for a v2 catalog (one document holds everything)."""
        return self._unpublished

    def group(self, name: str) -> Group | None:
        """A group by its API name ("" for the legacy core group)."""
        return self._groups.get(name)

    def group_version(self, group: str, version: str) -> GroupVersion | None:
        g = self.group(group)
        return g.version(version) if g else None

    def resource(self, group: str, version: str, plural: str) -> Resource | None:
        return self._resources.get((group, version, plural))

    def resources(self, *, preferred_only: bool = False) -> Iterator[Resource]:
        """Every resource of every served version (or of preferred versions only)."""
        for g in self.groups:
            versions = [g.preferred] if preferred_only and g.preferred else g.versions
            for gv in versions:
                if gv is not None:
                    yield from gv.resources

    def resource_for_kind(self, gvk: GVK) -> Resource | None:
        """The resource whose objects have this kind (not subresources)."""
        return self._by_gvk.get(gvk)

    def find_kind(self, kind: str) -> list[Resource]:
        """Resources whose kind is ``kind`` (case-insensitive), preferred versions first."""
        want = kind.lower()
        out = []
        for g in self.groups:
            for i, gv in enumerate(g.versions):
                for r in gv.resources:
                    if r.kind.kind.lower() == want:
                        out.append((gv.version != g.preferred_version, i, r))
        return [r for *_, r in sorted(out, key=lambda t: (t[0], t[1]))]

    # ------------------------------------------------------------------------------------- OpenAPI

    async def document(self, group: str, version: str) -> ApiDocument:
        """The OpenAPI document holding ``group/version`` (v3: its own; v2: the one document)."""
        if self.info.openapi == "v3" and self.v3_index is not None:
            entry = self.v3_index.entry_for(group, version)
            if entry is None:
                where = f"{group_display_name(group)}/{version}"
                if (group, version) in self._unpublished:
                    raise NotPublishedYet(
                        f"the API server serves {where} but has not published its OpenAPI document yet "
                        "(a new CustomResourceDefinition's schema follows it by a few seconds)"
                    )
                raise CatalogError(f"OpenAPI v3 has no document for {where}")
            return await self.docs.v3(entry)
        if self.info.openapi == "v2":
            return await self.docs.v2()
        raise CatalogError("this server publishes no OpenAPI document")

    async def operations_for(self, group: str, version: str) -> OperationIndex:
        """The operations of one group version."""
        doc = await self.document(group, version)
        if doc.openapi == "v3":
            return doc.operations
        key = (group, version)
        cached = self._v2_ops.get(key)
        if cached is None:
            cached = OperationIndex(doc.operations.for_group_version(*key))
            self._v2_ops[key] = cached
        return cached

    async def operations(
        self,
        group: str,
        version: str,
        resource: str,
        subresource: str | None = None,
        action: str | None = None,
    ) -> tuple[Operation, ...]:
        """Operations on one resource or subresource (optionally of one ``x-kubernetes-action``)."""
        index = await self.operations_for(group, version)
        return index.for_resource(group, version, resource, subresource, action)

    async def schemas(self, group: str, version: str) -> SchemaSet:
        """The definitions of the document holding ``group/version``."""
        return (await self.document(group, version)).schemas

    async def kind_definition(self, gvk: GVK) -> tuple[SchemaSet, str]:
        """The schema set and definition name of a kind; raises :class:`CatalogError` if undocumented."""
        schemas = await self.schemas(gvk.group, gvk.version)
        name = schemas.definition_for(gvk)
        if name is None:
            raise CatalogError(f"no OpenAPI schema for {gvk}")
        return schemas, name

    async def field_tree(
        self, target: GVK | tuple[str, str, str], path: str = "", depth: int | None = 1
    ) -> FieldTree:
        """The fields of a kind (or of ``(group, version, definition name)``) under ``path``.

        ``depth=None`` expands everything, like ``kubectl explain --recursive``."""
        if isinstance(target, GVK):
            schemas, name = await self.kind_definition(target)
        else:
            group, version, name = target
            schemas = await self.schemas(group, version)
        return schemas.field_tree(name, path, depth)

    async def load_documents(
        self, concurrency: int = 4, *, skip_errors: bool = False
    ) -> list[LoadedDocument]:
        """Every OpenAPI document (v3: each index entry, ``concurrency`` at a time; v2: the one).

        For the search index and tests; pages should ask for the one document they show. With
        ``skip_errors`` a document that cannot be read (a CRD deleted since the index was read answers
        an empty body) is left out instead of failing the whole load."""
        if self.info.openapi == "v2":
            return [LoadedDocument("openapi/v2", None, await self.docs.v2())]
        if self.v3_index is None:
            return []
        sem = asyncio.Semaphore(max(1, concurrency))
        entries = self.v3_index.entries

        async def one(entry: V3Entry) -> ApiDocument | None:
            async with sem:
                try:
                    return await self.docs.v3(entry)
                except CatalogError:
                    if skip_errors:
                        return None
                    raise

        docs: Sequence[ApiDocument | None] = await asyncio.gather(*(one(e) for e in entries))
        return [
            LoadedDocument(e.key, e.group_version, d)
            for e, d in zip(entries, docs, strict=True)
            if d is not None
        ]


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """One document of :meth:`Catalog.load_documents`: its index key (``apis/apps/v1``; ``openapi/v2``),
    the group version it documents (None for v2 and for non-group-version v3 documents) and itself."""

    key: str
    group_version: tuple[str, str] | None
    document: ApiDocument
