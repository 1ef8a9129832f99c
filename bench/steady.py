"""Steady load, and the same load through an API-server outage: transport errors, 5xx and memory.

    python -m bench.steady [--minutes 5] [--clients 30] [--outage 0] [--idle 60] [--quick]
    python -m bench.steady --minutes 3 --outage 30      # killed at a third of the run, back 30 s later

The explorer runs on the admin kubeconfig with its defaults and ``--log-json``. First the pages: a
crawl from the home page (every link, breadth first, up to 150 pages and 30 per family), plus the raw
documents a visitor reads (discovery, the OpenAPI index and documents, ``/version``). Then:

1. **idle** (``--idle`` seconds): nothing but the explorer; its requests to the API server are counted
   from the server's audit log (its User-Agent), once for an explorer polling as before
   (``--changes poll``) and once for the default (watching), one after the other;
2. **load** (``--minutes``): ``--clients`` visitors, each an httpx client with its default keep-alive
   pool, asking for random pages of the mix as fast as they are answered (0-100 ms apart);
3. with ``--outage N``: kube-apiserver is SIGKILLed at a third of the run and started again ``N``
   seconds later; what raw documents answered meanwhile (the last good copy, or a 503 for one never
   seen) is counted apart.

Reported: requests; answers, 5xx and transport errors (resets, protocol errors, timeouts) by page
family and kind; raw documents during the outage; explorer RSS after the first minute (or quarter)
and at the end; the connections the explorer closed itself, by reason (its ``connection_closed`` log
lines); API-server requests per minute while idle. Targets: no transport error at all, no 5xx but a
503 of a raw document never seen (in the outage), every raw document the explorer had seen answered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench._common import Result, Target, bench_main, progress, rss_bytes, running_explorer
from webexplorer.cluster.client import USER_AGENT
from webexplorer.sandbox.controlplane import ControlPlane

MAX_PAGES = 150
PER_FAMILY = 30
#: pages no link reaches (a form's answers) and the raw documents a visitor reads
EXTRA_PAGES = ["/search?q=pod", "/search?q=deploy", "/search?q=replicas"]
RAW_DOCUMENTS = [
    "/raw/",
    "/raw/version",
    "/raw/api",
    "/raw/apis",
    "/raw/apis?aggregated=1",
    "/raw/api/v1",
    "/raw/apis/apps/v1",
    "/raw/openapi/v3",
    "/raw/openapi/v3/api/v1",
    "/raw/openapi/v3/apis/apps/v1",
    "/raw/openapi/v3/apis/batch/v1",
    "/raw/openapi/v2",
]
LINK = re.compile(r'href="(/[^"#]*)"')
SKIP = ("/static/", "/signout", "/signin", "download=1", "/ctx/")
COPY_HEADER = "x-webexplorer-copy"


@dataclass
class Sample:
    started: float
    ended: float
    family: str
    status: int  # 0: no answer
    error: str = ""  # the transport error's type
    copy: bool = False  # a raw document served from the last good copy


#: the page families of ``/g/...`` by depth
_G_DEPTH = {1: "group", 2: "group-version", 3: "resource"}


def family(path: str) -> str:
    """A page's family: ``home``, ``group``, ``group-version``, ``resource``, ``op``, ``schema``,
    ``raw``, ``search``, ``diff``, ... (the first path segment, ``/g/`` split by depth)."""
    segs = path.split("?", 1)[0].strip("/").split("/")
    if segs[0] == "g":
        return _G_DEPTH.get(len(segs) - 1, "resource")
    return segs[0] or "home"


def crawl(url: str, limit: int = MAX_PAGES, per_family: int = PER_FAMILY) -> list[str]:
    """Pages reachable from home, breadth first, at most ``per_family`` of each family."""
    seen: set[str] = {"/"}
    queue: deque[str] = deque(["/"])
    pages: list[str] = []
    counts: Counter[str] = Counter()
    with httpx.Client(base_url=url, timeout=60) as client:
        while queue and len(pages) < limit:
            path = queue.popleft()
            if counts[family(path)] >= per_family:
                continue
            answer = client.get(path)
            if answer.status_code != 200:
                continue
            pages.append(path)
            counts[family(path)] += 1
            if "text/html" not in answer.headers.get("content-type", ""):
                continue
            for link in LINK.findall(answer.text):
                link = link.replace("&amp;", "&")
                if link not in seen and not any(s in link for s in SKIP):
                    seen.add(link)
                    queue.append(link)
    return pages


def explorer_requests_per_minute(cp: ControlPlane, since: datetime, until: datetime) -> tuple[float, int]:
    """The explorer's requests the API server received in [since, until), per minute, and their count."""
    ids = {
        e["auditID"]
        for e in cp.audit_events()
        if str(e.get("userAgent", "")).startswith(USER_AGENT)
        and since <= datetime.fromisoformat(e["requestReceivedTimestamp"].replace("Z", "+00:00")) < until
    }
    minutes = (until - since).total_seconds() / 60
    return (len(ids) / minutes if minutes else 0.0), len(ids)


def idle_requests(cp: ControlPlane, args: list[str], log: Path, seconds: float) -> tuple[float, int]:
    with running_explorer(args, log):
        time.sleep(3.0)  # start-up's own reads (catalog, search index) are over
        since = datetime.now().astimezone()
        time.sleep(seconds)
        until = datetime.now().astimezone()
    time.sleep(1.0)  # the audit log is written asynchronously
    return explorer_requests_per_minute(cp, since, until)


async def visitor(url: str, pages: list[str], until: float, samples: list[Sample], seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while time.perf_counter() < until:
            path = rng.choice(pages)
            started = time.perf_counter()
            try:
                answer = await client.get(path)
                await answer.aread()
                samples.append(
                    Sample(
                        started,
                        time.perf_counter(),
                        family(path),
                        answer.status_code,
                        copy=COPY_HEADER in answer.headers,
                    )
                )
            except httpx.TransportError as exc:
                samples.append(Sample(started, time.perf_counter(), family(path), 0, type(exc).__name__))
            await asyncio.sleep(rng.uniform(0.0, 0.1))


async def load(
    cp: ControlPlane, url: str, pid: int, pages: list[str], seconds: float, clients: int, outage: float
) -> dict[str, Any]:
    samples: list[Sample] = []
    events: dict[str, float] = {}
    rss: list[tuple[float, int]] = []
    start = time.perf_counter()
    until = start + seconds

    async def fault() -> None:
        if outage <= 0:
            return
        await asyncio.sleep(seconds / 3)
        events["killed"] = time.perf_counter()
        await asyncio.to_thread(cp.stop_apiserver, kill=True)
        progress(f"kube-apiserver killed; back in {outage:g} s")
        await asyncio.sleep(outage)
        events["restarting"] = time.perf_counter()
        await asyncio.to_thread(cp.start_apiserver)
        events["back"] = time.perf_counter()
        progress("kube-apiserver ready again")

    async def memory() -> None:
        while time.perf_counter() < until:
            rss.append((time.perf_counter() - start, rss_bytes(pid)))
            await asyncio.sleep(1)
        rss.append((time.perf_counter() - start, rss_bytes(pid)))

    await asyncio.gather(
        fault(), memory(), *(visitor(url, pages, until, samples, seed) for seed in range(clients))
    )
    return analyse(samples, events, rss, start, seconds)


def analyse(
    samples: list[Sample],
    events: dict[str, float],
    rss: list[tuple[float, int]],
    start: float,
    seconds: float,
) -> dict[str, Any]:
    killed, back = events.get("killed"), events.get("back")

    def in_outage(s: Sample) -> bool:
        return killed is not None and back is not None and s.ended >= killed and s.started < back

    by_family: dict[str, Counter[str]] = {}
    for s in samples:
        c = by_family.setdefault(s.family, Counter())
        c["requests"] += 1
        if s.status == 0:
            c[s.error] += 1
        elif s.status >= 500:
            c[f"{s.status}{' (outage)' if in_outage(s) else ''}"] += 1
    raw_outage = Counter(
        ("copy" if s.copy else str(s.status or s.error))
        for s in samples
        if s.family == "raw" and in_outage(s)
    )
    transport = [s for s in samples if s.status == 0]
    # a 503 of a raw document is allowed only in the outage (a document the explorer never saw)
    server_errors = [
        s for s in samples if s.status >= 500 and not (s.family == "raw" and s.status == 503 and in_outage(s))
    ]
    warm_at = min(60.0, seconds / 4)
    warm = next((b for t, b in rss if t >= warm_at), 0)
    return {
        "requests": len(samples),
        "per_second": len(samples) / seconds if seconds else 0,
        "by_family": {f: dict(c) for f, c in sorted(by_family.items())},
        "transport_errors": dict(Counter(s.error for s in transport)),
        "transport_error_examples": [
            f"{s.family} {s.error} at {s.started - start:.2f} s" for s in transport[:10]
        ],
        "server_errors": len(server_errors),
        "server_error_examples": [
            f"{s.family} {s.status} at {s.started - start:.2f} s" for s in server_errors[:10]
        ],
        "raw_during_outage": dict(raw_outage),
        "outage_s": (back - killed) if killed is not None and back is not None else 0.0,
        "rss_warm_s": warm_at,
        "rss_warm_bytes": warm,
        "rss_end_bytes": rss[-1][1] if rss else 0,
        "rss_mib_by_second": [(round(t), round(b / 2**20, 1)) for t, b in rss[::10]],
    }


def closed_connections(log: Path) -> dict[str, int]:
    """The explorer's ``connection_closed`` log lines by reason."""
    reasons: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and "connection_closed" in line:
            reasons[str(json.loads(line).get("reason"))] += 1
    return dict(reasons)


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    seconds = 15.0 if opts.quick else opts.minutes * 60
    clients = 6 if opts.quick else opts.clients
    outage = 3.0 if opts.quick else opts.outage  # the quick run goes through the outage path too
    idle = 5.0 if opts.quick else opts.idle
    base = ["--kubeconfig", str(cp.kubeconfig), "--log-json"]
    idle_rates: dict[str, tuple[float, int]] = {}
    if idle > 0:
        for changes in ("poll", "watch"):
            progress(f"idle: an explorer with --changes {changes}, {idle:g} s")
            log = workdir / f"idle-{changes}.log"
            idle_rates[changes] = idle_requests(cp, [*base, "--changes", changes], log, idle)
    log = workdir / "explorer.log"
    with running_explorer(base, log) as explorer:
        pages = crawl(explorer.url, 40 if opts.quick else MAX_PAGES, 8 if opts.quick else PER_FAMILY)
        pages += [p for p in [*EXTRA_PAGES, *RAW_DOCUMENTS] if p not in pages]
        with httpx.Client(base_url=explorer.url, timeout=60) as client:
            for path in pages:  # every page once: what the explorer has seen before the run
                client.get(path)
        progress(f"load: {clients} visitors over {len(pages)} pages for {seconds:g} s, outage {outage:g} s")
        data = asyncio.run(load(cp, explorer.url, explorer.pid, pages, seconds, clients, outage))
        if explorer.process.poll() is not None:
            data["server_errors"] += 1_000_000  # the explorer died
    data["closed_connections"] = closed_connections(log)
    data["pages"] = len(pages)
    data["families"] = dict(Counter(family(p) for p in pages))
    data["idle_requests_per_minute"] = {k: {"per_minute": v[0], "count": v[1]} for k, v in idle_rates.items()}
    return summarize(data, seconds, clients, outage, idle)


def summarize(data: dict[str, Any], seconds: float, clients: int, outage: float, idle: float) -> Result:
    mb = 2**20
    result = Result(data=data)
    rows: list[list[object]] = []
    for fam, counts in data["by_family"].items():
        errors = ", ".join(f"{k} {v}" for k, v in counts.items() if k != "requests") or "none"
        rows.append([fam, counts["requests"], errors])
    result.tables.append((["family", "requests", "5xx and transport errors"], rows))
    idle_rows: list[list[object]] = [
        [f"{k}", f"{v['count']} in {idle:g} s", f"{v['per_minute']:.0f}/min"]
        for k, v in data["idle_requests_per_minute"].items()
    ]
    if idle_rows:
        result.tables.append((["idle explorer", "API-server requests", "rate"], idle_rows))
    result.tables.append(
        (
            ["steady", "value"],
            [
                [
                    "length, visitors, pages",
                    f"{seconds:g} s, {clients}, {data['pages']} ({data['families']})",
                ],
                ["requests", f"{data['requests']} ({data['per_second']:.0f}/s)"],
                ["transport errors", str(data["transport_errors"] or "none")],
                ["API server down", f"{data['outage_s']:.1f} s"],
                ["raw documents during the outage", str(data["raw_during_outage"] or "no outage")],
                [
                    f"RSS at {data['rss_warm_s']:g} s → end",
                    f"{data['rss_warm_bytes'] / mb:.0f} → {data['rss_end_bytes'] / mb:.0f} MiB",
                ],
                ["connections the explorer closed", str(data["closed_connections"] or "none")],
            ],
        )
    )
    transport = sum(data["transport_errors"].values())
    result.targets += [
        Target("transport errors (resets, protocol errors, timeouts)", str(transport), "0", transport == 0),
        Target(
            "5xx (a raw document never seen, in the outage, excepted)",
            str(data["server_errors"]),
            "0",
            data["server_errors"] == 0,
        ),
    ]
    if outage > 0:
        raw = data["raw_during_outage"]
        failed = sum(v for k, v in raw.items() if k != "copy" and not k.startswith("2"))
        result.targets.append(
            Target(
                "raw documents in the outage: copies / other",
                f"{raw.get('copy', 0)} / {failed}",
                "shown",
                None,
            )
        )
    for changes, v in data["idle_requests_per_minute"].items():
        result.targets.append(
            Target(
                f"API-server requests per minute while idle ({changes})",
                f"{v['per_minute']:.0f}",
                "~180 before" if changes == "poll" else "0",
                None if changes == "poll" else v["count"] == 0,
            )
        )
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=5, help="length of the load (default 5)")
    parser.add_argument("--clients", type=int, default=30, help="concurrent visitors (default 30)")
    parser.add_argument(
        "--outage",
        type=float,
        default=0,
        help="seconds the API server stays down from a third of the run (0: none)",
    )
    parser.add_argument(
        "--idle", type=float, default=60, help="seconds of the idle count, each side (0: none)"
    )


def main() -> None:
    bench_main("steady", __doc__, run, add_arguments)


if __name__ == "__main__":
    main()
