"""The model of the Kubernetes API: what it offers (discovery), how to call it (operations) and what
its objects look like (schemas), from a live server or a recorded snapshot.

Pure data: documents are read only through :class:`webexplorer.source.DocumentSource`; nothing here
imports an HTTP client or a web framework. Start with :class:`CatalogStore` (the current
:class:`Catalog`, refreshed in the background) or :func:`build_catalog` (one catalog, once).
"""

from __future__ import annotations

from .apidoc import ApiDocument
from .build import OpenAPIChoice, build_catalog
from .catalog import Catalog, CatalogInfo
from .errors import CatalogError, NotPublishedYet
from .model import (
    GVK,
    Discovery,
    Group,
    GroupVersion,
    Origin,
    Problem,
    Resource,
    Scope,
    ServerVersion,
    Subresource,
    group_display_name,
)
from .openapi import DocumentCache
from .operations import Operation, OperationIndex, Parameter, PathTarget, RequestBody, Response, parse_path
from .refresh import CatalogNotReady, CatalogStore
from .schema import Field, FieldTree, SchemaSet, TypeInfo
from .search import FieldHit, OperationHit, PathHit, ResourceHit, SearchIndex, SearchResults
from .snapshot import (
    SnapshotInfo,
    SnapshotSource,
    embedded_snapshot_path,
    read_snapshot_info,
    record_snapshot,
)

__all__ = [
    "GVK",
    "ApiDocument",
    "Catalog",
    "CatalogError",
    "CatalogInfo",
    "CatalogNotReady",
    "CatalogStore",
    "Discovery",
    "DocumentCache",
    "Field",
    "FieldHit",
    "FieldTree",
    "Group",
    "GroupVersion",
    "NotPublishedYet",
    "OpenAPIChoice",
    "Operation",
    "OperationHit",
    "OperationIndex",
    "Origin",
    "Parameter",
    "PathHit",
    "PathTarget",
    "Problem",
    "RequestBody",
    "Resource",
    "ResourceHit",
    "Response",
    "SchemaSet",
    "Scope",
    "SearchIndex",
    "SearchResults",
    "ServerVersion",
    "SnapshotInfo",
    "SnapshotSource",
    "Subresource",
    "TypeInfo",
    "build_catalog",
    "embedded_snapshot_path",
    "group_display_name",
    "parse_path",
    "read_snapshot_info",
    "record_snapshot",
]
