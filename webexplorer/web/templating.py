"""Jinja2 set-up shared by every page.

Only ``*.html`` templates exist, and autoescaping is forced on for all of them: every value from the
cluster (CRD descriptions, annotations, names) is untrusted text. Pages render with one call,
:func:`render`, so a later change (fragments for htmx, timing headers) has a single home.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse

from webexplorer import __version__
from webexplorer.web.assets import static_url
from webexplorer.web.csrf import csrf_token
from webexplorer.web.urls import TEMPLATE_GLOBALS

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
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
    env.filters["json"] = _json_text
    return env


def _json_text(value: Any) -> str:
    """A value from a document (an enum member, a default) as JSON text; escaped by autoescape later."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        return str(value)


ENV = _environment()


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a full page, or only its ``content`` block when htmx asks for a fragment."""
    visitor = getattr(request.state, "visitor", None)  # set by web/identity.load_header_identity
    ctx: dict[str, Any] = {
        "request": request,
        "explorer": getattr(request.app.state, "explorer", None),
        "visitor": visitor,
        "visitor_whoami": getattr(request.state, "whoami", None),
        "signout_csrf": csrf_token(request) if visitor is not None and visitor.signed_in else "",
    }
    if context:
        ctx.update(context)
    tmpl = ENV.get_template(template)
    html = tmpl.render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)
