"""Jinja2 set-up shared by every page.

Only ``*.html`` templates exist, and autoescaping is forced on for all of them: every value from the
cluster (CRD descriptions, annotations, names) is untrusted text. Pages render with one call,
:func:`render`, so a later change (timing headers, say) has a single home.

A fragment is a template of its own (``_*.html``, no ``extends``), never a block cut out of a page: the
route that answers chooses the template by what was asked for (``?part=children`` on schema pages,
``&partial=1`` for live search, the ``HX-Request`` header on the try-it form and answers) and renders
it with the same calls. A fragment placed inside another page is rendered by
:func:`render_fragment_cached`; a watch's server-sent events render theirs from :data:`ENV` directly,
as they have no request to render for.

Pages whose content depends only on their URL and the catalog (group, resource, operation, schema,
search) render with :func:`render_cached` instead: their content is kept per catalog generation
(:mod:`webexplorer.web.pagecache`) and only the page shell (``base.html``: the visitor's identity, the
sign-out form's CSRF token) is rendered for every request.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Hashable, Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import orjson
from jinja2 import nodes
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from webexplorer import __version__
from webexplorer.catalog import group_display_name
from webexplorer.explorer import Explorer
from webexplorer.tryout.history import history_key
from webexplorer.web.assets import static_url
from webexplorer.web.csrf import csrf_token
from webexplorer.web.factsview import fact_list, ticks
from webexplorer.web.pagecache import CachedContent, PageCache
from webexplorer.web.prose import prose
from webexplorer.web.releaseview import VIEWING, release_links
from webexplorer.web.state import app_state
from webexplorer.web.urls import TEMPLATE_GLOBALS

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


class _Environment(jinja2.Environment):
    """Jinja's environment with each template's globals as one plain dict.

    Jinja gives every template a ``ChainMap`` of its own and the environment's globals, and every render
    copies it key by key into a new context: with our thirty URL helpers that was more of each page's
    time than rendering the page shell itself. The environment's globals are complete before the first
    template is loaded (:func:`_environment`), so a copy at load time is the same mapping.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def _environment() -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["app_version"] = __version__  # not "version": pages use that for API versions
    env.globals.update(TEMPLATE_GLOBALS)
    env.globals["static_url"] = static_url
    env.globals["group_display_name"] = group_display_name
    env.filters["json"] = _json_text
    env.filters["ticks"] = ticks
    env.globals["facts_html"] = fact_list
    env.filters["prose"] = prose
    return env


def _json_text(value: Any) -> str:
    """A value from a document (an enum member, a default) as JSON text; escaped by autoescape later."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        return str(value)


ENV = _environment()


def _explorer_or_none(request: Request) -> Explorer | None:
    """The explorer for the page shell, which is also drawn around the 503 page shown before start."""
    state = app_state(request)
    return state.explorer if state.slot.started else None


def _base_context(request: Request) -> dict[str, Any]:
    """What the page shell (``base.html``) reads about this request and visitor."""
    visitor = getattr(request.state, "visitor", None)  # set by web/identity.load_header_identity
    whoami = getattr(request.state, "whoami", None)
    identity = whoami.identity if whoami is not None and visitor is not None and visitor.connection else None
    return {
        "request": request,
        "explorer": _explorer_or_none(request),
        "visitor": visitor,
        "visitor_whoami": whoami,
        # whose try-it history app.js keeps and shows (tryout/history.py): "" without a known identity
        "history_key": history_key(identity.username, identity.uid) if identity is not None else "",
        "signout_csrf": csrf_token(request) if visitor is not None and visitor.signed_in else "",
        # the header's cluster picker (--contexts): this page in every context a visitor may switch to
        "context_links": app_state(request).contexts.links(request.scope),
        # the header's release picker: this page as each embedded release served it (web/releaseview.py)
        "release_links": release_links(app_state(request).releases, request.scope),
        "release_view": VIEWING.get(),
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` for this request: a page (the shell of ``base.html`` around it), or a fragment
    when the route chose one (see the module's docstring); the page shell's context is there for both."""
    ctx = _base_context(request)
    if context:
        ctx.update(context)
    tmpl = ENV.get_template(template)
    html = tmpl.render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)


# ------------------------------------------------------------------------------------- cached content

#: the blocks of ``base.html`` a cached page may fill; its other blocks (``identity``) are the visitor's
CACHED_BLOCKS = frozenset({"title", "content"})
#: the visitor as cached content sees it: nobody. Content is rendered with these, never with the real
#: visitor, so no visitor's name or token can end up in text that other visitors are shown.
_NOBODY: dict[str, object] = {
    "visitor": None,
    "visitor_whoami": None,
    "history_key": "",
    "signout_csrf": "",
    "context_links": [],
    "release_links": [],
}


@dataclass(frozen=True, slots=True)
class Content:
    """What a cacheable page's route computes: its template's context, and whether the rendering may be
    kept (not when it shows a passing failure, such as a document the API server did not send)."""

    context: dict[str, Any]
    cacheable: bool = True


def page_cache_of(request: Request) -> PageCache | None:
    cache = app_state(request).page_cache
    return cache if cache.enabled else None


def catalog_generation(request: Request) -> int | None:
    """The current catalog's generation, or None while there is no catalog (nothing to key content on)."""
    explorer = _explorer_or_none(request)
    store = explorer.store if explorer is not None else None
    if store is None or store.current is None:
        return None
    generation: int = store.generation
    return generation


async def render_cached(
    request: Request,
    template: str,
    build: Callable[[], Awaitable[Content]],
    *,
    key: tuple[Hashable, ...] = (),
    frame: dict[str, Any] | None = None,
) -> HTMLResponse:
    """Render ``template`` as :func:`render` would, keeping its content for this URL and catalog
    generation.

    ``build`` computes the template's context; it runs only when the content is not kept yet (its
    errors are raised as they are, and never kept). The content must depend on nothing but the URL,
    the catalog and ``key`` (what else it shows, like the search index's state), and must not read the
    visitor (it is rendered as nobody). ``frame`` is what the page shell (``base.html``) reads besides
    the visitor (``query`` for the header's search box); it is passed to the content too.
    """
    frame = frame or {}
    cache = page_cache_of(request)
    generation = catalog_generation(request)
    if cache is None or generation is None:
        content = await build()
        return render(request, template, {**content.context, **frame})
    cache_key = (template, request.scope["path"], request.scope["query_string"], *key)
    found = cache.get(generation, cache_key)
    if found is None:
        content = await build()
        found = _render_content(request, template, {**content.context, **frame})
        if content.cacheable and catalog_generation(request) == generation:
            cache.put(generation, cache_key, found)  # not when a swap happened while it was built
    return HTMLResponse(_render_shell(request, template, found, frame))


async def render_fragment_cached(
    request: Request, template: str, build: Callable[[], Awaitable[Content]], *, key: tuple[Hashable, ...]
) -> Markup:
    """The fragment ``template`` (no ``extends``) as text for another page's context, kept per catalog
    generation and ``key`` like :func:`render_cached`: for a page that is partly the visitor's (home)."""
    cache = page_cache_of(request)
    generation = catalog_generation(request)
    if cache is None or generation is None:
        # Markup: autoescaped output of our own template, to be placed in another one as it is
        return Markup(_render_nobody(request, template, (await build()).context))  # noqa: S704
    cache_key = ("fragment", template, *key)
    found = cache.get(generation, cache_key)
    if found is None:
        content = await build()
        found = CachedContent(_render_nobody(request, template, content.context))
        if content.cacheable and catalog_generation(request) == generation:
            cache.put(generation, cache_key, found)
    return Markup(found.body if isinstance(found.body, str) else found.body.decode())  # noqa: S704


@functools.cache
def _parent_of(template: str) -> str | None:
    """The template ``template`` extends (``base.html``), or None for a fragment."""
    assert ENV.loader is not None
    source, _, _ = ENV.loader.get_source(ENV, template)
    extends = ENV.parse(source).find(nodes.Extends)
    if extends is None:
        return None
    if not isinstance(extends.template, nodes.Const):
        raise TypeError(f"{template}: a cached page must extend a template named in the source")
    parent: str = extends.template.value
    return parent


def _nobody(request: Request) -> dict[str, Any]:
    return {
        "request": request,
        "explorer": _explorer_or_none(request),
        "release_view": VIEWING.get(),
        **_NOBODY,
    }


def _render_nobody(request: Request, template: str, context: dict[str, Any]) -> str:
    return ENV.get_template(template).render({**_nobody(request), **context})


def _render_content(request: Request, template: str, context: dict[str, Any]) -> CachedContent:
    """``template`` rendered as nobody: a fragment whole, a page as its content and title blocks."""
    parent = _parent_of(template)
    if parent is None:
        return CachedContent(_render_nobody(request, template, context).encode())
    tmpl = ENV.get_template(template)
    overridden = set(tmpl.blocks) & set(ENV.get_template(parent).blocks)
    if "content" not in overridden or not overridden <= CACHED_BLOCKS:
        raise TypeError(f"{template} must fill the content block of {parent}, and none of the visitor's")
    ctx = tmpl.new_context({**_nobody(request), **context})
    captured: dict[str, str] = {}

    def capture(name: str) -> Callable[[Context], Iterator[str]]:
        block = ctx.blocks[name][0]

        def capturing(context: Context) -> Iterator[str]:
            captured[name] = text = ENV.concat(block(context))
            yield text

        return capturing

    for name in overridden:
        ctx.blocks[name][0] = capture(name)
    try:
        for _ in tmpl.root_render_func(ctx):  # the shell around it is rendered and dropped
            pass
    except Exception:
        ENV.handle_exception()
    body = captured.pop("content")
    return CachedContent(body.encode(), captured)


#: where the kept content goes in the rendered shell; the last occurrence is the block (the footer after
#: it is constant), so a visitor's name holding these characters cannot move it
_CONTENT_MARK = "\x00webexplorer:content\x00"


def _render_shell(request: Request, template: str, content: CachedContent, frame: dict[str, Any]) -> bytes:
    """The page ``template`` for this visitor: its parent with the kept blocks in place, as UTF-8."""
    if _parent_of(template) is None:
        return content.body if isinstance(content.body, bytes) else content.body.encode()
    parent = ENV.get_template(_parent_of(template) or template)
    ctx = parent.new_context({**_base_context(request), **frame})
    for name, text in content.blocks.items():
        ctx.blocks[name] = [_constant(text)]
    ctx.blocks["content"] = [_constant(_CONTENT_MARK)]
    try:
        html: str = ENV.concat(parent.root_render_func(ctx))
    except Exception:
        ENV.handle_exception()
    head, mark, tail = html.rpartition(_CONTENT_MARK)
    assert mark, f"{_parent_of(template)} rendered no content block"
    body = content.body if isinstance(content.body, bytes) else content.body.encode()
    return b"".join((head.encode(), body, tail.encode()))


def _constant(text: str) -> Callable[[Context], Iterator[str]]:
    def block(context: Context) -> Iterator[str]:
        yield text

    return block
