"""Writes that work the first time (issue 14): what the starting bodies, the body check and the preview
add, each against the request a person would otherwise send themselves.

    python -m bench.tryout_writes [--requests 200] [--quick]

1. **Starting bodies**: the time to derive the starting body of every creatable kind (schema walk,
   constraint values, the server-rule data), and the full one (every optional field as a comment, its
   schema facts read cold), in process, from the explorer's own catalog code over the embedded
   snapshot — the cost a create form pays once per page.
2. **The body check** (validation as you type): one check of a Deployment body through the explorer
   (``POST …/check``, the debounced htmx post of the editor, answered with the findings fragment) against
   the same Strict dry-run POST sent directly with httpx. Alternating; the figure is the difference of
   the medians. Target ≤ 5 ms at p50.
3. **Preview changes**: a replica-count merge patch previewed through the explorer (the dry run, the read
   of the live object, the diff, the result panel) against the two requests it makes, sent directly.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from pathlib import Path

import httpx
import yaml

from bench._common import Result, Target, bench_main, progress, running_explorer, summary
from webexplorer.catalog import CatalogError, build_catalog
from webexplorer.catalog.snapshot import SnapshotSource, embedded_snapshot_path
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.tryout import nodefacts
from webexplorer.tryout.fullbody import full_body
from webexplorer.tryout.skeleton import skeleton

CHECK_ADDED_MS = 5.0
SKELETON_P50_MS = 5.0
NAMESPACE = "default"
NAME = "bench-writes"
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments"
CREATE = "/try/apps/v1/createAppsV1NamespacedDeployment"
PATCH = "/try/apps/v1/patchAppsV1NamespacedDeployment"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "HX-Request": "true"}


def deployment(name: str) -> dict[str, object]:
    """A small valid Deployment (one pause container); the writes tests use it too."""
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "a", "image": "registry.k8s.io/pause:3.10"}]},
            },
        },
    }


async def skeleton_times() -> tuple[list[float], list[float]]:
    """Seconds to derive each creatable kind's minimal and full starting body (the snapshot's kinds;
    the facts cache emptied first, so the full bodies are read cold, as after a start)."""
    catalog = await build_catalog(SnapshotSource(embedded_snapshot_path()), openapi="v3")
    kinds = [r for r in catalog.resources() if "create" in r.verbs]
    found = []
    for r in kinds:
        try:
            found.append((r, *(await catalog.kind_definition(r.kind))))
        except CatalogError:  # a kind without a schema has no starting body to time
            continue
    nodefacts.clear_cache()
    minimal: list[float] = []
    full: list[float] = []
    for r, schemas, definition in found:
        started = time.perf_counter()
        start = skeleton(schemas, definition, r.kind, namespace="default" if r.namespaced else None)
        minimal.append(time.perf_counter() - started)
        started = time.perf_counter()
        full_body(schemas, definition, start.value)
        full.append(time.perf_counter() - started)
    return minimal, full


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    count = 5 if opts.quick else opts.requests
    progress("starting bodies of every creatable kind")
    body_times, full_times = asyncio.run(skeleton_times())
    bodies, fulls = summary(body_times), summary(full_times)
    body_text = yaml.safe_dump(deployment(NAME + "-new"), sort_keys=False)
    with cp.client() as admin:
        admin.delete(f"{DEPLOYMENTS}/{NAME}")
        admin.post(DEPLOYMENTS, json=deployment(NAME)).raise_for_status()
    series: dict[str, list[float]] = {
        "check": [],
        "direct dry run": [],
        "preview": [],
        "direct patch+get": [],
    }
    args = ["--kubeconfig", str(cp.kubeconfig)]
    with (
        running_explorer(args, workdir / "explorer.log") as explorer,
        httpx.Client(base_url=explorer.url, timeout=30) as client,
        cp.client() as api,
    ):
        found = CSRF.search(client.get(CREATE).text)
        if found is None:
            raise RuntimeError(f"no CSRF token in {CREATE}")
        check_fields = {"csrf": found.group(1), "p.namespace": NAMESPACE, "body": body_text}
        preview_fields = {
            "csrf": found.group(1),
            "p.namespace": NAMESPACE,
            "p.name": NAME,
            "q.fieldManager": "webexplorer",
            "patch_type": "application/merge-patch+json",
            "body": "spec:\n  replicas: 3\n",
            "preview": "1",
        }
        merge = {"Content-Type": "application/merge-patch+json"}

        def check() -> None:
            r = client.post(f"{CREATE}/check", data=check_fields, headers=SAME_ORIGIN)
            if "accepts this body" not in r.text:
                raise RuntimeError(f"the check answered {r.status_code}: {r.text[:300]}")

        def direct_check() -> None:
            params = {"dryRun": "All", "fieldValidation": "Strict"}
            api.post(DEPLOYMENTS, params=params, json=deployment(NAME + "-new")).raise_for_status()

        def preview() -> None:
            r = client.post(PATCH, data=preview_fields, headers=SAME_ORIGIN)
            if "+  replicas: 3" not in r.text:
                raise RuntimeError(f"the preview answered {r.status_code}: {r.text[:300]}")

        def direct_preview() -> None:
            params = {"dryRun": "All", "fieldManager": "webexplorer"}
            body = b'{"spec":{"replicas":3}}'
            api.patch(f"{DEPLOYMENTS}/{NAME}", params=params, content=body, headers=merge).raise_for_status()
            api.get(f"{DEPLOYMENTS}/{NAME}").raise_for_status()

        steps = {
            "check": check,
            "direct dry run": direct_check,
            "preview": preview,
            "direct patch+get": direct_preview,
        }
        for step in steps.values():  # connections, TLS sessions and the operations' documents first
            step()
            step()
        progress(f"{count} of each request, alternating")
        for _ in range(count):
            for name, step in steps.items():
                started = time.perf_counter()
                step()
                series[name].append(time.perf_counter() - started)
    with cp.client() as admin:
        admin.delete(f"{DEPLOYMENTS}/{NAME}")
    stats = {name: summary(values) for name, values in series.items()}
    check_added = (stats["check"]["median"] - stats["direct dry run"]["median"]) * 1000
    preview_added = (stats["preview"]["median"] - stats["direct patch+get"]["median"]) * 1000
    rows: list[list[object]] = [
        [name, s["n"], f"{s['median'] * 1000:.2f}", f"{s['p99'] * 1000:.2f}"] for name, s in stats.items()
    ]
    rows.insert(
        0,
        [
            "starting body, one kind",
            bodies["n"],
            f"{bodies['median'] * 1000:.2f}",
            f"{bodies['p99'] * 1000:.2f}",
        ],
    )
    total_ms = sum(body_times) * 1000
    rows.insert(
        1,
        [
            "full starting body, one kind (cold)",
            fulls["n"],
            f"{fulls['median'] * 1000:.2f}",
            f"{fulls['p99'] * 1000:.2f}",
        ],
    )
    body_p50 = bodies["median"] * 1000
    return Result(
        tables=[(["what", "n", "p50 ms", "p99 ms"], rows)],
        targets=[
            Target(
                "starting body of one kind, p50",
                f"{body_p50:.2f} ms",
                f"≤ {SKELETON_P50_MS:g} ms",
                body_p50 <= SKELETON_P50_MS,
            ),
            Target("starting bodies of every creatable kind", f"{total_ms:.0f} ms", "—", None),
            Target(
                "full starting body of one kind (cold), p50", f"{fulls['median'] * 1000:.1f} ms", "—", None
            ),
            Target(
                "body check added at p50",
                f"{check_added:.2f} ms",
                f"≤ {CHECK_ADDED_MS:g} ms",
                check_added <= CHECK_ADDED_MS,
            ),
            Target("Preview changes added at p50", f"{preview_added:.2f} ms", "—", None),
        ],
        data={"starting_bodies": bodies, "full_bodies": fulls, "starting_bodies_total_ms": total_ms, **stats},
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind (default 200)")


def main() -> None:
    bench_main("tryout_writes", __doc__, run, add_arguments)


if __name__ == "__main__":
    main()
