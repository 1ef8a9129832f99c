"""Release history pages: how long the history takes to be there, and what it costs a page.

    python -m bench.history [--rounds 30] [--quick]

The explorer (kubeconfig mode, the v1.37.2 control plane) is started as a person starts it, with the
page cache off (``--page-cache-mib 0``), so every request renders its page. First figure: seconds from
the explorer answering to the history being on its pages (it is built in the background over every
embedded release). Then, side by side and interleaved, the median of each page: an operation page (no
history: the floor), a resource page and a field page with history (the field's change list), the same
field page as the oldest embedded release served it (``/release/<v>/…``), and ``/diff`` of the oldest
against the newest release (surfaces kept after the first). Ratios are against the operation page.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx

from bench._common import Result, Target, bench_main, progress, running_explorer, summary, timed_gets
from webexplorer.catalog.snapshot import embedded_snapshots
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.web.releases import release_label

FIELD = "/schema/apps/v1/Deployment/spec.template.spec.containers"


def pages() -> dict[str, str]:
    labels = [release_label(p) for p in embedded_snapshots()]
    oldest, newest = labels[0], labels[-1]
    return {
        "operation (no history)": "/op/apps/v1/readAppsV1NamespacedDeployment",
        "resource + history": "/g/apps/v1/deployments",
        "field + history + changes": FIELD,
        f"field as {oldest} served it": f"/release/{oldest}{FIELD}",
        f"diff {oldest} → {newest}": f"/diff?old=release-{oldest}&new=release-{newest}",
    }


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    rounds = 3 if opts.quick else opts.rounds
    mix = pages()
    args = ["--kubeconfig", str(cp.kubeconfig), "--page-cache-mib", "0"]
    with (
        running_explorer(args, workdir / "explorer.log") as explorer,
        httpx.Client(base_url=explorer.url, timeout=120) as client,
    ):
        started = time.perf_counter()
        while 'id="history"' not in client.get("/g/apps/v1").text:
            time.sleep(0.05)
        ready = time.perf_counter() - started
        progress(f"history on pages after {ready:.1f} s; {rounds} rounds of {len(mix)} pages")
        for path in mix.values():  # each page's documents and the diff's surfaces, before timing
            client.get(path).raise_for_status()
        times = timed_gets(client, list(mix.values()), rounds)
    stats = {name: summary(times[path]) for name, path in mix.items()}
    floor = stats["operation (no history)"]["median"]
    rows: list[list[object]] = [
        [name, s["n"], f"{s['median'] * 1000:.1f}", f"{s['p99'] * 1000:.1f}", f"{s['median'] / floor:.2f}"]
        for name, s in stats.items()
    ]
    field_ms = stats["field + history + changes"]["median"] * 1000
    return Result(
        tables=[(["page (page cache off)", "n", "median ms", "p99 ms", "× operation page"], rows)],
        targets=[
            Target("history on pages after start", f"{ready:.1f} s", "shown", None),
            Target("field page with history, median", f"{field_ms:.1f} ms", "shown", None),
        ],
        data={"history_ready_seconds": ready, "pages": stats},
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=30, help="requests of each page (interleaved)")


if __name__ == "__main__":
    bench_main("history", __doc__, run, add_arguments)
