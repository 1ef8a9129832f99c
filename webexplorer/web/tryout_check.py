"""Validation as you type: ``POST /try/{group}/{version}/{operation}/check`` checks the body in the editor.

The editor posts its form here (htmx, debounced, ``hx-sync`` replacing a check still in flight, and only
when the body changed), and the answer is the list of problems beside it (``_tryout_check.html``). The
form is planned exactly as a send would plan it, then forced to a dry run (``dryRun=All``) with
``fieldValidation=Strict`` where the operation takes it: nothing is ever stored, in read-only mode
too, and the request runs as the visitor (their own connection), so a 403 says which right the dry
run lacks. A body that does not parse is reported before anything is sent. Without a live API server to
ask (a snapshot, a visitor not signed in, an unreachable server) the body is checked locally against the
schema the explorer has: it parses, and every field it names exists.

Each check is one POST through :class:`~.forms.FormCheck` (same origin, size, CSRF: the send form's own
rule). Checks are dry runs sent while a person types, not requests they sent, so they are not written
to the audit log of writes (the API server's own audit log still has each one).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from webexplorer.catalog import CatalogError
from webexplorer.cluster import ClusterError
from webexplorer.tryout import plan as planning
from webexplorer.tryout.bodies import BodyError, parse_body
from webexplorer.tryout.bodycheck import Finding, field_of_message, fields_in_message, locate, unknown_fields
from webexplorer.tryout.plan import Refusal
from webexplorer.tryout.share import form_from_fields
from webexplorer.tryout.status import decode_status, warning_text
from webexplorer.web.forms import FormCheck, PostedForm
from webexplorer.web.templating import render
from webexplorer.web.tryout_page import Tried, TriedOperation
from webexplorer.web.tryout_send import SEND_FORM, policy_of
from webexplorer.web.visitors import visitor_of

router = APIRouter()
CHECK_FORM: FormCheck = SEND_FORM
Checked = Annotated[PostedForm | Refusal, Depends(CHECK_FORM.check)]
BODY_ERROR = "The body does not parse"


@dataclass(frozen=True, slots=True)
class CheckView:
    """What ``_tryout_check.html`` shows: who checked (``server`` or ``local``), whether the body
    passed, each finding, and why the server was not asked (``offline``)."""

    checked_by: str  # "server" | "local" | "none"
    ok: bool
    findings: tuple[Finding, ...] = ()
    summary: str = ""
    offline: str = ""


@router.post("/try/{group}/{version}/{operation_id}/check")
async def check(request: Request, tried: Tried, posted: Checked) -> Response:
    """The body in the editor, checked by a dry run (or locally): a fragment for beside the editor."""
    if isinstance(posted, Refusal):
        view = CheckView("none", False, summary=posted.reason)
    else:
        view = await _check(request, tried, posted)
    return render(request, "_tryout_check.html", {"check": view})


async def _check(request: Request, tried: TriedOperation, posted: PostedForm) -> CheckView:
    op = tried.op
    text = posted.value("body")
    if op.method not in ("POST", "PUT", "PATCH") or op.request_body is None:
        return CheckView("none", True, summary="This operation takes no body.")
    expect = "list" if posted.value("patch_type") == planning.JSON_PATCH else "object"
    try:
        parsed = parse_body(text, expect="list" if expect == "list" else "object")
    except BodyError as exc:
        return CheckView("local", False, (Finding("", _error_line(str(exc)), str(exc), "local"),), BODY_ERROR)
    visitor = await visitor_of(request)
    connection = visitor.connection
    offline = ""
    if connection is None:
        offline = visitor.needs_sign_in or "The explorer shows a recorded snapshot: no API server to ask."
    if connection is not None:
        tryform = form_from_fields(op, posted.fields)
        query = dict(tryform.query)
        if any(p.name == "fieldValidation" for p in op.query_params):
            query["fieldValidation"] = "Strict"
        tryform = replace(tryform, dry_run=True, confirm=False, query=query, headers="")
        planned = planning.plan(op, tryform, policy_of(request, connection))
        if isinstance(planned, Refusal):
            return CheckView("none", False, summary=planned.reason)
        try:
            reply = await connection.request(
                planned.method,
                planned.path,
                params=planning.query_params(planned.query),
                headers=dict(planned.headers),
                content=planned.body,
            )
        except ClusterError as exc:
            offline = f"The API server could not be asked ({exc})."
        else:
            return _server_view(text, reply.status, reply.reason, reply.headers, reply.body)
    return await _local_view(tried, text, parsed.value, offline)


def _server_view(
    text: str, status: int, reason: str, headers: tuple[tuple[str, str], ...], body: bytes
) -> CheckView:
    findings: list[Finding] = []
    for k, v in headers:
        if k == "warning":
            message = warning_text(v)
            field = field_of_message(message)
            findings.append(Finding(field, locate(text, field), message, "warning"))
    ok = 200 <= status < 300
    summary = f"The API server accepts this body (dry run, {status} {reason})."
    if not ok:
        try:
            value: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            value = None
        info = decode_status(value)
        summary = f"The API server refuses this body: {status} {reason}."
        if info is not None:
            summary = f"The API server refuses this body ({status} {info.reason or reason}): {info.message}"
            for c in info.causes:
                field = c.field or field_of_message(c.message)
                findings.append(Finding(field, locate(text, field), c.message or c.reason, "server"))
            if not info.causes:  # strict decoding errors name their fields in the message only
                for field in fields_in_message(info.message):
                    findings.append(Finding(field, locate(text, field), f'unknown field "{field}"', "server"))
    return CheckView("server", ok and not findings, tuple(findings), summary)


async def _local_view(tried: TriedOperation, text: str, value: Any, offline: str) -> CheckView:
    """The checks the explorer can make on its own: the body parses; its fields exist in the schema."""
    gvk = tried.op.gvk
    resource = tried.op.target
    if resource is not None and resource.resource and not resource.subresource:
        found = tried.catalog.resource(resource.group, resource.version, resource.resource)
        gvk = found.kind if found is not None else gvk
    findings: list[Finding] = []
    if gvk is not None and isinstance(value, dict):
        try:
            schemas, definition = await tried.catalog.kind_definition(gvk)
        except CatalogError:
            schemas = None
        if schemas is not None:
            for path in unknown_fields(schemas, definition, value):
                findings.append(Finding(path, locate(text, path), f'unknown field "{path}"', "local"))
    summary = "Checked here, against the schema: " + (
        f"{len(findings)} unknown field(s)." if findings else "it parses and every field exists."
    )
    return CheckView("local", not findings, tuple(findings), summary, offline)


def _error_line(message: str) -> int | None:
    """The line a YAML/JSON error message names (``line 3, column 5``), else None."""
    marker = "line "
    at = message.find(marker)
    if at == -1:
        return None
    digits = "".join(c for c in message[at + len(marker) : at + len(marker) + 8] if c.isdigit())
    return int(digits) if digits else None
