"""Schema pages with every fact the server enforces (issue 12), against the same pages before them.

    python -m bench.schema_facts [--rounds 100] [--before REV] [--quick]

Two explorers on one control plane with the Gateway API and cert-manager CRDs (``../shared/crds/``)
installed: this tree, and ``--before`` (default: the commit before ``catalog/fieldfacts.py`` was added)
checked out with ``git worktree`` into the run's temporary directory, each ``--page-cache-mib 0`` so
every request builds its page (the cost facts add; with the cache, later views are the shell only).
Requests to the two alternate, ``--rounds`` per page; figures are medians, p99 and the ratio of the
medians. The heaviest new views (the largest CRD kind's whole tree as text and as JSON) are timed too,
next to the Pod page. The machine is shared: compare within a run.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

import httpx

from bench._common import (
    Result,
    Target,
    bench_main,
    install_shared_crds,
    progress,
    running_explorer,
    summary,
    wait_ok,
)
from webexplorer.sandbox.controlplane import ControlPlane

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "Pod (one level)": "/schema/core/v1/Pod",
    "Pod spec.containers": "/schema/core/v1/Pod/spec.containers",
    "HTTPRoute spec.rules": "/schema/gateway.networking.k8s.io/v1/HTTPRoute/spec.rules",
    "Certificate spec": "/schema/cert-manager.io/v1/Certificate/spec",
}
#: views only the new tree has: the largest kind of the installed CRDs, whole, as text and as JSON
NEW_VIEWS = {
    "HTTPRoute whole tree, text": "/schema/gateway.networking.k8s.io/v1/HTTPRoute?format=text&recursive=1",
    "HTTPRoute whole tree, JSON": "/schema/gateway.networking.k8s.io/v1/HTTPRoute?format=json&recursive=1",
    "Pod whole tree, text": "/schema/core/v1/Pod?format=text&recursive=1",
}
#: what facts may cost on an uncached page build: a page a person opens stays interactive well below this
RATIO_TARGET = 3.0


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def default_before() -> str:
    """The commit before the one that added ``catalog/fieldfacts.py``."""
    added = _git(
        "log", "--diff-filter=A", "--format=%H", "--", "webexplorer/catalog/fieldfacts.py"
    ).splitlines()
    return _git("rev-parse", f"{added[-1]}^")


def _tree_env(tree: Path) -> dict[str, str]:
    """Run ``python -m webexplorer`` from ``tree``: first on the path, and the working directory (this
    checkout, for ``-m``) not put before it (``PYTHONSAFEPATH``, Python 3.11+)."""
    return {"PYTHONPATH": str(tree), "PYTHONSAFEPATH": "1"}


def _timed(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    r = client.get(path)
    elapsed = time.perf_counter() - started
    r.raise_for_status()
    return elapsed


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    rounds = 3 if opts.quick else opts.rounds
    before_rev = opts.before or default_before()
    before_tree = workdir / "before"
    _git("worktree", "add", "--detach", str(before_tree), before_rev)
    try:
        progress("installing the Gateway API and cert-manager CRDs")
        install_shared_crds(cp)
        args = ["--kubeconfig", str(cp.kubeconfig), "--page-cache-mib", "0"]
        with (
            running_explorer(args, workdir / "after.log", env=_tree_env(ROOT)) as after,
            running_explorer(args, workdir / "before.log", env=_tree_env(before_tree)) as before,
            httpx.Client(base_url=after.url, timeout=120) as a,
            httpx.Client(base_url=before.url, timeout=120) as b,
        ):
            for path in PAGES.values():  # documents loaded and the CRDs published before timing
                wait_ok(a, path)
                wait_ok(b, path)
            # each explorer runs its own tree: only the new one lists facts
            if "fact-list" not in a.get(PAGES["HTTPRoute spec.rules"]).text:
                raise RuntimeError("the explorer of this tree shows no facts")
            if "fact-list" in b.get(PAGES["HTTPRoute spec.rules"]).text:
                raise RuntimeError(f"the explorer of {before_rev} shows facts: it is not running that tree")
            progress(f"{rounds} rounds per page, alternating before/after")
            times: dict[str, dict[str, list[float]]] = {name: {"before": [], "after": []} for name in PAGES}
            for _ in range(rounds):
                for name, path in PAGES.items():
                    times[name]["before"].append(_timed(b, path))
                    times[name]["after"].append(_timed(a, path))
            new_views = {
                name: [_timed(a, path) for _ in range(max(3, rounds // 10))]
                for name, path in NEW_VIEWS.items()
            }
            sizes = {name: len(a.get(path).content) for name, path in {**PAGES, **NEW_VIEWS}.items()}
    finally:
        _git("worktree", "remove", "--force", str(before_tree))
    rows: list[list[object]] = []
    ratios = []
    data: dict[str, object] = {"before": before_rev, "rounds": rounds}
    for name, t in times.items():
        sb, sa = summary(t["before"]), summary(t["after"])
        ratio = sa["median"] / sb["median"]
        ratios.append(ratio)
        rows.append(
            [
                name,
                f"{sb['median'] * 1000:.1f}",
                f"{sa['median'] * 1000:.1f}",
                f"{ratio:.2f}×",
                f"{sb['p99'] * 1000:.1f} / {sa['p99'] * 1000:.1f}",
                f"{sizes[name] / 1024:.0f}",
            ]
        )
        data[name] = {"before": sb, "after": sa, "ratio": ratio, "bytes": sizes[name]}
    new_rows: list[list[object]] = []
    for name, values in new_views.items():
        s = summary(values)
        new_rows.append(
            [name, f"{s['median'] * 1000:.0f}", f"{s['p99'] * 1000:.0f}", f"{sizes[name] / 1024:.0f}"]
        )
        data[name] = {"after": s, "bytes": sizes[name]}
    worst = max(ratios)
    return Result(
        tables=[
            (
                [
                    "page (uncached build)",
                    "before p50 ms",
                    "with facts p50 ms",
                    "ratio",
                    "p99 ms before / after",
                    "KiB",
                ],
                rows,
            ),
            (["new view", "p50 ms", "p99 ms", "KiB"], new_rows),
        ],
        targets=[
            Target(
                "schema page with facts / before (worst p50 ratio)",
                f"{worst:.2f}×",
                f"≤ {RATIO_TARGET:g}×",
                worst <= RATIO_TARGET,
            ),
        ],
        data=data,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=100, help="requests per page and side (default 100)")
    parser.add_argument(
        "--before", default=None, help="the tree to compare with (default: before fieldfacts.py)"
    )


def main() -> None:
    bench_main("schema_facts", __doc__, run, add_arguments)


if __name__ == "__main__":
    main()
