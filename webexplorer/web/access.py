"""Sign-in, sign-out (``--identity token``) and "What can I do" (``SelfSubjectRulesReview``).

``POST /signin`` passes the same checks as a try-it send (same origin, CSRF token), then asks the API
server who the token belongs to (``SelfSubjectReview``) before sealing it into the sign-in cookie
(:mod:`.signin_cookie`). A refused token gets one sentence; the token itself is never shown or logged.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from webexplorer.cluster import ClusterError
from webexplorer.cluster.reviews import rules_review
from webexplorer.tryout.segments import SegmentError, check_segment
from webexplorer.web.csrf import csrf_problem, csrf_token, same_origin_problem
from webexplorer.web.signin_cookie import set_signin_cookie
from webexplorer.web.state import app_state
from webexplorer.web.templating import render
from webexplorer.web.tryout import FORM_OVERHEAD
from webexplorer.web.urls import url_home
from webexplorer.web.visitors import identities_of, visitor_of

router = APIRouter()


def _token_mode(request: Request) -> None:
    if app_state(request).settings.identity != "token":
        raise HTTPException(
            404, "Signing in is not used by this explorer: requests run as the identity its operator chose."
        )


@router.get("/signin")
async def signin_form(request: Request) -> Response:
    _token_mode(request)
    return render(request, "signin.html", {"csrf": csrf_token(request), "problem": None})


@router.post("/signin")
async def signin(request: Request) -> Response:
    _token_mode(request)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_OVERHEAD:
            raise HTTPException(413, "The sign-in form is too large.")
    fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=10))
    problem = same_origin_problem(request) or csrf_problem(request, fields.get("csrf", ""))
    if problem is None:
        problem = await identities_of(request).sign_in(request, fields.get("token", ""))
    if problem is not None:
        context = {"csrf": csrf_token(request), "problem": problem}
        return render(request, "signin.html", context, status_code=400)
    return RedirectResponse(url_home(), status_code=303)


@router.post("/signout")
async def signout(request: Request) -> Response:
    _token_mode(request)
    body = (await request.body())[:FORM_OVERHEAD]
    fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=10))
    problem = same_origin_problem(request) or csrf_problem(request, fields.get("csrf", ""))
    if problem is not None:
        raise HTTPException(403, problem)
    set_signin_cookie(request, None)
    return RedirectResponse(url_home(), status_code=303)


@router.get("/can-i")
async def can_i(request: Request, namespace: str = "") -> Response:
    """What this visitor's identity may do in a namespace (``kubectl auth can-i --list``)."""
    visitor = await visitor_of(request)
    if visitor.connection is None:
        context = {
            "namespace": namespace,
            "review": None,
            "problem": visitor.needs_sign_in or "No live API server (snapshot mode): there is nobody to ask.",
        }
        return render(request, "can_i.html", context)
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
    return render(request, "can_i.html", {"namespace": namespace, "review": review, "problem": problem})
