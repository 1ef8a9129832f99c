"""A large cluster: 300 CRDs with ~50-field schemas; memory, the page mix, and how soon a new CRD shows.

    python -m bench.large_cluster [--crds 300] [--new 5] [--seconds 10] [--refresh-interval S] [--quick]

One explorer (kubeconfig mode, the product's defaults, ``--quick`` too, unless ``--refresh-interval``)
first measures the page mix on the plain cluster; then ``--crds`` CRDs are created
(``bench._common.crd_manifest``: ten kinds per group, every common field shape) while a background
visitor times the home page every 50 ms; once the explorer shows them and has indexed them, the same
page mix again, with the explorer's peak RSS sampled throughout. Last, ``--new`` times: create one
more CRD in a new group, note when the API server's aggregated discovery lists it and when the
explorer's group page answers 200.
Targets: RSS ≤ 250 MB, page p50 ≤ 2× the plain cluster, a new CRD in the explorer ≤ 3 s after
discovery lists it, no request blocked by a refresh (the visitor's slowest page during refreshes
≤ 100 ms, shown against its own median).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import httpx

from bench._common import (
    CRDS,
    PAGE_MIX,
    PAGE_MIX_HEADER,
    Prober,
    Result,
    RssSampler,
    Target,
    bench_main,
    crd_manifest,
    crd_name,
    fmt_ms,
    in_discovery,
    install_crds,
    page_mix,
    page_mix_rows,
    progress,
    rss_bytes,
    running_explorer,
    summary,
    wait_for_group,
    wait_indexed,
)
from webexplorer.ports import wait_until
from webexplorer.sandbox.controlplane import ControlPlane

RSS_MB = 250
P50_RATIO = 2.0
NEW_CRD_SECONDS = 3.0
BLOCKED_MS = 100.0


def new_crd_latency(cp: ControlPlane, explorer_url: str, i: int) -> dict[str, float]:
    """Create a CRD in a group of its own; seconds until discovery lists it and until the explorer does."""
    group = f"fresh{i:02d}-{int(time.time())}.example.com"
    with cp.client(timeout=30) as client:
        created = time.perf_counter()
        client.post(CRDS, json=crd_manifest(group, f"Fresh{i:02d}")).raise_for_status()
        wait_until(
            lambda: in_discovery(client, group), timeout=60, interval=0.02, what=f"{group} in discovery"
        )
        listed = time.perf_counter()
    wait_for_group(explorer_url, group, timeout=120, interval=0.02)
    shown = time.perf_counter()
    return {"discovery_s": listed - created, "explorer_after_discovery_s": shown - listed}


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    quick = opts.quick
    crds = 3 if quick else opts.crds
    new = 1 if quick else opts.new
    seconds = 1 if quick else opts.seconds
    rounds = 3 if quick else 50
    args = ["--kubeconfig", str(cp.kubeconfig)]
    # the product's own defaults, quick runs too (the check runs every second by default)
    if opts.refresh_interval is not None:
        args += ["--refresh-interval", str(opts.refresh_interval)]
    data: dict[str, Any] = {"crds": crds, "explorer_args": args[2:]}
    with running_explorer(args, workdir / "explorer.log", warm=list(PAGE_MIX.values())) as explorer:
        progress("plain cluster: page mix")
        data["plain"] = page_mix(explorer.url, workdir, seconds=seconds, rounds=rounds)
        data["plain"]["rss_bytes"] = rss_bytes(explorer.pid)
        with RssSampler(explorer.pid) as rss, Prober(explorer.url) as visitor:
            quiet_until = time.perf_counter()
            time.sleep(1 if quick else 3)
            quiet = visitor.between(quiet_until, time.perf_counter())
            progress(f"creating {crds} CRDs")
            churn_started = time.perf_counter()
            data["install_s"] = install_crds(cp, crds)
            data["explorer_shows_all_s"] = wait_for_group(explorer.url, crd_name(crds - 1)[0])
            churn = visitor.between(churn_started, time.perf_counter())
            with httpx.Client(base_url=explorer.url, timeout=60) as client:  # warm a CRD's pages too
                group, kind = crd_name(crds - 1)
                for path in (f"/g/{group}", f"/schema/{group}/v1/{kind}/spec", "/search?q=field01"):
                    # the API server publishes a CRD's OpenAPI a moment after its discovery entry
                    def answers(p: str = path) -> bool:
                        return client.get(p).status_code == 200

                    wait_until(answers, timeout=120, what=path)
            data["indexed_after_s"] = wait_indexed(explorer.url)
            progress(f"{crds} CRDs: page mix")
            data["big"] = page_mix(explorer.url, workdir, seconds=seconds, rounds=rounds)
            progress(f"{new} new CRD(s), one at a time")
            fresh_started = time.perf_counter()
            data["new"] = [new_crd_latency(cp, explorer.url, i) for i in range(new)]
            fresh = visitor.between(fresh_started, time.perf_counter())
            data["big"]["rss_bytes"] = rss_bytes(explorer.pid)
        data["rss_peak_bytes"] = rss.peak
        data["visitor"] = {"quiet": summary(quiet), "crd churn": summary(churn), "new CRDs": summary(fresh)}
    return summarize(data)


def summarize(data: dict[str, Any]) -> Result:
    crds = data["crds"]
    result = Result(data=data)
    result.tables.append(
        (PAGE_MIX_HEADER, page_mix_rows("plain", data["plain"]) + page_mix_rows(f"{crds} CRDs", data["big"]))
    )
    result.tables.append(
        (
            ["background visitor (GET / every 50 ms)", "requests", "median", "max"],
            [[name, s["n"], fmt_ms(s["median"]), fmt_ms(s["max"])] for name, s in data["visitor"].items()],
        )
    )
    new = data["new"]
    after = summary([n["explorer_after_discovery_s"] for n in new])
    listed = summary([n["discovery_s"] for n in new])
    result.tables.append(
        (
            ["new CRD", "n", "create → discovery (median)", "discovery → explorer (median)", "(max)"],
            [
                [
                    "one CRD, new group",
                    len(new),
                    f"{listed['median']:.2f} s",
                    f"{after['median']:.2f} s",
                    f"{after['max']:.2f} s",
                ]
            ],
        )
    )
    ratio = data["big"]["wrk_1"]["p50_ms"] / data["plain"]["wrk_1"]["p50_ms"]
    rss_mb = data["rss_peak_bytes"] / 2**20
    refresh_max = max(data["visitor"]["crd churn"]["max"], data["visitor"]["new CRDs"]["max"]) * 1000
    result.targets += [
        Target(
            f"explorer peak RSS with {crds} CRDs",
            f"{rss_mb:.0f} MiB",
            f"≤ {RSS_MB} MB",
            rss_mb * 2**20 <= RSS_MB * 1e6,
        ),
        Target(
            f"page p50 (mix, 1 connection), {crds} CRDs / plain",
            f"{ratio:.2f}×",
            f"≤ {P50_RATIO:g}×",
            ratio <= P50_RATIO,
        ),
        Target(
            "new CRD: discovery → explorer (max)",
            f"{after['max']:.2f} s",
            f"≤ {NEW_CRD_SECONDS:g} s",
            after["max"] <= NEW_CRD_SECONDS,
        ),
        Target(
            "slowest page while the catalog refreshes",
            f"{refresh_max:.0f} ms",
            f"≤ {BLOCKED_MS:g} ms (not blocked)",
            refresh_max <= BLOCKED_MS,
        ),
        Target("install time of the CRDs (API server)", f"{data['install_s']:.0f} s", "shown", None),
    ]
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--crds", type=int, default=300, help="CRDs to create (default 300)")
    parser.add_argument("--new", type=int, default=5, help="new CRDs timed one by one (default 5)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each wrk run (default 10)")
    parser.add_argument(
        "--refresh-interval", type=float, default=None, help="pass to the explorer (default: its own)"
    )


def main() -> None:
    bench_main("large_cluster", __doc__, run, add_arguments)


if __name__ == "__main__":
    main()
