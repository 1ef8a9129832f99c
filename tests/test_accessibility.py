"""Usable by everyone: axe-core 4 in real Chromium over every page family, in both colour schemes, and a
keyboard-only journey through try-it with the focus visible at every step.

axe (tests/vendor/, evaluated through the DevTools protocol, which the page's CSP does not govern) runs
the WCAG 2.0/2.1 A and AA rules plus its best practices over each family's page — home, group, group
version, resource, operation with try-it, a try-it answer, try-it refused (what the identity lacks),
schema, field, search, raw, diff, can-i (rules and one by one), pod, history and the error page — in the
light and the dark scheme. Each must have no violation at all. The figures of a run (violations and
nodes per family and scheme) are written to ``test-artifacts/axe.json``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.fixtures.cluster import ServiceAccount
from tests.fixtures.server import ExplorerProcess
from tests.tryout_helpers import token_kubeconfig
from webexplorer.ports import wait_until
from webexplorer.sandbox.controlplane import ControlPlane

AXE = Path(__file__).with_name("vendor") / "axe-core-4.14.1" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
#: the colour scheme the browser asks for, and the theme the page's toggle stored ("" for none)
SCHEMES = {"light": ("light", ""), "dark": ("dark", ""), "dark by the toggle": ("light", "dark")}
#: the toggle's dark theme sets the same colours another way (data-theme, not the media query): checked on
#: the families that hold every coloured element (badges, buttons, highlighted bodies, notices, tables)
TOGGLE_FAMILIES = frozenset({"resource", "field", "search", "try-it refused", "history"})


def _context(browser: Browser, scheme: str) -> BrowserContext:
    asked, toggled = SCHEMES[scheme]
    context = browser.new_context(color_scheme=asked)  # type: ignore[arg-type]
    if toggled:  # what the theme toggle stores (app.js reads it before the first frame)
        context.add_init_script(f"localStorage.setItem('webexplorer-theme', '{toggled}')")
    return context


def _families(ns: str) -> dict[str, str]:
    """Each page family, by a page that shows it."""
    return {
        "home": "/",
        "group": "/g/apps",
        "group version": "/g/apps/v1",
        "resource": "/g/apps/v1/deployments",
        "operation with try-it": "/op/apps/v1/createAppsV1NamespacedDeployment",
        "schema": "/schema/apps/v1/Deployment",
        "field": "/schema/apps/v1/Deployment/spec.template.spec#spec.template.spec",
        "search": "/search?q=deploy",
        "raw": "/raw/apis/apps/v1",
        "diff": "/diff?old=embedded&new=current",
        "can-i": f"/can-i?namespace={ns}",
        "can-i one by one": f"/can-i?namespace={ns}&each=1",
        "pod": "/pod",
        "history": "/history",
        "error": "/g/no-such-group",
    }


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now (rule id, impact, the nodes' targets)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
            const r = await axe.run(document, options);
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary}))}));
        }""",
        TAGS,
    )
    return found


@pytest.fixture
def crd(admin_client: httpx.Client) -> Iterator[str]:
    """A CRD of a group of its own, so the diff (embedded against current) has something to show."""
    group = f"a11y{uuid.uuid4().hex[:6]}.example.com"
    spec = {
        "type": "object",
        "description": "What a gadget should be.",
        "properties": {"size": {"type": "integer"}},
    }
    body = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gadgets.{group}"},
        "spec": {
            "group": group,
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": spec}}},
                }
            ],
        },
    }
    path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    assert admin_client.post(path, json=body).status_code == 201
    wait_until(
        lambda: admin_client.get(f"/apis/{group}/v1").status_code == 200,
        timeout=30,
        what="the CRD to be served",
    )
    yield group
    admin_client.delete(f"{path}/gadgets.{group}")


@pytest.fixture(scope="module")
def figures(artifacts_dir: Path) -> Iterator[dict[str, Any]]:
    found: dict[str, Any] = {}
    yield found
    (artifacts_dir / "axe.json").write_text(json.dumps(found, indent=1, sort_keys=True))


def _explorer(explorer_factory: Callable[..., ExplorerProcess], kubeconfig: Path) -> ExplorerProcess:
    return explorer_factory(["--mode", "kubeconfig", "--kubeconfig", str(kubeconfig)])


def _sweep(
    browser: Browser,
    base: str,
    pages: dict[str, str],
    figures: dict[str, Any],
    prepare: Callable[[Page], str],
) -> dict[str, list[str]]:
    """axe over ``prepare``'s page (left as it is, e.g. an answer htmx swapped in) and every page, in
    every scheme; the families with violations."""
    failing: dict[str, list[str]] = {}

    def measure(family: str) -> None:
        violations = axe_violations(page)
        figures[family] = {
            "violations": len(violations),
            "nodes": sum(len(v["nodes"]) for v in violations),
            "rules": {v["id"]: v["nodes"][:5] for v in violations},
        }
        if violations:
            failing[family] = [f"{v['id']} ×{len(v['nodes'])}" for v in violations]

    for scheme in SCHEMES:
        context = _context(browser, scheme)
        page = context.new_page()
        measure(f"{prepare(page)} ({scheme})")
        for family, url in pages.items():
            if SCHEMES[scheme][1] and family not in TOGGLE_FAMILIES:
                continue
            page.goto(base + url)
            expect(page.locator("html")).to_have_attribute("data-enhanced", "")
            measure(f"{family} ({scheme})")
        context.close()
    return failing


def test_no_axe_violation_on_any_page_family_in_either_scheme(
    browser: Browser,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    service_account: Callable[..., ServiceAccount],
    figures: dict[str, Any],
    crd: str,
    tmp_path: Path,
) -> None:
    account = service_account(
        namespace=f"a11y-{uuid.uuid4().hex[:6]}",
        rules=[{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}],
    )
    config = token_kubeconfig(control_plane, account.token, tmp_path / "config", account.namespace)
    explorer = _explorer(explorer_factory, config)
    ns = account.namespace
    pages = _families(ns)
    pages["try-it refused"] = f"/try/apps/v1/readAppsV1NamespacedDeploymentScale?p.namespace={ns}&p.name=web"
    pages["schema of a CRD"] = f"/schema/{crd}/v1/Gadget"
    assert crd in httpx.get(explorer.url + pages["diff"], timeout=30).text  # the diff has something to show

    def send_some(page: Page) -> str:
        """A try-it answer on the page (and so a history with an entry)."""
        page.goto(f"{explorer.url}/op/core/v1/listCoreV1NamespacedConfigMap?p.namespace={ns}")
        expect(page.locator("html")).to_have_attribute("data-enhanced", "")
        page.click("#tryout-send")
        expect(page.locator("#tryout-code")).to_contain_text("200")
        return "try-it answer"

    failing = _sweep(browser, explorer.url, pages, figures, send_some)
    assert failing == {}, json.dumps(failing, indent=1)


#: the focused element's own outline, or (for a visually hidden view tab) its label's
FOCUS_SHOWN = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return {tag: "body", shown: false};
    const shown = (e) => { const s = getComputedStyle(e);
        return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 1) || s.boxShadow !== "none"; };
    const target = el.matches("input.pick") ? el.nextElementSibling : el;
    const box = target.getBoundingClientRect();
    return {tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute("href") || "",
            text: (el.textContent || "").trim().slice(0, 60), shown: shown(target),
            inView: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight};
}"""


def tab_to(page: Page, selector: str, journey: list[dict[str, Any]], limit: int = 400) -> None:
    """Tab (only) until the focused element matches ``selector``; every stop on the way must show its
    focus and be on screen."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused: dict[str, Any] = page.evaluate(FOCUS_SHOWN)
        journey.append(focused)
        if focused["tag"] == "body" and len(journey) > 1 and journey[-2]["tag"] != "body":
            continue  # past the end of the page, Tab visits the browser's own UI, then the page's top
        where = f"{page.url}, after {journey[-4:-1]}"
        assert focused["shown"] and focused["inView"], f"focus not visible at {focused} on {where}"
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} not reached with Tab")


def test_keyboard_only_search_kind_field_try_it_send_answer(
    page: Page,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    artifacts_dir: Path,
) -> None:
    explorer = _explorer(explorer_factory, control_plane.kubeconfig)
    journey: list[dict[str, Any]] = []
    page.goto(explorer.url + "/")
    expect(page.locator("html")).to_have_attribute("data-enhanced", "")
    tab_to(page, "a.skip", journey)  # the first stop is the skip link, and it shows
    page.keyboard.press("/")  # search
    page.keyboard.type("deployment")
    expect(page.locator("#live-results a").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    assert page.evaluate(FOCUS_SHOWN)["shown"]
    page.keyboard.press("Enter")
    page.wait_for_url("**/g/apps/v1/deployments")
    tab_to(page, 'main a[href$="/schema/apps/v1/Deployment"]', journey)  # the kind
    page.keyboard.press("Enter")
    page.wait_for_url("**/schema/apps/v1/Deployment")
    tab_to(page, "#spec > details > summary", journey)
    page.keyboard.press("Enter")  # opens spec; its fields load
    expect(page.locator('[id="spec.replicas"]')).to_be_visible()
    tab_to(page, '[id="spec.replicas"] a.permalink', journey)  # a field
    page.keyboard.press("Enter")
    page.wait_for_url("**/schema/apps/v1/Deployment/spec.replicas*")
    expect(page.locator("#field-target")).to_contain_text("spec.replicas")
    tab_to(page, 'main dd a[href$="/g/apps/v1/deployments"]', journey)
    page.keyboard.press("Enter")
    page.wait_for_url("**/g/apps/v1/deployments")
    tab_to(page, 'main a[href$="/op/apps/v1/listAppsV1NamespacedDeployment"]', journey)
    page.keyboard.press("Enter")
    page.wait_for_url("**/op/apps/v1/listAppsV1NamespacedDeployment*")
    expect(page.locator("html")).to_have_attribute("data-enhanced", "")
    tab_to(page, "#try-p-namespace", journey)  # try-it
    page.keyboard.press("Control+A")
    page.keyboard.type("default")
    tab_to(page, "#tryout-send", journey)
    page.keyboard.press("Enter")  # send
    expect(page.locator("#tryout-code")).to_contain_text("200 OK")  # the answer
    tab_to(page, "#tryout-answer a, #tryout-answer input, #tryout-answer pre", journey)
    page.screenshot(path=str(artifacts_dir / "keyboard-answer.png"))
    (artifacts_dir / "keyboard-journey.json").write_text(json.dumps(journey, indent=1))


def test_the_context_picker_open_has_no_violation(
    browser: Browser,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    service_account: Callable[..., ServiceAccount],
    tmp_path: Path,
) -> None:
    """The header's cluster picker (--contexts), opened, in every scheme: two contexts of the test
    cluster, the admin's and a service account's."""
    account = service_account(namespace=f"a11y-{uuid.uuid4().hex[:6]}")
    doc = yaml.safe_load(control_plane.kubeconfig.read_text())
    single = yaml.safe_load(token_kubeconfig(control_plane, account.token, tmp_path / "sa").read_text())
    doc["users"].append({"name": "sa", "user": single["users"][0]["user"]})
    cluster = doc["clusters"][0]["name"]
    doc["contexts"].append({"name": "team-a", "context": {"cluster": cluster, "user": "sa"}})
    config = tmp_path / "kubeconfig"
    config.write_text(yaml.safe_dump(doc))
    explorer = explorer_factory(["--mode", "kubeconfig", "--kubeconfig", str(config), "--contexts", "*"])
    failing: dict[str, list[str]] = {}
    for scheme in SCHEMES:
        context = _context(browser, scheme)
        page = context.new_page()
        page.goto(explorer.url + "/ctx/team-a/g/apps")
        expect(page.locator("html")).to_have_attribute("data-enhanced", "")
        page.click("#context-picker summary")
        expect(page.locator("#context-picker a[aria-current=page]")).to_have_text("team-a")
        violations = axe_violations(page)
        if violations:
            failing[scheme] = [f"{v['id']} ×{len(v['nodes'])}" for v in violations]
        context.close()
    assert failing == {}, json.dumps(failing, indent=1)
