"""Every page URL the explorer hands out, built in one place and mirrored on the API's own shape.

Templates never paste URLs together: they call these functions (registered as Jinja globals), so the
scheme documented in ``docs/architecture.md`` ("Pages and their URLs") is true by construction and a
change of scheme is one edit; ``tests/test_urls_in_templates.py`` fails on a page path written into a
template. Every function quotes its segments, so a CRD with an odd name still yields a working (and
safe) link.

The core group is ``""`` everywhere but in URLs, where the API's own empty name cannot be a path
segment and is spelled ``core``: :func:`url_group_segment` and :func:`group_from_url` are the one pair
that converts (pages name it with :func:`webexplorer.catalog.group_display_name`, also ``core``).

A page of another kubeconfig context (``web/contexts.py``) is the same page under ``/ctx/<name>``: while
such a request renders, :data:`URL_PREFIX` holds that prefix and every page URL built here starts with it
(:func:`_in_context`), so a person who follows links stays on the cluster they chose.

The validators at the bottom are the strict shapes route modules accept for path parameters: anything
else is answered with a 400 page before any lookup, so no odd value ever reaches the catalog.
"""

from __future__ import annotations

import contextvars
import functools
import re
from collections.abc import Callable
from typing import ParamSpec
from urllib.parse import quote

from webexplorer.catalog import GVK, Operation, Resource
from webexplorer.catalog.operations import parse_path

#: how the core group (``""`` in the API and the catalog) is spelled as a URL segment
CORE_SEGMENT = "core"
#: ``/ctx/<name>`` while a request of another kubeconfig context renders (set by ``web/contexts.py``)
URL_PREFIX: contextvars.ContextVar[str] = contextvars.ContextVar("webexplorer_url_prefix", default="")

#: ``/release/v1.31.14`` while a page of an embedded release renders (set by ``web/releaseview.py``);
#: only the browsing pages a release view serves carry it (:func:`_in_release`)
RELEASE_PREFIX: contextvars.ContextVar[str] = contextvars.ContextVar("webexplorer_release_prefix", default="")

P = ParamSpec("P")


#: where the pages of embedded releases live (web/releaseview.py; a 404 below it says what exists there)
RELEASE_VIEWS = "/release/"


def release_prefix(label: str) -> str:
    """``/release/v1.31.14``: the prefix of a page as an embedded release served it."""
    return f"{RELEASE_VIEWS}{_q(label)}"


def _in_release(build: Callable[P, str]) -> Callable[P, str]:
    """``build``'s page URL, in the embedded release the current request shows (if it shows one)."""

    @functools.wraps(build)
    def built(*args: P.args, **kwargs: P.kwargs) -> str:
        return RELEASE_PREFIX.get() + build(*args, **kwargs)

    return built


def _in_context(build: Callable[P, str]) -> Callable[P, str]:
    """``build``'s page URL, under the prefix of the context the current request shows."""

    @functools.wraps(build)
    def built(*args: P.args, **kwargs: P.kwargs) -> str:
        return URL_PREFIX.get() + build(*args, **kwargs)

    return built


def url_group_segment(group: str) -> str:
    """A group's URL segment (unquoted): its name, ``core`` for the core group."""
    return group or CORE_SEGMENT


def group_from_url(segment: str) -> str:
    """The group a URL segment names, as the catalog and the API name it (``core`` → ``""``)."""
    return "" if segment == CORE_SEGMENT else segment


def _q(segment: str) -> str:
    return quote(segment, safe="")


def _qg(group: str) -> str:
    return _q(url_group_segment(group))


@_in_context
def url_home() -> str:
    return "/"


@_in_context
@_in_release
def url_group(group: str) -> str:
    """``/g/apps``; the core group is ``/g/core``."""
    return f"/g/{_qg(group)}"


def url_group_version(group: str, version: str) -> str:
    return f"{url_group(group)}/{_q(version)}"


def url_resource(group: str, version: str, resource: str, subresource: str | None = None) -> str:
    """``/g/apps/v1/deployments``; a subresource is an anchor of its resource's page."""
    base = f"{url_group_version(group, version)}/{_q(resource)}"
    return f"{base}#sub-{_q(subresource)}" if subresource else base


def url_for_resource(r: Resource) -> str:
    return url_resource(r.group, r.version, r.name)


@_in_context
@_in_release
def url_operation(group: str, version: str, operation_id: str) -> str:
    return f"/op/{_qg(group)}/{_q(version)}/{_q(operation_id)}"


def url_for_operation(op: Operation, group: str, version: str) -> str:
    """The page of ``op`` as documented by ``group/version`` (v2 operations carry their own)."""
    if op.target is not None:
        group, version = op.target.group, op.target.version
    return url_operation(group, version, op.operation_id)


#: what a field path keeps unquoted in a schema URL (its segment and its fragment)
_PATH_SAFE = ".$@-_"


def _schema_path(group: str, version: str, name: str, path: str = "") -> str:
    """``/schema/<group>/<version>/<name>[/<path>]``, quoted: what every schema URL starts with."""
    base = f"/schema/{_qg(group)}/{_q(version)}/{_q(name)}"
    return f"{base}/{quote(path, safe=_PATH_SAFE)}" if path else base


@_in_context
@_in_release
def url_schema(group: str, version: str, name: str, path: str = "") -> str:
    """A kind (``Deployment``) or definition (``io.k8s.api.core.v1.PodSpec``), opened at ``path``.

    A field's URL carries the path twice: as a segment, so the server renders the tree opened down to
    it (works without JavaScript), and as the fragment, so the browser scrolls to it."""
    at = _schema_path(group, version, name, path)
    return f"{at}#{quote(path, safe=_PATH_SAFE)}" if path else at


def field_urls(group: str, version: str, name: str) -> Callable[[str], str]:
    """``url_schema(group, version, name, path)`` for many paths of one schema: the prefix (context,
    release, schema) is built once, each path only quoted (the whole-tree outline links every field)."""
    base = url_schema(group, version, name)

    def of(path: str) -> str:
        q = quote(path, safe=_PATH_SAFE)
        return f"{base}/{q}#{q}"

    return of


@_in_context
def url_schema_whole(group: str, version: str, name: str, path: str = "") -> str:
    """A schema or field page with every level below it open (``kubectl explain --recursive``)."""
    return _schema_path(group, version, name, path) + "?recursive=1"


@_in_context
def url_schema_as(
    group: str, version: str, name: str, path: str = "", *, fmt: str, recursive: bool = False
) -> str:
    """A schema or field as ``kubectl explain`` text (``fmt="text"``) or JSON (``"json"``), with its facts;
    ``recursive`` opens every level below (``--recursive``)."""
    query = f"?format={_q(fmt)}" + ("&recursive=1" if recursive else "")
    return _schema_path(group, version, name, path) + query


def url_kind(gvk: GVK, path: str = "") -> str:
    return url_schema(gvk.group, gvk.version, gvk.kind, path)


@_in_context
def url_raw(api_path: str, *, download: bool = False, aggregated: bool = False) -> str:
    """The raw-document page of an API path (``/apis/batch/v1`` → ``/raw/apis/batch/v1``)."""
    path = api_path.split("?", 1)[0].strip("/")
    url = "/raw/" + quote(path, safe="/.-_")
    params = [p for p, on in (("aggregated=1", aggregated), ("download=1", download)) if on]
    return url + ("?" + "&".join(params) if params else "")


@_in_context
def url_search_page() -> str:
    """Where the search form goes (``?q=`` is the form's field)."""
    return "/search"


@_in_context
def url_search(query: str) -> str:
    return f"{url_search_page()}?q={quote(query, safe='')}"


@_in_context
def url_search_live() -> str:
    """The header's search box while typing: only the results, shorter (``&q=`` added by htmx)."""
    return f"{url_search_page()}?partial=1"


@_in_context
def url_diff() -> str:
    """The API diff page (``?old=&new=`` are its form's fields)."""
    return "/diff"


@_in_context
def url_upgrade(target: str = "") -> str:
    """The upgrade check of the live cluster against an embedded release (``?target=v1.31.14``)."""
    return f"/upgrade?target={quote(target, safe='')}" if target else "/upgrade"


def url_in_release(label: str, url: str) -> str:
    """``url`` (built here, so under the current context's prefix) as release ``label`` served it."""
    context = URL_PREFIX.get()
    below = url[len(context) :] if url.startswith(context) else url
    return context + release_prefix(label) + below.removeprefix(RELEASE_PREFIX.get())


@_in_context
def url_pod() -> str:
    """The "This pod" page: what the Downward API says about the pod the explorer runs in."""
    return "/pod"


def url_signin() -> str:
    return "/signin"


def url_signout() -> str:
    return "/signout"


@_in_context
def url_can_i(namespace: str | None = None) -> str:
    """What the visitor may do ("What can I do?"), in ``namespace`` when given (even empty)."""
    return "/can-i" if namespace is None else f"/can-i?namespace={quote(namespace, safe='')}"


@_in_context
def url_history() -> str:
    """The visitor's try-it history (kept in their browser, listed by app.js)."""
    return "/history"


@_in_context
def url_can_i_each(namespace: str) -> str:
    """``/can-i`` with every resource and verb also asked one by one (SelfSubjectAccessReview)."""
    return f"/can-i?namespace={quote(namespace, safe='')}&each=1"


# ------------------------------------------------------------------------------------------- try it


@_in_context
def url_try(group: str, version: str, operation_id: str) -> str:
    """The try-it page of an operation (``/try/core/v1/listCoreV1NamespacedConfigMap``)."""
    return f"/try/{_qg(group)}/{_q(version)}/{_q(operation_id)}"


@_in_context
def url_try_check(group: str, version: str, operation_id: str) -> str:
    """Where the body editor posts its body to be checked while it is typed (a dry run)."""
    return f"/try/{_qg(group)}/{_q(version)}/{_q(operation_id)}/check"


@_in_context
def url_try_view(view: str) -> str:
    """Where the answer panel asks for a view left for later (``yaml``, ``explain``)."""
    return f"/try/view/{_q(view)}"


@_in_context
def url_try_answer(key: str) -> str:
    """The download of a kept answer."""
    return f"/try/answer/{_q(key)}"


@_in_context
def url_try_suggest_namespaces() -> str:
    return "/try/suggest/namespaces"


@_in_context
def url_try_suggest_names(group: str, version: str, resource: str) -> str:
    """Names of ``resource`` objects for the name input (the namespace comes with the request)."""
    return f"/try/suggest/names/{_qg(group)}/{_q(version)}/{_q(resource)}"


@_in_context
def url_try_watch(ticket: str) -> str:
    """The server-sent event stream of a watch, opened by its sealed ticket."""
    return f"/try/watch/{_q(ticket)}"


@_in_context
def url_try_watch_stop(ticket: str) -> str:
    return f"/try/watch-stop/{_q(ticket)}"


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
    return name == CORE_SEGMENT or bool(_DNS_SUBDOMAIN.match(name))


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
    "url_home": url_home,
    "url_group": url_group,
    "url_group_version": url_group_version,
    "url_resource": url_resource,
    "url_for_resource": url_for_resource,
    "url_operation": url_operation,
    "url_for_operation": url_for_operation,
    "url_schema": url_schema,
    "url_schema_as": url_schema_as,
    "url_schema_whole": url_schema_whole,
    "url_kind": url_kind,
    "url_raw": url_raw,
    "url_search_page": url_search_page,
    "url_search": url_search,
    "url_search_live": url_search_live,
    "url_diff": url_diff,
    "url_upgrade": url_upgrade,
    "url_in_release": url_in_release,
    "url_pod": url_pod,
    "url_signin": url_signin,
    "url_signout": url_signout,
    "url_can_i": url_can_i,
    "url_can_i_each": url_can_i_each,
    "url_history": url_history,
    "url_try": url_try,
    "url_try_check": url_try_check,
    "url_try_suggest_namespaces": url_try_suggest_namespaces,
    "url_try_suggest_names": url_try_suggest_names,
    "url_try_watch": url_try_watch,
    "url_try_watch_stop": url_try_watch_stop,
    "url_for_api_path": url_for_api_path,
}
