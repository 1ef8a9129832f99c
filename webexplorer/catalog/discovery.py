"""Reading discovery: aggregated in one request, or the legacy walk, into :mod:`.model` types.

Aggregated discovery (``apidiscovery.k8s.io`` v2, or v2beta1 on older servers) answers ``/api`` and
``/apis`` with every group, version and resource in one document each, with an ETag. Servers (or
proxies) that do not know it answer the plain ``APIVersions``/``APIGroupList`` instead; the answer's
``kind`` says which form came back, and for the plain form we walk ``/api/<v>`` and
``/apis/<g>/<v>`` with bounded concurrency. Both paths build the same :class:`~.model.Group` values.

Built-in versus custom groups: we list CustomResourceDefinitions as *metadata only*
(``PartialObjectMetadataList``, a few hundred bytes per CRD however large its schema) because a CRD's
name is always ``<plural>.<group>``. When that list is refused (403 for a narrow service account) we fall
back to a list of the groups kube-apiserver itself serves; anything else is then called custom.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from ..source import DocumentSource, Fetched
from .errors import CatalogError
from .jsonutil import JSONDict, get_dict, get_list, get_str, parse_json, str_tuple
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
)

AGGREGATED_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)
METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
CRD_LIST_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"

#: groups compiled into kube-apiserver (v1.37 and the recent past); used only when the CRD list is refused
BUILTIN_GROUPS = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "extensions",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)

_AGGREGATED_KIND = "APIGroupDiscoveryList"


# ---------------------------------------------------------------------------------------------- parsing


def _scope(value: object) -> Scope:
    return "Cluster" if value == "Cluster" else "Namespaced"


def _gvk(obj: object, group: str, version: str) -> GVK | None:
    """A ``responseKind`` object, filling an empty group/version from the enclosing group version."""
    if not isinstance(obj, dict):
        return None
    kind = get_str(obj, "kind")
    if not kind:
        return None
    # an empty group/version means "the enclosing one" (a subresource such as scale names another)
    return GVK(get_str(obj, "group") or group, get_str(obj, "version") or version, kind)


def _aggregated_resource(item: object, group: str, version: str) -> Resource | None:
    name = get_str(item, "resource")
    if not name:
        return None
    kind = _gvk(get_dict(item, "responseKind"), group, version) or GVK(group, version, "")
    subresources = []
    for sub in get_list(item, "subresources"):
        sub_name = get_str(sub, "subresource")
        if sub_name:
            subresources.append(
                Subresource(
                    sub_name,
                    _gvk(get_dict(sub, "responseKind"), group, version),
                    str_tuple(_list(sub, "verbs")),
                )
            )
    return Resource(
        group=group,
        version=version,
        name=name,
        singular_name=get_str(item, "singularResource"),
        kind=kind,
        scope=_scope(get_str(item, "scope")),
        verbs=str_tuple(_list(item, "verbs")),
        short_names=str_tuple(_list(item, "shortNames")),
        categories=str_tuple(_list(item, "categories")),
        subresources=tuple(subresources),
    )


def _list(obj: object, key: str) -> list[Any]:
    return get_list(obj, key)


def parse_aggregated(doc: JSONDict) -> list[Group]:
    """Groups of one ``APIGroupDiscoveryList`` (the answer of ``/api`` or ``/apis``).

    Versions keep the server's order, which is its order of preference. Entries without a version name
    are skipped; a document that is not an ``APIGroupDiscoveryList`` raises :class:`CatalogError`."""
    if get_str(doc, "kind") != _AGGREGATED_KIND:
        raise CatalogError(f"expected an {_AGGREGATED_KIND}, got kind {get_str(doc, 'kind')!r}")
    groups: list[Group] = []
    seen: set[str] = set()
    for item in get_list(doc, "items"):
        if not isinstance(item, dict):
            continue
        name = get_str(get_dict(item, "metadata"), "name")
        if name in seen:
            continue
        versions: list[GroupVersion] = []
        for v in get_list(item, "versions"):
            version = get_str(v, "version")
            if not version or any(gv.version == version for gv in versions):
                continue
            resources = [_aggregated_resource(r, name, version) for r in get_list(v, "resources")]
            versions.append(
                GroupVersion(
                    name, version, tuple(r for r in resources if r), stale=get_str(v, "freshness") == "Stale"
                )
            )
        if versions:
            seen.add(name)
            groups.append(Group(name, tuple(versions), versions[0].version))
    return groups


def parse_api_versions(doc: JSONDict) -> list[str]:
    """The versions of the core group from ``/api`` (an ``APIVersions``)."""
    return [v for v in str_tuple(doc.get("versions")) if v]


def parse_group_list(doc: JSONDict) -> list[tuple[str, list[str], str]]:
    """``(name, versions, preferred)`` per group of ``/apis`` (an ``APIGroupList``).

    The preferred version is moved to the front so both discovery forms order versions alike."""
    out: list[tuple[str, list[str], str]] = []
    for g in get_list(doc, "groups"):
        name = get_str(g, "name")
        if not name:
            continue
        versions = [get_str(v, "version") for v in get_list(g, "versions")]
        versions = list(dict.fromkeys(v for v in versions if v))
        if not versions:
            continue
        preferred = get_str(get_dict(g, "preferredVersion"), "version")
        if preferred in versions:
            versions.remove(preferred)
            versions.insert(0, preferred)
        else:
            preferred = versions[0]
        out.append((name, versions, preferred))
    return out


def parse_resource_list(doc: JSONDict, group: str, version: str) -> tuple[Resource, ...]:
    """Resources of one ``APIResourceList`` (``/api/v1``, ``/apis/<g>/<v>``).

    The legacy form lists subresources as their own entries (``pods/status``); they are folded into
    their parent here so the result matches aggregated discovery."""
    parents: dict[str, dict[str, Any]] = {}
    subs: list[tuple[str, Subresource]] = []
    for item in get_list(doc, "resources"):
        full = get_str(item, "name")
        if not full:
            continue
        parent, _, sub = full.partition("/")
        kind_name = get_str(item, "kind")
        kind_group = get_str(item, "group") or group
        kind_version = get_str(item, "version") or version
        if sub:
            kind = GVK(kind_group, kind_version, kind_name) if kind_name else None
            subs.append((parent, Subresource(sub, kind, str_tuple(item.get("verbs")))))
        elif parent not in parents:
            parents[parent] = {
                "item": item,
                "kind": GVK(kind_group, kind_version, kind_name),
            }
    sub_map: dict[str, list[Subresource]] = {}
    for parent, sub_res in subs:
        sub_map.setdefault(parent, []).append(sub_res)
    resources = []
    for name, info in parents.items():
        item = info["item"]
        namespaced = item.get("namespaced") is True
        resources.append(
            Resource(
                group=group,
                version=version,
                name=name,
                singular_name=get_str(item, "singularName"),
                kind=info["kind"],
                scope="Namespaced" if namespaced else "Cluster",
                verbs=str_tuple(item.get("verbs")),
                short_names=str_tuple(item.get("shortNames")),
                categories=str_tuple(item.get("categories")),
                subresources=tuple(sub_map.get(name, ())),
            )
        )
    return tuple(resources)


def parse_version(doc: JSONDict) -> ServerVersion:
    """``/version``."""
    return ServerVersion(
        git_version=get_str(doc, "gitVersion"),
        major=get_str(doc, "major"),
        minor=get_str(doc, "minor"),
        platform=get_str(doc, "platform"),
        go_version=get_str(doc, "goVersion"),
        build_date=get_str(doc, "buildDate"),
    )


def crd_groups_from_list(doc: JSONDict) -> set[str]:
    """Groups served by CRDs, from a (metadata-only) CRD list: a CRD's name is ``<plural>.<group>``."""
    groups = set()
    for item in get_list(doc, "items"):
        name = get_str(get_dict(item, "metadata"), "name")
        _, dot, group = name.partition(".")
        if dot and group:
            groups.add(group)
    return groups


def classify_groups(groups: Iterable[Group], crd_groups: set[str] | None) -> tuple[Group, ...]:
    """Set each group's origin: from the CRD list when we could read it, else from :data:`BUILTIN_GROUPS`."""
    out = []
    for g in groups:
        origin: Origin
        if crd_groups is not None:
            if g.name in crd_groups:
                origin = "custom"
            else:
                origin = "built-in" if g.name in BUILTIN_GROUPS else "unknown"
        else:
            origin = "built-in" if g.name in BUILTIN_GROUPS else "custom"
        out.append(Group(g.name, g.versions, g.preferred_version, origin))
    return tuple(out)


# ---------------------------------------------------------------------------------------------- reading


def _problem(path: str, got: Fetched, what: str) -> Problem:
    reason = {401: "not authenticated", 403: "forbidden", 404: "not found"}.get(got.status, "failed")
    return Problem(path, f"{what}: {reason} (HTTP {got.status})", got.status)


async def read_discovery(
    source: DocumentSource,
    *,
    aggregated: bool = True,
    concurrency: int = 8,
    previous: Discovery | None = None,
) -> Discovery:
    """Read discovery from ``source``.

    With ``aggregated`` (the default) ``/api`` and ``/apis`` are asked for the aggregated form; when a
    previous aggregated discovery is given its ETags go out as If-None-Match and, if both answers are
    304, ``previous`` itself is returned (callers compare with ``is``). With ``aggregated=False`` (or when
    the server answers the plain form) the legacy walk runs, ``concurrency`` requests at a time.
    Raises :class:`CatalogError` only when neither ``/api`` nor ``/apis`` could be read."""
    accept = AGGREGATED_ACCEPT if aggregated else "application/json"
    old_etags = dict(previous.etags) if previous is not None and previous.aggregated else {}
    api, apis = await asyncio.gather(
        source.fetch("/api", accept=accept, etag=old_etags.get("/api")),
        source.fetch("/apis", accept=accept, etag=old_etags.get("/apis")),
    )
    if previous is not None and api.status == 304 and apis.status == 304:
        return previous
    # one 304 and one change: ask again for the unchanged one without an ETag (rare; keeps this simple)
    if api.status == 304:
        api = await source.fetch("/api", accept=accept)
    if apis.status == 304:
        apis = await source.fetch("/apis", accept=accept)

    problems: list[Problem] = []
    sem = asyncio.Semaphore(max(1, concurrency))
    groups: list[Group] = []
    etags: list[tuple[str, str]] = []
    all_aggregated = True
    for path, got in (("/api", api), ("/apis", apis)):
        if got.status != 200:
            problems.append(_problem(path, got, "discovery"))
            all_aggregated = False
            continue
        doc = parse_json(got.body, path)
        if get_str(doc, "kind") == _AGGREGATED_KIND:
            groups.extend(parse_aggregated(doc))
            if got.etag:
                etags.append((path, got.etag))
            continue
        all_aggregated = False
        if path == "/api":
            groups.extend(await _walk_core(source, doc, sem, problems))
        else:
            groups.extend(await _walk_groups(source, doc, sem, problems))
    if api.status != 200 and apis.status != 200:
        raise CatalogError(
            f"discovery could not be read: /api answered {api.status}, /apis answered {apis.status}",
            path="/apis",
            status=apis.status,
        )
    # the core group first, then the server's order; drop duplicates (a proxy may merge both answers)
    unique: dict[str, Group] = {}
    for g in groups:
        unique.setdefault(g.name, g)
    ordered = sorted(unique.values(), key=lambda g: g.name != "")
    crd_groups = await _crd_groups(source, problems)
    return Discovery(
        groups=classify_groups(ordered, crd_groups),
        aggregated=all_aggregated,
        etags=tuple(etags) if all_aggregated else (),
        problems=tuple(problems),
    )


async def _fetch_resources(
    source: DocumentSource, group: str, version: str, sem: asyncio.Semaphore, problems: list[Problem]
) -> GroupVersion | None:
    path = f"/apis/{group}/{version}" if group else f"/api/{version}"
    async with sem:
        got = await source.fetch(path)
    if got.status != 200:
        problems.append(_problem(path, got, "discovery"))
        return None
    try:
        doc = parse_json(got.body, path)
    except CatalogError as exc:
        problems.append(Problem(path, str(exc)))
        return None
    return GroupVersion(group, version, parse_resource_list(doc, group, version))


async def _walk_core(
    source: DocumentSource, doc: JSONDict, sem: asyncio.Semaphore, problems: list[Problem]
) -> list[Group]:
    versions = parse_api_versions(doc)
    found = await asyncio.gather(*(_fetch_resources(source, "", v, sem, problems) for v in versions))
    gvs = tuple(gv for gv in found if gv is not None)
    return [Group("", gvs, gvs[0].version)] if gvs else []


async def _walk_groups(
    source: DocumentSource, doc: JSONDict, sem: asyncio.Semaphore, problems: list[Problem]
) -> list[Group]:
    listed = parse_group_list(doc)
    tasks = [
        [_fetch_resources(source, name, v, sem, problems) for v in versions] for name, versions, _ in listed
    ]
    flat = await asyncio.gather(*(t for ts in tasks for t in ts))
    groups = []
    i = 0
    for name, versions, preferred in listed:
        gvs = tuple(gv for gv in flat[i : i + len(versions)] if gv is not None)
        i += len(versions)
        if gvs:
            pref = preferred if any(gv.version == preferred for gv in gvs) else gvs[0].version
            groups.append(Group(name, gvs, pref))
    return groups


async def _crd_groups(source: DocumentSource, problems: list[Problem]) -> set[str] | None:
    got = await source.fetch(CRD_LIST_PATH, accept=METADATA_LIST_ACCEPT)
    if got.status != 200:
        problems.append(
            Problem(
                CRD_LIST_PATH,
                f"custom resource definitions could not be listed (HTTP {got.status}); "
                "built-in groups were told apart by name instead",
                got.status,
            )
        )
        return None
    try:
        return crd_groups_from_list(parse_json(got.body, CRD_LIST_PATH))
    except CatalogError as exc:
        problems.append(Problem(CRD_LIST_PATH, str(exc)))
        return None


async def read_version(source: DocumentSource) -> tuple[ServerVersion | None, Problem | None]:
    """``/version``, or a Problem saying why not (it is informational; nothing depends on it)."""
    got = await source.fetch("/version")
    if got.status != 200:
        return None, _problem("/version", got, "server version")
    try:
        return parse_version(parse_json(got.body, "/version")), None
    except CatalogError as exc:
        return None, Problem("/version", str(exc))


__all__ = [
    "AGGREGATED_ACCEPT",
    "BUILTIN_GROUPS",
    "parse_aggregated",
    "parse_api_versions",
    "parse_group_list",
    "parse_resource_list",
    "read_discovery",
]
