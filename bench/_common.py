"""Shared pieces of the benchmarks: a control plane, explorer processes, and honest statistics.

These machines are noisy (2 shared cores), so every benchmark repeats, reports medians and ratios
measured in the same run, and writes its raw figures as JSON next to the printed table.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from webexplorer.sandbox.ports import free_port

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Explorer:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def spawn_explorer(args: Sequence[str], log: Path, env: dict[str, str] | None = None) -> Explorer:
    """Start ``python -m webexplorer serve`` on a free port; returns at once (the caller times readiness)."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "webexplorer", "serve", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    return Explorer(f"http://127.0.0.1:{port}", proc)


def wait_ready(explorer: Explorer, path: str = "/readyz", timeout: float = 60.0) -> float:
    """Poll until ``path`` answers 200; return the seconds since the call."""
    start = time.perf_counter()
    deadline = start + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.perf_counter() < deadline:
            if explorer.process.poll() is not None:
                raise RuntimeError(f"explorer exited with {explorer.process.returncode}")
            try:
                if client.get(explorer.url + path).status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                pass
            time.sleep(0.005)
    raise TimeoutError(f"{explorer.url}{path} not ready in {timeout:.0f}s")


def summary(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)

    def pct(p: float) -> float:
        if not ordered:
            return float("nan")
        k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
        return ordered[k]

    return {
        "n": len(ordered),
        "median": statistics.median(ordered) if ordered else float("nan"),
        "p99": pct(99),
        "min": ordered[0] if ordered else float("nan"),
        "max": ordered[-1] if ordered else float("nan"),
    }


def save(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
