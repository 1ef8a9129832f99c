"""Schema facts in Chromium: a long CEL rule and a long regex wrap inside the viewport and stay whole.

Against a real explorer process on the real control plane with the test CRD (tests/crds/) and the
Gateway API CRDs installed: at 1280 px and at 400 px wide, on the field's page and in its whole tree, the
rule's ``<pre>`` and the pattern's
``<code>`` end inside the viewport, scroll nowhere sideways, and hold the exact text the API server
serves; the ``?format=text`` view reaches the browser as plain text that copies out as served.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.crds import InstalledCRDs, installed_crds
from tests.fixtures.server import ExplorerProcess
from webexplorer.sandbox.controlplane import ControlPlane

__all__ = ["installed_crds"]

WIDGET_SPEC = "/schema/facts.webexplorer.test/v1/Widget/spec"
HOSTNAMES = "/schema/gateway.networking.k8s.io/v1/HTTPRoute/spec.hostnames"


@pytest.fixture
def explorer(
    control_plane: ControlPlane,
    installed_crds: InstalledCRDs,
    explorer_factory: Callable[..., ExplorerProcess],
) -> ExplorerProcess:
    return explorer_factory(args=["--kubeconfig", str(control_plane.kubeconfig)])


def _served(control_plane: ControlPlane, path: str) -> dict:
    with httpx.Client(
        base_url=control_plane.url,
        verify=control_plane.ssl_context(),
        headers={"Authorization": f"Bearer {control_plane.admin_token}"},
        timeout=60,
    ) as c:
        body: dict = c.get(path).json()
        return body


def _fits(page: Page, selector: str, width: int) -> dict:
    box: dict = page.eval_on_selector(
        selector,
        "e => { const r = e.getBoundingClientRect(), size = parseFloat(getComputedStyle(e).fontSize);"
        " return {right: r.right, left: r.left, scroll: e.scrollWidth, client: e.clientWidth,"
        " text: e.textContent, em: r.height / size}; }",
    )
    assert box["left"] >= 0 and box["right"] <= width, (selector, width, box)
    assert box["scroll"] <= box["client"] + 1, (selector, width, box)  # no sideways scrolling inside it
    return box


@pytest.mark.parametrize("view", [pytest.param("", id="one-level"), pytest.param("?recursive=1", id="whole")])
@pytest.mark.parametrize("width", [1280, 400])
def test_long_rule_and_regex_wrap_inside_the_viewport(
    page: Page, explorer: ExplorerProcess, control_plane: ControlPlane, width: int, view: str
) -> None:
    """On the field's page and in its whole tree (the outline, each level indented further)."""
    crd = _served(
        control_plane,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.facts.webexplorer.test",
    )
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    long_rule = max((r["rule"] for r in spec["x-kubernetes-validations"]), key=len)
    assert len(long_rule) > 200

    page.set_viewport_size({"width": width, "height": 900})
    page.goto(explorer.url + WIDGET_SPEC + view)
    expect(page.locator("li[id='spec'] pre.cel").first).to_be_visible()
    box = _fits(page, f"li[id='spec'] pre.cel >> nth={_index_of(page, long_rule)}", width)
    assert box["text"] == long_rule  # the whole rule, not cut
    assert box["em"] > 2.4  # two lines or more: it wrapped rather than running off the side

    route = _served(
        control_plane,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/httproutes.gateway.networking.k8s.io",
    )
    v1 = next(v for v in route["spec"]["versions"] if v["name"] == "v1")
    pattern = v1["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["hostnames"]["items"][
        "pattern"
    ]
    page.goto(explorer.url + HOSTNAMES + view)
    box = _fits(page, "li[id='spec.hostnames'] code.pattern", width)
    assert box["text"] == pattern


def _index_of(page: Page, rule: str) -> int:
    texts: list[str] = page.eval_on_selector_all("li[id='spec'] pre.cel", "es => es.map(e => e.textContent)")
    return texts.index(rule)


def test_text_view_is_plain_text_that_copies_as_served(page: Page, explorer: ExplorerProcess) -> None:
    url = explorer.url + WIDGET_SPEC + "?format=text"
    served = httpx.get(url, timeout=30)
    assert served.headers["content-type"].startswith("text/plain")
    page.goto(url)
    shown = page.evaluate("document.body.innerText")
    assert shown.rstrip("\n") == served.text.rstrip("\n")
    assert "ENFORCED:" in served.text and "x-kubernetes" not in served.text.split("FIELDS:")[0]
