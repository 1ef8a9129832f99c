"""A real explorer process: ``python -m webexplorer serve`` on a free loopback port, as a person runs it.

The browser tests and the benchmarks both need one, and both must see what a visitor sees (the real
middleware order, the real static files, the real start-up path), so neither runs the app in-process.
This is the one way they start it and wait for it; the tests wait for ``/healthz`` with a generous limit,
the benchmarks time ``/readyz`` themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from webexplorer.ports import LOOPBACK, free_port


@dataclass
class ExplorerProcess:
    """One explorer process, its URL and the file its output goes to."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    args: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def spawn_explorer(args: Sequence[str], log_path: Path, env: dict[str, str] | None = None) -> ExplorerProcess:
    """Start the explorer on a free loopback port and return at once (see :func:`wait_answers`)."""
    port = free_port()
    command = [sys.executable, "-m", "webexplorer", "serve", "--host", LOOPBACK, "--port", str(port), *args]
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    return ExplorerProcess(f"http://{LOOPBACK}:{port}", process, log_path, list(args))


def wait_answers(explorer: ExplorerProcess, path: str, *, timeout: float, poll: float) -> float:
    """Poll ``path`` until it answers 200 and return the seconds it took; a process that exits or does not
    answer in ``timeout`` raises with its log (and is stopped)."""
    start = time.perf_counter()
    deadline = start + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.perf_counter() < deadline:
            if explorer.process.poll() is not None:
                raise RuntimeError(f"explorer exited with {explorer.process.returncode}:\n{explorer.log()}")
            try:
                if client.get(explorer.url + path).status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                pass
            time.sleep(poll)
    explorer.stop()
    raise TimeoutError(f"{explorer.url}{path} did not answer 200 within {timeout:.0f} s:\n{explorer.log()}")
