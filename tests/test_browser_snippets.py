"""The snippet tabs in Chromium, on an operation page and in a try-it answer, against a real explorer
process and the real control plane: a WAI-ARIA tab list driven by keyboard and mouse, one panel shown
at a time, a Copy button that puts the code on the clipboard, the chosen library remembered across
pages, all under the strict CSP (no console errors); without JavaScript every snippet shows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.fixtures.browser import goto_enhanced, watch_page_errors
from tests.fixtures.server import ExplorerProcess
from webexplorer.sandbox.controlplane import ControlPlane

TABS = ["curl", "kubectl", "http", "python", "golang", "java", "javascript"]


def _start(explorer_factory: Callable[..., ExplorerProcess], control_plane: ControlPlane) -> ExplorerProcess:
    return explorer_factory(["--mode", "kubeconfig", "--kubeconfig", str(control_plane.kubeconfig)])


def _selected(page: Page, box: str) -> list[str]:
    return page.eval_on_selector_all(
        f"#{box} [role=tab][aria-selected=true]", "els => els.map(e => e.dataset.tab)"
    )


def _visible_panels(page: Page, box: str) -> list[str]:
    return page.eval_on_selector_all(
        f"#{box} [role=tabpanel]", "els => els.filter(e => !e.hidden).map(e => e.dataset.library)"
    )


def test_operation_page_tabs_keyboard_copy_and_memory(
    page: Page,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    artifacts_dir: Path,
) -> None:
    explorer = _start(explorer_factory, control_plane)
    problems = watch_page_errors(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=explorer.url)
    goto_enhanced(page, f"{explorer.url}/op/core/v1/createCoreV1NamespacedConfigMap")
    box = "op-snippets"
    expect(page.locator(f"#{box} [role=tablist]")).to_be_visible()
    assert page.eval_on_selector_all(f"#{box} [role=tab]", "els => els.map(e => e.dataset.tab)") == TABS
    assert _selected(page, box) == ["curl"] and _visible_panels(page, box) == ["curl"]
    # keyboard: the selected tab is the one tab stop; arrows move and wrap, Home and End jump
    page.locator(f"#{box}-tab-curl").focus()
    page.keyboard.press("ArrowRight")
    assert _selected(page, box) == ["kubectl"] and _visible_panels(page, box) == ["kubectl"]
    expect(page.locator(f"#{box}-tab-kubectl")).to_be_focused()
    page.keyboard.press("End")
    assert _selected(page, box) == ["javascript"]
    page.keyboard.press("ArrowRight")
    assert _selected(page, box) == ["curl"]
    page.keyboard.press("ArrowLeft")
    assert _selected(page, box) == ["javascript"]
    page.keyboard.press("Home")
    assert _selected(page, box) == ["curl"]
    tabindex = page.eval_on_selector_all(f"#{box} [role=tab]", "els => els.map(e => e.tabIndex)")
    assert tabindex == [0] + [-1] * (len(TABS) - 1)
    panel = page.locator(f"#{box}-python")
    assert panel.get_attribute("aria-labelledby") == f"{box}-tab-python"
    # the mouse, and the Copy button
    page.click(f"#{box}-tab-python")
    expect(panel).to_be_visible()
    expect(page.locator(f"#{box}-code-python")).to_contain_text("create_namespaced_config_map")
    panel.locator("button.copy").click()
    expect(panel.locator("button.copy")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator(f"#{box}-code-python").text_content()
    assert "from kubernetes import client, config" in copied
    page.screenshot(path=str(artifacts_dir / "snippets-operation.png"), full_page=True)
    # the library chosen last is chosen on the next page too
    goto_enhanced(page, f"{explorer.url}/op/apps/v1/readAppsV1NamespacedDeploymentScale")
    assert _selected(page, box) == ["python"]
    expect(page.locator(f"#{box}-code-python")).to_contain_text("read_namespaced_deployment_scale")
    assert problems == [], problems


def test_try_it_answer_gets_the_tabs_too(
    page: Page,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    artifacts_dir: Path,
) -> None:
    explorer = _start(explorer_factory, control_plane)
    problems = watch_page_errors(page)
    goto_enhanced(page, f"{explorer.url}/op/core/v1/listCoreV1NamespacedConfigMap")
    expect(page.locator("#try-it #tryout-panel")).to_be_visible()
    page.click("#tryout-send")
    expect(page.locator("#tryout-code")).to_contain_text("200")
    box = "tryout-snippets"
    expect(page.locator(f"#{box} [role=tablist]")).to_be_visible()
    assert len(_visible_panels(page, box)) == 1
    page.click(f"#{box}-tab-javascript")
    expect(page.locator(f"#{box}-code-javascript")).to_contain_text("listNamespacedConfigMap")
    expect(page.locator(f"#{box}-code-javascript")).to_contain_text('namespace: "default"')
    page.screenshot(path=str(artifacts_dir / "snippets-tryout.png"), full_page=True)
    assert problems == [], problems


def test_without_javascript_every_snippet_shows(
    page: Page, explorer_factory: Callable[..., ExplorerProcess], control_plane: ControlPlane
) -> None:
    explorer = _start(explorer_factory, control_plane)
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{explorer.url}/op/core/v1/createCoreV1NamespacedConfigMap")
        box = "op-snippets"
        expect(page.locator(f"#{box} [role=tablist]")).to_be_hidden()
        for tab in TABS:
            expect(page.locator(f"#{box}-{tab}")).to_be_visible()
        expect(page.locator(f"#{box} button.copy").first).to_be_hidden()
    finally:
        context.close()
