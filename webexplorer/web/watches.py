"""Watches streamed into the page as server-sent events, with caps per visitor and in total.

A watch starts as a checked :class:`~webexplorer.tryout.plan.PlannedRequest` registered by the send
route (so the same refusals apply, and the CSRF check happened there); the page's EventSource then
claims it by its ticket, with the same session cookie. The ticket is the checked plan itself, sealed
with the operator's secret key (:mod:`.sealing`) and bound to the session: a replica that never saw the
watch registered can open it and serve the stream, so an EventSource that reconnects after its replica
went away resumes on whichever replica the Service picks. The upstream request runs in its own task
that feeds a queue; the SSE generator waits on that queue *or* the stop button, and whichever way it
ends — stop, the browser going away (Starlette cancels the generator), the server closing — the
``finally`` cancels the task, which closes the upstream request.

Starlette's own ``StreamingResponse`` is used rather than ``sse-starlette``: SSE framing is three lines,
disconnects are already detected by Starlette, and it is one dependency less.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from webexplorer.cluster import ClusterError, Connection
from webexplorer.tryout.plan import PlannedRequest, query_params
from webexplorer.tryout.watch import WatchEvent, list_resource_version, parse_event
from webexplorer.web.sealing import Sealer

log = logging.getLogger("webexplorer.web")

#: seconds a registered watch waits for its EventSource before it is dropped
CLAIM_WINDOW = 60.0
#: the server ends each watch after this long; the stream then resumes from the last resourceVersion
UPSTREAM_TIMEOUT_SECONDS = 300
#: how long a watch ticket can be claimed again (an EventSource reconnecting to another replica)
TICKET_LIFETIME = 8 * 3600.0


@dataclass
class Watch:
    """A watch registered by a send, streamed once its EventSource claims it."""

    #: the checked plan sealed with the secret key and bound to the session: the watch's name in its URLs
    ticket: str
    session: str
    plan: PlannedRequest
    created: float = field(default_factory=time.monotonic)
    claimed: bool = False
    stop: asyncio.Event = field(default_factory=asyncio.Event)


class WatchRegistry:
    def __init__(self, max_total: int, max_per_visitor: int, secret_key: str | None = None) -> None:
        self.max_total = max_total
        self.max_per_visitor = max_per_visitor
        self._watches: dict[str, Watch] = {}
        self._tickets = Sealer(secret_key, "watch ticket v1")

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, w in self._watches.items() if not w.claimed and now - w.created > CLAIM_WINDOW]:
            del self._watches[key]

    def register(self, session: str, plan: PlannedRequest) -> Watch | str:
        """A new watch, or why not (the caps)."""
        self._expire()
        problem = self._over_cap(session)
        if problem is not None:
            return problem
        ticket = self._tickets.seal(
            {"s": session, "e": time.time() + TICKET_LIFETIME, "p": _plan_to_json(plan)}
        )
        watch = Watch(ticket, session, plan)
        self._watches[watch.ticket] = watch
        return watch

    def _over_cap(self, session: str) -> str | None:
        mine = sum(1 for w in self._watches.values() if w.session == session)
        if mine >= self.max_per_visitor:
            return (
                f"You already have {mine} watches open (the limit is {self.max_per_visitor} per visitor): "
                "stop one first."
            )
        if len(self._watches) >= self.max_total:
            return (
                f"The explorer already streams {len(self._watches)} watches (its limit is {self.max_total}); "
                "try again when one has stopped."
            )
        return None

    def claim(self, ticket: str, session: str) -> Watch | None:
        """The watch for an EventSource, or None (ended, someone else's, or over the caps)."""
        watch = self._watches.get(ticket)
        if watch is not None:
            if watch.session != session or watch.claimed:
                return None
            watch.claimed = True
            return watch
        # Registered by another replica, or by this one before its stream dropped: the ticket holds
        # the plan that was checked then, and only this session can use it.
        payload = self._tickets.open(ticket)
        if payload is None or payload.get("s") != session or not _float(payload.get("e")) > time.time():
            return None
        plan = _plan_from_json(payload.get("p"))
        if plan is None or self._over_cap(session) is not None:
            return None
        watch = Watch(ticket, session, plan, claimed=True)
        self._watches[ticket] = watch
        return watch

    def get(self, ticket: str, session: str) -> Watch | None:
        watch = self._watches.get(ticket)
        return watch if watch is not None and watch.session == session else None

    def release(self, ticket: str) -> None:
        self._watches.pop(ticket, None)

    @property
    def open_count(self) -> int:
        return len(self._watches)

    def stop_all(self) -> int:
        """Ask every watch to end now (graceful shutdown: the server stops them before it waits for open
        connections); returns how many were asked."""
        for watch in self._watches.values():
            watch.stop.set()
        return len(self._watches)


def _float(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _plan_to_json(plan: PlannedRequest) -> dict[str, object]:
    data = dataclasses.asdict(plan)
    data["body"] = base64.b64encode(plan.body).decode() if plan.body is not None else None
    return data


def _plan_from_json(data: object) -> PlannedRequest | None:
    """The inverse of :func:`_plan_to_json`; None for anything else (a ticket is sealed, so this only
    guards against a format change between explorer versions)."""
    if not isinstance(data, dict):
        return None
    try:
        body = data.get("body")
        return PlannedRequest(
            **{
                **data,
                "query": tuple((str(k), str(v)) for k, v in data["query"]),
                "headers": tuple((str(k), str(v)) for k, v in data["headers"]),
                "body": base64.b64decode(body) if isinstance(body, str) else None,
            }
        )
    except (KeyError, TypeError, ValueError):
        return None


def sse(event: str, html: str) -> str:
    """One server-sent event whose data is an HTML fragment (each line prefixed, as SSE requires)."""
    data = "\n".join(f"data: {line}" for line in html.splitlines() or [""])
    return f"event: {event}\n{data}\n\n"


Render = Callable[[str, dict[str, object]], str]


async def stream_watch(
    watch: Watch, connection: Connection, render: Render, registry: WatchRegistry
) -> AsyncIterator[str]:
    """The SSE stream of one watch; ends on stop, disconnect, or an upstream failure."""
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=256)
    reader = asyncio.create_task(_read_upstream(watch, connection, render, queue))
    stopped = asyncio.create_task(watch.stop.wait())
    try:
        yield sse("info", render("_tryout_watch_info.html", {"state": "connected", "counts": {}}))
        while True:
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if stopped in done:
                getter.cancel()
                yield sse("end", render("_tryout_watch_end.html", {"reason": "Stopped."}))
                return
            item = getter.result()
            if item is None:
                return
            yield item
    finally:
        reader.cancel()
        stopped.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
        registry.release(watch.ticket)


async def _read_upstream(
    watch: Watch, connection: Connection, render: Render, queue: asyncio.Queue[str | None]
) -> None:
    plan = watch.plan
    counts = {"ADDED": 0, "MODIFIED": 0, "DELETED": 0, "BOOKMARK": 0, "relists": 0}
    resource_version = dict(plan.query).get("resourceVersion", "")
    user_timeout = "timeoutSeconds" in dict(plan.query)
    base = [(k, v) for k, v in plan.query if k not in ("resourceVersion", "timeoutSeconds")]
    if not user_timeout:
        base.append(("timeoutSeconds", str(UPSTREAM_TIMEOUT_SECONDS)))
    else:
        base.append(("timeoutSeconds", dict(plan.query)["timeoutSeconds"]))

    async def info() -> None:
        await queue.put(
            sse("info", render("_tryout_watch_info.html", {"state": "watching", "counts": counts}))
        )

    async def end(reason: str) -> None:
        await queue.put(sse("end", render("_tryout_watch_end.html", {"reason": reason})))
        await queue.put(None)

    try:
        while True:
            query = [*base, *([("resourceVersion", resource_version)] if resource_version else [])]
            relist = False
            async with connection.stream(
                "GET", plan.path, params=query_params(query), headers=_stream_headers(plan), read_timeout=None
            ) as reply:
                if reply.status == 410:
                    relist = True
                elif reply.status != 200:
                    body = (await reply.aread())[:2000].decode("utf-8", "replace")
                    await end(f"The API server answered {reply.status} {reply.reason}: {body}")
                    return
                else:
                    async for line in reply.aiter_lines():
                        event = parse_event(line)
                        if event is None:
                            continue
                        if event.type == "BOOKMARK":
                            counts["BOOKMARK"] += 1
                            resource_version = event.resource_version or resource_version
                            await info()
                        elif event.type == "ERROR":
                            if event.gone:
                                relist = True
                                break
                            message = event.status.message if event.status else "unknown error"
                            await end(f"The watch ended with an error: {message}")
                            return
                        elif event.is_row:
                            counts[event.type] += 1
                            resource_version = event.resource_version or resource_version
                            await queue.put(sse("row", _row(render, event)))
                            await info()
            if relist:
                counts["relists"] += 1
                resource_version = await _relist(connection, plan)
                await queue.put(
                    sse(
                        "row",
                        render(
                            "_tryout_watch_notice.html",
                            {"text": f"Expired (410): listed again, resumed at {resource_version}."},
                        ),
                    )
                )
                continue
            if user_timeout:
                await end("The watch ended after its timeoutSeconds.")
                return
    except ClusterError as exc:
        await end(f"The watch stopped: {exc}")
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("watch %s failed", watch.ticket)
        await end("The watch stopped because of an error inside the explorer (see its log).")


def _stream_headers(plan: PlannedRequest) -> dict[str, str]:
    """The plan's headers, uncompressed: the API server gzips watch answers in blocks it does not flush
    per event, so a compressed watch shows an event only when later ones push it out."""
    return {**dict(plan.headers), "Accept-Encoding": "identity"}


def _row(render: Render, event: WatchEvent) -> str:
    return render("_tryout_watch_row.html", {"event": event, "time": time.strftime("%H:%M:%S")})


async def _relist(connection: Connection, plan: PlannedRequest) -> str:
    """List the watched collection (no watch) for a fresh resourceVersion to resume from."""
    path, query = list_equivalent(plan)
    reply = await connection.request(
        "GET", path, params=query_params(query), headers={"Accept": "application/json"}
    )
    return list_resource_version(reply.body) if reply.status == 200 else ""


def list_equivalent(plan: PlannedRequest) -> tuple[str, list[tuple[str, str]]]:
    """The list request matching a watch: ``/watch/`` paths lose their prefix, and a watch of one
    object becomes a list of its collection with ``fieldSelector=metadata.name=<name>``."""
    keep = ("labelSelector", "fieldSelector")
    query = [(k, v) for k, v in plan.query if k in keep]
    path = plan.path
    parts = path.split("/")
    if "watch" in parts[:5]:
        i = parts.index("watch")
        rest = parts[i + 1 :]
        path = "/".join(parts[:i] + rest)
        # rest is <plural>, <plural>/<name>, namespaces/<ns>/<plural> or namespaces/<ns>/<plural>/<name>
        named = len(rest) in (2, 4)
        if named:
            path, _, name = path.rpartition("/")
            query = [(k, v) for k, v in query if k != "fieldSelector"] + [
                ("fieldSelector", f"metadata.name={name}")
            ]
    query.append(("limit", "1"))
    return path, query
