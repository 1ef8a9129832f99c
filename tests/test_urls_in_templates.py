"""Every page URL in a template comes from ``web/urls.py``: no template writes a page path itself.

A path pasted into a template (``href="/g/{{ g.name }}"``) skips the quoting and the core group's URL
spelling that ``urls.py`` applies, and a change of scheme would miss it. Two checks, each tried on bad
templates written here so that it is known to fail when it should:

* a URL attribute (``href``, ``action``, ``src``, ``hx-get``/``hx-post``/…, ``sse-connect``) whose value
  starts with ``/`` instead of a ``{{ url_...() }}`` call;
* a Jinja string constant naming a page path (its first segment one of the app's own routes), as in
  ``{% set u = "/try/" ~ g %}``, unless it is the argument of a URL function (``url_raw('/')`` names an
  API path).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from jinja2 import nodes

import webexplorer.web
from webexplorer.app import create_app
from webexplorer.settings import Settings
from webexplorer.web.templating import ENV, TEMPLATES_DIR
from webexplorer.web.urls import TEMPLATE_GLOBALS

HTMX_VERBS = ("get", "post", "put", "patch", "delete")
URL_ATTRIBUTES = ("href", "action", "formaction", "src", "sse-connect", *(f"hx-{v}" for v in HTMX_VERBS))
_LITERAL_ATTRIBUTE = re.compile(
    r"(?<![\w-])(?P<attr>" + "|".join(URL_ATTRIBUTES) + r""")\s*=\s*["']?(?P<value>/[^"'>]*)"""
)
#: functions whose string arguments are not page paths (an API path, a static file's name)
URL_FUNCTIONS = frozenset({*TEMPLATE_GLOBALS, "static_url"})


def _routes() -> Iterator[APIRoute]:
    """The routes of every router module of ``webexplorer.web`` and those the app adds itself."""
    for info in pkgutil.iter_modules(webexplorer.web.__path__):
        router = getattr(importlib.import_module(f"webexplorer.web.{info.name}"), "router", None)
        if isinstance(router, APIRouter):
            yield from (r for r in router.routes if isinstance(r, APIRoute))
    app = create_app(Settings(mode="snapshot"))
    yield from (r for r in app.router.routes if isinstance(r, APIRoute))


#: the first path segment of every route (``g``, ``op``, ``try``, ``static``…)
PAGE_ROOTS = frozenset(
    first for r in _routes() if (first := r.path.strip("/").split("/", 1)[0]) and "{" not in first
)


def _names_a_page(text: str) -> bool:
    """``/try/…`` names a page; ``/`` alone is a separator as often as the home page (which the attribute
    check finds), and ``/apis/…`` is an API path."""
    return text.startswith("/") and text[1:].split("/", 1)[0].split("?", 1)[0] in PAGE_ROOTS


def _constants_outside_url_calls(node: nodes.Node, in_url_call: bool = False) -> Iterator[nodes.Const]:
    if isinstance(node, nodes.Const) and isinstance(node.value, str) and not in_url_call:
        yield node
    for child in node.iter_child_nodes():
        direct_arg = (
            isinstance(node, nodes.Call)
            and isinstance(node.node, nodes.Name)
            and node.node.name in URL_FUNCTIONS
            and child is not node.node
        )
        # only a URL function's own arguments are exempt, not whatever an expression inside them builds
        yield from _constants_outside_url_calls(child, direct_arg and isinstance(child, nodes.Const))


def literal_page_paths(name: str, source: str) -> list[str]:
    """Every page path ``source`` writes itself, as ``template:line: what``."""
    found = []
    for match in _LITERAL_ATTRIBUTE.finditer(source):
        line = source.count("\n", 0, match.start()) + 1
        found.append(f"{name}:{line}: {match['attr']}={match['value']!r} (call a url_* function)")
    for const in _constants_outside_url_calls(ENV.parse(source)):
        if _names_a_page(const.value):
            found.append(f"{name}:{const.lineno}: {const.value!r} (a page path; call a url_* function)")
    return found


def test_the_page_roots_are_the_routes() -> None:
    assert {"g", "op", "schema", "raw", "search", "try", "diff", "pod", "signin", "can-i"} <= PAGE_ROOTS


@pytest.mark.parametrize(
    "bad",
    [
        '<a href="/g/{{ g.display_name }}">{{ g.display_name }}</a>',
        "<a href='/'>home</a>",
        '<form method="post" action="/signout"></form>',
        '<input hx-get="/try/suggest/namespaces">',
        '<div sse-connect="/try/watch/{{ watch.id }}"></div>',
        "<a href=/diff>Diff</a>",
        '{% set u = "/try/" ~ (g | urlencode) %}<a href="{{ u }}">try</a>',
        "<a href=\"{{ '/schema/' ~ name }}\">schema</a>",
        "<a href=\"{{ url_raw('/' ~ '/search') }}\">x</a>",
        "<a href=\"{{ url_raw('/raw/x') ~ '/g/core' }}\">x</a>",
    ],
)
def test_a_literal_page_path_is_found(bad: str) -> None:
    assert literal_page_paths("bad.html", bad), bad


@pytest.mark.parametrize(
    "good",
    [
        '<a href="{{ url_group(g.name) }}">{{ g.display_name }}</a>',
        "<a href=\"{{ url_raw('/') }}\">/</a>",
        "<a href=\"{{ url_raw('/api' if c else '/apis/' ~ g) }}\">{{ '/api' if c else '/apis/' ~ g }}</a>",
        '<a href="#sub-status">status</a> <a href="https://kubernetes.io/docs/">docs</a>',
        "<p>GET /api/v1/pods</p>",
    ],
)
def test_urls_from_functions_pass(good: str) -> None:
    assert literal_page_paths("good.html", good) == []


def test_no_template_writes_a_page_path() -> None:
    found = [
        problem
        for path in sorted(TEMPLATES_DIR.glob("*.html"))
        for problem in literal_page_paths(path.name, path.read_text())
    ]
    assert found == []
