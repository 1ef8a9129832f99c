"""Cold start: process start to the first home page served from a ready catalog.

    python -m bench.cold_start [--runs 7] [--quick]

Starts the real control plane (webexplorer.sandbox), then launches the explorer again and again,
alternating kubeconfig mode against the live server with the embedded snapshot, and times from
``Popen`` to the first ``/readyz`` 200 and then to the first full home page. Target: ≤ 1 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx

from bench._common import save, spawn_explorer, summary, table, wait_ready
from webexplorer.sandbox.controlplane import ControlPlane


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="two runs each: proves the benchmark works")
    opts = parser.parse_args()
    runs = 2 if opts.quick else opts.runs
    with tempfile.TemporaryDirectory() as tmp, ControlPlane(log=lambda m: None) as cp:
        log = Path(tmp) / "explorer.log"
        modes = {
            "live (kubeconfig)": ["--kubeconfig", str(cp.kubeconfig)],
            "snapshot": ["--mode", "snapshot"],
        }
        results: dict[str, list[tuple[float, float]]] = {m: [] for m in modes}
        for _ in range(runs):
            for name, args in modes.items():
                results[name].append(one_start(args, log))
    rows = []
    data = {}
    for name, values in results.items():
        ready = summary([v[0] for v in values])
        home = summary([v[1] for v in values])
        data[name] = {"ready": ready, "home": home}
        rows.append([name, runs, f"{ready['median']:.3f}", f"{home['median']:.3f}", f"{home['max']:.3f}"])
    print(table(rows, ["mode", "runs", "ready s (median)", "home page s (median)", "home page s (max)"]))
    print(f"target: home page ≤ 1 s after process start; JSON: {save('cold_start', data)}")


if __name__ == "__main__":
    main()
