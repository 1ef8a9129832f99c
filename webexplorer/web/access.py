"""Sign-in, sign-out (``--identity token``) and "What can I do" (``SelfSubjectRulesReview``).

``POST /signin`` passes the same checks as a try-it send (same origin, CSRF token: :mod:`.forms`), then
asks the API server who the token belongs to (``SelfSubjectReview``) before sealing it into the sign-in
cookie (:mod:`.signin_cookie`). A refused token gets one sentence; the token itself is never shown or logged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from webexplorer.cluster import ClusterError
from webexplorer.cluster.reviews import rules_review
from webexplorer.tryout.plan import Refusal
from webexplorer.tryout.segments import SegmentError, check_segment
from webexplorer.web.access_rows import access_rows
from webexplorer.web.csrf import csrf_token
from webexplorer.web.forms import FORM_OVERHEAD, FormCheck, PostedForm
from webexplorer.web.signin_cookie import set_signin_cookie
from webexplorer.web.state import app_state
from webexplorer.web.templating import render
from webexplorer.web.urls import url_home
from webexplorer.web.visitors import identities_of, visitor_of

router = APIRouter()


def _token_mode(request: Request) -> None:
    if app_state(request).settings.identity != "token":
        raise HTTPException(
            404, "Signing in is not used by this explorer: requests run as the identity its operator chose."
        )


@router.get("/signin", dependencies=[Depends(_token_mode)])
async def signin_form(request: Request) -> Response:
    return render(request, "signin.html", {"csrf": csrf_token(request), "problem": None})


#: the sign-in and sign-out forms: a token and the CSRF token, nothing else
SIGNIN_FORM = FormCheck(FORM_OVERHEAD, "The sign-in form is too large.", max_fields=10)
SIGNOUT_FORM = FormCheck(FORM_OVERHEAD, "The sign-out form is too large.", max_fields=10)


@router.post("/signin", dependencies=[Depends(_token_mode)])
async def signin(
    request: Request, posted: Annotated[PostedForm | Refusal, Depends(SIGNIN_FORM.check)]
) -> Response:
    if isinstance(posted, Refusal):
        if posted.status == 413:
            raise HTTPException(413, posted.reason)
        problem: str | None = posted.reason  # shown on the form, which can be sent again
    else:
        problem = await identities_of(request).sign_in(request, posted.value("token"))
    if problem is not None:
        context = {"csrf": csrf_token(request), "problem": problem}
        return render(request, "signin.html", context, status_code=400)
    return RedirectResponse(url_home(), status_code=303)


@router.post("/signout", dependencies=[Depends(_token_mode), Depends(SIGNOUT_FORM)])
async def signout(request: Request) -> Response:
    set_signin_cookie(request, None)
    return RedirectResponse(url_home(), status_code=303)


@router.get("/can-i")
async def can_i(request: Request, namespace: str = "", each: bool = False) -> Response:
    """What this visitor's identity may do in a namespace (``kubectl auth can-i --list``). When the
    rules review is incomplete (or ``?each=1``), every resource and verb is asked one by one as well
    (:mod:`.access_rows`)."""
    visitor = await visitor_of(request)
    if visitor.connection is None:
        context = {
            "namespace": namespace,
            "review": None,
            "problem": visitor.needs_sign_in or "No live API server (snapshot mode): there is nobody to ask.",
        }
        return render(request, "can_i.html", context | {"rows": None})
    namespace = namespace or visitor.connection.namespace
    try:
        check_segment("namespace", namespace)
    except SegmentError as exc:
        raise HTTPException(400, str(exc)) from None
    try:
        review = await rules_review(visitor.connection, namespace)
        problem = None
    except ClusterError as exc:
        review, problem = None, str(exc)
    rows = None
    if review is not None and (each or review.incomplete or review.evaluation_error):
        catalog = app_state(request).catalog()
        rows = await access_rows(identities_of(request), visitor, catalog, namespace)
    page: dict[str, object] = {"namespace": namespace, "review": review, "problem": problem, "rows": rows}
    return render(request, "can_i.html", page)
