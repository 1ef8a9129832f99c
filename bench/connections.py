"""Dropped connections: transport errors seen by many concurrent clients, old keep-alive against new.

    python -m bench.connections [--seconds 60] [--clients 40] [--quick]

Two explorers on the live control plane side by side in one run: one with uvicorn's old 5 s keep-alive
(``--keep-alive-timeout 5``), one with the default (75 s). Against each, at the same time:

* **keep-alive clients**: httpx clients with a 60 s pool, pausing 4.8–5.2 s between pages (a person
  reading, a script's steady loop) — the pause straddles the old server timeout, which is when a request
  goes out on a connection the server is closing;
* **short-lived clients**: a new connection per request, no pause (probes, scripts without a pool).

It counts answers and transport errors (resets, protocol errors, timeouts) by kind, and the explorer's
"kept connection" log lines (a request found waiting when the keep-alive timer fired). Target: no
transport error with the default settings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time
from collections import Counter
from pathlib import Path

import httpx

from bench._common import Result, Target, bench_main, progress, running_explorer
from webexplorer.sandbox.controlplane import ControlPlane

PAGES = [
    "/",
    "/g/apps",
    "/g/apps/v1",
    "/schema/apps/v1/Deployment",
    "/g/core/v1",
    "/search?q=pod",
    "/healthz",
]
PAUSE = (4.8, 5.2)


async def keep_alive_client(url: str, seconds: float, counts: Counter[str]) -> None:
    limits = httpx.Limits(keepalive_expiry=60)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await _one(client, counts)
            await asyncio.sleep(random.uniform(*PAUSE))


async def short_lived_client(url: str, seconds: float, counts: Counter[str]) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await _one(client, counts)
        await asyncio.sleep(0.05)


async def _one(client: httpx.AsyncClient, counts: Counter[str]) -> None:
    try:
        answer = await client.get(random.choice(PAGES))
        counts["answers"] += 1
        if answer.status_code >= 500:
            counts["5xx"] += 1
    except httpx.TransportError as exc:
        counts[type(exc).__name__] += 1


async def load(urls: dict[str, str], seconds: float, clients: int) -> dict[str, dict[str, Counter[str]]]:
    counts = {name: {"keep-alive": Counter[str](), "short-lived": Counter[str]()} for name in urls}
    tasks = []
    for name, url in urls.items():
        tasks += [keep_alive_client(url, seconds, counts[name]["keep-alive"]) for _ in range(clients)]
        tasks += [short_lived_client(url, seconds, counts[name]["short-lived"]) for _ in range(2)]
    await asyncio.gather(*tasks)
    return counts


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    seconds = 12.0 if opts.quick else opts.seconds
    clients = 8 if opts.quick else opts.clients
    base = ["--kubeconfig", str(cp.kubeconfig)]
    sides = {"keep-alive 5 s (old)": ["--keep-alive-timeout", "5"], "keep-alive 75 s (default)": []}
    names = list(sides)
    logs = {name: workdir / f"explorer-{i}.log" for i, name in enumerate(names)}
    with contextlib.ExitStack() as stack:
        urls = {
            name: stack.enter_context(running_explorer([*base, *sides[name]], logs[name], warm=PAGES)).url
            for name in names
        }
        progress(f"connections: {clients} keep-alive + 2 short-lived clients per explorer for {seconds:g} s")
        counts = asyncio.run(load(urls, seconds, clients))
    result = Result()
    rows: list[list[object]] = []
    for name in names:
        kept = logs[name].read_text(errors="replace").count("kept connection")
        errors = 0
        for family, c in counts[name].items():
            transport = {k: v for k, v in c.items() if k not in ("answers", "5xx")}
            errors += sum(transport.values())
            shown = ", ".join(f"{k} {v}" for k, v in sorted(transport.items())) or "none"
            rows.append([name, family, c["answers"], c["5xx"], shown])
        result.data[name] = {f: dict(c) for f, c in counts[name].items()} | {"kept_connections": kept}
        rows.append([name, "kept by the protocol", kept, "", ""])
        result.targets.append(
            Target(
                f"transport errors, {name}",
                str(errors),
                "0" if "default" in name else "shown",
                errors == 0 if "default" in name else None,
            )
        )
    result.tables.append((["explorer", "clients", "answers", "5xx", "transport errors"], rows))
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs (default 60)")
    parser.add_argument(
        "--clients", type=int, default=40, help="keep-alive clients per explorer (default 40)"
    )


def main() -> None:
    bench_main("connections", __doc__, run, add_arguments)


if __name__ == "__main__":
    main()
