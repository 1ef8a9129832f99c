"""From an existing object: a read object's answer offers it as the body of a new one, or to edit.

*Use as a new body* opens the create form of the same resource with the object stripped of what only
the server sets (:func:`~webexplorer.tryout.skeleton.as_new_body`); *Edit this object* opens the replace
form with it as read, ``resourceVersion`` kept, so a concurrent change is refused rather than
overwritten. Both are shareable-link URLs (the form's own field names as query keys), so they only
refill a form: sending still takes a click and the form's CSRF token. An object too large for a link
gets no offer (the form page takes link bodies up to 64 KiB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from webexplorer.catalog import Catalog, CatalogError, Operation
from webexplorer.tryout.answer import is_single_object
from webexplorer.tryout.bodies import dump_yaml
from webexplorer.tryout.share import MAX_LINK_BODY
from webexplorer.tryout.skeleton import as_new_body, strip_live_object
from webexplorer.web.urls import url_try


@dataclass(frozen=True, slots=True)
class ReuseLink:
    label: str
    url: str
    id: str


async def reuse_links(catalog: Catalog, op: Operation, value: Any) -> tuple[ReuseLink, ...]:
    """The offers for the answer ``value`` of ``op`` (a read of one object of a resource), else ()."""
    t = op.target
    if op.method != "GET" or op.action != "get" or t is None or not t.resource or t.subresource:
        return ()
    if not is_single_object(value):
        return ()
    meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    namespace = str(meta.get("namespace", "")) if t.namespaced else ""
    out: list[ReuseLink] = []
    for action, label, element, make, named in (
        ("create", "Use as a new body", "tryout-reuse-new", as_new_body, False),
        ("update", "Edit this object", "tryout-reuse-edit", strip_live_object, True),
    ):
        try:
            found = await catalog.operations(t.group, t.version, t.resource, None, action)
        except CatalogError:
            continue
        target = next((o for o in found if bool(o.target and o.target.namespaced) == t.namespaced), None)
        body = dump_yaml(make(value))
        if target is None or len(body) > MAX_LINK_BODY:
            continue
        pairs = [("p.namespace", namespace)] if namespace else []
        if named:
            pairs.append(("p.name", str(meta.get("name", ""))))
        pairs.append(("body", body))
        url = f"{url_try(t.group, t.version, target.operation_id)}?{urlencode(pairs)}"
        out.append(ReuseLink(label, url, element))
    return tuple(out)
