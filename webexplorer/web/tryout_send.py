"""Sending: ``POST /try/{group}/{version}/{operation}`` turns the form into one request to the API
server (or a refusal, or a registered watch), writes one audit line per write, and keeps the answer's
whole body for ``GET /try/answer/{key}``.

Everything that decides *what* is sent lives in :mod:`webexplorer.tryout` (pure); this module adds
what needs the web, in order: the form read and checked (:mod:`.forms`: same origin, size, CSRF), the
visitor's connection, the plan, then the request. Every refusal is answered before the connection is
touched. The htmx panel holds only what is seen first (status, Status, warnings, headers, the JSON
view, commands); the YAML and *Explain this object* views wait for their tab (:mod:`.tryout_views`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from webexplorer.cluster import ClusterError, Connection
from webexplorer.cluster.grants import Denial
from webexplorer.tryout import plan as planning
from webexplorer.tryout.answer import AnswerView, present
from webexplorer.tryout.bodies import MAX_BODY_BYTES
from webexplorer.tryout.clients import snippet
from webexplorer.tryout.commands import commands, target_of
from webexplorer.tryout.conflicts import conflict_view
from webexplorer.tryout.history import history_entry
from webexplorer.tryout.plan import PlannedRequest, Refusal, TryForm, query_params
from webexplorer.tryout.share import form_from_fields, share_query
from webexplorer.web import urls
from webexplorer.web.answers import StoredAnswer
from webexplorer.web.csrf import csrf_token, session_id
from webexplorer.web.forms import FORM_OVERHEAD, Fields, FormCheck, PostedForm
from webexplorer.web.identity import access_attributes
from webexplorer.web.snippet_tabs import tabs
from webexplorer.web.state import app_state
from webexplorer.web.tryout_page import Tried, TriedOperation, is_htmx
from webexplorer.web.tryout_preview import preview_of, wants_preview
from webexplorer.web.tryout_result import Answered, Sent, TryResult, refused, respond
from webexplorer.web.tryout_reuse import reuse_links
from webexplorer.web.tryout_views import LATER_VIEWS, explain_target, explained
from webexplorer.web.visitors import identities_of, visitor_of

router = APIRouter()
audit = logging.getLogger("webexplorer.audit")
FORM_LIMIT = MAX_BODY_BYTES * 3 + FORM_OVERHEAD  # urlencoding can triple a body's size
TOO_BIG = "The body is over 3 MiB; the explorer sends at most 3 MiB."
SEND_FORM = FormCheck(FORM_LIMIT, TOO_BIG)
Checked = Annotated[PostedForm | Refusal, Depends(SEND_FORM.check)]


@router.post("/try/{group}/{version}/{operation_id}")
async def send(request: Request, tried: Tried, posted: Checked) -> Response:
    """One form, one request: refused by the form's checks, the visitor's sign-in or the plan, else
    registered as a watch or sent once."""
    if isinstance(posted, Refusal):
        return refused(request, tried, posted)
    visitor = await visitor_of(request)
    connection = visitor.connection
    if connection is None and visitor.needs_sign_in is not None:
        return refused(request, tried, Refusal(visitor.needs_sign_in, 401))
    tryform = form_from_fields(tried.op, posted.fields, upgrade=_asks_upgrade(request))
    if wants_preview(tried.op.method, posted.as_dict()):  # Preview changes: the same request, dry run
        tryform = replace(tryform, dry_run=True, confirm=False)
    planned = planning.plan(tried.op, tryform, policy_of(request, connection))
    if isinstance(planned, Refusal):
        result = TryResult(tried.action, csrf_token(request), refusal=planned)
        return await respond(request, tried, posted, result, planned.status)
    assert connection is not None  # a plan without a connection is refused (offline)
    sent = _sent(request, tried, tryform, planned, connection)
    if planned.watch:
        return await _start_watch(request, tried, posted, sent)
    return await _send_once(request, tried, posted, sent, connection)


def _asks_upgrade(request: Request) -> bool:
    """The browser asked to upgrade the connection (refused by the plan: the explorer never does)."""
    return "upgrade" in request.headers or "upgrade" in request.headers.get("connection", "").lower()


def policy_of(request: Request, connection: Connection | None) -> planning.Policy:
    """What the operator allows, and whether there is a live API server (shared with the check)."""
    settings = app_state(request).explorer.settings
    return planning.Policy(
        allow_writes=settings.allow_writes, allow_connect=settings.allow_connect, offline=connection is None
    )


def _sent(
    request: Request, tried: TriedOperation, tryform: TryForm, planned: PlannedRequest, connection: Connection
) -> Sent:
    share = tried.action + "?" + share_query(tryform)
    authenticated = connection.mode != "server"
    cmds = commands(
        planned, connection.server_url, target_of(tried.op, tryform.path), authenticated=authenticated
    )
    wanted = app_state(request).explorer.settings.client_snippets
    codes = snippet.for_plan(tried.catalog, tried.op, planned, dict(tryform.path)) if wanted else ()
    return Sent(
        tryform,
        planned,
        cmds,
        share,
        history_entry(tried.op, tryform, planned, tried.action),
        tabs("tryout-snippets", codes, cmds, tryout_ids=True),
    )


async def _start_watch(request: Request, tried: TriedOperation, posted: PostedForm, sent: Sent) -> Response:
    """Registers the watch for the page's EventSource (within the caps), sending nothing yet."""
    registered = app_state(request).watches.register(session_id(request), sent.plan)
    if isinstance(registered, str):
        result = TryResult(tried.action, csrf_token(request), refusal=Refusal(registered, 429))
        return await respond(request, tried, posted, result, 429)
    result = TryResult(tried.action, csrf_token(request), sent=sent, watch=registered)
    return await respond(request, tried, posted, result, 200)


async def _send_once(
    request: Request, tried: TriedOperation, posted: PostedForm, sent: Sent, connection: Connection
) -> Response:
    planned = sent.plan
    try:
        reply = await connection.request(
            planned.method,
            planned.path,
            params=query_params(planned.query),
            headers=dict(planned.headers),
            content=planned.body,
        )
    except ClusterError as exc:
        await _log_write(request, planned, None, "")
        result = TryResult(tried.action, csrf_token(request), sent=sent, no_answer=str(exc))
        return await respond(request, tried, posted, result, 503)
    later = is_htmx(request)  # with JavaScript, YAML and Explain wait until their tab is opened
    answer = present(
        status=reply.status,
        reason=reply.reason,
        headers=reply.headers,
        body=reply.body,
        elapsed=reply.elapsed,
        used_continue=bool(sent.form.query.get("continue")),
        yaml=not later,
    )
    await _log_write(request, planned, reply.status, answer.audit_id)
    answered = await _answered(request, tried, posted.fields, answer, reply.body, later=later)
    shown = None
    if wants_preview(tried.op.method, posted.as_dict()):
        can_write = app_state(request).explorer.settings.allow_writes
        to_status = tried.op.target is not None and tried.op.target.subresource == "status"
        shown = await preview_of(
            connection, planned, reply.status, answer.value, can_write=can_write, keep_status=to_status
        )
    conflict = conflict_view(planned, reply.status, answer.status_info, target_of(tried.op, sent.form.path))
    reload_url = ""
    if conflict is not None and conflict.stale:
        path_fields = [(k, v) for k, v in posted.fields if k.startswith("p.")]
        reload_url = f"{tried.action}?{urlencode([('load_live', '1'), *path_fields])}"
    denied = await _why_forbidden(request, tried, sent) if reply.status == 403 else None
    result = TryResult(
        tried.action,
        csrf_token(request),
        sent=sent,
        answered=answered,
        preview=shown,
        conflict=conflict,
        reload_url=reload_url,
        denied=denied,
    )
    return await respond(request, tried, posted, result, reply.status)


async def _answered(
    request: Request, tried: TriedOperation, fields: Fields, answer: AnswerView, body: bytes, *, later: bool
) -> Answered:
    """The answer with what the panel offers besides it: the download, the views for later (sealed
    into the panel), *Explain this object*, and the follow-up forms."""
    state = app_state(request)
    content_type = answer.content_type or "application/octet-stream"
    filename = f"{tried.op.operation_id}.json"
    key = state.answers.put(StoredAnswer(session_id(request), body, content_type, filename))
    schema = await explain_target(tried.catalog, answer.value, answer.size)
    sealed = ""
    if later and (answer.yaml_later or schema is not None):
        sealed = state.answer_seals.seal(session_id(request), body)
    yaml_url, explain_url = (urls.url_try_view(view) for view in LATER_VIEWS)
    return Answered(
        answer=answer,
        download_url=urls.url_try_answer(key),
        explained=explained(answer.value, schema) if schema is not None and not later else None,
        explain_later=later and schema is not None,
        sealed_answer=sealed,
        yaml_url=yaml_url,
        explain_url=explain_url,
        next_fields=_resubmit(fields, drop=("q.continue", "confirm")),
        confirm_fields=_resubmit(fields, drop=("confirm", "dry_run", "preview")),
        reuse=await reuse_links(tried.catalog, tried.op, answer.value),
    )


async def _why_forbidden(request: Request, tried: TriedOperation, sent: Sent) -> Denial | None:
    """After a 403: what the identity lacks for the request as sent, and the grant (the form's own
    review was for the values it was opened with; the person may have changed the namespace since)."""
    attributes = access_attributes(tried.op, {f"p.{k}": v for k, v in sent.form.path.items()})
    if attributes is None:
        return None
    return await identities_of(request).refused(await visitor_of(request), attributes)


def _resubmit(fields: Fields, drop: tuple[str, ...]) -> Fields:
    """The submitted fields for a follow-up form (next page, confirm), without the ones it replaces."""
    return tuple((k, v) for k, v in fields if k not in drop and k != "csrf")


async def _log_write(request: Request, planned: PlannedRequest, status: int | None, audit_id: str) -> None:
    """One JSON line per write: who, what, dry run or not, the answer — never a body or a token."""
    if not planned.write:
        return
    identities = identities_of(request)
    who = await identities.whoami(await identities.visitor(request))
    entry = {
        "identity": who.identity.username if who is not None and who.identity is not None else None,
        "verb": planned.method,
        "path": planned.target,
        "dry_run": planned.dry_run,
        "status": status,
        "audit_id": audit_id or None,
    }
    audit.info(json.dumps(entry, sort_keys=True), extra={"fields": entry})


@router.get("/try/answer/{key}")
async def download(request: Request, key: str) -> Response:
    """The whole body of an answer, for the session that asked for it."""
    found = app_state(request).answers.get(key, session_id(request))
    if found is None:
        raise HTTPException(404, "This answer is no longer kept (answers are kept for a while, per visitor).")
    return Response(
        found.body,
        media_type=found.content_type if "json" in found.content_type else "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )
