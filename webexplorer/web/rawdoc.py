"""Raw API documents as pages: which paths are documents, and pretty-printed JSON with its paths linked.

Pure functions (no request, no catalog), so they are unit-tested on their own and the route module
stays thin.

Rendering works on the pretty-printed text rather than on the parsed tree: one regular expression finds
the few strings worth a link (API paths, ``$ref``s, ``groupVersion``, a resource list's ``name``\\s,
the v3 index's ``serverRelativeURL``) and everything between them is escaped in bulk. That keeps a
multi-megabyte ``/openapi/v2`` to tens of milliseconds, where walking the tree node by node in Python
took the better part of a second; the result is cached by the caller anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import orjson
from markupsafe import Markup, escape

#: decides the link of a string: (the key it is the value of, or None for a key / bare string; the text)
Linker = Callable[[str | None, str], str | None]

_SEGMENT = re.compile(r"^[A-Za-z0-9._\-:@~]+$")

# a JSON string starting with "/" (an API path, as a key or a value), or one of the keyed values
# worth a link; only plain strings (no escapes) qualify, which every path and name is
_LINKABLE = re.compile(
    r'"(?P<key>\$ref|groupVersion|name|serverRelativeURL)": "(?P<kv>[^"\\\n]*)"'
    r'|"(?P<path>/[^"\\\n]*)"'
)


def api_path_segments(path: str) -> list[str] | None:
    """The segments of an API path a raw page may be asked for, or None when any is malformed
    (empty, ``.``/``..``, or a character outside the ones API paths use)."""
    path = path.strip("/")
    if not path:
        return []
    segs = path.split("/")
    if len(path) > 1000 or any(s in (".", "..") or not _SEGMENT.match(s) for s in segs):
        return None
    return segs


def is_document_path(segs: list[str]) -> bool:
    """Discovery, OpenAPI and version documents; everything else under ``/api(s)`` reads objects."""
    if not segs or segs == ["version"]:
        return True
    head, n = segs[0], len(segs)
    if head == "api":
        return n <= 2
    if head == "apis":
        return n <= 3
    if head == "openapi":
        return segs[1:] == ["v2"] or (n >= 2 and segs[1] == "v3")
    return False


def match_template(template: str, path: str) -> dict[str, str] | None:
    """The path parameters when ``path`` is an instance of ``template`` (``{name}`` matches one
    segment), else None: ``/apis/batch/v1/namespaces/{namespace}/jobs`` matches
    ``/apis/batch/v1/namespaces/default/jobs`` with ``{"namespace": "default"}``."""
    t = [s for s in template.split("/") if s]
    p = [s for s in path.split("/") if s]
    if len(t) != len(p):
        return None
    params: dict[str, str] = {}
    for ts, ps in zip(t, p, strict=True):
        if ts.startswith("{") and ts.endswith("}"):
            params[ts[1:-1]] = ps
        elif ts != ps:
            return None
    return params


def pretty(body: bytes) -> str:
    """``body`` re-indented by two spaces, keys in the server's order; raises ValueError if not JSON."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(str(exc)) from exc
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def linked_json(text: str, linker: Linker) -> Markup:
    """Escape pretty-printed JSON ``text`` for HTML, with the strings ``linker`` names turned into links.

    The output's text content is ``text`` exactly (links only wrap characters), so a page's
    ``<pre>`` holds the very document the server sent."""
    out: list[str] = []
    pos = 0
    for m in _LINKABLE.finditer(text):
        key, value = (m.group("key"), m.group("kv")) if m.group("key") else (None, m.group("path"))
        href = linker(key, value)
        if href is None:
            continue
        out.append(str(escape(text[pos : m.start()])))
        if key is not None:
            out.append(f'"{escape(key)}": "<a href="{escape(href)}">{escape(value)}</a>"')
        else:
            out.append(f'"<a href="{escape(href)}">{escape(value)}</a>"')
        pos = m.end()
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))  # noqa: S704 - every piece above is escaped


def download_name(segs: list[str], aggregated: bool = False) -> str:
    """A file name for a downloaded document: ``apis_batch_v1.json``, ``root.json``."""
    base = "_".join(segs) or "root"
    return f"{base}{'.aggregated' if aggregated else ''}.json"
