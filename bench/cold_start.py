"""Cold start: process start to the first home page served from a ready catalog.

    python -m bench.cold_start [--runs 7] [--quick]

Starts the real control plane (webexplorer.sandbox), then launches the explorer again and again,
alternating kubeconfig mode against the live server with the embedded snapshot, and times from
``Popen`` to the first ``/readyz`` 200 and then to the first full home page. Target: ≤ 1 s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx

from bench._common import Result, Target, bench_main, summary, wait_ready
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.sandbox.explorer_process import spawn_explorer

TARGET_SECONDS = 1.0


def one_start(args: list[str], log: Path) -> tuple[float, float]:
    start = time.perf_counter()
    explorer = spawn_explorer(args, log)
    try:
        wait_ready(explorer)
        ready = time.perf_counter() - start
        home = httpx.get(explorer.url + "/", timeout=10)
        home.raise_for_status()
        return ready, time.perf_counter() - start
    finally:
        explorer.stop()


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    runs = 2 if opts.quick else opts.runs
    log = workdir / "explorer.log"
    modes = {
        "live (kubeconfig)": ["--kubeconfig", str(cp.kubeconfig)],
        "snapshot": ["--mode", "snapshot"],
    }
    results: dict[str, list[tuple[float, float]]] = {m: [] for m in modes}
    for _ in range(runs):  # alternating, so a burst of noise hits both modes
        for name, args in modes.items():
            results[name].append(one_start(args, log))
    result = Result()
    rows: list[list[object]] = []
    for name, values in results.items():
        ready = summary([v[0] for v in values])
        home = summary([v[1] for v in values])
        result.data[name] = {"ready": ready, "home": home}
        rows.append([name, runs, f"{ready['median']:.3f}", f"{home['median']:.3f}", f"{home['max']:.3f}"])
        result.targets.append(
            Target(
                f"cold start, {name}: process start → first home page (median)",
                f"{home['median']:.2f} s",
                f"≤ {TARGET_SECONDS:g} s",
                home["median"] <= TARGET_SECONDS,
            )
        )
    result.tables.append(
        (["mode", "runs", "ready s (median)", "home page s (median)", "home page s (max)"], rows)
    )
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=7, help="starts per mode (default 7)")


def main() -> None:
    bench_main("cold_start", __doc__, run, add_arguments)


if __name__ == "__main__":
    main()
