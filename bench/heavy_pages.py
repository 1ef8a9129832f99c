"""The heaviest schema pages, beside the Pod page: part of ``python -m bench.render``.

With the Gateway API and cert-manager CRDs (``../shared/crds/``) installed, the largest CRD kind is the
one whose stored schema has the most fields; its one-level page and its whole tree (``?recursive=1``,
the outline of web/outline.py) are timed next to Pod's two. The explorer runs with ``--page-cache-mib
0``, so every request builds its page (with the cache, a later view is the cached content in the page
shell); the first view after start-up is reported apart (it reads the documents from the API server
and computes each field's facts, which the schema set keeps). Chromium's time is the shared probe of
``bench.browser``: from navigation start until the page's footer — after the whole tree — has a
layout box and a frame was drawn, in a fresh context each time (empty cache), median of ``--views``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from bench._common import (
    Target,
    install_shared_crds,
    progress,
    running_explorer,
    summary,
    timed_gets,
    wait_indexed,
    wait_ok,
)
from bench.browser import View, measure_round, open_browser
from webexplorer.sandbox.controlplane import ControlPlane

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
POD = "/schema/core/v1/Pod"
#: what "shown" waits for: the footer comes after the whole tree in the document
SHOWN = "footer.foot"
#: "within a few times the one-level page" (issue 12), for server time and for Chromium's
FEW_TIMES = 5.0


def _fields(schema: object) -> int:
    """How many fields a CRD schema has, all levels down (array items and map values included)."""
    if not isinstance(schema, dict):
        return 0
    count = 0
    for sub in (schema.get("properties") or {}).values():
        count += 1 + _fields(sub)
    for key in ("items", "additionalProperties"):
        count += _fields(schema.get(key))
    return count


def largest_kind(cp: ControlPlane) -> tuple[str, str, str, int]:
    """(group, version, kind, fields) of the installed CRD whose stored version has the most fields."""
    with cp.client() as admin:
        crds = admin.get(CRDS).raise_for_status().json()["items"]
    best: tuple[str, str, str, int] | None = None
    for crd in crds:
        for v in crd["spec"]["versions"]:
            if not v.get("storage"):
                continue
            n = _fields(v.get("schema", {}).get("openAPIV3Schema"))
            if best is None or n > best[3]:
                best = (crd["spec"]["group"], v["name"], crd["spec"]["names"]["kind"], n)
    if best is None:
        raise RuntimeError("no CRDs are installed")
    return best


def measure(cp: ControlPlane, workdir: Path, *, rounds: int, views: int) -> dict[str, Any]:
    """The figures of the four pages: first view, p50/p99 of ``rounds`` builds, bytes, Chromium."""
    progress("heaviest pages: installing the Gateway API and cert-manager CRDs")
    install_shared_crds(cp)
    group, version, kind, fields = largest_kind(cp)
    base = f"/schema/{group}/{version}/{kind}"
    pages = {
        "Pod, one level": POD,
        "Pod, whole tree": f"{POD}?recursive=1",
        f"{kind}, one level": base,
        f"{kind}, whole tree": f"{base}?recursive=1",
    }
    args = ["--kubeconfig", str(cp.kubeconfig), "--page-cache-mib", "0"]
    with (
        running_explorer(args, workdir / "heavy.log") as explorer,
        httpx.Client(base_url=explorer.url, timeout=120) as client,
    ):
        first = {name: wait_ok(client, path) for name, path in pages.items()}
        wait_indexed(explorer.url)  # the search index is built on the event loop: not while timing
        answers = {name: client.get(path) for name, path in pages.items()}
        progress(f"heaviest pages: {rounds} rounds each, then {views} Chromium views each")
        times = timed_gets(client, list(pages.values()), rounds)
        urls = {name: (explorer.url + path, SHOWN) for name, path in pages.items()}
        shown: dict[str, list[View]] = {name: [] for name in pages}
        with open_browser() as browser:
            measure_round(browser, urls, 1, None, None)  # unmeasured: Chromium's own warm-up
            measure_round(browser, urls, views, shown, None)
    return {
        "kind": {"group": group, "version": version, "kind": kind, "fields": fields},
        "pages": {
            name: {
                "path": path,
                "first_s": first[name],
                "server": summary(times[path]),
                "bytes": len(answers[name].content),
                "field_rows": answers[name].text.count('<li id="'),
                "chromium_ms": summary([v.usable_ms for v in shown[name]]),
            }
            for name, path in pages.items()
        },
    }


HEADER = ["page", "first view ms", "p50 ms", "p99 ms", "KiB", "field rows", "Chromium shown ms"]


def table_rows(heavy: dict[str, Any]) -> list[list[object]]:
    return [
        [
            name,
            f"{p['first_s'] * 1000:.1f}",
            f"{p['server']['median'] * 1000:.2f}",
            f"{p['server']['p99'] * 1000:.2f}",
            f"{p['bytes'] / 1024:.0f}",
            p["field_rows"],
            f"{p['chromium_ms']['median']:.0f}",
        ]
        for name, p in heavy["pages"].items()
    ]


def targets(heavy: dict[str, Any]) -> list[Target]:
    """Whole tree / one level, server p50 and Chromium median, for Pod and for the largest CRD kind."""
    pages = heavy["pages"]
    out = []
    for kind in ("Pod", heavy["kind"]["kind"]):
        one, whole = pages[f"{kind}, one level"], pages[f"{kind}, whole tree"]
        server = whole["server"]["median"] / one["server"]["median"]
        browser = whole["chromium_ms"]["median"] / one["chromium_ms"]["median"]
        out.append(
            Target(
                f"{kind} whole tree / one level, server p50",
                f"{server:.1f}×",
                f"≤ {FEW_TIMES:g}×",
                server <= FEW_TIMES,
            )
        )
        out.append(
            Target(
                f"{kind} whole tree / one level, Chromium shown",
                f"{browser:.1f}×",
                f"≤ {FEW_TIMES:g}×",
                browser <= FEW_TIMES,
            )
        )
    return out
