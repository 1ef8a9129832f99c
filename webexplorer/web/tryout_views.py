"""The answer's views left for later: ``POST /try/view/{yaml|explain}``, rendered when their tab is
first opened, from the answer sealed into the panel (:class:`.answers.AnswerSeals`) — never by sending
the request again.

Nothing is sent to the API server here: the sealed body is the API server's answer, and only the
session that asked for it can open it. The send route asks :func:`explain_target` whether to offer
*Explain this object* at all, and a whole page (no JavaScript) renders every view at once with
:func:`explained`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from webexplorer.catalog import GVK, Catalog, CatalogError, SchemaSet
from webexplorer.catalog.model import split_group_version
from webexplorer.tryout.answer import is_single_object, yaml_view
from webexplorer.tryout.explain import Line, explain
from webexplorer.web.csrf import session_id
from webexplorer.web.forms import FormCheck, PostedForm
from webexplorer.web.state import app_state
from webexplorer.web.templating import render

router = APIRouter()

#: the views a panel can ask for later, by the name in their URL
LATER_VIEWS = ("yaml", "explain")
#: the largest body *Explain this object* walks
EXPLAIN_LIMIT = 1 << 20
#: a sealed answer is at most a 1 MiB body (YAML_LIMIT, EXPLAIN_LIMIT), compressed, in base64; it
#: changes nothing, so the same origin is asked for but no CSRF token
VIEW_FORM = FormCheck(2 << 20, "That is not an answer of this explorer.", csrf=None)
GONE = (
    "This answer can no longer be shown in another view (a page keeps its answer for an hour, "
    "for this browser's session): send the request again."
)


@dataclass(frozen=True, slots=True)
class Explained:
    """An object's fields beside their schema (``_tryout_view.html``, view ``explain``)."""

    lines: list[Line]
    cut: bool
    definition: str


async def explain_target(catalog: Catalog, value: Any, size: int) -> tuple[SchemaSet, str] | None:
    """The schema that explains ``value`` (a single object of a kind the catalog knows), else None: a
    cheap look-up, so the panel knows whether to offer *Explain this object* before anyone opens it."""
    if size > EXPLAIN_LIMIT or not is_single_object(value):
        return None
    group, version = split_group_version(str(value.get("apiVersion", "")))
    try:
        return await catalog.kind_definition(GVK(group, version, str(value["kind"])))
    except (CatalogError, KeyError):
        return None


def explained(value: Any, target: tuple[SchemaSet, str]) -> Explained:
    schemas, definition = target
    lines, cut = explain(value, schemas, definition)
    return Explained(lines, cut, definition)


def later_view_name(view: str) -> str:
    """The view a URL names (a 404 page for any other, before the request is looked at further)."""
    if view not in LATER_VIEWS:
        raise HTTPException(404, f"No view {view[:40]!r}; there are {', '.join(LATER_VIEWS)}.")
    return view


@router.post("/try/view/{view}")
async def later_view(
    request: Request,
    name: Annotated[str, Depends(later_view_name)],
    posted: Annotated[PostedForm, Depends(VIEW_FORM)],
) -> Response:
    """A view the answer panel left for later, from the answer sealed into the panel."""
    body = app_state(request).answer_seals.open(posted.value("answer"), session_id(request))
    context: dict[str, Any] = {"view": name, "problem": None, "v": None, "explained": None}
    if body is None:
        context["problem"] = GONE
    elif name == "yaml":
        context["v"] = yaml_view(orjson.loads(body))
    else:
        value = orjson.loads(body)
        target = await explain_target(app_state(request).catalog(), value, len(body))
        if target is None:
            context["problem"] = "The API catalog no longer has a schema for this kind."
        else:
            context["explained"] = explained(value, target)
    return render(request, "_tryout_view.html", context)
