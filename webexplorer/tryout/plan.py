"""A filled-in form becomes one :class:`PlannedRequest`, or a :class:`Refusal` — before anything is sent.

Everything that makes the request is decided here, from the operation (the catalog's description of
it) and the operator's policy; nothing the visitor sends is passed through as is:

* the method must be the operation's own, and the path is the operation's template with checked
  segments (:mod:`.segments`);
* only query parameters the operation documents are sent, each checked against its type;
* the explorer sets every header itself; a visitor may add only ``Accept`` and ``If-None-Match``, and
  ``Authorization``, ``Impersonate-*``, ``Cookie``, ``Upgrade`` and their kin are refused by name;
* bodies are parsed under limits (:mod:`.bodies`) and re-encoded, so what is sent is what was checked;
* writes are dry runs (``dryRun=All``) unless the operator allowed writes *and* the visitor unticked
  the box (a real write asked of a read-only explorer is refused); a real DELETE first comes back as a
  dry-run preview that needs a confirmation;
* ``exec``/``attach``/``portforward``/``proxy`` are refused unless the operator enabled them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from webexplorer.catalog import Operation, Parameter

from .bodies import BodyError, parse_body
from .segments import SegmentError, build_path

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CONNECT_SUBRESOURCES = frozenset({"exec", "attach", "portforward", "proxy"})
TABLE_ACCEPT = "application/json;as=Table;g=meta.k8s.io;v=v1, application/json"
APPLY_PATCH = "application/apply-patch+yaml"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)
#: query parameters the form sets itself (dry run through its checkbox, watch through its own switch)
MANAGED_QUERY = frozenset({"dryRun", "pretty"})
#: the only headers a visitor may add, and those refused by name (with the reason in the message)
EXTRA_HEADERS_ALLOWED = frozenset({"accept", "if-none-match"})
HEADERS_REFUSED = {
    "authorization": "the explorer authenticates with its own identity",
    "cookie": "cookies belong to the explorer's own session",
    "proxy-authorization": "the explorer authenticates with its own identity",
    "upgrade": "the explorer never upgrades a connection (exec, attach and port-forward streams)",
    "connection": "the explorer manages its own connections",
    "host": "the explorer sends requests only to its configured API server",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why nothing was sent, in one sentence a person can act on."""

    reason: str
    status: int = 400


@dataclass(frozen=True, slots=True)
class Policy:
    """What the operator allows (from the settings) and what the connection can do."""

    allow_writes: bool = False
    allow_connect: bool = False
    offline: bool = False


@dataclass(frozen=True, slots=True)
class TryForm:
    """The form as the visitor filled it in: strings only, nothing checked yet."""

    method: str
    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    patch_type: str = ""
    dry_run: bool = True
    confirm: bool = False
    as_table: bool = False
    headers: str = ""
    upgrade_requested: bool = False


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """Exactly what will be sent, and the facts the answer page reports about it."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    content_type: str | None
    write: bool
    dry_run: bool
    #: a real DELETE sent as a dry run first, to show what it would delete before a confirmation
    delete_preview: bool = False
    watch: bool = False
    as_table: bool = False

    @property
    def target(self) -> str:
        """Path and query as one string (for logs, commands and the page)."""
        from urllib.parse import urlencode

        return self.path + ("?" + urlencode(self.query) if self.query else "")

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def query_params(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Query pairs as the connection takes them: each name once, its values in the order given."""
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def is_watch_operation(op: Operation) -> bool:
    return op.action in ("watch", "watchlist") or bool(op.target and op.target.watch)


def is_connect_operation(op: Operation) -> bool:
    sub = op.target.subresource if op.target else None
    return op.action == "connect" or sub in CONNECT_SUBRESOURCES


def patch_types(op: Operation) -> tuple[str, ...]:
    """The patch content types the operation documents, in a fixed order (json, merge, strategic,
    apply). Custom resources do not document strategic merge, so it is never offered for them."""
    if op.method != "PATCH":
        return ()
    documented = set(op.request_body.content_types if op.request_body else ()) | set(op.consumes)
    offered = tuple(t for t in PATCH_TYPES if t in documented)
    return offered or (JSON_PATCH, MERGE_PATCH, APPLY_PATCH)


def plan(op: Operation, form: TryForm, policy: Policy) -> PlannedRequest | Refusal:
    """Check ``form`` against ``op`` and ``policy``; the request to send, or why not."""
    if policy.offline:
        return Refusal(
            "The explorer is showing a recorded snapshot, not a live API server: nothing can be sent.", 409
        )
    if form.upgrade_requested:
        return Refusal(f"This request asked for a connection upgrade; {HEADERS_REFUSED['upgrade']}.")
    method = form.method.upper()
    if method != op.method:
        return Refusal(
            f"{op.operation_id} is a {op.method} operation; it cannot be sent as {method or 'no method'}.",
            405,
        )
    if is_connect_operation(op) and not policy.allow_connect:
        sub = op.target.subresource if op.target else op.action
        return Refusal(
            f"The {sub} subresource reaches into running containers or behind the API server, so the "
            "explorer refuses it unless the operator starts it with --allow-connect "
            "(WEBEXPLORER_ALLOW_CONNECT).",
            403,
        )
    try:
        path = build_path(op.path, {p.name: form.path.get(p.name, "") for p in op.path_params})
    except SegmentError as exc:
        return Refusal(str(exc))
    query = _query(op, form)
    if isinstance(query, Refusal):
        return query
    headers = _extra_headers(form.headers)
    if isinstance(headers, Refusal):
        return headers
    write = method in WRITE_METHODS
    watch = is_watch_operation(op) or (op.action == "list" and _truthy(dict(query).get("watch", "")))
    if watch:
        query = _with_bookmarks(op, query)
    dry_run = False
    delete_preview = False
    if write:
        if not form.dry_run and not policy.allow_writes:
            return Refusal(
                "This explorer is read-only: writes go out only as dry runs (dryRun=All), which the API "
                "server validates and admits without storing anything. Tick 'Dry run', or ask the operator "
                "to start the explorer with --allow-writes (WEBEXPLORER_ALLOW_WRITES).",
                403,
            )
        dry_run = form.dry_run
        if method == "DELETE" and not dry_run and not form.confirm:
            dry_run, delete_preview = True, True
        query = [(k, v) for k, v in query if k != "dryRun"]
        if dry_run:
            query.append(("dryRun", "All"))
    accept = TABLE_ACCEPT if form.as_table and not watch and method == "GET" else "application/json"
    if not any(k == "Accept" for k, _ in headers):
        headers.insert(0, ("Accept", accept))
    body: bytes | None = None
    content_type: str | None = None
    if method in ("POST", "PUT", "PATCH") and op.request_body is not None:
        planned = _body(op, form, query)
        if isinstance(planned, Refusal):
            return planned
        body, content_type = planned
        headers.append(("Content-Type", content_type))
    return PlannedRequest(
        method=method,
        path=path,
        query=tuple(query),
        headers=tuple(headers),
        body=body,
        content_type=content_type,
        write=write,
        dry_run=dry_run,
        delete_preview=delete_preview,
        watch=watch,
        as_table=accept == TABLE_ACCEPT,
    )


def _truthy(value: str) -> bool:
    return value.lower() in ("true", "1", "yes", "on")


def _query(op: Operation, form: TryForm) -> list[tuple[str, str]] | Refusal:
    documented = {p.name: p for p in op.query_params}
    out: list[tuple[str, str]] = []
    for name, raw in form.query.items():
        value = raw.strip()
        if value == "" or name in MANAGED_QUERY:
            continue
        param = documented.get(name)
        if param is None:
            return Refusal(f"{name!r} is not a query parameter of {op.operation_id}.")
        checked = _typed(param, value)
        if isinstance(checked, Refusal):
            return checked
        out.append((name, checked))
    if ("follow", "true") in out:
        return Refusal(
            "follow=true streams for as long as the container runs; the explorer shows logs "
            "without it (use kubectl logs -f to follow)."
        )
    return out


def _typed(param: Parameter, value: str) -> str | Refusal:
    if any(ord(c) < 0x20 for c in value):
        return Refusal(f"{param.name} may not contain control characters.")
    if len(value) > 8192:
        return Refusal(f"{param.name} is longer than 8192 characters.")
    if param.type == "integer":
        try:
            return str(int(value, 10))
        except ValueError:
            return Refusal(f"{param.name} takes a whole number, not {value[:40]!r}.")
    if param.type == "boolean":
        lowered = value.lower()
        if lowered in ("true", "1", "yes", "on"):
            return "true"
        if lowered in ("false", "0", "no", "off"):
            return "false"
        return Refusal(f"{param.name} takes true or false, not {value[:40]!r}.")
    if param.enum and value not in [str(e) for e in param.enum]:
        allowed = ", ".join(str(e) for e in param.enum)
        return Refusal(f"{param.name} takes one of {allowed}, not {value[:40]!r}.")
    return value


def _with_bookmarks(op: Operation, query: list[tuple[str, str]]) -> list[tuple[str, str]]:
    names = {p.name for p in op.query_params}
    query = [(k, v) for k, v in query if k != "watch"]
    if "watch" in names:
        query.append(("watch", "true"))
    if "allowWatchBookmarks" in names and not any(k == "allowWatchBookmarks" for k, _ in query):
        query.append(("allowWatchBookmarks", "true"))
    return query


def _extra_headers(text: str) -> list[tuple[str, str]] | Refusal:
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        name, value = name.strip(), value.strip()
        lowered = name.lower()
        if not sep or not name:
            return Refusal(f"Extra headers are written 'Name: value', one a line; {line[:60]!r} is not.")
        if lowered in HEADERS_REFUSED or lowered.startswith("impersonate-"):
            why = HEADERS_REFUSED.get(lowered, "the explorer never acts as another identity for a visitor")
            return Refusal(f"The {name} header is never sent to the API server: {why}.", 403)
        if lowered not in EXTRA_HEADERS_ALLOWED or any(ord(c) < 0x20 for c in value):
            return Refusal(
                f"The {name} header is not one the explorer forwards (only Accept and If-None-Match)."
            )
        out.append(("Accept" if lowered == "accept" else "If-None-Match", value))
    return out


def _body(op: Operation, form: TryForm, query: list[tuple[str, str]]) -> tuple[bytes, str] | Refusal:
    content_type = "application/json"
    expect: str = "object"
    if op.method == "PATCH":
        offered = patch_types(op)
        content_type = form.patch_type or (offered[0] if offered else MERGE_PATCH)
        if content_type not in offered:
            return Refusal(
                f"{content_type!r} is not a patch type of {op.operation_id} (it takes {', '.join(offered)})."
            )
        if content_type == APPLY_PATCH and not any(k == "fieldManager" and v for k, v in query):
            return Refusal(
                "Server-side apply needs a field manager: fill in fieldManager (for example 'webexplorer')."
            )
        if content_type == JSON_PATCH:
            expect = "list"
    try:
        parsed = parse_body(form.body, expect="list" if expect == "list" else "object")
    except BodyError as exc:
        return Refusal(str(exc), 413 if "MiB" in str(exc) else 400)
    return parsed.data, content_type
