"""Try it out: the routes that send one request to the API server and show what came back.

``GET /try/{group}/{version}/{operation}`` is the form (a whole page, or the panel the operation page
loads into its ``#try-it`` section); ``POST`` to the same URL sends. Everything that decides *what* is
sent lives in :mod:`webexplorer.tryout` (pure); this module adds what needs the web: the same-origin
and CSRF checks (:mod:`.csrf`), the connection, the write log, downloads, suggestions and the watch
stream (:mod:`.watches`). Every refusal is answered before the connection is touched.

htmx requests get fragments (with status 200 so htmx swaps them in; the real status is in the
fragment); plain form posts get a whole page with the real status code, so the form works without
JavaScript. The htmx fragment holds only what is seen first (status, Status, warnings, headers, the JSON
view, commands): the YAML and *Explain this object* views are rendered when their tab is opened
(``POST /try/view/<view>``), from the answer sealed into the fragment (:class:`.answers.AnswerSeals`) —
never by sending the request again. A whole page (no JavaScript) still carries every view.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse

from webexplorer.catalog import GVK, Catalog, CatalogError, Operation, SchemaSet
from webexplorer.catalog.model import split_group_version
from webexplorer.cluster import ClusterError, Connection
from webexplorer.explorer import Explorer
from webexplorer.tryout import plan as planning
from webexplorer.tryout.answer import is_single_object, present, yaml_view
from webexplorer.tryout.bodies import MAX_BODY_BYTES
from webexplorer.tryout.commands import Target, commands
from webexplorer.tryout.explain import explain
from webexplorer.tryout.segments import SegmentError, build_path, check_segment
from webexplorer.tryout.share import form_from_fields, prefill, share_query
from webexplorer.tryout.skeleton import strip_live_object
from webexplorer.web import lookup, urls
from webexplorer.web.answers import StoredAnswer
from webexplorer.web.csrf import csrf_problem, csrf_token, same_origin_problem, session_id
from webexplorer.web.routemarks import STREAM
from webexplorer.web.state import app_state
from webexplorer.web.templating import ENV, render
from webexplorer.web.tryout_form import FormView, build_form
from webexplorer.web.visitors import connection_for, identities_of, visitor_of
from webexplorer.web.watches import stream_watch

router = APIRouter()
audit = logging.getLogger("webexplorer.audit")
#: the form's own fields besides the body: generous, but a bound on what is read before refusing
FORM_OVERHEAD = 256 * 1024
FORM_LIMIT = MAX_BODY_BYTES * 3 + FORM_OVERHEAD  # urlencoding can triple a body's size
TOO_BIG = "The body is over 3 MiB; the explorer sends at most 3 MiB."
EXPLAIN_LIMIT = 1 << 20
#: the views a panel can ask for later, by the name in their URL
LATER_VIEWS = ("yaml", "explain")
#: a sealed answer is at most a 1 MiB body (YAML_LIMIT, EXPLAIN_LIMIT), compressed, in base64
SEALED_FORM_LIMIT = 2 << 20


# ------------------------------------------------------------------------------------------ lookup


async def _operation(
    request: Request, group: str, version: str, operation_id: str
) -> tuple[Catalog, Operation]:
    catalog = app_state(request).catalog()
    g, _ = lookup.group_version_of(catalog, group, version)
    lookup.check(operation_id, urls.valid_operation_id, "operation id")
    try:
        index = await catalog.operations_for(g.name, version)
    except CatalogError as exc:
        raise HTTPException(
            503, f"The operations of {g.display_name}/{version} could not be read: {exc}"
        ) from None
    op = index.by_id(operation_id)
    if op is None:
        raise HTTPException(404, f"{g.display_name}/{version} has no operation {operation_id!r}.")
    return catalog, op


def _explorer(request: Request) -> Explorer:
    return app_state(request).explorer


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


# ------------------------------------------------------------------------------------------ the form


@router.get("/try/{group}/{version}/{operation_id}")
async def form_page(request: Request, group: str, version: str, operation_id: str) -> Response:
    """The form: refilled from a shareable link's query, never sending anything by itself."""
    catalog, op = await _operation(request, group, version, operation_id)
    explorer = _explorer(request)
    values = prefill(dict(request.query_params))
    live = None
    live_problem = None
    if request.query_params.get("load_live") == "1" and op.method == "PUT":
        live, live_problem = await _live_object(await connection_for(request), op, values)
    form = await build_form(explorer, catalog, op, group, version, values, live_object=live)
    await _apply_access(request, form)
    context = _form_context(request, form)
    context["live_problem"] = live_problem
    if _is_htmx(request):
        return render(request, "_tryout_panel.html", context)
    return render(request, "tryout.html", {**context, "result": None})


def _form_context(request: Request, form: FormView) -> dict[str, Any]:
    return {
        "form": form,
        "csrf": csrf_token(request),
        "docs_url": urls.url_operation(form.group, form.version, form.op.operation_id),
        "live_problem": None,
    }


async def _apply_access(request: Request, form: FormView) -> None:
    """What this visitor's identity may do with the form: sign in first (``--identity token``), or a
    Send button greyed out with the reason from a (briefly cached) ``SelfSubjectAccessReview``."""
    if form.disabled is not None:
        return
    visitor = await visitor_of(request)
    if visitor.connection is None:
        form.disabled = visitor.needs_sign_in
        form.sign_in = visitor.needs_sign_in is not None
        return
    values = {i.field: i.value for i in form.path_inputs}
    form.denied = await identities_of(request).denied(visitor, form.op, values)


async def _live_object(
    connection: Connection | None, op: Operation, values: dict[str, str]
) -> tuple[dict[str, Any] | None, str | None]:
    """The object a PUT would replace (GET of the same path), for the body editor."""
    if connection is None:
        return None, "No live API server to read the object from (or you are not signed in)."
    try:
        path = build_path(op.path, {p.name: values.get(f"p.{p.name}", "") for p in op.path_params})
    except SegmentError as exc:
        return None, str(exc)
    try:
        reply = await connection.request("GET", path, headers={"Accept": "application/json"})
    except ClusterError as exc:
        return None, str(exc)
    if reply.status != 200:
        return None, f"Reading the live object answered {reply.status} {reply.reason}."
    value = orjson.loads(reply.body)
    return strip_live_object(value), None


# ------------------------------------------------------------------------------------------ sending


@router.post("/try/{group}/{version}/{operation_id}")
async def send(request: Request, group: str, version: str, operation_id: str) -> Response:
    catalog, op = await _operation(request, group, version, operation_id)
    explorer = _explorer(request)
    fields = await _read_form(request)
    if isinstance(fields, planning.Refusal):
        return _refused(request, op, group, version, fields)
    submitted = dict(fields)
    guard = same_origin_problem(request) or csrf_problem(request, submitted.get("csrf", ""))
    if guard is not None:
        return _refused(request, op, group, version, planning.Refusal(guard, 403))
    visitor = await visitor_of(request)
    connection = visitor.connection
    if connection is None and visitor.needs_sign_in is not None:
        return _refused(request, op, group, version, planning.Refusal(visitor.needs_sign_in, 401))
    upgrade = "upgrade" in request.headers or "upgrade" in request.headers.get("connection", "").lower()
    tryform = form_from_fields(op, fields, upgrade=upgrade)
    policy = planning.Policy(
        allow_writes=explorer.settings.allow_writes,
        allow_connect=explorer.settings.allow_connect,
        offline=connection is None,
    )
    planned = planning.plan(op, tryform, policy)
    if isinstance(planned, planning.Refusal):
        return await _respond(
            request, catalog, op, group, version, fields, {"refusal": planned}, planned.status
        )
    assert connection is not None
    share = urls.url_try(group, version, op.operation_id) + "?" + share_query(tryform)
    target = _target(op, tryform)
    cmds = commands(planned, connection.server_url, target, authenticated=connection.mode != "server")
    base = {"plan": planned, "commands": cmds, "share_url": share, "tryform": tryform}
    if planned.watch:
        registered = app_state(request).watches.register(session_id(request), planned)
        if isinstance(registered, str):
            refusal = planning.Refusal(registered, 429)
            return await _respond(request, catalog, op, group, version, fields, {"refusal": refusal}, 429)
        return await _respond(
            request, catalog, op, group, version, fields, {**base, "watch": registered}, 200
        )
    try:
        reply = await connection.request(
            planned.method,
            planned.path,
            params=_params(planned.query),
            headers=dict(planned.headers),
            content=planned.body,
        )
    except ClusterError as exc:
        await _log_write(request, planned, None, "")
        return await _respond(
            request, catalog, op, group, version, fields, {**base, "no_answer": str(exc)}, 503
        )
    later = _is_htmx(request)  # with JavaScript, YAML and Explain wait until their tab is opened
    answer = present(
        status=reply.status,
        reason=reply.reason,
        headers=reply.headers,
        body=reply.body,
        elapsed=reply.elapsed,
        used_continue=bool(tryform.query.get("continue")),
        yaml=not later,
    )
    await _log_write(request, planned, reply.status, answer.audit_id)
    store = app_state(request).answers
    download = store.put(
        StoredAnswer(
            session_id(request), reply.body, answer.content_type or "application/octet-stream", _filename(op)
        )
    )
    schema = await _explain_target(catalog, answer.value, answer.size)
    sealed = ""
    if later and (answer.yaml_later or schema is not None):
        seals = app_state(request).answer_seals
        sealed = seals.seal(session_id(request), reply.body)
    context = {
        **base,
        "answer": answer,
        "download_url": urls.url_try_answer(download),
        "explained": _explained(answer.value, schema) if schema is not None and not later else None,
        "explain_later": later and schema is not None,
        "sealed_answer": sealed,
        "view_urls": {view: urls.url_try_view(view) for view in LATER_VIEWS},
        "next_fields": _resubmit(fields, drop=("q.continue", "confirm")),
        "confirm_fields": _resubmit(fields, drop=("confirm", "dry_run")),
    }
    return await _respond(request, catalog, op, group, version, fields, context, reply.status)


async def _read_form(
    request: Request, limit: int = FORM_LIMIT, too_big: str = TOO_BIG
) -> list[tuple[str, str]] | planning.Refusal:
    """The urlencoded form, read with a size cap so an oversized body is refused, not buffered."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return planning.Refusal(too_big, 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return planning.Refusal(too_big, 413)
        chunks.append(chunk)
    text = b"".join(chunks).decode("utf-8", "replace")
    return parse_qsl(text, keep_blank_values=True, max_num_fields=1000)


RESULT_DEFAULTS: dict[str, Any] = {
    "refusal": None,
    "answer": None,
    "watch": None,
    "no_answer": None,
    "plan": None,
    "commands": None,
    "share_url": "",
    "download_url": "",
    "explained": None,
    "explain_later": False,
    "sealed_answer": "",
    "view_urls": {},
    "next_fields": [],
    "confirm_fields": [],
}


def _refused(
    request: Request, op: Operation, group: str, version: str, refusal: planning.Refusal
) -> Response:
    """A refusal from the guards (before the form is even read as a request): no form is rebuilt."""
    context = {
        **RESULT_DEFAULTS,
        "refusal": refusal,
        "form": None,
        "csrf": "",
        "action": urls.url_try(group, version, op.operation_id),
        "docs_url": urls.url_operation(group, version, op.operation_id),
        "result": True,
        "live_problem": None,
    }
    headers = {"X-Webexplorer-Refused": "1"}
    if _is_htmx(request):
        return render(request, "_tryout_result.html", context, headers=headers)
    return render(request, "tryout.html", context, status_code=refusal.status, headers=headers)


async def _respond(
    request: Request,
    catalog: Catalog,
    op: Operation,
    group: str,
    version: str,
    fields: list[tuple[str, str]],
    result: dict[str, Any],
    status: int,
) -> Response:
    """The answer panel (htmx) or the whole page with the form refilled and the answer below it."""
    context = {
        **RESULT_DEFAULTS,
        **result,
        "csrf": csrf_token(request),
        "action": urls.url_try(group, version, op.operation_id),
        "result": True,
    }
    headers = {"X-Webexplorer-Refused": "1"} if context["refusal"] is not None else None
    if _is_htmx(request):
        return render(request, "_tryout_result.html", context, headers=headers)
    form = await build_form(_explorer(request), catalog, op, group, version, prefill(dict(fields)))
    await _apply_access(request, form)
    context = {**_form_context(request, form), **context}
    # the page's own status: 200 when it shows an answer (whatever the API server said), else the refusal's
    code = status if context["refusal"] is not None or context["no_answer"] is not None else 200
    return render(request, "tryout.html", context, status_code=code, headers=headers)


def _params(query: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in query:
        out.setdefault(k, []).append(v)
    return out


def _target(op: Operation, tryform: planning.TryForm) -> Target:
    t = op.target
    return Target(
        resource=t.resource or "" if t else "",
        group=t.group if t else "",
        namespace=tryform.path.get("namespace", ""),
        name=tryform.path.get("name", ""),
        subresource=(t.subresource or "") if t else "",
    )


def _filename(op: Operation) -> str:
    return f"{op.operation_id}.json"


def _resubmit(fields: list[tuple[str, str]], drop: tuple[str, ...]) -> list[tuple[str, str]]:
    """The submitted fields for a follow-up form (next page, confirm), without the ones it replaces."""
    return [(k, v) for k, v in fields if k not in drop and k != "csrf"]


async def _explain_target(catalog: Catalog, value: Any, size: int) -> tuple[SchemaSet, str] | None:
    """The schema that explains ``value`` (a single object of a kind the catalog knows), else None: a
    cheap look-up, so the panel knows whether to offer *Explain this object* before anyone opens it."""
    if size > EXPLAIN_LIMIT or not is_single_object(value):
        return None
    group, version = split_group_version(str(value.get("apiVersion", "")))
    try:
        return await catalog.kind_definition(GVK(group, version, str(value["kind"])))
    except (CatalogError, KeyError):
        return None


def _explained(value: Any, target: tuple[SchemaSet, str]) -> dict[str, Any]:
    schemas, definition = target
    lines, cut = explain(value, schemas, definition)
    return {"lines": lines, "cut": cut, "definition": definition}


@router.post("/try/view/{view}")
async def later_view(request: Request, view: str) -> Response:
    """A view the answer panel left for later (YAML, *Explain this object*), rendered from the answer
    sealed into the panel when its tab is opened. Nothing is sent to the API server: the sealed body is
    the API server's answer, and only this session can open it."""
    if view not in LATER_VIEWS:
        raise HTTPException(404, f"No view {view[:40]!r}; there are {', '.join(LATER_VIEWS)}.")
    problem = same_origin_problem(request)
    if problem is not None:
        raise HTTPException(403, problem)
    fields = await _read_form(request, SEALED_FORM_LIMIT, "That is not an answer of this explorer.")
    if isinstance(fields, planning.Refusal):
        raise HTTPException(fields.status, fields.reason)
    seals = app_state(request).answer_seals
    body = seals.open(dict(fields).get("answer", ""), session_id(request))
    context: dict[str, Any] = {"view": view, "problem": None, "v": None, "explained": None}
    if body is None:
        context["problem"] = (
            "This answer can no longer be shown in another view (a page keeps its answer for an hour, "
            "for this browser's session): send the request again."
        )
    elif view == "yaml":
        context["v"] = yaml_view(orjson.loads(body))
    else:
        value = orjson.loads(body)
        target = await _explain_target(app_state(request).catalog(), value, len(body))
        if target is None:
            context["problem"] = "The API catalog no longer has a schema for this kind."
        else:
            context["explained"] = _explained(value, target)
    return render(request, "_tryout_view.html", context)


async def _log_write(
    request: Request, planned: planning.PlannedRequest, status: int | None, audit_id: str
) -> None:
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


# ------------------------------------------------------------------------------------------ downloads


@router.get("/try/answer/{key}")
async def download(request: Request, key: str) -> Response:
    store = app_state(request).answers
    found = store.get(key, session_id(request))
    if found is None:
        raise HTTPException(404, "This answer is no longer kept (answers are kept for a while, per visitor).")
    return Response(
        found.body,
        media_type=found.content_type if "json" in found.content_type else "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


# ------------------------------------------------------------------------------------------ suggestions


async def _suggestions_allowed(request: Request) -> Connection:
    problem = same_origin_problem(request)
    if problem is not None:
        raise HTTPException(403, problem)
    connection = await connection_for(request)
    if connection is None:
        raise HTTPException(409, "No live API server (snapshot mode), or you are not signed in.")
    return connection


@router.get("/try/suggest/namespaces")
async def suggest_namespaces(request: Request) -> Response:
    connection = await _suggestions_allowed(request)
    names = await _names(connection, "/api/v1/namespaces")
    return render(request, "_tryout_options.html", {"names": names})


@router.get("/try/suggest/names/{group}/{version}/{resource}")
async def suggest_names(request: Request, group: str, version: str, resource: str) -> Response:
    connection = await _suggestions_allowed(request)
    catalog = app_state(request).catalog()
    _, _, r = lookup.resource_of(catalog, group, version, resource)
    namespace = request.query_params.get("p.namespace", "")
    base = r.base_path
    if r.namespaced and namespace:
        try:
            check_segment("namespace", namespace)
        except SegmentError:
            return render(request, "_tryout_options.html", {"names": []})
        path = f"{base}/namespaces/{namespace}/{r.name}"
    else:
        path = f"{base}/{r.name}"
    names = await _names(connection, path) if "list" in r.verbs else []
    return render(request, "_tryout_options.html", {"names": names})


async def _names(connection: Connection, path: str) -> list[str]:
    """Up to 200 object names, read as metadata only (the cheapest list the API server offers)."""
    try:
        reply = await connection.request(
            "GET",
            path,
            params={"limit": "200"},
            headers={
                "Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json"
            },
        )
    except ClusterError:
        return []
    if reply.status != 200:
        return []
    items = orjson.loads(reply.body).get("items") or []
    return sorted(str(i.get("metadata", {}).get("name", "")) for i in items if isinstance(i, dict))


# ------------------------------------------------------------------------------------------ watches


def _render_fragment(template: str, context: dict[str, object]) -> str:
    return ENV.get_template(template).render(context)


@router.get("/try/watch/{key}", tags=[STREAM])
async def watch_stream(request: Request, key: str) -> Response:
    registry = app_state(request).watches
    watch = registry.claim(key, session_id(request))
    connection = await connection_for(request)
    if watch is None or connection is None:
        # 204 tells an EventSource not to reconnect: the watch ended, or belongs to someone else
        return Response(status_code=204)
    return StreamingResponse(
        stream_watch(watch, connection, _render_fragment, registry),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post("/try/watch-stop/{key}")
async def watch_stop(request: Request, key: str) -> Response:
    problem = same_origin_problem(request) or csrf_problem(request, request.headers.get("x-csrf-token", ""))
    if problem is not None:
        raise HTTPException(403, problem)
    registry = app_state(request).watches
    watch = registry.get(key, session_id(request))
    if watch is not None:
        watch.stop.set()
        if not watch.claimed:
            registry.release(key)
    return render(request, "_tryout_watch_end.html", {"reason": "Stopped."})
