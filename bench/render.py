"""Server render: latency and pages per second of the explorer over a fixed page mix, and the heaviest
schema pages beside the Pod page.

    python -m bench.render [--seconds 15] [--rounds 200] [--heavy-rounds 50] [--views 5] [--quick]

One explorer (kubeconfig mode, one uvicorn process, as shipped) against the real control plane, the
page mix warmed once (home, group, resource, operation, deep schema, search: ``bench._common.PAGE_MIX``).
Then each page alone in a closed loop, and ``wrk`` (Debian's, installed on first use) over the mix with
one connection and with eight, one wrk thread so the explorer has the other core. Latency targets are
read from the one-connection run (a page's own time), throughput from the eight-connection run.
Targets on 2 cores: p50 ≤ 5 ms, p99 ≤ 25 ms, ≥ 1,000 pages/s.

Then, with the shared CRDs installed (after the mix, so its figures are of the plain cluster), the
heaviest pages — Pod's and the largest CRD kind's one-level page and whole tree — uncached, with
Chromium's time to show each (``bench/heavy_pages.py``): the whole tree within a few times its
one-level page, on the server and in the browser.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench import heavy_pages
from bench._common import (
    PAGE_MIX,
    PAGE_MIX_HEADER,
    Result,
    Target,
    bench_main,
    page_mix,
    page_mix_rows,
    progress,
    rss_bytes,
    running_explorer,
    wait_indexed,
)
from webexplorer.sandbox.controlplane import ControlPlane

P50_MS = 5.0
P99_MS = 25.0
PAGES_PER_S = 1000.0


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    seconds = 1 if opts.quick else opts.seconds
    rounds = 5 if opts.quick else opts.rounds
    args = ["--kubeconfig", str(cp.kubeconfig)]
    with running_explorer(args, workdir / "explorer.log", warm=list(PAGE_MIX.values())) as explorer:
        wait_indexed(explorer.url)  # the search index is built on the event loop after start-up
        progress(f"page mix: {rounds} rounds alone, then wrk {seconds:g} s with 1 and 8 connections")
        mix = page_mix(explorer.url, workdir, seconds=seconds, rounds=rounds)
        mix["rss_bytes"] = rss_bytes(explorer.pid)
    heavy_rounds = 3 if opts.quick else opts.heavy_rounds
    views = 1 if opts.quick else opts.views
    mix["heavy"] = heavy_pages.measure(cp, workdir, rounds=heavy_rounds, views=views)
    return summarize(mix)


def summarize(mix: dict[str, Any]) -> Result:
    single, loaded = mix["wrk_1"], mix["wrk_8"]
    errors = single["errors"] + loaded["errors"]
    return Result(
        tables=[
            (PAGE_MIX_HEADER, page_mix_rows("plain", mix)),
            (heavy_pages.HEADER, heavy_pages.table_rows(mix["heavy"])),
        ],
        targets=[
            Target(
                "render p50 (mix, 1 connection)",
                f"{single['p50_ms']:.2f} ms",
                f"≤ {P50_MS:g} ms",
                single["p50_ms"] <= P50_MS,
            ),
            Target(
                "render p99 (mix, 1 connection)",
                f"{single['p99_ms']:.2f} ms",
                f"≤ {P99_MS:g} ms",
                single["p99_ms"] <= P99_MS,
            ),
            Target(
                "pages/s (mix, 8 connections)",
                f"{loaded['pages_per_s']:.0f}",
                f"≥ {PAGES_PER_S:,.0f}",
                loaded["pages_per_s"] >= PAGES_PER_S,
            ),
            Target(
                "p50 / p99 at saturation (8 connections)",
                f"{loaded['p50_ms']:.1f} / {loaded['p99_ms']:.1f} ms",
                "shown",
                None,
            ),
            Target("errors and non-200 answers", str(errors), "0", errors == 0),
            *heavy_pages.targets(mix["heavy"]),
        ],
        data=mix,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=15, help="length of each wrk run (default 15)")
    parser.add_argument("--rounds", type=int, default=200, help="closed-loop requests per page (default 200)")
    parser.add_argument(
        "--heavy-rounds", type=int, default=50, help="uncached builds of each heaviest page (default 50)"
    )
    parser.add_argument(
        "--views", type=int, default=5, help="Chromium views of each heaviest page (default 5)"
    )


def main() -> None:
    bench_main("render", __doc__, run, add_arguments)


if __name__ == "__main__":
    main()
