"""Issue 16's pages side by side: ``/can-i`` as the rules review answers it, and one by one.

    python -m bench.comfort [--rounds 5] [--quick]

The explorer runs with ``--identity impersonate`` behind a trusted proxy (the Basic-auth secret), so each
request can name a visitor of its own: a user never seen before has nothing in the explorer's review
cache, which is the cost a visitor meets the first time. Measured in one run, alternating:

* ``/can-i`` (one ``SelfSubjectRulesReview``), a new user each time;
* ``/can-i?each=1`` cold (a ``SelfSubjectAccessReview`` per resource and verb, at most 8 in flight), a new
  user each time — what a kubelet-like identity, whose rules review is incomplete, gets;
* ``/can-i?each=1`` warm (the same user again, inside the 30 s review cache);
* a try-it form whose Send is refused (``SelfSubjectAccessReview``, the smallest grant as YAML) and
  ``/history`` (the frame app.js fills), each against the plain ``/pod`` page as the floor.

No target: the figure is what the one-by-one fallback costs next to the rules review (a ratio).
"""

from __future__ import annotations

import argparse
import base64
import secrets
import time
import uuid
from pathlib import Path

import httpx

from bench._common import Result, Target, bench_main, progress, running_explorer, summary
from webexplorer.sandbox.controlplane import ControlPlane

DENIED = "/try/core/v1/listCoreV1NamespacedConfigMap?p.namespace=default"


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    rounds = 1 if opts.quick else opts.rounds
    secret = secrets.token_hex(16)
    proxy = {"Authorization": "Basic " + base64.b64encode(f"proxy:{secret}".encode()).decode()}
    args = ["--kubeconfig", str(cp.kubeconfig), "--identity", "impersonate", "--trusted-proxy-secret", secret]
    times: dict[str, list[float]] = {
        k: [] for k in ("rules", "each cold", "each warm", "denied", "history", "pod")
    }
    rows_seen = 0
    with (
        running_explorer(args, workdir / "explorer.log", warm=["/", "/pod"]) as explorer,
        httpx.Client(base_url=explorer.url, timeout=120) as client,
    ):

        def timed(key: str, path: str, user: str) -> str:
            started = time.perf_counter()
            answer = client.get(path, headers={**proxy, "X-Forwarded-User": user})
            times[key].append(time.perf_counter() - started)
            answer.raise_for_status()
            return answer.text

        timed("rules", "/can-i?namespace=default", "bench-warmup")  # connections before timing
        progress(f"{rounds} rounds of each page")
        for _ in range(rounds):
            timed("rules", "/can-i?namespace=default", f"bench-{uuid.uuid4().hex[:8]}")
            user = f"bench-{uuid.uuid4().hex[:8]}"
            page = timed("each cold", "/can-i?namespace=default&each=1", user)
            rows_seen = page.count("<tr data-resource=")
            timed("each warm", "/can-i?namespace=default&each=1", user)
            timed("denied", DENIED, f"bench-{uuid.uuid4().hex[:8]}")
            timed("history", "/history", user)
            timed("pod", "/pod", user)
        times["rules"] = times["rules"][1:]
    stats = {k: summary(v) for k, v in times.items()}
    ratio = stats["each cold"]["median"] / stats["rules"]["median"]
    rows: list[list[object]] = [
        [name, s["n"], f"{s['median'] * 1000:.1f}", f"{s['p99'] * 1000:.1f}"] for name, s in stats.items()
    ]
    return Result(
        tables=[(["page (a visitor's first request unless warm)", "requests", "p50 ms", "p99 ms"], rows)],
        targets=[
            Target(
                f"/can-i one by one ({rows_seen} rows), cold, against the rules review",
                f"{ratio:.1f}×",
                "—",
                None,
            )
        ],
        data={"pages": stats, "rows": rows_seen},
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every page (default 5)")


def main() -> None:
    bench_main("comfort", __doc__, run, add_arguments)


if __name__ == "__main__":
    main()
