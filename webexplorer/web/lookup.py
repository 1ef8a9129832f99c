"""What every browsing page does first: validate its path parameters and find them in the catalog.

Each helper either returns the thing asked for or raises an ``HTTPException`` whose detail is the
sentence the error page shows (400 for a malformed parameter, 404 for an unknown one, 503 while no
catalog exists), so route functions read as "parse, ask, render" and never meet ``None``.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException

from webexplorer.catalog import GVK, Catalog, CatalogError, Group, GroupVersion, NotPublishedYet, Resource
from webexplorer.web import urls


def check(value: str, valid: Callable[[str], bool], what: str) -> str:
    """``value`` if it has the shape of a ``what``, else a 400 page naming the problem."""
    if not valid(value):
        raise HTTPException(400, f"{value[:80]!r} is not a valid {what}.")
    return value


#: seconds a page asks to be retried after while a group version's document is still to be published
RETRY_UNPUBLISHED = 2


def document_problem(exc: CatalogError, otherwise: HTTPException) -> HTTPException:
    """The page for a document that could not be read: 503 with ``Retry-After`` while the server has
    not published it yet (a CRD just created: it is coming), else ``otherwise``."""
    if isinstance(exc, NotPublishedYet):
        return HTTPException(
            503,
            f"Not yet: {exc}. This page opens as soon as it is published; try again in a few seconds.",
            headers={"Retry-After": str(RETRY_UNPUBLISHED)},
        )
    return otherwise


def group_of(catalog: Catalog, group: str) -> Group:
    check(group, urls.valid_group, "API group name")
    found = catalog.group(urls.group_from_url(group))
    if found is None:
        raise HTTPException(
            404, f"This cluster serves no API group named {group!r}. The home page lists every group."
        )
    return found


def group_version_of(catalog: Catalog, group: str, version: str) -> tuple[Group, GroupVersion]:
    g = group_of(catalog, group)
    check(version, urls.valid_version, "API version")
    gv = g.version(version)
    if gv is None:
        served = ", ".join(v.version for v in g.versions)
        raise HTTPException(
            404, f"The group {g.display_name} has no version {version!r}; it serves {served}."
        )
    return g, gv


def resource_of(
    catalog: Catalog, group: str, version: str, resource: str
) -> tuple[Group, GroupVersion, Resource]:
    g, gv = group_version_of(catalog, group, version)
    check(resource, urls.valid_resource, "resource name")
    r = gv.resource(resource)
    if r is None:
        raise HTTPException(
            404,
            f"{gv.name} has no resource {resource!r}. Resource names are plural and lower case "
            f"(e.g. 'deployments'); the page of {gv.name} lists them all.",
        )
    return g, gv, r


async def kind_schema_url(catalog: Catalog, group: str, version: str, kind: GVK | None) -> str | None:
    """The schema page of ``kind`` as the document of ``group/version`` defines it, or None.

    A kind is not always defined in its own group version's document: ``autoscaling/v1`` Scale lives in
    the ``apps/v1`` document, Eviction and TokenRequest in ``core/v1``'s, and the ``*Options`` kinds of
    connect operations in none. Linking the definition where the referring page's document has it is
    the one link that always opens."""
    if kind is None or not kind.kind:
        return None
    try:
        schemas = await catalog.schemas(group, version)
    except CatalogError:
        return None
    name = schemas.definition_for(kind)
    return urls.url_schema(group, version, name) if name is not None else None
