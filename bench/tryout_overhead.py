"""Try-it overhead: one ConfigMap read through the explorer's try-it, against the same GET sent directly.

    python -m bench.tryout_overhead [--requests 300] [--quick]

The explorer (kubeconfig mode) is driven as its own page drives it: the try-it form is opened once for
the session cookie and CSRF token, then each read is the htmx POST the form sends
(``readCoreV1NamespacedConfigMap``), whose answer is the rendered result panel. The direct request is
an httpx GET of the same object with the same token over a kept-alive TLS connection. The two
alternate, so noise hits both; the figure is the difference of the medians. Target: ≤ 2 ms at p50.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import httpx

from bench._common import Result, Target, bench_main, progress, running_explorer, summary
from webexplorer.sandbox.controlplane import ControlPlane

ADDED_MS = 2.0
NAME = "bench-tryout"
OBJECT = f"/api/v1/namespaces/default/configmaps/{NAME}"
FORM = "/try/core/v1/readCoreV1NamespacedConfigMap"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def open_form(client: httpx.Client) -> str:
    """Open the try-it form (the client keeps the session cookie); return the form's CSRF token."""
    found = CSRF.search(client.get(FORM).text)
    if found is None:
        raise RuntimeError(f"no CSRF token in {FORM}")
    return found.group(1)


def read_through_explorer(client: httpx.Client, csrf: str) -> httpx.Response:
    """The POST the try-it form sends with htmx (same-origin, CSRF token in the form)."""
    response = client.post(
        FORM,
        data={"csrf": csrf, "p.namespace": "default", "p.name": NAME},
        headers={"Sec-Fetch-Site": "same-origin", "HX-Request": "true"},
    )
    if response.status_code != 200 or "200 OK" not in response.text:
        raise RuntimeError(f"try-it read answered {response.status_code}: {response.text[:300]}")
    return response


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    count = 5 if opts.quick else opts.requests
    with cp.client() as admin:
        admin.delete(OBJECT)
        admin.post(
            "/api/v1/namespaces/default/configmaps", json={"metadata": {"name": NAME}, "data": {"a": "1"}}
        )
    through: list[float] = []
    direct: list[float] = []
    args = ["--kubeconfig", str(cp.kubeconfig)]
    with (
        running_explorer(args, workdir / "explorer.log") as explorer,
        httpx.Client(base_url=explorer.url, timeout=30) as client,
        cp.client() as api,
    ):
        csrf = open_form(client)
        for _ in range(3):  # connections, TLS sessions and the operation's document, before timing
            read_through_explorer(client, csrf)
            api.get(OBJECT).raise_for_status()
        progress(f"{count} reads each way, alternating")
        for _ in range(count):
            started = time.perf_counter()
            read_through_explorer(client, csrf)
            through.append(time.perf_counter() - started)
            started = time.perf_counter()
            api.get(OBJECT).raise_for_status()
            direct.append(time.perf_counter() - started)
    via, raw = summary(through), summary(direct)
    added = (via["median"] - raw["median"]) * 1000
    rows: list[list[object]] = [
        [name, s["n"], f"{s['median'] * 1000:.2f}", f"{s['p99'] * 1000:.2f}"]
        for name, s in (("through the explorer's try-it", via), ("direct httpx GET", raw))
    ]
    return Result(
        tables=[(["GET one ConfigMap", "requests", "p50 ms", "p99 ms"], rows)],
        targets=[Target("try-it added at p50", f"{added:.2f} ms", f"≤ {ADDED_MS:g} ms", added <= ADDED_MS)],
        data={"explorer": via, "direct": raw},
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=300, help="reads each way (default 300)")


def main() -> None:
    bench_main("tryout_overhead", __doc__, run, add_arguments)


if __name__ == "__main__":
    main()
