"""Every page URL the explorer hands out, built in one place and mirrored on the API's own shape.

Templates never paste URLs together: they call these functions (registered as Jinja globals), so the
scheme documented in ``docs/architecture.md`` ("Pages and their URLs") is true by construction and a
change of scheme is one edit. The core group is spelled ``core`` in URLs because the API's own empty
group name cannot be a path segment. Every function quotes its segments, so a CRD with an odd name
still yields a working (and safe) link.

The validators at the bottom are the strict shapes route modules accept for path parameters: anything
else is answered with a 400 page before any lookup, so no odd value ever reaches the catalog.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from webexplorer.catalog import GVK, Operation, Resource
from webexplorer.catalog.operations import parse_path


def _q(segment: str) -> str:
    return quote(segment, safe="")


def url_group(group: str) -> str:
    """``/g/apps``; the core group is ``/g/core``."""
    return f"/g/{_q(group or 'core')}"


def url_group_version(group: str, version: str) -> str:
    return f"{url_group(group)}/{_q(version)}"


def url_resource(group: str, version: str, resource: str, subresource: str | None = None) -> str:
    """``/g/apps/v1/deployments``; a subresource is an anchor of its resource's page."""
    base = f"{url_group_version(group, version)}/{_q(resource)}"
    return f"{base}#sub-{_q(subresource)}" if subresource else base


def url_for_resource(r: Resource) -> str:
    return url_resource(r.group, r.version, r.name)


def url_operation(group: str, version: str, operation_id: str) -> str:
    return f"/op/{_q(group or 'core')}/{_q(version)}/{_q(operation_id)}"


def url_for_operation(op: Operation, group: str, version: str) -> str:
    """The page of ``op`` as documented by ``group/version`` (v2 operations carry their own)."""
    if op.target is not None:
        group, version = op.target.group, op.target.version
    return url_operation(group, version, op.operation_id)


def url_schema(group: str, version: str, name: str, path: str = "") -> str:
    """A kind (``Deployment``) or definition (``io.k8s.api.core.v1.PodSpec``), opened at ``path``.

    A field's URL carries the path twice: as a segment, so the server renders the tree opened down to
    it (works without JavaScript), and as the fragment, so the browser scrolls to it."""
    base = f"/schema/{_q(group or 'core')}/{_q(version)}/{_q(name)}"
    if not path:
        return base
    return f"{base}/{quote(path, safe='.$@-_')}#{quote(path, safe='.$@-_')}"


def url_kind(gvk: GVK, path: str = "") -> str:
    return url_schema(gvk.group, gvk.version, gvk.kind, path)


def url_raw(api_path: str, *, download: bool = False, aggregated: bool = False) -> str:
    """The raw-document page of an API path (``/apis/batch/v1`` → ``/raw/apis/batch/v1``)."""
    path = api_path.split("?", 1)[0].strip("/")
    url = "/raw/" + quote(path, safe="/.-_")
    params = [p for p, on in (("aggregated=1", aggregated), ("download=1", download)) if on]
    return url + ("?" + "&".join(params) if params else "")


def url_search(query: str) -> str:
    return "/search?q=" + quote(query, safe="")


def url_for_api_path(path: str) -> str | None:
    """The explorer page for an API path template (an OpenAPI ``paths`` key): its resource page, or
    its group version's page; None for paths outside ``/api`` and ``/apis``."""
    target = parse_path(path)
    if target is None:
        return None
    if target.resource is None:
        return url_group_version(target.group, target.version)
    return url_resource(target.group, target.version, target.resource, target.subresource)


# ---------------------------------------------------------------------------------------------- input

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,252}$")
_FIELD_PATH = re.compile(r"^[A-Za-z0-9_$@\-]+(\.[A-Za-z0-9_$@\-]+){0,63}$")
_OPERATION_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,200}$")


def valid_group(name: str) -> bool:
    return name == "core" or bool(_DNS_SUBDOMAIN.match(name))


def valid_version(name: str) -> bool:
    return bool(_DNS_LABEL.match(name))


def valid_resource(name: str) -> bool:
    return bool(_DNS_SUBDOMAIN.match(name))


def valid_schema_name(name: str) -> bool:
    return bool(_SCHEMA_NAME.match(name))


def valid_field_path(path: str) -> bool:
    return bool(_FIELD_PATH.match(path))


def valid_operation_id(name: str) -> bool:
    return bool(_OPERATION_ID.match(name))


#: every function templates may call, registered as Jinja globals by :mod:`.templating`
TEMPLATE_GLOBALS = {
    "url_group": url_group,
    "url_group_version": url_group_version,
    "url_resource": url_resource,
    "url_for_resource": url_for_resource,
    "url_operation": url_operation,
    "url_for_operation": url_for_operation,
    "url_schema": url_schema,
    "url_kind": url_kind,
    "url_raw": url_raw,
    "url_search": url_search,
    "url_for_api_path": url_for_api_path,
}


# --------------------------------------------------------------------------------------------- try it


def url_try(group: str, version: str, operation_id: str) -> str:
    """The try-it form of an operation (``/try/core/v1/listCoreV1NamespacedConfigMap``); a POST to it
    sends the request, and its query (the form's field names) is the shareable link."""
    return f"/try/{_q(group or 'core')}/{_q(version)}/{_q(operation_id)}"


def url_try_view(view: str) -> str:
    """Where the answer panel asks for a view it left for later (``yaml``, ``explain``)."""
    return f"/try/view/{_q(view)}"


def url_try_answer(key: str) -> str:
    """The download of an answer's whole body, kept for the session that asked for it."""
    return f"/try/answer/{_q(key)}"


def url_try_watch(ticket: str) -> str:
    """The server-sent event stream of a watch, opened by its sealed ticket."""
    return f"/try/watch/{_q(ticket)}"


def url_try_watch_stop(ticket: str) -> str:
    return f"/try/watch-stop/{_q(ticket)}"


def url_try_suggest_namespaces() -> str:
    """The namespaces a try-it form's namespace input suggests (an HTML ``<datalist>``'s options)."""
    return "/try/suggest/namespaces"


def url_try_suggest_names(group: str, version: str, resource: str) -> str:
    """The object names a try-it form's name input suggests, in the namespace the form names."""
    return f"/try/suggest/names/{_q(group or 'core')}/{_q(version)}/{_q(resource)}"


TEMPLATE_GLOBALS.update(
    {
        "url_try": url_try,
        "url_try_suggest_namespaces": url_try_suggest_namespaces,
        "url_try_suggest_names": url_try_suggest_names,
        "url_try_watch": url_try_watch,
        "url_try_watch_stop": url_try_watch_stop,
    }
)
