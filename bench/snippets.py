"""Operation pages with the client-library snippets against the same pages without them.

    python -m bench.snippets [--rounds 20] [--quick]

Two explorer processes on the same control plane, one as shipped and one started with
``--no-client-snippets`` (the curl, kubectl and plain-HTTP tabs stay). Each serves a mix of operation
pages (every verb, subresources, a cluster-scoped kind); the GETs alternate between the two, so noise
hits both. Two regimes: with the page cache off (``--page-cache-mib 0``: every GET renders the content,
snippets included: the cost a first visit pays) and with the default cache (what every later visit
pays: the kept content). Figures: medians and the ratio with/without.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx

from bench._common import Result, Target, bench_main, progress, running_explorer, summary
from webexplorer.sandbox.controlplane import ControlPlane

PAGES = [
    "/op/core/v1/readCoreV1NamespacedConfigMap",
    "/op/core/v1/listCoreV1NamespacedPod",
    "/op/core/v1/createCoreV1NamespacedConfigMap",
    "/op/core/v1/replaceCoreV1NamespacedService",
    "/op/core/v1/patchCoreV1NamespacedPod",
    "/op/core/v1/deleteCoreV1NamespacedSecret",
    "/op/core/v1/deleteCoreV1CollectionNamespacedConfigMap",
    "/op/core/v1/readCoreV1NamespacedPodLog",
    "/op/core/v1/patchCoreV1NamespacedServiceStatus",
    "/op/core/v1/watchCoreV1NamespacedConfigMapList",
    "/op/apps/v1/readAppsV1NamespacedDeploymentScale",
    "/op/apps/v1/patchAppsV1NamespacedDeployment",
    "/op/rbac.authorization.k8s.io/v1/listRbacAuthorizationV1ClusterRole",
    "/op/batch/v1/createBatchV1NamespacedJob",
]
#: a budget, not a promise: the snippets should not make a first visit more than 1.5 times slower
RATIO_LIMIT = 1.5


def _time(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    return elapsed


def _measure(
    cp: ControlPlane, workdir: Path, rounds: int, cache: list[str], label: str
) -> tuple[dict[str, float], dict[str, float]]:
    base = ["--kubeconfig", str(cp.kubeconfig), *cache]
    on: list[float] = []
    off: list[float] = []
    with (
        running_explorer(base, workdir / f"with-{label}.log", warm=PAGES) as with_snippets,
        running_explorer(
            [*base, "--no-client-snippets"], workdir / f"without-{label}.log", warm=PAGES
        ) as without,
        httpx.Client(base_url=with_snippets.url, timeout=30) as a,
        httpx.Client(base_url=without.url, timeout=30) as b,
    ):
        for _ in range(2):  # connections and every page's document, before timing
            for path in PAGES:
                _time(a, path)
                _time(b, path)
        progress(f"{label}: {rounds} rounds of {len(PAGES)} operation pages each way, alternating")
        for _ in range(rounds):
            for path in PAGES:
                on.append(_time(a, path))
                off.append(_time(b, path))
    return summary(on), summary(off)


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    rounds = 1 if opts.quick else opts.rounds
    rows: list[list[object]] = []
    data: dict[str, object] = {"pages": PAGES}
    ratios: dict[str, float] = {}
    for label, cache in (("page cache off", ["--page-cache-mib", "0"]), ("page cache on", [])):
        on, off = _measure(cp, workdir, rounds, cache, label.replace(" ", "-"))
        ratio = on["median"] / off["median"]
        ratios[label] = ratio
        rows.append(
            [label, on["n"], f"{on['median'] * 1000:.2f}", f"{off['median'] * 1000:.2f}", f"{ratio:.2f}"]
        )
        data[label] = {"with": on, "without": off}
    cold = ratios["page cache off"]
    return Result(
        tables=[(["operation pages", "GETs each", "with p50 ms", "without p50 ms", "ratio"], rows)],
        targets=[
            Target(
                "first visit (rendered), with/without",
                f"{cold:.2f}×",
                f"≤ {RATIO_LIMIT:g}×",
                cold <= RATIO_LIMIT,
            ),
            Target(
                "later visits (kept content), with/without", f"{ratios['page cache on']:.2f}×", "shown", None
            ),
        ],
        data=data,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=20, help="rounds over the pages each way (default 20)")


def main() -> None:
    bench_main("snippets", __doc__, run, add_arguments)


if __name__ == "__main__":
    main()
