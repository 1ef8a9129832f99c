"""API diff: what changes between two APIs (a live cluster and a snapshot, or two snapshots).

Two steps, so the comparison itself is pure and unit-tested on hand-made data:

1. :func:`surface_of` reads one catalog into an :class:`ApiSurface` — group versions, resources,
   operations (by method and path, the identity that survives OpenAPI versions) and the field paths of
   every kind, walked to ``max_depth`` and stopping at recursive references, each with whether it is
   marked deprecated. It loads every OpenAPI document, so callers cache it per catalog.
2. :func:`diff_surfaces` compares two surfaces: added, removed and newly deprecated items, and fields
   whose type, required flag, enum values, default or description changed.

Deprecation is read where Kubernetes writes it: the OpenAPI ``deprecated`` flag of operations, and prose
("Deprecated: …", "deprecated in v1.x") in operation and field descriptions. Discovery carries no
per-resource deprecation data in the versions this reads, so resources are only added or removed.
Fields are compared only for kinds both sides serve: a kind that appears or disappears is one resource
line, not hundreds of field lines.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import orjson

from .catalog import Catalog, LoadedDocument
from .model import GVK, Resource
from .operations import Operation
from .schema import Field

_DEPRECATED = re.compile(r"\bdeprecated\b", re.IGNORECASE)


def says_deprecated(text: str) -> bool:
    """Kubernetes marks deprecation in descriptions ("Deprecated: use X", "DEPRECATED - ...")."""
    return bool(_DEPRECATED.search(text))


@dataclass(frozen=True, slots=True, order=True)
class ResourceFacts:
    group: str
    version: str
    name: str
    kind: str
    namespaced: bool = True

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass(frozen=True, slots=True, order=True)
class OperationFacts:
    method: str
    path: str
    operation_id: str
    group: str | None = None
    version: str | None = None
    deprecated: bool = False


@dataclass(frozen=True, slots=True, order=True)
class FieldFacts:
    """One field of one kind as a diff and the release history compare it: its type (kubectl explain's
    spelling), whether it is required, its enum values, default and description."""

    gvk: GVK
    path: str
    deprecated: bool = False
    type: str = field(default="", compare=False)
    required: bool = field(default=False, compare=False)
    enum: tuple[str, ...] = field(default=(), compare=False)
    default: str = field(default="", compare=False)
    description: str = field(default="", compare=False, repr=False)


#: what :func:`field_changes` compares, in the order a change list shows them
FIELD_ASPECTS = ("type", "required", "enum", "default", "description")


@dataclass(frozen=True, slots=True, order=True)
class FieldChange:
    """One aspect of a field that differs between two APIs: ``what`` is one of :data:`FIELD_ASPECTS`."""

    gvk: GVK
    path: str
    what: str
    old: str
    new: str


def field_changes(old: FieldFacts, new: FieldFacts) -> list[FieldChange]:
    """How ``new`` differs from ``old`` (the same field of two APIs), aspect by aspect."""
    out = []
    for what in FIELD_ASPECTS:
        a, b = _aspect(old, what), _aspect(new, what)
        if a != b:
            out.append(FieldChange(new.gvk, new.path, what, a, b))
    return out


def _aspect(f: FieldFacts, what: str) -> str:
    if what == "required":
        return "required" if f.required else "optional"
    if what == "enum":
        return ", ".join(f.enum)
    value: str = getattr(f, what)
    return value


@dataclass(frozen=True, slots=True)
class ApiSurface:
    """What one API offers, reduced to what a diff compares."""

    label: str
    group_versions: frozenset[str]
    resources: Mapping[tuple[str, str, str], ResourceFacts]
    operations: Mapping[tuple[str, str], OperationFacts]
    fields: Mapping[GVK, Mapping[str, FieldFacts]]
    #: the ``Warning`` each deprecated resource's list answered with, by (group, version, plural)
    warnings: Mapping[tuple[str, str, str], str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ApiDiff:
    """The changes from ``old`` to ``new``, each list sorted."""

    old_label: str
    new_label: str
    group_versions_added: tuple[str, ...] = ()
    group_versions_removed: tuple[str, ...] = ()
    resources_added: tuple[ResourceFacts, ...] = ()
    resources_removed: tuple[ResourceFacts, ...] = ()
    operations_added: tuple[OperationFacts, ...] = ()
    operations_removed: tuple[OperationFacts, ...] = ()
    operations_deprecated: tuple[OperationFacts, ...] = ()
    fields_added: tuple[FieldFacts, ...] = ()
    fields_removed: tuple[FieldFacts, ...] = ()
    fields_deprecated: tuple[FieldFacts, ...] = ()
    fields_changed: tuple[FieldChange, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.group_versions_added,
                self.group_versions_removed,
                self.resources_added,
                self.resources_removed,
                self.operations_added,
                self.operations_removed,
                self.operations_deprecated,
                self.fields_added,
                self.fields_removed,
                self.fields_deprecated,
                self.fields_changed,
            )
        )


# ---------------------------------------------------------------------------------------------- reading


def _operation_facts(op: Operation) -> OperationFacts:
    t = op.target
    return OperationFacts(
        op.method,
        op.path,
        op.operation_id,
        t.group if t else None,
        t.version if t else None,
        op.deprecated or says_deprecated(op.description),
    )


def _resource_facts(r: Resource) -> ResourceFacts:
    return ResourceFacts(r.group, r.version, r.name, r.kind.kind, r.namespaced)


def _fields_of(
    docs: list[LoadedDocument], kinds: Iterable[GVK], max_depth: int
) -> dict[GVK, dict[str, FieldFacts]]:
    """The field paths of every kind, from whichever loaded document defines it (CPU only)."""
    by_gv: dict[tuple[str, str] | None, LoadedDocument] = {d.group_version: d for d in docs}
    v2 = docs[0] if len(docs) == 1 and docs[0].group_version is None else None
    out: dict[GVK, dict[str, FieldFacts]] = {}
    for gvk in kinds:
        doc = v2 or by_gv.get((gvk.group, gvk.version))
        if doc is None:
            continue
        schemas = doc.document.schemas
        name = schemas.definition_for(gvk)
        if name is None:
            continue
        out[gvk] = {f.path: _field_facts(gvk, f) for f in schemas.walk(name, max_depth)}
    return out


def _field_facts(gvk: GVK, f: Field) -> FieldFacts:
    default = "" if f.default is None else orjson.dumps(f.default, option=orjson.OPT_SORT_KEYS).decode()
    return FieldFacts(
        gvk,
        f.path,
        says_deprecated(f.description[:300]),
        str(f.type),
        f.required,
        tuple(str(v) for v in f.enum),
        default,
        f.description,
    )


async def surface_of(
    catalog: Catalog,
    label: str,
    *,
    max_depth: int = 8,
    list_warnings: Mapping[str, str] | None = None,
) -> ApiSurface:
    """Read ``catalog`` (every OpenAPI document it names) into an :class:`ApiSurface`.

    Documents that cannot be read are left out; the schema walk runs in a worker thread because a big
    cluster has thousands of kinds' fields to visit and the event loop must keep serving pages."""
    docs = await catalog.load_documents(concurrency=2, skip_errors=True)
    resources = {(r.group, r.version, r.name): _resource_facts(r) for r in catalog.resources()}
    gvs = frozenset(gv.name for g in catalog.groups for gv in g.versions)
    operations: dict[tuple[str, str], OperationFacts] = {}
    for d in docs:
        for op in d.document.operations.operations:
            operations.setdefault(op.key, _operation_facts(op))
    kinds = sorted({r.kind for r in catalog.resources() if r.kind.kind})
    fields = await asyncio.to_thread(_fields_of, docs, kinds, max_depth)
    warnings = {
        (r.group, r.version, r.name): text
        for r in catalog.resources()
        if (text := (list_warnings or {}).get(f"{r.base_path}/{r.name}"))
    }
    return ApiSurface(label, gvs, resources, operations, fields, warnings)


# ---------------------------------------------------------------------------------------------- comparing


def diff_surfaces(old: ApiSurface, new: ApiSurface) -> ApiDiff:
    """What ``new`` adds, removes and newly deprecates compared with ``old``."""
    ops_added = [new.operations[k] for k in new.operations.keys() - old.operations.keys()]
    ops_removed = [old.operations[k] for k in old.operations.keys() - new.operations.keys()]
    ops_deprecated = [
        new.operations[k]
        for k in new.operations.keys() & old.operations.keys()
        if new.operations[k].deprecated and not old.operations[k].deprecated
    ]
    f_added: list[FieldFacts] = []
    f_removed: list[FieldFacts] = []
    f_deprecated: list[FieldFacts] = []
    f_changed: list[FieldChange] = []
    for gvk in new.fields.keys() & old.fields.keys():
        a, b = old.fields[gvk], new.fields[gvk]
        f_added.extend(b[p] for p in b.keys() - a.keys())
        f_removed.extend(a[p] for p in a.keys() - b.keys())
        f_deprecated.extend(b[p] for p in b.keys() & a.keys() if b[p].deprecated and not a[p].deprecated)
        for p in b.keys() & a.keys():
            f_changed.extend(field_changes(a[p], b[p]))
    counts = {
        "old_operations": len(old.operations),
        "new_operations": len(new.operations),
        "old_fields": sum(len(v) for v in old.fields.values()),
        "new_fields": sum(len(v) for v in new.fields.values()),
    }
    return ApiDiff(
        old_label=old.label,
        new_label=new.label,
        group_versions_added=tuple(sorted(new.group_versions - old.group_versions)),
        group_versions_removed=tuple(sorted(old.group_versions - new.group_versions)),
        resources_added=tuple(sorted(new.resources[k] for k in new.resources.keys() - old.resources.keys())),
        resources_removed=tuple(
            sorted(old.resources[k] for k in old.resources.keys() - new.resources.keys())
        ),
        operations_added=tuple(sorted(ops_added, key=_op_key)),
        operations_removed=tuple(sorted(ops_removed, key=_op_key)),
        operations_deprecated=tuple(sorted(ops_deprecated, key=_op_key)),
        fields_added=tuple(sorted(f_added)),
        fields_removed=tuple(sorted(f_removed)),
        fields_deprecated=tuple(sorted(f_deprecated)),
        fields_changed=tuple(sorted(f_changed)),
        counts=counts,
    )


def _op_key(o: OperationFacts) -> tuple[str, str]:
    return o.path, o.method
