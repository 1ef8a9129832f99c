"""Shared pieces of the benchmarks: a control plane, explorer processes, CRDs, load, honest statistics.

These machines are noisy (2 shared cores), so every benchmark repeats, reports medians and ratios
measured in the same run, and writes its raw figures as JSON next to the printed table. Each benchmark
module has a ``run(cp, workdir, opts)`` that does the work against a control plane it is given (so the
``--quick`` test can share one) and a ``main()`` that is the one command: it starts the control plane,
runs, prints the table of figures against targets and saves the JSON (:func:`bench_main`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import httpx

from webexplorer.ports import wait_until
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.sandbox.explorer_process import ExplorerProcess, spawn_explorer, wait_answers

RESULTS = Path(__file__).resolve().parent / "results"
#: the real CRDs of two well-known projects (Gateway API, cert-manager) beside this repository
SHARED_CRDS = Path(__file__).resolve().parents[2] / "shared" / "crds"
#: downloads and installs the benchmarks need (swagger-ui-dist); outside the repo, kept between runs
CACHE = Path(os.environ.get("WEBEXPLORER_BENCH_CACHE", Path.home() / ".cache" / "webexplorer" / "bench"))

#: The page mix of the render and large-cluster benchmarks: one URL of each page family a person opens
#: while browsing, each with real work behind it (the deep schema opens a tree four levels down).
PAGE_MIX: dict[str, str] = {
    "home": "/",
    "group": "/g/apps",
    "resource": "/g/apps/v1/deployments",
    "operation": "/op/core/v1/createCoreV1NamespacedPod",
    "deep schema": "/schema/apps/v1/Deployment/spec.template.spec.containers",
    "search": "/search?q=deploy",
}


def progress(message: str) -> None:
    """Progress on stderr, so a long run never looks hung and stdout keeps only the table."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------- explorer


def wait_ready(explorer: ExplorerProcess, path: str = "/readyz", timeout: float = 60.0) -> float:
    """Poll until ``path`` answers 200; return the seconds since the call."""
    return wait_answers(explorer, path, timeout=timeout, poll=0.005)


@contextlib.contextmanager
def running_explorer(
    args: Sequence[str], log: Path, env: dict[str, str] | None = None, warm: Sequence[str] = ()
) -> Iterator[ExplorerProcess]:
    """A ready explorer for the duration of the block; ``warm`` paths are fetched once first, so lazy
    documents (an OpenAPI v3 group-version) are loaded before anything is timed."""
    explorer = spawn_explorer(args, log, env)
    try:
        wait_ready(explorer)
        with httpx.Client(base_url=explorer.url, timeout=30) as client:
            for path in warm:
                client.get(path).raise_for_status()
        yield explorer
    finally:
        explorer.stop()


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` now, from ``/proc`` (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# ---------------------------------------------------------------------------------------- CRDs


def crd_manifest(group: str, kind: str, fields: int = 50) -> dict[str, Any]:
    """A namespaced CRD whose schema has about ``fields`` properties of every common shape.

    Real operators' CRDs are like this: strings with descriptions and enums, numbers with bounds, maps,
    lists of objects, a nested object or two, and a status. Deterministic, so runs are comparable.
    """
    plural = kind.lower() + "s"
    spec: dict[str, Any] = {}
    for i in range(fields - 10):
        name = f"field{i:02d}"
        shape = i % 6
        if shape == 0:
            spec[name] = {
                "type": "string",
                "description": f"The {name} setting of a {kind}, as a person writes it.",
            }
        elif shape == 1:
            spec[name] = {"type": "integer", "format": "int32", "minimum": 0, "maximum": 65535}
        elif shape == 2:
            spec[name] = {"type": "boolean", "default": False}
        elif shape == 3:
            spec[name] = {"type": "string", "enum": ["Always", "Never", "IfNotPresent"]}
        elif shape == 4:
            spec[name] = {"type": "object", "additionalProperties": {"type": "string"}}
        else:
            spec[name] = {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
                },
            }
    status: dict[str, Any] = {f"status{i}": {"type": "string"} for i in range(8)}
    status["conditions"] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {k: {"type": "string"} for k in ("type", "status", "reason", "message")},
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": f"{kind}List"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": f"{kind} is a benchmark resource with a realistic schema.",
                            "properties": {
                                "spec": {"type": "object", "properties": spec},
                                "status": {"type": "object", "properties": status},
                            },
                        }
                    },
                }
            ],
        },
    }


def crd_name(index: int, per_group: int = 10) -> tuple[str, str]:
    """(group, kind) of the ``index``-th generated CRD: ten kinds per group, as operators ship them."""
    return f"bench{index // per_group:03d}.example.com", f"Widget{index:04d}"


CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def install_crds(cp: ControlPlane, count: int, start: int = 0, threads: int = 4) -> float:
    """Create ``count`` CRDs and wait until every one is Established; return the seconds taken."""
    started = time.perf_counter()
    names = [crd_name(i) for i in range(start, start + count)]

    def create(name: tuple[str, str]) -> None:
        with cp.client(timeout=60) as client:
            response = client.post(CRDS, json=crd_manifest(*name))
            if response.status_code not in (201, 409):
                raise RuntimeError(f"creating CRD {name}: {response.status_code} {response.text[:300]}")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(create, names))
    with cp.client(timeout=60) as client:

        def established() -> bool:
            items = client.get(CRDS).json()["items"]
            done = {
                (i["spec"]["group"], i["spec"]["names"]["kind"])
                for i in items
                if any(
                    c["type"] == "Established" and c["status"] == "True"
                    for c in (i.get("status") or {}).get("conditions") or []
                )
            }
            return set(names) <= done

        wait_until(established, timeout=600, interval=0.5, what=f"{count} CRDs established")
    return time.perf_counter() - started


def wait_ok(client: httpx.Client, path: str, timeout: float = 180.0) -> float:
    """Ask for ``path`` until it answers 200 (a new CRD's pages answer 503 until the API server publishes
    its document, a little after discovery lists it); the seconds the 200 answer took."""
    deadline = time.monotonic() + timeout
    while True:
        started = time.perf_counter()
        r = client.get(path)
        if r.status_code == 200:
            return time.perf_counter() - started
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not answer 200 within {timeout:.0f} s ({r.status_code})")
        time.sleep(0.5)


def install_shared_crds(cp: ControlPlane) -> None:
    """Apply every CRD of :data:`SHARED_CRDS` (server-side: again is a no-op), not their policies."""
    files = sorted(p for p in SHARED_CRDS.glob("*/*.yaml") if "_vap_" not in p.name)
    if not files:
        raise RuntimeError(f"no CRDs in {SHARED_CRDS}")
    args = [str(cp.kubectl), f"--kubeconfig={cp.kubeconfig}", "apply", "--server-side"]
    subprocess.run([*args, *(f"-f{f}" for f in files)], check=True, capture_output=True, timeout=300)


def in_discovery(client: httpx.Client, group: str) -> bool:
    """Whether the API server's aggregated discovery lists ``group`` (what ``kubectl`` sees)."""
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    body = client.get("/apis", headers={"Accept": accept}).json()
    return any(item["metadata"]["name"] == group for item in body.get("items", []))


# ---------------------------------------------------------------------------------------- statistics


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


def timed_gets(client: httpx.Client, paths: Sequence[str], rounds: int) -> dict[str, list[float]]:
    """Closed-loop GETs of each path, interleaved ``rounds`` times; seconds per request, by path."""
    times: dict[str, list[float]] = {p: [] for p in paths}
    for _ in range(rounds):
        for path in paths:
            started = time.perf_counter()
            response = client.get(path)
            times[path].append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code}")
    return times


# ---------------------------------------------------------------------------------------- load (wrk)

_WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.stderr:write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"bytes":%%d,"status_errors":%%d,"socket_errors":%%d,' ..
    '"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"max_us":%%d,"mean_us":%%f}\\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def ensure_wrk() -> str:
    """The ``wrk`` load generator (Debian's package), installed with apt-get when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        progress("installing wrk (apt-get install wrk)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL
        )
        found = shutil.which("wrk")
    if not found:
        raise RuntimeError("the render benchmarks need wrk: apt-get install wrk")
    return found


def wrk(url: str, paths: Sequence[str], *, seconds: float, connections: int, workdir: Path) -> dict[str, Any]:
    """Load ``url`` with ``paths`` in turn over ``connections`` keep-alive connections (one wrk thread,
    so the other core serves); returns pages/s, latency percentiles in ms and error counts."""
    script = workdir / "mix.lua"
    script.write_text(_WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
    proc = subprocess.run(
        [
            ensure_wrk(),
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line.removeprefix("WRKJSON "))
    return {
        "connections": connections,
        "seconds": raw["duration_us"] / 1e6,
        "requests": raw["requests"],
        "pages_per_s": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": raw["status_errors"] + raw["socket_errors"],
    }


# ---------------------------------------------------------------------------------------- reporting


@dataclass
class Target:
    """One figure against its target, for the closing table (``met`` is None where it is only shown)."""

    figure: str
    measured: str
    target: str
    met: bool | None

    def row(self) -> list[str]:
        verdict = "—" if self.met is None else ("yes" if self.met else "NO")
        return [self.figure, self.measured, self.target, verdict]


@dataclass
class Result:
    """What a benchmark's ``run`` returns: its own tables, the figures against targets and raw data."""

    tables: list[tuple[list[str], list[list[object]]]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def save(name: str, data: dict[str, Any], directory: Path = RESULTS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(name: str, result: Result, *, command: str, started: float, quick: bool, out: Path) -> Path:
    """Print the benchmark's tables and its figures against targets; save everything as JSON."""
    for header, rows in result.tables:
        print(table(rows, header))
        print()
    print(table([t.row() for t in result.targets], ["figure", "measured", "target", "met"]))
    path = save(
        name,
        {
            "benchmark": name,
            "command": command,
            "quick": quick,
            "finished": datetime.now(UTC).isoformat(),
            "seconds": time.perf_counter() - started,
            "machine": machine(),
            "targets": [t.__dict__ for t in result.targets],
            "tables": [{"header": h, "rows": r} for h, r in result.tables],
            "data": result.data,
        },
        out,
    )
    print(f"JSON: {path}")
    return path


Run = Callable[[ControlPlane, Path, argparse.Namespace], Result]


def options(
    add_arguments: Callable[[argparse.ArgumentParser], None],
    argv: Sequence[str] | None = None,
    doc: str | None = None,
) -> argparse.Namespace:
    """A benchmark's options: ``--quick`` plus its own (the quick test builds them the same way)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny counts: proves the benchmark works")
    add_arguments(parser)
    return parser.parse_args(argv)


def bench_main(
    name: str, doc: str | None, run: Run, add_arguments: Callable[[argparse.ArgumentParser], None]
) -> None:
    """The one command of a benchmark: parse flags, start a control plane, run, report.

    ``--quick`` proves the benchmark works in seconds (tiny counts); its JSON goes to
    ``bench/results/quick/`` so it never replaces the figures of a full run in ``bench/results/``.
    """
    opts = options(add_arguments, doc=doc)
    started = time.perf_counter()
    load = os.getloadavg()[0]
    if not opts.quick and load > 1.5:
        progress(f"warning: load average {load:.2f} > 1.5; figures from a busy machine are noisy")
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp, ControlPlane(log=progress) as cp:
        result = run(cp, Path(tmp), opts)
        command = " ".join(["python -m", f"bench.{name}", *sys.argv[1:]])
        report(name, result, command=command, started=started, quick=opts.quick, out=out_dir(opts.quick))


def out_dir(quick: bool) -> Path:
    """Where a run's JSON goes: quick runs apart, so they never replace the figures of a full run."""
    return RESULTS / "quick" if quick else RESULTS


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def page_mix(
    url: str, workdir: Path, *, seconds: float, rounds: int, paths: dict[str, str] = PAGE_MIX
) -> dict[str, Any]:
    """The page mix three ways: each page alone (closed loop, ``rounds`` each, by page), then ``wrk``
    over the whole mix with one connection (latency: a visitor's page on an explorer that is not
    saturated) and with eight (throughput: pages per second at saturation, and the latency then)."""
    with httpx.Client(base_url=url, timeout=30) as client:
        by_page = timed_gets(client, list(paths.values()), rounds)
    pages = {name: summary(by_page[path]) for name, path in paths.items()}
    single = wrk(url, list(paths.values()), seconds=seconds, connections=1, workdir=workdir)
    loaded = wrk(url, list(paths.values()), seconds=seconds, connections=8, workdir=workdir)
    return {"pages": pages, "wrk_1": single, "wrk_8": loaded}


def page_mix_rows(label: str, mix: dict[str, Any]) -> list[list[object]]:
    """Rows for the page-mix table: each page's median and p99, then the two wrk runs."""
    rows: list[list[object]] = [
        [label, name, s["n"], f"{s['median'] * 1000:.2f}", f"{s['p99'] * 1000:.2f}", ""]
        for name, s in mix["pages"].items()
    ]
    for key, name in (("wrk_1", "mix, wrk 1 connection"), ("wrk_8", "mix, wrk 8 connections")):
        w = mix[key]
        rows.append(
            [
                label,
                name,
                w["requests"],
                f"{w['p50_ms']:.2f}",
                f"{w['p99_ms']:.2f}",
                f"{w['pages_per_s']:.0f}",
            ]
        )
    return rows


PAGE_MIX_HEADER = ["cluster", "page", "requests", "p50 ms", "p99 ms", "pages/s"]


def wait_for_group(explorer_url: str, group: str, timeout: float = 180.0, interval: float = 0.05) -> float:
    """Poll the explorer until its group page for ``group`` answers 200; return the seconds waited."""
    started = time.perf_counter()
    with httpx.Client(base_url=explorer_url, timeout=10) as client:
        while time.perf_counter() - started < timeout:
            if client.get(f"/g/{group}").status_code == 200:
                return time.perf_counter() - started
            time.sleep(interval)
    raise TimeoutError(f"the explorer did not show {group} within {timeout:.0f} s")


class Prober:
    """A background visitor: one GET of ``path`` every ``interval`` seconds, each one timed.

    Used to tell whether something (a catalog refresh, an API server restart) ever holds pages up:
    its slowest request during the event, against its own figures before.
    """

    def __init__(self, url: str, path: str = "/", interval: float = 0.05) -> None:
        import threading

        self.url, self.path, self.interval = url, path, interval
        self.samples: list[tuple[float, float, int]] = []  # (perf_counter at start, seconds, status)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-prober", daemon=True)

    def _loop(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    status = client.get(self.path).status_code
                except httpx.HTTPError:
                    status = 0
                self.samples.append((started, time.perf_counter() - started, status))
                self._stop.wait(self.interval)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=35)

    def between(self, start: float, end: float) -> list[float]:
        """Latencies (s) of the probes that started in [start, end)."""
        return [s for t, s, _ in self.samples if start <= t < end]


class RssSampler(Prober):
    """Peak resident memory of a process, sampled every ``interval`` seconds in the background."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        super().__init__("", interval=interval)
        self.pid = pid
        self.peak = 0

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            self._stop.wait(self.interval)


def wait_indexed(explorer_url: str, timeout: float = 180.0) -> float:
    """Wait until the explorer's search index of its current catalog is built (its search page stops
    saying "fields index building…"): after a catalog swap the explorer reads and walks every document
    in the background, and a figure of the new cluster should not be one of that minute."""
    started = time.perf_counter()
    with httpx.Client(base_url=explorer_url, timeout=30) as client:
        while time.perf_counter() - started < timeout:
            if "fields index" not in client.get("/search", params={"q": "metadata"}).text:
                return time.perf_counter() - started
            time.sleep(0.2)
    raise TimeoutError(f"the explorer's search index was not built within {timeout:.0f} s")
