"""The first view: how long until a person sees the Pod "create" operation's parameters, and how many bytes.

    python -m bench.browser [--runs 5] [--crds 300] [--quick]

Headless Chromium (Debian's, through Playwright) opens, in a fresh browser context each time:

- **webexplorer**: ``/op/core/v1/createCoreV1NamespacedPod`` on a live explorer (kubeconfig mode);
- **Swagger UI 5** (``swagger-ui-dist`` from npm, installed on first use into the bench cache), served
  from a local static server on the same origin as a proxied ``/openapi/v2`` of the same control plane,
  deep-linked to ``#/core_v1/createCoreV1NamespacedPod``;
- **the floor**: webexplorer's own page for that operation saved with its assets (and the try-it
  fragment it loads) and served as static files by the same static server.

"Usable" is the same test for all three: the operation's parameter table is in the document with a
layout box, and a frame has been rendered since (a ``requestAnimationFrame`` callback ran, which
waits for render-blocking CSS too); the time is the page's own ``performance.now()``, from navigation
start. Bytes are what the network stack received for the page (``encodedDataLength``) once it settled.
Each view starts on a page of another site, as a visitor following a link does (``--arrival``; why:
``ARRIVALS``). One unmeasured round first (it warms the API server's own caches), then ``--runs``
rounds alternating the three; the same again after installing ``--crds`` CRDs. Medians and ratios
from this one run.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._common import (
    CACHE,
    Result,
    Target,
    crd_name,
    install_crds,
    progress,
    running_explorer,
    summary,
    wait_for_group,
    wait_indexed,
)
from bench._static import static_server
from webexplorer.ports import LOOPBACK
from webexplorer.sandbox.chromium import CHROMIUM, CHROMIUM_ARGS
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.sandbox.explorer_process import ExplorerProcess

SWAGGER_VERSION = "5.35.0"
OPERATION = "createCoreV1NamespacedPod"
EXPLORER_PATH = f"/op/core/v1/{OPERATION}"
TRY_PATH = f"/try/core/v1/{OPERATION}"
SWAGGER_PATH = f"/swagger/index.html#/core_v1/{OPERATION}"
EXPLORER_SELECTOR = "table.params"
SWAGGER_SELECTOR = f"#operations-core_v1-{OPERATION} table.parameters"

#: Runs before any page script: marks the moment the selector has a layout box and a frame followed,
#: as an attribute on <html> (read without evaluating strings in the page: the explorer's CSP forbids it).
USABLE_PROBE = """
(() => {
  const selector = %s;
  let seen = false;
  const check = () => {
    if (seen) return;
    const element = document.querySelector(selector);
    if (element && element.getClientRects().length > 0) {
      seen = true;
      observer.disconnect();
      requestAnimationFrame(() => {
        document.documentElement.dataset.usableAt = String(performance.now());
      });
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", check);
})();
"""

SWAGGER_INITIALIZER = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi/v2",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
};
"""
SWAGGER_FILES = (
    "index.html",
    "index.css",
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
    "favicon-16x16.png",
)

#: Where each view starts. A fresh tab's about:blank has a renderer process not yet tied to a site,
#: and Chromium hands it to the first page that may share it. A page sent with
#: ``Cross-Origin-Opener-Policy: same-origin`` (webexplorer's pages) may not, so it waits for a new
#: process while Swagger UI and the floor (static files, no such header) reuse that one: 10-15 ms
#: of the explorer's time measured only in that set-up. A visitor following a link from any other
#: site pays for a new process on all three, so ``link`` (the default) starts from a page on
#: ``localhost``, another site than the ``127.0.0.1`` the three pages are on.
ARRIVALS = ("link", "blank")
START_PAGE = "<!doctype html><title>elsewhere</title><p>A page on another site, where the visitor comes from."

# targets of issue 8
FLOOR_RATIO = 1.5
SWAGGER_RATIO_PLAIN = 15.0
SWAGGER_RATIO_CRDS = 35.0
CRD_DRIFT = 0.20
BYTES_RATIO = 40.0


def ensure_swagger_dist() -> Path:
    """``swagger-ui-dist`` from npm, installed once into the bench cache (never into the repo)."""
    prefix = CACHE / f"swagger-ui-{SWAGGER_VERSION}"
    dist = prefix / "node_modules" / "swagger-ui-dist"
    if not (dist / "swagger-ui-bundle.js").exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("the browser benchmark needs npm to install swagger-ui-dist")
        progress(f"installing swagger-ui-dist@{SWAGGER_VERSION} into {prefix}")
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(prefix),
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                f"swagger-ui-dist@{SWAGGER_VERSION}",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=600,
        )
    return dist


def lay_out_swagger(root: Path) -> None:
    """``root/swagger/``: the dist's own files, with an initializer pointing at ``/openapi/v2``."""
    dist = ensure_swagger_dist()
    target = root / "swagger"
    target.mkdir(parents=True, exist_ok=True)
    for name in SWAGGER_FILES:
        shutil.copyfile(dist / name, target / name)
    (target / "swagger-initializer.js").write_text(SWAGGER_INITIALIZER)


#: every asset a page names, in any attribute (app.js names htmx's URL in a data- attribute), query dropped
ASSET = re.compile(r'="(/static/[^"?]+)(?:\?[^"]*)?"')


def save_floor(explorer: ExplorerProcess, root: Path) -> None:
    """Save the explorer's operation page, its assets and its try-it fragment as static files."""
    if root.exists():
        shutil.rmtree(root)
    with httpx.Client(base_url=explorer.url, timeout=30) as client:
        page = client.get(EXPLORER_PATH)
        page.raise_for_status()
        files = {EXPLORER_PATH: page.content}
        files[TRY_PATH] = client.get(TRY_PATH, headers={"HX-Request": "true"}).content
        for asset in sorted(set(ASSET.findall(page.text))):
            response = client.get(asset)
            response.raise_for_status()
            files[asset] = response.content
    for path, content in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


@dataclass
class View:
    usable_ms: float
    wall_ms: float
    bytes: int
    requests: int


class Browser:
    """One Chromium for the whole run; each view gets a fresh context (empty cache, own sockets)."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._manager = sync_playwright()
        self._playwright = self._manager.start()
        self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))

    def close(self) -> None:
        self._browser.close()
        self._manager.__exit__(None, None, None)

    def view(self, url: str, selector: str, arrive_from: str | None = None, timeout: float = 120.0) -> View:
        context = self._browser.new_context()
        try:
            page = context.new_page()
            if arrive_from is not None:  # unmeasured: where the visitor comes from (ARRIVALS)
                page.goto(arrive_from, timeout=timeout * 1000)
            cdp = context.new_cdp_session(page)
            received: dict[str, float] = {}
            cdp.on(
                "Network.loadingFinished",
                lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]),
            )
            cdp.send("Network.enable")
            page.add_init_script(USABLE_PROBE % json.dumps(selector))
            started = time.perf_counter()
            page.goto(url, wait_until="commit", timeout=timeout * 1000)
            page.wait_for_selector("html[data-usable-at]", state="attached", timeout=timeout * 1000)
            wall = time.perf_counter() - started
            usable = float(page.get_attribute("html", "data-usable-at") or "nan")
            page.wait_for_load_state("networkidle", timeout=timeout * 1000)
            return View(usable, wall * 1000, int(sum(received.values())), len(received))
        finally:
            context.close()


@contextmanager
def open_browser() -> Iterator[Browser]:
    browser = Browser()
    try:
        yield browser
    finally:
        browser.close()


def measure_round(
    browser: Browser,
    urls: dict[str, tuple[str, str]],
    runs: int,
    results: dict[str, list[View]] | None,
    arrive_from: str | None,
) -> None:
    """``runs`` rounds over the variants, each round starting one further along (alternating)."""
    names = list(urls)
    for i in range(runs):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            url, selector = urls[name]
            view = browser.view(url, selector, arrive_from)
            if results is not None:
                results[name].append(view)


def phase(
    label: str,
    cp: ControlPlane,
    explorer: ExplorerProcess,
    workdir: Path,
    browser: Browser,
    runs: int,
    warmup: bool,
    arrival: str,
) -> dict[str, Any]:
    floor_root = workdir / "floor"
    save_floor(explorer, floor_root)
    site = workdir / "site"
    lay_out_swagger(site)
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    (elsewhere / "index.html").write_text(START_PAGE)
    with (
        cp.client(timeout=120) as upstream,
        static_server(site, proxy={"/openapi/v2": (upstream, "/openapi/v2")}) as swagger_origin,
        static_server(floor_root) as floor_origin,
        static_server(elsewhere) as elsewhere_origin,
    ):
        # "localhost" is another site than the 127.0.0.1 the three pages are on
        arrive_from = (
            elsewhere_origin.replace(f"//{LOOPBACK}:", "//localhost:") + "/index.html"
            if arrival == "link"
            else None
        )
        urls = {
            "webexplorer": (explorer.url + EXPLORER_PATH, EXPLORER_SELECTOR),
            "Swagger UI": (swagger_origin + SWAGGER_PATH, SWAGGER_SELECTOR),
            "floor": (floor_origin + EXPLORER_PATH, EXPLORER_SELECTOR),
        }
        if warmup:
            progress(f"{label}: one unmeasured round")
            measure_round(browser, urls, 1, None, arrive_from)
        progress(f"{label}: {runs} measured rounds")
        views: dict[str, list[View]] = {name: [] for name in urls}
        measure_round(browser, urls, runs, views, arrive_from)
    out: dict[str, Any] = {}
    for name, values in views.items():
        out[name] = {
            "usable_ms": summary([v.usable_ms for v in values]),
            "wall_ms": summary([v.wall_ms for v in values]),
            "bytes": summary([v.bytes for v in values]),
            "requests": summary([v.requests for v in values]),
        }
    return out


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    runs = 1 if opts.quick else opts.runs
    crds = 3 if opts.quick else opts.crds
    phases: dict[str, dict[str, Any]] = {}
    args = ["--kubeconfig", str(cp.kubeconfig)]
    if opts.quick:  # not worth waiting out the default refresh interval for three CRDs
        args += ["--refresh-interval", "1"]
    with (
        running_explorer(args, workdir / "explorer.log", warm=[EXPLORER_PATH]) as explorer,
        open_browser() as browser,
    ):
        phases["plain cluster"] = phase(
            "plain cluster", cp, explorer, workdir, browser, runs, not opts.quick, opts.arrival
        )
        progress(f"installing {crds} CRDs")
        install_seconds = install_crds(cp, crds)
        seen = wait_for_group(explorer.url, crd_name(crds - 1)[0])
        wait_indexed(explorer.url)  # steady state: the background indexing of the new catalog is done
        progress(f"{crds} CRDs established in {install_seconds:.0f} s; in the explorer {seen:.1f} s later")
        label = f"{crds} CRDs"
        phases[label] = phase(label, cp, explorer, workdir, browser, runs, not opts.quick, opts.arrival)
    return summarize(phases, runs, crds, opts.arrival)


def summarize(phases: dict[str, dict[str, Any]], runs: int, crds: int, arrival: str) -> Result:
    result = Result(data={"phases": phases, "runs": runs, "crds": crds, "arrival": arrival})
    rows: list[list[object]] = []
    for label, views in phases.items():
        for name, figures in views.items():
            rows.append(
                [
                    label,
                    name,
                    runs,
                    f"{figures['usable_ms']['median']:.0f}",
                    f"{figures['usable_ms']['max']:.0f}",
                    f"{figures['wall_ms']['median']:.0f}",
                    f"{figures['bytes']['median'] / 1024:.0f}",
                    int(figures["requests"]["median"]),
                ]
            )
    result.tables.append(
        (
            [
                "cluster",
                "page",
                "runs",
                "usable ms (median)",
                "usable ms (max)",
                "wall ms (median)",
                "KiB (median)",
                "requests",
            ],
            rows,
        )
    )

    def med(label: str, name: str, key: str = "usable_ms") -> float:
        return float(phases[label][name][key]["median"])

    plain, big = phases.keys()
    floor_ratio = med(plain, "webexplorer") / med(plain, "floor")
    swagger_plain = med(plain, "Swagger UI") / med(plain, "webexplorer")
    swagger_big = med(big, "Swagger UI") / med(big, "webexplorer")
    drift = med(big, "webexplorer") / med(plain, "webexplorer") - 1
    bytes_plain = med(plain, "Swagger UI", "bytes") / med(plain, "webexplorer", "bytes")
    bytes_big = med(big, "Swagger UI", "bytes") / med(big, "webexplorer", "bytes")
    result.targets += [
        Target(
            "webexplorer vs the floor (plain)",
            f"{floor_ratio:.2f}×",
            f"≤ {FLOOR_RATIO}×",
            floor_ratio <= FLOOR_RATIO,
        ),
        Target(
            "Swagger UI / webexplorer time (plain)",
            f"{swagger_plain:.0f}×",
            f"≥ {SWAGGER_RATIO_PLAIN:g}×",
            swagger_plain >= SWAGGER_RATIO_PLAIN,
        ),
        Target(
            f"Swagger UI / webexplorer time ({big})",
            f"{swagger_big:.0f}×",
            f"≥ {SWAGGER_RATIO_CRDS:g}×",
            swagger_big >= SWAGGER_RATIO_CRDS,
        ),
        Target(
            f"webexplorer time, {big} vs plain",
            f"{drift:+.0%}",
            f"within ±{CRD_DRIFT:.0%}",
            abs(drift) <= CRD_DRIFT,
        ),
        Target(
            "Swagger UI / webexplorer bytes (plain)",
            f"{bytes_plain:.0f}×",
            f"≥ {BYTES_RATIO:g}×",
            bytes_plain >= BYTES_RATIO,
        ),
        Target(
            f"Swagger UI / webexplorer bytes ({big})",
            f"{bytes_big:.0f}×",
            f"≥ {BYTES_RATIO:g}×",
            bytes_big >= BYTES_RATIO,
        ),
    ]
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--arrival",
        choices=ARRIVALS,
        default="link",
        help="where each view starts: 'link' (default) from a page on another site, as a visitor following "
        "a link; 'blank' from the fresh tab's about:blank (see ARRIVALS in this file)",
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="measured views of each page per cluster (default 5)"
    )
    parser.add_argument(
        "--crds", type=int, default=300, help="CRDs installed for the second half (default 300)"
    )


def main() -> None:
    from bench._common import bench_main

    bench_main("browser", __doc__, run, add_arguments)


if __name__ == "__main__":
    main()
