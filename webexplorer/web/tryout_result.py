"""What the answer panel shows after a send, as one typed value, and how it is answered.

A :class:`TryResult` is exactly one of: a refusal (nothing was sent), no answer (the API server could
not be reached), a watch (registered, to be streamed), or an answer. ``_tryout_result.html`` reads it
as ``result``. htmx requests get the panel alone, with status 200 so htmx swaps it in (the real status
is in the panel); plain form posts get the whole page, the form refilled above the answer, with a real
status code, so the form works without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from webexplorer.cluster.grants import Denial
from webexplorer.tryout.answer import AnswerView
from webexplorer.tryout.commands import Commands
from webexplorer.tryout.conflicts import ConflictView
from webexplorer.tryout.history import HistoryEntry
from webexplorer.tryout.plan import PlannedRequest, Refusal, TryForm
from webexplorer.tryout.share import prefill
from webexplorer.web.forms import Fields, PostedForm
from webexplorer.web.snippet_tabs import Tab
from webexplorer.web.templating import render
from webexplorer.web.tryout_page import TriedOperation, is_htmx, page_context, visitor_form
from webexplorer.web.tryout_preview import PreviewView
from webexplorer.web.tryout_reuse import ReuseLink
from webexplorer.web.tryout_views import Explained
from webexplorer.web.watches import Watch

#: set on every refusal, so a test (or a proxy's log) tells "not sent" from an answer of the API server
REFUSED_HEADER = {"X-Webexplorer-Refused": "1"}


@dataclass(frozen=True, slots=True)
class Sent:
    """What went (or goes) out: the form as filled in, the checked plan, the same request as commands,
    and its shareable link."""

    form: TryForm
    plan: PlannedRequest
    commands: Commands
    share_url: str
    #: its line in the visitor's history (app.js keeps it in the browser; tryout/history.py)
    history: HistoryEntry
    #: the commands and the client libraries' snippets, as the panel's tabs
    tabs: tuple[Tab, ...] = ()


@dataclass(frozen=True, slots=True)
class Answered:
    """The API server's answer as the panel shows it."""

    answer: AnswerView
    #: the whole body, kept for this session
    download_url: str
    #: *Explain this object*, rendered now (a whole page) …
    explained: Explained | None
    #: … or offered, and rendered when its tab is opened (htmx)
    explain_later: bool
    #: the body sealed into the panel for the views left for later ("" when there are none)
    sealed_answer: str
    yaml_url: str
    explain_url: str
    #: the form's fields again, for the next page of a list and for confirming a real delete
    next_fields: Fields
    confirm_fields: Fields
    #: a read object offered as a new body or to edit (web/tryout_reuse.py)
    reuse: tuple[ReuseLink, ...] = ()


@dataclass(frozen=True, slots=True)
class TryResult:
    """One of: ``refusal`` (nothing sent), or ``sent`` with ``no_answer``, ``watch`` or ``answered``."""

    #: where the panel's follow-up forms post (the same operation)
    action: str
    #: their CSRF token ("" when a guard refused the request)
    csrf: str
    refusal: Refusal | None = None
    sent: Sent | None = None
    no_answer: str | None = None
    watch: Watch | None = None
    answered: Answered | None = None
    #: *Preview changes*: the live object against the dry run's answer (with ``answered``)
    preview: PreviewView | None = None
    #: a 409 explained: apply conflicts by field manager, or a stale object to reload (with ``answered``)
    conflict: ConflictView | None = None
    #: the form again with the live object in the editor (a replace refused as stale)
    reload_url: str = ""
    #: with a 403 answer: what the identity lacks and the smallest grant (SelfSubjectAccessReview)
    denied: Denial | None = None


def refused(request: Request, tried: TriedOperation, refusal: Refusal) -> Response:
    """A refusal from the guards (before the form is even read as a request): no form is rebuilt."""
    result = TryResult(tried.action, "", refusal=refusal)
    if is_htmx(request):
        return render(request, "_tryout_result.html", {"result": result}, headers=REFUSED_HEADER)
    context = {**page_context(request, tried, None), "result": result}
    return render(request, "tryout.html", context, status_code=refusal.status, headers=REFUSED_HEADER)


async def respond(
    request: Request, tried: TriedOperation, posted: PostedForm, result: TryResult, status: int
) -> Response:
    """The answer panel (htmx) or the whole page with the form refilled and the answer below it."""
    headers = REFUSED_HEADER if result.refusal is not None else None
    if is_htmx(request):
        return render(request, "_tryout_result.html", {"result": result}, headers=headers)
    form = await visitor_form(request, tried, prefill(posted.as_dict()))
    context = {**page_context(request, tried, form), "result": result}
    # the page's own status: 200 when it shows an answer (whatever the API server said), else the refusal's
    code = status if result.refusal is not None or result.no_answer is not None else 200
    return render(request, "tryout.html", context, status_code=code, headers=headers)
