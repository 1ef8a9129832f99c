"""Chromium opens the explorer's home page: real uvicorn, real browser, strict CSP, no console errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.fixtures.browser import watch_page_errors
from tests.fixtures.server import ExplorerProcess


def test_home_page_in_chromium(
    page: Page, explorer_factory: Callable[..., ExplorerProcess], artifacts_dir: Path
) -> None:
    explorer = explorer_factory()
    problems = watch_page_errors(page)
    page.goto(explorer.url + "/")
    expect(page).to_have_title("Home · webexplorer")
    expect(page.locator("h1")).to_contain_text("Kubernetes API")
    page.screenshot(path=str(artifacts_dir / "home.png"), full_page=True)
    # The scripts are all external and allowed by the CSP: the theme toggle works.
    before = page.evaluate("document.documentElement.getAttribute('data-theme')")
    page.click("#theme-toggle")
    after = page.evaluate("document.documentElement.getAttribute('data-theme')")
    assert after in ("light", "dark") and after != before
    # "/" focuses the search box.
    page.locator("body").press("/")
    expect(page.locator("#q")).to_be_focused()
    assert problems == [], problems
