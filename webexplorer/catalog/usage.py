"""The upgrade check: what a live cluster uses today that an embedded release does not serve, or that is
deprecated, and how many objects depend on it.

An object is served through every version of its resource (the API server converts), so "objects listed
through ``flowcontrol.apiserver.k8s.io/v1beta3``" counts every FlowSchema, not the ones someone uses
that version for. What says a version is *used* is what the server recorded: each object's
``metadata.managedFields[].apiVersion`` names the version every manager wrote it through (so a
``kubectl apply`` of a v1beta3 manifest leaves a v1beta3 entry), and a CRD's ``status.storedVersions``
names the versions its objects are still stored in (a version may only go once it is no longer there).
Both are counted here, per namespace, from a metadata-only list through the version in question.

Deprecation comes from where the cluster states it: a CRD version's ``deprecated`` and
``deprecationWarning``, and the ``Warning`` header the API server answers a list of a deprecated
built-in with (where the identity may not list, the warning a recorded release's server gave). What
the target release does not serve comes from its recorded :class:`~.diff.ApiSurface`. Reads go
through :class:`~webexplorer.source.DocumentSource` only (GETs); a list the identity may not make is
reported as such instead of a count.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..source import DocumentSource, SourceError
from .catalog import Catalog
from .diff import ApiSurface
from .discovery import CRD_LIST_PATH, METADATA_LIST_ACCEPT
from .history import ApiHistory, parse_deprecation
from .jsonutil import parse_json
from .model import Resource
from .snapshot import list_warnings

#: objects listed per request, and at most this many per resource (the page says "at least" past it)
PAGE_SIZE = 500
MAX_OBJECTS = 20_000


@dataclass(frozen=True, slots=True)
class CrdVersion:
    """One version of a CRD as its object says: deprecated, with which warning, and still stored."""

    deprecated: bool
    warning: str
    stored: bool


@dataclass(frozen=True, slots=True)
class Count:
    """Objects of one resource listed through one version."""

    objects: int | None = None  # None: not counted (see problem)
    #: objects with a managedFields entry of this apiVersion, and the same per namespace ("" = cluster)
    written: int | None = None
    per_namespace: tuple[tuple[str, int], ...] = ()
    truncated: bool = False
    problem: str = ""


@dataclass(frozen=True, slots=True)
class VersionUse:
    """One served resource version the check flags, why, and how many objects depend on it."""

    resource: Resource
    not_served: bool  # the target release does not serve this group version's resource
    deprecated: bool
    warning: str = ""  # the server's words: a list's Warning header or the CRD's deprecationWarning
    replacement: str = ""
    stored: bool = False  # a CRD version named in status.storedVersions
    count: Count = field(default_factory=Count)

    @property
    def group_version(self) -> str:
        return self.resource.group_version


@dataclass(frozen=True, slots=True)
class UpgradeCheck:
    target: str
    not_served: tuple[VersionUse, ...]
    deprecated: tuple[VersionUse, ...]
    problems: tuple[str, ...] = ()
    seconds: float = 0.0


def crd_versions(body: Mapping[str, Any]) -> dict[tuple[str, str, str], CrdVersion]:
    """``(group, version, plural)`` → what the CRD list says of each served version."""
    out: dict[tuple[str, str, str], CrdVersion] = {}
    for item in body.get("items") or []:
        if not isinstance(item, Mapping):
            continue
        spec, status = item.get("spec") or {}, item.get("status") or {}
        group, plural = spec.get("group", ""), (spec.get("names") or {}).get("plural", "")
        stored = set(status.get("storedVersions") or [])
        for v in spec.get("versions") or []:
            if isinstance(v, Mapping) and v.get("served") and isinstance(v.get("name"), str):
                name = v["name"]
                warning = v.get("deprecationWarning")
                out[(group, name, plural)] = CrdVersion(
                    bool(v.get("deprecated")), warning if isinstance(warning, str) else "", name in stored
                )
    return out


def count_page(items: list[Any], group_version: str, namespaces: Counter[str]) -> int:
    """Count one page of a metadata list into ``namespaces`` (objects written through ``group_version``);
    return how many of its objects were."""
    written = 0
    for item in items:
        meta = item.get("metadata") if isinstance(item, Mapping) else None
        if not isinstance(meta, Mapping):
            continue
        entries = meta.get("managedFields") or []
        if any(isinstance(e, Mapping) and e.get("apiVersion") == group_version for e in entries):
            written += 1
            namespaces[str(meta.get("namespace") or "")] += 1
    return written


async def count_objects(source: DocumentSource, r: Resource) -> Count:
    """List ``r`` through its own version (metadata only, paginated) and count what depends on it."""
    path = f"{r.base_path}/{r.name}"
    objects = written = 0
    namespaces: Counter[str] = Counter()
    token = ""
    while True:
        query = f"?limit={PAGE_SIZE}" + (f"&continue={quote(token, safe='')}" if token else "")
        try:
            got = await source.fetch(path + query, accept=METADATA_LIST_ACCEPT)
        except SourceError as exc:
            return Count(problem=str(exc))
        if got.status in (401, 403):
            return Count(problem=f"the explorer's identity may not list {r.name} of {r.group_version}")
        if got.status != 200:
            return Count(problem=f"listing {path} answered {got.status}")
        body = parse_json(got.body, path)
        items = body.get("items") or []
        objects += len(items)
        written += count_page(items, r.group_version, namespaces)
        token = str((body.get("metadata") or {}).get("continue") or "")
        if not token or objects >= MAX_OBJECTS:
            break
    return Count(objects, written, tuple(sorted(namespaces.items())), bool(token))


async def check_upgrade(
    source: DocumentSource,
    catalog: Catalog,
    target: ApiSurface,
    history: ApiHistory | None = None,
    *,
    concurrency: int = 4,
) -> UpgradeCheck:
    """What the live cluster (``source``, as ``catalog`` describes it) uses that ``target`` does not
    serve, or that is deprecated, with object counts."""
    started = time.perf_counter()
    problems: list[str] = []
    listable = [r for r in catalog.resources() if "list" in r.verbs and "/" not in r.name]
    crds: dict[tuple[str, str, str], CrdVersion] = {}
    try:
        got = await source.fetch(CRD_LIST_PATH)
        if got.status == 200:
            crds = crd_versions(parse_json(got.body, CRD_LIST_PATH))
        else:
            problems.append(f"the CRD list answered {got.status}: CRD deprecations are not shown")
    except SourceError as exc:
        problems.append(f"the CRD list could not be read: {exc}")
    sem = asyncio.Semaphore(max(1, concurrency))
    probed = await list_warnings(source, [f"{r.base_path}/{r.name}" for r in listable], sem)
    warnings = {path: warning for path, (_, warning) in probed.items()}
    flagged: list[VersionUse] = []
    for r in listable:
        key = (r.group, r.version, r.name)
        group = catalog.group(r.group)
        custom = group is not None and group.origin == "custom"
        crd = crds.get(key)
        warning = warnings.get(f"{r.base_path}/{r.name}", "")
        if not warning and not custom and history is not None:
            # a list the identity may not make carries no Warning: what a real server of a release said
            warning = history.resource(*key).warning
        stated = parse_deprecation(warning)
        deprecated = stated is not None or (crd is not None and crd.deprecated)
        not_served = not custom and key not in target.resources
        if not (deprecated or not_served):
            continue
        replacement = stated.replacement if stated else ""
        if not replacement and history is not None:
            replacement = history.resource(*key).replacement
        text = stated.text if stated else (crd.warning if crd else "")
        flagged.append(VersionUse(r, not_served, deprecated, text, replacement, bool(crd and crd.stored)))

    async def counted(use: VersionUse) -> VersionUse:
        async with sem:
            count = await count_objects(source, use.resource)
        return VersionUse(
            use.resource, use.not_served, use.deprecated, use.warning, use.replacement, use.stored, count
        )

    done = await asyncio.gather(*(counted(u) for u in flagged))
    return UpgradeCheck(
        target.label,
        tuple(u for u in done if u.not_served),
        tuple(u for u in done if u.deprecated and not u.not_served),
        tuple(problems),
        time.perf_counter() - started,
    )
